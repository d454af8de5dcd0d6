//! From the spanned TOML tree to the target scenario model: every key checked against the
//! language, every value against its type, every error recorded with its span, and the
//! walk carries on after an error so one load reports all of them. The readers it uses
//! are shared with the client language (`reader`).

use crate::error::{Diagnostics, ScenarioErrorKind};
use crate::expect::{
    AlertsExpectation, CredentialsExpectation, Expectations, FetchExpectation, FieldExpectation, InternalExpectation,
    InternalRequested, MAX_RECEIPT_COUNT, MissingReceipt, OtherErrors, ReceiptExpectation, ResponseExpectation,
    ResponseFormat,
};
use crate::model::{
    BehaviourName, Capability, Collect, DEFAULT_DRIBBLE_CHUNK_BYTES, DEFAULT_OVER_BYTES, DEFAULT_PACKAGE,
    DEFAULT_TRUNCATE_AFTER_BYTES, MAX_COPIES, MAX_OVER_BYTES, MAX_PACKAGE_SIZE, MIN_PACKAGE_SIZE, Method, Order,
    Scenario, SetElement, Staging, StagingBehaviour, StagingCredentials,
};
use crate::reader::{Converter, Header, MAX_DELAY_MS, Table};
use crate::span::Spanned;
use crate::tree::{Node, NodeKind};
use crate::validate;

const TOP_KEYS: &[&str] =
    &["id", "title", "requirements", "level", "tags", "needs", "unless", "staging", "collect", "expect"];
const STAGING_KEYS: &[&str] = &[
    "package",
    "size",
    "user",
    "password",
    "behaviour",
    "status",
    "delay_ms",
    "chunk_bytes",
    "after_bytes",
    "over_bytes",
];
const COLLECT_KEYS: &[&str] = &["method", "target_query", "order", "remove", "set", "raw", "copies"];
const EXPECT_KEYS: &[&str] = &["response", "fetch", "receipt", "alerts", "internal", "any_of"];
const ALTERNATIVE_KEYS: &[&str] = &["response", "fetch", "receipt", "alerts", "internal"];
const RESPONSE_KEYS: &[&str] = &["error", "warn", "format", "other_errors", "does_not_contain", "escapes"];
const FETCH_KEYS: &[&str] = &["happens", "protocol", "credentials"];
const RECEIPT_KEYS: &[&str] =
    &["count", "error", "warn", "after_fetch", "never_success", "fields", "does_not_contain", "credentials", "missing"];
const ALERTS_KEYS: &[&str] = &["after_receipt", "well_formed", "at_least", "error", "does_not_contain"];
const INTERNAL_KEYS: &[&str] = &["requested"];

/// Reads a parsed document into a [`Scenario`], reporting problems into `diag`. The
/// scenario is only meaningful when `diag` stays empty.
pub(crate) fn convert(diag: &mut Diagnostics<'_>, root: &Node) -> Scenario {
    let mut c = Converter { diag };
    c.scenario(root)
}

impl Converter<'_, '_> {
    // ---- the language ----

    fn scenario(&mut self, root: &Node) -> Scenario {
        let file = self.diag.file;
        let start = file.start();
        let top =
            self.table("", root, Some(TOP_KEYS)).unwrap_or(Table { path: String::new(), head: start, entries: &[] });

        let Header { id, title, requirements, tags, level } = self.header(&top);
        let needs = self.keywords::<Capability>(&top, "needs");
        validate::check_unique(self.diag, "needs", &needs);
        let unless = self.keywords::<Capability>(&top, "unless");
        validate::check_unique(self.diag, "unless", &unless);

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
        let size = self.size(&table, "size", MIN_PACKAGE_SIZE..=MAX_PACKAGE_SIZE);
        if let Some(size) = &size
            && matches!(
                behaviour.value,
                StagingBehaviour::Corrupt
                    | StagingBehaviour::ZipSlip
                    | StagingBehaviour::ZipBomb
                    | StagingBehaviour::Oversized { .. }
            )
        {
            self.conflict(
                "staging.size".into(),
                format!("`size` cannot be combined with behaviour `{}`", behaviour.value.name()),
                size.span,
                "a sized package is served as it is, or paced, cut or redirected; not rewritten",
            );
        }
        Spanned::new(Staging { package, size, credentials, behaviour }, table.head)
    }

    fn behaviour(&mut self, table: &Table<'_>) -> Spanned<StagingBehaviour> {
        let status = self.unsigned(table, "status", 100..=599);
        let delay_ms = self.unsigned(table, "delay_ms", 0..=MAX_DELAY_MS);
        let chunk_bytes = self.unsigned(table, "chunk_bytes", 1..=1_048_576);
        let after_bytes = self.unsigned(table, "after_bytes", 0..=1 << 30);
        let over_bytes = self.unsigned(table, "over_bytes", DEFAULT_OVER_BYTES as i64..=MAX_OVER_BYTES as i64);
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
            BehaviourName::Oversized => &["over_bytes"],
            BehaviourName::Serve
            | BehaviourName::Corrupt
            | BehaviourName::Redirect
            | BehaviourName::ZipSlip
            | BehaviourName::ZipBomb
            | BehaviourName::Silent
            | BehaviourName::AfterAnswer => &[],
        };
        for key in ["status", "delay_ms", "chunk_bytes", "after_bytes", "over_bytes"] {
            if let (Some(key_span), false) = (table.key_span(key), parameters.contains(&key)) {
                let span = self.span(key_span);
                let users = match key {
                    "status" => "behaviour = \"status\"",
                    "delay_ms" => "behaviour = \"delay\" or \"dribble\"",
                    "chunk_bytes" => "behaviour = \"dribble\"",
                    "over_bytes" => "behaviour = \"oversized\"",
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
            BehaviourName::ZipSlip => StagingBehaviour::ZipSlip,
            BehaviourName::ZipBomb => StagingBehaviour::ZipBomb,
            BehaviourName::Silent => StagingBehaviour::Silent,
            BehaviourName::AfterAnswer => StagingBehaviour::AfterAnswer,
            BehaviourName::Oversized => StagingBehaviour::Oversized {
                over_bytes: over_bytes.unwrap_or(Spanned::new(DEFAULT_OVER_BYTES, name.span)),
            },
            BehaviourName::Status => StagingBehaviour::Status { status: require(self, "status", status) },
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
            internal: self.section(table, "internal", INTERNAL_KEYS).map(|t| {
                let requested = self.keyword_or(&t, "requested", InternalRequested::Report);
                Spanned::new(InternalExpectation { requested }, t.head)
            }),
        }
    }

    fn response(&mut self, table: &Table<'_>) -> Spanned<ResponseExpectation> {
        let error = self.codes(table, "error");
        let warn = self.codes(table, "warn").unwrap_or_default();
        let format = self.keyword_or(table, "format", ResponseFormat::Strict);
        let other_errors = self.keyword_or(table, "other_errors", OtherErrors::Warn);
        let does_not_contain = self.probes(table, "does_not_contain");
        let escapes = self.probes(table, "escapes");
        Spanned::new(ResponseExpectation { error, warn, format, other_errors, does_not_contain, escapes }, table.head)
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
        let does_not_contain = self.probes(table, "does_not_contain");
        let credentials = self.keyword_or(table, "credentials", CredentialsExpectation::Any);
        let missing = self.keyword_or(table, "missing", MissingReceipt::Fail);
        if count.is_none()
            && let Some(key_span) = table.key_span("missing")
        {
            let span = self.span(key_span);
            self.conflict(
                table.field("missing"),
                "`missing` needs `count`".to_owned(),
                span,
                "without a count no receipt is missing",
            );
        }
        if count.as_ref().is_some_and(|c| c.value == 0) {
            for key in [
                "error",
                "warn",
                "after_fetch",
                "never_success",
                "fields",
                "does_not_contain",
                "credentials",
                "missing",
            ] {
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
        Spanned::new(
            ReceiptExpectation {
                count,
                error,
                warn,
                after_fetch,
                never_success,
                fields,
                does_not_contain,
                credentials,
                missing,
            },
            table.head,
        )
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
        let does_not_contain = self.probes(table, "does_not_contain");
        Spanned::new(AlertsExpectation { after_receipt, well_formed, at_least, error, does_not_contain }, table.head)
    }
}
