//! Validating a schema most of whose tables are known to be valid: what `migrate-generate` does with the committed
//! snapshot, which is the models' schema (validated when it was built) but for the table or two that changed.
//!
//! [`validate_knowing`] runs every check of [`Schema::validate`] in the same order, and so reports the same problems
//! in the same order, but skips the per-table checks of the tables `known` says come from a schema that validated.
//! Those checks cannot find anything there: apart from the foreign keys, each one reads only its table and the
//! schema's enums, which are the validated schema's own (the caller's promise), and a foreign key is only skipped when
//! the table it references is known too, so it resolves to the very table it resolved to in the validated schema.
//! The checks over the whole schema (unique, folded and shared names; the enums) always run.

use crate::hash::FastMap as HashMap;

use super::validate::{
    check_auto_increment, check_columns, check_creatable_names, check_enums, check_folded_names,
    check_folded_table_names, check_foreign_keys, check_global_relation_names, check_identifiers, check_index_prefixes,
    check_key_columns_exist, check_primary_key, check_table_constraint_names, check_unique_table_names,
};
use super::{Schema, SchemaErrors, Table};

/// [`Schema::validate`] of `schema`, skipping what cannot fail for the tables `known` picks. `known` may only pick
/// tables of one schema that validated without a problem and has `schema`'s enums (a table is picked by its value:
/// the one of that name in that schema). With `|_| false`, it is [`Schema::validate`].
pub(crate) fn validate_knowing(schema: &Schema, known: impl Fn(&Table) -> bool) -> Result<(), SchemaErrors> {
    let mut errs = Vec::new();
    check_unique_table_names(schema, &mut errs);
    check_folded_table_names(schema, &mut errs);
    check_enums(schema, &mut errs);
    check_global_relation_names(schema, &mut errs);
    // Looked up once per foreign key: a map keeps validation linear in the number of tables.
    let by_name: HashMap<&str, &Table> = schema.tables.iter().map(|t| (t.name.as_str(), t)).collect();
    for t in &schema.tables {
        if known(t) {
            // Its foreign keys resolve as they did in the validated schema only if their targets are known too.
            let targets_known =
                t.foreign_keys.iter().all(|f| by_name.get(f.ref_table.as_str()).is_some_and(|target| known(target)));
            if !targets_known {
                check_foreign_keys(&by_name, t, &mut errs);
            }
            continue;
        }
        check_identifiers(t, &mut errs);
        check_creatable_names(t, &mut errs);
        check_folded_names(t, &mut errs);
        check_columns(schema, t, &mut errs);
        check_primary_key(t, &mut errs);
        check_auto_increment(t, &mut errs);
        check_key_columns_exist(t, &mut errs);
        check_index_prefixes(t, &mut errs);
        check_table_constraint_names(t, &mut errs);
        check_foreign_keys(&by_name, t, &mut errs);
    }
    if errs.is_empty() { Ok(()) } else { Err(SchemaErrors(errs)) }
}
