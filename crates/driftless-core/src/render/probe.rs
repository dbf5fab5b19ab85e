//! Data probes: cheap read-only queries the migrator runs before a step that can fail on the rows already in the
//! table, so that it refuses with counts and example keys before changing anything, instead of failing half-way.
//!
//! [`probes`] walks a migration's steps against the schema before them (the same replayed state the renderer uses)
//! and returns, per dialect, a count query and an examples query for each step that can fail on existing data:
//!
//! - `SET NOT NULL` without a backfill: rows where the column is NULL;
//! - a unique constraint or unique index: values that occur more than once (NULLs never conflict);
//! - a foreign key: rows whose key is not NULL and has no parent row (orphans);
//! - a narrowing type change: text longer than the new length, integers outside the new range, text that is not an
//!   integer when the column becomes one;
//! - an enum value removal: rows of every column of that enum holding a removed value.
//!
//! A probe is only written when it can be answered before the migration runs: the table and the columns it reads
//! exist, unchanged, in the schema before the migration, and no hand-written SQL comes earlier in the migration
//! (it may change the data the probe would read). Anything else is left to the database, as before.
//!
//! Every query returns text columns only (counts and keys cast to text), so the migrator reads any probe the same
//! way on every dialect.
//!
//! Architecture Invariant: like the rest of `render`, this never talks to a database.

use crate::dialect::Dialect;
use crate::replay::{ReplayOptions, apply_step_with};
use crate::schema::{Column, ColumnType, Schema, Table};
use crate::step::Step;

use super::spell;

/// How many example keys a probe fetches.
pub const PROBE_EXAMPLES: usize = 5;

/// What a probe looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProbeKind {
    /// NULLs in a column about to become NOT NULL.
    Nulls,
    /// Duplicate values for a unique constraint or index.
    Duplicates,
    /// Rows referencing a missing parent, for a foreign key.
    Orphans,
    /// Values that do not fit a narrower or different type, or an enum value about to be removed.
    DoNotFit,
}

/// One probe for one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The index of the step it guards.
    pub step: usize,
    /// The step's kind (`alter_column`, `add_unique`, ...).
    pub step_kind: &'static str,
    /// What it looks for.
    pub kind: ProbeKind,
    /// The table it reads.
    pub table: String,
    /// What a row it finds is, for people: `rows where tz is NULL`.
    pub finds: String,
    /// Why such rows make the step fail, and what to do.
    pub advice: String,
    /// What the examples are (`id`, or `email, rows` for duplicates).
    pub example_columns: Vec<String>,
    /// Returns one row, one text column: how many it finds.
    pub count_sql: String,
    /// Returns up to [`PROBE_EXAMPLES`] rows of text columns (`example_columns`), in a stable order.
    pub examples_sql: String,
}

/// The probes for `steps` on `dialect`, given the schema before them. Steps the replay cannot follow end the
/// walk (the renderer reports them); probes found up to there are returned.
pub fn probes(steps: &[Step], dialect: Dialect, before: &Schema) -> Vec<Probe> {
    let mut out = Vec::new();
    let mut state = before.clone();
    // Tables a backfill has written earlier in the steps: the rows a later step meets there are not the rows a
    // probe would read before the migration, so no probe speaks for them.
    let mut backfilled: Vec<&str> = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        if matches!(step, Step::RawSql { .. } | Step::Data { .. }) {
            break;
        }
        let w = Writer { d: dialect, before, state: &state, step: index, kind: step.kind() };
        let first = out.len();
        w.probe(step, &mut out);
        let referenced = match step {
            Step::AddForeignKey { foreign_key: fk, .. } | Step::AlterForeignKey { to: fk, .. } => {
                Some(fk.ref_table.as_str())
            }
            _ => None,
        };
        if step.table().into_iter().chain(referenced).any(|t| backfilled.contains(&t)) {
            out.truncate(first);
        }
        if let Step::Backfill { table, set, .. } = step
            && !set.is_empty()
        {
            backfilled.push(table);
        }
        if apply_step_with(&mut state, step, ReplayOptions::DATABASE).is_err() {
            break;
        }
    }
    out
}

struct Writer<'a> {
    d: Dialect,
    before: &'a Schema,
    state: &'a Schema,
    step: usize,
    kind: &'static str,
}

/// What a row-finding probe reports, for people.
struct Says {
    kind: ProbeKind,
    finds: String,
    advice: String,
}

impl Writer<'_> {
    fn id(&self, name: &str) -> String {
        spell::ident(self.d, name)
    }

    fn text(&self, expr: &str) -> String {
        match self.d {
            Dialect::Mysql => format!("CAST({expr} AS CHAR)"),
            _ => format!("CAST({expr} AS TEXT)"),
        }
    }

    /// The table as it was before the migration, when the step sees it unchanged in the columns `cols`.
    fn unchanged<'s>(&'s self, table: &str, cols: &[String]) -> Option<&'s Table> {
        let old = self.before.table(table)?;
        let now = self.state.table(table)?;
        let same = |c: &String| old.column(c).is_some() && old.column(c) == now.column(c);
        cols.iter().all(same).then_some(old)
    }

    /// The columns that name a row in examples: the primary key, or else `fallback`.
    fn key_columns(&self, table: &Table, fallback: &[String]) -> Vec<String> {
        match &table.primary_key {
            Some(pk) if !pk.columns.is_empty() && pk.columns.iter().all(|c| table.column(c).is_some()) => {
                pk.columns.clone()
            }
            _ => fallback.to_vec(),
        }
    }

    fn list(&self, alias: Option<&str>, cols: &[String]) -> String {
        cols.iter()
            .map(|c| match alias {
                Some(a) => format!("{}.{}", self.id(a), self.id(c)),
                None => self.id(c),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn count(&self, from_where: &str) -> String {
        format!("SELECT {} FROM {from_where}", self.text("COUNT(*)"))
    }

    /// A probe for rows of `table` matching `condition`, with their keys as examples.
    fn rows(&self, table: &Table, condition: &str, fallback_key: &[String], says: Says, out: &mut Vec<Probe>) {
        let mut keys = self.key_columns(table, fallback_key);
        if keys.is_empty() {
            keys.extend(table.columns.first().map(|c| c.name.clone()));
        }
        let from_where = format!("{} WHERE {condition}", self.id(&table.name));
        let shown = keys.iter().map(|k| self.text(&self.id(k))).collect::<Vec<_>>().join(", ");
        out.push(Probe {
            step: self.step,
            step_kind: self.kind,
            kind: says.kind,
            table: table.name.clone(),
            finds: says.finds,
            advice: says.advice,
            example_columns: keys.clone(),
            count_sql: self.count(&from_where),
            examples_sql: format!(
                "SELECT {shown} FROM {from_where} ORDER BY {} LIMIT {PROBE_EXAMPLES}",
                self.list(None, &keys)
            ),
        });
    }

    fn probe(&self, step: &Step, out: &mut Vec<Probe>) {
        match step {
            Step::AlterColumn { table, from, to, backfill } => self.alter_column(table, from, to, backfill, out),
            Step::AddColumn { table, column }
                if !column.nullable && column.default.is_none() && !column.auto_increment =>
            {
                let Some(old) = self.unchanged(table, &[]) else { return };
                let says = Says {
                    kind: ProbeKind::Nulls,
                    finds: format!("rows, which would have no value for the new NOT NULL column {}", column.name),
                    advice: format!(
                        "adding the column would fail on them (or, on MySQL, fill them with an implicit default); \
                         give the column a default, or add it nullable, fill it, then set NOT NULL \
                         (`alter_column_with_backfill(\"{table}\", ..., \"<sql value>\")`)"
                    ),
                };
                self.rows(old, "1 = 1", &[], says, out);
            }
            Step::SetPrimaryKey { table, to: Some(pk), .. } => {
                self.duplicates(table, &pk.columns, None, &format!("primary key {}", pk.name), out)
            }
            Step::AddUnique { table, unique } => {
                self.duplicates(table, &unique.columns, None, &format!("unique constraint {}", unique.name), out)
            }
            // A unique expression index gets no duplicates probe: its key is opaque SQL, not columns.
            Step::CreateIndex { table, index } if index.unique && index.expression.is_none() => self.duplicates(
                table,
                &index.columns,
                index.predicate.as_deref(),
                &format!("unique index {}", index.name),
                out,
            ),
            Step::AddForeignKey { table, foreign_key: fk } | Step::AlterForeignKey { table, to: fk, .. } => {
                self.orphans(table, &fk.name, &fk.columns, &fk.ref_table, &fk.ref_columns, out)
            }
            Step::AlterEnum { from, to, renamed_values } => {
                let removed: Vec<&String> = from
                    .values
                    .iter()
                    .filter(|v| !to.values.contains(v) && !renamed_values.iter().any(|(old, _)| old == *v))
                    .collect();
                if removed.is_empty() {
                    return;
                }
                let values = removed.iter().map(|v| spell::string(self.d, v)).collect::<Vec<_>>().join(", ");
                let names = removed.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
                for t in &self.state.tables {
                    for c in &t.columns {
                        if c.ty != ColumnType::Enum(from.name.clone()) {
                            continue;
                        }
                        let Some(old) = self.unchanged(&t.name, std::slice::from_ref(&c.name)) else { continue };
                        let says = Says {
                            kind: ProbeKind::DoNotFit,
                            finds: format!(
                                "rows where {} holds a removed value of enum {} ({names})",
                                c.name, from.name
                            ),
                            advice: "removing the value would fail on them; change those rows first (a data \
                                     migration), or keep the value"
                                .into(),
                        };
                        let condition = format!("{} IN ({values})", self.id(&c.name));
                        self.rows(old, &condition, std::slice::from_ref(&c.name), says, out);
                    }
                }
            }
            _ => {}
        }
    }

    fn alter_column(&self, table: &str, from: &Column, to: &Column, backfill: &Option<String>, out: &mut Vec<Probe>) {
        let name = std::slice::from_ref(&from.name);
        let Some(old) = self.unchanged(table, name) else { return };
        let col = self.id(&from.name);
        if from.nullable && !to.nullable && backfill.is_none() {
            let says = Says {
                kind: ProbeKind::Nulls,
                finds: format!("rows where {} is NULL", from.name),
                advice: format!(
                    "SET NOT NULL would fail on them; fill them first, or give the step a backfill value \
                     (`alter_column_with_backfill(\"{table}\", ..., \"<sql value>\")`)"
                ),
            };
            self.rows(old, &format!("{col} IS NULL"), name, says, out);
        }
        if let Some(condition) = self.does_not_fit(&col, &from.ty, &to.ty) {
            let says = Says {
                kind: ProbeKind::DoNotFit,
                finds: format!("rows where {} does not fit {}", from.name, to.ty),
                advice: format!(
                    "changing the type from {} to {} would fail on them or change them; fix those rows first, or \
                     keep the wider type",
                    from.ty, to.ty
                ),
            };
            self.rows(old, &condition, name, says, out);
        }
    }

    /// The condition on a value of type `from` that does not fit `to`, when the change can fail on data.
    fn does_not_fit(&self, col: &str, from: &ColumnType, to: &ColumnType) -> Option<String> {
        does_not_fit(self.d, col, from, to)
    }

    fn duplicates(&self, table: &str, cols: &[String], predicate: Option<&str>, what: &str, out: &mut Vec<Probe>) {
        let Some(old) = self.unchanged(table, cols) else { return };
        let t = self.id(&old.name);
        let mut condition =
            cols.iter().map(|c| format!("{} IS NOT NULL", self.id(c))).collect::<Vec<_>>().join(" AND ");
        if let Some(p) = predicate {
            condition = format!("{condition} AND ({p})");
        }
        let list = self.list(None, cols);
        let groups = format!("{t} WHERE {condition} GROUP BY {list} HAVING COUNT(*) > 1");
        let shown = cols.iter().map(|c| self.text(&self.id(c))).chain([self.text("COUNT(*)")]);
        out.push(Probe {
            step: self.step,
            step_kind: self.kind,
            kind: ProbeKind::Duplicates,
            table: old.name.clone(),
            finds: format!("values of ({}) that occur more than once", cols.join(", ")),
            advice: format!(
                "the {what} would fail on them; remove or change the duplicate rows first, or make the constraint \
                 cover more columns"
            ),
            example_columns: cols.iter().cloned().chain(["rows".to_owned()]).collect(),
            count_sql: self.count(&format!("(SELECT {list} FROM {groups}) {}", self.id("duplicates"))),
            examples_sql: format!(
                "SELECT {} FROM {groups} ORDER BY {list} LIMIT {PROBE_EXAMPLES}",
                shown.collect::<Vec<_>>().join(", ")
            ),
        });
    }

    fn orphans(
        &self,
        table: &str,
        name: &str,
        cols: &[String],
        parent: &str,
        parent_cols: &[String],
        out: &mut Vec<Probe>,
    ) {
        let Some(old) = self.unchanged(table, cols) else { return };
        if self.unchanged(parent, parent_cols).is_none() || cols.len() != parent_cols.len() {
            return;
        }
        let keys = self.key_columns(old, cols);
        out.push(self.orphan_probe(&old.name, name, cols, parent, parent_cols, &keys));
    }

    fn orphan_probe(
        &self,
        table: &str,
        name: &str,
        cols: &[String],
        parent: &str,
        parent_cols: &[String],
        keys: &[String],
    ) -> Probe {
        let (c, p) = ("c", "p");
        let not_null = cols.iter().map(|k| format!("{}.{} IS NOT NULL", self.id(c), self.id(k)));
        let matches = cols
            .iter()
            .zip(parent_cols)
            .map(|(k, r)| format!("{}.{} = {}.{}", self.id(p), self.id(r), self.id(c), self.id(k)))
            .collect::<Vec<_>>()
            .join(" AND ");
        let from_where = format!(
            "{} {} WHERE {} AND NOT EXISTS (SELECT 1 FROM {} {} WHERE {matches})",
            self.id(table),
            self.id(c),
            not_null.collect::<Vec<_>>().join(" AND "),
            self.id(parent),
            self.id(p),
        );
        let shown = keys.iter().map(|k| self.text(&format!("{}.{}", self.id(c), self.id(k))));
        Probe {
            step: self.step,
            step_kind: self.kind,
            kind: ProbeKind::Orphans,
            table: table.to_owned(),
            finds: format!("rows whose ({}) has no row in {parent}", cols.join(", ")),
            advice: format!(
                "the foreign key {name} would fail on them; delete those rows, set the column to NULL, or add the \
                 missing {parent} rows first"
            ),
            example_columns: keys.to_vec(),
            count_sql: self.count(&from_where),
            examples_sql: format!(
                "SELECT {} FROM {from_where} ORDER BY {} LIMIT {PROBE_EXAMPLES}",
                shown.collect::<Vec<_>>().join(", "),
                self.list(Some(c), keys)
            ),
        }
    }
}

/// Whether a probe guards the type change `from` → `to` on `d`: the values that would make the change fail are
/// found before it runs. `false` also when the change cannot fail on data.
pub fn probes_type_change(d: Dialect, from: &ColumnType, to: &ColumnType) -> bool {
    does_not_fit(d, "c", from, to).is_some()
}

/// The condition on a value of type `from` that does not fit `to`, when the change can fail on data.
fn does_not_fit(d: Dialect, col: &str, from: &ColumnType, to: &ColumnType) -> Option<String> {
    use ColumnType::{BigInt, Char, Integer, SmallInt, Text, Varchar};
    let textual = |t: &ColumnType| matches!(t, Text | Varchar(_) | Char(_));
    let length = |t: &ColumnType| match t {
        Varchar(n) | Char(n) => Some(*n),
        _ => None,
    };
    let range = |t: &ColumnType| match t {
        SmallInt => Some((i64::from(i16::MIN), i64::from(i16::MAX))),
        Integer => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        BigInt => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if textual(from) && textual(to) {
        let limit = length(to)?;
        if length(from).is_some_and(|n| n <= limit) {
            return None;
        }
        let len = match d {
            Dialect::Sqlite => "length",
            _ => "char_length",
        };
        return Some(format!("{len}({col}) > {limit}"));
    }
    if let (Some((lo, hi)), Some((from_lo, from_hi))) = (range(to), range(from)) {
        if lo <= from_lo && from_hi <= hi {
            return None;
        }
        return Some(format!("({col} < {lo} OR {col} > {hi})"));
    }
    if textual(from) && range(to).is_some() {
        return Some(match d {
            Dialect::Postgres => format!("{col} !~ '^\\s*[-+]?[0-9]+\\s*$'"),
            Dialect::Mysql => format!("{col} NOT REGEXP '^[[:space:]]*[-+]?[0-9]+[[:space:]]*$'"),
            // SQLite converts any text to a number without failing ('abc' becomes 0): a value that does not
            // read back the same was not an integer.
            Dialect::Sqlite => {
                format!("{col} IS NOT NULL AND CAST(CAST({col} AS INTEGER) AS TEXT) <> trim({col})")
            }
        });
    }
    // PostgreSQL rounds to the new scale and fails when the integer digits do not fit the precision; a numeric
    // becoming an integer is rounded, then checked against the range.
    let integer_digits = |t: &ColumnType| match t {
        SmallInt => Some(5),
        Integer => Some(10),
        BigInt => Some(19),
        ColumnType::Decimal { precision, scale } => Some(precision.saturating_sub(*scale)),
        _ => None,
    };
    if let (ColumnType::Decimal { precision, scale }, Some(had), Dialect::Postgres) = (to, integer_digits(from), d) {
        let room = precision.saturating_sub(*scale);
        if room >= had {
            return None;
        }
        return Some(format!("abs(round({col}::numeric, {scale})) >= 1e{room}"));
    }
    if let (ColumnType::Decimal { .. }, Some((lo, hi)), Dialect::Postgres) = (from, range(to), d) {
        return Some(format!("(round({col}) < {lo} OR round({col}) > {hi})"));
    }
    if textual(from) && *to == ColumnType::Uuid && d == Dialect::Postgres {
        // PostgreSQL's `uuid_in`: 32 hex digits, a hyphen allowed after any group of four, optionally in braces.
        let hex = "[0-9a-fA-F]{4}(-?[0-9a-fA-F]{4}){7}";
        return Some(format!("{col} !~ '^({hex}|\\{{{hex}\\}})$'"));
    }
    None
}

/// The orphan probe of foreign key `fk` on `table` (step `step` of kind `step_kind`), with `keys` (the table's
/// primary key, or the key's own columns) as the examples' columns: the query the migrator runs right before and
/// right after adding a foreign key online on MySQL, against the tables as they are then.
pub fn orphan_probe(
    dialect: Dialect,
    step: usize,
    step_kind: &'static str,
    table: &str,
    fk: &crate::schema::ForeignKey,
    keys: &[String],
) -> Probe {
    let empty = Schema::empty();
    let w = Writer { d: dialect, before: &empty, state: &empty, step, kind: step_kind };
    let keys = if keys.is_empty() { fk.columns.as_slice() } else { keys };
    w.orphan_probe(table, &fk.name, &fk.columns, &fk.ref_table, &fk.ref_columns, keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ForeignKey, PrimaryKey, ReferentialAction, UniqueConstraint};

    fn col(name: &str, ty: ColumnType, nullable: bool) -> Column {
        Column { nullable, ..Column::new(name, ty) }
    }

    fn users() -> Schema {
        let mut t = Table::new("users");
        t.columns.push(col("id", ColumnType::BigInt, false));
        t.columns.push(col("tz", ColumnType::Text, true));
        t.columns.push(col("team_id", ColumnType::BigInt, true));
        t.primary_key = Some(PrimaryKey { name: "users_pkey".into(), columns: vec!["id".into()] });
        let mut teams = Table::new("teams");
        teams.columns.push(col("id", ColumnType::BigInt, false));
        let mut s = Schema::empty();
        s.tables.push(teams);
        s.tables.push(t);
        s
    }

    fn set_not_null() -> Step {
        Step::AlterColumn {
            table: "users".into(),
            from: col("tz", ColumnType::Text, true),
            to: col("tz", ColumnType::Text, false),
            backfill: None,
        }
    }

    #[test]
    fn set_not_null_probes_for_nulls_with_the_primary_key_as_example() {
        let p = probes(&[set_not_null()], Dialect::Postgres, &users());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].kind, ProbeKind::Nulls);
        assert_eq!(p[0].count_sql, r#"SELECT CAST(COUNT(*) AS TEXT) FROM "users" WHERE "tz" IS NULL"#);
        assert_eq!(
            p[0].examples_sql,
            r#"SELECT CAST("id" AS TEXT) FROM "users" WHERE "tz" IS NULL ORDER BY "id" LIMIT 5"#
        );
        let m = probes(&[set_not_null()], Dialect::Mysql, &users());
        assert_eq!(m[0].count_sql, "SELECT CAST(COUNT(*) AS CHAR) FROM `users` WHERE `tz` IS NULL");
    }

    #[test]
    fn a_backfill_a_column_added_in_the_same_migration_or_earlier_raw_sql_needs_no_probe() {
        let Step::AlterColumn { table, from, to, .. } = set_not_null() else { unreachable!() };
        let with_backfill = Step::AlterColumn { table, from, to, backfill: Some("'UTC'".into()) };
        assert!(probes(&[with_backfill], Dialect::Sqlite, &users()).is_empty());
        let added = col("lang", ColumnType::Text, true);
        let steps = [
            Step::AddColumn { table: "users".into(), column: added.clone() },
            Step::AlterColumn {
                table: "users".into(),
                from: added.clone(),
                to: Column { nullable: false, ..added },
                backfill: None,
            },
        ];
        assert!(probes(&steps, Dialect::Sqlite, &users()).is_empty());
        let raw = Step::RawSql {
            sql: crate::step::DialectSql { default: Some("UPDATE users SET tz = 'UTC'".into()), ..Default::default() },
            effect: Some(crate::step::RawEffect::Nothing),
        };
        assert!(probes(&[raw, set_not_null()], Dialect::Sqlite, &users()).is_empty());
    }

    /// A backfill writes its table: a later step there meets rows no probe could read before the migration. A
    /// backfill that sets nothing, or one of another table, changes no probe.
    #[test]
    fn a_backfill_ends_the_probes_of_its_table() {
        use crate::define::backfill;
        let fill = backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL");
        assert!(probes(&[fill, set_not_null()], Dialect::Postgres, &users()).is_empty());
        assert_eq!(probes(&[backfill("users", &[]), set_not_null()], Dialect::Postgres, &users()).len(), 1);
        assert_eq!(probes(&[backfill("teams", &[("id", "id")]), set_not_null()], Dialect::Postgres, &users()).len(), 1);
    }

    #[test]
    fn unique_foreign_key_and_narrowing_probes() {
        let unique = Step::AddUnique {
            table: "users".into(),
            unique: UniqueConstraint { name: "users_tz_key".into(), columns: vec!["tz".into()] },
        };
        let fk = Step::AddForeignKey {
            table: "users".into(),
            foreign_key: ForeignKey {
                name: "users_team_id_fkey".into(),
                columns: vec!["team_id".into()],
                ref_table: "teams".into(),
                ref_columns: vec!["id".into()],
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
            },
        };
        let narrow = Step::AlterColumn {
            table: "users".into(),
            from: col("tz", ColumnType::Text, true),
            to: col("tz", ColumnType::Varchar(8), true),
            backfill: None,
        };
        let p = probes(&[unique, fk, narrow], Dialect::Sqlite, &users());
        assert_eq!(
            p.iter().map(|p| p.count_sql.as_str()).collect::<Vec<_>>(),
            [
                r#"SELECT CAST(COUNT(*) AS TEXT) FROM (SELECT "tz" FROM "users" WHERE "tz" IS NOT NULL GROUP BY "tz" HAVING COUNT(*) > 1) "duplicates""#,
                r#"SELECT CAST(COUNT(*) AS TEXT) FROM "users" "c" WHERE "c"."team_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "teams" "p" WHERE "p"."id" = "c"."team_id")"#,
                r#"SELECT CAST(COUNT(*) AS TEXT) FROM "users" WHERE length("tz") > 8"#,
            ]
        );
        assert_eq!(
            p[0].examples_sql,
            r#"SELECT CAST("tz" AS TEXT), CAST(COUNT(*) AS TEXT) FROM "users" WHERE "tz" IS NOT NULL GROUP BY "tz" HAVING COUNT(*) > 1 ORDER BY "tz" LIMIT 5"#
        );
        assert_eq!(p[2].finds, "rows where tz does not fit varchar(8)");
    }

    #[test]
    fn numeric_precision_and_numeric_to_integer_probes_on_postgres() {
        let money = |precision, scale| ColumnType::Decimal { precision, scale };
        let c = r#""c""#;
        assert_eq!(
            does_not_fit(Dialect::Postgres, c, &money(12, 2), &money(8, 2)).unwrap(),
            r#"abs(round("c"::numeric, 2)) >= 1e6"#
        );
        assert_eq!(
            does_not_fit(Dialect::Postgres, c, &ColumnType::Integer, &money(6, 2)).unwrap(),
            r#"abs(round("c"::numeric, 2)) >= 1e4"#
        );
        assert_eq!(
            does_not_fit(Dialect::Postgres, c, &money(20, 2), &ColumnType::Integer).unwrap(),
            r#"(round("c") < -2147483648 OR round("c") > 2147483647)"#
        );
        // Room enough: no probe (the change cannot fail); other dialects: none written.
        assert_eq!(does_not_fit(Dialect::Postgres, c, &money(8, 2), &money(12, 4)), None);
        assert_eq!(does_not_fit(Dialect::Postgres, c, &ColumnType::Integer, &money(12, 2)), None);
        assert_eq!(does_not_fit(Dialect::Mysql, c, &money(12, 2), &money(8, 2)), None);
    }

    #[test]
    fn a_not_null_column_without_a_default_probes_for_any_row() {
        let lang = col("lang", ColumnType::Text, false);
        let p = probes(&[Step::AddColumn { table: "users".into(), column: lang.clone() }], Dialect::Sqlite, &users());
        assert_eq!(p[0].count_sql, r#"SELECT CAST(COUNT(*) AS TEXT) FROM "users" WHERE 1 = 1"#);
        let nullable = Column { nullable: true, ..lang.clone() };
        assert!(
            probes(&[Step::AddColumn { table: "users".into(), column: nullable }], Dialect::Sqlite, &users())
                .is_empty()
        );
        let p = probes(&[Step::AddColumn { table: "teams".into(), column: lang }], Dialect::Postgres, &users());
        assert_eq!(p[0].examples_sql, r#"SELECT CAST("id" AS TEXT) FROM "teams" WHERE 1 = 1 ORDER BY "id" LIMIT 5"#);
    }
}
