//! A TOML document as a tree of nodes that all know their byte range.
//!
//! The scenario model is not deserialized with `#[derive(Deserialize)]`: serde stops at
//! the first problem and phrases errors its own way. Instead the document is read into
//! this generic tree (types and spans only), and `convert` walks it, reporting every
//! unknown key, wrong type and bad value with its own wording and a "did you mean".
//!
//! Spans come from `toml`'s `Spanned` protocol (`serde_spanned`), requested for every key
//! and value. Implicit tables (`expect` when only `[expect.receipt]` is written, or the
//! tables of dotted keys) come without one and take the span of their key. Datetimes,
//! which `toml` hands over as a one-entry map, are recognised so that a scenario can be
//! told to quote them.

use std::fmt;
use std::ops::Range;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_spanned::__unstable as spanned;

/// The key under which `toml` passes a datetime as a map (its private protocol, stable
/// across toml 0.8 releases).
const DATETIME_FIELD: &str = "$__toml_private_datetime";

/// A value and the byte range it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it was written (for an implicit table, its key).
    pub span: Range<usize>,
}

/// The TOML value types.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Boolean(bool),
    /// A date, a time or both, as written.
    Datetime(String),
    /// An array.
    Array(Vec<Node>),
    /// Keys in document order (TOML forbids duplicates, so the parser already rejected them).
    Table(Vec<(Key, Node)>),
}

impl NodeKind {
    /// The type's name with an article, for "expected ..., found ...".
    pub fn describe(&self) -> &'static str {
        match self {
            NodeKind::String(_) => "a string",
            NodeKind::Integer(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Boolean(_) => "a boolean",
            NodeKind::Datetime(_) => "a date-time",
            NodeKind::Array(_) => "an array",
            NodeKind::Table(_) => "a table",
        }
    }
}

/// A table key and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The key as written, unquoted.
    pub name: String,
    /// Where it was written.
    pub span: Range<usize>,
}

/// Parses a document. The error is `toml`'s, with its span, for syntax errors.
pub fn parse(text: &str) -> Result<Node, toml::de::Error> {
    let raw: Raw = toml::from_str(text)?;
    Ok(raw.resolve(0..0))
}

/// A node as deserialized, before missing spans are filled in from keys.
#[derive(Debug)]
struct Raw {
    kind: RawKind,
    span: Option<Range<usize>>,
}

#[derive(Debug)]
enum RawKind {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Raw>),
    Table(Vec<(RawKey, Raw)>),
}

#[derive(Debug)]
struct RawKey {
    name: String,
    span: Option<Range<usize>>,
}

impl Raw {
    fn resolve(self, fallback: Range<usize>) -> Node {
        let span = self.span.unwrap_or(fallback);
        let kind = match self.kind {
            RawKind::String(s) => NodeKind::String(s),
            RawKind::Integer(i) => NodeKind::Integer(i),
            RawKind::Float(f) => NodeKind::Float(f),
            RawKind::Boolean(b) => NodeKind::Boolean(b),
            RawKind::Datetime(d) => NodeKind::Datetime(d),
            RawKind::Array(items) => {
                NodeKind::Array(items.into_iter().map(|item| item.resolve(span.clone())).collect())
            }
            RawKind::Table(entries) => NodeKind::Table(
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let key_span = key.span.unwrap_or_else(|| span.clone());
                        let value = value.resolve(key_span.clone());
                        (Key { name: key.name, span: key_span }, value)
                    })
                    .collect(),
            ),
        };
        Node { kind, span }
    }
}

impl<'de> serde::Deserialize<'de> for Raw {
    /// Asks for a spanned value; a deserializer without a span for this value answers
    /// with the plain value, which the visitor takes as well.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct(
            spanned::NAME,
            &[spanned::START_FIELD, spanned::END_FIELD, spanned::VALUE_FIELD],
            RawVisitor { accept_spanned: true },
        )
    }
}

/// Deserializes the inner value of a spanned one: plain, so it does not ask again.
struct PlainRaw;

impl<'de> DeserializeSeed<'de> for PlainRaw {
    type Value = Raw;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(RawVisitor { accept_spanned: false })
    }
}

struct RawVisitor {
    accept_spanned: bool,
}

fn plain(kind: RawKind) -> Raw {
    Raw { kind, span: None }
}

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(plain(RawKind::Boolean(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(plain(RawKind::Integer(v)))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Raw, E> {
        i64::try_from(v).map(|v| plain(RawKind::Integer(v))).map_err(|_| E::custom("integer out of range"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(plain(RawKind::Float(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(plain(RawKind::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(plain(RawKind::String(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Raw>()? {
            items.push(item);
        }
        Ok(plain(RawKind::Array(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return Ok(plain(RawKind::Table(Vec::new())));
        };
        if first.span.is_none() && first.name == DATETIME_FIELD {
            return Ok(plain(RawKind::Datetime(map.next_value::<String>()?)));
        }
        if self.accept_spanned && first.span.is_none() && first.name == spanned::START_FIELD {
            return read_spanned(map);
        }
        let mut entries = Vec::new();
        let mut key = Some(first);
        while let Some(k) = key {
            entries.push((k, map.next_value::<Raw>()?));
            key = map.next_key_seed(KeySeed)?;
        }
        Ok(plain(RawKind::Table(entries)))
    }
}

/// The rest of the spanned protocol once its `start` key was read: start, end, value.
fn read_spanned<'de, A: MapAccess<'de>>(mut map: A) -> Result<Raw, A::Error> {
    let start: usize = map.next_value()?;
    let mut end = None;
    let mut value = None;
    while let Some(key) = map.next_key::<String>()? {
        if key == spanned::END_FIELD {
            end = Some(map.next_value::<usize>()?);
        } else if key == spanned::VALUE_FIELD {
            value = Some(map.next_value_seed(PlainRaw)?);
        } else {
            return Err(A::Error::custom("unexpected field in a spanned value"));
        }
    }
    let end = end.ok_or_else(|| A::Error::custom("spanned value without an end"))?;
    let mut value = value.ok_or_else(|| A::Error::custom("spanned value without a value"))?;
    value.span = Some(start..end.max(start));
    Ok(value)
}

/// Reads a table key, spanned where the parser knows its position.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = RawKey;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<RawKey, D::Error> {
        deserializer.deserialize_struct(
            spanned::NAME,
            &[spanned::START_FIELD, spanned::END_FIELD, spanned::VALUE_FIELD],
            KeyVisitor,
        )
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = RawKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table key")
    }

    fn visit_str<E>(self, v: &str) -> Result<RawKey, E> {
        Ok(RawKey { name: v.to_owned(), span: None })
    }

    fn visit_string<E>(self, v: String) -> Result<RawKey, E> {
        Ok(RawKey { name: v, span: None })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKey, A::Error> {
        let (mut start, mut end, mut name) = (None, None, None);
        while let Some(field) = map.next_key::<String>()? {
            if field == spanned::START_FIELD {
                start = Some(map.next_value::<usize>()?);
            } else if field == spanned::END_FIELD {
                end = Some(map.next_value::<usize>()?);
            } else if field == spanned::VALUE_FIELD {
                name = Some(map.next_value::<String>()?);
            } else {
                return Err(A::Error::custom("unexpected field in a spanned key"));
            }
        }
        match (start, end, name) {
            (Some(start), Some(end), Some(name)) => Ok(RawKey { name, span: Some(start..end.max(start)) }),
            _ => Err(A::Error::custom("incomplete spanned key")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.clone()]
    }

    fn get<'n>(node: &'n Node, key: &str) -> (&'n Key, &'n Node) {
        let NodeKind::Table(entries) = &node.kind else { panic!("not a table: {node:?}") };
        entries.iter().find(|(k, _)| k.name == key).map(|(k, v)| (k, v)).unwrap_or_else(|| panic!("no {key}"))
    }

    #[test]
    fn every_value_and_key_has_its_span() {
        let text = "id = \"x\"\nn = [1, 2.5, true]\n\n[expect.receipt]\ncount = 1\nwhen = 2025-01-01T00:00:00Z\n\
                    fields = { package-id = \"{{package_id}}\" }\n\n[[expect.any_of]]\nresponse = { error = [0] }\n";
        let root = parse(text).expect("parses");
        let (id_key, id) = get(&root, "id");
        assert_eq!((&text[id_key.span.clone()], at(text, id)), ("id", "\"x\""));
        let (_, n) = get(&root, "n");
        let NodeKind::Array(items) = &n.kind else { panic!() };
        assert_eq!(items.iter().map(|i| at(text, i)).collect::<Vec<_>>(), ["1", "2.5", "true"]);
        let (expect_key, expect) = get(&root, "expect");
        assert_eq!(&text[expect_key.span.clone()], "expect", "implicit table: key span");
        let (_, receipt) = get(expect, "receipt");
        assert!(at(text, receipt).starts_with("[expect.receipt]\ncount = 1\n"), "a table's span: header and body");
        let (_, when) = get(receipt, "when");
        assert_eq!(when.kind, NodeKind::Datetime("2025-01-01T00:00:00Z".to_owned()));
        assert_eq!(at(text, when), "2025-01-01T00:00:00Z");
        let (_, fields) = get(receipt, "fields");
        let (pid_key, pid) = get(fields, "package-id");
        assert_eq!((&text[pid_key.span.clone()], at(text, pid)), ("package-id", "\"{{package_id}}\""));
        let (_, any_of) = get(expect, "any_of");
        let NodeKind::Array(alternatives) = &any_of.kind else { panic!() };
        let (_, response) = get(&alternatives[0], "response");
        let (_, error) = get(response, "error");
        assert_eq!(at(text, error), "[0]");
    }

    #[test]
    fn syntax_errors_have_a_span() {
        let error = parse("a = 1\nb = = 2\n").expect_err("invalid");
        assert!(error.span().is_some(), "{error}");
    }

    #[test]
    fn a_key_that_looks_like_the_span_protocol_is_just_a_key() {
        let text = "[t]\n\"$__serde_spanned_private_start\" = 1\n";
        // Whatever the outcome, no panic; a plain table must still parse as a table.
        let _ = parse(text);
        let root = parse("[t]\nx = 1\n").expect("parses");
        let (_, t) = get(&root, "t");
        assert!(matches!(t.kind, NodeKind::Table(_)));
    }
}
