//! Classes are computed, never read from a label: on every backend, a generated dangerous migration whose label was
//! edited to `Safe` is refused and every row is still there; a hand-written drop (an `--empty` migration that
//! starts `Safe`) is refused; an honest but unacknowledged drop is refused with the file to edit; an acknowledgement
//! of zero-width characters is refused; a filled-in one runs.

mod common;

use common::*;
use driftless_core::classify::plan;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{Column, ColumnType, PrimaryKey, RenameHints, Schema, Table};
use driftless_core::step::Step;
use driftless_migrate::{Error, Problem};

const CREATE: &str = "m20260301T000000_create_accounts";
const DROP: &str = "m20260302T000000_drop_accounts";

fn accounts() -> Table {
    let mut t = Table::new("accounts");
    t.columns.push(Column::new("id", ColumnType::BigInt));
    t.columns.push(Column::new("owner", ColumnType::Varchar(100)));
    t.primary_key = Some(PrimaryKey { name: "accounts_pkey".into(), columns: vec!["id".into()] });
    t
}

fn create() -> Migration {
    Migration::new(CREATE).up([Step::CreateTable { table: accounts() }]).down([Step::DropTable { table: accounts() }])
}

/// The migration `migrate-generate` writes for dropping `accounts`: the differ's steps, its class, and the blank
/// acknowledgement the generator leaves for a reviewer.
fn generated_drop() -> Migration {
    let before = Schema { tables: vec![accounts()], enums: vec![] };
    let p = plan(&before, &Schema::empty(), &RenameHints::default()).unwrap();
    assert_eq!(p.class(), Class::Dangerous);
    Migration::new(DROP).class(p.class()).acknowledged("", "").up(p.up_steps()).down(p.down_steps())
}

async fn seeded(t: &Target) {
    t.migrator([create()]).migrate().await.unwrap();
    t.exec("INSERT INTO accounts (id, owner) VALUES (1, 'ana'), (2, 'bo'), (3, 'cy')").await;
}

async fn rows(t: &Target) -> Vec<String> {
    t.strings("SELECT owner FROM accounts ORDER BY id").await
}

async fn a_drop_relabelled_safe_is_refused(t: Target) {
    seeded(&t).await;
    // The attack: the label edited from Dangerous to Safe, the acknowledgement left blank.
    let tampered = generated_drop().class(Class::Safe);
    let err =
        t.migrator([create(), tampered.clone()]).migrations_dir("app/src/migrations").migrate().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to run migration {DROP} (app/src/migrations/{DROP}.rs): it is labelled `Class::Safe`, but its \
             steps are dangerous; the migrator judges the steps, not the label. Regenerate the migration, or correct \
             the label to `Class::Dangerous` and have a reviewer fill in its acknowledgement"
        )
    );
    assert!(matches!(err, Error::LabelDisagrees { declared: Class::Safe, computed: Class::Dangerous, .. }));
    assert_eq!(rows(&t).await, ["ana", "bo", "cy"]);
    // Even with the acknowledgement filled in, a lying label is refused: reviewers read it.
    let signed = tampered.acknowledged("ana", "accounts moved to the billing service");
    assert!(matches!(t.migrator([create(), signed]).up().await, Err(Error::LabelDisagrees { .. })));
    assert_eq!(rows(&t).await, ["ana", "bo", "cy"]);
    // migrate-status reports the label and the missing acknowledgement.
    let status = t.migrator([create(), generated_drop().class(Class::Safe)]).status().await.unwrap();
    assert_eq!(
        status.problems,
        [
            Problem::LabelDisagrees { name: DROP.into(), declared: Class::Safe, computed: Class::Dangerous },
            Problem::Unacknowledged { name: DROP.into(), codes: vec!["drop_table".into()] },
        ]
    );
    assert_eq!(
        status.problems[0].to_string(),
        format!("{DROP}: labelled safe in its file, but its steps are dangerous; the label is wrong (or was edited)")
    );
}
on_every_backend!(a_drop_relabelled_safe_is_refused);

async fn a_hand_written_drop_is_judged(t: Target) {
    seeded(&t).await;
    // `migrate-generate --empty` starts a migration as Safe; its author writes a drop into it.
    let hand_written = Migration::new(DROP).up([Step::DropTable { table: accounts() }]);
    assert!(matches!(
        t.migrator([create(), hand_written.clone()]).migrate().await,
        Err(Error::LabelDisagrees { declared: Class::Safe, computed: Class::Dangerous, .. })
    ));
    // Labelled honestly, it still needs the acknowledgement, and the refusal names the file to fill it in.
    let honest = hand_written.class(Class::Dangerous);
    let err = t.migrator([create(), honest.clone()]).migrations_dir("migrations").migrate().await.unwrap_err();
    let dialect = t.dialect.name();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to run migration {DROP} (migrations/{DROP}.rs): it is dangerous on {dialect} (drop_table: it \
             loses data) and has no acknowledgement; review it, then fill in the `.acknowledged(\"\", \"\")` in \
             migrations/{DROP}.rs with who reviewed it and why the data loss is fine (add the call if the file has \
             none)"
        )
    );
    assert_eq!(rows(&t).await, ["ana", "bo", "cy"]);
    // Signed off: it runs, and is recorded as dangerous.
    let signed = honest.acknowledged("ana", "accounts moved to the billing service");
    let report = t.migrator([create(), signed]).migrate().await.unwrap();
    assert_eq!(report.steps[0].class, Class::Dangerous);
    assert!(!t.has_table("accounts").await);
}
on_every_backend!(a_hand_written_drop_is_judged);

async fn an_invisible_acknowledgement_is_refused(t: Target) {
    seeded(&t).await;
    for (who, why) in [("\u{200B}", "moved"), ("ana", "\u{200B}\u{200D}\u{FEFF}"), ("\u{3000}", "\u{2060}\t")] {
        let m = generated_drop().acknowledged(who, why);
        assert!(
            matches!(t.migrator([create(), m]).migrate().await, Err(Error::Unacknowledged { .. })),
            "{who:?} / {why:?} was taken as an acknowledgement"
        );
        assert_eq!(rows(&t).await, ["ana", "bo", "cy"]);
    }
    let m = generated_drop().acknowledged("ana", "accounts moved to the billing service");
    assert_eq!(t.migrator([create(), m]).migrate().await.unwrap().applied(), [DROP]);
}
on_every_backend!(an_invisible_acknowledgement_is_refused);

async fn raw_sql_is_at_least_review_required(t: Target) {
    seeded(&t).await;
    let delete = || Migration::new(DROP).up([same("DELETE FROM accounts")]);
    assert!(matches!(
        t.migrator([create(), delete()]).migrate().await,
        Err(Error::LabelDisagrees { declared: Class::Safe, computed: Class::ReviewRequired, .. })
    ));
    // Declared dangerous by its author, it needs an acknowledgement like any dangerous step.
    let declared = delete().class(Class::Dangerous);
    let err = t.migrator([create(), declared.clone()]).migrate().await.unwrap_err();
    assert!(err.to_string().contains("(declared dangerous in its file)"), "{err}");
    assert_eq!(rows(&t).await, ["ana", "bo", "cy"]);
    let report = t.migrator([create(), declared.acknowledged("ana", "test data")]).migrate().await.unwrap();
    assert_eq!(report.steps[0].class, Class::Dangerous);
    assert_eq!(rows(&t).await, Vec::<String>::new());
}
on_every_backend!(raw_sql_is_at_least_review_required);
