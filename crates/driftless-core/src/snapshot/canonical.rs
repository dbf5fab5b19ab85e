//! Reading a snapshot against a schema's canonical text: what `migrate-generate` does on every run, where the
//! committed `schema.json` (megabytes for thousands of tables) differs from the models' text in one table or two.
//!
//! [`Canonical`] is a schema's text as [`to_string`] writes it, with the place of each table's object in it.
//! [`from_str_reusing`] reads a snapshot like [`from_str`], except that a table whose text is byte-for-byte the
//! canonical text of a table of the known schema is taken from that schema instead of being parsed: canonical text
//! is printed from a normalized table, so equal text is an equal table. Every other table, and the enums, are parsed
//! by serde as usual, and the result is normalized and validated as [`from_str`] does. Whenever the text is not laid
//! out exactly as [`to_string`] lays it out (a file edited by hand, another format, malformed JSON), reading falls
//! back to [`from_str`], so the result, and every error with its line and column, is [`from_str`]'s.
//!
//! [`hash_pair`] hashes two snapshot texts, the committed one and the new one, going over their common beginning
//! once.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use super::{FORMAT, SnapshotError, SnapshotIn, finish, from_str, hash_text_of, is_normalized, to_string};
use crate::hash::FastMap as HashMap;
use crate::schema::{EnumType, Schema, Table};

/// Where the `tables` array of canonical text starts: everything before its first table.
fn head() -> String {
    format!("{{\n  \"format\": \"{FORMAT}\",\n  \"tables\": [")
}

/// A schema's canonical text ([`to_string`]) and the byte range of each table's object in it.
#[derive(Debug, Clone)]
pub struct Canonical<'a> {
    schema: Cow<'a, Schema>,
    text: String,
    tables: Vec<Range<usize>>,
    /// Where the text after the `tables` array starts.
    rest: usize,
}

impl<'a> Canonical<'a> {
    /// The canonical text of `schema` (a normalized copy when it is not normalized).
    pub fn new(schema: &'a Schema) -> Self {
        let schema =
            if is_normalized(schema) { Cow::Borrowed(schema) } else { Cow::Owned(schema.clone().normalized()) };
        let text = to_string(&schema);
        let Split { tables, rest } =
            split(&text, |_| None).expect("the canonical text is laid out as `split` reads it");
        debug_assert_eq!(tables.len(), schema.tables.len());
        Canonical { schema, text, tables, rest }
    }

    /// The text, as [`to_string`] writes it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text, as [`to_string`] writes it.
    pub fn into_text(self) -> String {
        self.text
    }

    /// The schema (normalized).
    pub(super) fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The text, each table's object in it, and where the text after the `tables` array starts.
    pub(super) fn parts(&self) -> (&str, &[Range<usize>], usize) {
        (&self.text, &self.tables, self.rest)
    }
}

/// The layout of canonical text: each table's object, and where the text after the `tables` array starts.
pub(super) struct Split {
    pub(super) tables: Vec<Range<usize>>,
    pub(super) rest: usize,
}

/// Splits text laid out as [`to_string`] lays it out into its tables' objects, or `None`. In pretty JSON each table
/// of the array is an object opened by a line `    {` and closed by the next line `    }` (everything inside is
/// indented deeper, and a JSON string holds no raw line break), followed by `,` and the next table, or by the end
/// of the array. `expect` may guess the object starting at an offset (text that ends with the first `    }` line,
/// as canonical text does), which is then checked rather than searched for.
pub(super) fn split<'t>(text: &str, expect: impl Fn(&str) -> Option<&'t str>) -> Option<Split> {
    const OPEN: &str = "\n    {";
    let head = head();
    let mut at = head.len();
    if !text.starts_with(&head) {
        return None;
    }
    let mut tables = Vec::new();
    if text[at..].starts_with(']') {
        return Some(Split { tables, rest: at + 1 });
    }
    loop {
        if !text[at..].starts_with(OPEN) {
            return None;
        }
        let start = at + 1;
        let end = match expect(&text[start..]) {
            Some(guess) if text[start..].starts_with(guess) => start + guess.len(),
            _ => start + object_len(&text[start..])?,
        };
        tables.push(start..end);
        let after = &text[end..];
        if after.starts_with(',') {
            at = end + 1;
        } else if after.starts_with("\n  ]") {
            return Some(Split { tables, rest: end + "\n  ]".len() });
        } else {
            return None;
        }
    }
}

/// The length of the table object `text` starts with: up to the end of its first line `    }`.
fn object_len(text: &str) -> Option<usize> {
    const CLOSE: &[u8] = b"\n    }";
    let bytes = text.as_bytes();
    let mut from = 0;
    // `str::find(char)` looks for the byte with memchr, far faster here than a search for the whole line.
    loop {
        let brace = from + text[from..].find('}')?;
        if brace + 1 >= CLOSE.len() && &bytes[brace + 1 - CLOSE.len()..=brace] == CLOSE {
            return Some(brace + 1);
        }
        from = brace + 1;
    }
}

/// The enums after the `tables` array of canonical text: none (`\n}\n`), or the `enums` array.
fn enums_after(rest: &str) -> Option<Vec<EnumType>> {
    if rest == "\n}\n" {
        return Some(Vec::new());
    }
    let array = rest.strip_prefix(",\n  \"enums\": ")?.strip_suffix("\n}\n")?;
    serde_json::from_str(array).ok()
}

/// A table object's first two lines (`{` and its name), which tell which table it is.
pub(super) fn key(object: &str) -> &str {
    let first = object.find('\n').map_or(object.len(), |i| i + 1);
    let second = object[first..].find('\n').map_or(object.len(), |i| first + i);
    &object[..second]
}

/// Reads snapshot text like [`from_str`], taking each table whose text is that of a table of `known` from `known`
/// instead of parsing it (see the module documentation). `origin` names the file in errors.
pub fn from_str_reusing(text: &str, origin: &Path, known: &Canonical<'_>) -> Result<Schema, SnapshotError> {
    if text == known.text {
        // The very text of a schema: that schema (it was validated when it was built or read).
        return Ok(known.schema.clone().into_owned());
    }
    match reuse(text, known) {
        Some(parsed) => finish(parsed, origin),
        None => from_str(text, origin),
    }
}

fn reuse(text: &str, known: &Canonical<'_>) -> Option<SnapshotIn> {
    let by_key: HashMap<&str, usize> =
        known.tables.iter().enumerate().map(|(i, r)| (key(&known.text[r.clone()]), i)).collect();
    let object_of = |i: usize| &known.text[known.tables[i].clone()];
    // Each table's object is expected to be the known one of its name: then it need not be searched for.
    let split = split(text, |rest| by_key.get(key(rest)).map(|&i| object_of(i)))?;
    let enums = enums_after(&text[split.rest..])?;
    let mut tables: Vec<Table> = Vec::with_capacity(split.tables.len());
    for range in split.tables {
        let object = &text[range];
        let same = by_key.get(key(object)).filter(|&&i| object_of(i) == object);
        match same {
            Some(&i) => tables.push(known.schema.tables[i].clone()),
            None => tables.push(serde_json::from_str(object).ok()?),
        }
    }
    Some(SnapshotIn { format: FORMAT.to_owned(), tables, enums })
}

/// The hashes ([`hash_text`](super::hash_text)) of two snapshot texts, computed over their common beginning once:
/// `migrate-generate` hashes the committed snapshot (the parent) and the new one, which usually differ in one table.
pub fn hash_pair(a: &str, b: &str) -> (String, String) {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let same = common_prefix(a, b);
    let prefix = crate::hash::fnv1a64(a[..same].iter().copied());
    let of = |rest: &[u8]| hash_text_of(crate::hash::fnv1a64_continue(prefix, rest.iter().copied()));
    (of(&a[same..]), of(&b[same..]))
}

/// How far apart [`HashStates`] keeps the hash's states.
const STRIDE: usize = 1 << 16;

/// The FNV-1a states of one text (the committed snapshot) every 64 KiB and at its end: [`HashStates::pair`] then
/// hashes a second text that shares a beginning with it from the last state before they differ. The states can be
/// computed before the second text exists (while the models' text is printed, on another thread).
#[derive(Debug, Clone)]
pub struct HashStates {
    /// `states[i]`: the state after the first `i * STRIDE` bytes; the last one, after the whole text.
    states: Vec<u64>,
}

impl HashStates {
    /// The states of `text`, or `None` when `stop` is set before they are all computed (the caller no longer needs
    /// them).
    pub fn new(text: &str, stop: &std::sync::atomic::AtomicBool) -> Option<Self> {
        let bytes = text.as_bytes();
        let mut states = Vec::with_capacity(bytes.len() / STRIDE + 2);
        let mut state = crate::hash::fnv1a64(std::iter::empty());
        states.push(state);
        for chunk in bytes.chunks(STRIDE) {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            state = crate::hash::fnv1a64_continue(state, chunk.iter().copied());
            states.push(state);
        }
        if bytes.len().is_multiple_of(STRIDE) {
            // The whole text's state is already the last one pushed; keep one entry per stride and one at the end.
            states.push(state);
        }
        Some(HashStates { states })
    }

    /// [`hash_pair`] of `a` (the text these are the states of) and `b`: `b` is hashed from the last state of `a`
    /// before they differ.
    pub fn pair(&self, a: &str, b: &str) -> (String, String) {
        let same = common_prefix(a.as_bytes(), b.as_bytes());
        let at = (same / STRIDE).min(self.states.len() - 2);
        let b_hash = crate::hash::fnv1a64_continue(self.states[at], b.as_bytes()[at * STRIDE..].iter().copied());
        let a_hash = *self.states.last().expect("at least two states");
        (hash_text_of(a_hash), hash_text_of(b_hash))
    }
}

/// The length of the common beginning of `a` and `b`.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut same = 0;
    const BLOCK: usize = 4096;
    while same + BLOCK <= a.len().min(b.len()) && a[same..same + BLOCK] == b[same..same + BLOCK] {
        same += BLOCK;
    }
    same + a[same..].iter().zip(&b[same..]).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::super::hash_text;
    use super::*;
    use crate::schema::{Column, ColumnType, EnumType};
    use crate::testing::synthetic;

    fn origin() -> &'static Path {
        Path::new("schema.json")
    }

    #[test]
    fn the_tables_of_canonical_text_are_found() {
        let mut s = synthetic(3);
        s.enums.push(EnumType { name: "mood".into(), values: vec!["ok".into()] });
        let c = Canonical::new(&s);
        assert_eq!(c.tables.len(), 3);
        for (t, r) in s.tables.iter().zip(&c.tables) {
            let object = &c.text()[r.clone()];
            assert!(object.starts_with("    {\n      \"name\": ") && object.ends_with("\n    }"), "{object}");
            assert_eq!(&serde_json::from_str::<Table>(object).unwrap(), t);
        }
        assert_eq!(Canonical::new(&Schema::empty()).tables, Vec::<Range<usize>>::new());
    }

    #[test]
    fn reading_against_a_schema_gives_what_from_str_gives() {
        let known = synthetic(5);
        let c = Canonical::new(&known);
        // One table changed, one removed, one added, and an enum: only what differs is parsed.
        let mut other = known.clone();
        other.tables[2].columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) });
        other.tables.remove(4);
        let mut added = other.tables[0].clone();
        added.name = "zzz".into();
        added.foreign_keys.clear();
        added.indexes.clear();
        added.primary_key.as_mut().unwrap().name = "zzz_pkey".into();
        other.tables.push(added);
        other.enums.push(EnumType { name: "mood".into(), values: vec!["ok".into(), "meh".into()] });
        for schema in [&known, &other, &Schema::empty()] {
            let text = to_string(schema);
            assert!(reuse(&text, &c).is_some(), "canonical text is read without the fallback");
            let read = from_str_reusing(&text, origin(), &c).unwrap();
            assert_eq!(read, from_str(&text, origin()).unwrap());
            assert_eq!(&read, schema);
        }
    }

    #[test]
    fn text_laid_out_otherwise_is_read_and_refused_as_from_str_does() {
        let known = synthetic(3);
        let c = Canonical::new(&known);
        let text = to_string(&known);
        let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).unwrap()).unwrap();
        assert_eq!(from_str_reusing(&compact, origin(), &c).unwrap(), synthetic(3));
        let unknown_key = text.replacen("\"name\": \"tbl_00001\"", "\"name\": \"tbl_00001\", \"colour\": 1", 1);
        let truncated = &text[..text.len() / 2];
        let bad_type = text.replacen("\"type\": \"text\"", "\"type\": \"integer\"", 1);
        let invalid = text.replacen("\"name\": \"prev_id\"", "\"name\": \"id\"", 1);
        let trailing = format!("{text}x");
        // The file's layout is kept, so only the table that differs is parsed; the invalid one is refused by
        // validation, as from_str refuses it.
        assert!(reuse(&invalid, &c).is_some());
        for bad in [unknown_key.as_str(), truncated, &bad_type, &invalid, &trailing] {
            assert_eq!(
                from_str_reusing(bad, origin(), &c).unwrap_err().to_string(),
                from_str(bad, origin()).unwrap_err().to_string()
            );
        }
    }

    #[test]
    fn hash_pair_is_two_hashes() {
        let a = to_string(&synthetic(40));
        let mut s = synthetic(40);
        s.tables[20].columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) });
        let b = to_string(&s);
        for (x, y) in [(&a, &b), (&a, &a), (&b, &a)] {
            assert_eq!(hash_pair(x, y), (hash_text(x), hash_text(y)));
        }
        assert_eq!(hash_pair("", "abc"), (hash_text(""), hash_text("abc")));
        assert_eq!(hash_pair(&a, &a[..100]), (hash_text(&a), hash_text(&a[..100])));
    }

    #[test]
    fn hash_states_give_the_two_hashes() {
        use std::sync::atomic::AtomicBool;
        let go = AtomicBool::new(false);
        let a = to_string(&synthetic(400));
        assert!(a.len() > 3 * STRIDE, "several strides");
        let mut s = synthetic(400);
        s.tables[200].columns.push(Column { nullable: true, ..Column::new("extra", ColumnType::Text) });
        let b = to_string(&s);
        let exact = "x".repeat(2 * STRIDE);
        let texts: [&str; 7] = [&a, &b, "", "abc", &a[..100], &a[..STRIDE], &exact];
        for x in texts {
            let states = HashStates::new(x, &go).unwrap();
            for y in texts {
                assert_eq!(states.pair(x, y), (hash_text(x), hash_text(y)), "{} {}", x.len(), y.len());
            }
        }
        assert!(HashStates::new(&a, &AtomicBool::new(true)).is_none(), "stopped");
    }
}
