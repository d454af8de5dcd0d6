//! From the spanned TOML tree to the client scenario model, with the same readers and
//! diagnostics as target scenarios (`reader`): every unknown key with a "did you mean",
//! every wrong type at its value, every error of the file collected.
//!
//! The rules that tie keys together are checked here, while the tables are at hand, so
//! an error can tell a key written by the author from a default: a key that could not
//! act (our target refuses, so `receipt_error` is never reported), a check of something
//! that never happens (answers to alerts that are never sent), `[expect.namespace]`
//! with a single collect, and a section that checks nothing.

use pens_proto::{ErrorCode, Party};

use crate::client_model::{
    AnswersExpectation, ClientExpectations, ClientScenario, CollectExpectation, FindingsMode, MAX_ALERTS, MAX_COLLECTS,
    NamespaceExpectation, NotificationDelivery, NotificationShape, PackageExpectation, TargetScriptSpec,
};
use crate::error::{Diagnostics, Note, ScenarioError, ScenarioErrorKind};
use crate::keys::{
    AnswersKey, ClientCollectKey, ClientExpectKey, ClientTopKey, HeaderKey, NamespaceKey, PackageKey, TargetKey, names,
};
use crate::model::Method;
use crate::reader::{Converter, Header, MAX_DELAY_MS, Table};
use crate::span::{Span, Spanned};
use crate::tree::Node;

/// Reads a parsed document into a [`ClientScenario`], reporting problems into `diag`.
/// The scenario is only meaningful when `diag` stays empty.
pub(crate) fn convert_client(diag: &mut Diagnostics<'_>, root: &Node) -> ClientScenario {
    let mut c = Converter { diag };
    c.client_scenario(root)
}

/// A non-zero code, with its span, from an optional one.
fn non_zero(code: Option<&Spanned<ErrorCode>>) -> Option<Spanned<ErrorCode>> {
    code.filter(|c| !c.value.is_success()).cloned()
}

impl Converter<'_, '_> {
    fn client_scenario(&mut self, root: &Node) -> ClientScenario {
        let file = self.diag.file;
        let start = file.start();
        let top_keys: Vec<_> = names::<HeaderKey>().into_iter().chain(names::<ClientTopKey>()).collect();
        let top =
            self.table("", root, Some(&top_keys)).unwrap_or(Table { path: String::new(), head: start, entries: &[] });
        let Header { id, title, requirements, tags, level } = self.header(&top);
        for requirement in &requirements {
            if requirement.party == Party::Target {
                self.invalid(
                    HeaderKey::Requirements.name().into(),
                    format!("requirement `{}` binds the target, not the client", requirement.id),
                    requirement.span,
                    "a target requirement",
                );
            }
        }
        let target = self.target_script(&top);
        let expect = self.client_expect(&top, &target);
        ClientScenario {
            source: file.path().to_owned(),
            id: id.unwrap_or_else(|| Spanned::new(String::new(), start)),
            title: title.unwrap_or_else(|| Spanned::new(String::new(), start)),
            requirements,
            level,
            tags,
            target,
            expect,
        }
    }

    /// An error at `span` that another place explains, shown as a note.
    fn conflict_because(&mut self, field: String, message: String, span: Span, label: &str, because: (String, Span)) {
        let file = self.diag.file;
        let error = ScenarioError::at(ScenarioErrorKind::Conflict { field, message }, file, span)
            .with_label(label)
            .with_note(Note::new(because.0, file, because.1));
        self.diag.push(error);
    }

    fn target_script(&mut self, top: &Table<'_>) -> Spanned<TargetScriptSpec> {
        let start = self.diag.file.start();
        let table = self.section::<TargetKey>(top, ClientTopKey::Target).unwrap_or(Table {
            path: ClientTopKey::Target.name().into(),
            head: start,
            entries: &[],
        });
        // Each key as written (`None`: absent, or invalid and reported already): the rules
        // below judge only what the author wrote, and only values that read well.
        let answer = self.code(&table, TargetKey::Answer);
        let answer_delay_ms =
            self.unsigned(&table, TargetKey::AnswerDelayMs, 0..=MAX_DELAY_MS).unwrap_or(Spanned::new(0, table.head));
        let fetch = self.bool(&table, TargetKey::Fetch);
        let receipt_error = self.code(&table, TargetKey::ReceiptError);
        let alerts = self
            .integer(&table, TargetKey::Alerts, 0..=i64::from(MAX_ALERTS))
            .map(|a| a.map(|v| u32::try_from(v).unwrap_or(0)));
        let delivery = self.keyword::<NotificationDelivery>(&table, TargetKey::Delivery);
        let notifications = self.keyword::<NotificationShape>(&table, TargetKey::Notifications);

        if let Some(refusal) = non_zero(answer.as_ref()) {
            // CMI010 §6.3: a refused collect is not fetched, so nothing is reported.
            let because = || (format!("our target answers {} here", refusal.value.0), refusal.span);
            if let (Some(key_span), Some(true)) =
                (table.key_span(TargetKey::Fetch.name()), fetch.as_ref().map(|f| f.value))
            {
                let span = self.span(key_span);
                self.conflict_because(
                    table.field(TargetKey::Fetch.name()),
                    "`fetch = true` contradicts a non-zero `answer`".into(),
                    span,
                    "a target that refuses does not fetch",
                    because(),
                );
            }
            let written = [
                (TargetKey::ReceiptError, receipt_error.is_some()),
                (TargetKey::Alerts, alerts.is_some()),
                (TargetKey::Delivery, delivery.is_some()),
                (TargetKey::Notifications, notifications.is_some()),
            ];
            for key in written.into_iter().filter_map(|(key, written)| written.then_some(key)) {
                if let Some(key_span) = table.key_span(key.name()) {
                    let span = self.span(key_span);
                    self.conflict_because(
                        table.field(key.name()),
                        format!("`{key}` does nothing when `answer` is not 0"),
                        span,
                        "no receipt or alert follows a refusal",
                        because(),
                    );
                }
            }
        } else if let (Some(failure), Some(key_span)) =
            (non_zero(receipt_error.as_ref()), table.key_span(TargetKey::Alerts.name()))
            && alerts.as_ref().is_some_and(|a| a.value > 0)
        {
            let span = self.span(key_span);
            self.conflict_because(
                table.field(TargetKey::Alerts.name()),
                "`alerts` does nothing when `receipt_error` is not 0".into(),
                span,
                "alerts only follow a receipt that reports 0",
                (format!("the receipt reports {} here", failure.value.0), failure.span),
            );
        }
        let fetch = fetch.unwrap_or(Spanned::new(true, table.head));
        let alerts = alerts.unwrap_or(Spanned::new(1, table.head));
        let delivery = delivery.unwrap_or(Spanned::new(NotificationDelivery::Post, table.head));
        let notifications = notifications.unwrap_or(Spanned::new(NotificationShape::Full, table.head));
        Spanned::new(
            TargetScriptSpec { answer, answer_delay_ms, fetch, receipt_error, alerts, delivery, notifications },
            table.head,
        )
    }

    fn client_expect(&mut self, top: &Table<'_>, target: &TargetScriptSpec) -> ClientExpectations {
        let start = self.diag.file.start();
        let table = self.section::<ClientExpectKey>(top, ClientTopKey::Expect).unwrap_or(Table {
            path: ClientTopKey::Expect.name().into(),
            head: start,
            entries: &[],
        });
        let written = self
            .integer(&table, ClientExpectKey::Collects, 1..=i64::from(MAX_COLLECTS))
            .map(|c| c.map(|v| u32::try_from(v).unwrap_or(1)));
        // An invalid `collects` is reported already; rules that need its value skip it.
        let collects_known = written.is_some() || !table.has(ClientExpectKey::Collects.name());
        let collects = written.unwrap_or(Spanned::new(1, table.head));
        let collect = match self.section::<ClientCollectKey>(&table, ClientExpectKey::Collect) {
            Some(section) => self.collect_expectation(&section),
            None => Spanned::new(
                CollectExpectation { findings: Spanned::new(FindingsMode::Strict, table.head), method: None },
                table.head,
            ),
        };
        let package =
            self.section::<PackageKey>(&table, ClientExpectKey::Package).map(|t| self.package_expectation(&t));
        let answers =
            self.section::<AnswersKey>(&table, ClientExpectKey::Answers).map(|t| self.answers_expectation(&t, target));
        let namespace =
            self.section::<NamespaceKey>(&table, ClientExpectKey::Namespace).map(|t| self.namespace_expectation(&t));
        let namespace_path = table.field(ClientExpectKey::Namespace.name());
        if let Some(namespace) = &namespace
            && collects_known
            && collects.value < 2
        {
            let message = "[expect.namespace] needs at least two collects".to_owned();
            let label = "compares the package-ids of several collects";
            if table.has(ClientExpectKey::Collects.name()) {
                let because = (format!("`collects = {}` here", collects.value), collects.span);
                self.conflict_because(namespace_path, message, namespace.span, label, because);
            } else {
                let kind = ScenarioErrorKind::Conflict { field: namespace_path, message };
                let help = "add `collects = 2` to [expect] (the default is 1)".to_owned();
                self.diag.report(kind, namespace.span, label, Some(help));
            }
        }
        ClientExpectations { collects, collect, package, answers, namespace }
    }

    fn collect_expectation(&mut self, table: &Table<'_>) -> Spanned<CollectExpectation> {
        let findings = self.keyword_or(table, ClientCollectKey::Findings, FindingsMode::Strict);
        let method = self.keyword::<Method>(table, ClientCollectKey::Method);
        Spanned::new(CollectExpectation { findings, method }, table.head)
    }

    /// Reports a section whose every check is switched off: it would pass whatever the
    /// client does, which is never what its author meant.
    fn checks_nothing(&mut self, table: &Table<'_>, label: &str) {
        self.diag.report(
            ScenarioErrorKind::InvalidValue { field: table.path.clone(), reason: "the section checks nothing".into() },
            table.head,
            label,
            Some(format!("remove [{}], or switch a check on", table.path)),
        );
    }

    fn package_expectation(&mut self, table: &Table<'_>) -> Spanned<PackageExpectation> {
        let available = self.bool_or(table, PackageKey::Available, true);
        let contents = self.bool_or(table, PackageKey::Contents, true);
        if !available.value && !contents.value {
            self.checks_nothing(table, "`available` and `contents` are both false");
        }
        Spanned::new(PackageExpectation { available, contents }, table.head)
    }

    fn answers_expectation(&mut self, table: &Table<'_>, target: &TargetScriptSpec) -> Spanned<AnswersExpectation> {
        // As written (`None`: absent or invalid), for the rules; then with defaults.
        let receipt_written = self.bool(table, AnswersKey::Receipt);
        let alerts_written = self.bool(table, AnswersKey::Alerts);
        let within_ms = self.unsigned(table, AnswersKey::WithinMs, 1..=MAX_DELAY_MS);
        let receipt = receipt_written.clone().unwrap_or(Spanned::new(true, table.head));
        let alerts = alerts_written.clone().unwrap_or(Spanned::new(true, table.head));
        if !receipt.value && !alerts.value {
            self.checks_nothing(table, "`receipt` and `alerts` are both false");
        }
        let refusal = non_zero(target.answer.as_ref());
        if let (Some(refusal), Some(key_span), Some(true)) =
            (&refusal, table.key_span(AnswersKey::Receipt.name()), receipt_written.map(|r| r.value))
        {
            let span = self.span(key_span);
            self.conflict_because(
                table.field(AnswersKey::Receipt.name()),
                "`receipt = true` checks the answer to a receipt our target never sends".into(),
                span,
                "no receipt follows a refusal",
                (format!("our target answers {} here", refusal.value.0), refusal.span),
            );
        }
        let no_alerts = if let Some(refusal) = refusal {
            Some(("no alert follows a refusal", format!("our target answers {} here", refusal.value.0), refusal.span))
        } else if let Some(failure) = non_zero(target.receipt_error.as_ref()) {
            let because = format!("the receipt reports {} here", failure.value.0);
            Some(("alerts only follow a receipt that reports 0", because, failure.span))
        } else if target.alerts.value == 0 {
            Some(("our target sends no alert", "`alerts = 0` here".to_owned(), target.alerts.span))
        } else {
            None
        };
        if let (Some((label, because, because_span)), Some(key_span), Some(true)) =
            (no_alerts, table.key_span(AnswersKey::Alerts.name()), alerts_written.map(|a| a.value))
        {
            let span = self.span(key_span);
            self.conflict_because(
                table.field(AnswersKey::Alerts.name()),
                "`alerts = true` checks the answers to alerts our target never sends".into(),
                span,
                label,
                (because, because_span),
            );
        }
        Spanned::new(AnswersExpectation { receipt, alerts, within_ms }, table.head)
    }

    fn namespace_expectation(&mut self, table: &Table<'_>) -> Spanned<NamespaceExpectation> {
        let stable = self.bool_or(table, NamespaceKey::Stable, true);
        if !stable.value {
            self.checks_nothing(table, "`stable` is false");
        }
        Spanned::new(NamespaceExpectation { stable }, table.head)
    }
}
