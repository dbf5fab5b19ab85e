//! Deterministic names for constraints and indexes that fit every dialect's identifier limit.
//!
//! A generated name is `<table>_<columns joined by _>_<suffix>` (PostgreSQL's own convention). When that is longer
//! than [`MAX_IDENTIFIER_LEN`] bytes it is cut and given a hash of the full name, so two long names that share a
//! prefix still differ, and the same input always gives the same name.

use sha2::{Digest, Sha256};

/// The longest identifier every supported dialect accepts: PostgreSQL's 63 bytes (MySQL allows 64, SQLite has no
/// limit).
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// The name of a constraint or index on `table` over `columns`, with a suffix such as `pkey`, `key`, `fkey`, `idx`
/// or `check`.
pub fn constraint_name(table: &str, columns: &[&str], suffix: &str) -> String {
    let mut full = String::with_capacity(table.len() + suffix.len() + 16 * columns.len());
    full.push_str(table);
    for c in columns {
        full.push('_');
        full.push_str(c);
    }
    full.push('_');
    full.push_str(suffix);
    fit_identifier(&full)
}

/// Returns `name` unchanged if it fits [`MAX_IDENTIFIER_LEN`], otherwise a prefix of it plus `_` and the first
/// eight hex digits of its SHA-256, cut on a character boundary.
pub fn fit_identifier(name: &str) -> String {
    if name.len() <= MAX_IDENTIFIER_LEN {
        return name.to_owned();
    }
    let digest = Sha256::digest(name.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut cut = MAX_IDENTIFIER_LEN - hash.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}", &name[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(constraint_name("users", &["role_id"], "fkey"), "users_role_id_fkey");
        assert_eq!(constraint_name("post_tags", &["post_id", "tag_id"], "pkey"), "post_tags_post_id_tag_id_pkey");
    }

    #[test]
    fn long_names_fit_and_do_not_collide() {
        let a = constraint_name("a_very_long_table_name_for_testing_limits", &["first_long_column_name"], "idx");
        let b = constraint_name("a_very_long_table_name_for_testing_limits", &["first_long_column_namf"], "idx");
        assert_eq!(a.len(), MAX_IDENTIFIER_LEN);
        assert_eq!(b.len(), MAX_IDENTIFIER_LEN);
        assert_ne!(a, b);
        assert_eq!(a, constraint_name("a_very_long_table_name_for_testing_limits", &["first_long_column_name"], "idx"));
    }

    #[test]
    fn multibyte_names_are_cut_on_a_character_boundary() {
        let name = "é".repeat(40);
        let fitted = fit_identifier(&name);
        assert!(fitted.len() <= MAX_IDENTIFIER_LEN);
    }
}
