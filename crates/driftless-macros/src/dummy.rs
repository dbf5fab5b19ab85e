//! Wraps generated impls in an anonymous `const _: () = { ... };` that imports the runtime crate under a private
//! alias, so nothing the derive emits can clash with, or depend on, names in the user's scope.

use proc_macro2::TokenStream;
use quote::quote;

/// `const _: () = { use <crate> as _driftless; <code> };`, with `crate = "..."` overriding `::driftless`.
pub fn wrap_in_const(crate_path: Option<&syn::Path>, code: TokenStream) -> TokenStream {
    let use_driftless = match crate_path {
        Some(path) => quote! { use #path as _driftless; },
        None => quote! {
            #[allow(unused_extern_crates, clippy::useless_attribute)]
            extern crate driftless as _driftless;
        },
    };
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::absolute_paths)]
        const _: () = {
            #use_driftless
            #code
        };
    }
}

/// The path of the runtime support module inside the const block.
pub fn private() -> TokenStream {
    quote!(_driftless::__private)
}

/// The runtime support module by its full path (`::driftless::__private`, or `<crate>::__private` with
/// `crate = "..."`), for output that is not wrapped by [`wrap_in_const`]: an `impl` alone names nothing in the user's
/// scope, so it needs no const block.
pub fn crate_private(crate_path: Option<&syn::Path>) -> TokenStream {
    match crate_path {
        Some(path) => quote!(#path::__private),
        None => quote!(::driftless::__private),
    }
}
