//! Proptest strategies for random *valid* schemas (and pairs of them with rename hints), for property tests here and
//! in other crates (the migrator's database round trips reuse them). Behind the `testing` feature.
//!
//! Schemas are drawn from small pools of table, column and enum names, so two independently drawn schemas overlap a
//! lot: the same table with other columns, a column whose type, nullability or default changed, foreign keys that
//! appear, disappear or form cycles, indexes that only changed name. Every schema produced passes
//! [`Schema::validate`].

pub mod orders_items;

use proptest::prelude::*;

use crate::schema::{
    Check, Column, ColumnBackfill, ColumnRename, ColumnType, DefaultExpr, DefaultValue, EnumType, EnumValueRename,
    ForeignKey, Index, Literal, PrimaryKey, ReferentialAction, RenameHints, Schema, Table, TableRename,
    UniqueConstraint, constraint_name,
};

/// The table names schemas are drawn from.
pub const TABLES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

const MOODS: [&str; 4] = ["happy", "sad", "ok", "meh"];

/// The genes of one ordinary column: which variant of its type, nullability, default, comment.
#[derive(Debug, Clone)]
struct ColGene {
    variant: u8,
    nullable: bool,
    default: bool,
    comment: bool,
}

#[derive(Debug, Clone)]
struct TableGene {
    auto_increment: bool,
    cols: Vec<Option<ColGene>>,
    fks: Vec<Option<u8>>,
    indexes: Vec<(u8, bool, bool, bool)>,
    unique_code: bool,
    check: bool,
    comment: bool,
}

#[derive(Debug, Clone)]
struct SchemaGene {
    tables: Vec<Option<TableGene>>,
    mood: Option<Vec<usize>>,
}

const COLS: [&str; 8] = ["name", "code", "score", "price", "active", "created", "mood", "note"];

fn col_gene() -> impl Strategy<Value = ColGene> {
    (0u8..3, any::<bool>(), any::<bool>(), prop::bool::weighted(0.2))
        .prop_map(|(variant, nullable, default, comment)| ColGene { variant, nullable, default, comment })
}

fn table_gene() -> impl Strategy<Value = TableGene> {
    (
        any::<bool>(),
        prop::collection::vec(prop::option::weighted(0.6, col_gene()), COLS.len()),
        prop::collection::vec(prop::option::weighted(0.35, 0u8..3), TABLES.len()),
        prop::collection::vec((1u8..32, any::<bool>(), prop::bool::weighted(0.2), prop::bool::weighted(0.3)), 0..3),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(auto_increment, cols, fks, indexes, unique_code, check, comment)| TableGene {
            auto_increment,
            cols,
            fks,
            indexes,
            unique_code,
            check,
            comment,
        })
}

fn schema_gene() -> impl Strategy<Value = SchemaGene> {
    (
        prop::collection::vec(prop::option::weighted(0.75, table_gene()), TABLES.len()),
        prop::option::weighted(
            0.6,
            Just(()).prop_flat_map(|_| {
                prop::sample::subsequence((0..MOODS.len()).collect::<Vec<_>>(), 1..=MOODS.len()).prop_shuffle()
            }),
        ),
    )
        .prop_map(|(tables, mood)| SchemaGene { tables, mood })
}

fn column(name: &str, g: &ColGene, mood: Option<&EnumType>) -> Option<Column> {
    use ColumnType as T;
    let (ty, default) = match name {
        "name" => (
            [T::Text, T::Varchar(16), T::Varchar(64)][g.variant as usize % 3].clone(),
            DefaultValue::Value(Literal::String("anon".into())),
        ),
        "code" => (
            [T::Varchar(32), T::Char(8), T::Text][g.variant as usize % 3].clone(),
            DefaultValue::Value(Literal::String("x".into())),
        ),
        "score" => {
            ([T::SmallInt, T::Integer, T::BigInt][g.variant as usize % 3].clone(), DefaultValue::Value(Literal::Int(0)))
        }
        "price" => (
            [T::Real, T::Double, T::Decimal { precision: 10, scale: 2 }][g.variant as usize % 3].clone(),
            DefaultValue::Value(Literal::Float(1.5)),
        ),
        "active" => (T::Boolean, DefaultValue::Value(Literal::Bool(g.variant == 1))),
        "created" => (
            [T::DateTime, T::TimestampTz, T::Date][g.variant as usize % 3].clone(),
            if g.variant == 2 {
                DefaultValue::Expr(DefaultExpr::CurrentDate)
            } else {
                DefaultValue::Expr(DefaultExpr::CurrentTimestamp)
            },
        ),
        "mood" => {
            let e = mood?;
            (
                T::Enum(e.name.clone()),
                DefaultValue::Value(Literal::String(e.values[g.variant as usize % e.values.len()].clone())),
            )
        }
        _ => (T::Text, DefaultValue::Sql("'-'".into())),
    };
    let mut c = Column::new(name, ty);
    c.nullable = g.nullable;
    c.default = g.default.then_some(default);
    c.comment = g.comment.then(|| format!("the {name}"));
    Some(c)
}

fn build(g: &SchemaGene) -> Schema {
    let mood = g
        .mood
        .as_ref()
        .map(|idx| EnumType { name: "mood".into(), values: idx.iter().map(|i| MOODS[*i].to_owned()).collect() });
    let present: Vec<&str> = TABLES.iter().zip(&g.tables).filter(|(_, t)| t.is_some()).map(|(n, _)| *n).collect();
    let mut tables = Vec::new();
    for (name, tg) in TABLES.iter().zip(&g.tables) {
        let Some(tg) = tg else { continue };
        let mut t = Table::new(*name);
        let mut id = Column::new("id", ColumnType::BigInt);
        id.auto_increment = tg.auto_increment;
        t.columns.push(id);
        t.primary_key = Some(PrimaryKey { name: constraint_name(name, &[], "pkey"), columns: vec!["id".into()] });
        for (cname, cg) in COLS.iter().zip(&tg.cols) {
            if let Some(c) = cg.as_ref().and_then(|cg| column(cname, cg, mood.as_ref())) {
                t.columns.push(c);
            }
        }
        for (target, action) in TABLES.iter().zip(&tg.fks) {
            let Some(action) = action else { continue };
            if !present.contains(target) {
                continue;
            }
            let col = format!("{target}_id");
            let mut c = Column::new(&col, ColumnType::BigInt);
            c.nullable = true;
            t.columns.push(c);
            t.foreign_keys.push(ForeignKey {
                name: constraint_name(name, &[&col], "fkey"),
                columns: vec![col],
                ref_table: (*target).to_owned(),
                ref_columns: vec!["id".into()],
                on_delete: [ReferentialAction::NoAction, ReferentialAction::Cascade, ReferentialAction::SetNull]
                    [*action as usize % 3],
                on_update: ReferentialAction::NoAction,
            });
        }
        let indexable: Vec<String> = t.columns.iter().skip(1).map(|c| c.name.clone()).collect();
        for (k, (mask, unique, partial, custom)) in tg.indexes.iter().enumerate() {
            let cols: Vec<String> = indexable
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 5)) != 0)
                .map(|(_, c)| c.clone())
                .take(2)
                .collect();
            if cols.is_empty() {
                continue;
            }
            let refs: Vec<&str> = cols.iter().map(String::as_str).collect();
            let name = if *custom { format!("ix_{name}_{k}") } else { constraint_name(name, &refs, "idx") };
            if t.indexes.iter().any(|i| i.name == name || i.columns == cols) {
                continue;
            }
            t.indexes.push(Index {
                name,
                columns: cols,
                unique: *unique,
                predicate: partial.then(|| "id > 0".to_owned()),
                ..Default::default()
            });
        }
        if tg.unique_code && t.column("code").is_some() {
            t.uniques
                .push(UniqueConstraint { name: constraint_name(name, &["code"], "key"), columns: vec!["code".into()] });
        }
        if tg.check && t.column("score").is_some() {
            t.checks.push(Check { name: constraint_name(name, &["score"], "check"), expr: "score >= 0".into() });
        }
        t.comment = tg.comment.then(|| format!("the {name} table"));
        tables.push(t);
    }
    let uses_mood = tables.iter().any(|t| t.columns.iter().any(|c| matches!(&c.ty, ColumnType::Enum(_))));
    let enums = match mood {
        Some(m) if uses_mood || g.tables.iter().flatten().count().is_multiple_of(2) => vec![m],
        _ => vec![],
    };
    // An enum column without the enum cannot exist: drop such columns when the enum was left out.
    if enums.is_empty() {
        for t in &mut tables {
            t.columns.retain(|c| !matches!(c.ty, ColumnType::Enum(_)));
            let names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
            t.indexes.retain(|i| i.columns.iter().all(|c| names.contains(c)));
        }
    }
    Schema { tables, enums }.normalized()
}

/// A random valid schema over the pools of names in this module.
pub fn schema() -> impl Strategy<Value = Schema> {
    schema_gene().prop_map(|g| build(&g))
}

/// Two random valid schemas and rename hints that are valid between them: some tables only in the first are
/// declared renamed to tables only in the second, and likewise columns of tables on both sides and values of the
/// enum.
pub fn schema_pair() -> impl Strategy<Value = (Schema, Schema, RenameHints)> {
    (schema(), schema(), any::<u64>()).prop_map(|(a, b, bits)| {
        let hints = hints_between(&a, &b, bits);
        (a, b, hints)
    })
}

/// Valid rename hints between `a` and `b`, chosen by the bits of `bits`.
pub fn hints_between(a: &Schema, b: &Schema, bits: u64) -> RenameHints {
    let mut bit = 0u32;
    let mut take = || {
        bit = (bit + 1) % 64;
        bits & (1 << bit) != 0
    };
    let mut hints = RenameHints::default();
    let only_a: Vec<&Table> = a.tables.iter().filter(|t| b.table(&t.name).is_none()).collect();
    let mut only_b: Vec<&Table> = b.tables.iter().filter(|t| a.table(&t.name).is_none()).collect();
    for ta in only_a {
        if !only_b.is_empty() && take() {
            let tb = only_b.remove(0);
            hints.tables.push(TableRename { from: ta.name.clone(), to: tb.name.clone() });
        }
    }
    for tb in &b.tables {
        let from =
            hints.tables.iter().find(|h| h.to == tb.name).map(|h| h.from.clone()).unwrap_or_else(|| tb.name.clone());
        let Some(ta) = a.table(&from) else { continue };
        let mut new_cols: Vec<&Column> = tb.columns.iter().filter(|c| ta.column(&c.name).is_none()).collect();
        for ca in ta.columns.iter().filter(|c| tb.column(&c.name).is_none()) {
            if !new_cols.is_empty() && take() {
                let cb = new_cols.remove(0);
                hints.columns.push(ColumnRename { table: tb.name.clone(), from: ca.name.clone(), to: cb.name.clone() });
            }
        }
    }
    // Backfill values for some NOT NULL columns of the second schema's tables: used where such a column is added to
    // a kept table or made NOT NULL, ignored elsewhere (as a model's attribute is after its migration). The value is
    // an SQL literal of the column's type that every dialect accepts; a column of a foreign key gets none (a made-up
    // value would reference nothing).
    for tb in &b.tables {
        let in_fk = |c: &Column| tb.foreign_keys.iter().any(|f| f.columns.contains(&c.name));
        for c in tb.columns.iter().filter(|c| !c.nullable && !c.auto_increment && !in_fk(c)) {
            if let Some(value) = backfill_literal(&c.ty, b)
                && take()
            {
                hints.backfills.push(ColumnBackfill { table: tb.name.clone(), column: c.name.clone(), value });
            }
        }
    }
    if let (Some(ea), Some(eb)) = (a.enum_type("mood"), b.enum_type("mood")) {
        let mut new_vals: Vec<&String> = eb.values.iter().filter(|v| !ea.values.contains(v)).collect();
        for va in ea.values.iter().filter(|v| !eb.values.contains(v)) {
            if !new_vals.is_empty() && take() {
                let vb = new_vals.remove(0);
                hints.enum_values.push(EnumValueRename { r#enum: "mood".into(), from: va.clone(), to: vb.clone() });
            }
        }
    }
    hints.normalize();
    hints
}

/// An SQL literal of type `ty` that SQLite, PostgreSQL and MySQL all accept as written (`None` for a custom type).
fn backfill_literal(ty: &ColumnType, schema: &Schema) -> Option<String> {
    use ColumnType as T;
    Some(match ty {
        T::SmallInt | T::Integer | T::BigInt | T::Real | T::Double | T::Decimal { .. } => "1".into(),
        T::Boolean => "TRUE".into(),
        T::Uuid => "'00000000-0000-4000-8000-000000000002'".into(),
        T::Json => "'{}'".into(),
        T::Date => "'2020-01-02'".into(),
        T::Time => "'03:04:05'".into(),
        T::DateTime | T::TimestampTz => "'2020-01-02 00:00:00'".into(),
        T::Bytes => "''".into(),
        T::Enum(e) => format!("'{}'", schema.enum_type(e)?.values.first()?.replace('\'', "''")),
        T::Custom(_) => return None,
        _ => "'x'".into(),
    })
}

/// The same schema with every list in another order (tables, enums, columns and constraints reversed): a diff
/// against the original must be empty.
pub fn shuffled(s: &Schema) -> Schema {
    let mut s = s.clone();
    s.tables.reverse();
    s.enums.reverse();
    for t in &mut s.tables {
        t.columns.reverse();
        t.indexes.reverse();
        t.uniques.reverse();
        t.foreign_keys.reverse();
        t.checks.reverse();
    }
    s
}

fn synthetic_table(i: usize) -> Table {
    let name = format!("tbl_{i:05}");
    let mut t = Table::new(&name);
    let col = |n: &str, ty: ColumnType, nullable: bool, default: Option<DefaultValue>| {
        let mut c = Column::new(n, ty);
        c.nullable = nullable;
        c.default = default;
        c
    };
    let mut id = col("id", ColumnType::Integer, false, None);
    id.auto_increment = true;
    t.columns = vec![
        id,
        col("name", ColumnType::Text, false, None),
        col("code", ColumnType::Varchar(32), false, None),
        col("description", ColumnType::Text, true, None),
        col("is_active", ColumnType::Boolean, false, Some(DefaultValue::Value(Literal::Bool(true)))),
        col("score", ColumnType::Integer, false, Some(DefaultValue::Value(Literal::Int(0)))),
        col("price", ColumnType::Double, true, None),
        col("created_at", ColumnType::DateTime, false, Some(DefaultValue::Expr(DefaultExpr::CurrentTimestamp))),
        col("updated_at", ColumnType::DateTime, true, None),
        col("prev_id", ColumnType::Integer, true, None),
    ];
    t.primary_key = Some(PrimaryKey { name: format!("{name}_pkey"), columns: vec!["id".into()] });
    t.indexes = vec![Index {
        name: format!("{name}_code_idx"),
        columns: vec!["code".into()],
        unique: false,
        predicate: None,
        ..Default::default()
    }];
    if i > 0 {
        t.foreign_keys = vec![ForeignKey {
            name: format!("{name}_prev_id_fkey"),
            columns: vec!["prev_id".into()],
            ref_table: format!("tbl_{:05}", i - 1),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::SetNull,
            on_update: ReferentialAction::NoAction,
        }];
    }
    t
}

/// The synthetic schema peers were timed on (`shared/bench/README.md`): `n` tables `tbl_00000`… with ten columns
/// each, an index on `code`, and a foreign key `prev_id` → the previous table's `id` (`ON DELETE SET NULL`).
pub fn synthetic(n: usize) -> Schema {
    Schema { tables: (0..n).map(synthetic_table).collect(), enums: vec![] }.normalized()
}

/// [`synthetic`] plus one nullable text column `extra_note` on the middle table: the "incremental" scenario.
pub fn synthetic_plus_one(n: usize) -> Schema {
    let mut s = synthetic(n);
    if let Some(t) = s.table_mut(&format!("tbl_{:05}", n / 2)) {
        let mut extra = Column::new("extra_note", ColumnType::Text);
        extra.nullable = true;
        t.columns.push(extra);
    }
    s
}
