//! Backfills: rows rewritten in batches, outside a transaction.

use super::super::Classification as C;
use super::q;

pub(super) fn backfill(
    table: &str,
    set: &[(String, String)],
    predicate: Option<&str>,
    batch_size: u32,
    is_new: bool,
) -> C {
    if set.is_empty() {
        return C::safe("backfill_nothing", format!("changes no rows of {}: nothing to undo", q(table)));
    }
    let columns = set.iter().map(|(c, _)| q(c)).collect::<Vec<_>>().join(", ");
    if is_new {
        return C::safe(
            "backfill_new_table",
            format!("fills {columns} of {}, created earlier in this migration: it holds no rows yet", q(table)),
        );
    }
    let rows = match predicate {
        Some(p) => format!("the rows of {} where `{p}`", q(table)),
        None => format!("every row of {}", q(table)),
    };
    let c = C::review(
        "backfill",
        format!(
            "rewrites {columns} in {rows}, in batches of {batch_size} rows each committed on its own outside a \
             transaction: not atomic (an interrupted run leaves the rows done so far changed, and resumes after the \
             last recorded key), and readers see old and new values side by side until it ends"
        ),
    );
    match predicate {
        Some(_) => c,
        None => c.or("add `.when(...)` with the condition of the rows that still need it, so that the backfill is \
                      idempotent and its count of rows to do is exact"),
    }
}

#[cfg(test)]
mod tests {
    use crate::Dialect;
    use crate::classify::classify_steps;
    use crate::define::{add_column, add_foreign_key, backfill, column, create_table, foreign_key, table};
    use crate::migration::Class;
    use crate::schema::{ColumnType, Schema};
    use crate::step::Step;

    fn users() -> crate::Table {
        table("users")
            .with_column(column("id", ColumnType::BigInt))
            .with_column(column("tz", ColumnType::Text).nullable())
            .primary_key("users_pkey", &["id"])
    }

    fn verdicts(steps: &[Step]) -> Vec<(Class, &'static str, String)> {
        let s = Schema { tables: vec![users()], enums: vec![] }.normalized();
        classify_steps(&s, steps)
            .into_iter()
            .map(|c| {
                let c = c.get(Dialect::Postgres).clone();
                (c.class, c.code, c.reason)
            })
            .collect()
    }

    #[test]
    fn a_backfill_of_existing_rows_needs_review_and_says_why() {
        let v = verdicts(&[backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL").batch_size(500)]);
        assert_eq!(
            v[0],
            (
                Class::ReviewRequired,
                "backfill",
                "rewrites `tz` in the rows of `users` where `tz IS NULL`, in batches of 500 rows each committed on \
                 its own outside a transaction: not atomic (an interrupted run leaves the rows done so far changed, \
                 and resumes after the last recorded key), and readers see old and new values side by side until it \
                 ends"
                    .to_owned()
            )
        );
        let s = Schema { tables: vec![users()], enums: vec![] };
        let every_row = classify_steps(&s, &[backfill("users", &[("tz", "'UTC'")])]);
        assert!(every_row[0].postgres.reason.contains("in every row of `users`"));
        assert!(every_row[0].postgres.safer_alternative.as_deref().unwrap().starts_with("add `.when(...)`"));
    }

    #[test]
    fn nothing_to_do_and_new_tables_are_safe() {
        let posts = table("posts")
            .with_column(column("id", ColumnType::BigInt))
            .with_column(column("title", ColumnType::Text).nullable())
            .primary_key("posts_pkey", &["id"]);
        let v = verdicts(&[backfill("users", &[]), create_table(posts), backfill("posts", &[("title", "'untitled'")])]);
        assert_eq!((v[0].0, v[0].1), (Class::Safe, "backfill_nothing"));
        assert_eq!((v[2].0, v[2].1), (Class::Safe, "backfill_new_table"));
    }

    /// A backfill writes the column: a foreign key on a column added NULL is no longer guaranteed to find only NULLs.
    #[test]
    fn a_backfill_forgets_what_the_plan_knew_about_its_columns() {
        let fk = foreign_key("users_boss_fkey", &["boss"], "users", &["id"]);
        let boss = add_column("users", column("boss", ColumnType::BigInt).nullable());
        let without = verdicts(&[boss.clone(), add_foreign_key("users", fk.clone())]);
        assert_eq!(without[1].1, "add_foreign_key_null_column");
        let with = verdicts(&[boss, backfill("users", &[("boss", "1")]), add_foreign_key("users", fk)]);
        assert_ne!(with[2].1, "add_foreign_key_null_column");
    }
}
