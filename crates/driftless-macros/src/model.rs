//! `#[derive(Model)]`: a `Model` impl that builds the table's `ModelDef` through the runtime's `ModelBuilder`, and
//! a `<Struct>Iden` enum of column identifiers for sea-query.
//!
//! Names of keys and indexes are generated at runtime by `driftless_core::schema::constraint_name`, the one
//! function the rest of driftless uses, so the derive cannot drift from it.
//!
//! The `<Struct>Iden` enum and the `inventory` registration are optional ([`Emit`]): each costs rustc time on every
//! rebuild of a models crate of hundreds of structs, and a project that does not use them turns them off through
//! the `driftless` crate's features `iden` (opt-in) and `unlisted-check` (on by default).

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::dummy;
use crate::internals::ast::{Container, Field};
use crate::internals::attr::DefaultLit;
use crate::internals::{Ctxt, check};
use crate::respan::{keep, respan, respan_generated};

/// The optional parts of the derive's output. The `Model` impl is always emitted.
#[derive(Debug, Clone, Copy)]
pub struct Emit {
    /// The `<Struct>Iden` enum and its impls (feature `iden`).
    pub iden: bool,
    /// The `inventory` registration that lets `migrate-generate` name a model missing from `schema![...]` (feature
    /// `unlisted-check`).
    pub registration: bool,
}

impl Emit {
    /// Everything: what the `driftless` crate's default features plus `iden` give.
    #[cfg(test)]
    pub const ALL: Emit = Emit { iden: true, registration: true };

    /// What this build of the macro emits, from its own features, which the `driftless` crate's features of the
    /// same names turn on (cargo unifies them: one crate in the build asking for `iden` gives it to all).
    pub const FROM_FEATURES: Emit =
        Emit { iden: cfg!(feature = "iden"), registration: cfg!(feature = "unlisted-check") };
}

/// Expands `#[derive(Model)]` on `input`, or returns every error found as `compile_error!`s.
pub fn expand_model(input: TokenStream, emit: Emit) -> TokenStream {
    let item: syn::DeriveInput = match syn::parse2(input) {
        Ok(item) => item,
        Err(err) => return err.to_compile_error(),
    };
    let cx = Ctxt::new();
    let cont = Container::from_ast(&cx, &item);
    if let Some(cont) = &cont {
        check::check_model(&cx, cont);
    }
    if let Err(err) = cx.check() {
        return err.to_compile_error();
    }
    match cont {
        Some(cont) => generate(&cont, emit),
        // `from_ast` only returns `None` after recording an error, which `check` has returned above.
        None => TokenStream::new(),
    }
}

fn generate(cont: &Container, emit: Emit) -> TokenStream {
    let registers = emit.registration && !cont.attrs.unlisted();
    // With neither the `Iden` enum nor the registration the output is the `Model` impl alone, not wrapped in a
    // `const _` block: one item per model instead of three.
    let bare = !emit.iden && !registers;
    let p = if bare { dummy::crate_private(cont.attrs.crate_path()) } else { dummy::private() };
    let ident = &cont.ident;
    let rust_name = ident.to_string();
    let table = cont.table_name();

    let asserts: Vec<TokenStream> = cont.columns().flat_map(|f| type_asserts(&p, f)).collect();
    let columns = cont.columns().map(|f| column_def(&p, f));
    let renamed_from = opt_str(&p, cont.attrs.renamed_from().map(|r| r.value.as_str()));
    let comment = opt_str(&p, cont.attrs.comment().map(|c| c.value.as_str()));
    let indexes = cont.attrs.indexes().iter().map(|k| {
        let unique = k.unique;
        let predicate = opt_str(&p, k.predicate.as_deref());
        if let (Some(e), Some(n)) = (&k.expression, &k.name) {
            return quote!(#p::TableItem::Expression(#n, #e, #unique, #predicate));
        }
        let cols = &k.columns;
        let name = opt_str(&p, k.name.as_deref());
        let prefixes = k.prefixes.iter().map(|(c, n)| quote!((#c, #n)));
        quote! {
            #p::TableItem::Index {
                columns: &[#(#cols),*], unique: #unique, name: #name, predicate: #predicate, prefixes: &[#(#prefixes),*]
            }
        }
    });
    let uniques = cont.attrs.uniques().iter().map(|k| {
        let cols = &k.columns;
        let name = opt_str(&p, k.name.as_deref());
        quote!(#p::TableItem::Unique(&[#(#cols),*], #name))
    });
    let checks = cont.attrs.checks().iter().map(|c| {
        let name = opt_str(&p, c.name.as_deref());
        let expr = &c.expr;
        quote!(#p::TableItem::Check(#name, #expr))
    });
    let constraints = indexes.chain(uniques).chain(checks);

    // The definition is one associated constant of plain data (`Model::DEFINITION`) that one function of
    // driftless-core reads (its `model::derived` module) through `Model`'s provided `model_def`: no code per column
    // and no function per model, so a project of hundreds of models stays cheap to compile.
    // The attribute checks are calls of empty `const fn`s: statements of the `const _` block, after its items
    // (`clippy::items_after_statements`), or without one, evaluated with the constant.
    let (asserts, block_asserts) = if bare { (asserts, Vec::new()) } else { (Vec::new(), asserts) };
    let allow = bare.then(|| quote!(#[allow(unused_qualifications, clippy::absolute_paths)]));
    let table_def = quote! {
        &#p::ModelTable {
            rust_name: #rust_name,
            table: #table,
            renamed_from: #renamed_from,
            comment: #comment,
            columns: &[#(#columns),*],
            constraints: &[#(#constraints),*],
        }
    };
    let definition = if asserts.is_empty() { table_def } else { quote!({ #(#asserts)* #table_def }) };
    let model_impl = quote! {
        #[automatically_derived]
        #allow
        impl #p::Model for #ident {
            const TABLE: &'static str = #table;
            const DEFINITION: &'static #p::ModelTable = #definition;
        }
    };
    // Every model registers itself, so `migrate-generate` can name one missing from `schema![...]`; the list stays
    // the schema. `#[model(unlisted)]` opts out, and so does a build without the `unlisted-check` feature.
    let registration = registers.then(|| {
        quote! {
            #p::inventory::submit! {
                #p::registration(::core::concat!(::core::module_path!(), "::", #rust_name), #table)
            }
        }
    });
    let (iden_enum, iden_impls) = if emit.iden { generate_iden(cont, &p, &table) } else { Default::default() };
    let out = if bare {
        model_impl
    } else {
        let body = quote! {
            #model_impl
            #iden_impls
            #registration
            #(#block_asserts)*
        };
        let wrapped = dummy::wrap_in_const(cont.attrs.crate_path(), body);
        quote! {
            #iden_enum
            #wrapped
        }
    };
    // Position-independent spans for incremental builds: see `crate::respan`.
    let span = match &cont.original.data {
        syn::Data::Struct(syn::DataStruct { fields: syn::Fields::Named(f), .. }) => f.brace_token.span.join(),
        _ => cont.ident.span(),
    };
    respan_generated(out, span)
}

fn opt_str(p: &TokenStream, s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => quote!(#p::Option::Some(#s)),
        None => quote!(#p::Option::None),
    }
}

/// Trait-bound checks for attributes that only fit some types, each spanned at the attribute so the compiler's
/// error points there (the field type's own `SqlColumn` bound is spanned at the type, in `column_spec`).
fn type_asserts(p: &TokenStream, f: &Field) -> Vec<TokenStream> {
    let mut out = Vec::new();
    let mut assert = |span: Span, func: &str| {
        let func = syn::Ident::new(func, span);
        let ty = respan(f.ty.to_token_stream(), span);
        let p = respan(p.clone(), span);
        out.push(keep(quote_spanned!(span=> #p::#func::<#ty>();)));
    };
    if f.attrs.sql_type().is_some() {
        return out;
    }
    if let Some(m) = f.attrs.max_length() {
        assert(m.span, "assert_text_column");
    }
    if let Some(span) = f.attrs.auto_increment() {
        assert(span, "assert_integer_column");
    }
    if let Some(precision) = f.attrs.precision() {
        assert(precision.span, "assert_decimal_column");
    }
    out
}

/// `ColumnDef("name", ColumnSource::Rust(ColumnSpec::of::<T>), &[ColumnAttr::PrimaryKey, ...])` for one field, the
/// attributes in the order the builder applies them.
fn column_def(p: &TokenStream, f: &Field) -> TokenStream {
    let name = f.column_name();
    let ty = f.ty;
    let a = &f.attrs;
    let source = match a.sql_type() {
        Some(sql) => {
            let sql = &sql.value;
            let nullable = f.is_option_syntax();
            quote!(#p::ColumnSource::Sql(#sql, #nullable))
        }
        // Spanned at the type: an unsupported type is reported there, worded by `SqlColumn`'s
        // `#[diagnostic::on_unimplemented]`.
        None => {
            let p_at_ty = respan(p.clone(), ty.span());
            let of = keep(quote_spanned!(ty.span()=> #p_at_ty::ColumnSpec::of::<#ty>));
            quote!(#p::ColumnSource::Rust(#of))
        }
    };
    let mut attrs = Vec::new();
    let mut attr = |tokens: TokenStream| attrs.push(quote!(#p::ColumnAttr::#tokens));
    if let Some(m) = a.max_length() {
        let n = m.value;
        attr(quote!(Varchar(#n)));
    }
    if let Some(precision) = a.precision() {
        let precision = precision.value;
        let scale = a.scale().map_or(0, |s| s.value);
        attr(quote!(Decimal(#precision, #scale)));
    }
    if a.primary_key().is_some() {
        attr(quote!(PrimaryKey));
    }
    if a.auto_increment().is_some() {
        attr(quote!(AutoIncrement));
    }
    if a.unique().is_some() {
        attr(quote!(Unique));
    }
    if a.index().is_some() {
        attr(quote!(Index));
    }
    if let Some(d) = a.default() {
        attr(match &d.value {
            DefaultLit::Bool(b) => quote!(DefaultBool(#b)),
            DefaultLit::Int(i) => {
                let lit = proc_macro2::Literal::i64_suffixed(*i);
                quote!(DefaultInt(#lit))
            }
            DefaultLit::Float(x) => {
                let lit = proc_macro2::Literal::f64_suffixed(*x);
                quote!(DefaultFloat(#lit))
            }
            DefaultLit::Str(s) => quote!(DefaultStr(#s)),
        });
    }
    if let Some(sql) = a.default_sql() {
        let sql = &sql.value;
        attr(quote!(DefaultSql(#sql)));
    }
    if let Some(e) = a.default_expr() {
        let variant = syn::Ident::new(e.value.variant(), Span::call_site());
        attr(quote!(DefaultExpr(#p::DefaultExpr::#variant)));
    }
    if let Some(r) = a.references() {
        let table = &r.value.table;
        let column = &r.value.column;
        let action = |x: Option<&crate::internals::attr::WithSpan<crate::internals::attr::Action>>| {
            let v = syn::Ident::new(x.map_or("NoAction", |a| a.value.variant()), Span::call_site());
            quote!(#p::ReferentialAction::#v)
        };
        let on_delete = action(a.on_delete());
        let on_update = action(a.on_update());
        attr(quote!(References(#table, #column, #on_delete, #on_update)));
    }
    if let Some(r) = a.renamed_from() {
        let r = &r.value;
        attr(quote!(RenamedFrom(#r)));
    }
    if let Some(b) = a.backfill() {
        let b = &b.value;
        attr(quote!(Backfill(#b)));
    }
    if let Some(c) = a.comment() {
        let c = &c.value;
        attr(quote!(Comment(#c)));
    }
    quote!(#p::ColumnDef(#name, #source, &[#(#attrs),*]))
}

/// The `<Struct>Iden` enum (outside the const block, so users can name it) and its impls (inside).
///
/// Cheap, because a project has hundreds of models and every impl costs rustc time on each rebuild: only what
/// sea-query needs (`Iden`, `IdenStatic`, and the `Clone` and `Copy` that `IdenStatic` requires), written out rather
/// than derived, each body one line indexing a table of names by the variant (its discriminant: the enum has no
/// explicit ones). `Debug`, `PartialEq`, `Eq` and `Hash` are not implemented: they cost about a fifth of a models
/// crate's rebuild (`docs/benchmarks.md`) and sea-query needs none of them.
fn generate_iden(cont: &Container, p: &TokenStream, table: &str) -> (TokenStream, TokenStream) {
    let vis = &cont.original.vis;
    let iden = cont.iden_ident();
    let struct_name = cont.ident.to_string();
    let mut variants = vec![(syn::Ident::new("Table", Span::call_site()), table.to_owned(), true)];
    variants.extend(cont.columns().map(|f| (f.iden_variant(), f.column_name(), false)));

    let decls = variants.iter().map(|(v, name, is_table)| {
        let doc = if *is_table { format!("The table `{name}`.") } else { format!("The column `{name}`.") };
        quote!(#[doc = #doc] #v)
    });
    let enum_doc = format!("Identifiers of [`{struct_name}`]'s table and columns, for sea-query queries.");
    let iden_enum = quote! {
        #[doc = #enum_doc]
        // The output carries the struct's spans (see `respan.rs`), so the user's lints see it: an `Iden` enum the
        // crate never uses is not the user's dead code.
        #[allow(dead_code, clippy::enum_variant_names, missing_debug_implementations)]
        #vis enum #iden {
            #(#decls,)*
        }
    };

    let names = variants.iter().map(|(_, name, _)| name);
    let count = variants.len();
    let impls = quote! {
        static __NAMES: [&str; #count] = [#(#names),*];

        #[automatically_derived]
        impl ::core::clone::Clone for #iden {
            #[inline]
            fn clone(&self) -> Self {
                *self
            }
        }

        #[automatically_derived]
        impl ::core::marker::Copy for #iden {}

        #[automatically_derived]
        impl #p::sea_query::Iden for #iden {
            #[inline]
            fn quoted(&self) -> #p::Cow<'static, str> {
                #p::quoted_iden(__NAMES[*self as usize])
            }

            #[inline]
            fn unquoted(&self) -> &str {
                __NAMES[*self as usize]
            }
        }

        #[automatically_derived]
        impl #p::sea_query::IdenStatic for #iden {
            #[inline]
            fn as_str(&self) -> &'static str {
                __NAMES[*self as usize]
            }
        }
    };
    (iden_enum, impls)
}
