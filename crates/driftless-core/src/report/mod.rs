//! Reports of a classified [`Plan`]: coloured text for the terminal, Markdown for a pull-request comment, JSON for
//! bots (format documented in `docs/report-json.md`).
//!
//! Every report is a pure function of the plan and the dialects asked for, so the same plan always gives the same
//! bytes; colour is a parameter (see [`color_from_env`]) rather than something read inside.
//!
//! Architecture Invariant: reports never decide anything; class, code and reason come from the classifier.

mod describe;
mod json;
mod markdown;
mod text;

pub use describe::describe;
pub use json::{JSON_FORMAT, json, json_value};
pub use markdown::{markdown, markdown_between};
pub use text::{text, text_between};

use crate::classify::{Class, Classification, PerDialect};
use crate::dialect::Dialect;

/// What [`text`] and [`markdown`] call the two sides of a plan: `migrate-generate` compares the models with the
/// snapshot.
pub const MODELS_AND_SNAPSHOT: &str = "the models and the snapshot";

/// Whether coloured output is wanted according to the environment: `NO_COLOR` set to a non-empty value turns it
/// off (<https://no-color.org>). Callers should also turn it off when the output is not a terminal.
pub fn color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The words used for a class in human reports.
pub(crate) fn class_words(c: Class) -> &'static str {
    match c {
        Class::Safe => "safe",
        Class::ReviewRequired => "review required",
        Class::Dangerous => "dangerous",
    }
}

/// Dialects whose classification is identical, grouped in dialect order: `(dialects, classification)`.
pub(crate) fn groups<'p>(
    per: &'p PerDialect<Classification>,
    dialects: &[Dialect],
) -> Vec<(Vec<Dialect>, &'p Classification)> {
    let mut out: Vec<(Vec<Dialect>, &Classification)> = Vec::new();
    for d in Dialect::all().into_iter().filter(|d| dialects.contains(d)) {
        let c = per.get(d);
        match out.iter_mut().find(|(_, g)| *g == c) {
            Some((ds, _)) => ds.push(d),
            None => out.push((vec![d], c)),
        }
    }
    out
}

/// `all` when the group is every dialect asked for (and more than one), else `SQLite, MySQL`.
pub(crate) fn dialect_label(group: &[Dialect], asked: &[Dialect]) -> String {
    if group.len() == asked.len() && asked.len() > 1 {
        "all".to_owned()
    } else {
        group.iter().map(|d| d.display_name()).collect::<Vec<_>>().join(", ")
    }
}
