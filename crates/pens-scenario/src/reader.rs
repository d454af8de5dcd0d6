//! Reading the spanned TOML tree into typed values, for both scenario languages: every
//! key checked against its table's list, every value against its type, every problem
//! recorded with its span and the walk carrying on, so one load reports all of them.
//!
//! [`Converter`] holds the readers (`string`, `bool_or`, `keyword`, `codes`, ...) and the
//! keys every scenario starts with ([`Converter::header`]); each language adds its own
//! `impl Converter` with its sections: `convert` for target scenarios, `client_convert`
//! for client scenarios.

use std::ops::{Range, RangeInclusive};

use pens_proto::{ErrorCode, Requirement};

use crate::error::{Diagnostics, ScenarioErrorKind};
use crate::keys::{self, HeaderKey};
use crate::keyword::Keyword;
use crate::model::ScenarioLevel;
use crate::span::{Span, Spanned};
use crate::suggest::did_you_mean;
use crate::template::Template;
use crate::tree::{Key, Node, NodeKind};
use crate::validate;

/// The longest delay a scenario may ask for, or give as a deadline (ten minutes):
/// longer outlives every run.
pub(crate) const MAX_DELAY_MS: i64 = 600_000;

/// The keys every scenario starts with, read by [`Converter::header`]. A required key
/// that is absent or invalid is `None` (and an error is recorded).
pub(crate) struct Header {
    pub(crate) id: Option<Spanned<String>>,
    pub(crate) title: Option<Spanned<String>>,
    pub(crate) requirements: Vec<Spanned<&'static Requirement>>,
    pub(crate) tags: Vec<Spanned<String>>,
    pub(crate) level: Spanned<ScenarioLevel>,
}

/// A table being read: its entries and enough context for messages.
pub(crate) struct Table<'n> {
    /// Dotted path, empty for the top level.
    pub(crate) path: String,
    /// The header line (or the whole inline table), for errors about the table itself
    /// and for the span of defaulted values.
    pub(crate) head: Span,
    pub(crate) entries: &'n [(Key, Node)],
}

impl<'n> Table<'n> {
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }

    pub(crate) fn key_span(&self, key: &str) -> Option<&'n Range<usize>> {
        self.entries.iter().find(|(k, _)| k.name == key).map(|(k, _)| &k.span)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(crate) fn field(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }
}

/// Reads one file's tree, recording every problem in `diag`. The readers are here; each
/// language's sections are methods added by its own `impl Converter` block, the way
/// rustc spreads `impl Parser` over one file per kind of syntax.
pub(crate) struct Converter<'d, 'f> {
    pub(crate) diag: &'d mut Diagnostics<'f>,
}

impl Converter<'_, '_> {
    pub(crate) fn span(&self, range: &Range<usize>) -> Span {
        self.diag.file.span(range.clone())
    }

    /// The first line of a node: a table's header rather than its whole body.
    pub(crate) fn head(&self, node: &Node) -> Span {
        let text = self.diag.file.text();
        let end = text
            .get(node.span.clone())
            .and_then(|s| s.find('\n'))
            .map_or(node.span.end, |newline| node.span.start + newline);
        let end = if text.get(..end).is_some_and(|s| s.ends_with('\r')) { end - 1 } else { end };
        self.span(&(node.span.start..end.max(node.span.start)))
    }

    pub(crate) fn wrong_type(&mut self, field: String, expected: &'static str, node: &Node, help: Option<String>) {
        let found = node.kind.describe();
        self.diag.report(
            ScenarioErrorKind::WrongType { field, expected, found },
            self.head(node),
            format!("expected {expected}, found {found}"),
            help,
        );
    }

    pub(crate) fn invalid(&mut self, field: String, reason: impl Into<String>, span: Span, label: impl Into<String>) {
        self.diag.report(ScenarioErrorKind::InvalidValue { field, reason: reason.into() }, span, label, None);
    }

    pub(crate) fn conflict(&mut self, field: String, message: impl Into<String>, span: Span, label: impl Into<String>) {
        self.diag.report(ScenarioErrorKind::Conflict { field, message: message.into() }, span, label, None);
    }

    /// Opens `node` as a table whose keys must be in `allowed` (`None`: any key).
    pub(crate) fn table<'n>(
        &mut self,
        path: &str,
        node: &'n Node,
        allowed: Option<&[&'static str]>,
    ) -> Option<Table<'n>> {
        let NodeKind::Table(entries) = &node.kind else {
            self.wrong_type(path.to_owned(), "a table", node, None);
            return None;
        };
        if let Some(allowed) = allowed {
            for (key, _) in entries {
                if !allowed.contains(&key.name.as_str()) {
                    let suggestion = did_you_mean(&key.name, allowed.iter().copied());
                    let label = suggestion.map_or_else(|| "unknown key".to_owned(), |s| format!("did you mean `{s}`?"));
                    let place = if path.is_empty() { "at the top level".to_owned() } else { format!("in [{path}]") };
                    let help = format!("valid keys {place}: {}", allowed.join(", "));
                    self.diag.report(
                        ScenarioErrorKind::UnknownKey { table: path.to_owned(), key: key.name.clone(), suggestion },
                        self.span(&key.span),
                        label,
                        Some(help),
                    );
                }
            }
        }
        Some(Table { path: path.to_owned(), head: self.head(node), entries })
    }

    /// Reports a missing key, unless a misspelling of it is in the table: its unknown-key
    /// error ("did you mean `title`?") already says what to do.
    pub(crate) fn missing(&mut self, table: &Table<'_>, key: impl Keyword, span: Span, label: impl Into<String>) {
        let key = key.name();
        if table.entries.iter().any(|(k, _)| did_you_mean(&k.name, [key]).is_some()) {
            return;
        }
        self.diag.report(ScenarioErrorKind::MissingKey { table: table.path.clone(), key }, span, label, None);
    }

    // ---- scalar readers: `None` when absent or invalid (then an error is recorded) ----

    pub(crate) fn string(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Spanned<String>> {
        let key = key.name();
        let node = table.get(key)?;
        self.string_node(table.field(key), node)
    }

    pub(crate) fn string_node(&mut self, field: String, node: &Node) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::String(s) => Some(Spanned::new(s.clone(), self.span(&node.span))),
            _ => {
                self.wrong_type(field, "a string", node, quote_hint(node));
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Spanned<bool>> {
        let key = key.name();
        let node = table.get(key)?;
        match node.kind {
            NodeKind::Boolean(b) => Some(Spanned::new(b, self.span(&node.span))),
            _ => {
                self.wrong_type(table.field(key), "a boolean (`true` or `false`)", node, None);
                None
            }
        }
    }

    pub(crate) fn bool_or(&mut self, table: &Table<'_>, key: impl Keyword, default: bool) -> Spanned<bool> {
        self.bool(table, key).unwrap_or(Spanned::new(default, table.head))
    }

    pub(crate) fn integer(
        &mut self,
        table: &Table<'_>,
        key: impl Keyword,
        range: RangeInclusive<i64>,
    ) -> Option<Spanned<i64>> {
        let key = key.name();
        let node = table.get(key)?;
        let NodeKind::Integer(n) = node.kind else {
            self.wrong_type(table.field(key), "an integer", node, None);
            return None;
        };
        let span = self.span(&node.span);
        if !range.contains(&n) {
            let bounds = format!("from {} to {}", range.start(), range.end());
            self.invalid(table.field(key), format!("{n} is out of range"), span, format!("expected a number {bounds}"));
            return None;
        }
        Some(Spanned::new(n, span))
    }

    pub(crate) fn unsigned(
        &mut self,
        table: &Table<'_>,
        key: impl Keyword,
        range: RangeInclusive<i64>,
    ) -> Option<Spanned<u64>> {
        self.integer(table, key, range).map(|n| n.map(|v| u64::try_from(v).unwrap_or(0)))
    }

    /// A size of bytes: an integer, or a string of digits and a unit (`"1GiB"`,
    /// [`crate::parse_size`]), within `range`.
    pub(crate) fn size(
        &mut self,
        table: &Table<'_>,
        key: impl Keyword,
        range: RangeInclusive<u64>,
    ) -> Option<Spanned<u64>> {
        let key = key.name();
        let node = table.get(key)?;
        let span = self.span(&node.span);
        let bytes = match &node.kind {
            NodeKind::Integer(n) => u64::try_from(*n).ok(),
            NodeKind::String(text) => crate::parse_size(text),
            _ => {
                self.wrong_type(table.field(key), "a size (bytes, or a string like \"1GiB\")", node, None);
                return None;
            }
        };
        let Some(bytes) = bytes else {
            self.invalid(table.field(key), "not a size", span, crate::SIZE_HINT);
            return None;
        };
        if !range.contains(&bytes) {
            let bounds = format!("from {} to {} bytes", range.start(), range.end());
            self.invalid(
                table.field(key),
                format!("{bytes} bytes is out of range"),
                span,
                format!("expected {bounds}"),
            );
            return None;
        }
        Some(Spanned::new(bytes, span))
    }

    pub(crate) fn keyword<K: Keyword>(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Spanned<K>> {
        let key = key.name();
        let node = table.get(key)?;
        self.keyword_node(table.field(key), node)
    }

    pub(crate) fn keyword_node<K: Keyword>(&mut self, field: String, node: &Node) -> Option<Spanned<K>> {
        let value = self.string_node(field.clone(), node)?;
        if let Some(k) = K::from_name(&value) {
            return Some(Spanned::new(k, value.span));
        }
        let names = || K::ALL.iter().map(|k| k.name());
        let suggestion = did_you_mean(&value, names());
        let label = suggestion.map_or_else(|| format!("not a {}", K::WHAT), |s| format!("did you mean `{s}`?"));
        let help = format!("expected one of: {}", names().collect::<Vec<_>>().join(", "));
        self.diag.report(
            ScenarioErrorKind::UnknownKeyword { field, what: K::WHAT, value: value.value.clone(), suggestion },
            value.span,
            label,
            Some(help),
        );
        None
    }

    pub(crate) fn keyword_or<K: Keyword>(&mut self, table: &Table<'_>, key: impl Keyword, default: K) -> Spanned<K> {
        self.keyword(table, key).unwrap_or(Spanned::new(default, table.head))
    }

    pub(crate) fn template(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Spanned<Template>> {
        let key = key.name();
        let node = table.get(key)?;
        self.template_node(table.field(key), node)
    }

    pub(crate) fn template_node(&mut self, field: String, node: &Node) -> Option<Spanned<Template>> {
        let value = self.string_node(field.clone(), node)?;
        match Template::parse(&value) {
            Ok(template) => Some(Spanned::new(template, value.span)),
            Err(error) => {
                let span = self.placeholder_span(node, &value, error.range.clone());
                let (label, help) = (error.label(), error.help());
                self.diag.report(ScenarioErrorKind::Template { field, error }, span, label, Some(help));
                None
            }
        }
    }

    /// Where bytes `range` of a string's value sit in the file. Exact when the string is
    /// written without escapes (nearly always); otherwise the placeholder's text is looked
    /// for inside the string, and failing that the whole string is meant.
    fn placeholder_span(&self, node: &Node, value: &str, range: Range<usize>) -> Span {
        let text = self.diag.file.text();
        let raw = text.get(node.span.clone()).unwrap_or("");
        let delimiter = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            3
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            1
        } else {
            0
        };
        let mut start = node.span.start + delimiter;
        if delimiter == 3 {
            let after = text.get(start..).unwrap_or("");
            start += if after.starts_with("\r\n") { 2 } else { usize::from(after.starts_with('\n')) };
        }
        if delimiter > 0 && text.get(start..start + value.len()) == Some(value) {
            return self.span(&(start + range.start..start + range.end));
        }
        let needle = value.get(range).unwrap_or("");
        match raw.find(needle).filter(|_| !needle.is_empty()) {
            Some(at) => self.span(&(node.span.start + at..node.span.start + at + needle.len())),
            None => self.span(&node.span),
        }
    }

    /// An array, each element read by `item`.
    pub(crate) fn array<T>(
        &mut self,
        table: &Table<'_>,
        key: impl Keyword,
        expected: &'static str,
        mut item: impl FnMut(&mut Self, String, &Node) -> Option<T>,
    ) -> Option<Vec<T>> {
        let key = key.name();
        let node = table.get(key)?;
        let field = table.field(key);
        let NodeKind::Array(items) = &node.kind else {
            let help = matches!(node.kind, NodeKind::String(_) | NodeKind::Integer(_)).then(|| {
                format!("write a list: `{key} = [{}]`", self.diag.file.text().get(node.span.clone()).unwrap_or(""))
            });
            self.wrong_type(field, expected, node, help);
            return None;
        };
        Some(items.iter().filter_map(|n| item(self, field.clone(), n)).collect())
    }

    /// Templated values looked for in what the target sends (`does_not_contain`,
    /// `escapes`): an empty one is in every text, so it is refused. Default none.
    pub(crate) fn probes(&mut self, table: &Table<'_>, key: impl Keyword) -> Vec<Spanned<Template>> {
        let probes =
            self.array(table, key, "an array of strings", |c, field, n| c.template_node(field, n)).unwrap_or_default();
        for probe in probes.iter().filter(|p| p.source().is_empty()) {
            self.invalid(table.field(key.name()), "an empty value is part of every text", probe.span, "checks nothing");
        }
        validate::check_unique(self.diag, &table.field(key.name()), &probes);
        probes
    }

    pub(crate) fn strings(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Vec<Spanned<String>>> {
        self.array(table, key, "an array of strings", |c, field, n| c.string_node(field, n))
    }

    pub(crate) fn keywords<K: Keyword>(&mut self, table: &Table<'_>, key: impl Keyword) -> Vec<Spanned<K>> {
        self.array(table, key, "an array of strings", |c, field, n| c.keyword_node::<K>(field, n)).unwrap_or_default()
    }

    /// Error codes: integers 0-65535 (CMI010 §6.3); may be empty (`warn`).
    pub(crate) fn codes(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Vec<Spanned<ErrorCode>>> {
        self.array(table, key, "an array of error codes", |c, field, n| c.code_node(field, n))
    }

    /// The acceptable codes (`error`): as [`Converter::codes`], but an empty list would
    /// accept nothing, so it is refused.
    pub(crate) fn acceptable_codes(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Vec<Spanned<ErrorCode>>> {
        let codes = self.codes(table, key)?;
        if let Some(node) = table.get(key.name())
            && matches!(&node.kind, NodeKind::Array(items) if items.is_empty())
        {
            let span = self.span(&node.span);
            self.invalid(table.field(key.name()), "no code is acceptable", span, "list at least one code");
        }
        Some(codes)
    }

    /// One error code, 0-65535 (CMI010 §6.3).
    pub(crate) fn code(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Spanned<ErrorCode>> {
        let key = key.name();
        let node = table.get(key)?;
        self.code_node(table.field(key), node)
    }

    fn code_node(&mut self, field: String, node: &Node) -> Option<Spanned<ErrorCode>> {
        let NodeKind::Integer(value) = node.kind else {
            self.wrong_type(field, "an error code (an integer)", node, quote_hint(node));
            return None;
        };
        let span = self.span(&node.span);
        match u16::try_from(value) {
            Ok(code) => Some(Spanned::new(ErrorCode(code), span)),
            Err(_) => {
                self.diag.report(
                    ScenarioErrorKind::CodeOutOfRange { field, value },
                    span,
                    "PENS error codes are 0 to 65535 (CMI010 §6.3)",
                    None,
                );
                None
            }
        }
    }

    // ---- keys both languages share ----

    /// `id`, `title`, `requirements`, `tags` and `level`: what every scenario says about
    /// itself, with the rules of each (kebab-case id naming the file, a non-empty title,
    /// catalogue ids, kebab-case unique tags).
    pub(crate) fn header(&mut self, top: &Table<'_>) -> Header {
        let file = self.diag.file;
        let id = self.required_string(top, HeaderKey::Id);
        if let Some(id) = &id {
            validate::check_id(self.diag, id, file.path());
        }
        let title = self.required_string(top, HeaderKey::Title);
        if let Some(title) = &title
            && title.trim().is_empty()
        {
            self.invalid("title".into(), "the title is empty", title.span, "say what passing means");
        }
        let requirements = self.requirements(top);
        let tags = self.strings(top, HeaderKey::Tags).unwrap_or_default();
        for tag in &tags {
            if !validate::is_kebab_case(tag) {
                self.invalid(
                    "tags".into(),
                    format!("tag `{}` is not kebab-case", tag.value),
                    tag.span,
                    "not kebab-case",
                );
            }
        }
        validate::check_unique(self.diag, "tags", &tags);
        let level = self.keyword_or(top, HeaderKey::Level, ScenarioLevel::Must);
        Header { id, title, requirements, tags, level }
    }

    pub(crate) fn required_string(&mut self, table: &Table<'_>, key: impl Keyword) -> Option<Spanned<String>> {
        if !table.has(key.name()) {
            let label = format!("add `{} = \"...\"`", key.name());
            self.missing(table, key, table.head, label);
            return None;
        }
        self.string(table, key)
    }

    pub(crate) fn requirements(&mut self, top: &Table<'_>) -> Vec<Spanned<&'static Requirement>> {
        let key = HeaderKey::Requirements;
        if !top.has(key.name()) {
            self.missing(top, key, top.head, "add `requirements = [\"...\"]`, the catalogue ids checked");
            return Vec::new();
        }
        let ids = self.strings(top, key).unwrap_or_default();
        if let Some(node @ Node { kind: NodeKind::Array(items), .. }) = top.get(key.name())
            && items.is_empty()
        {
            let span = self.span(&node.span);
            self.invalid("requirements".into(), "no requirement is cited", span, "cite at least one catalogue id");
        }
        let mut resolved = Vec::new();
        for id in &ids {
            match validate::requirement(id) {
                Ok(requirement) => resolved.push(Spanned::new(requirement, id.span)),
                Err(suggestion) => {
                    let label = suggestion
                        .map_or_else(|| "not in the catalogue".to_owned(), |s| format!("did you mean `{s}`?"));
                    self.diag.report(
                        ScenarioErrorKind::UnknownRequirement { id: id.value.clone(), suggestion },
                        id.span,
                        label,
                        Some("requirement ids are those of pens_proto::CATALOGUE".to_owned()),
                    );
                }
            }
        }
        validate::check_unique(self.diag, "requirements", &ids);
        resolved
    }

    /// The sub-table `key` of `parent`, whose keys must be those of `K`.
    pub(crate) fn section<'n, K: Keyword>(&mut self, parent: &Table<'n>, key: impl Keyword) -> Option<Table<'n>> {
        let key = key.name();
        let node = parent.get(key)?;
        self.table(&parent.field(key), node, Some(&keys::names::<K>()))
    }
}

/// For a number or boolean where a string is wanted, and the reverse: how to write it.
pub(crate) fn quote_hint(node: &Node) -> Option<String> {
    match &node.kind {
        NodeKind::Integer(_) | NodeKind::Float(_) | NodeKind::Boolean(_) | NodeKind::Datetime(_) => {
            Some("put the value in quotes".to_owned())
        }
        NodeKind::String(s) if s.trim().parse::<i64>().is_ok() => {
            Some(format!("write the number without quotes: {}", s.trim()))
        }
        _ => None,
    }
}
