//! A Mermaid `erDiagram` of the tables a set of migrations touches, as they are after them: each column marked
//! `added`, `dropped`, `changed` or `renamed from ...` in its attribute comment, dropped tables with every column
//! `dropped`, and the tables' foreign keys as relationships (marked when added or dropped). GitHub renders it in a
//! pull-request comment.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use driftless_core::schema::{Column, ForeignKey, Schema, Table};
use driftless_core::step::Step;

/// Table and column renames along the steps, so a table or column can be followed from before to after.
#[derive(Default)]
struct Renames {
    /// Current table name → its name before the steps.
    tables: BTreeMap<String, String>,
    /// (table before, current column name) → the column's name before the steps.
    columns: BTreeMap<(String, String), String>,
}

impl Renames {
    fn table_origin(&self, current: &str) -> String {
        self.tables.get(current).cloned().unwrap_or_else(|| current.to_owned())
    }

    fn column_origin(&self, table_origin: &str, current: &str) -> String {
        self.columns.get(&(table_origin.to_owned(), current.to_owned())).cloned().unwrap_or_else(|| current.to_owned())
    }

    fn table_now(&self, origin: &str) -> String {
        self.tables
            .iter()
            .find(|(_, o)| o.as_str() == origin)
            .map(|(now, _)| now.clone())
            .unwrap_or_else(|| origin.to_owned())
    }
}

/// The diagram's text (without the Markdown fence), or `None` when the steps touch no table.
pub(crate) fn diagram(before: &Schema, after: &Schema, steps: &[&Step]) -> Option<String> {
    let mut renames = Renames::default();
    // Tables touched, by their name before the steps (a created table by its own name).
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for step in steps {
        match step {
            Step::RenameTable { from, to } => {
                let origin = renames.table_origin(from);
                renames.tables.remove(from);
                // Column renames were keyed by the origin, which does not change.
                touched.insert(origin.clone());
                renames.tables.insert(to.clone(), origin);
            }
            Step::RenameColumn { table, from, to } => {
                let origin = renames.table_origin(table);
                let col_origin = renames.column_origin(&origin, from);
                renames.columns.remove(&(origin.clone(), from.clone()));
                renames.columns.insert((origin.clone(), to.clone()), col_origin);
                touched.insert(origin);
            }
            other => {
                if let Some(t) = other.table() {
                    touched.insert(renames.table_origin(t));
                }
            }
        }
    }
    if touched.is_empty() {
        return None;
    }
    let mut out = String::from("erDiagram\n");
    let mut relationships: Vec<String> = Vec::new();
    for origin in &touched {
        let now = renames.table_now(origin);
        let old = before.table(origin);
        let new = after.table(&now);
        let (name, entity) = match (old, new) {
            (None, None) => continue,
            (None, Some(t)) => (now.clone(), entity(t, |_| Some("added".to_owned()), &[])),
            (Some(t), None) => (origin.clone(), entity(t, |_| Some("dropped".to_owned()), &[])),
            (Some(o), Some(n)) => {
                let mark = |c: &Column| {
                    let from = renames.column_origin(origin, &c.name);
                    match o.column(&from) {
                        None => Some("added".to_owned()),
                        Some(was) => {
                            let changed = Column { name: c.name.clone(), ..was.clone() } != *c;
                            match (from != c.name, changed) {
                                (true, true) => Some(format!("renamed from {from}, changed")),
                                (true, false) => Some(format!("renamed from {from}")),
                                (false, true) => Some("changed".to_owned()),
                                (false, false) => None,
                            }
                        }
                    }
                };
                let kept: BTreeSet<String> = n.columns.iter().map(|c| renames.column_origin(origin, &c.name)).collect();
                let dropped: Vec<&Column> = o.columns.iter().filter(|c| !kept.contains(&c.name)).collect();
                (now.clone(), entity(n, mark, &dropped))
            }
        };
        let _ = write!(out, "{}", entity_block(&name, &entity));
        // Foreign keys: the table's as they are now, then those it lost.
        let now_fks: &[ForeignKey] = new.map(|t| t.foreign_keys.as_slice()).unwrap_or(&[]);
        let old_fks: &[ForeignKey] = old.map(|t| t.foreign_keys.as_slice()).unwrap_or(&[]);
        for fk in now_fks {
            let mark = if old_fks.iter().any(|o| o.name == fk.name) { "" } else { " (added)" };
            relationships.push(relationship(&name, new.expect("a table with foreign keys now"), fk, mark));
        }
        for fk in old_fks.iter().filter(|o| !now_fks.iter().any(|n| n.name == o.name)) {
            relationships.push(relationship(&name, old.expect("a table with foreign keys before"), fk, " (dropped)"));
        }
    }
    for r in relationships {
        out.push_str(&r);
    }
    Some(out)
}

/// An entity's attributes: `(type, name, keys, comment)`.
type Attribute = (String, String, Vec<&'static str>, Option<String>);

fn entity(t: &Table, mark: impl Fn(&Column) -> Option<String>, dropped: &[&Column]) -> Vec<Attribute> {
    let attribute = |c: &Column, comment: Option<String>| {
        let mut keys = Vec::new();
        if t.is_primary_key_column(&c.name) {
            keys.push("PK");
        }
        if t.foreign_keys.iter().any(|f| f.columns.contains(&c.name)) {
            keys.push("FK");
        }
        let single = |cols: &[String]| cols.len() == 1 && cols[0] == c.name;
        if t.uniques.iter().any(|u| single(&u.columns)) || t.indexes.iter().any(|i| i.unique && single(&i.columns)) {
            keys.push("UK");
        }
        (type_word(&c.ty.to_string()), word(&c.name), keys, comment)
    };
    let mut out: Vec<Attribute> = t.columns.iter().map(|c| attribute(c, mark(c))).collect();
    out.extend(dropped.iter().map(|c| attribute(c, Some("dropped".to_owned()))));
    out
}

fn entity_block(name: &str, attributes: &[Attribute]) -> String {
    let mut out = format!("    {} {{\n", entity_name(name));
    for (ty, name, keys, comment) in attributes {
        let _ = write!(out, "        {ty} {name}");
        if !keys.is_empty() {
            let _ = write!(out, " {}", keys.join(", "));
        }
        if let Some(c) = comment {
            let _ = write!(out, " \"{}\"", c.replace(['"', '%'], "'"));
        }
        out.push('\n');
    }
    out.push_str("    }\n");
    out
}

/// `child }o--|| parent : "col (added)"`: many rows of the child per parent row; `|o` when the key may be null.
fn relationship(child: &str, table: &Table, fk: &ForeignKey, mark: &str) -> String {
    let optional = fk.columns.iter().any(|c| table.column(c).is_none_or(|c| c.nullable));
    format!(
        "    {} }}o--{} {} : \"{}{mark}\"\n",
        entity_name(child),
        if optional { "o|" } else { "||" },
        entity_name(&fk.ref_table),
        fk.columns.join(", ").replace(['"', '%'], "'")
    )
}

/// A table name as a Mermaid entity: bare when it is a plain word, quoted otherwise.
fn entity_name(name: &str) -> String {
    if is_word(name) { name.to_owned() } else { format!("\"{}\"", name.replace(['"', '%'], "_")) }
}

fn is_word(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// An attribute name: Mermaid takes a plain word only.
fn word(s: &str) -> String {
    let w: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    if !w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        format!("_{w}")
    } else if ["pk", "fk", "uk"].contains(&w.to_ascii_lowercase().as_str()) {
        // Mermaid reads these as key markers, whatever their case.
        format!("{w}_")
    } else {
        w
    }
}

/// An attribute type: a word that may hold brackets and parentheses (`varchar(100)`), no commas or spaces.
fn type_word(s: &str) -> String {
    let w: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || "_-()[]".contains(c) { c } else { '_' }).collect();
    if w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') { w } else { format!("_{w}") }
}

#[cfg(test)]
mod tests {
    use driftless_core::define::*;
    use driftless_core::schema::{ColumnType, Schema};

    use super::*;

    fn decimal() -> ColumnType {
        ColumnType::Decimal { precision: 10, scale: 2 }
    }

    fn users(extra: bool) -> Table {
        let mut t = table("users")
            .with_column(column("id", ColumnType::BigInt).auto_increment())
            .with_column(column("name", ColumnType::Varchar(100)))
            .primary_key("users_pkey", &["id"]);
        if extra {
            t = t.with_column(column("nickname", decimal()).nullable());
        }
        t
    }

    #[test]
    fn marks_added_dropped_changed_and_renamed_columns() {
        let before = Schema { tables: vec![users(true)], enums: vec![] };
        let mut after_users = users(false);
        after_users.columns[1] = column("full_name", ColumnType::Text);
        after_users.columns.push(column("bio", ColumnType::Text).nullable());
        let posts = table("posts")
            .with_column(column("id", ColumnType::BigInt))
            .with_column(column("user_id", ColumnType::BigInt).nullable())
            .primary_key("posts_pkey", &["id"])
            .foreign_key(foreign_key("posts_user_id_fkey", &["user_id"], "users", &["id"]));
        let after = Schema { tables: vec![after_users, posts.clone()], enums: vec![] };
        let steps = [
            rename_column("users", "name", "full_name"),
            alter_column("users", column("full_name", ColumnType::Varchar(100)), column("full_name", ColumnType::Text)),
            add_column("users", column("bio", ColumnType::Text).nullable()),
            drop_column("users", column("nickname", decimal()).nullable()),
            create_table(posts),
        ];
        let refs: Vec<&Step> = steps.iter().collect();
        assert_eq!(
            diagram(&before, &after, &refs).unwrap(),
            "erDiagram
    posts {
        i64 id PK \"added\"
        i64 user_id FK \"added\"
    }
    users {
        i64 id PK
        text full_name \"renamed from name, changed\"
        text bio \"added\"
        decimal(10_2) nickname \"dropped\"
    }
    posts }o--o| users : \"user_id (added)\"
"
        );
    }

    #[test]
    fn a_dropped_table_and_its_foreign_keys_are_marked_dropped() {
        let t = table("a b")
            .with_column(column("ref", ColumnType::Integer))
            .with_column(column("pk", ColumnType::Integer))
            .foreign_key(foreign_key("fk", &["ref"], "users", &["id"]));
        let before = Schema { tables: vec![t.clone(), users(false)], enums: vec![] };
        let after = Schema { tables: vec![users(false)], enums: vec![] };
        let steps = [drop_table(t)];
        assert_eq!(
            diagram(&before, &after, &steps.iter().collect::<Vec<_>>()).unwrap(),
            "erDiagram
    \"a b\" {
        i32 ref FK \"dropped\"
        i32 pk_ \"dropped\"
    }
    \"a b\" }o--|| users : \"ref (dropped)\"
"
        );
    }

    #[test]
    fn no_table_no_diagram() {
        assert_eq!(diagram(&Schema::empty(), &Schema::empty(), &[]), None);
        let raw = [raw_sql(sql("UPDATE users SET name = 'x'"))];
        assert_eq!(diagram(&Schema::empty(), &Schema::empty(), &raw.iter().collect::<Vec<_>>()), None);
    }
}
