//! Observe mode's attribution rules, one test each, on handcrafted relay records: the
//! judging is a pure function of the record (`pens_runner::judge_publish`), so every
//! rule is shown without sockets or clocks.

use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{
    CollectExchange, CredentialsPresented, Delivery, DeliveryMethod, Endpoint, HttpAnswer, NotificationEvent,
    StagingEvent, TargetEvent, TargetEventKind,
};
use pens_proto::{CollectCommand, ErrorCode, Notification, NotificationKind, PensResponse};
use pens_relay::{FetchEnd, PublishRecord, RelayedCollect, RelayedFetch, Rewrite};
use pens_report::{Party, Verdict};
use pens_runner::{ObserveOptions, judge_publish};

const STAGING: &str = "http://127.0.0.1:7001/s/k1/course.zip";
const RECEIPT: &str = "http://127.0.0.1:7002/r/k1/receipt";
const ALERTS: &str = "http://127.0.0.1:7002/r/k1/alerts";

/// The collect as the tool sent it (`tool`) and as the relay forwarded it.
fn collects(command: &CollectCommand) -> (RelayedCollect, RelayedCollect) {
    let mut forwarded = command.clone();
    forwarded.package_url = command.package_url.as_ref().map(|_| STAGING.to_owned());
    forwarded.receipt = command.receipt.as_ref().map(|_| RECEIPT.to_owned());
    forwarded.alerts = command.alerts.as_ref().map(|_| ALERTS.to_owned());
    let relayed = |command: &CollectCommand, url: &str| RelayedCollect {
        method: "POST".into(),
        url: url.into(),
        content_type: Some("application/x-www-form-urlencoded".into()),
        raw: Bytes::from(command.to_form()),
    };
    (relayed(command, "/pens"), relayed(&forwarded, "http://lms.test/pens"))
}

/// A valid collect: the example, staged by the tool, with receipt and alerts.
fn valid() -> CollectCommand {
    CollectCommand {
        package_url: Some("http://tool.test/staging/course.zip".into()),
        alerts: Some("http://tool.test/pens/alerts".into()),
        ..CollectCommand::example()
    }
}

/// Builds a record a step at a time, each step at `ms` after the collect arrived.
struct Record {
    record: PublishRecord,
    command: CollectCommand,
}

impl Record {
    fn of(command: CollectCommand) -> Self {
        let (received, forwarded) = collects(&command);
        let mut record = PublishRecord::new("k1".into(), 1, received);
        record.package_id = command.package_id.clone();
        record.forwarded = Some(forwarded.clone());
        for (element, original, rewritten) in [
            ("package-url", &command.package_url, STAGING),
            ("receipt", &command.receipt, RECEIPT),
            ("alerts", &command.alerts, ALERTS),
        ] {
            if let Some(original) = original {
                record.rewrites.push(Rewrite {
                    element,
                    original: original.clone(),
                    rewritten: Some(rewritten.into()),
                    note: None,
                });
            }
        }
        Record { record, command }
    }

    fn at(&self, ms: u64) -> Instant {
        self.record.started + Duration::from_millis(ms)
    }

    fn client_event(&mut self, ms: u64, kind: TargetEventKind) {
        let event = TargetEvent {
            at: self.at(ms),
            elapsed_ms: ms,
            exchange: 1,
            key: Some("k1".into()),
            package_id: self.command.package_id.clone(),
            kind,
        };
        self.record.client_side.push(event);
    }

    /// The target answered `code` at once, and the tool got it.
    fn answered(mut self, code: u16) -> Self {
        let form = self.record.received.raw.clone();
        let answer = PensResponse::error(ErrorCode(code), "answered").encode();
        self.client_event(
            0,
            TargetEventKind::CollectReceived {
                method: "POST".into(),
                content_type: Some("application/x-www-form-urlencoded".into()),
                raw: form,
                pairs: Vec::new(),
                scripted: false,
                answer: ErrorCode(code),
                expected: ErrorCode(code),
            },
        );
        let forwarded = self.record.forwarded.clone().expect("forwarded");
        self.record.collect = Some(CollectExchange {
            request_line: "POST http://lms.test/pens".into(),
            request_body: String::from_utf8_lossy(&forwarded.raw).into_owned(),
            started: self.at(1),
            latency_ms: Some(5),
            answer_started: Some(self.at(5)),
            answer_ended: Some(self.at(6)),
            outcome: Ok(HttpAnswer {
                status: 200,
                headers: vec![("content-type".into(), "text/plain".into())],
                body: Bytes::from(answer),
            }),
            timed_out: false,
            refused: false,
            breach: None,
        });
        self
    }

    /// The target's answer began `ms` after the collect went out (the relay waited, and
    /// the tool got it).
    fn answer_took(mut self, ms: u64) -> Self {
        let at = self.at(1 + ms);
        let exchange = self.record.collect.as_mut().expect("answered first");
        exchange.answer_started = Some(at);
        exchange.answer_ended = Some(at + Duration::from_millis(1));
        exchange.latency_ms = Some(ms + 1);
        self
    }

    /// The target fetched from the relay (presenting `credentials`), and the relay
    /// from the tool's staging, which answered `status` with `end`.
    fn fetched(mut self, status: u16, end: FetchEnd, credentials: CredentialsPresented) -> Self {
        let ok = (200..300).contains(&status) && end == FetchEnd::Complete;
        let bytes = if ok { 1234 } else { 0 };
        self.client_event(
            10,
            TargetEventKind::FetchStarted { url: "http://tool.test/staging/course.zip".into(), credentials: false },
        );
        let result = match status {
            404 => ErrorCode(1310),
            401 | 403 => ErrorCode(1312),
            _ if ok => ErrorCode::SUCCESS,
            _ => ErrorCode(1310),
        };
        self.client_event(
            20,
            TargetEventKind::FetchFinished { http_status: Some(status), bytes, result, detail: "relayed".into() },
        );
        self.record.staging.push(StagingEvent {
            key: "k1".into(),
            at: self.at(10),
            elapsed_ms: 10,
            finished_at: self.at(20),
            duration_ms: 10,
            protocol: "http".into(),
            method: "GET".into(),
            path: "/s/k1/course.zip".into(),
            query: None,
            credentials,
            status,
            bytes_sent: bytes,
            body_bytes: bytes,
            completed: end == FetchEnd::Complete,
            ftps_mode: None,
        });
        self.record.fetches.push(RelayedFetch {
            at: self.at(10),
            method: "GET".into(),
            url: "http://tool.test/staging/course.zip".into(),
            credentials: false,
            upstream_status: Some(status),
            bytes_received: bytes,
            bytes_to_target: bytes,
            end,
        });
        self
    }

    /// The target sent a receipt of `code`, relayed to the tool, which answered 0.
    fn receipted(self, code: u16) -> Self {
        self.receipted_saying(code, "done")
    }

    /// The same, with `error_text`.
    fn receipted_saying(mut self, code: u16, error_text: &str) -> Self {
        let package_id = self.command.package_id.clone().unwrap_or_default();
        let notification = Notification::receipt(&package_id, "pens-conform", ErrorCode(code), error_text);
        let body = notification.to_form();
        self.record.notifications.push(NotificationEvent {
            key: "k1".into(),
            at: self.at(30),
            elapsed_ms: 30,
            endpoint: Endpoint::Receipt,
            path: "/r/k1/receipt".into(),
            method: "POST".into(),
            content_type: Some("application/x-www-form-urlencoded".into()),
            raw: Bytes::from(body),
            notification,
            findings: Vec::new(),
            status: 200,
            mail: None,
            basic_auth: None,
        });
        let answer = PensResponse::error(ErrorCode::SUCCESS, "thanks").encode();
        self.client_event(
            31,
            TargetEventKind::NotificationSent {
                kind: NotificationKind::Receipt,
                method: DeliveryMethod::Post,
                url: "http://tool.test/pens/receipt".into(),
                error: ErrorCode(code),
                package_id: Some(package_id),
                fields: pens_proto::NOTIFICATION_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
                delivery: Delivery {
                    http_status: Some(200),
                    content_type: Some("text/plain".into()),
                    answer_raw: Some(answer.into_bytes()),
                    pens_error: Some(ErrorCode::SUCCESS),
                    latency_ms: Some(3),
                    failure: None,
                    breach: None,
                },
            },
        );
        self
    }

    /// The checks of `party` with `verdict`, as `requirement: message` lines.
    fn judged(&self) -> pens_runner::JudgedPublish {
        let started_utc = time::OffsetDateTime::now_utc();
        judge_publish(&self.record, &ObserveOptions::new("http://lms.test/pens"), started_utc)
    }
}

fn with(judged: &pens_runner::JudgedPublish, party: Party, verdict: Verdict) -> Vec<String> {
    judged
        .checks
        .iter()
        .filter(|c| c.party == Some(party) && c.verdict == verdict)
        .map(|c| format!("{}: {}", c.requirement, c.message))
        .collect()
}

fn shown(judged: &pens_runner::JudgedPublish) -> String {
    let lines: Vec<String> = judged
        .checks
        .iter()
        .map(|c| format!("{}{} [{}] {}", c.party_label(), c.verdict, c.requirement, c.message))
        .collect();
    format!("{}\nnotes: {:?}", lines.join("\n"), judged.notes)
}

#[test]
fn a_clean_publish_fails_neither_party_and_every_check_names_its_party() {
    let judged = Record::of(valid())
        .answered(0)
        .fetched(200, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(0)
        .judged();
    assert!(judged.checks.iter().all(|c| c.party.is_some()), "{}", shown(&judged));
    assert!(judged.checks.iter().all(|c| c.verdict != Verdict::Fail), "{}", shown(&judged));
    for party in [Party::Client, Party::Target] {
        assert!(!with(&judged, party, Verdict::Pass).is_empty(), "{party} judged\n{}", shown(&judged));
    }
    assert!(judged.notes.iter().any(|n| n.contains("collect-post-valid")), "{:?}", judged.notes);
}

#[test]
fn staging_that_answers_404_fails_the_tool_and_the_target_passes_for_a_failure_receipt() {
    let judged = Record::of(valid())
        .answered(0)
        .fetched(404, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(1310)
        .judged();
    let client = with(&judged, Party::Client, Verdict::Fail);
    assert!(client.iter().any(|c| c.starts_with("client.staging.available")), "{}", shown(&judged));
    assert!(with(&judged, Party::Target, Verdict::Fail).is_empty(), "{}", shown(&judged));
    assert!(with(&judged, Party::Target, Verdict::Pass).iter().any(|c| c.contains("1310")), "{}", shown(&judged));
    assert!(judged.notes.iter().any(|n| n.contains("staging-not-found")), "{:?}", judged.notes);
}

#[test]
fn a_target_that_reports_success_after_the_tool_s_404_fails() {
    let judged = Record::of(valid())
        .answered(0)
        .fetched(404, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(0)
        .judged();
    let target = with(&judged, Party::Target, Verdict::Fail);
    assert!(target.iter().any(|c| c.starts_with("target.receipt.outcome")), "{}", shown(&judged));
}

#[test]
fn a_target_that_leaves_mid_download_blames_nobody_for_the_package() {
    let judged = Record::of(valid())
        .answered(0)
        .fetched(200, FetchEnd::TargetLeft, CredentialsPresented::None)
        .receipted(1310)
        .judged();
    assert!(with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
    assert!(
        with(&judged, Party::Target, Verdict::Inconclusive).iter().any(|c| c.starts_with("target.receipt.outcome")),
        "{}",
        shown(&judged)
    );
}

#[test]
fn a_refusal_after_the_target_withheld_the_advertised_credentials_is_the_target_s() {
    let command = CollectCommand {
        package_url_user_id: Some("author".into()),
        package_url_password: Some("s3cret-pass".into()),
        ..valid()
    };
    let judged = Record::of(command)
        .answered(0)
        .fetched(401, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(1312)
        .judged();
    assert!(with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
    let target = with(&judged, Party::Target, Verdict::Fail);
    assert!(target.iter().any(|c| c.starts_with("target.fetch.credentials")), "{}", shown(&judged));
}

#[test]
fn staging_that_refuses_the_credentials_the_target_presented_fails_the_tool() {
    let command = CollectCommand { package_url_user_id: Some("author".into()), ..valid() };
    let judged = Record::of(command)
        .answered(0)
        .fetched(401, FetchEnd::Complete, CredentialsPresented::Valid)
        .receipted(1312)
        .judged();
    assert!(!with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
    assert!(with(&judged, Party::Target, Verdict::Fail).is_empty(), "{}", shown(&judged));
}

#[test]
fn an_invalid_collect_fails_the_tool_and_the_target_is_held_to_the_code_cmi010_assigns() {
    let command = CollectCommand { package_id: None, ..valid() };
    let judged = Record::of(command).answered(2007).judged();
    assert!(!with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
    assert!(with(&judged, Party::Target, Verdict::Fail).is_empty(), "{}", shown(&judged));
    let wrongly_accepted = Record::of(CollectCommand { package_id: None, ..valid() }).answered(0).judged();
    assert!(!with(&wrongly_accepted, Party::Target, Verdict::Fail).is_empty(), "{}", shown(&wrongly_accepted));
}

#[test]
fn a_target_that_sends_no_receipt_fails_alone() {
    let judged = Record::of(valid()).answered(0).fetched(200, FetchEnd::Complete, CredentialsPresented::None).judged();
    let target = with(&judged, Party::Target, Verdict::Fail);
    assert!(target.iter().any(|c| c.starts_with("target.receipt.sent")), "{}", shown(&judged));
    assert!(with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
}

#[test]
fn a_target_the_relay_could_not_reach_is_not_judged() {
    let mut record = Record::of(valid()).answered(0);
    if let Some(exchange) = record.record.collect.as_mut() {
        exchange.outcome = Err("connection refused".into());
        exchange.refused = true;
    }
    let judged = record.judged();
    let target: Vec<_> = judged.checks.iter().filter(|c| c.party == Some(Party::Target)).collect();
    assert!(target.iter().all(|c| c.verdict == Verdict::Inconclusive) && !target.is_empty(), "{}", shown(&judged));
    assert!(with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
}

/// A publish whose `ftp:` package URL the relay left alone (it stages over http and https
/// only): the target fetched from the tool's server unobserved, so neither a success nor
/// a failure receipt can be held against it, and the tool is not failed for a fetch
/// nobody saw.
fn ftp_publish() -> Record {
    let command = CollectCommand { package_url: Some("ftp://tool.test/course.zip".into()), ..valid() };
    let mut record = Record::of(command.clone());
    let forwarded_command =
        CollectCommand { receipt: Some(RECEIPT.into()), alerts: Some(ALERTS.into()), ..command.clone() };
    let forwarded = record.record.forwarded.clone().expect("forwarded");
    record.record.forwarded = Some(RelayedCollect { raw: Bytes::from(forwarded_command.to_form()), ..forwarded });
    let rewrite = record.record.rewrites.iter_mut().find(|r| r.element == "package-url").expect("package-url");
    rewrite.rewritten = None;
    rewrite.note = Some("went on as it came: the fetch was not observed".into());
    record
}

#[test]
fn an_unobserved_ftp_fetch_holds_the_receipt_to_no_outcome_and_blames_nobody() {
    for code in [0, 1310] {
        let judged = ftp_publish().answered(0).receipted(code).judged();
        assert!(with(&judged, Party::Target, Verdict::Fail).is_empty(), "receipt {code}: {}", shown(&judged));
        assert!(with(&judged, Party::Client, Verdict::Fail).is_empty(), "receipt {code}: {}", shown(&judged));
    }
}

/// Target mode's client gives up at `ack`, so an answer later than that is judged as
/// none, the target's failure; the relay waited longer, so the tool is not the worse for
/// it and is not blamed.
#[test]
fn an_answer_later_than_ack_fails_the_target_as_in_target_mode_and_not_the_tool() {
    let ack = pens_runner::Deadlines::default().ack;
    let late = u64::try_from(ack.as_millis()).expect("ms") + 2_000;
    let judged = Record::of(valid())
        .answered(0)
        .answer_took(late)
        .fetched(200, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(0)
        .judged();
    let target = with(&judged, Party::Target, Verdict::Fail);
    assert!(target.iter().any(|c| c.contains("no answer within the ack deadline")), "{}", shown(&judged));
    assert!(with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
    let in_time = Record::of(valid())
        .answered(0)
        .answer_took(50)
        .fetched(200, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(0)
        .judged();
    assert!(with(&in_time, Party::Target, Verdict::Fail).is_empty(), "{}", shown(&in_time));
}

#[test]
fn a_ranged_download_after_the_whole_one_judges_as_a_clean_publish() {
    // The LMS fetched the package whole, then read its tail again by range (as one
    // reading the zip's central directory does) and left once it had what it wanted.
    for range_end in [FetchEnd::Complete, FetchEnd::TargetLeft] {
        let judged = Record::of(valid())
            .answered(0)
            .fetched(200, FetchEnd::Complete, CredentialsPresented::None)
            .fetched(206, range_end.clone(), CredentialsPresented::None)
            .receipted(0)
            .judged();
        assert!(judged.checks.iter().all(|c| c.verdict != Verdict::Fail), "{range_end:?}\n{}", shown(&judged));
        assert!(
            with(&judged, Party::Target, Verdict::Pass).iter().any(|c| c.starts_with("target.receipt.outcome")),
            "{range_end:?}\n{}",
            shown(&judged)
        );
        assert!(judged.notes.iter().any(|n| n.contains("collect-post-valid")), "{:?}", judged.notes);
    }
}

#[test]
fn ranged_downloads_alone_leave_what_needs_the_package_inconclusive() {
    let judged = Record::of(valid())
        .answered(0)
        .fetched(206, FetchEnd::Complete, CredentialsPresented::None)
        .receipted(0)
        .judged();
    assert!(judged.checks.iter().all(|c| c.verdict != Verdict::Fail), "{}", shown(&judged));
    let open = with(&judged, Party::Target, Verdict::Inconclusive);
    assert!(
        open.iter().any(|c| c.starts_with("target.receipt.outcome") && c.contains("only by ranges (HTTP 206)")),
        "{}",
        shown(&judged)
    );
}

#[test]
fn passwords_of_the_collect_that_the_target_echoes_appear_nowhere_in_the_judged_publish() {
    const SYSTEM_PASSWORD: &str = "sys-pw-9f3k";
    const PACKAGE_PASSWORD: &str = "pkg pw&7x";
    const RECEIPT_PASSWORD: &str = "rcpt-pw-42q";
    let command = CollectCommand {
        package_url_user_id: Some("author".into()),
        package_url_password: Some(PACKAGE_PASSWORD.into()),
        system_user_id: Some("lms-user".into()),
        system_password: Some(SYSTEM_PASSWORD.into()),
        receipt: Some(format!("http://tool:{RECEIPT_PASSWORD}@tool.test/pens/receipt")),
        ..valid()
    };
    let echo = format!(
        "could not log in as lms-user with {SYSTEM_PASSWORD}; package fetched with author/{PACKAGE_PASSWORD} \
         (form-encoded: pkg+pw%267x); receipt via {RECEIPT_PASSWORD}"
    );
    let judged = Record::of(command)
        .answered(0)
        .fetched(200, FetchEnd::Complete, CredentialsPresented::Valid)
        .receipted_saying(1312, &echo)
        .judged();
    // The echo is in the evidence the report shows: the receipt's exchange and the
    // outcome check quote it.
    assert!(
        judged.exchanges.iter().any(|e| e.summary.contains("receipt") || e.request.is_some()),
        "{:#?}",
        judged.exchanges
    );
    let json = serde_json::to_string(&(&judged.checks, &judged.notes, &judged.exchanges)).expect("json");
    assert!(json.contains("could not log in as lms-user with"), "the receipt's text is shown: {json}");
    for secret in [SYSTEM_PASSWORD, PACKAGE_PASSWORD, "pkg+pw%267x", RECEIPT_PASSWORD] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
}

/// The relay streams the tool's 401 body after its status line, and a target may close
/// on the status alone: the refusal was read, and the target is not failed for a
/// download it "broke off" (seen under load in the client-defect table's
/// `wrong-credentials` run).
#[test]
fn a_refusal_the_target_closed_on_after_its_status_is_read_not_broken_off() {
    let command = CollectCommand { package_url_user_id: Some("author".into()), ..valid() };
    let mut record = Record::of(command).answered(0).fetched(401, FetchEnd::Complete, CredentialsPresented::Valid);
    let refusal = record.record.staging.last_mut().expect("the staging event");
    refusal.body_bytes = 18;
    refusal.bytes_sent = 0;
    refusal.completed = false;
    let judged = record.receipted(1312).judged();
    assert!(with(&judged, Party::Target, Verdict::Fail).is_empty(), "{}", shown(&judged));
    assert!(!with(&judged, Party::Client, Verdict::Fail).is_empty(), "{}", shown(&judged));
}
