//! driftless's example application: the models of a small product with accounts (roles, users), an AI chat
//! (chats, messages, agent sessions) and a blog (posts, tags and their pivot table).
//!
//! Together the models use every feature of the derive: auto-increment and UUID primary keys, a composite primary
//! key of two foreign keys, a unique foreign key (one-to-one), literal and expression defaults, indexes on one and
//! two columns, enum columns, JSON and decimal columns, and column renames.

pub mod migrations;
pub mod models;

/// The application's schema: its explicit, ordered list of models.
pub fn schema() -> driftless::schema::SchemaBuilder {
    use models::*;
    driftless::schema![Role, User, Chat, Message, AgentSession, Post, Tag, PostTag]
}
