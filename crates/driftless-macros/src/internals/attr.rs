//! Parsing `#[model(...)]` into plain structs, one per place an attribute can appear (struct, field, enum,
//! variant), with private fields read through getters.
//!
//! Parsing never stops at the first problem: an unknown key, a duplicate or a value of the wrong type is recorded
//! in the [`Ctxt`] with the offending token's span, the value is skipped, and parsing goes on with the next key.
//! Rules that involve more than one key (`on_delete` without `references`, `skip` with anything else, ...) are not
//! checked here but in `check`.

use proc_macro2::{Span, TokenTree};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitStr, Token, UnOp};

use super::Ctxt;
use super::symbol::*;

/// A value together with the span of the key that set it, so later checks can point at the attribute.
#[derive(Clone)]
pub struct WithSpan<T> {
    pub value: T,
    pub span: Span,
}

/// One setting that may be given at most once; the second occurrence is reported as a duplicate.
struct Attr<'c, T> {
    cx: &'c Ctxt,
    name: Symbol,
    value: Option<WithSpan<T>>,
}

impl<'c, T> Attr<'c, T> {
    fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        Attr { cx, name, value: None }
    }

    fn set(&mut self, span: Span, value: T) {
        if self.value.is_some() {
            self.cx.error_at(span, format!("duplicate model attribute `{}`", self.name));
        } else {
            self.value = Some(WithSpan { value, span });
        }
    }

    fn set_opt(&mut self, span: Span, value: Option<T>) {
        if let Some(value) = value {
            self.set(span, value);
        }
    }

    fn get(self) -> Option<WithSpan<T>> {
        self.value
    }
}

/// A flag such as `primary_key`: present or not, given at most once.
struct BoolAttr<'c>(Attr<'c, ()>);

impl<'c> BoolAttr<'c> {
    fn none(cx: &'c Ctxt, name: Symbol) -> Self {
        BoolAttr(Attr::none(cx, name))
    }

    /// Records the flag; a value after it (`primary_key = true`) is reported and skipped.
    fn parse(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let name = self.0.name;
        if has_value(meta) {
            self.0.cx.error_spanned_by(
                &meta.path,
                format!("model attribute `{name}` takes no value; write `{name}` on its own"),
            );
            skip_value(meta)?;
        }
        self.0.set(meta.path.span(), ());
        Ok(())
    }

    fn get(self) -> Option<Span> {
        self.0.get().map(|v| v.span)
    }
}

/// A default literal: `default = true`, `default = -1`, `default = 2.5`, `default = "draft"`.
#[derive(Clone, Debug, PartialEq)]
pub enum DefaultLit {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// `ON DELETE` / `ON UPDATE` actions, spelled as in `driftless_core::schema::ReferentialAction`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)] // The names mirror `ReferentialAction`'s variants, which the generated code spells.
pub enum Action {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl Action {
    /// The keywords `ReferentialAction::from_keyword` accepts (spaces and hyphens may replace underscores).
    fn from_keyword(s: &str) -> Option<Self> {
        keywords::referential_action_from_keyword(s)
    }

    /// The `ReferentialAction` variant name.
    pub fn variant(self) -> &'static str {
        match self {
            Action::NoAction => "NoAction",
            Action::Restrict => "Restrict",
            Action::Cascade => "Cascade",
            Action::SetNull => "SetNull",
            Action::SetDefault => "SetDefault",
        }
    }
}

/// The portable default expressions, spelled as `driftless_core::schema::DefaultExpr::from_keyword` accepts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultExprKw {
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    GenRandomUuid,
}

impl DefaultExprKw {
    fn from_keyword(s: &str) -> Option<Self> {
        keywords::default_expr_from_keyword(s)
    }

    /// The `DefaultExpr` variant name.
    pub fn variant(self) -> &'static str {
        match self {
            DefaultExprKw::CurrentTimestamp => "CurrentTimestamp",
            DefaultExprKw::CurrentDate => "CurrentDate",
            DefaultExprKw::CurrentTime => "CurrentTime",
            DefaultExprKw::GenRandomUuid => "GenRandomUuid",
        }
    }
}

// The keyword tables, written once in driftless-core and included here, with this crate's enums standing in for
// `ReferentialAction` and `DefaultExpr` (the file says why it is shared this way).
use {Action as ReferentialAction, DefaultExprKw as DefaultExpr};

mod keywords {
    include!("../../../driftless-core/src/schema/keywords.rs");
}

/// `references = "table.column"`.
#[derive(Clone, Debug)]
pub struct Reference {
    pub table: String,
    pub column: String,
}

/// A container-level `index(...)` or `unique(...)`.
pub struct KeyAttr {
    /// The listed columns, as written (for spans in errors).
    pub columns: Vec<LitStr>,
    /// `unique` inside `index(...)`.
    pub unique: bool,
    pub name: Option<String>,
    pub predicate: Option<String>,
    /// `prefix(column = length, ...)` inside `index(...)`: prefix lengths of some listed columns (MySQL/MariaDB).
    pub prefixes: Vec<(String, u32)>,
    /// `expression = "lower(email)"` inside `index(...)`: an index over one SQL expression instead of `columns`.
    pub expression: Option<String>,
}

/// A container-level `check(...)`.
pub struct CheckAttr {
    pub span: Span,
    pub name: Option<String>,
    pub expr: String,
}

/// `#[model(...)]` on a struct.
pub struct Container {
    table: Option<WithSpan<String>>,
    renamed_from: Option<WithSpan<String>>,
    indexes: Vec<KeyAttr>,
    uniques: Vec<KeyAttr>,
    checks: Vec<CheckAttr>,
    comment: Option<WithSpan<String>>,
    crate_path: Option<syn::Path>,
    unlisted: bool,
}

impl Container {
    pub fn from_ast(cx: &Ctxt, item: &syn::DeriveInput) -> Self {
        let mut table = Attr::none(cx, TABLE);
        let mut renamed_from = Attr::none(cx, RENAMED_FROM);
        let mut comment = Attr::none(cx, COMMENT);
        let mut crate_path = Attr::none(cx, CRATE);
        let mut unlisted = BoolAttr::none(cx, UNLISTED);
        let mut indexes = Vec::new();
        let mut uniques = Vec::new();
        let mut checks = Vec::new();

        for_each_model_meta(cx, &item.attrs, |meta| {
            let span = meta.path.span();
            if meta.path == TABLE {
                table.set_opt(span, name_string(cx, TABLE, &meta, "table = \"users\"")?);
            } else if meta.path == RENAMED_FROM {
                renamed_from.set_opt(span, name_string(cx, RENAMED_FROM, &meta, "renamed_from = \"old_name\"")?);
            } else if meta.path == COMMENT {
                comment.set_opt(span, any_string(cx, COMMENT, &meta, "comment = \"...\"")?.map(|s| s.value()));
            } else if meta.path == CRATE {
                let path = any_string(cx, CRATE, &meta, "crate = \"::driftless\"")?;
                if let Some(lit) = path {
                    match lit.parse::<syn::Path>() {
                        Ok(path) => crate_path.set(span, path),
                        Err(_) => cx.error_spanned_by(&lit, format!("`{}` is not a path", lit.value())),
                    }
                }
            } else if meta.path == UNLISTED {
                unlisted.parse(&meta)?;
            } else if meta.path == INDEX {
                if let Some(index) = parse_key(cx, &meta, INDEX)? {
                    indexes.push(index);
                }
            } else if meta.path == UNIQUE {
                if let Some(unique) = parse_key(cx, &meta, UNIQUE)? {
                    uniques.push(unique);
                }
            } else if meta.path == CHECK {
                if let Some(check) = parse_check(cx, &meta)? {
                    checks.push(check);
                }
            } else {
                let key = path_text(&meta.path);
                let hint = if FIELD_ONLY.iter().any(|s| meta.path == *s) {
                    format!("; `{key}` goes on a field")
                } else {
                    String::new()
                };
                cx.error_spanned_by(&meta.path, format!("unknown model container attribute `{key}`{hint}"));
                skip_value(&meta)?;
            }
            Ok(())
        });

        Container {
            table: table.get(),
            renamed_from: renamed_from.get(),
            indexes,
            uniques,
            checks,
            comment: comment.get(),
            crate_path: crate_path.get().map(|p| p.value),
            unlisted: unlisted.get().is_some(),
        }
    }

    /// `unlisted`: the struct is deliberately left out of `schema![...]`, so the derive does not register it.
    pub fn unlisted(&self) -> bool {
        self.unlisted
    }

    pub fn table(&self) -> Option<&WithSpan<String>> {
        self.table.as_ref()
    }

    pub fn renamed_from(&self) -> Option<&WithSpan<String>> {
        self.renamed_from.as_ref()
    }

    pub fn indexes(&self) -> &[KeyAttr] {
        &self.indexes
    }

    pub fn uniques(&self) -> &[KeyAttr] {
        &self.uniques
    }

    pub fn checks(&self) -> &[CheckAttr] {
        &self.checks
    }

    pub fn comment(&self) -> Option<&WithSpan<String>> {
        self.comment.as_ref()
    }

    pub fn crate_path(&self) -> Option<&syn::Path> {
        self.crate_path.as_ref()
    }
}

/// Keys that only make sense on a field, named in the hint when they appear on the struct.
const FIELD_ONLY: &[Symbol] = &[
    PRIMARY_KEY,
    AUTO_INCREMENT,
    DEFAULT,
    DEFAULT_SQL,
    DEFAULT_EXPR,
    MAX_LENGTH,
    PRECISION,
    SCALE,
    COLUMN,
    REFERENCES,
    ON_DELETE,
    ON_UPDATE,
    SKIP,
    SQL_TYPE,
    BACKFILL,
];

/// `#[model(...)]` on a field.
pub struct Field {
    column: Option<WithSpan<String>>,
    primary_key: Option<Span>,
    auto_increment: Option<Span>,
    unique: Option<Span>,
    index: Option<Span>,
    default: Option<WithSpan<DefaultLit>>,
    default_sql: Option<WithSpan<String>>,
    default_expr: Option<WithSpan<DefaultExprKw>>,
    max_length: Option<WithSpan<u32>>,
    precision: Option<WithSpan<u32>>,
    scale: Option<WithSpan<u32>>,
    references: Option<WithSpan<Reference>>,
    on_delete: Option<WithSpan<Action>>,
    on_update: Option<WithSpan<Action>>,
    renamed_from: Option<WithSpan<String>>,
    skip: Option<Span>,
    sql_type: Option<WithSpan<String>>,
    backfill: Option<WithSpan<String>>,
    comment: Option<WithSpan<String>>,
    given: Vec<(Symbol, Span)>,
}

impl Field {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Self {
        let mut column = Attr::none(cx, COLUMN);
        let mut primary_key = BoolAttr::none(cx, PRIMARY_KEY);
        let mut auto_increment = BoolAttr::none(cx, AUTO_INCREMENT);
        let mut unique = BoolAttr::none(cx, UNIQUE);
        let mut index = BoolAttr::none(cx, INDEX);
        let mut default = Attr::none(cx, DEFAULT);
        let mut default_sql = Attr::none(cx, DEFAULT_SQL);
        let mut default_expr = Attr::none(cx, DEFAULT_EXPR);
        let mut max_length = Attr::none(cx, MAX_LENGTH);
        let mut precision = Attr::none(cx, PRECISION);
        let mut scale = Attr::none(cx, SCALE);
        let mut references = Attr::none(cx, REFERENCES);
        let mut on_delete = Attr::none(cx, ON_DELETE);
        let mut on_update = Attr::none(cx, ON_UPDATE);
        let mut renamed_from = Attr::none(cx, RENAMED_FROM);
        let mut skip = BoolAttr::none(cx, SKIP);
        let mut sql_type = Attr::none(cx, SQL_TYPE);
        let mut backfill = Attr::none(cx, BACKFILL);
        let mut comment = Attr::none(cx, COMMENT);
        let mut given = Vec::new();

        for_each_model_meta(cx, &field.attrs, |meta| {
            let span = meta.path.span();
            let known = FIELD_ONLY.iter().chain(&[UNIQUE, INDEX, RENAMED_FROM, COMMENT]).find(|k| meta.path == **k);
            if let Some(&key) = known
                && key != SKIP
            {
                given.push((key, span));
            }
            if meta.path == PRIMARY_KEY {
                primary_key.parse(&meta)?;
            } else if meta.path == AUTO_INCREMENT {
                auto_increment.parse(&meta)?;
            } else if meta.path == UNIQUE {
                unique.parse(&meta)?;
            } else if meta.path == INDEX {
                index.parse(&meta)?;
            } else if meta.path == SKIP {
                skip.parse(&meta)?;
            } else if meta.path == COLUMN {
                column.set_opt(span, name_string(cx, COLUMN, &meta, "column = \"user_name\"")?);
            } else if meta.path == RENAMED_FROM {
                renamed_from.set_opt(span, name_string(cx, RENAMED_FROM, &meta, "renamed_from = \"old_name\"")?);
            } else if meta.path == SQL_TYPE {
                sql_type.set_opt(span, name_string(cx, SQL_TYPE, &meta, "sql_type = \"CITEXT\"")?);
            } else if meta.path == BACKFILL {
                backfill.set_opt(span, name_string(cx, BACKFILL, &meta, "backfill = \"'UTC'\"")?);
            } else if meta.path == COMMENT {
                comment.set_opt(span, any_string(cx, COMMENT, &meta, "comment = \"...\"")?.map(|s| s.value()));
            } else if meta.path == DEFAULT_SQL {
                default_sql.set_opt(span, name_string(cx, DEFAULT_SQL, &meta, "default_sql = \"lower('x')\"")?);
            } else if meta.path == DEFAULT {
                default.set_opt(span, parse_default(cx, &meta)?);
            } else if meta.path == DEFAULT_EXPR {
                default_expr.set_opt(span, parse_default_expr(cx, &meta)?);
            } else if meta.path == MAX_LENGTH {
                max_length.set_opt(span, number(cx, MAX_LENGTH, &meta, 1, "max_length = 255")?);
            } else if meta.path == PRECISION {
                precision.set_opt(span, number(cx, PRECISION, &meta, 1, "precision = 10")?);
            } else if meta.path == SCALE {
                scale.set_opt(span, number(cx, SCALE, &meta, 0, "scale = 2")?);
            } else if meta.path == REFERENCES {
                references.set_opt(span, parse_reference(cx, &meta)?);
            } else if meta.path == ON_DELETE {
                on_delete.set_opt(span, parse_action(cx, ON_DELETE, &meta)?);
            } else if meta.path == ON_UPDATE {
                on_update.set_opt(span, parse_action(cx, ON_UPDATE, &meta)?);
            } else {
                let key = path_text(&meta.path);
                let hint = if meta.path == TABLE || meta.path == CHECK || meta.path == CRATE {
                    format!("; `{key}` goes on the struct")
                } else {
                    String::new()
                };
                cx.error_spanned_by(&meta.path, format!("unknown model field attribute `{key}`{hint}"));
                skip_value(&meta)?;
            }
            Ok(())
        });

        Field {
            column: column.get(),
            primary_key: primary_key.get(),
            auto_increment: auto_increment.get(),
            unique: unique.get(),
            index: index.get(),
            default: default.get(),
            default_sql: default_sql.get(),
            default_expr: default_expr.get(),
            max_length: max_length.get(),
            precision: precision.get(),
            scale: scale.get(),
            references: references.get(),
            on_delete: on_delete.get(),
            on_update: on_update.get(),
            renamed_from: renamed_from.get(),
            skip: skip.get(),
            sql_type: sql_type.get(),
            backfill: backfill.get(),
            comment: comment.get(),
            given,
        }
    }

    pub fn column(&self) -> Option<&WithSpan<String>> {
        self.column.as_ref()
    }

    pub fn primary_key(&self) -> Option<Span> {
        self.primary_key
    }

    pub fn auto_increment(&self) -> Option<Span> {
        self.auto_increment
    }

    pub fn unique(&self) -> Option<Span> {
        self.unique
    }

    pub fn index(&self) -> Option<Span> {
        self.index
    }

    pub fn default(&self) -> Option<&WithSpan<DefaultLit>> {
        self.default.as_ref()
    }

    pub fn default_sql(&self) -> Option<&WithSpan<String>> {
        self.default_sql.as_ref()
    }

    pub fn default_expr(&self) -> Option<&WithSpan<DefaultExprKw>> {
        self.default_expr.as_ref()
    }

    pub fn max_length(&self) -> Option<&WithSpan<u32>> {
        self.max_length.as_ref()
    }

    pub fn precision(&self) -> Option<&WithSpan<u32>> {
        self.precision.as_ref()
    }

    pub fn scale(&self) -> Option<&WithSpan<u32>> {
        self.scale.as_ref()
    }

    pub fn references(&self) -> Option<&WithSpan<Reference>> {
        self.references.as_ref()
    }

    pub fn on_delete(&self) -> Option<&WithSpan<Action>> {
        self.on_delete.as_ref()
    }

    pub fn on_update(&self) -> Option<&WithSpan<Action>> {
        self.on_update.as_ref()
    }

    pub fn renamed_from(&self) -> Option<&WithSpan<String>> {
        self.renamed_from.as_ref()
    }

    pub fn skip(&self) -> Option<Span> {
        self.skip
    }

    pub fn sql_type(&self) -> Option<&WithSpan<String>> {
        self.sql_type.as_ref()
    }

    /// `backfill = "<sql>"`: the value existing rows get when the column becomes NOT NULL (a hint for the differ).
    pub fn backfill(&self) -> Option<&WithSpan<String>> {
        self.backfill.as_ref()
    }

    pub fn comment(&self) -> Option<&WithSpan<String>> {
        self.comment.as_ref()
    }

    /// Every key written on the field except `skip`, in source order, for checks such as "nothing goes with
    /// `skip`".
    pub fn given(&self) -> &[(Symbol, Span)] {
        &self.given
    }
}

/// How `#[derive(DbEnum)]` spells variant names by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

impl RenameRule {
    const ALL: &'static [(&'static str, RenameRule)] = &[
        ("lowercase", RenameRule::Lower),
        ("UPPERCASE", RenameRule::Upper),
        ("PascalCase", RenameRule::Pascal),
        ("camelCase", RenameRule::Camel),
        ("snake_case", RenameRule::Snake),
        ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
        ("kebab-case", RenameRule::Kebab),
        ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
    ];

    /// Applies the rule to a variant name written in PascalCase.
    pub fn apply(self, variant: &str) -> String {
        use heck::{ToKebabCase, ToLowerCamelCase, ToShoutyKebabCase, ToShoutySnakeCase, ToSnakeCase};
        match self {
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Camel => variant.to_lower_camel_case(),
            RenameRule::Snake => variant.to_snake_case(),
            RenameRule::ScreamingSnake => variant.to_shouty_snake_case(),
            RenameRule::Kebab => variant.to_kebab_case(),
            RenameRule::ScreamingKebab => variant.to_shouty_kebab_case(),
        }
    }
}

/// `#[model(...)]` on an enum deriving `DbEnum`.
pub struct Enum {
    name: Option<WithSpan<String>>,
    rename_all: Option<RenameRule>,
    crate_path: Option<syn::Path>,
    renamed_from: Option<WithSpan<String>>,
}

impl Enum {
    pub fn from_ast(cx: &Ctxt, item: &syn::DeriveInput) -> Self {
        let mut name = Attr::none(cx, NAME);
        let mut rename_all = Attr::none(cx, RENAME_ALL);
        let mut crate_path = Attr::none(cx, CRATE);
        let mut renamed_from = Attr::none(cx, RENAMED_FROM);
        for_each_model_meta(cx, &item.attrs, |meta| {
            let span = meta.path.span();
            if meta.path == NAME {
                name.set_opt(span, name_string(cx, NAME, &meta, "name = \"post_status\"")?);
            } else if meta.path == RENAMED_FROM {
                renamed_from.set_opt(span, name_string(cx, RENAMED_FROM, &meta, "renamed_from = \"old_name\"")?);
            } else if meta.path == RENAME_ALL {
                if let Some(lit) = any_string(cx, RENAME_ALL, &meta, "rename_all = \"snake_case\"")? {
                    match RenameRule::ALL.iter().find(|(k, _)| *k == lit.value()) {
                        Some((_, rule)) => rename_all.set(span, *rule),
                        None => cx.error_spanned_by(
                            &lit,
                            format!(
                                "unknown rename rule `{}`; expected one of {}",
                                lit.value(),
                                RenameRule::ALL.iter().map(|(k, _)| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            ),
                        ),
                    }
                }
            } else if meta.path == CRATE {
                if let Some(lit) = any_string(cx, CRATE, &meta, "crate = \"::driftless\"")? {
                    match lit.parse::<syn::Path>() {
                        Ok(path) => crate_path.set(span, path),
                        Err(_) => cx.error_spanned_by(&lit, format!("`{}` is not a path", lit.value())),
                    }
                }
            } else {
                cx.error_spanned_by(&meta.path, format!("unknown model enum attribute `{}`", path_text(&meta.path)));
                skip_value(&meta)?;
            }
            Ok(())
        });
        Enum {
            name: name.get(),
            rename_all: rename_all.get().map(|r| r.value),
            crate_path: crate_path.get().map(|p| p.value),
            renamed_from: renamed_from.get(),
        }
    }

    pub fn name(&self) -> Option<&WithSpan<String>> {
        self.name.as_ref()
    }

    /// `renamed_from = "..."`: the enum type's previous name.
    pub fn renamed_from(&self) -> Option<&WithSpan<String>> {
        self.renamed_from.as_ref()
    }

    /// The rule for variants without `rename`; `snake_case` unless given.
    pub fn rename_all(&self) -> RenameRule {
        self.rename_all.unwrap_or(RenameRule::Snake)
    }

    pub fn crate_path(&self) -> Option<&syn::Path> {
        self.crate_path.as_ref()
    }
}

/// `#[model(...)]` on a variant of a `DbEnum`.
pub struct Variant {
    rename: Option<WithSpan<String>>,
}

impl Variant {
    pub fn from_ast(cx: &Ctxt, variant: &syn::Variant) -> Self {
        let mut rename = Attr::none(cx, RENAME);
        for_each_model_meta(cx, &variant.attrs, |meta| {
            if meta.path == RENAME {
                rename.set_opt(meta.path.span(), name_string(cx, RENAME, &meta, "rename = \"in_review\"")?);
            } else {
                cx.error_spanned_by(&meta.path, format!("unknown model variant attribute `{}`", path_text(&meta.path)));
                skip_value(&meta)?;
            }
            Ok(())
        });
        Variant { rename: rename.get() }
    }

    pub fn rename(&self) -> Option<&WithSpan<String>> {
        self.rename.as_ref()
    }
}

// ----- parsing helpers -------------------------------------------------------------------------------------------

/// Calls `f` for each key of each `#[model(...)]` attribute. A syntax error that `f` cannot recover from ends that
/// one attribute (it is recorded); the other attributes are still read.
fn for_each_model_meta(cx: &Ctxt, attrs: &[syn::Attribute], mut f: impl FnMut(ParseNestedMeta) -> syn::Result<()>) {
    for attr in attrs.iter().filter(|a| a.path() == MODEL) {
        if let syn::Meta::List(list) = &attr.meta
            && list.tokens.is_empty()
        {
            continue;
        }
        if let Err(err) = attr.parse_nested_meta(&mut f) {
            cx.syn_error(err);
        }
    }
}

fn path_text(path: &syn::Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

fn has_value(meta: &ParseNestedMeta) -> bool {
    meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren)
}

/// Skips `= expr` or `(...)` after a key that was reported, so the next key can still be read.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<TokenTree>()?;
    }
    Ok(())
}

/// Reads the expression after `key =`, or reports that the value is missing.
fn value_expr(cx: &Ctxt, name: Symbol, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<Expr>> {
    if meta.input.peek(Token![=]) {
        let mut expr: Expr = meta.value()?.parse()?;
        // Values that come through a `macro_rules!` fragment are wrapped in invisible groups.
        while let Expr::Group(group) = expr {
            expr = *group.expr;
        }
        Ok(Some(expr))
    } else {
        cx.error_spanned_by(&meta.path, format!("model attribute `{name}` needs a value: `{example}`"));
        skip_value(meta)?;
        Ok(None)
    }
}

/// `key = "..."`, any string.
fn any_string(cx: &Ctxt, name: Symbol, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<LitStr>> {
    let Some(expr) = value_expr(cx, name, meta, example)? else { return Ok(None) };
    match &expr {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Ok(Some(s.clone())),
        _ => {
            cx.error_spanned_by(&expr, format!("expected model attribute `{name}` to be a string: `{example}`"));
            Ok(None)
        }
    }
}

/// `key = "..."`, a non-empty string such as a name or an SQL expression.
fn name_string(cx: &Ctxt, name: Symbol, meta: &ParseNestedMeta, example: &str) -> syn::Result<Option<String>> {
    let Some(lit) = any_string(cx, name, meta, example)? else { return Ok(None) };
    if lit.value().trim().is_empty() {
        cx.error_spanned_by(&lit, format!("model attribute `{name}` must not be empty"));
        return Ok(None);
    }
    Ok(Some(lit.value()))
}

/// `key = N` with `N >= min`.
fn number(cx: &Ctxt, name: Symbol, meta: &ParseNestedMeta, min: u32, example: &str) -> syn::Result<Option<u32>> {
    let Some(expr) = value_expr(cx, name, meta, example)? else { return Ok(None) };
    let Expr::Lit(syn::ExprLit { lit: Lit::Int(int), .. }) = &expr else {
        cx.error_spanned_by(&expr, format!("expected model attribute `{name}` to be a whole number: `{example}`"));
        return Ok(None);
    };
    match int.base10_parse::<u32>() {
        Ok(n) if n >= min => Ok(Some(n)),
        Ok(_) => {
            cx.error_spanned_by(int, format!("model attribute `{name}` must be at least {min}"));
            Ok(None)
        }
        Err(_) => {
            cx.error_spanned_by(int, format!("model attribute `{name}` must fit in 32 bits (at most {})", u32::MAX));
            Ok(None)
        }
    }
}

/// `default = <literal>`: a bool, an integer, a float or a string, optionally negated.
fn parse_default(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<DefaultLit>> {
    let Some(expr) = value_expr(cx, DEFAULT, meta, "default = 0")? else { return Ok(None) };
    let (negative, lit) = match &expr {
        Expr::Lit(l) => (false, Some(&l.lit)),
        Expr::Unary(syn::ExprUnary { op: UnOp::Neg(_), expr: inner, .. }) => match &**inner {
            Expr::Lit(l) if matches!(l.lit, Lit::Int(_) | Lit::Float(_)) => (true, Some(&l.lit)),
            _ => (false, None),
        },
        _ => (false, None),
    };
    let sign = if negative { "-" } else { "" };
    let value = match lit {
        Some(Lit::Bool(b)) => Some(DefaultLit::Bool(b.value)),
        Some(Lit::Str(s)) => Some(DefaultLit::Str(s.value())),
        Some(Lit::Int(i)) => match format!("{sign}{}", i.base10_digits()).parse::<i64>() {
            Ok(n) => Some(DefaultLit::Int(n)),
            Err(_) => {
                cx.error_spanned_by(&expr, "model attribute `default` does not fit in a 64-bit integer");
                return Ok(None);
            }
        },
        Some(Lit::Float(f)) => match format!("{sign}{}", f.base10_digits()).parse::<f64>() {
            Ok(n) if n.is_finite() => Some(DefaultLit::Float(n)),
            _ => {
                cx.error_spanned_by(&expr, "model attribute `default` must be a finite number");
                return Ok(None);
            }
        },
        _ => None,
    };
    if value.is_none() {
        cx.error_spanned_by(
            &expr,
            "expected model attribute `default` to be a literal (true, 42, -1.5 or \"text\"); for an SQL expression \
             use `default_sql = \"...\"` or `default_expr = \"now\"`",
        );
    }
    Ok(value)
}

fn parse_default_expr(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<DefaultExprKw>> {
    let Some(lit) = any_string(cx, DEFAULT_EXPR, meta, "default_expr = \"now\"")? else { return Ok(None) };
    let kw = DefaultExprKw::from_keyword(&lit.value());
    if kw.is_none() {
        cx.error_spanned_by(
            &lit,
            format!(
                "unknown default expression `{}`; expected one of {} (for anything else use `default_sql = \"...\"`)",
                lit.value(),
                keywords::default_expr_spellings()
            ),
        );
    }
    Ok(kw)
}

fn parse_reference(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Reference>> {
    let Some(lit) = any_string(cx, REFERENCES, meta, "references = \"users.id\"")? else { return Ok(None) };
    let value = lit.value();
    match value.split_once('.') {
        Some((table, column)) if !table.trim().is_empty() && !column.trim().is_empty() && !column.contains('.') => {
            Ok(Some(Reference { table: table.to_owned(), column: column.to_owned() }))
        }
        _ => {
            cx.error_spanned_by(
                &lit,
                format!("expected `references = \"table.column\"` (for example \"users.id\"), found \"{value}\""),
            );
            Ok(None)
        }
    }
}

fn parse_action(cx: &Ctxt, name: Symbol, meta: &ParseNestedMeta) -> syn::Result<Option<Action>> {
    let example = format!("{name} = \"cascade\"");
    let Some(lit) = any_string(cx, name, meta, &example)? else { return Ok(None) };
    let action = Action::from_keyword(&lit.value());
    if action.is_none() {
        cx.error_spanned_by(
            &lit,
            format!(
                "unknown referential action `{}`; expected one of {}",
                lit.value(),
                keywords::referential_action_spellings()
            ),
        );
    }
    Ok(action)
}

/// `columns = ["a", "b"]`.
fn parse_columns(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<Vec<LitStr>>> {
    let example = "columns = [\"a\", \"b\"]";
    let Some(expr) = value_expr(cx, COLUMNS, meta, example)? else { return Ok(None) };
    let Expr::Array(array) = &expr else {
        cx.error_spanned_by(&expr, format!("expected model attribute `columns` to be a list of strings: `{example}`"));
        return Ok(None);
    };
    let mut out = Vec::new();
    for elem in &array.elems {
        match elem {
            Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => out.push(s.clone()),
            other => cx.error_spanned_by(other, "expected a column name in quotes"),
        }
    }
    if array.elems.is_empty() {
        cx.error_spanned_by(array, "`columns` must name at least one column");
        return Ok(None);
    }
    Ok((out.len() == array.elems.len()).then_some(out))
}

/// Container-level `index(...)` or `unique(...)`.
fn parse_key(cx: &Ctxt, meta: &ParseNestedMeta, kind: Symbol) -> syn::Result<Option<KeyAttr>> {
    let is_index = kind == INDEX;
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!(
                "container attribute `{kind}` needs a column list: `{kind}(columns = [\"a\", \"b\"])`; for a \
                 single column, put `#[model({kind})]` on its field"
            ),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let mut columns = Attr::none(cx, COLUMNS);
    let mut unique = BoolAttr::none(cx, UNIQUE);
    let mut name = Attr::none(cx, NAME);
    let mut predicate = Attr::none(cx, PREDICATE);
    let mut prefixes: Vec<(Ident, u32)> = Vec::new();
    let mut expression = Attr::none(cx, EXPRESSION);
    // Set when `columns` was written, even with a bad value, so a bad list is not also reported as missing.
    let mut columns_written = false;
    meta.parse_nested_meta(|inner| {
        let span = inner.path.span();
        if inner.path == COLUMNS {
            columns_written = true;
            columns.set_opt(span, parse_columns(cx, &inner)?);
        } else if inner.path == NAME {
            name.set_opt(span, name_string(cx, NAME, &inner, "name = \"users_by_email\"")?);
        } else if is_index && inner.path == UNIQUE {
            unique.parse(&inner)?;
        } else if is_index && inner.path == PREDICATE {
            predicate.set_opt(span, name_string(cx, PREDICATE, &inner, "predicate = \"deleted_at IS NULL\"")?);
        } else if is_index && inner.path == PREFIX {
            parse_prefixes(cx, &inner, &mut prefixes)?;
        } else if is_index && inner.path == EXPRESSION {
            expression.set_opt(span, name_string(cx, EXPRESSION, &inner, "expression = \"lower(email)\"")?);
        } else {
            let expected = if is_index {
                "`columns`, `unique`, `name`, `predicate`, `prefix` or `expression`"
            } else {
                "`columns` or `name`"
            };
            cx.error_spanned_by(
                &inner.path,
                format!("unknown key `{}` in `{kind}(...)`; expected {expected}", path_text(&inner.path)),
            );
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    if let Some(expression) = expression.get() {
        let name = name.get().map(|n| n.value);
        if columns_written || !prefixes.is_empty() {
            cx.error_spanned_by(
                &meta.path,
                "`index(expression = ...)` indexes its one expression: drop `columns` and `prefix`, or write the \
                 column into the expression",
            );
        } else if name.is_none() {
            cx.error_spanned_by(&meta.path, "`index(expression = ...)` needs `name = \"...\"`");
        } else {
            return Ok(Some(KeyAttr {
                columns: Vec::new(),
                unique: unique.get().is_some(),
                name,
                predicate: predicate.get().map(|p| p.value),
                prefixes: Vec::new(),
                expression: Some(expression.value),
            }));
        }
        return Ok(None);
    }
    let Some(columns) = columns.get() else {
        if !columns_written {
            cx.error_spanned_by(&meta.path, format!("`{kind}(...)` needs `columns = [\"...\"]`"));
        }
        return Ok(None);
    };
    let unique = unique.get().is_some();
    let mut seen: Vec<String> = Vec::new();
    for (column, _) in &prefixes {
        let c = column.to_string();
        if !columns.value.iter().any(|l| l.value() == c) {
            cx.error_spanned_by(column, format!("`prefix` names `{c}`, which is not in this index's `columns`"));
        } else if unique {
            cx.error_spanned_by(
                column,
                format!(
                    "a unique index cannot index a prefix of `{c}`: MySQL/MariaDB would enforce uniqueness of the \
                     prefix only; drop `unique` or the prefix"
                ),
            );
        } else if seen.contains(&c) {
            cx.error_spanned_by(column, format!("`prefix` gives `{c}` a length more than once"));
        }
        seen.push(c);
    }
    Ok(Some(KeyAttr {
        columns: columns.value,
        unique,
        name: name.get().map(|n| n.value),
        predicate: predicate.get().map(|p| p.value),
        prefixes: prefixes.into_iter().map(|(c, n)| (c.to_string(), n)).collect(),
        expression: None,
    }))
}

/// `prefix(column = length, ...)` inside `index(...)`.
fn parse_prefixes(cx: &Ctxt, meta: &ParseNestedMeta, out: &mut Vec<(Ident, u32)>) -> syn::Result<()> {
    const EXAMPLE: &str = "prefix(body = 100)";
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, format!("`prefix` needs column prefix lengths: `{EXAMPLE}`"));
        return skip_value(meta);
    }
    meta.parse_nested_meta(|p| {
        let Some(column) = p.path.get_ident().cloned() else {
            cx.error_spanned_by(&p.path, format!("expected a column name in `prefix(...)`: `{EXAMPLE}`"));
            return skip_value(&p);
        };
        if let Some(n) = number(cx, PREFIX, &p, 1, EXAMPLE)? {
            out.push((column, n));
        }
        Ok(())
    })
}

/// Container-level `check(name = "...", expr = "...")`.
fn parse_check(cx: &Ctxt, meta: &ParseNestedMeta) -> syn::Result<Option<CheckAttr>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            "container attribute `check` needs an expression: `check(expr = \"price > 0\")`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let mut name = Attr::none(cx, NAME);
    let mut expr = Attr::none(cx, EXPR);
    let mut expr_written = false;
    meta.parse_nested_meta(|inner| {
        let span = inner.path.span();
        if inner.path == NAME {
            name.set_opt(span, name_string(cx, NAME, &inner, "name = \"price_positive\"")?);
        } else if inner.path == EXPR {
            expr_written = true;
            expr.set_opt(span, name_string(cx, EXPR, &inner, "expr = \"price > 0\"")?);
        } else {
            cx.error_spanned_by(
                &inner.path,
                format!("unknown key `{}` in `check(...)`; expected `name` or `expr`", path_text(&inner.path)),
            );
            skip_value(&inner)?;
        }
        Ok(())
    })?;
    let Some(expr) = expr.get() else {
        if !expr_written {
            cx.error_spanned_by(&meta.path, "`check(...)` needs `expr = \"...\"`");
        }
        return Ok(None);
    };
    Ok(Some(CheckAttr { span: meta.path.span(), name: name.get().map(|n| n.value), expr: expr.value }))
}
