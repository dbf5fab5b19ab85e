//! The review as JSON, for bots. Versioned by its `format` field (`driftless-review/1`): within a version fields are
//! only ever added.

use driftless_core::dialect::Dialect;
use driftless_core::report::describe;
use serde_json::{Value, json};

use super::{Item, Review};

/// The `format` field.
const FORMAT: &str = "driftless-review/1";

fn result(r: &Result<String, String>) -> Value {
    match r {
        Ok(sql) => json!({ "sql": sql }),
        Err(e) => json!({ "error": e }),
    }
}

fn item(i: &Item, fail_on: Option<driftless_core::classify::Class>) -> Value {
    let m = &i.migration;
    let (classes, changes, error) = match &i.verdict {
        Ok(v) => {
            let classes: serde_json::Map<String, Value> =
                Dialect::all().into_iter().map(|d| (d.name().to_owned(), json!(v.class_for(d)))).collect();
            let changes: Vec<Value> =
                m.up.iter()
                    .zip(&v.steps)
                    .enumerate()
                    .map(|(n, (step, per))| {
                        json!({
                            "index": n + 1,
                            "kind": step.kind(),
                            "description": describe(step),
                            "class": per.worst(&Dialect::all()),
                            "classifications": per,
                        })
                    })
                    .collect();
            (Value::Object(classes), changes, Value::Null)
        }
        Err(e) => (Value::Null, Vec::new(), json!(e.to_string())),
    };
    let sql: serde_json::Map<String, Value> = i
        .sql
        .iter()
        .map(|s| (s.dialect.name().to_owned(), json!({ "up": result(&s.up), "down": result(&s.down) })))
        .collect();
    json!({
        "name": m.name,
        "file": i.path,
        "status": i.status.key(),
        "class": i.verdict.as_ref().ok().map(|v| v.worst()),
        "classes": classes,
        "steps_class": i.verdict.as_ref().ok().map(|v| v.steps_worst()),
        "declared": m.class,
        "label_agrees": i.label_disagreement().is_none(),
        "acknowledgement": {
            "required": !i.dangerous_on().is_empty(),
            "dangerous_on": i.dangerous_on().iter().map(|d| d.name()).collect::<Vec<_>>(),
            "acknowledged": m.is_acknowledged(),
            "reviewed_by": m.acknowledgement.as_ref().map(|a| &a.reviewed_by),
            "reason": m.acknowledgement.as_ref().map(|a| &a.reason),
        },
        "error": error,
        "blockers": i.blockers(fail_on),
        "changes": changes,
        "sql": sql,
    })
}

/// The JSON review, pretty-printed with a trailing newline.
pub(crate) fn render(review: &Review) -> String {
    let conflicts: Vec<Value> = review
        .conflicts
        .iter()
        .map(|c| json!({ "parent": c.parent, "first": c.first, "second": c.second, "fix": c.fix() }))
        .collect();
    let blockers = review.blockers();
    let doc = json!({
        "format": FORMAT,
        "base": review.base_ref,
        "merge_base": review.commit,
        "blocked": !blockers.is_empty(),
        "blockers": blockers,
        "warnings": review.warnings(),
        "fail_on": review.fail_on,
        "migrations": review.items.iter().map(|i| item(i, review.fail_on)).collect::<Vec<_>>(),
        "removed": review.removed,
        "conflicts": conflicts,
        "er_diagram": review.diagram,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises");
    out.push('\n');
    out
}
