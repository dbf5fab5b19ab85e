//! Steps written as JSON in a generated file: the shape the writer uses for big migrations (a first migration of
//! hundreds of tables, a `db-pull` baseline), because rustc compiles a string literal in no time and thousands of
//! builder expressions in seconds to minutes. Each string is one step in the canonical JSON the checksum is taken
//! over (the vocabulary of `schema.json`, see `docs/schema-json.md`).

use crate::step::Step;

/// The steps of one direction of migration `migration`, one JSON text per step, in order.
///
/// Never panics: a text that is not a valid step (a generated file edited by hand) becomes an
/// [`Step::Irreversible`] step whose reason names the migration, the direction and the step, so replaying,
/// judging and rendering the migration all refuse with that message, and an applied migration's checksum no
/// longer matches.
pub fn steps_from_json(migration: &str, direction: &str, steps: &[&str]) -> Vec<Step> {
    steps
        .iter()
        .enumerate()
        .map(|(i, text)| {
            serde_json::from_str(text).unwrap_or_else(|e| Step::Irreversible {
                reason: format!(
                    "step {} of `{direction}` in migration `{migration}` is not a valid step ({e}); the generated file \
                     was edited by hand: restore it from version control",
                    i + 1
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::define::{add_column, column, irreversible};
    use crate::schema::ColumnType;

    #[test]
    fn json_steps_read_back_and_a_broken_one_names_itself() {
        let step = add_column("users", column("tz", ColumnType::Text).nullable());
        let json = serde_json::to_string(&step).unwrap();
        assert_eq!(steps_from_json("m1", "up", &[&json]), vec![step]);
        let broken = steps_from_json("m20261122_000000_init", "down", &[&json, "{\"step\":\"drop_tabel\"}"]);
        let Step::Irreversible { reason } = &broken[1] else { panic!("{broken:?}") };
        assert!(
            reason.starts_with(
                "step 2 of `down` in migration `m20261122_000000_init` is not a valid step (unknown variant `drop_tabel`"
            ),
            "{reason}"
        );
        assert!(reason.ends_with("restore it from version control"), "{reason}");
        assert_ne!(broken[1], irreversible(""));
    }
}
