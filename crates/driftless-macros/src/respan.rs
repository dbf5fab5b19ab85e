//! Spans of the derive's output, chosen for incremental compilation.
//!
//! rustc hashes a span relative to the item that owns it when the item's source span contains it, so moving an
//! unchanged item does not make it "changed". Tokens made by `quote!` carry `Span::call_site()`, whose syntax
//! context is the derive's expansion, and the hash of an expansion includes the absolute line and column of the
//! `#[derive(Model)]` it came from. So adding one field to one model changed the hash of everything the derive
//! emitted for every model below it in the file, and rustc type-checked, borrow-checked and re-hashed all of it
//! again (`docs/benchmarks.md`, "Editing one of 1,000 derived models").
//!
//! The output is therefore re-spanned: every token the derive makes gets the span of the struct's braced field
//! list (the user's own tokens, no expansion context), so each emitted item's span is that list and contains the
//! user's tokens quoted inside it (field types, attribute values). Name resolution does not change: call-site
//! spans resolve as if written at the call site, as the user's own tokens do. The tokens that carry an error
//! location (a field's type, an attribute checked against it) are [`keep`]: they keep their spans, so a compile
//! error still points at the user's token.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::quote;

/// The name that marks a [`keep`] group; it never reaches the compiler.
const KEEP: &str = "__driftless_keep_spans";

/// Marks `tokens` so that [`respan_generated`] leaves their spans alone (and removes the mark).
pub fn keep(tokens: TokenStream) -> TokenStream {
    let mark = Ident::new(KEEP, Span::call_site());
    TokenTree::Group(Group::new(Delimiter::None, quote!(#mark #tokens))).into()
}

/// Gives every token of `tokens` the span `span`, except inside [`keep`] groups, which are unwrapped as they are.
pub fn respan_generated(tokens: TokenStream, span: Span) -> TokenStream {
    let mut out = Vec::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let mut inner = g.stream().into_iter();
                if g.delimiter() == Delimiter::None
                    && matches!(inner.next(), Some(TokenTree::Ident(ref id)) if id == KEEP)
                {
                    out.extend(inner);
                    continue;
                }
                let mut group = Group::new(g.delimiter(), respan_generated(g.stream(), span));
                group.set_span(span);
                out.push(TokenTree::Group(group));
            }
            mut tt => {
                tt.set_span(span);
                out.push(tt);
            }
        }
    }
    out.into_iter().collect()
}

/// Gives every token of `tokens` the span `span`, so a trait error on the type is reported at `span`.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn keep_marks_are_removed_at_any_depth() {
        let kept = keep(quote!(ColumnSpec::of::<i32>));
        let nested = keep(quote!(assert::<String>();));
        let out = respan_generated(quote!(fn f() { #nested [#kept] }), Span::call_site());
        assert_eq!(
            out.to_string(),
            quote!(
                fn f() {
                    assert::<String>();
                    [ColumnSpec::of::<i32>]
                }
            )
            .to_string()
        );
        assert!(!out.to_string().contains(KEEP), "{out}");
    }
}
