//! The snapshot's pretty JSON, printed faster: [`Pretty`] writes exactly what `serde_json`'s `PrettyFormatter` (two
//! spaces) writes, but a line break and its indentation in one write instead of one write per level. A snapshot of
//! thousands of tables is hundreds of thousands of lines, each four to six levels deep.

use std::io;

use serde_json::ser::Formatter;

/// A comma, a line break, and enough spaces for the deepest line of a snapshot (deeper lines loop).
const BREAK: &[u8; 2 + 2 * 16] = b",\n                                ";

/// `serde_json::ser::PrettyFormatter::new()`'s output, with fewer writes.
#[derive(Debug, Default)]
pub(super) struct Pretty {
    level: usize,
    has_value: bool,
}

impl Pretty {
    /// A line break (after a comma unless `first`) and the indentation of the current level.
    fn break_line<W: ?Sized + io::Write>(&self, writer: &mut W, first: bool) -> io::Result<()> {
        let start = usize::from(first);
        let spaces = 2 * self.level;
        if spaces <= BREAK.len() - 2 {
            return writer.write_all(&BREAK[start..2 + spaces]);
        }
        writer.write_all(&BREAK[start..2])?;
        for _ in 0..self.level {
            writer.write_all(b"  ")?;
        }
        Ok(())
    }

    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    /// `]` or `}`: on a line of its own after a value, right after the opening bracket when empty.
    fn close<W: ?Sized + io::Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.break_line(writer, true)?;
        }
        writer.write_all(bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.break_line(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.break_line(writer, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// The pretty JSON of `value`, as `serde_json::to_string_pretty` writes it.
pub(super) fn to_string_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(4096);
    value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, Pretty::default()))?;
    // serde_json writes only valid UTF-8 (strings are `str`, escapes and numbers ASCII).
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType, DefaultExpr, DefaultValue, EnumType, Literal, Schema};
    use crate::testing::synthetic;

    #[test]
    fn writes_what_serde_json_pretty_writes() {
        let mut s = synthetic(3);
        s.enums.push(EnumType { name: "mood".into(), values: vec!["ok".into(), "quote \" \\ \n é".into()] });
        let t = &mut s.tables[1];
        t.comment = Some("line\nbreak\ttab \u{1} ünïcode".into());
        for (i, default) in [
            DefaultValue::Value(Literal::Float(1.5e300)),
            DefaultValue::Value(Literal::Float(-0.0)),
            DefaultValue::Value(Literal::Int(i64::MIN)),
            DefaultValue::Value(Literal::String(String::new())),
            DefaultValue::Expr(DefaultExpr::GenRandomUuid),
            DefaultValue::Sql("now()".into()),
        ]
        .into_iter()
        .enumerate()
        {
            let mut c = Column::new(format!("c{i}"), ColumnType::Decimal { precision: 10, scale: 2 });
            c.default = Some(default);
            t.columns.push(c);
        }
        let empty = Schema::empty();
        // Deeper than the indentation written at once.
        let mut deep = serde_json::json!({"b": [1, {}, [], "x"]});
        for _ in 0..20 {
            deep = serde_json::json!({ "a": [deep] });
        }
        assert_eq!(to_string_pretty(&s).unwrap(), serde_json::to_string_pretty(&s).unwrap());
        assert_eq!(to_string_pretty(&empty).unwrap(), serde_json::to_string_pretty(&empty).unwrap());
        assert_eq!(to_string_pretty(&deep).unwrap(), serde_json::to_string_pretty(&deep).unwrap());
    }
}
