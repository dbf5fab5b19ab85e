//! `#[derive(DbEnum)]`: a unit-only Rust enum stored in an enum column. Generates `DbEnum` (the ordered values and
//! the conversions), `SqlColumn` (`enum(<name>)` plus the enum type, which `Model` collects into its definition)
//! and `From<Enum> for sea_query::Value`, so a variant can be compared against in a query.

use proc_macro2::TokenStream;
use quote::quote;

use crate::dummy;
use crate::internals::ast::Enum;
use crate::internals::{Ctxt, check};

/// Expands `#[derive(DbEnum)]` on `input`, or returns every error found as `compile_error!`s.
pub fn expand_db_enum(input: TokenStream) -> TokenStream {
    let item: syn::DeriveInput = match syn::parse2(input) {
        Ok(item) => item,
        Err(err) => return err.to_compile_error(),
    };
    let cx = Ctxt::new();
    let e = Enum::from_ast(&cx, &item);
    if let Some(e) = &e {
        check::check_db_enum(&cx, e);
    }
    if let Err(err) = cx.check() {
        return err.to_compile_error();
    }
    match e {
        Some(e) => generate(&e),
        // `from_ast` only returns `None` after recording an error, which `check` has returned above.
        None => TokenStream::new(),
    }
}

fn generate(e: &Enum) -> TokenStream {
    let p = dummy::private();
    let ident = &e.ident;
    let name = e.type_name();
    let values: Vec<String> = e.variants.iter().map(|v| e.value_of(v)).collect();
    let variants: Vec<&syn::Ident> = e.variants.iter().map(|v| &v.ident).collect();
    let renamed_from = match e.attrs.renamed_from() {
        Some(from) => {
            let from = &from.value;
            quote!(#p::Option::Some(#from))
        }
        None => quote!(#p::Option::None),
    };
    let body = quote! {
        #[automatically_derived]
        impl #p::DbEnum for #ident {
            const NAME: &'static str = #name;
            const VALUES: &'static [&'static str] = &[#(#values),*];
            const RENAMED_FROM: #p::Option<&'static str> = #renamed_from;

            fn as_db_str(&self) -> &'static str {
                match *self {
                    #(#ident::#variants => #values,)*
                }
            }

            fn from_db_str(value: &str) -> #p::Option<Self> {
                match value {
                    #(#values => #p::Option::Some(#ident::#variants),)*
                    _ => #p::Option::None,
                }
            }
        }

        #[automatically_derived]
        impl #p::SqlColumn for #ident {
            fn column_type() -> #p::ColumnType {
                #p::ColumnType::Enum(#p::String::from(#name))
            }

            fn enum_type() -> #p::Option<#p::EnumType> {
                #p::Option::Some(<Self as #p::DbEnum>::db_enum_type())
            }

            fn enum_renamed_from() -> #p::Option<&'static str> {
                <Self as #p::DbEnum>::RENAMED_FROM
            }
        }

        #[automatically_derived]
        impl #p::From<#ident> for #p::sea_query::Value {
            fn from(value: #ident) -> Self {
                #p::sea_query::Value::String(#p::Option::Some(#p::String::from(
                    <#ident as #p::DbEnum>::as_db_str(&value),
                )))
            }
        }
    };
    dummy::wrap_in_const(e.attrs.crate_path(), body)
}
