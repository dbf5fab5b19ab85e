//! The Markdown report: a pull-request comment. A summary line, then one table of changes with class, code and
//! reason per dialect (dialects that agree share a row), dangerous changes first; then possible renames, safer
//! alternatives, relation changes and, folded, the rollback.

use std::fmt::Write as _;

use crate::classify::{Class, Plan};
use crate::dialect::Dialect;
use crate::diff::RelationChangeKind;

use super::{class_words, describe, dialect_label, groups};

fn badge(c: Class) -> String {
    let icon = match c {
        Class::Safe => "✅",
        Class::ReviewRequired => "⚠️",
        Class::Dangerous => "⛔",
    };
    format!("{icon} {}", class_words(c))
}

/// Escapes text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report for the given dialects. Deterministic.
pub fn markdown(plan: &Plan, dialects: &[Dialect]) -> String {
    markdown_between(plan, dialects, super::MODELS_AND_SNAPSHOT)
}

/// [`markdown`] for a plan between two other sources: `sides` names them when there is no change (`the two
/// databases`).
pub fn markdown_between(plan: &Plan, dialects: &[Dialect], sides: &str) -> String {
    let dialects: Vec<Dialect> = Dialect::all().into_iter().filter(|d| dialects.contains(d)).collect();
    let mut out = String::new();
    if plan.is_empty() {
        let mut first = sides.chars();
        let sides = first.next().map(|c| c.to_uppercase().chain(first).collect::<String>()).unwrap_or_default();
        let _ = writeln!(out, "### driftless: no schema changes\n\n{sides} describe the same schema.");
        stale(plan, &mut out);
        return out;
    }
    let worst = plan.class_among(&dialects);
    let n = plan.changes.len();
    let count = |k: Class| plan.changes.iter().filter(|c| c.classes.worst(&dialects) == k).count();
    let _ = writeln!(out, "### driftless: {n} schema change{} — {}\n", if n == 1 { "" } else { "s" }, badge(worst));
    let per_dialect: Vec<String> =
        dialects.iter().map(|d| format!("{} {}", d.display_name(), class_words(plan.class_for(*d)))).collect();
    let _ = writeln!(
        out,
        "{} dangerous, {} review required, {} safe ({}).\n",
        count(Class::Dangerous),
        count(Class::ReviewRequired),
        count(Class::Safe),
        per_dialect.join(", ")
    );

    out.push_str("| # | change | dialects | class | code | reason |\n|---:|---|---|---|---|---|\n");
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|i| (std::cmp::Reverse(plan.changes[*i].classes.worst(&dialects)), *i));
    for i in order {
        let c = &plan.changes[i];
        for (k, (ds, cl)) in groups(&c.classes, &dialects).into_iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | `{}` | {} |",
                if k == 0 { (i + 1).to_string() } else { String::new() },
                if k == 0 { cell(&describe(&c.step)) } else { "〃".to_owned() },
                dialect_label(&ds, &dialects),
                badge(cl.class),
                cl.code,
                cell(&cl.reason)
            );
        }
    }

    let renames: Vec<String> = plan
        .changes
        .iter()
        .flat_map(|c| c.possible_renames.iter().map(|r| r.advice()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if !renames.is_empty() {
        out.push_str(
            "\n**Possible renames.** driftless never guesses a rename; if one of these is one, declare it:\n\n",
        );
        for r in renames {
            let _ = writeln!(out, "- {}", cell(&r));
        }
    }

    let mut alternatives = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        if !c.possible_renames.is_empty() {
            continue;
        }
        for (ds, cl) in groups(&c.classes, &dialects) {
            if let (Some(alt), true) = (&cl.safer_alternative, cl.class > Class::Safe) {
                alternatives.push(format!("- #{} ({}): {}", i + 1, dialect_label(&ds, &dialects), cell(alt)));
            }
        }
    }
    if !alternatives.is_empty() {
        out.push_str("\n**Safer alternatives.**\n\n");
        for a in alternatives {
            let _ = writeln!(out, "{a}");
        }
    }

    if !plan.relations.is_empty() {
        out.push_str("\n**Relations.**\n\n");
        for r in &plan.relations {
            let _ = writeln!(
                out,
                "- many-to-many `{}` ↔ `{}` {} (pivot table `{}`)",
                r.relation.tables[0],
                r.relation.tables[1],
                match r.kind {
                    RelationChangeKind::Added => "added",
                    RelationChangeKind::Removed => "removed",
                },
                r.relation.pivot
            );
        }
    }

    let _ = writeln!(
        out,
        "\n<details><summary>Rollback (down): {}</summary>\n\n| # | down step | {} |\n|---:|---|{}",
        badge(plan.changes.iter().map(|c| c.down_classes.worst(&dialects)).max().unwrap_or(Class::Safe)),
        dialects.iter().map(|d| d.display_name()).collect::<Vec<_>>().join(" | "),
        dialects.iter().map(|_| "---|").collect::<String>()
    );
    for (i, c) in plan.changes.iter().enumerate().rev() {
        let cells: Vec<String> = dialects
            .iter()
            .map(|d| {
                let cl = c.down_classes.get(*d);
                format!("{} `{}`", badge(cl.class), cl.code)
            })
            .collect();
        let _ = writeln!(out, "| {} | {} | {} |", i + 1, cell(&describe(&c.down)), cells.join(" | "));
    }
    out.push_str("\n</details>\n");
    stale(plan, &mut out);
    out
}

fn stale(plan: &Plan, out: &mut String) {
    if !plan.stale_hints.is_empty() {
        out.push_str("\n**Stale rename hints** (already applied by an earlier migration; they can be removed):\n\n");
        for h in &plan.stale_hints {
            let _ = writeln!(out, "- {}", cell(h));
        }
    }
}
