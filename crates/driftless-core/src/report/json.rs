//! The JSON report: a stable, versioned document for bots (documented in `docs/report-json.md`).
//!
//! Compatibility: within one `format` version fields are only ever added, never renamed, removed or given another
//! meaning; a breaking change bumps [`JSON_FORMAT`].

use serde::Serialize;

use crate::classify::{Class, Classification, Plan};
use crate::dialect::Dialect;
use crate::diff::{PossibleRename, RelationChange};
use crate::step::Step;

use super::describe;

/// The version of the JSON report format, written as its `format` field.
pub const JSON_FORMAT: u32 = 1;

#[derive(Serialize)]
struct Report<'p> {
    format: u32,
    dialects: Vec<Dialect>,
    class: Class,
    classes: Vec<DialectClass>,
    summary: Summary,
    changes: Vec<JsonChange<'p>>,
    relations: &'p [RelationChange],
    stale_hints: &'p [String],
}

#[derive(Serialize)]
struct DialectClass {
    dialect: Dialect,
    class: Class,
}

#[derive(Serialize)]
struct Summary {
    changes: usize,
    safe: usize,
    review_required: usize,
    dangerous: usize,
}

#[derive(Serialize)]
struct JsonChange<'p> {
    index: usize,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'p str>,
    description: String,
    class: Class,
    classifications: Vec<DialectClassification<'p>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    possible_renames: Vec<JsonPossibleRename<'p>>,
    step: &'p Step,
    down: JsonDown<'p>,
}

#[derive(Serialize)]
struct JsonDown<'p> {
    kind: &'static str,
    description: String,
    class: Class,
    classifications: Vec<DialectClassification<'p>>,
    step: &'p Step,
}

#[derive(Serialize)]
struct DialectClassification<'p> {
    dialect: Dialect,
    #[serde(flatten)]
    classification: &'p Classification,
}

#[derive(Serialize)]
struct JsonPossibleRename<'p> {
    #[serde(flatten)]
    rename: &'p PossibleRename,
    attribute: String,
    advice: String,
}

/// The JSON report as a value (see `docs/report-json.md`), for the given dialects.
pub fn json_value(plan: &Plan, dialects: &[Dialect]) -> serde_json::Value {
    let dialects: Vec<Dialect> = Dialect::all().into_iter().filter(|d| dialects.contains(d)).collect();
    let changes: Vec<JsonChange<'_>> = plan
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| JsonChange {
            index: i + 1,
            kind: c.step.kind(),
            table: c.step.table(),
            description: describe(&c.step),
            class: c.classes.worst(&dialects),
            classifications: dialects
                .iter()
                .map(|d| DialectClassification { dialect: *d, classification: c.classes.get(*d) })
                .collect(),
            possible_renames: c
                .possible_renames
                .iter()
                .map(|r| JsonPossibleRename { rename: r, attribute: r.attribute(), advice: r.advice() })
                .collect(),
            step: &c.step,
            down: JsonDown {
                kind: c.down.kind(),
                description: describe(&c.down),
                class: c.down_classes.worst(&dialects),
                classifications: dialects
                    .iter()
                    .map(|d| DialectClassification { dialect: *d, classification: c.down_classes.get(*d) })
                    .collect(),
                step: &c.down,
            },
        })
        .collect();
    let count = |k: Class| changes.iter().filter(|c| c.class == k).count();
    let report = Report {
        format: JSON_FORMAT,
        class: plan.class_among(&dialects),
        classes: dialects.iter().map(|d| DialectClass { dialect: *d, class: plan.class_for(*d) }).collect(),
        summary: Summary {
            changes: changes.len(),
            safe: count(Class::Safe),
            review_required: count(Class::ReviewRequired),
            dangerous: count(Class::Dangerous),
        },
        dialects: dialects.clone(),
        changes,
        relations: &plan.relations,
        stale_hints: &plan.stale_hints,
    };
    serde_json::to_value(&report).unwrap_or(serde_json::Value::Null)
}

/// The JSON report, pretty-printed with a trailing newline (see `docs/report-json.md`).
pub fn json(plan: &Plan, dialects: &[Dialect]) -> String {
    let mut s = serde_json::to_string_pretty(&json_value(plan, dialects)).unwrap_or_default();
    s.push('\n');
    s
}
