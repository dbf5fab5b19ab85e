//! A migration as data: a name, frozen `up` and `down` steps, the snapshot hashes it was generated between, its
//! class, and — for a dangerous one — the reviewer's acknowledgement.
//!
//! Generated migration files build a [`Migration`] with the builder methods here and the definition builders in
//! [`crate::define`]; the runtime migrator renders its steps per dialect and records its [`Migration::checksum`].
//!
//! Architecture Invariant: a migration never refers to a live model; every definition in it is a literal.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::DataFn;
use crate::replay::{ReplayOptions, apply_steps_with};
use crate::schema::Schema;
use crate::step::Step;

/// How risky a change (or a migration: its worst change) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Cannot lose data and cannot fail on existing rows.
    Safe,
    /// Loses no data but can fail on existing data, lock or rewrite a table, or break running code.
    ReviewRequired,
    /// Loses data or cannot be undone.
    Dangerous,
}

impl Class {
    /// `safe`, `review_required` or `dangerous`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Safe => "safe",
            Class::ReviewRequired => "review_required",
            Class::Dangerous => "dangerous",
        }
    }

    /// Parses `safe`, `review_required` or `dangerous`.
    pub fn parse(s: &str) -> Option<Class> {
        Some(match s {
            "safe" => Class::Safe,
            "review_required" => Class::ReviewRequired,
            "dangerous" => Class::Dangerous,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reviewer's sign-off on a dangerous migration: who reviewed it and why the data loss is fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// Who reviewed it.
    pub reviewed_by: String,
    /// Why it is fine.
    pub reason: String,
}

impl Acknowledgement {
    /// Whether both fields hold visible text (see [`has_visible_text`]).
    pub fn is_filled_in(&self) -> bool {
        has_visible_text(&self.reviewed_by) && has_visible_text(&self.reason)
    }
}

/// Whether `s` holds at least one character a reader can see: not whitespace (Unicode `White_Space`), not a control
/// character, not a format character (general category `Cf`: zero-width space and joiners, bidirectional marks, the
/// byte-order mark, tags, ...), not a variation selector, and not one of the fillers that render blank.
pub fn has_visible_text(s: &str) -> bool {
    s.chars().any(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(c))
}

/// Format characters (`Cf`), variation selectors, combining grapheme joiner, and blank fillers.
fn is_invisible(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x2800
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

/// One migration.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    /// The unique name, `m<UTC timestamp>_<name>` (for example `m20261122_030000_add_user_timezone`); migrations
    /// sort by it.
    pub name: String,
    /// The hash of the snapshot this migration was generated from (`None` for a hand-written migration).
    pub parent: Option<String>,
    /// The hash of the snapshot after this migration.
    pub snapshot: Option<String>,
    /// The class recorded at generation time (the worst change).
    pub class: Class,
    /// The reviewer's acknowledgement; a dangerous migration is refused until it has one.
    pub acknowledgement: Option<Acknowledgement>,
    /// Whether the migration runs in one transaction where the dialect allows (default `true`).
    pub transactional: bool,
    /// Whether the migration runs online on PostgreSQL (`CREATE INDEX CONCURRENTLY`, constraints added `NOT VALID`
    /// then validated, ...): `None` follows the migrator's setting (on by default), `Some(false)` turns it off for
    /// this migration (`.online(false)`). Not part of the checksum: it changes how the steps run, not what they do.
    pub online: Option<bool>,
    /// Steps applied by `up`, in order.
    pub up: Vec<Step>,
    /// Steps applied by `down`, in order.
    pub down: Vec<Step>,
    /// The functions of its Rust data steps (`data("name")`), by name ([`Migration::data_fn`]). Not part of the
    /// checksum: the steps name them.
    pub data: Vec<(String, DataFn)>,
}

impl Migration {
    /// An empty, safe, transactional migration with the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Migration {
            name: name.into(),
            parent: None,
            snapshot: None,
            class: Class::Safe,
            acknowledgement: None,
            transactional: true,
            online: None,
            up: Vec::new(),
            down: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Gives the function of the Rust data step `data(name)` (see [`crate::data`]).
    pub fn data_fn(mut self, name: &str, function: DataFn) -> Self {
        self.data.retain(|(n, _)| n != name);
        self.data.push((name.to_owned(), function));
        self
    }

    /// The function of the Rust data step `name`, if the migration gives one.
    pub fn data_function(&self, name: &str) -> Option<DataFn> {
        self.data.iter().find(|(n, _)| n == name).map(|(_, f)| *f)
    }

    /// Turns running online on PostgreSQL on or off for this migration, whatever the migrator's setting
    /// (`.online(false)` runs the plain SQL in one transaction).
    pub fn online(mut self, online: bool) -> Self {
        self.online = Some(online);
        self
    }

    /// Sets the parent snapshot hash.
    pub fn parent(mut self, hash: impl Into<String>) -> Self {
        self.parent = Some(hash.into());
        self
    }

    /// Sets the resulting snapshot hash.
    pub fn snapshot(mut self, hash: impl Into<String>) -> Self {
        self.snapshot = Some(hash.into());
        self
    }

    /// Sets the recorded class.
    pub fn class(mut self, class: Class) -> Self {
        self.class = class;
        self
    }

    /// Records the reviewer's acknowledgement of a dangerous migration. Empty strings do not count.
    pub fn acknowledged(mut self, reviewed_by: impl Into<String>, reason: impl Into<String>) -> Self {
        self.acknowledgement = Some(Acknowledgement { reviewed_by: reviewed_by.into(), reason: reason.into() });
        self
    }

    /// Runs the migration outside a transaction (for steps such as `CREATE INDEX CONCURRENTLY`).
    pub fn non_transactional(mut self) -> Self {
        self.transactional = false;
        self
    }

    /// Sets the `up` steps.
    pub fn up(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.up = steps.into_iter().collect();
        self
    }

    /// Sets the `down` steps.
    pub fn down(mut self, steps: impl IntoIterator<Item = Step>) -> Self {
        self.down = steps.into_iter().collect();
        self
    }

    /// Whether the acknowledgement is present and filled in: both fields hold visible text. Unicode whitespace,
    /// control and format characters (a zero-width space, a byte-order mark, bidirectional marks), variation
    /// selectors and blank-looking fillers do not count.
    pub fn is_acknowledged(&self) -> bool {
        self.acknowledgement.as_ref().is_some_and(Acknowledgement::is_filled_in)
    }

    /// Whether `down` can run: no step of it is `Irreversible`.
    pub fn is_reversible(&self) -> bool {
        !self.down.iter().any(|s| matches!(s, Step::Irreversible { .. }))
    }

    /// The checksum of the migration's normalised steps (`up` and `down`, as canonical JSON), hex SHA-256. Editing
    /// an applied migration's steps changes it; editing comments, the acknowledgement or formatting does not, and
    /// neither does declaring the effect of its hand-written SQL (`changes_nothing`, `amounts_to`): that changes
    /// nothing the database runs, and `verify` and drift detection check the declaration against a database.
    pub fn checksum(&self) -> String {
        #[derive(Serialize)]
        struct Canon<'a> {
            up: &'a [Step],
            down: &'a [Step],
        }
        let (up, down) = (without_effects(&self.up), without_effects(&self.down));
        let json = serde_json::to_vec(&Canon { up: &up, down: &down }).expect("steps always serialise");
        Sha256::digest(&json).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The schema before each migration of `registry` and after the last (`registry.len() + 1` entries), as the
/// database sees it: the `up` steps replayed from the empty schema with [`ReplayOptions::DATABASE`], the replay the
/// migrator renders with. `None` from the first migration whose `up` does not replay (after undeclared hand-written
/// SQL, say) on; callers that must say why use [`crate::judge::judge_registry`] or replay themselves.
pub fn schemas_along(registry: &[Migration]) -> Vec<Option<Schema>> {
    let mut out = Vec::with_capacity(registry.len() + 1);
    let mut state = Some(Schema::empty());
    for m in registry {
        let next = state.as_ref().and_then(|s| apply_steps_with(s, &m.up, ReplayOptions::DATABASE).ok());
        out.push(state);
        state = next;
    }
    out.push(state);
    out
}

/// The user-given part of a generated migration name (`add_user_timezone` of `m20261122_030000_add_user_timezone`),
/// or `None` when the name does not have the generated shape.
pub fn short_name(full: &str) -> Option<&str> {
    let rest = full.strip_prefix('m')?;
    let (date, rest) = rest.split_once('_')?;
    let (time, name) = rest.split_once('_')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(date, 8) && digits(time, 6) && !name.is_empty()).then_some(name)
}

/// The steps with the declared effects of hand-written SQL left out (see [`Migration::checksum`]).
/// A backfill's batch size and throttle are left out too: they tune how it runs, not what it does, so an operator
/// may slow down a running backfill without editing history.
fn without_effects(steps: &[Step]) -> std::borrow::Cow<'_, [Step]> {
    if !steps.iter().any(|s| matches!(s, Step::RawSql { effect: Some(_), .. } | Step::Backfill { .. })) {
        return std::borrow::Cow::Borrowed(steps);
    }
    let strip = |s: &Step| match s {
        Step::RawSql { sql, .. } => Step::RawSql { sql: sql.clone(), effect: None },
        Step::Backfill { table, set, predicate, inverse, .. } => Step::Backfill {
            table: table.clone(),
            set: set.clone(),
            predicate: predicate.clone(),
            batch_size: 0,
            throttle_ms: 0,
            inverse: inverse.clone(),
        },
        other => other.clone(),
    };
    std::borrow::Cow::Owned(steps.iter().map(strip).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};

    fn add_tz() -> Migration {
        let col = Column { nullable: true, ..Column::new("timezone", ColumnType::Text) };
        Migration::new("m20261122_030000_add_user_timezone")
            .parent("fnv1a64:0000000000000000")
            .up([Step::AddColumn { table: "users".into(), column: col.clone() }])
            .down([Step::DropColumn { table: "users".into(), column: col }])
    }

    #[test]
    fn a_backfill_can_be_retuned_without_changing_the_checksum() {
        use crate::define::backfill;
        let m = |step: Step| Migration::new("m1").up([step]);
        let base = m(backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL"));
        assert_eq!(
            base.checksum(),
            m(backfill("users", &[("tz", "'UTC'")]).when("tz IS NULL").batch_size(50).throttle_ms(9)).checksum()
        );
        assert_ne!(base.checksum(), m(backfill("users", &[("tz", "'UTC'")])).checksum());
        assert_ne!(base.checksum(), m(backfill("users", &[("tz", "'GMT'")]).when("tz IS NULL")).checksum());
    }

    #[test]
    fn a_data_step_names_its_function_which_is_not_in_the_checksum() {
        use crate::data::{BoxFuture, DataConnection, DataError};
        use crate::define::data;
        fn one(_: &mut dyn DataConnection) -> BoxFuture<'_, Result<(), DataError>> {
            Box::pin(async { Ok(()) })
        }
        fn two(_: &mut dyn DataConnection) -> BoxFuture<'_, Result<(), DataError>> {
            Box::pin(async { Err(DataError::new("two")) })
        }
        let m = |f: crate::data::DataFn| Migration::new("m1").up([data("fill")]).data_fn("fill", f);
        assert_eq!(m(one).checksum(), m(two).checksum());
        assert_ne!(m(one).checksum(), Migration::new("m1").up([data("other")]).checksum());
        assert!(m(one).data_function("fill").is_some() && m(one).data_function("other").is_none());
        assert_eq!(
            data("fill").inverse(),
            Step::Irreversible {
                reason: "the Rust data step `fill` has no automatic inverse; write the down step by hand".into()
            }
        );
        let s = Schema::empty();
        assert_eq!(crate::replay::apply_steps(&s, [&data("fill")]).unwrap(), s);
        let c = crate::classify::classify_steps(&s, &[data("fill")]);
        assert_eq!((c[0].postgres.class, c[0].postgres.code), (Class::ReviewRequired, "data_step"));
    }

    #[test]
    fn checksum_covers_steps_only() {
        let a = add_tz();
        assert_eq!(a.checksum().len(), 64);
        let b = add_tz().acknowledged("ana", "column was unused");
        assert_eq!(a.checksum(), b.checksum());
        let mut c = add_tz();
        if let Step::AddColumn { column, .. } = &mut c.up[0] {
            column.ty = ColumnType::Varchar(64);
        }
        assert_ne!(a.checksum(), c.checksum());
    }

    #[test]
    fn an_undeclared_raw_step_keeps_the_checksum_it_had_before_effects_existed() {
        use crate::define::{irreversible, raw_sql, sql};
        let old =
            Migration::new("m1").up([raw_sql(sql("UPDATE users SET tz = 'UTC'"))]).down([irreversible("data fix")]);
        // The canonical JSON and checksum of this migration before `effect` was added to `raw_sql` steps.
        assert_eq!(
            serde_json::to_string(&old.up).unwrap(),
            r#"[{"step":"raw_sql","sql":{"default":"UPDATE users SET tz = 'UTC'"}}]"#
        );
        assert_eq!(old.checksum(), "a559e1c30e2b97d76acb9a96d8ef326053b9732b7f645e1a78092cc080410ad4");
        // Declaring the effect runs nothing new: an applied migration can be declared without a checksum mismatch.
        // The SQL is still covered.
        let declared = Migration::new("m1")
            .up([raw_sql(sql("UPDATE users SET tz = 'UTC'")).changes_nothing()])
            .down([irreversible("data fix")]);
        assert_eq!(declared.checksum(), old.checksum());
        let edited = Migration::new("m1")
            .up([raw_sql(sql("UPDATE users SET tz = 'GMT'")).changes_nothing()])
            .down([irreversible("data fix")]);
        assert_ne!(edited.checksum(), old.checksum());
        let json = serde_json::to_string(&declared.up).unwrap();
        assert_eq!(json, r#"[{"step":"raw_sql","sql":{"default":"UPDATE users SET tz = 'UTC'"},"effect":"nothing"}]"#);
        assert_eq!(serde_json::from_str::<Vec<Step>>(&json).unwrap(), declared.up);
        let amounts = raw_sql(sql("ALTER TABLE users ADD tz TEXT"))
            .amounts_to([crate::define::add_column("users", Column::new("tz", ColumnType::Text))]);
        let json = serde_json::to_string(&amounts).unwrap();
        assert!(
            json.ends_with(
                r#""effect":{"steps":[{"step":"add_column","table":"users","column":{"name":"tz","type":"text"}}]}}"#
            ),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Step>(&json).unwrap(), amounts);
    }

    #[test]
    fn acknowledgement_must_be_filled_in() {
        assert!(!add_tz().is_acknowledged());
        assert!(!add_tz().acknowledged("", "because").is_acknowledged());
        assert!(!add_tz().acknowledged("ana", "  ").is_acknowledged());
        assert!(add_tz().acknowledged("ana", "the column was never read").is_acknowledged());
    }

    #[test]
    fn invisible_acknowledgements_do_not_count() {
        for blank in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}",
            "\u{FEFF} ",
            "\u{3000}\u{00A0}",
            "\u{202E}\t\n",
            "\u{E0041}",
            "\u{2800}",
            "\u{FE0F}\u{034F}",
        ] {
            assert!(!has_visible_text(blank), "{blank:?} counted as visible");
            assert!(!add_tz().acknowledged(blank, "the column was never read").is_acknowledged(), "{blank:?}");
            assert!(!add_tz().acknowledged("ana", blank).is_acknowledged(), "{blank:?}");
        }
        for visible in ["ana", "\u{200B}ana", "é", "数据", "🦀"] {
            assert!(has_visible_text(visible), "{visible:?} not counted as visible");
        }
    }

    #[test]
    fn schemas_along_stop_at_the_first_migration_that_does_not_replay() {
        let mut users = crate::schema::Table::new("users");
        users.columns.push(Column::new("id", ColumnType::BigInt));
        let registry = [
            Migration::new("m1").up([Step::CreateTable { table: users }]),
            add_tz(),
            Migration::new("m3")
                .up([Step::AddColumn { table: "nowhere".into(), column: Column::new("x", ColumnType::Text) }]),
            Migration::new("m4"),
        ];
        let states = schemas_along(&registry);
        assert_eq!(states.len(), 5);
        assert_eq!(states[0], Some(Schema::empty()));
        assert_eq!(states[1].as_ref().map(|s| s.tables.len()), Some(1));
        let tz = states[2].as_ref().and_then(|s| s.table("users")).map(|t| t.columns.len());
        assert_eq!(tz, Some(2), "m2 added timezone");
        assert_eq!(states[3..], [None, None]);
    }

    #[test]
    fn irreversible_down_is_detected() {
        assert!(add_tz().is_reversible());
        let m = add_tz().down([Step::Irreversible { reason: "data is gone".into() }]);
        assert!(!m.is_reversible());
    }

    #[test]
    fn class_orders_by_risk() {
        assert!(Class::Safe < Class::ReviewRequired && Class::ReviewRequired < Class::Dangerous);
        assert_eq!(Class::parse("review_required"), Some(Class::ReviewRequired));
        assert_eq!(Class::Dangerous.to_string(), "dangerous");
    }

    #[test]
    fn short_names_strip_the_timestamp() {
        assert_eq!(short_name("m20261122_030000_add_user_timezone"), Some("add_user_timezone"));
        assert_eq!(short_name("m20261122_030000_v2"), Some("v2"));
        assert_eq!(short_name("m2026112_030000_x"), None);
        assert_eq!(short_name("baseline"), None);
        assert_eq!(short_name("m20261122_030000_"), None);
    }
}

/// Everything a generated migration file uses: `use driftless::migration::prelude::*;`.
pub mod prelude {
    pub use super::{Class, Migration};
    pub use crate::data::{Batches, BoxFuture, DataConnection, DataError, Value};
    pub use crate::define::*;
    pub use crate::schema::{ColumnType, CustomType, DefaultExpr, Literal, ReferentialAction};
    pub use crate::step::{DialectSql, Step};
}
