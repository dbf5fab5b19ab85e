//! The contract step (`Step::Contract`): the second phase of an online PostgreSQL expand/contract, written by
//! `migrate-generate` as a migration of its own after the one that changes the types (which runs only the expand
//! there). On PostgreSQL it takes a short ACCESS EXCLUSIVE lock for the swap, so a reviewer picks when it ships;
//! elsewhere nothing runs (the type change ran in full in the earlier migration).

use super::{C, PG};
use crate::dialect::Dialect;

pub(super) fn contract_step(migration: &str, d: Dialect) -> C {
    if d == PG {
        return C::review(
            "contract_step",
            format!(
                "contracts the expand of migration `{migration}` (online PostgreSQL): one short transaction under \
                 lock_timeout takes ACCESS EXCLUSIVE on the swapped tables (and the tables whose foreign keys use the \
                 columns) for the swap: set NOT NULL without a scan, move the identity, drop the sync trigger and the \
                 old column, rename the new one, take the keys over USING INDEX, add the foreign keys back NOT \
                 VALID; then each foreign key is validated in its own transaction (SHARE UPDATE EXCLUSIVE, reads and \
                 writes go on). Nothing runs when there is no expand to contract (online off, or already \
                 contracted); when the expand has not run, it runs first. Reverting it changes nothing: the schema \
                 after `{migration}` already has the new type"
            ),
        );
    }
    C::safe(
        "contract_step",
        format!(
            "nothing runs on {}: the type change of migration `{migration}` ran in full there; this migration only \
             records the contract",
            d.name()
        ),
    )
}
