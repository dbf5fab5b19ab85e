//! The example application's models (filled in once the derive lands).

/// The application's schema: its explicit, ordered list of models.
pub fn schema() -> driftless_core::schema::SchemaBuilder {
    driftless_core::schema::SchemaBuilder::new()
}
