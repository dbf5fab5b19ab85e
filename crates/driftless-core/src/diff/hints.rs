//! Rename hints resolved against the two schemas: which hints apply, which are stale (already applied by an earlier
//! migration) and which match nothing (an error naming the hint).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::schema::{RenameHints, Schema, Table};
use crate::step::Step;

use super::DiffError;

/// The hints that apply to this pair of schemas.
#[derive(Debug, Default)]
pub(crate) struct Resolved<'a> {
    /// Old table name → new table name.
    pub tables: BTreeMap<&'a str, &'a str>,
    /// New table name → (old column name → new column name).
    pub columns: BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>,
    /// Old enum name → new enum name.
    pub enums: BTreeMap<&'a str, &'a str>,
    /// Enum name (new) → (old value → new value).
    pub enum_values: BTreeMap<&'a str, BTreeMap<&'a str, &'a str>>,
    /// Hints that were already applied (the old schema has the new name and not the old one), as text.
    pub stale: Vec<String>,
    /// (New table name, new column name) → the SQL value its existing rows get when it becomes NOT NULL.
    pub backfills: BTreeMap<(&'a str, &'a str), &'a str>,
}

impl Resolved<'_> {
    /// The backfill value given for `table.column` (new names).
    pub fn backfill(&self, table: &str, column: &str) -> Option<&str> {
        self.backfills.get(&(table, column)).copied()
    }
}

fn table_hint(from: &str, to: &str) -> String {
    format!("table `{from}` -> `{to}`")
}

fn column_hint(table: &str, from: &str, to: &str) -> String {
    format!("column `{table}.{from}` -> `{to}`")
}

fn enum_rename_hint(from: &str, to: &str) -> String {
    format!("enum `{from}` -> `{to}`")
}

fn enum_hint(e: &str, from: &str, to: &str) -> String {
    format!("enum value `{e}.{from}` -> `{to}`")
}

/// The rename hints `step` carries out, spelled as in `Diff::stale_hints`: a table or column rename, or the value
/// renames of an enum change. With it a caller finds the migration that applied a stale hint.
pub fn hints_applied_by(step: &Step) -> Vec<String> {
    match step {
        Step::RenameTable { from, to } => vec![table_hint(from, to)],
        Step::RenameColumn { table, from, to } => vec![column_hint(table, from, to)],
        Step::RenameEnum { from, to } => vec![enum_rename_hint(from, to)],
        Step::AlterEnum { to, renamed_values, .. } => {
            renamed_values.iter().map(|(from, new)| enum_hint(&to.name, from, new)).collect()
        }
        _ => Vec::new(),
    }
}

pub(crate) fn resolve<'a>(
    old: &'a HashMap<&'a str, &'a Table>,
    new: &'a HashMap<&'a str, &'a Table>,
    old_schema: &'a Schema,
    new_schema: &'a Schema,
    hints: &'a RenameHints,
) -> Result<Resolved<'a>, DiffError> {
    let mut out = Resolved::default();

    // Tables.
    let mut seen_from = BTreeSet::new();
    let mut seen_to = BTreeSet::new();
    for h in &hints.tables {
        let (from, to) = (h.from.as_str(), h.to.as_str());
        if !seen_from.insert(from) {
            return Err(DiffError::ConflictingHints { detail: format!("two table hints rename table `{from}`") });
        }
        if !seen_to.insert(to) {
            return Err(DiffError::ConflictingHints { detail: format!("two table hints rename a table to `{to}`") });
        }
        if from == to {
            return Err(DiffError::UnmatchedHint {
                hint: table_hint(from, to),
                detail: "the old and new names are the same".into(),
            });
        }
        match (old.contains_key(from), new.contains_key(to), old.contains_key(to)) {
            (true, true, _) => {
                out.tables.insert(from, to);
            }
            (false, true, true) => out.stale.push(table_hint(from, to)),
            (false, _, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint: table_hint(from, to),
                    detail: format!("the old schema has no table `{from}`"),
                });
            }
            (true, false, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint: table_hint(from, to),
                    detail: format!("the new schema has no table `{to}`"),
                });
            }
        }
    }

    // A rename onto the name of an old table that is not itself renamed away would need that table (and its data)
    // dropped first, silently; as for columns below, driftless refuses and keeps that to two migrations.
    for (from, to) in &out.tables {
        if old.contains_key(to) && !out.tables.contains_key(to) {
            return Err(DiffError::Unsupported {
                table: (*to).to_owned(),
                column: None,
                detail: format!(
                    "table `{from}` is renamed to `{to}`, but the old schema still has a table `{to}` that would have \
                     to be dropped first; drop or rename `{to}` in one migration and rename `{from}` in the next"
                ),
            });
        }
    }

    // The old table each new table comes from, needed to resolve column hints (which name the new table).
    let renamed_away: BTreeSet<&str> = out.tables.keys().copied().collect();
    let pred_of = |new_name: &str| -> Option<&'a str> {
        if let Some((from, _)) = out.tables.iter().find(|(_, to)| **to == new_name) {
            return Some(*from);
        }
        old.get_key_value(new_name).map(|(k, _)| *k).filter(|k| !renamed_away.contains(k))
    };

    // Columns.
    let mut seen = BTreeSet::new();
    for h in &hints.columns {
        let (table, from, to) = (h.table.as_str(), h.from.as_str(), h.to.as_str());
        let hint = column_hint(table, from, to);
        if !seen.insert((table, "from", from)) {
            return Err(DiffError::ConflictingHints {
                detail: format!("two column hints rename column `{from}` of table `{table}`"),
            });
        }
        if !seen.insert((table, "to", to)) {
            return Err(DiffError::ConflictingHints {
                detail: format!("two column hints rename a column of table `{table}` to `{to}`"),
            });
        }
        if from == to {
            return Err(DiffError::UnmatchedHint { hint, detail: "the old and new names are the same".into() });
        }
        let Some(new_t) = new.get(table) else {
            return Err(DiffError::UnmatchedHint {
                hint,
                detail: format!("the new schema has no table `{table}` (a column hint names the table's new name)"),
            });
        };
        let Some(old_t) = pred_of(table).and_then(|p| old.get(p)) else {
            // A new table has no old data to carry over, so a hint whose new column exists is simply not needed
            // here (a model keeps `renamed_from` after its migration, and a schema can be generated from empty).
            // A hint naming a column the new table does not have is still a mistake.
            if new_t.column(to).is_some() && new_t.column(from).is_none() {
                out.stale.push(hint);
                continue;
            }
            return Err(DiffError::UnmatchedHint {
                hint,
                detail: format!("table `{table}` is new, so none of its columns can be renamed"),
            });
        };
        let (in_old_from, in_new_to, in_old_to) =
            (old_t.column(from).is_some(), new_t.column(to).is_some(), old_t.column(to).is_some());
        match (in_old_from, in_new_to, in_old_to) {
            (true, true, _) => {
                out.columns.entry(table).or_default().insert(from, to);
            }
            (false, true, true) => out.stale.push(hint),
            (false, _, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint,
                    detail: format!("table `{}` in the old schema has no column `{from}`", old_t.name),
                });
            }
            (true, false, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint,
                    detail: format!("table `{table}` in the new schema has no column `{to}`"),
                });
            }
        }
    }
    // A rename onto the name of an old column that is not itself renamed away would need that column dropped
    // first, in the middle of the renames; driftless keeps that to two migrations.
    for (table, renames) in &out.columns {
        let Some(old_t) = pred_of(table).and_then(|p| old.get(p)) else { continue };
        for (from, to) in renames {
            if old_t.column(to).is_some() && !renames.contains_key(to) {
                return Err(DiffError::Unsupported {
                    table: (*table).to_owned(),
                    column: Some((*to).to_owned()),
                    detail: format!(
                        "column `{from}` is renamed to `{to}`, but the table still has a column `{to}` that would \
                         have to be dropped first; drop or rename `{to}` in one migration and rename `{from}` in the \
                         next"
                    ),
                });
            }
        }
    }

    resolve_enum_renames(old_schema, new_schema, hints, &mut out)?;
    resolve_backfills(new, hints, &mut out)?;

    // Enum values (a hint names the enum's new name).
    let mut seen = BTreeSet::new();
    for h in &hints.enum_values {
        let (e, from, to) = (h.r#enum.as_str(), h.from.as_str(), h.to.as_str());
        let hint = enum_hint(e, from, to);
        if !seen.insert((e, "from", from)) || !seen.insert((e, "to", to)) {
            return Err(DiffError::ConflictingHints {
                detail: format!("two enum value hints of enum `{e}` rename the value `{from}` or to the value `{to}`"),
            });
        }
        let old_name = match out.enums.iter().find(|(_, to)| **to == e) {
            Some((from, _)) => Some(*from),
            None => Some(e).filter(|e| !out.enums.contains_key(e)),
        };
        let (Some(old_e), Some(new_e)) = (old_name.and_then(|n| old_schema.enum_type(n)), new_schema.enum_type(e))
        else {
            return Err(DiffError::UnmatchedHint {
                hint,
                detail: format!("enum `{e}` is not in both the old and the new schema"),
            });
        };
        let has = |vals: &[String], v: &str| vals.iter().any(|x| x == v);
        match (has(&old_e.values, from), has(&new_e.values, to), has(&old_e.values, to), has(&new_e.values, from)) {
            (true, true, false, false) => {
                out.enum_values.entry(e).or_default().insert(from, to);
            }
            (false, true, true, _) => out.stale.push(hint),
            (false, _, _, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint,
                    detail: format!("enum `{e}` in the old schema has no value `{from}`"),
                });
            }
            (true, false, _, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint,
                    detail: format!("enum `{e}` in the new schema has no value `{to}`"),
                });
            }
            (true, true, _, _) => {
                return Err(DiffError::UnmatchedHint {
                    hint,
                    detail: format!("enum `{e}` has both `{from}` and `{to}` on one side, so this is not a rename"),
                });
            }
        }
    }
    out.stale.sort();
    Ok(out)
}

/// Backfill values name the new table and column, which must exist; a column has one value. A value for a column
/// that needs none (it already exists NOT NULL) is not an error: the model keeps its attribute after the migration
/// that used it.
fn resolve_backfills<'a>(
    new: &'a HashMap<&'a str, &'a Table>,
    hints: &'a RenameHints,
    out: &mut Resolved<'a>,
) -> Result<(), DiffError> {
    for b in &hints.backfills {
        let (table, column, value) = (b.table.as_str(), b.column.as_str(), b.value.as_str());
        let bad =
            |detail: String| DiffError::BadBackfill { table: table.to_owned(), column: column.to_owned(), detail };
        let Some(t) = new.get(table) else {
            return Err(bad(format!("the new schema has no table `{table}`; name the table by its new name")));
        };
        if t.column(column).is_none() {
            return Err(bad(format!("table `{table}` has no column `{column}`; name the column by its new name")));
        }
        if value.trim().is_empty() {
            return Err(bad("the value is empty; give an SQL expression, for example 'UTC'".into()));
        }
        if let Some(other) = out.backfills.insert((table, column), value)
            && other != value
        {
            return Err(bad(format!("two values are given, `{other}` and `{value}`; keep one of them")));
        }
    }
    Ok(())
}

/// Enum type renames: like table renames, a hint applies when the old schema has the old name and the new schema the
/// new one, is stale when the old schema already has the new name instead, and is an error otherwise.
fn resolve_enum_renames<'a>(
    old_schema: &'a Schema,
    new_schema: &'a Schema,
    hints: &'a RenameHints,
    out: &mut Resolved<'a>,
) -> Result<(), DiffError> {
    let mut seen_from = BTreeSet::new();
    let mut seen_to = BTreeSet::new();
    for h in &hints.enums {
        let (from, to) = (h.from.as_str(), h.to.as_str());
        let hint = enum_rename_hint(from, to);
        if !seen_from.insert(from) {
            return Err(DiffError::ConflictingHints { detail: format!("two enum hints rename enum `{from}`") });
        }
        if !seen_to.insert(to) {
            return Err(DiffError::ConflictingHints { detail: format!("two enum hints rename an enum to `{to}`") });
        }
        if from == to {
            return Err(DiffError::UnmatchedHint { hint, detail: "the old and new names are the same".into() });
        }
        let has_old = |n: &str| old_schema.enum_type(n).is_some();
        match (has_old(from), new_schema.enum_type(to).is_some(), has_old(to)) {
            (true, true, _) => {
                out.enums.insert(from, to);
            }
            (false, true, true) => out.stale.push(hint),
            (false, _, _) => {
                return Err(DiffError::UnmatchedHint { hint, detail: format!("the old schema has no enum `{from}`") });
            }
            (true, false, _) => {
                return Err(DiffError::UnmatchedHint { hint, detail: format!("the new schema has no enum `{to}`") });
            }
        }
    }
    // A rename onto the name of an old enum that is not itself renamed away would need that type dropped first
    // (and every column using it with it); refused, as for tables.
    for (from, to) in &out.enums {
        if old_schema.enum_type(to).is_some() && !out.enums.contains_key(to) {
            return Err(DiffError::UnsupportedEnum {
                name: (*to).to_owned(),
                detail: format!(
                    "enum `{from}` is renamed to `{to}`, but the old schema still has an enum `{to}` that would have \
                     to be dropped first; drop or rename `{to}` in one migration and rename `{from}` in the next"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::define::{column, table};
    use crate::schema::{ColumnType, ModelDef, Schema, SchemaBuilder, Table};

    fn model(table: Table, renamed_from: Option<&str>, column_renames: &[(&str, &str)]) -> ModelDef {
        ModelDef {
            rust_name: "Model",
            table,
            enums: vec![],
            enum_renames: vec![],
            renamed_from: renamed_from.map(str::to_owned),
            column_renames: column_renames.iter().map(|(f, t)| ((*f).to_owned(), (*t).to_owned())).collect(),
            column_backfills: vec![],
        }
    }

    fn old() -> Schema {
        Schema {
            tables: vec![
                table("accounts").with_column(column("id", ColumnType::BigInt)),
                table("users")
                    .with_column(column("id", ColumnType::BigInt))
                    .with_column(column("email", ColumnType::Text))
                    .with_column(column("login", ColumnType::Text)),
            ],
            enums: vec![],
        }
        .normalized()
    }

    /// `renamed_from` onto a table the old schema still has would drop that table's data on the way; refused.
    #[test]
    fn a_table_renamed_onto_an_existing_table_is_refused() {
        let mut models = SchemaBuilder::new();
        models.model(model(
            table("accounts")
                .with_column(column("id", ColumnType::BigInt))
                .with_column(column("email", ColumnType::Text)),
            Some("users"),
            &[],
        ));
        let new = models.build().unwrap();
        let err = crate::diff::diff(&old(), &new, &models.rename_hints()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported change in table `accounts`: table `users` is renamed to `accounts`, but the old schema still \
             has a table `accounts` that would have to be dropped first; drop or rename `accounts` in one migration \
             and rename `users` in the next"
        );
    }

    /// The same for a column `renamed_from` onto a column the table still has.
    #[test]
    fn a_column_renamed_onto_an_existing_column_is_refused() {
        let mut models = SchemaBuilder::new();
        models.model(model(table("accounts").with_column(column("id", ColumnType::BigInt)), None, &[]));
        models.model(model(
            table("users").with_column(column("id", ColumnType::BigInt)).with_column(column("email", ColumnType::Text)),
            None,
            &[("login", "email")],
        ));
        let new = models.build().unwrap();
        let err = crate::diff::diff(&old(), &new, &models.rename_hints()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported change in table `users`, column `email`: column `login` is renamed to `email`, but the table \
             still has a column `email` that would have to be dropped first; drop or rename `email` in one migration \
             and rename `login` in the next"
        );
    }

    /// Once a rename hint has been applied, the next diff reports it stale in the very words `hints_applied_by`
    /// gives the step that applied it, so the CLI can name that migration.
    #[test]
    fn a_stale_hint_is_spelled_as_the_rename_step_that_applied_it() {
        let mut models = SchemaBuilder::new();
        models.model(model(
            table("members")
                .with_column(column("id", ColumnType::BigInt))
                .with_column(column("email", ColumnType::Text))
                .with_column(column("handle", ColumnType::Text)),
            Some("users"),
            &[("login", "handle")],
        ));
        let mut old = old();
        old.tables.retain(|t| t.name == "users");
        let new = models.build().unwrap();
        let hints = models.rename_hints();
        let diff = crate::diff::diff(&old, &new, &hints).unwrap();
        let mut applied: Vec<String> = diff.changes.iter().flat_map(|c| super::hints_applied_by(&c.step)).collect();
        applied.sort();
        assert_eq!(applied, ["column `members.login` -> `handle`", "table `users` -> `members`"]);
        let again = crate::diff::diff(&new, &new, &hints).unwrap();
        assert_eq!(again.stale_hints, applied);
    }

    fn with_status(enum_name: &str, values: &[&str]) -> Schema {
        Schema {
            tables: vec![
                table("users")
                    .with_column(column("id", ColumnType::BigInt))
                    .with_column(column("status", ColumnType::Enum(enum_name.into()))),
            ],
            enums: vec![crate::define::enum_type(enum_name, values)],
        }
        .normalized()
    }

    /// An enum rename runs first; the columns follow it without a step of their own, a value hint names the enum's
    /// new name, and once applied the hint is stale in the words `hints_applied_by` gives the step.
    #[test]
    fn an_enum_rename_carries_its_columns_and_value_hints() {
        use crate::schema::{EnumRename, EnumValueRename, RenameHints};
        use crate::step::Step;
        let old = with_status("user_status", &["active", "suspended"]);
        let new = with_status("account_status", &["active", "banned"]);
        let hints = RenameHints {
            enums: vec![EnumRename { from: "user_status".into(), to: "account_status".into() }],
            enum_values: vec![EnumValueRename {
                r#enum: "account_status".into(),
                from: "suspended".into(),
                to: "banned".into(),
            }],
            ..RenameHints::default()
        };
        let diff = crate::diff::diff(&old, &new, &hints).unwrap();
        let steps: Vec<Step> = diff.steps().cloned().collect();
        assert_eq!(
            steps,
            [
                crate::define::rename_enum("user_status", "account_status"),
                crate::define::alter_enum(
                    crate::define::enum_type("account_status", &["active", "suspended"]),
                    crate::define::enum_type("account_status", &["active", "banned"]),
                    &[("suspended", "banned")],
                ),
            ]
        );
        assert_eq!(crate::replay::apply_steps(&old, &steps).unwrap(), new);
        let down: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
        assert_eq!(crate::replay::apply_steps(&new, &down).unwrap(), old);
        let mut applied: Vec<String> = steps.iter().flat_map(super::hints_applied_by).collect();
        applied.sort();
        assert_eq!(
            applied,
            ["enum `user_status` -> `account_status`", "enum value `account_status.suspended` -> `banned`"]
        );
        assert_eq!(crate::diff::diff(&new, &new, &hints).unwrap().stale_hints, applied);
    }

    /// A hint naming an enum the old schema does not have is an error naming the hint.
    #[test]
    fn an_enum_rename_hint_matching_nothing_is_refused() {
        use crate::schema::{EnumRename, RenameHints};
        let old = with_status("user_status", &["active"]);
        let new = with_status("account_status", &["active"]);
        let hints = RenameHints {
            enums: vec![EnumRename { from: "status".into(), to: "account_status".into() }],
            ..RenameHints::default()
        };
        assert_eq!(
            crate::diff::diff(&old, &new, &hints).unwrap_err().to_string(),
            "rename hint enum `status` -> `account_status` matches nothing: the old schema has no enum `status`; fix \
             the names in the hint or remove it"
        );
    }

    /// The steps around an enum rename carry the new name whatever phase they run in: a dropped table and a dropped
    /// column that used the enum, an altered column, a new table. Up and down replay exactly.
    #[test]
    fn steps_around_an_enum_rename_replay_both_ways() {
        use crate::schema::{EnumRename, RenameHints};
        use crate::step::Step;
        let mood = |name: &str| ColumnType::Enum(name.into());
        let old = Schema {
            tables: vec![
                table("a")
                    .with_column(column("id", ColumnType::BigInt))
                    .with_column(column("m", mood("mood")))
                    .with_column(column("gone", mood("mood"))),
                table("b").with_column(column("m", mood("mood"))),
            ],
            enums: vec![crate::define::enum_type("mood", &["x", "y"])],
        }
        .normalized();
        let new = Schema {
            tables: vec![
                table("a")
                    .with_column(column("id", ColumnType::BigInt))
                    .with_column(column("m", mood("feeling")).nullable()),
                table("c").with_column(column("m", mood("feeling"))),
            ],
            enums: vec![crate::define::enum_type("feeling", &["x", "y", "z"])],
        }
        .normalized();
        let hints = RenameHints {
            enums: vec![EnumRename { from: "mood".into(), to: "feeling".into() }],
            ..RenameHints::default()
        };
        let steps: Vec<Step> = crate::diff::diff(&old, &new, &hints).unwrap().steps().cloned().collect();
        let kinds: Vec<&str> = steps.iter().map(Step::kind).collect();
        assert_eq!(kinds, ["rename_enum", "drop_table", "alter_enum", "alter_column", "create_table", "drop_column"]);
        assert_eq!(crate::replay::apply_steps(&old, &steps).unwrap(), new);
        let down: Vec<Step> = steps.iter().rev().map(Step::inverse).collect();
        assert_eq!(crate::replay::apply_steps(&new, &down).unwrap(), old);
    }
}
