//! On MySQL/MariaDB, a column made NOT NULL on an existing table runs online through the shadow-table recipe
//! (`render::mysql_shadow`): the reason names it (shadow table, triggers, cut-over rename) instead of the in-place
//! rebuild, or says why the table gets the rebuild instead (no primary key, foreign keys to or from it: the
//! refusals the schema shows; a table with triggers of its own is refused by the migrator, which reads them).

use crate::render::mysql_shadow::shadow_candidate;
use crate::step::Step;

use super::q;
use crate::classify::{Classification as C, Context};

/// The words the column rules use for MySQL's in-place rebuild.
const REBUILD: &str = "MySQL rebuilds the table in place";

/// Why the schema rules the recipe out for `table`, if it does.
fn refusal(table: &str, ctx: &Context<'_>) -> Option<String> {
    let t = ctx.before.table(table)?;
    if t.primary_key.is_none() {
        return Some("the table has no primary key to copy it by".to_owned());
    }
    if let Some(fk) = t.foreign_keys.first() {
        return Some(format!(
            "the table has foreign key {} (the shadow table would need it under another name)",
            q(&fk.name)
        ));
    }
    let referencing =
        ctx.before.tables.iter().find(|o| o.name != table && o.foreign_keys.iter().any(|f| f.ref_table == table));
    referencing.map(|o| {
        format!(
            "table {} references it by a foreign key (the rename would leave it pointing at the old table)",
            q(&o.name)
        )
    })
}

/// The MySQL verdict of `step` with the recipe (or its refusal) in its reason.
pub(super) fn mysql_shadow_rule(step: &Step, base: C, ctx: &Context<'_>) -> C {
    let Some(table) = step.table() else { return base };
    if ctx.new_tables.contains(table) || !shadow_candidate(step) || !base.reason.contains(REBUILD) {
        return base;
    }
    let how = match refusal(table, ctx) {
        Some(why) => format!(
            "{REBUILD} (online, the shadow-table copy is refused: {why}); its final exclusive phase stalls writers"
        ),
        None => format!(
            "online, driftless copies {} through a shadow table instead of rebuilding it in place (pt-online-schema-change \
             style: triggers copy every write to `_{table}__driftless_new`, the rows are copied in primary-key chunks, \
             then a cut-over RENAME TABLE swaps it in, under lock_wait_timeout); a table with triggers of its own gets \
             the in-place rebuild",
            q(table)
        ),
    };
    let mut c = base;
    c.reason = c.reason.replace(REBUILD, &how);
    c
}
