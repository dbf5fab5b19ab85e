//! The review as terminal text (colour optional: red for blockers and dangerous, yellow for review required).

use std::fmt::Write as _;

use driftless_core::classify::Class;
use driftless_core::dialect::Dialect;
use driftless_core::report::describe;

use super::{Review, class_words, dialect_list, groups, label};

struct Paint(bool);

impl Paint {
    fn class(&self, c: Class) -> String {
        let code = match c {
            Class::Safe => "32",
            Class::ReviewRequired => "33",
            Class::Dangerous => "31;1",
        };
        self.wrap(code, class_words(c))
    }

    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_owned() }
    }
}

/// The text review.
pub(crate) fn render(review: &Review, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let short = review.commit.get(..12).unwrap_or(&review.commit);
    let _ = writeln!(
        out,
        "migration review against {} (merge base {short}): {} migration(s) added or changed; {} dangerous, {} \
         review required, {} safe",
        review.base_ref,
        review.items.len(),
        review.count(Class::Dangerous),
        review.count(Class::ReviewRequired),
        review.count(Class::Safe)
    );
    for b in review.blockers() {
        let _ = writeln!(out, "{} {b}", p.wrap("31;1", "BLOCKING:"));
    }
    for w in review.warnings() {
        let _ = writeln!(out, "{} {w}", p.wrap("33", "warning:"));
    }
    for item in &review.items {
        let m = &item.migration;
        let _ = writeln!(out, "\n{} ({}, {})", m.name, item.path, item.status.as_str());
        let v = match &item.verdict {
            Ok(v) => v,
            Err(e) => {
                let _ = writeln!(out, "  {} {e}", p.wrap("31;1", "cannot be judged:"));
                continue;
            }
        };
        let classes: Vec<String> =
            Dialect::all().into_iter().map(|d| format!("{} {}", d.display_name(), p.class(v.class_for(d)))).collect();
        let _ = writeln!(out, "  class: {}; label: {}", classes.join(", "), m.class);
        if v.label_agrees() && v.declared > v.steps_worst() {
            let _ = writeln!(out, "  (raised by its label; its steps are {})", v.steps_worst());
        }
        let ack = if item.acknowledgement_missing() {
            p.wrap("31;1", &format!("MISSING (dangerous on {})", dialect_list(&item.dangerous_on())))
        } else {
            match (&m.acknowledgement, m.is_acknowledged()) {
                (Some(a), true) => format!("by {}: {}", a.reviewed_by, a.reason),
                _ => "not needed".to_owned(),
            }
        };
        let _ = writeln!(out, "  acknowledgement: {ack}");
        let mut order: Vec<usize> = (0..m.up.len()).collect();
        order.sort_by_key(|i| (std::cmp::Reverse(v.steps[*i].worst(&Dialect::all())), *i));
        for i in order {
            let _ = writeln!(out, "  #{} {}", i + 1, describe(&m.up[i]));
            for (ds, cl) in groups(&v.steps[i]) {
                let _ = writeln!(out, "     {}: {} {} — {}", label(&ds), p.class(cl.class), cl.code, cl.reason);
                if let (Some(alt), true) = (&cl.safer_alternative, cl.class > Class::Safe) {
                    let _ = writeln!(out, "       safer: {alt}");
                }
            }
        }
        for sql in &item.sql {
            for (direction, script) in [("up", &sql.up), ("down", &sql.down)] {
                let _ = writeln!(out, "  -- {} {direction}", sql.dialect.display_name());
                match script {
                    Ok(s) => {
                        for line in s.lines() {
                            let _ = writeln!(out, "  {line}");
                        }
                    }
                    Err(e) => {
                        let _ = writeln!(out, "  -- {e}");
                    }
                }
            }
        }
    }
    if let Some(d) = &review.diagram {
        let _ = write!(out, "\ntables touched (Mermaid):\n{d}");
    }
    out
}
