//! The derive's own tree: a [`Container`] of [`Field`]s (for `Model`) or an [`Enum`] of [`Variant`]s (for
//! `DbEnum`), each holding its parsed attributes next to a reference to the `original` syn node for spans.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::{Ctxt, attr};

/// A struct deriving `Model`.
pub struct Container<'a> {
    pub ident: syn::Ident,
    pub attrs: attr::Container,
    pub fields: Vec<Field<'a>>,
    pub original: &'a syn::DeriveInput,
}

/// One named field of a `Model` struct.
pub struct Field<'a> {
    pub ident: syn::Ident,
    pub attrs: attr::Field,
    pub ty: &'a syn::Type,
    pub original: &'a syn::Field,
}

impl<'a> Container<'a> {
    /// Reads the struct and its attributes. Returns `None` (with errors recorded) when the input is not a struct
    /// with named fields; attribute errors are recorded but still give a container, so checks can add theirs.
    pub fn from_ast(cx: &Ctxt, item: &'a syn::DeriveInput) -> Option<Self> {
        let attrs = attr::Container::from_ast(cx, item);
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(
                &item.generics,
                "#[derive(Model)] does not support generic structs: a table has one fixed set of column types",
            );
        }
        let fields = match &item.data {
            syn::Data::Struct(syn::DataStruct { fields: syn::Fields::Named(named), .. }) => &named.named,
            syn::Data::Struct(s) => {
                let span = match &s.fields {
                    syn::Fields::Unnamed(u) => u.span(),
                    _ => item.ident.span(),
                };
                cx.error_at(span, "#[derive(Model)] needs a struct with named fields: each field is a column");
                return None;
            }
            syn::Data::Enum(e) => {
                cx.error_spanned_by(
                    e.enum_token,
                    "#[derive(Model)] only works on structs; for an enum stored in a column use #[derive(DbEnum)]",
                );
                return None;
            }
            syn::Data::Union(u) => {
                cx.error_spanned_by(u.union_token, "#[derive(Model)] only works on structs");
                return None;
            }
        };
        let fields = fields
            .iter()
            .filter_map(|f| {
                let ident = f.ident.clone()?;
                Some(Field { ident, attrs: attr::Field::from_ast(cx, f), ty: &f.ty, original: f })
            })
            .collect();
        Some(Container { ident: item.ident.clone(), attrs, fields, original: item })
    }

    /// The table name: `table = "..."`, or the snake_case struct name (no plural is added).
    pub fn table_name(&self) -> String {
        match self.attrs.table() {
            Some(t) => t.value.clone(),
            None => self.ident.unraw().to_string().to_snake_case(),
        }
    }

    /// The fields that are columns (not `skip`ped).
    pub fn columns(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.attrs.skip().is_none())
    }

    /// The name of the generated sea-query identifier enum: `<Struct>Iden`.
    pub fn iden_ident(&self) -> syn::Ident {
        syn::Ident::new(&format!("{}Iden", self.ident.unraw()), self.ident.span())
    }
}

impl Field<'_> {
    /// The column name: `column = "..."`, or the field name without `r#`.
    pub fn column_name(&self) -> String {
        match self.attrs.column() {
            Some(c) => c.value.clone(),
            None => self.ident.unraw().to_string(),
        }
    }

    /// Where to point errors about the column's name: the `column` attribute if given, else the field name.
    pub fn column_span(&self) -> Span {
        self.attrs.column().map_or_else(|| self.ident.span(), |c| c.span)
    }

    /// The field's variant in the identifier enum: the field name in PascalCase.
    pub fn iden_variant(&self) -> syn::Ident {
        syn::Ident::new(&self.ident.unraw().to_string().to_upper_camel_case(), self.ident.span())
    }

    /// Whether the type is written as `Option<...>` (used for nullability when `sql_type` bypasses the trait).
    pub fn is_option_syntax(&self) -> bool {
        option_inner(&self.original.ty).is_some()
    }
}

/// `T` if `ty` is written `Option<T>`, `std::option::Option<T>` or `core::option::Option<T>`.
pub fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let segs: Vec<_> = p.path.segments.iter().collect();
    let last = segs.last()?;
    let prefix_ok = match segs.len() {
        1 => true,
        3 => (segs[0].ident == "std" || segs[0].ident == "core") && segs[1].ident == "option",
        _ => false,
    };
    if !prefix_ok || last.ident != "Option" {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// An enum deriving `DbEnum`.
pub struct Enum<'a> {
    pub ident: syn::Ident,
    pub attrs: attr::Enum,
    pub variants: Vec<Variant<'a>>,
    pub original: &'a syn::DeriveInput,
}

/// One unit variant of a `DbEnum`.
pub struct Variant<'a> {
    pub ident: syn::Ident,
    pub attrs: attr::Variant,
    pub original: &'a syn::Variant,
}

impl<'a> Enum<'a> {
    /// Reads the enum. Returns `None` (with an error recorded) for structs and unions; data-carrying variants are
    /// reported here, one error each.
    pub fn from_ast(cx: &Ctxt, item: &'a syn::DeriveInput) -> Option<Self> {
        let attrs = attr::Enum::from_ast(cx, item);
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(&item.generics, "#[derive(DbEnum)] does not support generic enums");
        }
        let data = match &item.data {
            syn::Data::Enum(e) => e,
            syn::Data::Struct(s) => {
                cx.error_spanned_by(
                    s.struct_token,
                    "#[derive(DbEnum)] only works on enums whose variants carry no data; for a table use \
                     #[derive(Model)]",
                );
                return None;
            }
            syn::Data::Union(u) => {
                cx.error_spanned_by(u.union_token, "#[derive(DbEnum)] only works on enums");
                return None;
            }
        };
        let mut variants = Vec::new();
        for v in &data.variants {
            if !matches!(v.fields, syn::Fields::Unit) {
                cx.error_spanned_by(
                    &v.fields,
                    format!(
                        "DbEnum variant `{}` carries data; an enum column stores only the variant's name, so \
                         every variant must be a unit variant",
                        v.ident
                    ),
                );
            }
            variants.push(Variant { ident: v.ident.clone(), attrs: attr::Variant::from_ast(cx, v), original: v });
        }
        Some(Enum { ident: item.ident.clone(), attrs, variants, original: item })
    }

    /// The enum type's name: `name = "..."`, or the snake_case enum name.
    pub fn type_name(&self) -> String {
        match self.attrs.name() {
            Some(n) => n.value.clone(),
            None => self.ident.unraw().to_string().to_snake_case(),
        }
    }

    /// The stored value of `v`: `rename = "..."`, or the `rename_all` rule applied to its name.
    pub fn value_of(&self, v: &Variant) -> String {
        match v.attrs.rename() {
            Some(r) => r.value.clone(),
            None => self.attrs.rename_all().apply(&v.ident.unraw().to_string()),
        }
    }
}
