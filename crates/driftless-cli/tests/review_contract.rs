//! `migrate-review` of the two-file expand/contract form: a branch adds migration N (`orders.id` and
//! `items.order_id` to `bigint`) and its contract migration N+1. N's PostgreSQL SQL is the expand only (no swap, no
//! old column dropped) and N+1's is the contract with its locks, classified `contract_step` (review_required on
//! PostgreSQL: the short ACCESS EXCLUSIVE swap), naming the expand it contracts. The control: N reviewed without N+1
//! shows both phases, as before.

use std::process::ExitCode;

use driftless_core::define::*;
use driftless_core::migration::{Class, Migration};
use driftless_core::schema::{ColumnType, ReferentialAction, Table};
use driftless_write as write;

#[path = "common/review_repo.rs"]
mod review_repo;
use review_repo::Repo;

const INIT: &str = "m20261129_100000_init";
const WIDEN: &str = "m20261129_110000_orders_id_bigint";
const CONTRACT: &str = "m20261129_110001_contract_orders_id_bigint";

fn orders(ty: ColumnType) -> Table {
    table("orders").with_column(column("id", ty)).primary_key("orders_pkey", &["id"])
}

fn items(ty: ColumnType) -> Table {
    table("items")
        .with_column(column("id", ColumnType::BigInt))
        .with_column(column("order_id", ty))
        .primary_key("items_pkey", &["id"])
        .foreign_key(
            foreign_key("items_order_id_fkey", &["order_id"], "orders", &["id"]).on_delete(ReferentialAction::Cascade),
        )
}

fn init() -> Migration {
    Migration::new(INIT).up([create_table(orders(ColumnType::Integer)), create_table(items(ColumnType::Integer))])
}

fn widen() -> Migration {
    let id = |ty| column("id", ty);
    let order_id = |ty| column("order_id", ty);
    Migration::new(WIDEN)
        .class(Class::ReviewRequired)
        .up([
            alter_column("items", order_id(ColumnType::Integer), order_id(ColumnType::BigInt)),
            alter_column("orders", id(ColumnType::Integer), id(ColumnType::BigInt)),
        ])
        .down([
            alter_column("orders", id(ColumnType::BigInt), id(ColumnType::Integer)),
            alter_column("items", order_id(ColumnType::BigInt), order_id(ColumnType::Integer)),
        ])
}

fn contract_migration() -> Migration {
    Migration::new(CONTRACT).class(Class::ReviewRequired).up([contract(WIDEN)])
}

/// The text of a migration file (header comment, builder chain); the review reads the registry, not this code.
fn file_text(m: &Migration) -> String {
    let steps = |s: &[driftless_core::step::Step]| s.iter().map(write::codegen::step).collect::<Vec<_>>().join(", ");
    format!(
        "//! Generated.\n\nuse driftless::migration::prelude::*;\n\npub fn migration() -> Migration {{\n    \
         Migration::new({:?}).class(Class::{:?}).up([{}]).down([{}])\n}}\n",
        m.name,
        m.class,
        steps(&m.up),
        steps(&m.down)
    )
}

/// `migrate-review --base main --format text` on `registry` (its files alone in `migrations/`): (exit code, report).
fn review(repo: &Repo, registry: Vec<Migration>) -> (ExitCode, String) {
    let _ = std::fs::remove_dir_all(repo.root().join("migrations"));
    repo.write_migrations(&registry);
    repo.review(registry, &["--base", "main", "--format", "text"])
}

fn repo() -> Repo {
    let repo = Repo::init("2026-11-29T10:00:00Z", file_text);
    repo.write_migrations(&[init()]);
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

/// The part of `report` from the line naming `name` to the next migration's.
fn section<'a>(report: &'a str, name: &str, next: Option<&str>) -> &'a str {
    let start = report.find(name).unwrap_or_else(|| panic!("{name} in {report}"));
    let rest = &report[start..];
    match next.and_then(|n| rest[name.len()..].find(n)) {
        Some(end) => &rest[..name.len() + end],
        None => rest,
    }
}

#[test]
fn the_expand_is_reviewed_in_n_and_the_contract_in_its_contract_migration() {
    let repo = repo();
    let (code, report) = review(&repo, vec![init(), widen(), contract_migration()]);
    assert_eq!(code, ExitCode::SUCCESS, "{report}");
    let n = section(&report, WIDEN, Some(CONTRACT));
    let n1 = section(&report, CONTRACT, None);
    assert!(n.contains(r#"ADD COLUMN "id__driftless_new" bigint"#), "{n}");
    assert!(!n.contains(r#"DROP COLUMN "id""#) && !n.contains("RENAME COLUMN"), "the swap is not in N: {n}");
    assert!(n1.contains("contract_step"), "{n1}");
    assert!(n1.contains(&format!("contracts the expand of migration `{WIDEN}`")), "{n1}");
    assert!(n1.contains(r#"ALTER TABLE "orders" DROP COLUMN "id""#), "{n1}");
    assert!(n1.contains(r#"ALTER TABLE "items" VALIDATE CONSTRAINT "items_order_id_fkey""#), "{n1}");
    assert!(!n1.contains("ADD COLUMN"), "the expand is not in N+1: {n1}");
    insta::assert_snapshot!("review_contract_text", report);

    // The control: N alone (the single-file form) shows both phases.
    let (_, report) = review(&repo, vec![init(), widen()]);
    assert!(report.contains(r#"ALTER TABLE "orders" DROP COLUMN "id""#), "{report}");
}
