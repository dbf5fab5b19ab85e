//! Portable column types and their compact text form (`"varchar(32)"`, `"decimal(10,2)"`, `"enum(post_status)"`).
//!
//! The text form is what schema.json stores, so a type change shows up in a pull request as a one-word diff.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A portable column type. Each dialect maps it to its own spelling in `render`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// 16-bit integer (`i16`).
    SmallInt,
    /// 32-bit integer (`i32`).
    Integer,
    /// 64-bit integer (`i64`).
    BigInt,
    /// 32-bit float (`f32`).
    Real,
    /// 64-bit float (`f64`).
    Double,
    /// Boolean.
    Boolean,
    /// Unbounded text (`String`).
    Text,
    /// Text with a maximum length in characters (`String` with `max_length`).
    Varchar(u32),
    /// Fixed-length text.
    Char(u32),
    /// Binary data (`Vec<u8>`).
    Bytes,
    /// A UUID.
    Uuid,
    /// JSON (`serde_json::Value`).
    Json,
    /// A calendar date.
    Date,
    /// A time of day.
    Time,
    /// A date and time without time zone.
    DateTime,
    /// A date and time with time zone (an instant).
    TimestampTz,
    /// A fixed-point decimal with precision and scale.
    Decimal {
        /// Total digits.
        precision: u32,
        /// Digits after the point.
        scale: u32,
    },
    /// A value of the named enum type (see `Schema::enums`).
    Enum(String),
    /// A per-dialect escape hatch (`sql_type = "..."`).
    Custom(CustomType),
}

/// The per-dialect spelling of a custom column type. A dialect without its own entry uses `default`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomType {
    /// The spelling used on any dialect without its own.
    pub default: String,
    /// The spelling on SQLite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<String>,
    /// The spelling on PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<String>,
    /// The spelling on MySQL/MariaDB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mysql: Option<String>,
}

impl ColumnType {
    /// Whether the type is an integer type (a candidate for auto increment).
    pub fn is_integer(&self) -> bool {
        matches!(self, ColumnType::SmallInt | ColumnType::Integer | ColumnType::BigInt)
    }

    /// Whether values of the type are text.
    pub fn is_textual(&self) -> bool {
        matches!(self, ColumnType::Text | ColumnType::Varchar(_) | ColumnType::Char(_))
    }
}

/// An unknown or malformed type in its text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("unknown column type `{input}`: {reason}")]
pub struct ParseColumnTypeError {
    /// What was read.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnType::SmallInt => f.write_str("i16"),
            ColumnType::Integer => f.write_str("i32"),
            ColumnType::BigInt => f.write_str("i64"),
            ColumnType::Real => f.write_str("f32"),
            ColumnType::Double => f.write_str("f64"),
            ColumnType::Boolean => f.write_str("bool"),
            ColumnType::Text => f.write_str("text"),
            ColumnType::Varchar(n) => write!(f, "varchar({n})"),
            ColumnType::Char(n) => write!(f, "char({n})"),
            ColumnType::Bytes => f.write_str("bytes"),
            ColumnType::Uuid => f.write_str("uuid"),
            ColumnType::Json => f.write_str("json"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Time => f.write_str("time"),
            ColumnType::DateTime => f.write_str("datetime"),
            ColumnType::TimestampTz => f.write_str("timestamptz"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            ColumnType::Enum(name) => write!(f, "enum({name})"),
            ColumnType::Custom(c) => write!(f, "custom({})", c.default),
        }
    }
}

impl FromStr for ColumnType {
    type Err = ParseColumnTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| ParseColumnTypeError { input: s.to_owned(), reason: reason.to_owned() };
        let s = s.trim();
        let (head, arg) = match s.find('(') {
            Some(open) => {
                if !s.ends_with(')') {
                    return Err(err("missing closing `)`"));
                }
                (&s[..open], Some(&s[open + 1..s.len() - 1]))
            }
            None => (s, None),
        };
        let number = |a: &str| -> Result<u32, ParseColumnTypeError> {
            a.trim().parse::<u32>().map_err(|_| err("expected a whole number in parentheses"))
        };
        let plain = |t: ColumnType| -> Result<ColumnType, ParseColumnTypeError> {
            match arg {
                None => Ok(t),
                Some(_) => Err(err("this type takes no arguments")),
            }
        };
        match head {
            "i16" => plain(ColumnType::SmallInt),
            "i32" => plain(ColumnType::Integer),
            "i64" => plain(ColumnType::BigInt),
            "f32" => plain(ColumnType::Real),
            "f64" => plain(ColumnType::Double),
            "bool" => plain(ColumnType::Boolean),
            "text" => plain(ColumnType::Text),
            "bytes" => plain(ColumnType::Bytes),
            "uuid" => plain(ColumnType::Uuid),
            "json" => plain(ColumnType::Json),
            "date" => plain(ColumnType::Date),
            "time" => plain(ColumnType::Time),
            "datetime" => plain(ColumnType::DateTime),
            "timestamptz" => plain(ColumnType::TimestampTz),
            "varchar" => Ok(ColumnType::Varchar(number(arg.ok_or_else(|| err("varchar needs a length"))?)?)),
            "char" => Ok(ColumnType::Char(number(arg.ok_or_else(|| err("char needs a length"))?)?)),
            "decimal" => {
                let arg = arg.ok_or_else(|| err("decimal needs (precision,scale)"))?;
                let (p, sc) = arg.split_once(',').ok_or_else(|| err("decimal needs (precision,scale)"))?;
                Ok(ColumnType::Decimal { precision: number(p)?, scale: number(sc)? })
            }
            "enum" => {
                let name = arg.ok_or_else(|| err("enum needs a type name"))?.trim();
                if name.is_empty() {
                    return Err(err("enum needs a type name"));
                }
                Ok(ColumnType::Enum(name.to_owned()))
            }
            _ => Err(err(
                "expected one of i16, i32, i64, f32, f64, bool, text, varchar(N), char(N), bytes, uuid, json, \
                 date, time, datetime, timestamptz, decimal(P,S), enum(NAME), or an object {\"custom\": {...}}",
            )),
        }
    }
}

impl Serialize for ColumnType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ColumnType::Custom(c) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("custom", c)?;
                map.end()
            }
            other => serializer.collect_str(other),
        }
    }
}

impl<'de> Deserialize<'de> for ColumnType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TypeVisitor;

        impl<'de> Visitor<'de> for TypeVisitor {
            type Value = ColumnType;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a column type such as \"i64\" or \"varchar(32)\", or {\"custom\": {...}}")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ColumnType, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ColumnType, A::Error> {
                let key: String = map.next_key()?.ok_or_else(|| de::Error::custom("empty type object"))?;
                if key != "custom" {
                    return Err(de::Error::unknown_field(&key, &["custom"]));
                }
                let custom: CustomType = map.next_value()?;
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::unknown_field(&extra, &["custom"]));
                }
                Ok(ColumnType::Custom(custom))
            }
        }

        deserializer.deserialize_any(TypeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        for s in [
            "i16",
            "i32",
            "i64",
            "f32",
            "f64",
            "bool",
            "text",
            "varchar(32)",
            "char(2)",
            "bytes",
            "uuid",
            "json",
            "date",
            "time",
            "datetime",
            "timestamptz",
            "decimal(10,2)",
            "enum(post_status)",
        ] {
            let t: ColumnType = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
    }

    #[test]
    fn malformed_types_are_refused_with_a_reason() {
        let e = "varchar".parse::<ColumnType>().unwrap_err();
        assert_eq!(e.to_string(), "unknown column type `varchar`: varchar needs a length");
        let e = "decimal(10)".parse::<ColumnType>().unwrap_err();
        assert_eq!(e.to_string(), "unknown column type `decimal(10)`: decimal needs (precision,scale)");
        let e = "i32(4)".parse::<ColumnType>().unwrap_err();
        assert_eq!(e.to_string(), "unknown column type `i32(4)`: this type takes no arguments");
        assert!("integer".parse::<ColumnType>().unwrap_err().reason.starts_with("expected one of"));
    }

    #[test]
    fn custom_types_serialise_as_an_object() {
        let t = ColumnType::Custom(CustomType {
            default: "TEXT".into(),
            sqlite: None,
            postgres: Some("CITEXT".into()),
            mysql: None,
        });
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"custom":{"default":"TEXT","postgres":"CITEXT"}}"#);
        assert_eq!(serde_json::from_str::<ColumnType>(&json).unwrap(), t);
    }
}
