//! The review as a pull-request comment. It starts with [`super::MARKER`] so a CI job can find and update its own
//! comment; blockers come first in a GitHub `[!CAUTION]` alert, then one section per migration (dangerous first)
//! with its changes, acknowledgement and SQL folded per dialect, then branch conflicts and the ER diagram.

use std::fmt::Write as _;

use driftless_core::classify::Class;
use driftless_core::dialect::Dialect;
use driftless_core::report::describe;

use super::{Item, MARKER, Review, class_variant, class_words, dialect_list, groups, label};

fn icon(c: Class) -> &'static str {
    match c {
        Class::Safe => "✅",
        Class::ReviewRequired => "⚠️",
        Class::Dangerous => "⛔",
    }
}

fn badge(c: Class) -> String {
    format!("{} {}", icon(c), class_words(c))
}

/// Escapes text for a Markdown table cell or a one-line sentence.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// GitHub refuses a comment longer than 65,536 characters; the review stays under it with room to spare.
pub(crate) const COMMENT_LIMIT: usize = 60_000;

/// What the Markdown shows; parts are left out, largest first, when the comment would be too long.
#[derive(Clone, Copy)]
struct Parts {
    sql: bool,
    diagram: bool,
}

/// The Markdown review. Deterministic for a given repository state. When it would exceed [`COMMENT_LIMIT`]
/// characters, the SQL and then the diagram are left out, with a note saying how to see them.
pub(crate) fn render(review: &Review) -> String {
    for parts in [Parts { sql: true, diagram: true }, Parts { sql: false, diagram: true }] {
        let out = render_parts(review, parts);
        if out.chars().count() <= COMMENT_LIMIT {
            return out;
        }
    }
    render_parts(review, Parts { sql: false, diagram: false })
}

fn render_parts(review: &Review, parts: Parts) -> String {
    let mut out = format!("{MARKER}\n");
    let blockers = review.blockers();
    let warnings = review.warnings();
    let verdict = if blockers.is_empty() { "✅ nothing blocks" } else { "⛔ blocked" };
    let _ = writeln!(out, "## driftless: migration review — {verdict}\n");
    let short = review.commit.get(..12).unwrap_or(&review.commit);
    if review.items.is_empty() {
        let _ = writeln!(
            out,
            "No migration was added or changed since `{}` (merge base `{short}`).\n",
            cell(&review.base_ref)
        );
    } else {
        let _ = writeln!(
            out,
            "{} added or changed since `{}` (merge base `{short}`): {} dangerous, {} review required, {} safe.\n",
            plural(review.items.len(), "migration"),
            cell(&review.base_ref),
            review.count(Class::Dangerous),
            review.count(Class::ReviewRequired),
            review.count(Class::Safe),
        );
    }
    if !blockers.is_empty() {
        out.push_str("> [!CAUTION]\n> **Blocking — this check fails until these are fixed:**\n>\n");
        for b in &blockers {
            let _ = writeln!(out, "> - {}", cell(b));
        }
        out.push('\n');
    }
    if !warnings.is_empty() {
        out.push_str("> [!WARNING]\n");
        for w in &warnings {
            let _ = writeln!(out, "> - {}", cell(w));
        }
        out.push('\n');
    }
    if !review.items.is_empty() {
        summary_table(review, &mut out);
    }
    if !parts.sql && !review.items.is_empty() {
        out.push_str(
            "*The SQL is left out to keep this comment under GitHub's size limit: `cargo xtask migrate-sql NAME \
             --dialect sqlite|postgres|mysql [--down]` prints it.*\n\n",
        );
    }
    for item in &review.items {
        section(item, parts.sql, &mut out);
    }
    if !review.conflicts.is_empty() {
        out.push_str("### ⛔ Branch conflicts\n\n");
        for c in &review.conflicts {
            let _ = writeln!(out, "- {}.\n  Fix: {}.", cell(&c.to_string()), cell(&c.fix()));
        }
        out.push('\n');
    }
    if let (Some(_), false) = (&review.diagram, parts.diagram) {
        out.push_str("*The ER diagram is left out to keep this comment under GitHub's size limit.*\n");
    }
    if let (Some(diagram), true) = (&review.diagram, parts.diagram) {
        out.push_str(
            "### Tables touched\n\nAs they are after these migrations; columns marked added, dropped, changed or \
             renamed.\n\n```mermaid\n",
        );
        out.push_str(diagram);
        out.push_str("```\n");
    }
    out
}

fn summary_table(review: &Review, out: &mut String) {
    out.push_str("| migration | file | SQLite | PostgreSQL | MySQL | label | acknowledgement |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for item in &review.items {
        let classes: Vec<String> = match &item.verdict {
            Ok(v) => Dialect::all().into_iter().map(|d| badge(v.class_for(d))).collect(),
            Err(_) => vec!["⛔ cannot be judged".to_owned(); 3],
        };
        let label = match item.label_disagreement() {
            Some((declared, computed)) => {
                format!("⛔ **says `{declared}`, is `{computed}`**")
            }
            None => format!("`{}`", item.migration.class),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {label} | {} |",
            item.migration.name,
            item.status.as_str(),
            classes.join(" | "),
            acknowledgement_cell(item)
        );
    }
    out.push('\n');
}

fn acknowledgement_cell(item: &Item) -> String {
    match (&item.migration.acknowledgement, item.migration.is_acknowledged()) {
        (Some(a), true) => format!("✅ {}", cell(&a.reviewed_by)),
        _ if item.acknowledgement_missing() => "⛔ **MISSING**".to_owned(),
        _ => "not needed".to_owned(),
    }
}

fn section(item: &Item, with_sql: bool, out: &mut String) {
    let m = &item.migration;
    let worst = item.worst();
    let what = if item.verdict.is_ok() { class_words(worst) } else { "cannot be judged" };
    let _ = writeln!(out, "### {} `{}` — {what}\n", icon(worst), m.name);
    let _ = writeln!(out, "`{}` ({}).\n", item.path, item.status.as_str());
    let verdict = match &item.verdict {
        Ok(v) => v,
        Err(e) => {
            let _ = writeln!(out, "> [!CAUTION]\n> **Cannot be judged:** {}\n", cell(&e.to_string()));
            return;
        }
    };
    if item.acknowledgement_missing() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Acknowledgement MISSING.** This migration is dangerous on {}; the migrator refuses \
             it until a reviewer fills in `.acknowledged(\"who\", \"why losing the data is fine\")` in `{}`.\n",
            dialect_list(&item.dangerous_on()),
            item.path
        );
    } else if let (Some(a), true) = (&m.acknowledgement, m.is_acknowledged()) {
        let _ = writeln!(out, "**Acknowledged** by {}: {}\n", cell(&a.reviewed_by), cell(&a.reason));
    } else {
        out.push_str("**Acknowledgement:** not needed (not dangerous on any dialect).\n\n");
    }
    if let Some((declared, computed)) = item.label_disagreement() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **Label disagrees.** The file says `.class(Class::{})`, but its steps are `{computed}`: \
             a label may raise a migration's class, never lower it, and the migrator refuses this one. Change it \
             to `.class(Class::{})`.\n",
            class_variant(declared),
            class_variant(computed)
        );
    }
    if verdict.label_agrees() && verdict.declared > verdict.steps_worst() {
        let _ = writeln!(
            out,
            "**Label raises it.** The file declares `{}`, above its steps (`{}`): it is treated as `{}`.\n",
            verdict.declared,
            verdict.steps_worst(),
            verdict.worst()
        );
    }
    if item.status == super::Status::Edited {
        out.push_str(
            "> [!WARNING]\n> **Edited after it was on the base branch.** Databases that applied it refuse to migrate \
             (checksum mismatch).\n\n",
        );
    }

    let classes: Vec<String> = Dialect::all()
        .into_iter()
        .map(|d| format!("{} {}", d.display_name(), class_words(verdict.class_for(d))))
        .collect();
    let _ = writeln!(out, "Computed class: {}.\n", classes.join(", "));
    if m.up.is_empty() {
        out.push_str("No `up` steps.\n\n");
    } else {
        out.push_str("| # | change | dialects | class | code | reason |\n|---:|---|---|---|---|---|\n");
        let mut order: Vec<usize> = (0..m.up.len()).collect();
        order.sort_by_key(|i| (std::cmp::Reverse(verdict.steps[*i].worst(&Dialect::all())), *i));
        let mut alternatives = Vec::new();
        for i in order {
            for (k, (ds, cl)) in groups(&verdict.steps[i]).into_iter().enumerate() {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | `{}` | {} |",
                    if k == 0 { (i + 1).to_string() } else { String::new() },
                    if k == 0 { cell(&describe(&m.up[i])) } else { "〃".to_owned() },
                    label(&ds),
                    badge(cl.class),
                    cl.code,
                    cell(&cl.reason)
                );
                if let (Some(alt), true) = (&cl.safer_alternative, cl.class > Class::Safe) {
                    alternatives.push(format!("- #{} ({}): {}", i + 1, label(&ds), cell(alt)));
                }
            }
        }
        if !alternatives.is_empty() {
            out.push_str("\n**Safer alternatives.**\n\n");
            for a in alternatives {
                let _ = writeln!(out, "{a}");
            }
        }
        out.push('\n');
    }
    for sql in item.sql.iter().filter(|_| with_sql) {
        let _ = writeln!(out, "<details><summary>SQL on {}</summary>\n", sql.dialect.display_name());
        for (direction, script) in [("up", &sql.up), ("down", &sql.down)] {
            match script {
                Ok(s) if s.is_empty() => {
                    let _ = writeln!(out, "**{direction}**: no statements.\n");
                }
                Ok(s) => {
                    let fence = if s.contains("```") { "~~~~" } else { "```" };
                    let _ = writeln!(out, "**{direction}**\n\n{fence}sql\n{}{fence}\n", s);
                }
                Err(e) => {
                    let _ = writeln!(out, "**{direction}**: {}\n", cell(e));
                }
            }
        }
        out.push_str("</details>\n\n");
    }
}

#[cfg(test)]
mod tests {
    use driftless_core::define::*;
    use driftless_core::judge::judge;
    use driftless_core::migration::Migration;
    use driftless_core::schema::{ColumnType, Schema};

    use super::*;
    use crate::review::{Status, mermaid, sql};

    /// A review of one migration creating a table with `columns` columns.
    fn review(columns: usize) -> Review {
        let mut t = table("wide").with_column(column("id", ColumnType::BigInt)).primary_key("wide_pkey", &["id"]);
        for i in 0..columns {
            t = t.with_column(column(&format!("attribute_number_{i:04}"), ColumnType::Varchar(200)).nullable());
        }
        let m = Migration::new("m20261122_100000_wide").up([create_table(t.clone())]).down([drop_table(t.clone())]);
        let empty = Schema::empty();
        let after = Schema { tables: vec![t], enums: vec![] };
        let item = Item {
            path: format!("migrations/{}.rs", m.name),
            status: Status::Added,
            verdict: Ok(judge(&empty, &m)),
            sql: Dialect::all().into_iter().map(|d| sql(std::slice::from_ref(&m), 0, Some(&empty), d, true)).collect(),
            migration: m.clone(),
        };
        Review {
            base_ref: "main".into(),
            commit: "0123456789abcdef".into(),
            items: vec![item],
            removed: vec![],
            conflicts: vec![],
            diagram: mermaid::diagram(&empty, &after, &m.up.iter().collect::<Vec<_>>()),
            fail_on: None,
        }
    }

    #[test]
    fn a_small_review_keeps_its_sql_and_diagram() {
        let md = render(&review(3));
        assert!(md.contains("<details><summary>SQL on PostgreSQL</summary>"), "{md}");
        assert!(md.contains("```mermaid\nerDiagram\n    wide {\n        i64 id PK \"added\"\n"), "{md}");
        assert!(!md.contains("left out"), "{md}");
    }

    #[test]
    fn a_review_too_long_for_a_comment_leaves_out_the_sql_then_the_diagram() {
        let md = render(&review(700));
        assert!(md.chars().count() <= COMMENT_LIMIT, "{}", md.len());
        assert!(!md.contains("<details>"));
        assert!(md.contains("*The SQL is left out to keep this comment under GitHub's size limit"));
        assert!(md.contains("```mermaid\n"));
        let md = render(&review(2000));
        assert!(md.chars().count() <= COMMENT_LIMIT, "{}", md.len());
        assert!(!md.contains("```mermaid"));
        assert!(md.contains("*The ER diagram is left out to keep this comment under GitHub's size limit.*\n"));
    }
}
