//! From the spanned TOML tree to the target scenario model: every key checked against the
//! language, every value against its type, every error recorded with its span, and the
//! walk carries on after an error so one load reports all of them. The readers it uses
//! are shared with the client language (`reader`).

use std::ops::RangeInclusive;

use crate::error::{Diagnostics, ScenarioErrorKind};
use crate::expect::{
    AlertsExpectation, CredentialsExpectation, Expectations, FetchExpectation, FieldExpectation, InternalExpectation,
    InternalRequested, MAX_RECEIPT_COUNT, MissingReceipt, OtherErrors, ReceiptExpectation, ResponseExpectation,
    ResponseFormat,
};
use crate::keys::{
    AlertsKey, CollectKey, ExpectKey, FetchKey, HeaderKey, InternalKey, ReceiptKey, ResponseKey, StagingKey, TopKey,
    UNSIZED_BEHAVIOURS, behaviour_parameters, names,
};
use crate::keyword::Keyword;
use crate::model::{
    BehaviourName, Capability, Collect, DEFAULT_DRIBBLE_CHUNK_BYTES, DEFAULT_OVER_BYTES, DEFAULT_PACKAGE,
    DEFAULT_TRUNCATE_AFTER_BYTES, MAX_COPIES, MAX_OVER_BYTES, MAX_PACKAGE_SIZE, MIN_PACKAGE_SIZE, Method, Order,
    Scenario, SetElement, Staging, StagingBehaviour, StagingCredentials,
};
use crate::reader::{Converter, Header, MAX_DELAY_MS, Table};
use crate::span::Spanned;
use crate::tree::{Node, NodeKind};
use crate::validate;

/// `status` of `[staging]`: an HTTP status.
pub(crate) const STATUS_RANGE: RangeInclusive<i64> = 100..=599;
/// `chunk_bytes` of `[staging]`: 1 byte to 1 MiB.
pub(crate) const CHUNK_BYTES_RANGE: RangeInclusive<i64> = 1..=1_048_576;
/// `after_bytes` of `[staging]`: up to 1 GiB.
pub(crate) const AFTER_BYTES_RANGE: RangeInclusive<i64> = 0..=1 << 30;

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
        let top_keys: Vec<_> = names::<HeaderKey>().into_iter().chain(names::<TopKey>()).collect();
        let top =
            self.table("", root, Some(&top_keys)).unwrap_or(Table { path: String::new(), head: start, entries: &[] });

        let Header { id, title, requirements, tags, level } = self.header(&top);
        let needs = self.keywords::<Capability>(&top, TopKey::Needs);
        validate::check_unique(self.diag, TopKey::Needs.name(), &needs);
        let unless = self.keywords::<Capability>(&top, TopKey::Unless);
        validate::check_unique(self.diag, TopKey::Unless.name(), &unless);

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
        let table = self.section::<StagingKey>(top, TopKey::Staging).unwrap_or(Table {
            path: TopKey::Staging.name().into(),
            head: start,
            entries: &[],
        });
        let package = match self.string(&table, StagingKey::Package) {
            Some(package) => {
                if let Some(problem) = validate::package_path_problem(&package) {
                    self.invalid(
                        table.field(StagingKey::Package.name()),
                        problem,
                        package.span,
                        "not a file under fixtures/packages/",
                    );
                }
                package
            }
            None => Spanned::new(DEFAULT_PACKAGE.to_owned(), table.head),
        };
        let user = self.template(&table, StagingKey::User);
        let password = self.template(&table, StagingKey::Password);
        let credentials = match (user, password) {
            (Some(user), Some(password)) => Some(StagingCredentials { user, password }),
            (Some(user), None) if !table.has(StagingKey::Password.name()) => {
                self.missing(&table, StagingKey::Password, user.span, "`user` needs `password`");
                None
            }
            (None, Some(password)) if !table.has(StagingKey::User.name()) => {
                self.missing(&table, StagingKey::User, password.span, "`password` needs `user`");
                None
            }
            _ => None,
        };
        let behaviour = self.behaviour(&table);
        let size = self.size(&table, StagingKey::Size, MIN_PACKAGE_SIZE..=MAX_PACKAGE_SIZE);
        if let Some(size) = &size
            && UNSIZED_BEHAVIOURS.contains(&behaviour.value.name())
        {
            self.conflict(
                table.field(StagingKey::Size.name()),
                format!("`size` cannot be combined with behaviour `{}`", behaviour.value.name()),
                size.span,
                "a sized package is served as it is, or paced, cut or redirected; not rewritten",
            );
        }
        Spanned::new(Staging { package, size, credentials, behaviour }, table.head)
    }

    fn behaviour(&mut self, table: &Table<'_>) -> Spanned<StagingBehaviour> {
        let status = self.unsigned(table, StagingKey::Status, STATUS_RANGE);
        let delay_ms = self.unsigned(table, StagingKey::DelayMs, 0..=MAX_DELAY_MS);
        let chunk_bytes = self.unsigned(table, StagingKey::ChunkBytes, CHUNK_BYTES_RANGE);
        let after_bytes = self.unsigned(table, StagingKey::AfterBytes, AFTER_BYTES_RANGE);
        let over_bytes = self.unsigned(table, StagingKey::OverBytes, DEFAULT_OVER_BYTES as i64..=MAX_OVER_BYTES as i64);
        let name = match self.keyword::<BehaviourName>(table, StagingKey::Behaviour) {
            Some(name) => name,
            None if !table.has(StagingKey::Behaviour.name()) => Spanned::new(BehaviourName::Serve, table.head),
            None => {
                // Already reported; checking parameters against a guess would only add noise.
                return Spanned::new(StagingBehaviour::Serve, table.head);
            }
        };
        let parameters = behaviour_parameters(name.value);
        for key in StagingKey::PARAMETERS {
            if let (Some(key_span), false) = (table.key_span(key.name()), parameters.iter().any(|(p, _)| *p == key)) {
                let span = self.span(key_span);
                self.conflict(
                    table.field(key.name()),
                    format!("`{key}` does not apply to behaviour `{}`", name.value),
                    span,
                    format!("only used with {}", parameter_users(key)),
                );
            }
        }
        let require = |c: &mut Self, key: StagingKey, value: Option<Spanned<u64>>| {
            if value.is_none() && !table.has(key.name()) {
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
            BehaviourName::Status => StagingBehaviour::Status { status: require(self, StagingKey::Status, status) },
            BehaviourName::Delay => StagingBehaviour::Delay { delay_ms: require(self, StagingKey::DelayMs, delay_ms) },
            BehaviourName::Dribble => StagingBehaviour::Dribble {
                delay_ms: require(self, StagingKey::DelayMs, delay_ms),
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
        let table = self.section::<CollectKey>(top, TopKey::Collect).unwrap_or(Table {
            path: TopKey::Collect.name().into(),
            head: start,
            entries: &[],
        });
        let method = self.keyword_or(&table, CollectKey::Method, Method::Post);
        let order = self.keyword_or(&table, CollectKey::Order, Order::Spec);
        let target_query = self.template(&table, CollectKey::TargetQuery);
        if let Some(query) = &target_query
            && query.source().starts_with(['?', '&'])
        {
            self.invalid(
                table.field(CollectKey::TargetQuery.name()),
                "the query is appended to the target URL's own",
                query.span,
                "write it without a leading `?` or `&`",
            );
        }
        let remove = self.array(&table, CollectKey::Remove, "an array of element names", |c, field, n| {
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
        validate::check_unique(self.diag, &table.field(CollectKey::Remove.name()), &remove);
        let set = self.set(&table);
        let raw = self.template(&table, CollectKey::Raw);
        if raw.is_some() {
            for key in CollectKey::NOT_WITH_RAW {
                if let Some(key_span) = table.key_span(key.name()) {
                    let span = self.span(key_span);
                    self.conflict(
                        table.field(key.name()),
                        format!("`{key}` cannot be combined with `raw`"),
                        span,
                        "`raw` is the whole body (or query) already",
                    );
                }
            }
        }
        let copies = self
            .integer(&table, CollectKey::Copies, 1..=i64::from(MAX_COPIES))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(1)))
            .unwrap_or(Spanned::new(1, table.head));
        Spanned::new(Collect { method, target_query, order, remove, set, raw, copies }, table.head)
    }

    fn set(&mut self, collect: &Table<'_>) -> Vec<SetElement> {
        let Some(node) = collect.get(CollectKey::Set.name()) else { return Vec::new() };
        let Some(table) = self.table(&collect.field(CollectKey::Set.name()), node, None) else { return Vec::new() };
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
        let Some(table) = self.section::<ExpectKey>(top, TopKey::Expect) else {
            return (Expectations::default(), Vec::new());
        };
        let expect = self.expectations(&table);
        let mut any_of = Vec::new();
        let any_of_path = table.field(ExpectKey::AnyOf.name());
        if let Some(node) = table.get(ExpectKey::AnyOf.name()) {
            match &node.kind {
                NodeKind::Array(alternatives) => {
                    let sections = ExpectKey::SECTIONS.map(ExpectKey::name);
                    for alternative in alternatives {
                        if let Some(alt) = self.table(&any_of_path, alternative, Some(&sections)) {
                            let head = alt.head;
                            any_of.push(Spanned::new(self.expectations(&alt), head));
                        }
                    }
                    if alternatives.len() < 2 {
                        let span = self.head(node);
                        self.invalid(
                            any_of_path.clone(),
                            "`any_of` needs at least two alternatives",
                            span,
                            "a single alternative is not a choice: move its sections into [expect]",
                        );
                    }
                }
                _ => self.wrong_type(any_of_path, "an array of tables (`[[expect.any_of]]`)", node, None),
            }
        }
        (expect, any_of)
    }

    fn expectations(&mut self, table: &Table<'_>) -> Expectations {
        Expectations {
            response: self.section::<ResponseKey>(table, ExpectKey::Response).map(|t| self.response(&t)),
            fetch: self.section::<FetchKey>(table, ExpectKey::Fetch).map(|t| self.fetch(&t)),
            receipt: self.section::<ReceiptKey>(table, ExpectKey::Receipt).map(|t| self.receipt(&t)),
            alerts: self.section::<AlertsKey>(table, ExpectKey::Alerts).map(|t| self.alerts(&t)),
            internal: self.section::<InternalKey>(table, ExpectKey::Internal).map(|t| {
                let requested = self.keyword_or(&t, InternalKey::Requested, InternalRequested::Report);
                Spanned::new(InternalExpectation { requested }, t.head)
            }),
        }
    }

    fn response(&mut self, table: &Table<'_>) -> Spanned<ResponseExpectation> {
        let error = self.acceptable_codes(table, ResponseKey::Error);
        let warn = self.codes(table, ResponseKey::Warn).unwrap_or_default();
        let format = self.keyword_or(table, ResponseKey::Format, ResponseFormat::Strict);
        let other_errors = self.keyword_or(table, ResponseKey::OtherErrors, OtherErrors::Warn);
        let does_not_contain = self.probes(table, ResponseKey::DoesNotContain);
        let escapes = self.probes(table, ResponseKey::Escapes);
        Spanned::new(ResponseExpectation { error, warn, format, other_errors, does_not_contain, escapes }, table.head)
    }

    fn fetch(&mut self, table: &Table<'_>) -> Spanned<FetchExpectation> {
        let happens = self.bool_or(table, FetchKey::Happens, true);
        let protocol = self.keyword(table, FetchKey::Protocol);
        let credentials = self.keyword_or(table, FetchKey::Credentials, CredentialsExpectation::Any);
        if !happens.value {
            for key in FetchKey::NEED_A_FETCH {
                if let Some(key_span) = table.key_span(key.name()) {
                    let span = self.span(key_span);
                    self.conflict(
                        table.field(key.name()),
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
            .integer(table, ReceiptKey::Count, 0..=i64::from(MAX_RECEIPT_COUNT))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(0)));
        let error = self.acceptable_codes(table, ReceiptKey::Error);
        let warn = self.codes(table, ReceiptKey::Warn).unwrap_or_default();
        let after_fetch = self.bool_or(table, ReceiptKey::AfterFetch, true);
        let never_success = self.bool_or(table, ReceiptKey::NeverSuccess, false);
        let fields = self.fields(table);
        let does_not_contain = self.probes(table, ReceiptKey::DoesNotContain);
        let credentials = self.keyword_or(table, ReceiptKey::Credentials, CredentialsExpectation::Any);
        let missing = self.keyword_or(table, ReceiptKey::Missing, MissingReceipt::Fail);
        if count.is_none()
            && let Some(key_span) = table.key_span(ReceiptKey::Missing.name())
        {
            let span = self.span(key_span);
            self.conflict(
                table.field(ReceiptKey::Missing.name()),
                "`missing` needs `count`".to_owned(),
                span,
                "without a count no receipt is missing",
            );
        }
        if count.as_ref().is_some_and(|c| c.value == 0) {
            for key in ReceiptKey::JUDGING {
                if let Some(key_span) = table.key_span(key.name()) {
                    let span = self.span(key_span);
                    self.conflict(
                        table.field(key.name()),
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
        let Some(node) = receipt.get(ReceiptKey::Fields.name()) else { return Vec::new() };
        let Some(table) = self.table(&receipt.field(ReceiptKey::Fields.name()), node, None) else { return Vec::new() };
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
        let after_receipt = self.bool_or(table, AlertsKey::AfterReceipt, true);
        let well_formed = self.bool_or(table, AlertsKey::WellFormed, true);
        let at_least = self
            .integer(table, AlertsKey::AtLeast, 0..=i64::from(MAX_RECEIPT_COUNT))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(0)))
            .unwrap_or(Spanned::new(0, table.head));
        let error = self.acceptable_codes(table, AlertsKey::Error);
        let does_not_contain = self.probes(table, AlertsKey::DoesNotContain);
        Spanned::new(AlertsExpectation { after_receipt, well_formed, at_least, error, does_not_contain }, table.head)
    }
}

/// The behaviours a parameter applies to, as the conflict's label names them
/// (`behaviour = "delay" or "dribble"`), from [`behaviour_parameters`].
fn parameter_users(key: StagingKey) -> String {
    let users: Vec<String> = BehaviourName::ALL
        .iter()
        .filter(|b| behaviour_parameters(**b).iter().any(|(p, _)| *p == key))
        .map(|b| format!("\"{b}\""))
        .collect();
    format!("behaviour = {}", users.join(" or "))
}
