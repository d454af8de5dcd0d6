//! The keyword lists of the docs (`docs/target-mode.md`, `docs/client-mode.md`,
//! `scenarios/README.md`), generated from the same tree as the JSON Schemas, so a key,
//! its default, its values and its meaning are written once, in the key tables.
//!
//! A list stands between marker comments, `<!-- keywords:NAME begin -->` and
//! `<!-- keywords:NAME end -->`; [`fill_keyword_lists`] rewrites what is between them and
//! leaves the rest of the text as it is. A test of this crate fails when a committed file
//! differs from its filled form (`UPDATE_SCHEMAS=1 cargo test -p pens-scenario schema`
//! rewrites it).

use crate::json::Json;
use crate::keys::{ClientExpectKey, ClientTopKey, ExpectKey, TopKey};
use crate::keyword::Keyword;
use crate::schema::{TEMPLATED, client_schema, target_schema};

/// The lists a marker may name.
pub const KEYWORD_LISTS: [&str; 4] = ["expect", "client", "target-tables", "client-tables"];

/// A marker that cannot be filled.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeywordListError {
    /// `<!-- keywords:NAME begin -->` names no list of [`KEYWORD_LISTS`].
    #[error("line {line}: no keyword list is called `{name}` (known: {known})", known = KEYWORD_LISTS.join(", "))]
    UnknownList {
        /// The name in the marker.
        name: String,
        /// Its line, from 1.
        line: usize,
    },
    /// A begin marker without its end marker.
    #[error("line {line}: `<!-- keywords:{name} begin -->` has no `<!-- keywords:{name} end -->` after it")]
    Unclosed {
        /// The name in the marker.
        name: String,
        /// Its line, from 1.
        line: usize,
    },
}

const BEGIN: &str = "<!-- keywords:";
const BEGIN_SUFFIX: &str = " begin -->";

/// `text` with every keyword list between its markers generated anew.
pub fn fill_keyword_lists(text: &str) -> Result<String, KeywordListError> {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').enumerate();
    while let Some((index, line)) = lines.next() {
        out.push_str(line);
        let Some(name) = line.trim().strip_prefix(BEGIN).and_then(|rest| rest.strip_suffix(BEGIN_SUFFIX)) else {
            continue;
        };
        let list = keyword_list(name)
            .ok_or_else(|| KeywordListError::UnknownList { name: name.to_owned(), line: index + 1 })?;
        let end = format!("{BEGIN}{name} end -->");
        let end_line = lines
            .by_ref()
            .map(|(_, l)| l)
            .find(|l| l.trim() == end)
            .ok_or_else(|| KeywordListError::Unclosed { name: name.to_owned(), line: index + 1 })?;
        out.push_str(&list);
        out.push_str(end_line);
    }
    Ok(out)
}

/// The list called `name`, ending with a newline.
pub(crate) fn keyword_list(name: &str) -> Option<String> {
    let target = target_schema();
    let client = client_schema();
    let definitions = target.get("definitions");
    let definition = |name: &str| definitions.and_then(|d| d.get(name));
    let client_property = |key: ClientTopKey| client.get("properties").and_then(|p| p.get(key.name()));
    Some(match name {
        "expect" => {
            let sections = ExpectKey::SECTIONS.iter().map(|k| (format!("[expect.{k}]"), definition(k.name())));
            key_table(sections)
        }
        "client" => {
            let expect = client_property(ClientTopKey::Expect);
            let mut sections =
                vec![("[target]".to_owned(), client_property(ClientTopKey::Target)), ("[expect]".to_owned(), expect)];
            for key in ClientExpectKey::ALL.iter().filter(|k| is_table(property(expect, k.name()))) {
                sections.push((format!("[expect.{key}]"), property(expect, key.name())));
            }
            key_table(sections)
        }
        "target-tables" => {
            let mut tables = vec![("top level".to_owned(), Some(&target))];
            tables.extend(
                [TopKey::Staging, TopKey::Collect, TopKey::Expect].map(|k| (format!("[{k}]"), definition(k.name()))),
            );
            tables.extend(ExpectKey::SECTIONS.iter().map(|k| (format!("[expect.{k}]"), definition(k.name()))));
            key_lines(tables)
        }
        "client-tables" => {
            let expect = client_property(ClientTopKey::Expect);
            let mut tables = vec![
                ("top level".to_owned(), Some(&client)),
                ("[target]".to_owned(), client_property(ClientTopKey::Target)),
                ("[expect]".to_owned(), expect),
            ];
            for key in ClientExpectKey::ALL.iter().filter(|k| is_table(property(expect, k.name()))) {
                tables.push((format!("[expect.{key}]"), property(expect, key.name())));
            }
            key_lines(tables)
        }
        _ => return None,
    })
}

fn property<'j>(table: Option<&'j Json>, key: &str) -> Option<&'j Json> {
    table.and_then(|t| t.get("properties")).and_then(|p| p.get(key))
}

fn is_table(property: Option<&Json>) -> bool {
    property.and_then(|p| p.get("type")).and_then(Json::as_str) == Some("object")
}

/// `| table | key | value | default | meaning |`, one row per key that is not a table
/// of its own.
fn key_table<'j>(sections: impl IntoIterator<Item = (String, Option<&'j Json>)>) -> String {
    let mut out = String::from("| table | key | value | default | meaning |\n|---|---|---|---|---|\n");
    for (heading, table) in sections {
        let Some(Json::Object(properties)) = table.and_then(|t| t.get("properties")) else { continue };
        for (key, shape) in properties {
            if is_table(Some(shape)) {
                continue;
            }
            let default = shape.get("default").map(|d| format!("`{}`", plain(d))).unwrap_or_default();
            let meaning = shape.get("description").and_then(Json::as_str).unwrap_or("");
            out.push_str(&format!(
                "| `{heading}` | `{key}` | {} | {default} | {} |\n",
                value_kind(shape),
                // The docs explain templates where they list these keys.
                meaning.replace(TEMPLATED, "Templated.").replace('|', "\\|")
            ));
        }
    }
    out
}

/// ``- `[table]`: `key`, `key`, ...``, one line per table.
fn key_lines<'j>(tables: impl IntoIterator<Item = (String, Option<&'j Json>)>) -> String {
    let mut out = String::new();
    for (heading, table) in tables {
        let Some(Json::Object(properties)) = table.and_then(|t| t.get("properties")) else { continue };
        let keys: Vec<String> = properties.iter().map(|(k, _)| format!("`{k}`")).collect();
        let heading = if heading.starts_with('[') { format!("`{heading}`") } else { heading };
        out.push_str(&format!("- {heading}: {}\n", keys.join(", ")));
    }
    out
}

/// A default as written in a scenario file, without quotes.
fn plain(value: &Json) -> String {
    match value {
        Json::Bool(b) => b.to_string(),
        Json::Int(n) => n.to_string(),
        Json::Str(s) => s.clone(),
        Json::Array(_) | Json::Object(_) => String::new(),
    }
}

/// What a key's value is, in a few words.
fn value_kind(shape: &Json) -> String {
    if let Some(Json::Array(values)) = shape.get("enum") {
        return values.iter().map(|v| format!("`{}`", plain(v))).collect::<Vec<_>>().join(", ");
    }
    let kind = shape.get("type").and_then(Json::as_str);
    match kind {
        Some("boolean") => "`true`, `false`".to_owned(),
        Some("integer") => {
            let bound = |key| shape.get(key).map(plain).unwrap_or_default();
            format!("{} to {}", bound("minimum"), bound("maximum"))
        }
        Some("string") => "string".to_owned(),
        Some("array") => match shape.get("items") {
            Some(items) if items.get("$ref").is_some() => "array of tables".to_owned(),
            Some(items) if items.get("type").and_then(Json::as_str) == Some("integer") => {
                "list of error codes".to_owned()
            }
            Some(items) if items.get("enum").is_some() => "list of names".to_owned(),
            _ => "list of strings".to_owned(),
        },
        Some("object") => "table".to_owned(),
        _ if shape.get("$ref").is_some() => "table".to_owned(),
        _ => "see the schema".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_filled_between_its_markers_and_the_rest_is_kept() {
        let text = "before\n<!-- keywords:expect begin -->\nstale\n<!-- keywords:expect end -->\nafter\n";
        let filled = fill_keyword_lists(text).expect("fills");
        assert!(filled.starts_with("before\n<!-- keywords:expect begin -->\n| table | key |"), "{filled}");
        assert!(filled.ends_with("<!-- keywords:expect end -->\nafter\n"), "{filled}");
        assert!(!filled.contains("stale"));
        assert!(filled.contains("| `[expect.receipt]` | `after_fetch` | `true`, `false` | `true` | No receipt before"));
        assert_eq!(fill_keyword_lists(&filled).expect("fills"), filled, "filling is idempotent");
    }

    #[test]
    fn an_unknown_or_unclosed_marker_is_an_error() {
        assert_eq!(
            fill_keyword_lists("a\n<!-- keywords:nope begin -->\n<!-- keywords:nope end -->\n"),
            Err(KeywordListError::UnknownList { name: "nope".into(), line: 2 })
        );
        assert_eq!(
            fill_keyword_lists("<!-- keywords:expect begin -->\n"),
            Err(KeywordListError::Unclosed { name: "expect".into(), line: 1 })
        );
    }

    #[test]
    fn every_list_is_generated() {
        for name in KEYWORD_LISTS {
            let list = keyword_list(name).unwrap_or_else(|| panic!("{name}"));
            assert!(list.lines().count() > 2, "{name}: {list}");
        }
        let client = keyword_list("client-tables").expect("client tables");
        assert!(client.contains("- `[expect.answers]`: `receipt`, `alerts`, `within_ms`\n"), "{client}");
    }
}
