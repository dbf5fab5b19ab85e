// The keywords of `DefaultExpr` and `ReferentialAction`, written once for the schema model and the derive.
//
// driftless-core compiles this file as `schema::keywords`; driftless-macros `include!`s it into
// `internals::attr`, where its own enums of the same variants stand in for these two types. A proc-macro crate
// could depend on driftless-core instead, but then every build would compile driftless-core a second time for the
// host (with other features, and unoptimised in release builds), and the derive would wait for all of it. Sharing
// this one dependency-free file keeps the derive independent and the keywords in one place: a variant missing on
// either side is a compile error here.
//
// No inner attributes (`include!` refuses them), and `super` must name both types in either crate.

use super::{DefaultExpr, ReferentialAction};

/// The `default_expr` keywords: each expression's keyword (used in schema.json), and the aliases the attribute also
/// accepts, in the order error messages list them (aliases first).
pub(crate) const DEFAULT_EXPR_KEYWORDS: &[(DefaultExpr, &str, &[&str])] = &[
    (DefaultExpr::CurrentTimestamp, "current_timestamp", &["now"]),
    (DefaultExpr::CurrentDate, "current_date", &[]),
    (DefaultExpr::CurrentTime, "current_time", &[]),
    (DefaultExpr::GenRandomUuid, "gen_random_uuid", &["uuid"]),
];

/// The `on_delete` / `on_update` keywords, in the order error messages list them.
pub(crate) const REFERENTIAL_ACTION_KEYWORDS: &[(ReferentialAction, &str)] = &[
    (ReferentialAction::Cascade, "cascade"),
    (ReferentialAction::SetNull, "set_null"),
    (ReferentialAction::Restrict, "restrict"),
    (ReferentialAction::NoAction, "no_action"),
    (ReferentialAction::SetDefault, "set_default"),
];

/// Parses a `default_expr` keyword or alias, exactly as written.
pub(crate) fn default_expr_from_keyword(s: &str) -> Option<DefaultExpr> {
    DEFAULT_EXPR_KEYWORDS.iter().find(|(_, k, aliases)| *k == s || aliases.contains(&s)).map(|(e, ..)| *e)
}

/// Parses a referential action; case is ignored, and spaces and hyphens may stand for underscores (`"set null"`).
pub(crate) fn referential_action_from_keyword(s: &str) -> Option<ReferentialAction> {
    let norm: String =
        s.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c.to_ascii_lowercase() }).collect();
    REFERENTIAL_ACTION_KEYWORDS.iter().find(|(_, k)| *k == norm).map(|(a, _)| *a)
}

/// Every accepted `default_expr` spelling, for error messages: `` `now`, `current_timestamp`, ... ``.
#[allow(dead_code)] // Only the derive's messages list them.
pub(crate) fn default_expr_spellings() -> String {
    let all = DEFAULT_EXPR_KEYWORDS.iter().flat_map(|(_, k, aliases)| aliases.iter().chain([k]));
    all.map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

/// Every `on_delete` / `on_update` keyword, for error messages: `` `cascade`, `set_null`, ... ``.
#[allow(dead_code)] // Only the derive's messages list them.
pub(crate) fn referential_action_spellings() -> String {
    REFERENTIAL_ACTION_KEYWORDS.iter().map(|(_, k)| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each variant has exactly one row, so its keyword is defined and parses back; the matches are exhaustive, so
    /// a new variant does not compile until it is listed here (and then needs its row).
    #[test]
    fn every_variant_has_one_row_that_parses_back() {
        use DefaultExpr::*;
        for e in [CurrentTimestamp, CurrentDate, CurrentTime, GenRandomUuid] {
            match e {
                CurrentTimestamp | CurrentDate | CurrentTime | GenRandomUuid => {}
            }
            let rows: Vec<_> = DEFAULT_EXPR_KEYWORDS.iter().filter(|(x, ..)| *x == e).collect();
            assert_eq!(rows.len(), 1, "{e:?}");
            let (_, keyword, aliases) = rows[0];
            for k in aliases.iter().chain([keyword]) {
                assert_eq!(default_expr_from_keyword(k), Some(e));
            }
        }
        use ReferentialAction::*;
        for a in [NoAction, Restrict, Cascade, SetNull, SetDefault] {
            match a {
                NoAction | Restrict | Cascade | SetNull | SetDefault => {}
            }
            let rows: Vec<_> = REFERENTIAL_ACTION_KEYWORDS.iter().filter(|(x, _)| *x == a).collect();
            assert_eq!(rows.len(), 1, "{a:?}");
            assert_eq!(referential_action_from_keyword(rows[0].1), Some(a));
        }
        assert_eq!(referential_action_from_keyword(" Set-Null"), Some(SetNull));
        assert_eq!(referential_action_from_keyword("no action"), Some(NoAction));
        assert_eq!(default_expr_from_keyword("NOW"), None, "default_expr keywords are exact");
        assert_eq!(
            default_expr_spellings(),
            "`now`, `current_timestamp`, `current_date`, `current_time`, `uuid`, `gen_random_uuid`"
        );
        assert_eq!(referential_action_spellings(), "`cascade`, `set_null`, `restrict`, `no_action`, `set_default`");
    }
}
