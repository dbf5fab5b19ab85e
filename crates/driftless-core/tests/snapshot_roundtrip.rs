//! schema.json is lossless and canonical: for generated schemas, writing then reading gives the same schema, the
//! text does not depend on the order tables, enums and constraints were listed in, and reading then writing gives
//! the same bytes. (Column order is kept on purpose, for readable CREATE TABLEs; the differ ignores it.)

use std::path::Path;

use driftless_core::schema::Schema;
use driftless_core::snapshot;
use driftless_core::testing::schema;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn write_then_read_is_lossless(s in schema()) {
        let text = snapshot::to_string(&s);
        let back = snapshot::from_str(&text, Path::new("generated.json")).unwrap();
        prop_assert_eq!(&back, &s.clone().normalized());
        prop_assert_eq!(snapshot::to_string(&back), text);
    }

    #[test]
    fn text_and_hash_ignore_listing_order(s in schema()) {
        let reordered = reorder(&s);
        prop_assert_eq!(snapshot::to_string(&reordered), snapshot::to_string(&s));
        prop_assert_eq!(snapshot::hash(&reordered), snapshot::hash(&s));
    }
}

/// Every list but the columns in reverse order.
fn reorder(s: &Schema) -> Schema {
    let mut r = s.clone();
    r.tables.reverse();
    r.enums.reverse();
    for t in &mut r.tables {
        t.indexes.reverse();
        t.uniques.reverse();
        t.foreign_keys.reverse();
        t.checks.reverse();
    }
    r
}
