//! The contract migration `migrate-generate` writes after a migration whose type changes online PostgreSQL runs as
//! expand/contract (`driftless_migrate::contract_file`): migration N keeps the model change (frozen `alter_column`
//! steps) and runs only the expand there; migration N+1, `m<N's timestamp + 1 s>_contract_<N's name>`, holds one
//! `contract("<N>")` step and runs the contract. Both are registered; the snapshot is N's (N+1 changes no schema,
//! so it names no parent or snapshot hash: it cannot conflict with the next migration).

use driftless_core::Dialect;
use driftless_core::define::contract;
use driftless_core::render::locks::plan_locks;
use driftless_core::render::render_steps;
use driftless_core::schema::Schema;
use driftless_core::step::Step;
use driftless_migrate::expand_contract::{is_contract_marker, online_postgres_with};
use driftless_write::{self as write, HeaderChange, MigrationFile};

/// The contract migration of migration `n_name` (written now, at `timestamp`, from `up` against `before`): its
/// name and text. `None` when online PostgreSQL would not run `up` as expand/contract.
pub(crate) struct ContractFile {
    pub(crate) name: String,
    pub(crate) text: String,
}

/// The name of the contract migration of `name` (the user-given part of migration N's name), at the second after
/// `timestamp`.
pub(crate) fn contract_name(timestamp: &str, name: &str) -> anyhow::Result<String> {
    let next = write::next_timestamp(timestamp).map_err(|e| anyhow::anyhow!("{e}; nothing was written"))?;
    let short: String = format!("contract_{name}").chars().take(60).collect();
    Ok(write::migration_name(&next, short.trim_end_matches('_')))
}

/// The contract migration for N (`n_name`, written at `timestamp` with user-given `name`), when `up` runs as
/// expand/contract on online PostgreSQL against `before`.
pub(crate) fn contract_file(
    n_name: &str,
    timestamp: &str,
    name: &str,
    up: &[Step],
    before: &Schema,
    crate_path: &str,
) -> anyhow::Result<Option<ContractFile>> {
    if !driftless_migrate::contract_file::runs_expand_contract(up, before) {
        return Ok(None);
    }
    let full = contract_name(timestamp, name)?;
    let steps = [contract(n_name)];
    let classes = driftless_core::classify::classify_steps(before, &steps);
    let per = &classes[0];
    let class =
        Dialect::all().into_iter().map(|d| per.get(d).class).max().unwrap_or(driftless_core::migration::Class::Safe);
    let reason = Dialect::all()
        .into_iter()
        .map(|d| {
            let c = per.get(d);
            format!("{}: {} ({})", d.name(), c.reason, c.class)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let change = HeaderChange {
        class,
        code: per.get(Dialect::Postgres).code.to_owned(),
        summary: driftless_core::report::describe(&steps[0]),
        reason: format!("{reason}."),
    };
    let command = format!("cargo xtask migrate-generate --name {name}");
    let text = write::migration_file(&MigrationFile {
        name: &full,
        command: &command,
        parent: None,
        snapshot: None,
        class,
        changes: vec![change],
        up: &steps,
        down: &[],
        crate_path,
        locks: contract_locks(n_name, up, before),
    });
    let phases = [
        format!(
            "Contract of `{n_name}` (online PostgreSQL): what `{n_name}` expanded is swapped here. This file can be \
             held back to a later pull request: the migrator never runs a contract in the same run as its expand \
             unless `migrate --contract`."
        ),
        format!(
            "Against the database it finds: the shadow columns of `{n_name}` present, the contract; the columns \
             already of the new type and no shadow column (online off, or contracted already), nothing; the expand \
             not run, the expand then the contract."
        ),
        format!(
            "Down: nothing (the `down` is empty on purpose): the schema after `{n_name}` already has the new type. \
             Reverting `{n_name}` after it runs the reverse type change."
        ),
        "SQLite and MySQL/MariaDB: nothing runs; the type change ran in full in the earlier migration.".to_owned(),
    ];
    Ok(Some(ContractFile { name: full, text: write::with_header_section(&text, "Phases", &phases) }))
}

/// The "Phases" section of N's header, naming its contract migration `contract`.
pub(crate) fn expand_phases(contract: &str) -> Vec<String> {
    vec![
        format!(
            "Expand (contract in `{contract}`): on online PostgreSQL this migration runs the expand only (shadow \
             columns kept equal by triggers, batched backfills, NOT NULL through validated checks, indexes built \
             concurrently; writers keep running), is recorded applied, and the run stops after it; the next \
             `migrate` runs `{contract}` (`migrate --contract` runs both in one run)."
        ),
        format!(
            "Down: before `{contract}` is applied, the expand is abandoned (its shadow columns, triggers, checks and \
             indexes dropped); after, the reverse type change."
        ),
        "SQLite and MySQL/MariaDB run the type change in full here.".to_owned(),
    ]
}

/// The "Locks" lines of the contract migration: each statement of the contract phase (after the marker) of N's
/// online PostgreSQL plan, with its lock.
fn contract_locks(n_name: &str, up: &[Step], before: &Schema) -> Vec<String> {
    let Ok(plain) = render_steps(up, Dialect::Postgres, before) else { return Vec::new() };
    let plan = online_postgres_with(up, &plain, Some(before));
    let locks = plan_locks(Dialect::Postgres, up, &plan);
    let Some(marker) = plan.statements.iter().position(|s| is_contract_marker(&s.sql)) else { return Vec::new() };
    // One line per step of N, in the order the contract reaches it, its locks in order.
    let mut steps: Vec<(usize, Vec<String>)> = Vec::new();
    for (s, lock) in plan.statements.iter().zip(&locks).skip(marker + 1) {
        let text = format!("{}{}", lock.lock, if lock.online { ", online" } else { ", blocking" });
        let at = match steps.iter().position(|(k, _)| *k == s.step) {
            Some(at) => at,
            None => {
                steps.push((s.step, Vec::new()));
                steps.len() - 1
            }
        };
        if !steps[at].1.contains(&text) {
            steps[at].1.push(text);
        }
    }
    steps
        .into_iter()
        .map(|(k, locks)| {
            let what = up.get(k).map(driftless_core::report::describe).unwrap_or_default();
            format!("contract of `{n_name}` step {}, {what}: PostgreSQL {}", k + 1, locks.join(", then "))
        })
        .collect()
}
