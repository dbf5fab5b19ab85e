//! Online MySQL/MariaDB: the plain MySQL rendering of a migration with each statement that changes an existing
//! table carrying its algorithm and lock ([`online_mysql`]): `ALGORITHM=INSTANT|NOCOPY|INPLACE, LOCK=NONE` where
//! the server keeps writers running, and an explicit `ALGORITHM=COPY, LOCK=SHARED` where it can only copy the table
//! (the classifier says so: `mysql_table_copy`). The algorithm is the one decision `classify::mysql_algorithm`;
//! statements on a table created earlier in the same migration stay plain (no rows, no readers yet), as do
//! `CREATE TABLE`, `DROP TABLE`, `RENAME TABLE` and the `UPDATE`s of a backfill.
//!
//! `CREATE INDEX` takes the options after its column list (`… ALGORITHM=NOCOPY LOCK=NONE`); MariaDB 10.11 refuses
//! them on `DROP INDEX … ON …`, so a dropped index is written `ALTER TABLE … DROP INDEX …` instead.

use std::collections::BTreeSet;

use crate::classify::{MysqlAlgorithm, mysql_algorithm};
use crate::dialect::Dialect;
use crate::schema::Schema;
use crate::step::Step;

use super::{RenderedMigration, Statement};

/// The algorithm named by a statement's `ALGORITHM=` clause, if it has one.
pub fn clause_algorithm(sql: &str) -> Option<MysqlAlgorithm> {
    let upper = sql.to_ascii_uppercase();
    let at = upper.rfind("ALGORITHM=")? + "ALGORITHM=".len();
    let word: String = upper[at..].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    MysqlAlgorithm::parse(&word)
}

/// `sql` with its `ALGORITHM=` clause naming `algorithm` instead (for the migrator's fallback to a weaker online
/// algorithm; the `LOCK=` clause is kept).
pub fn with_algorithm(sql: &str, algorithm: MysqlAlgorithm) -> String {
    let upper = sql.to_ascii_uppercase();
    let Some(start) = upper.rfind("ALGORITHM=").map(|i| i + "ALGORITHM=".len()) else { return sql.to_owned() };
    let len = upper[start..].chars().take_while(|c| c.is_ascii_alphabetic()).count();
    format!("{}{}{}", &sql[..start], algorithm.as_str(), &sql[start + len..])
}

/// The foreign key an online statement adds, with its table: `sql` (rendered from `step`, an added or re-added
/// foreign key, or one dropped and added back around a type change by `mysql_fk_modify`) is `ALTER TABLE … ADD
/// CONSTRAINT … FOREIGN KEY …` with an online `ALGORITHM=` clause. The server accepts that only with
/// `foreign_key_checks=0`, which also skips the check of the existing rows, so the migrator runs it between two
/// orphan probes (`driftless-migrate`, `online_mysql_fk.rs`). The actions are left at their defaults when read
/// back from the statement (the probes need the columns only).
pub fn online_foreign_key(step: &Step, sql: &str) -> Option<(String, crate::schema::ForeignKey)> {
    let adds = sql.starts_with("ALTER TABLE ") && sql.contains(" ADD CONSTRAINT ") && sql.contains(" FOREIGN KEY ");
    if !adds || !clause_algorithm(sql).is_some_and(MysqlAlgorithm::is_online) {
        return None;
    }
    match step {
        Step::AddForeignKey { table, foreign_key } => Some((table.clone(), foreign_key.clone())),
        Step::AlterForeignKey { table, to, .. } => Some((table.clone(), to.clone())),
        Step::AlterColumn { .. } => added_foreign_key(sql),
        _ => None,
    }
}

/// A backquoted identifier at the start of `s`, and the rest.
fn ident_at(s: &str) -> Option<(String, &str)> {
    let mut rest = s.strip_prefix('`')?;
    let mut name = String::new();
    loop {
        let end = rest.find('`')?;
        name.push_str(&rest[..end]);
        rest = &rest[end + 1..];
        match rest.strip_prefix('`') {
            Some(more) => {
                name.push('`');
                rest = more;
            }
            None => return Some((name, rest)),
        }
    }
}

/// `(`a`, `b`)` at the start of `s`, and the rest.
fn idents_at(s: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = s.strip_prefix('(')?;
    let mut names = Vec::new();
    loop {
        let (name, more) = ident_at(rest)?;
        names.push(name);
        if let Some(more) = more.strip_prefix(", ") {
            rest = more;
        } else {
            return Some((names, more.strip_prefix(')')?));
        }
    }
}

/// The table and foreign key of `ALTER TABLE `t` ADD CONSTRAINT `n` FOREIGN KEY (…) REFERENCES `p` (…)…`, as
/// rendered here.
fn added_foreign_key(sql: &str) -> Option<(String, crate::schema::ForeignKey)> {
    let (table, rest) = ident_at(sql.strip_prefix("ALTER TABLE ")?)?;
    let (name, rest) = ident_at(rest.strip_prefix(" ADD CONSTRAINT ")?)?;
    let (columns, rest) = idents_at(rest.strip_prefix(" FOREIGN KEY ")?)?;
    let (ref_table, rest) = ident_at(rest.strip_prefix(" REFERENCES ")?)?;
    let (ref_columns, _) = idents_at(rest.strip_prefix(' ')?)?;
    let fk = crate::schema::ForeignKey {
        name,
        columns,
        ref_table,
        ref_columns,
        on_delete: Default::default(),
        on_update: Default::default(),
    };
    Some((table, fk))
}

/// The statement `sql` of `step` with its algorithm and lock, or unchanged when it takes none.
fn with_clause(step: &Step, sql: &str) -> String {
    let algorithm = |a: MysqlAlgorithm| (a, if a == MysqlAlgorithm::Copy { "SHARED" } else { "NONE" });
    if sql.starts_with("CREATE INDEX ") || sql.starts_with("CREATE UNIQUE INDEX ") {
        let (a, l) = algorithm(MysqlAlgorithm::Nocopy);
        return format!("{sql} ALGORITHM={a} LOCK={l}");
    }
    if let Some(rest) = sql.strip_prefix("DROP INDEX `")
        && let Some((index, table)) = rest.split_once("` ON `")
    {
        return format!("ALTER TABLE `{table} DROP INDEX `{index}`, ALGORITHM=NOCOPY, LOCK=NONE");
    }
    if !sql.starts_with("ALTER TABLE ") {
        return sql.to_owned();
    }
    let chosen = if sql.contains(" DROP FOREIGN KEY ") {
        Some(MysqlAlgorithm::Instant)
    } else if matches!(step, Step::AlterColumn { .. })
        && sql.contains(" ADD CONSTRAINT ")
        && sql.contains(" FOREIGN KEY ")
    {
        // A foreign key added back after a type change (`mysql_fk_modify`): the online foreign-key recipe.
        Some(MysqlAlgorithm::Inplace)
    } else if sql.contains(" DROP INDEX ") && !matches!(step, Step::SetPrimaryKey { .. }) {
        Some(MysqlAlgorithm::Nocopy)
    } else {
        mysql_algorithm(step)
    };
    match chosen {
        Some(a) => {
            let (a, l) = algorithm(a);
            format!("{sql}, ALGORITHM={a}, LOCK={l}")
        }
        None => sql.to_owned(),
    }
}

/// `plan` (the plain MySQL rendering of `steps`) with every statement that changes an existing table carrying its
/// `ALGORITHM` and `LOCK` clause; statements on tables created earlier in the same steps stay plain. Returns the
/// plan unchanged for other dialects.
pub fn online_mysql(steps: &[Step], plan: &RenderedMigration) -> RenderedMigration {
    online_mysql_with(steps, plan, None)
}

/// [`online_mysql`], knowing the schema `before` the steps: a column made NOT NULL goes through the shadow-table
/// recipe (`mysql_shadow`), except on a table the schema just before its step rules the recipe out for
/// (`mysql_shadow::shadow_refusal`), which gets the in-place `ALTER`, as the migrator then runs it. The migrator
/// renders this unless the recipe is turned off (`Migrator::mysql_shadow_table(false)`), then
/// [`online_mysql_in_place`].
pub fn online_mysql_with(steps: &[Step], plan: &RenderedMigration, before: Option<&Schema>) -> RenderedMigration {
    render(steps, plan, before, true)
}

/// [`online_mysql_with`] without the shadow-table recipe: a column made NOT NULL gets the in-place `ALTER`
/// (the migrator's default).
pub fn online_mysql_in_place(steps: &[Step], plan: &RenderedMigration) -> RenderedMigration {
    render(steps, plan, None, false)
}

fn render(steps: &[Step], plan: &RenderedMigration, before: Option<&Schema>, shadow: bool) -> RenderedMigration {
    if plan.dialect != Dialect::Mysql {
        return plan.clone();
    }
    let mut created: BTreeSet<&str> = BTreeSet::new();
    let mut statements = Vec::with_capacity(plan.statements.len());
    for (index, step) in steps.iter().enumerate() {
        let on_new = step.table().is_some_and(|t| created.contains(t));
        for s in plan.statements.iter().filter(|s| s.step == index) {
            let sql = if on_new {
                s.sql.clone()
            } else if shadow
                && let Some(shadow) = super::mysql_shadow::shadow_of(step, &s.sql)
                && before.is_none_or(|b| {
                    // The schema just before this step: a foreign key added earlier in the migration counts.
                    let at = crate::replay::apply_steps(b, &steps[..index]).ok();
                    super::mysql_shadow::shadow_refusal(&shadow.table, at.as_ref().unwrap_or(b)).is_none()
                })
            {
                // A column made NOT NULL: the shadow-table recipe instead of the in-place rebuild.
                shadow.sql()
            } else {
                with_clause(step, &s.sql)
            };
            statements.push(Statement { sql, ..s.clone() });
        }
        match step {
            Step::CreateTable { table } => {
                created.insert(&table.name);
            }
            Step::RenameTable { from, to } if created.contains(from.as_str()) => {
                created.insert(to);
            }
            _ => {}
        }
    }
    RenderedMigration { statements, ..plan.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::define::{add_column, column, create_index, index};
    use crate::render::render_steps;
    use crate::replay::apply_steps;
    use crate::schema::{ColumnType, Schema, Table};

    fn users() -> Table {
        let mut t = Table::new("users");
        t.columns.push(crate::schema::Column::new("id", ColumnType::BigInt));
        t.columns.push(crate::schema::Column {
            nullable: true,
            ..crate::schema::Column::new("email", ColumnType::Varchar(200))
        });
        t
    }

    #[test]
    fn clauses_are_written_and_read_back() {
        let before = apply_steps(&Schema::empty(), &[Step::CreateTable { table: users() }]).unwrap();
        let steps = [
            add_column("users", column("tz", ColumnType::Varchar(40)).nullable()),
            create_index("users", index("users_tz_idx", &["tz"])),
        ];
        let plan = online_mysql(&steps, &render_steps(&steps, Dialect::Mysql, &before).unwrap());
        let sql: Vec<&str> = plan.statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            [
                "ALTER TABLE `users` ADD COLUMN `tz` VARCHAR(40), ALGORITHM=INSTANT, LOCK=NONE",
                "CREATE INDEX `users_tz_idx` ON `users` (`tz`) ALGORITHM=NOCOPY LOCK=NONE",
            ]
        );
        assert_eq!(clause_algorithm(sql[1]), Some(MysqlAlgorithm::Nocopy));
        assert_eq!(
            with_algorithm(sql[0], MysqlAlgorithm::Nocopy),
            "ALTER TABLE `users` ADD COLUMN `tz` VARCHAR(40), ALGORITHM=NOCOPY, LOCK=NONE"
        );
        let drop = [Step::DropIndex { table: "users".into(), index: index("users_tz_idx", &["tz"]) }];
        let after = apply_steps(&before, &steps).unwrap();
        let plan = online_mysql(&drop, &render_steps(&drop, Dialect::Mysql, &after).unwrap());
        assert_eq!(
            plan.statements[0].sql,
            "ALTER TABLE `users` DROP INDEX `users_tz_idx`, ALGORITHM=NOCOPY, LOCK=NONE"
        );
        // On a table created in the same steps: plain.
        let fresh = [Step::CreateTable { table: users() }, create_index("users", index("users_email_idx", &["email"]))];
        let plan = online_mysql(&fresh, &render_steps(&fresh, Dialect::Mysql, &Schema::empty()).unwrap());
        assert!(plan.statements.iter().all(|s| !s.sql.contains("ALGORITHM")), "{plan:?}");
    }

    #[test]
    fn a_foreign_key_added_back_is_read_from_its_statement() {
        let sql = "ALTER TABLE `a``b` ADD CONSTRAINT `fk` FOREIGN KEY (`x`, `y`) REFERENCES `p` (`i`, `j`) ON DELETE \
                   CASCADE, ALGORITHM=INPLACE, LOCK=NONE";
        let (table, fk) = added_foreign_key(sql).unwrap();
        assert_eq!((table.as_str(), fk.name.as_str(), fk.ref_table.as_str()), ("a`b", "fk", "p"));
        assert_eq!(
            (fk.columns, fk.ref_columns),
            (vec!["x".to_owned(), "y".to_owned()], vec!["i".to_owned(), "j".to_owned()])
        );
        assert_eq!(added_foreign_key("ALTER TABLE `t` ADD CONSTRAINT `fk` FOREIGN KEY (`x` REFERENCES"), None);
    }
}
