//! Hand-built evidence for the evaluation's unit tests: a collect as the runner sends it,
//! and what the target did with it at chosen offsets from the scenario's start, so every
//! judgement can be tested without sockets or clocks.

use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{CollectExchange, CredentialsPresented, Endpoint, HttpAnswer, NotificationEvent, StagingEvent};
use pens_proto::{
    CheckContext, CollectCommand, ErrorCode, Notification, NotificationKind, PensResponse, assess_decoded_collect,
};
use pens_report::{CheckResult, Verdict};
use time::OffsetDateTime;

use super::Settings;
use crate::Deadlines;
use crate::evidence::Evidence;

/// The `{{now}}` of every test scenario.
pub(crate) const NOW: OffsetDateTime = time::macros::datetime!(2026-06-01 00:00 UTC);

/// The package-id of the valid test collect.
pub(crate) const PACKAGE_ID: &str = "urn:pens-conform:test:unit";

/// The deadlines messages quote.
pub(crate) const DEADLINES: Deadlines = Deadlines {
    ack: Duration::from_millis(1000),
    fetch: Duration::from_millis(2000),
    receipt: Duration::from_millis(3000),
    quiet: Duration::from_millis(100),
};

/// Settings citing `target.collect.post` as the scenario's main requirement.
pub(crate) fn settings() -> Settings<'static> {
    Settings { main_requirement: &pens_proto::req::TARGET_ACCEPTS_POST, deadlines: &DEADLINES }
}

/// A valid collect, as the runner's default one: every element, its own URLs.
pub(crate) fn valid_collect() -> CollectCommand {
    CollectCommand {
        package_id: Some(PACKAGE_ID.into()),
        package_url: Some("http://127.0.0.1:1/s/unit/scorm12-minimal.zip".into()),
        package_url_expiry: Some("2026-06-01T01:00:00Z".into()),
        receipt: Some("http://127.0.0.1:2/r/unit/receipt".into()),
        alerts: Some("http://127.0.0.1:2/r/unit/alerts".into()),
        ..CollectCommand::example()
    }
}

/// Evidence of `command` sent (as a form POST) and not answered yet: the expected
/// answer is what pens-proto computes for a target claiming HTTP and HTTPS only.
pub(crate) fn evidence(command: CollectCommand) -> Evidence {
    let started = Instant::now();
    let body = command.to_form();
    let decoded = CollectCommand::decode(body.as_bytes());
    let context = CheckContext { now: NOW, target: pens_parties::reference_capabilities() };
    let expected = assess_decoded_collect(&decoded, &context).expected;
    Evidence {
        started,
        // The receipt deadline and the quiet window of DEADLINES: what a run watches.
        ended: started + DEADLINES.receipt + DEADLINES.quiet,
        answer_over: started + DEADLINES.ack,
        cut_short: None,
        command: decoded.command,
        expected,
        exchange: CollectExchange {
            request_line: "POST http://lms.test/pens".into(),
            request_body: body,
            started,
            latency_ms: None,
            answer_started: None,
            answer_ended: None,
            outcome: Err("not sent".into()),
            timed_out: false,
            refused: false,
            breach: None,
        },
        answered: None,
        staging: Vec::new(),
        notifications: Vec::new(),
        tls_failures: Vec::new(),
        refused_logins: Vec::new(),
        internal: Vec::new(),
        overflow: None,
        saturated: Vec::new(),
    }
}

/// The evidence of a valid collect.
pub(crate) fn valid() -> Evidence {
    evidence(valid_collect())
}

/// The valid collect without `element` (by wire name).
pub(crate) fn without(elements: &[pens_proto::Element]) -> Evidence {
    let mut command = valid_collect();
    for element in elements {
        command.set(*element, None);
    }
    evidence(command)
}

impl Evidence {
    /// The target answered `body` with `status` and `content_type`.
    pub(crate) fn answer(mut self, status: u16, content_type: Option<&str>, body: &str) -> Self {
        let headers = content_type.map(|t| ("content-type".to_owned(), t.to_owned())).into_iter().collect();
        self.answered = pens_proto::parse_response(body.as_bytes()).error;
        self.exchange.outcome = Ok(HttpAnswer { status, headers, body: Bytes::from(body.to_owned()) });
        self.exchange.latency_ms = Some(3);
        self.exchange.answer_started = Some(self.at(2));
        self.exchange.answer_ended = Some(self.at(3));
        self
    }

    /// The answer's head was read at `head` ms and its last byte at `end` ms.
    pub(crate) fn answered_between(mut self, head: u64, end: u64) -> Self {
        self.exchange.answer_started = Some(self.at(head));
        self.exchange.answer_ended = Some(self.at(end));
        self.exchange.latency_ms = Some(end);
        self
    }

    /// The target answered the exact PENS response with `code`, as text/plain.
    pub(crate) fn answered_with(self, code: u16) -> Self {
        let body = PensResponse::error(ErrorCode(code), "test answer").encode();
        self.answer(200, Some("text/plain"), &body)
    }

    /// The collect got no answer in time.
    pub(crate) fn unanswered(mut self) -> Self {
        self.exchange.outcome = Err("no answer within 1000 ms".into());
        self.exchange.timed_out = true;
        self
    }

    /// The collect's answer broke off after `answer_ms` with `error` (garbage, a
    /// reset), and gathering ended at `ended_ms`, as a real run then does: nothing
    /// follows a broken answer, so nothing was waited for.
    pub(crate) fn broken_off(mut self, answer_ms: u64, ended_ms: u64, error: &str) -> Self {
        self.exchange.outcome = Err(error.into());
        self.exchange.timed_out = false;
        self.answer_over = self.at(answer_ms);
        self.ended = self.at(ended_ms);
        self.cut_short = Some(format!(
            "the scenario ended early because the collect got no answer ({error}), so nothing was awaited"
        ));
        self
    }

    fn at(&self, ms: u64) -> Instant {
        self.started + Duration::from_millis(ms)
    }

    /// A staging request arriving at `from` ms and over at `to` ms.
    pub(crate) fn fetch(mut self, from: u64, to: u64, completed: bool, credentials: CredentialsPresented) -> Self {
        self.staging.push(StagingEvent {
            key: "unit".into(),
            at: self.at(from),
            elapsed_ms: from,
            finished_at: self.at(to),
            duration_ms: to - from,
            protocol: "http".into(),
            method: "GET".into(),
            path: "/s/unit/scorm12-minimal.zip".into(),
            query: None,
            credentials,
            status: 200,
            bytes_sent: if completed { 1024 } else { 100 },
            body_bytes: 1024,
            completed,
            ftps_mode: None,
        });
        self
    }

    /// A HEAD of the package arriving at `from` ms and over at `to` ms: the package's
    /// length announced, none of it sent.
    pub(crate) fn head(mut self, from: u64, to: u64) -> Self {
        self = self.fetch(from, to, false, CredentialsPresented::None);
        if let Some(head) = self.staging.last_mut() {
            head.method = "HEAD".into();
            head.bytes_sent = 0;
        }
        self
    }

    /// A complete download without credentials between `from` and `to` ms.
    pub(crate) fn downloaded(self, from: u64, to: u64) -> Self {
        self.fetch(from, to, true, CredentialsPresented::None)
    }

    /// A notification arriving at `ms` at `endpoint`.
    pub(crate) fn notification(mut self, ms: u64, endpoint: Endpoint, notification: Notification) -> Self {
        let raw = Bytes::from(notification.to_form());
        self.notifications.push(NotificationEvent {
            key: "unit".into(),
            at: self.at(ms),
            elapsed_ms: ms,
            endpoint,
            path: match endpoint {
                Endpoint::Alerts => "/r/unit/alerts".into(),
                _ => "/r/unit/receipt".into(),
            },
            method: "POST".into(),
            content_type: Some(pens_proto::FORM_CONTENT_TYPE.into()),
            raw,
            notification,
            findings: Vec::new(),
            status: 200,
            mail: None,
            basic_auth: None,
        });
        self
    }

    /// Makes the last notification one that came by mail, to `recipient`.
    pub(crate) fn mailed(mut self, recipient: &str) -> Self {
        if let Some(last) = self.notifications.last_mut() {
            last.method = "MAIL".into();
            last.content_type = None;
            last.mail = Some(pens_parties::MailDetails {
                envelope_from: "lms@example.test".into(),
                recipient: recipient.into(),
                from: Some("LMS <lms@example.test>".into()),
                reply_to: None,
                subject: Some("PENS Receipt".into()),
                free_text: String::new(),
            });
        }
        self
    }

    /// A well-formed receipt with `code` at `ms`.
    pub(crate) fn receipt(self, ms: u64, code: u16) -> Self {
        let receipt = notification_for(&self.command, NotificationKind::Receipt, code);
        self.notification(ms, Endpoint::Receipt, receipt)
    }

    /// A well-formed alert (error 0) at `ms`.
    pub(crate) fn alert(self, ms: u64) -> Self {
        let alert = notification_for(&self.command, NotificationKind::Alert, 0);
        self.notification(ms, Endpoint::Alerts, alert)
    }
}

/// A receipt or alert for `command` the way a conformant target writes it.
pub(crate) fn notification_for(command: &CollectCommand, kind: NotificationKind, code: u16) -> Notification {
    Notification {
        command: Some(kind.as_str().into()),
        pens_version: Some(pens_proto::PENS_VERSION.into()),
        package_type: command.package_type.clone(),
        package_type_version: command.package_type_version.clone(),
        package_format: command.package_format.clone(),
        package_id: command.package_id.clone(),
        package_url: command.package_url.clone(),
        package_url_expiry: command.package_url_expiry.clone(),
        client: Some("unit test target".into()),
        error: Some(code.to_string()),
        error_text: Some("done".into()),
        extra: Vec::new(),
    }
}

/// The checks as `(verdict, requirement id)`, for compact assertions.
pub(crate) fn outline(checks: &[CheckResult]) -> Vec<(Verdict, &str)> {
    checks.iter().map(|c| (c.verdict, c.requirement.as_str())).collect()
}

/// The worst verdict of `checks`.
pub(crate) fn worst(checks: &[CheckResult]) -> Verdict {
    Verdict::worst(checks.iter().map(|c| c.verdict))
}
