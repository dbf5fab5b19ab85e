//! `#[derive(Model)]`: a `Model` impl that builds the table's `ModelDef` through the runtime's `ModelBuilder`, and
//! a `<Struct>Iden` enum of column identifiers for sea-query.
//!
//! Names of keys and indexes are generated at runtime by `driftless_core::schema::constraint_name`, the one
//! function the rest of driftless uses, so the derive cannot drift from it.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::dummy;
use crate::internals::ast::{Container, Field};
use crate::internals::attr::DefaultLit;
use crate::internals::{Ctxt, check};

/// Expands `#[derive(Model)]` on `input`, or returns every error found as `compile_error!`s.
pub fn expand_model(input: TokenStream) -> TokenStream {
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
        Some(cont) => generate(&cont),
        // `from_ast` only returns `None` after recording an error, which `check` has returned above.
        None => TokenStream::new(),
    }
}

fn generate(cont: &Container) -> TokenStream {
    let p = dummy::private();
    let ident = &cont.ident;
    let rust_name = ident.to_string();
    let table = cont.table_name();

    let asserts: Vec<TokenStream> = cont.columns().flat_map(|f| type_asserts(&p, f)).collect();
    let columns = cont.columns().map(|f| column_spec(&p, f));

    let renamed_from = cont.attrs.renamed_from().map(|r| {
        let r = &r.value;
        quote!(__model.renamed_from(#r);)
    });
    let comment = cont.attrs.comment().map(|c| {
        let c = &c.value;
        quote!(__model.comment(#c);)
    });
    let indexes = cont.attrs.indexes().iter().map(|k| {
        let cols = &k.columns;
        let unique = k.unique;
        let name = opt_str(&p, k.name.as_deref());
        let predicate = opt_str(&p, k.predicate.as_deref());
        let prefixes = k.prefixes.iter().map(|(c, n)| quote!(__model.index_prefix(#c, #n);));
        if let (Some(e), Some(n)) = (&k.expression, &k.name) {
            return quote!(__model.index_on_expression(#n, #e, #unique, #predicate););
        }
        quote!(__model.index(&[#(#cols),*], #unique, #name, #predicate); #(#prefixes)*)
    });
    let uniques = cont.attrs.uniques().iter().map(|k| {
        let cols = &k.columns;
        let name = opt_str(&p, k.name.as_deref());
        quote!(__model.unique(&[#(#cols),*], #name);)
    });
    let checks = cont.attrs.checks().iter().map(|c| {
        let name = opt_str(&p, c.name.as_deref());
        let expr = &c.expr;
        quote!(__model.check(#name, #expr);)
    });

    let iden = generate_iden(cont, &p, &table);
    let model_impl = quote! {
        #[automatically_derived]
        impl #p::Model for #ident {
            const TABLE: &'static str = #table;

            fn model_def() -> #p::ModelDef {
                #(#asserts)*
                let mut __model = #p::ModelBuilder::new(#rust_name, #table);
                #renamed_from
                #comment
                #(__model.column(#columns);)*
                #(#indexes)*
                #(#uniques)*
                #(#checks)*
                __model.build()
            }
        }
    };
    // Every model registers itself, so `migrate-generate` can name one missing from `schema![...]`; the list stays
    // the schema. `#[model(unlisted)]` opts out.
    let registration = (!cont.attrs.unlisted()).then(|| {
        quote! {
            #p::inventory::submit! {
                #p::registration(::core::concat!(::core::module_path!(), "::", #rust_name), #table)
            }
        }
    });
    let (iden_enum, iden_impls) = iden;
    let body = quote! {
        #model_impl
        #iden_impls
        #registration
    };
    let wrapped = dummy::wrap_in_const(cont.attrs.crate_path(), body);
    quote! {
        #iden_enum
        #wrapped
    }
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
        out.push(quote_spanned!(span=> #p::#func::<#ty>();));
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

/// Gives every token of `tokens` the span `span`, so a trait error on the type is reported at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// `ColumnSpec::of::<T>("name").primary_key()...` for one field.
fn column_spec(p: &TokenStream, f: &Field) -> TokenStream {
    let name = f.column_name();
    let ty = f.ty;
    let a = &f.attrs;
    let mut spec = match a.sql_type() {
        Some(sql) => {
            let sql = &sql.value;
            let nullable = f.is_option_syntax();
            quote!(#p::ColumnSpec::custom(#name, #sql, #nullable))
        }
        // Spanned at the type: an unsupported type is reported there, worded by `SqlColumn`'s
        // `#[diagnostic::on_unimplemented]`.
        None => quote_spanned!(ty.span()=> #p::ColumnSpec::of::<#ty>(#name)),
    };
    if let Some(m) = a.max_length() {
        let n = m.value;
        spec.extend(quote!(.varchar(#n)));
    }
    if let Some(precision) = a.precision() {
        let precision = precision.value;
        let scale = a.scale().map_or(0, |s| s.value);
        spec.extend(quote!(.decimal(#precision, #scale)));
    }
    if a.primary_key().is_some() {
        spec.extend(quote!(.primary_key()));
    }
    if a.auto_increment().is_some() {
        spec.extend(quote!(.auto_increment()));
    }
    if a.unique().is_some() {
        spec.extend(quote!(.unique()));
    }
    if a.index().is_some() {
        spec.extend(quote!(.index()));
    }
    if let Some(d) = a.default() {
        spec.extend(match &d.value {
            DefaultLit::Bool(b) => quote!(.default_bool(#b)),
            DefaultLit::Int(i) => {
                let lit = proc_macro2::Literal::i64_suffixed(*i);
                quote!(.default_int(#lit))
            }
            DefaultLit::Float(x) => {
                let lit = proc_macro2::Literal::f64_suffixed(*x);
                quote!(.default_float(#lit))
            }
            DefaultLit::Str(s) => quote!(.default_str(#s)),
        });
    }
    if let Some(sql) = a.default_sql() {
        let sql = &sql.value;
        spec.extend(quote!(.default_sql(#sql)));
    }
    if let Some(e) = a.default_expr() {
        let variant = syn::Ident::new(e.value.variant(), Span::call_site());
        spec.extend(quote!(.default_expr(#p::DefaultExpr::#variant)));
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
        spec.extend(quote!(.references(#table, #column, #on_delete, #on_update)));
    }
    if let Some(r) = a.renamed_from() {
        let r = &r.value;
        spec.extend(quote!(.renamed_from(#r)));
    }
    if let Some(b) = a.backfill() {
        let b = &b.value;
        spec.extend(quote!(.backfill(#b)));
    }
    if let Some(c) = a.comment() {
        let c = &c.value;
        spec.extend(quote!(.comment(#c)));
    }
    spec
}

/// Whether sea-query may write `name` unescaped (its `is_static_iden` rule): `[A-Za-z_][A-Za-z0-9_]*`.
fn is_static_iden(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        None => true,
        Some(c) if c == '_' || c.is_ascii_alphabetic() => chars.all(|c| c == '_' || c.is_ascii_alphanumeric()),
        Some(_) => false,
    }
}

/// The `<Struct>Iden` enum (outside the const block, so users can name it) and its sea-query impls (inside).
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
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::fmt::Debug,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash
        )]
        #[allow(clippy::enum_variant_names)]
        #vis enum #iden {
            #(#decls,)*
        }
    };

    // Compact bodies, because a project has hundreds of models: the names are one array indexed by the variant
    // (its discriminant: the enum has no explicit ones), and `quoted` borrows `as_str` unless a name needs quoting.
    let names = variants.iter().map(|(_, name, _)| name);
    let count = variants.len();
    let quoted = if variants.iter().all(|(_, name, _)| is_static_iden(name)) {
        quote!(#p::Cow::Borrowed(#p::sea_query::IdenStatic::as_str(self)))
    } else {
        let arms = variants.iter().map(|(v, name, _)| {
            if is_static_iden(name) {
                quote!(#iden::#v => #p::Cow::Borrowed(#name))
            } else {
                quote!(#iden::#v => #p::Cow::Owned(#p::String::from(#name)))
            }
        });
        quote!(match *self { #(#arms,)* })
    };
    let impls = quote! {
        #[automatically_derived]
        impl #p::sea_query::Iden for #iden {
            fn quoted(&self) -> #p::Cow<'static, str> {
                #quoted
            }

            fn unquoted(&self) -> &str {
                #p::sea_query::IdenStatic::as_str(self)
            }
        }

        #[automatically_derived]
        impl #p::sea_query::IdenStatic for #iden {
            fn as_str(&self) -> &'static str {
                const NAMES: [&str; #count] = [#(#names),*];
                NAMES[*self as usize]
            }
        }
    };
    (iden_enum, impls)
}
