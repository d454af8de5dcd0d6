//! From the spanned TOML tree to the scenario model: every key checked against the
//! language, every value against its type, every error recorded with its span, and the
//! walk carries on after an error so one load reports all of them.

use std::ops::{Range, RangeInclusive};

use pens_proto::ErrorCode;

use crate::error::{Diagnostics, ScenarioErrorKind};
use crate::expect::{
    AlertsExpectation, CredentialsExpectation, Expectations, FetchExpectation, FieldExpectation, MAX_RECEIPT_COUNT,
    OtherErrors, ReceiptExpectation, ResponseExpectation, ResponseFormat,
};
use crate::keyword::Keyword;
use crate::model::{
    BehaviourName, Capability, Collect, DEFAULT_DRIBBLE_CHUNK_BYTES, DEFAULT_PACKAGE, DEFAULT_TRUNCATE_AFTER_BYTES,
    MAX_COPIES, Method, Order, Scenario, ScenarioLevel, SetElement, Staging, StagingBehaviour, StagingCredentials,
};
use crate::span::{Span, Spanned};
use crate::suggest::did_you_mean;
use crate::template::Template;
use crate::tree::{Key, Node, NodeKind};
use crate::validate;

const TOP_KEYS: &[&str] =
    &["id", "title", "requirements", "level", "tags", "needs", "unless", "staging", "collect", "expect"];
const STAGING_KEYS: &[&str] =
    &["package", "user", "password", "behaviour", "status", "delay_ms", "chunk_bytes", "after_bytes"];
const COLLECT_KEYS: &[&str] = &["method", "target_query", "order", "remove", "set", "raw", "copies"];
const EXPECT_KEYS: &[&str] = &["response", "fetch", "receipt", "alerts", "any_of"];
const ALTERNATIVE_KEYS: &[&str] = &["response", "fetch", "receipt", "alerts"];
const RESPONSE_KEYS: &[&str] = &["error", "warn", "format", "other_errors"];
const FETCH_KEYS: &[&str] = &["happens", "protocol", "credentials"];
const RECEIPT_KEYS: &[&str] = &["count", "error", "warn", "after_fetch", "never_success", "fields"];
const ALERTS_KEYS: &[&str] = &["after_receipt", "well_formed", "at_least", "error"];

/// The longest delay a scenario may ask of staging: longer outlives every deadline.
const MAX_DELAY_MS: i64 = 600_000;

/// Reads a parsed document into a [`Scenario`], reporting problems into `diag`. The
/// scenario is only meaningful when `diag` stays empty.
pub(crate) fn convert(diag: &mut Diagnostics<'_>, root: &Node) -> Scenario {
    let mut c = Converter { diag };
    c.scenario(root)
}

/// A table being read: its entries and enough context for messages.
struct Table<'n> {
    /// Dotted path, empty for the top level.
    path: String,
    /// The header line (or the whole inline table), for errors about the table itself
    /// and for the span of defaulted values.
    head: Span,
    entries: &'n [(Key, Node)],
}

impl<'n> Table<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }

    fn key_span(&self, key: &str) -> Option<&'n Range<usize>> {
        self.entries.iter().find(|(k, _)| k.name == key).map(|(k, _)| &k.span)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }
}

struct Converter<'d, 'f> {
    diag: &'d mut Diagnostics<'f>,
}

impl Converter<'_, '_> {
    fn span(&self, range: &Range<usize>) -> Span {
        self.diag.file.span(range.clone())
    }

    /// The first line of a node: a table's header rather than its whole body.
    fn head(&self, node: &Node) -> Span {
        let text = self.diag.file.text();
        let end = text
            .get(node.span.clone())
            .and_then(|s| s.find('\n'))
            .map_or(node.span.end, |newline| node.span.start + newline);
        let end = if text.get(..end).is_some_and(|s| s.ends_with('\r')) { end - 1 } else { end };
        self.span(&(node.span.start..end.max(node.span.start)))
    }

    fn wrong_type(&mut self, field: String, expected: &'static str, node: &Node, help: Option<String>) {
        let found = node.kind.describe();
        self.diag.report(
            ScenarioErrorKind::WrongType { field, expected, found },
            self.head(node),
            format!("expected {expected}, found {found}"),
            help,
        );
    }

    fn invalid(&mut self, field: String, reason: impl Into<String>, span: Span, label: impl Into<String>) {
        self.diag.report(ScenarioErrorKind::InvalidValue { field, reason: reason.into() }, span, label, None);
    }

    fn conflict(&mut self, field: String, message: impl Into<String>, span: Span, label: impl Into<String>) {
        self.diag.report(ScenarioErrorKind::Conflict { field, message: message.into() }, span, label, None);
    }

    /// Opens `node` as a table whose keys must be in `allowed` (`None`: any key).
    fn table<'n>(&mut self, path: &str, node: &'n Node, allowed: Option<&[&'static str]>) -> Option<Table<'n>> {
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
    fn missing(&mut self, table: &Table<'_>, key: &'static str, span: Span, label: impl Into<String>) {
        if table.entries.iter().any(|(k, _)| did_you_mean(&k.name, [key]).is_some()) {
            return;
        }
        self.diag.report(ScenarioErrorKind::MissingKey { table: table.path.clone(), key }, span, label, None);
    }

    // ---- scalar readers: `None` when absent or invalid (then an error is recorded) ----

    fn string(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<String>> {
        let node = table.get(key)?;
        self.string_node(table.field(key), node)
    }

    fn string_node(&mut self, field: String, node: &Node) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::String(s) => Some(Spanned::new(s.clone(), self.span(&node.span))),
            _ => {
                self.wrong_type(field, "a string", node, quote_hint(node));
                None
            }
        }
    }

    fn bool(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<bool>> {
        let node = table.get(key)?;
        match node.kind {
            NodeKind::Boolean(b) => Some(Spanned::new(b, self.span(&node.span))),
            _ => {
                self.wrong_type(table.field(key), "a boolean (`true` or `false`)", node, None);
                None
            }
        }
    }

    fn bool_or(&mut self, table: &Table<'_>, key: &str, default: bool) -> Spanned<bool> {
        self.bool(table, key).unwrap_or(Spanned::new(default, table.head))
    }

    fn integer(&mut self, table: &Table<'_>, key: &str, range: RangeInclusive<i64>) -> Option<Spanned<i64>> {
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

    fn unsigned(&mut self, table: &Table<'_>, key: &str, range: RangeInclusive<i64>) -> Option<Spanned<u64>> {
        self.integer(table, key, range).map(|n| n.map(|v| u64::try_from(v).unwrap_or(0)))
    }

    fn keyword<K: Keyword>(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<K>> {
        let node = table.get(key)?;
        self.keyword_node(table.field(key), node)
    }

    fn keyword_node<K: Keyword>(&mut self, field: String, node: &Node) -> Option<Spanned<K>> {
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

    fn keyword_or<K: Keyword>(&mut self, table: &Table<'_>, key: &str, default: K) -> Spanned<K> {
        self.keyword(table, key).unwrap_or(Spanned::new(default, table.head))
    }

    fn template(&mut self, table: &Table<'_>, key: &str) -> Option<Spanned<Template>> {
        let node = table.get(key)?;
        self.template_node(table.field(key), node)
    }

    fn template_node(&mut self, field: String, node: &Node) -> Option<Spanned<Template>> {
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
    fn array<T>(
        &mut self,
        table: &Table<'_>,
        key: &str,
        expected: &'static str,
        mut item: impl FnMut(&mut Self, String, &Node) -> Option<T>,
    ) -> Option<Vec<T>> {
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

    fn strings(&mut self, table: &Table<'_>, key: &str) -> Option<Vec<Spanned<String>>> {
        self.array(table, key, "an array of strings", |c, field, n| c.string_node(field, n))
    }

    fn keywords<K: Keyword>(&mut self, table: &Table<'_>, key: &str) -> Vec<Spanned<K>> {
        self.array(table, key, "an array of strings", |c, field, n| c.keyword_node::<K>(field, n)).unwrap_or_default()
    }

    /// Error codes: integers 0-65535 (CMI010 §6.3). An empty `error` list would accept
    /// nothing, so only `warn` may be empty.
    fn codes(&mut self, table: &Table<'_>, key: &str) -> Option<Vec<Spanned<ErrorCode>>> {
        let codes = self.array(table, key, "an array of error codes", |c, field, n| {
            let NodeKind::Integer(value) = n.kind else {
                c.wrong_type(field, "an error code (an integer)", n, quote_hint(n));
                return None;
            };
            let span = c.span(&n.span);
            match u16::try_from(value) {
                Ok(code) => Some(Spanned::new(ErrorCode(code), span)),
                Err(_) => {
                    c.diag.report(
                        ScenarioErrorKind::CodeOutOfRange { field, value },
                        span,
                        "PENS error codes are 0 to 65535 (CMI010 §6.3)",
                        None,
                    );
                    None
                }
            }
        })?;
        if let Some(node) = table.get(key)
            && key == "error"
            && matches!(&node.kind, NodeKind::Array(items) if items.is_empty())
        {
            let span = self.span(&node.span);
            self.invalid(table.field(key), "no code is acceptable", span, "list at least one code");
        }
        Some(codes)
    }

    // ---- the language ----

    fn scenario(&mut self, root: &Node) -> Scenario {
        let file = self.diag.file;
        let start = file.start();
        let top =
            self.table("", root, Some(TOP_KEYS)).unwrap_or(Table { path: String::new(), head: start, entries: &[] });

        let id = self.required_string(&top, "id");
        if let Some(id) = &id {
            validate::check_id(self.diag, id, file.path());
        }
        let title = self.required_string(&top, "title");
        if let Some(title) = &title
            && title.trim().is_empty()
        {
            self.invalid("title".into(), "the title is empty", title.span, "say what passing means");
        }
        let requirements = self.requirements(&top);
        let tags = self.strings(&top, "tags").unwrap_or_default();
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
        let needs = self.keywords::<Capability>(&top, "needs");
        validate::check_unique(self.diag, "needs", &needs);
        let unless = self.keywords::<Capability>(&top, "unless");
        validate::check_unique(self.diag, "unless", &unless);

        let level = self.keyword_or(&top, "level", ScenarioLevel::Must);
        let staging = self.staging(&top);
        let collect = self.collect(&top);
        let (expect, any_of) = self.expect(&top);

        let scenario = Scenario {
            source: file.path().to_owned(),
            id: id.unwrap_or_else(|| Spanned::new(String::new(), start)),
            title: title.unwrap_or_else(|| Spanned::new(String::new(), start)),
            requirements,
            level,
            tags,
            needs,
            unless,
            staging,
            collect,
            expect,
            any_of,
        };
        validate::check_scenario(self.diag, &scenario);
        scenario
    }

    fn required_string(&mut self, table: &Table<'_>, key: &'static str) -> Option<Spanned<String>> {
        if !table.has(key) {
            let label = format!("add `{key} = \"...\"`");
            self.missing(table, key, table.head, label);
            return None;
        }
        self.string(table, key)
    }

    fn requirements(&mut self, top: &Table<'_>) -> Vec<Spanned<&'static pens_proto::Requirement>> {
        if !top.has("requirements") {
            self.missing(top, "requirements", top.head, "add `requirements = [\"...\"]`, the catalogue ids checked");
            return Vec::new();
        }
        let ids = self.strings(top, "requirements").unwrap_or_default();
        if let Some(node @ Node { kind: NodeKind::Array(items), .. }) = top.get("requirements")
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

    fn section<'n>(&mut self, parent: &Table<'n>, key: &str, allowed: &[&'static str]) -> Option<Table<'n>> {
        let node = parent.get(key)?;
        self.table(&parent.field(key), node, Some(allowed))
    }

    fn staging(&mut self, top: &Table<'_>) -> Spanned<Staging> {
        let start = self.diag.file.start();
        let table = self.section(top, "staging", STAGING_KEYS).unwrap_or(Table {
            path: "staging".into(),
            head: start,
            entries: &[],
        });
        let package = match self.string(&table, "package") {
            Some(package) => {
                if let Some(problem) = validate::package_path_problem(&package) {
                    self.invalid(
                        "staging.package".into(),
                        problem,
                        package.span,
                        "not a file under fixtures/packages/",
                    );
                }
                package
            }
            None => Spanned::new(DEFAULT_PACKAGE.to_owned(), table.head),
        };
        let user = self.template(&table, "user");
        let password = self.template(&table, "password");
        let credentials = match (user, password) {
            (Some(user), Some(password)) => Some(StagingCredentials { user, password }),
            (Some(user), None) if !table.has("password") => {
                self.missing(&table, "password", user.span, "`user` needs `password`");
                None
            }
            (None, Some(password)) if !table.has("user") => {
                self.missing(&table, "user", password.span, "`password` needs `user`");
                None
            }
            _ => None,
        };
        let behaviour = self.behaviour(&table);
        Spanned::new(Staging { package, credentials, behaviour }, table.head)
    }

    fn behaviour(&mut self, table: &Table<'_>) -> Spanned<StagingBehaviour> {
        let status = self.unsigned(table, "status", 100..=599);
        let delay_ms = self.unsigned(table, "delay_ms", 0..=MAX_DELAY_MS);
        let chunk_bytes = self.unsigned(table, "chunk_bytes", 1..=1_048_576);
        let after_bytes = self.unsigned(table, "after_bytes", 0..=1 << 30);
        let name = match self.keyword::<BehaviourName>(table, "behaviour") {
            Some(name) => name,
            None if !table.has("behaviour") => Spanned::new(BehaviourName::Serve, table.head),
            None => {
                // Already reported; checking parameters against a guess would only add noise.
                return Spanned::new(StagingBehaviour::Serve, table.head);
            }
        };
        let parameters: &[&str] = match name.value {
            BehaviourName::Status => &["status"],
            BehaviourName::Delay => &["delay_ms"],
            BehaviourName::Dribble => &["delay_ms", "chunk_bytes"],
            BehaviourName::Truncate => &["after_bytes"],
            BehaviourName::Serve | BehaviourName::Corrupt | BehaviourName::Redirect => &[],
        };
        for key in ["status", "delay_ms", "chunk_bytes", "after_bytes"] {
            if let (Some(key_span), false) = (table.key_span(key), parameters.contains(&key)) {
                let span = self.span(key_span);
                let users = match key {
                    "status" => "behaviour = \"status\"",
                    "delay_ms" => "behaviour = \"delay\" or \"dribble\"",
                    "chunk_bytes" => "behaviour = \"dribble\"",
                    _ => "behaviour = \"truncate\"",
                };
                self.conflict(
                    format!("staging.{key}"),
                    format!("`{key}` does not apply to behaviour `{}`", name.value),
                    span,
                    format!("only used with {users}"),
                );
            }
        }
        let require = |c: &mut Self, key: &'static str, value: Option<Spanned<u64>>| {
            if value.is_none() && !table.has(key) {
                c.missing(table, key, name.span, format!("behaviour `{}` needs `{key}`", name.value));
            }
            value.unwrap_or(Spanned::new(0, name.span))
        };
        let behaviour = match name.value {
            BehaviourName::Serve => StagingBehaviour::Serve,
            BehaviourName::Corrupt => StagingBehaviour::Corrupt,
            BehaviourName::Redirect => StagingBehaviour::Redirect,
            BehaviourName::Status => StagingBehaviour::Status {
                status: require(self, "status", status).map(|v| u16::try_from(v).unwrap_or(0)),
            },
            BehaviourName::Delay => StagingBehaviour::Delay { delay_ms: require(self, "delay_ms", delay_ms) },
            BehaviourName::Dribble => StagingBehaviour::Dribble {
                delay_ms: require(self, "delay_ms", delay_ms),
                chunk_bytes: chunk_bytes.unwrap_or(Spanned::new(DEFAULT_DRIBBLE_CHUNK_BYTES, name.span)),
            },
            BehaviourName::Truncate => StagingBehaviour::Truncate {
                after_bytes: after_bytes.unwrap_or(Spanned::new(DEFAULT_TRUNCATE_AFTER_BYTES, name.span)),
            },
        };
        Spanned::new(behaviour, name.span)
    }

    fn collect(&mut self, top: &Table<'_>) -> Spanned<Collect> {
        let start = self.diag.file.start();
        let table = self.section(top, "collect", COLLECT_KEYS).unwrap_or(Table {
            path: "collect".into(),
            head: start,
            entries: &[],
        });
        let method = self.keyword_or(&table, "method", Method::Post);
        let order = self.keyword_or(&table, "order", Order::Spec);
        let target_query = self.template(&table, "target_query");
        if let Some(query) = &target_query
            && query.source().starts_with(['?', '&'])
        {
            self.invalid(
                "collect.target_query".into(),
                "the query is appended to the target URL's own",
                query.span,
                "write it without a leading `?` or `&`",
            );
        }
        let remove = self.array(&table, "remove", "an array of element names", |c, field, n| {
            let name = c.string_node(field.clone(), n)?;
            match validate::element(&name) {
                Ok(element) => Some(Spanned::new(element, name.span)),
                Err(suggestion) => {
                    let label = suggestion
                        .map_or_else(|| "not a CMI010 element".to_owned(), |s| format!("did you mean `{s}`?"));
                    c.diag.report(
                        ScenarioErrorKind::UnknownElement { field, name: name.value.clone(), suggestion },
                        name.span,
                        label,
                        Some("`remove` takes the element names of CMI010 §6.2".to_owned()),
                    );
                    None
                }
            }
        });
        let remove = remove.unwrap_or_default();
        validate::check_unique(self.diag, "collect.remove", &remove);
        let set = self.set(&table);
        let raw = self.template(&table, "raw");
        if raw.is_some() {
            for key in ["set", "remove", "order"] {
                if let Some(key_span) = table.key_span(key) {
                    let span = self.span(key_span);
                    self.conflict(
                        format!("collect.{key}"),
                        format!("`{key}` cannot be combined with `raw`"),
                        span,
                        "`raw` is the whole body (or query) already",
                    );
                }
            }
        }
        let copies = self
            .integer(&table, "copies", 1..=i64::from(MAX_COPIES))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(1)))
            .unwrap_or(Spanned::new(1, table.head));
        Spanned::new(Collect { method, target_query, order, remove, set, raw, copies }, table.head)
    }

    fn set(&mut self, collect: &Table<'_>) -> Vec<SetElement> {
        let Some(node) = collect.get("set") else { return Vec::new() };
        let Some(table) = self.table("collect.set", node, None) else { return Vec::new() };
        let mut set = Vec::new();
        for (key, value) in table.entries {
            let field = table.field(&key.name);
            let name = Spanned::new(key.name.clone(), self.span(&key.span));
            if name.is_empty() {
                self.invalid(field.clone(), "the element name is empty", name.span, "use `raw` for malformed bodies");
            }
            if let Some(value) = self.template_node(field, value) {
                let element = pens_proto::Element::from_name(&name);
                set.push(SetElement { name, element, value });
            }
        }
        set
    }

    fn expect(&mut self, top: &Table<'_>) -> (Expectations, Vec<Spanned<Expectations>>) {
        let Some(table) = self.section(top, "expect", EXPECT_KEYS) else {
            return (Expectations::default(), Vec::new());
        };
        let expect = self.expectations(&table);
        let mut any_of = Vec::new();
        if let Some(node) = table.get("any_of") {
            match &node.kind {
                NodeKind::Array(alternatives) => {
                    for alternative in alternatives {
                        if let Some(alt) = self.table("expect.any_of", alternative, Some(ALTERNATIVE_KEYS)) {
                            let head = alt.head;
                            any_of.push(Spanned::new(self.expectations(&alt), head));
                        }
                    }
                    if alternatives.len() < 2 {
                        let span = self.head(node);
                        self.invalid(
                            "expect.any_of".into(),
                            "`any_of` needs at least two alternatives",
                            span,
                            "a single alternative is not a choice: move its sections into [expect]",
                        );
                    }
                }
                _ => self.wrong_type("expect.any_of".into(), "an array of tables (`[[expect.any_of]]`)", node, None),
            }
        }
        (expect, any_of)
    }

    fn expectations(&mut self, table: &Table<'_>) -> Expectations {
        Expectations {
            response: self.section(table, "response", RESPONSE_KEYS).map(|t| self.response(&t)),
            fetch: self.section(table, "fetch", FETCH_KEYS).map(|t| self.fetch(&t)),
            receipt: self.section(table, "receipt", RECEIPT_KEYS).map(|t| self.receipt(&t)),
            alerts: self.section(table, "alerts", ALERTS_KEYS).map(|t| self.alerts(&t)),
        }
    }

    fn response(&mut self, table: &Table<'_>) -> Spanned<ResponseExpectation> {
        let error = self.codes(table, "error");
        let warn = self.codes(table, "warn").unwrap_or_default();
        let format = self.keyword_or(table, "format", ResponseFormat::Strict);
        let other_errors = self.keyword_or(table, "other_errors", OtherErrors::Warn);
        Spanned::new(ResponseExpectation { error, warn, format, other_errors }, table.head)
    }

    fn fetch(&mut self, table: &Table<'_>) -> Spanned<FetchExpectation> {
        let happens = self.bool_or(table, "happens", true);
        let protocol = self.keyword(table, "protocol");
        let credentials = self.keyword_or(table, "credentials", CredentialsExpectation::Any);
        if !happens.value {
            for key in ["protocol", "credentials"] {
                if let Some(key_span) = table.key_span(key) {
                    let span = self.span(key_span);
                    self.conflict(
                        table.field(key),
                        format!("`{key}` checks nothing when `happens = false`"),
                        span,
                        "no fetch is expected",
                    );
                }
            }
        }
        Spanned::new(FetchExpectation { happens, protocol, credentials }, table.head)
    }

    fn receipt(&mut self, table: &Table<'_>) -> Spanned<ReceiptExpectation> {
        let count = self
            .integer(table, "count", 0..=i64::from(MAX_RECEIPT_COUNT))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(0)));
        let error = self.codes(table, "error");
        let warn = self.codes(table, "warn").unwrap_or_default();
        let after_fetch = self.bool_or(table, "after_fetch", true);
        let never_success = self.bool_or(table, "never_success", false);
        let fields = self.fields(table);
        if count.as_ref().is_some_and(|c| c.value == 0) {
            for key in ["error", "warn", "after_fetch", "never_success", "fields"] {
                if let Some(key_span) = table.key_span(key) {
                    let span = self.span(key_span);
                    self.conflict(
                        table.field(key),
                        format!("`{key}` checks nothing when `count = 0`"),
                        span,
                        "no receipt is expected",
                    );
                }
            }
        }
        Spanned::new(ReceiptExpectation { count, error, warn, after_fetch, never_success, fields }, table.head)
    }

    fn fields(&mut self, receipt: &Table<'_>) -> Vec<FieldExpectation> {
        let Some(node) = receipt.get("fields") else { return Vec::new() };
        let Some(table) = self.table(&receipt.field("fields"), node, None) else { return Vec::new() };
        let mut fields = Vec::new();
        for (key, value) in table.entries {
            let name = Spanned::new(key.name.clone(), self.span(&key.span));
            if let Err(suggestion) = validate::notification_field(&name) {
                let label = suggestion
                    .map_or_else(|| "not a notification field".to_owned(), |s| format!("did you mean `{s}`?"));
                self.diag.report(
                    ScenarioErrorKind::UnknownElement {
                        field: table.path.clone(),
                        name: name.value.clone(),
                        suggestion,
                    },
                    name.span,
                    label,
                    Some("fields are CMI010 element names, or `command`, `error`, `error-text`".to_owned()),
                );
            }
            if let Some(value) = self.template_node(table.field(&key.name), value) {
                fields.push(FieldExpectation { name, value });
            }
        }
        fields
    }

    fn alerts(&mut self, table: &Table<'_>) -> Spanned<AlertsExpectation> {
        let after_receipt = self.bool_or(table, "after_receipt", true);
        let well_formed = self.bool_or(table, "well_formed", true);
        let at_least = self
            .integer(table, "at_least", 0..=i64::from(MAX_RECEIPT_COUNT))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(0)))
            .unwrap_or(Spanned::new(0, table.head));
        let error = self.codes(table, "error");
        Spanned::new(AlertsExpectation { after_receipt, well_formed, at_least, error }, table.head)
    }
}

/// For a number or boolean where a string is wanted, and the reverse: how to write it.
fn quote_hint(node: &Node) -> Option<String> {
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
