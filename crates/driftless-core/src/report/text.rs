//! The text report for the terminal: every change in the order `up` runs it, with its class, code and reason per
//! dialect (dialects that agree share a line), coloured by class when asked.

use std::fmt::Write as _;

use crate::classify::{Class, Plan};
use crate::dialect::Dialect;
use crate::diff::RelationChangeKind;

use super::{class_words, describe, dialect_label, groups};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }

    fn class(&self, c: Class, s: &str) -> String {
        self.wrap(
            match c {
                Class::Safe => "32",
                Class::ReviewRequired => "33",
                Class::Dangerous => "1;31",
            },
            s,
        )
    }

    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }

    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// The text report for the given dialects; `color` adds ANSI colours (see [`super::color_from_env`]).
pub fn text(plan: &Plan, dialects: &[Dialect], color: bool) -> String {
    text_between(plan, dialects, color, super::MODELS_AND_SNAPSHOT)
}

/// [`text`] for a plan between two other sources: `sides` names them when there is no change (`the two
/// databases`).
pub fn text_between(plan: &Plan, dialects: &[Dialect], color: bool, sides: &str) -> String {
    let dialects: Vec<Dialect> = Dialect::all().into_iter().filter(|d| dialects.contains(d)).collect();
    let p = Paint { on: color };
    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(out, "No schema changes: {sides} describe the same schema.");
        stale(plan, &p, &mut out);
        return out;
    }
    let worst = plan.class_among(&dialects);
    let n = plan.changes.len();
    let per: Vec<String> =
        dialects.iter().map(|d| format!("{} {}", d.display_name(), class_words(plan.class_for(*d)))).collect();
    let _ = writeln!(
        out,
        "{} change{}, worst: {} ({})",
        n,
        if n == 1 { "" } else { "s" },
        p.class(worst, class_words(worst)),
        per.join(", ")
    );
    let width = n.to_string().len();
    for (i, c) in plan.changes.iter().enumerate() {
        let _ = writeln!(out, "\n{:>width$}. {}", i + 1, p.bold(&describe(&c.step)));
        for (ds, cl) in groups(&c.classes, &dialects) {
            let _ = writeln!(
                out,
                "{:width$}  {} [{}] {}: {}",
                "",
                p.class(cl.class, &format!("{:<15}", class_words(cl.class))),
                dialect_label(&ds, &dialects),
                cl.code,
                cl.reason
            );
            if let (Some(alt), true) = (&cl.safer_alternative, cl.class > Class::Safe && c.possible_renames.is_empty())
            {
                let _ = writeln!(out, "{:width$}  {} {alt}", "", p.dim("safer:"));
            }
        }
        for r in &c.possible_renames {
            let _ = writeln!(out, "{:width$}  {} {}", "", p.class(Class::Dangerous, "possible rename:"), r.advice());
        }
        let down = c.down_classes.worst(&dialects);
        let _ = writeln!(
            out,
            "{:width$}  {} {} ({})",
            "",
            p.dim("down:"),
            describe(&c.down),
            p.class(down, class_words(down))
        );
    }
    if !plan.relations.is_empty() {
        out.push_str("\nrelations:\n");
        for r in &plan.relations {
            let _ = writeln!(
                out,
                "  {} many-to-many `{}` <-> `{}` (pivot table `{}`)",
                match r.kind {
                    RelationChangeKind::Added => "+",
                    RelationChangeKind::Removed => "-",
                },
                r.relation.tables[0],
                r.relation.tables[1],
                r.relation.pivot
            );
        }
    }
    stale(plan, &p, &mut out);
    out
}

fn stale(plan: &Plan, p: &Paint, out: &mut String) {
    if !plan.stale_hints.is_empty() {
        let _ = writeln!(out, "\n{}", p.dim("stale rename hints (already applied; they can be removed):"));
        for h in &plan.stale_hints {
            let _ = writeln!(out, "  {h}");
        }
    }
}
