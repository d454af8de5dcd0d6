//! Unit tests of client judging, over hand-built mock-target events.

use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{Delivery, Limit, LimitBreach, TargetEvent, TargetEventKind};
use pens_proto::{CollectCommand, ErrorCode, req};
use pens_report::Verdict;
use pens_scenario::{ClientExpectations, FindingsMode, Method, Span, Spanned, TargetScriptSpec};
use time::OffsetDateTime;

use super::{
    ClientSettings, judge_collects, judge_delivery, judge_delivery_carrying, judge_namespace, judge_package,
    namespace_of,
};
use crate::client::evidence::ClientEvidence;

fn event(exchange: u64, kind: TargetEventKind) -> TargetEvent {
    TargetEvent { at: Instant::now(), elapsed_ms: 0, exchange, key: Some("k".into()), package_id: None, kind }
}

fn collect(exchange: u64, method: &str, command: &CollectCommand, answer: u16) -> TargetEvent {
    event(
        exchange,
        TargetEventKind::CollectReceived {
            method: method.into(),
            content_type: (method == "POST").then(|| pens_proto::FORM_CONTENT_TYPE.to_owned()),
            raw: Bytes::from(command.to_form()),
            pairs: vec![],
            scripted: true,
            answer: ErrorCode(answer),
            expected: ErrorCode(answer),
        },
    )
}

fn evidence(events: Vec<TargetEvent>) -> ClientEvidence {
    ClientEvidence {
        started: Instant::now(),
        started_utc: OffsetDateTime::now_utc(),
        events,
        package: None,
        script_fetches: true,
        collect_deadline: Duration::from_millis(700),
        collect_watched: Duration::from_millis(700),
        unowned_refusals: 0,
        background_timed_out: false,
        collect_overflow: None,
        saturated: None,
    }
}

fn judged(evidence: &ClientEvidence, expect: &ClientExpectations) -> Vec<(Verdict, String)> {
    let script = TargetScriptSpec::default();
    let settings = ClientSettings {
        source: std::path::Path::new("scenarios/client/t.toml"),
        main_requirement: &req::COLLECT_RECEIPT_PRESENT,
        expect,
        script: &script,
        answers_deadline: Duration::from_secs(1),
        package_limits: pens_package::Limits::default(),
    };
    judge_collects(evidence, &settings).into_iter().map(|c| (c.verdict, c.requirement)).collect()
}

fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Span::default())
}

#[test]
fn namespaces_are_cut_at_the_last_slash_or_the_last_colon_of_a_urn() {
    assert_eq!(namespace_of("https://a.example/courses/intro"), Some("https://a.example/courses"));
    assert_eq!(namespace_of("urn:vendor:courses:42"), Some("urn:vendor:courses"));
    assert_eq!(namespace_of("course 42"), None);
    // CMI010 App. A's own form: the id after the authority's `:`.
    assert_eq!(namespace_of("http://myurl.com:2631e419-1573-4720"), Some("http://myurl.com"));
    assert_eq!(namespace_of("http://vendor.example:1796576179010"), Some("http://vendor.example"));
    assert_eq!(namespace_of("http://vendor.example/"), Some("http://vendor.example"));
}

/// A tool whose package-id is a URI by RFC 2396 that a browser parser refuses (App. A's
/// registry-based authority, digits after the host beyond 65535) sends a valid collect:
/// the client checks pass, and the answer the mock target owes it is 0 (it once was
/// 2007, and six client scenarios failed).
#[test]
fn a_package_id_valid_by_rfc_2396_but_not_by_a_browser_passes() {
    for package_id in ["http://vendor.example:1796576179010", "http://myurl.com:2631e419-1573-4720-b4c6-8701f960dccc"] {
        let mut command = CollectCommand::example();
        command.package_id = Some(package_id.into());
        let checks = judged(&evidence(vec![collect(1, "POST", &command, 0)]), &ClientExpectations::default());
        assert_eq!(checks, [(Verdict::Pass, "collect.receipt.present".into())], "{package_id}");
        let context = pens_proto::CheckContext::at(OffsetDateTime::now_utc());
        let expected = pens_proto::assess_collect(&command, &context).expected;
        assert!(expected.accepts(ErrorCode(0)), "{package_id}: {expected:?}");
    }
    let mut ids = CollectCommand::example();
    ids.package_id = Some("http://vendor.example:1796576179010".into());
    let mut next = ids.clone();
    next.package_id = Some("http://vendor.example:1796576179011".into());
    let same = evidence(vec![collect(1, "POST", &ids, 0), collect(2, "POST", &next, 0)]);
    assert_eq!(judge_namespace(&same).verdict, Verdict::Pass);
}

#[test]
fn no_collect_is_a_failure_naming_the_deadline() {
    let checks =
        judge_collects(&evidence(vec![]), &settings(&ClientExpectations::default(), &TargetScriptSpec::default()));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].verdict, Verdict::Fail);
    assert_eq!(
        checks[0].message,
        "no collect arrived within 700 ms of triggering the publish (the collect deadline is 700 ms)"
    );
}

fn refused(exchange: u64, part: pens_parties::RefusedPart, declared: Option<u64>, status: u16) -> TargetEvent {
    event(
        exchange,
        TargetEventKind::CollectRefused {
            refusal: pens_parties::CollectRefusal {
                method: if status == 413 { "POST" } else { "GET" }.into(),
                path: "/pens/k".into(),
                part,
                seen: if declared.is_some() { 0 } else { 417_792 },
                declared,
                limit: if status == 413 { pens_parties::MAX_COLLECT_BYTES } else { 417_792 },
                status,
            },
        },
    )
}

fn settings<'a>(expect: &'a ClientExpectations, script: &'a TargetScriptSpec) -> ClientSettings<'a> {
    ClientSettings {
        source: std::path::Path::new("scenarios/client/t.toml"),
        main_requirement: &req::COLLECT_RECEIPT_PRESENT,
        expect,
        script,
        answers_deadline: Duration::from_secs(1),
        package_limits: pens_package::Limits::default(),
    }
}

/// Issue 16, point 5: a collect refused as too large arrived. It is reported as what
/// it was (a warning: CMI010 sets no size a collect must stay within) and the scenario
/// is inconclusive, never "no collect arrived"; the package and answers say why they
/// could not be judged.
#[test]
fn a_refused_collect_is_reported_as_arrived_and_refused_never_as_missing() {
    let script = TargetScriptSpec::default();
    let expect = ClientExpectations::default();
    for (event, said) in [
        (
            refused(1, pens_parties::RefusedPart::Body, Some(1 << 30), 413),
            "its body was over the 1 MiB the mock target reads of a collect (Content-Length declared 1 GiB",
        ),
        (refused(1, pens_parties::RefusedPart::Head, None, 431), "its request head (the URL with its query"),
    ] {
        let evidence = evidence(vec![event]);
        let checks = judge_collects(&evidence, &settings(&expect, &script));
        let outline: Vec<(Verdict, &str)> = checks.iter().map(|c| (c.verdict, c.requirement.as_str())).collect();
        assert_eq!(
            outline,
            [(Verdict::Warn, "collect.vendor-data.length"), (Verdict::Inconclusive, "collect.receipt.present")]
        );
        assert!(checks[0].message.contains(said), "{}", checks[0].message);
        assert!(checks[0].message.contains("a collect arrived") && checks[0].message.contains("(§6.2)"));
        assert!(checks.iter().all(|c| !c.message.contains("no collect arrived")), "{checks:#?}");
        let package = judge_package(&evidence, &default_package(), &pens_package::Limits::default());
        assert_eq!(package[0].verdict, Verdict::Inconclusive);
        assert!(
            package[0].message.starts_with("a collect arrived but our target refused it"),
            "{}",
            package[0].message
        );
    }
}

/// No collect under the scenario's key, but one refused whose path named no scenario
/// arrived meanwhile: it may have been this one's, so inconclusive, not a failure.
#[test]
fn a_missing_collect_is_inconclusive_when_an_unowned_one_was_refused_meanwhile() {
    let script = TargetScriptSpec::default();
    let expect = ClientExpectations::default();
    let mut evidence = evidence(vec![]);
    evidence.unowned_refusals = 1;
    let checks = judge_collects(&evidence, &settings(&expect, &script));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].verdict, Verdict::Inconclusive);
    assert!(checks[0].message.contains("cannot tell whether the tool published"), "{}", checks[0].message);
}

/// One publish read, the next refused: the count is inconclusive, not a failure.
#[test]
fn a_refused_second_collect_makes_the_count_inconclusive() {
    let script = TargetScriptSpec::default();
    let mut expect = ClientExpectations::default();
    expect.collects = spanned(2);
    let evidence = evidence(vec![
        collect(1, "POST", &CollectCommand::example(), 0),
        refused(2, pens_parties::RefusedPart::Body, Some(1 << 30), 413),
    ]);
    let checks = judge_collects(&evidence, &settings(&expect, &script));
    assert!(checks.iter().any(|c| c.verdict == Verdict::Inconclusive), "{checks:#?}");
    assert!(checks.iter().all(|c| c.verdict != Verdict::Fail), "{checks:#?}");
}

/// A refused collect whose path named no scenario is the run's: one counted note.
#[test]
fn a_refused_collect_of_no_scenario_is_a_harness_note() {
    let mut unowned = refused(1, pens_parties::RefusedPart::Head, None, 431);
    unowned.key = None;
    let notes = crate::client::refused::harness_notes(&[
        unowned.clone(),
        unowned,
        refused(3, pens_parties::RefusedPart::Body, Some(1), 413),
    ]);
    assert_eq!(notes.len(), 1);
    assert_eq!((notes[0].kind.as_str(), notes[0].count, notes[0].bytes), ("collect-refused", 2, Some(2 * 417_792)));
    assert!(notes[0].message.contains("GET /pens/k"), "{}", notes[0].message);
}

/// No collect while the mock target had every slot taken: it may have been among the
/// connections that waited or were closed to make room, so inconclusive, saying so.
#[test]
fn no_collect_while_the_mock_target_was_full_is_inconclusive() {
    let mut evidence = evidence(vec![]);
    evidence.saturated = Some(crate::evidence::Saturated {
        listener: crate::evidence::Listener::MockTarget,
        name: "the mock target",
        connections: 256,
        during: pens_parties::SaturationWindow {
            start: evidence.started,
            end: None,
            queued: 12,
            evicted: 0,
            refused: 0,
        },
    });
    let checks = judge_collects(&evidence, &settings(&ClientExpectations::default(), &TargetScriptSpec::default()));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].verdict, Verdict::Inconclusive);
    assert!(
        checks[0].message.starts_with(
            "no collect arrived within 700 ms of triggering the publish (the collect deadline is 700 ms); but the \
             mock target had all its 256 connection slots taken"
        ) && checks[0].message.contains("12 waited for a free slot, one still waiting"),
        "{}",
        checks[0].message
    );
}

#[test]
fn a_valid_post_passes_and_a_get_warns_or_fails_by_the_method_expected() {
    let valid = CollectCommand::example();
    let post = evidence(vec![collect(1, "POST", &valid, 0)]);
    assert_eq!(judged(&post, &ClientExpectations::default()), [(Verdict::Pass, "collect.receipt.present".into())]);

    let get = evidence(vec![collect(1, "GET", &valid, 0)]);
    let warned = judged(&get, &ClientExpectations::default());
    assert!(warned.contains(&(Verdict::Warn, "binding.method.post-preferred".into())), "{warned:?}");
    let mut post_only = ClientExpectations::default();
    post_only.collect.value.method = Some(spanned(Method::Post));
    let failed = judged(&get, &post_only);
    assert!(failed.contains(&(Verdict::Fail, "binding.method.post-preferred".into())), "{failed:?}");
}

#[test]
fn lenient_findings_count_only_must_level_ones() {
    let mut command = CollectCommand::example();
    command.receipt = None;
    command.pens_version = Some("1.0".into());
    let broken = evidence(vec![collect(1, "POST", &command, 0)]);
    let strict = judged(&broken, &ClientExpectations::default());
    assert!(strict.iter().any(|(v, r)| *v == Verdict::Fail && r == "collect.receipt.present"), "{strict:?}");
    let mut lenient = ClientExpectations::default();
    lenient.collect.value.findings = spanned(FindingsMode::Lenient);
    let lenient = judged(&broken, &lenient);
    assert!(lenient.iter().all(|(v, _)| *v != Verdict::Warn && *v != Verdict::Info), "{lenient:?}");
    assert!(lenient.iter().any(|(v, _)| *v == Verdict::Fail));
}

/// CMI010 §5.1 leaves a receipt's contents "not fully defined": refusing one that
/// carries only command, package-id and error warns; refusing a full one fails.
#[test]
fn a_refused_minimal_receipt_warns_and_a_refused_full_one_fails() {
    let refused = Delivery {
        http_status: Some(200),
        content_type: Some("text/plain".into()),
        answer_raw: Some("error=2001\r\nerror-text=pens-version missing\r\nversion=1.0.0\r\npens-data=\r\n".into()),
        pens_error: Some(ErrorCode(2001)),
        latency_ms: Some(3),
        failure: None,
        breach: None,
    };
    let minimal: Vec<String> = pens_parties::MINIMAL_NOTIFICATION_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let checks = judge_delivery_carrying("receipt (error=0)", &refused, &minimal, Duration::from_secs(1));
    assert!(checks.iter().all(|c| c.verdict <= Verdict::Warn), "{checks:#?}");
    let warned: Vec<_> = checks.iter().filter(|c| c.verdict == Verdict::Warn).collect();
    assert_eq!(warned.len(), 1, "{checks:#?}");
    assert_eq!(warned[0].requirement, "client.notification.response");
    for words in ["error=2001", "only command, package-id, error", "without pens-version", "not fully defined"] {
        assert!(warned[0].message.contains(words), "{words}: {}", warned[0].message);
    }
    let checks = judge_delivery("receipt (error=0)", &refused, Duration::from_secs(1));
    assert!(checks.iter().any(|c| c.verdict == Verdict::Fail && c.message.contains("error=2001")), "{checks:#?}");
    // Refused another way (no PENS response, a closed connection): still only a
    // warning, saying why; the same answer to a full receipt fails.
    let garbage = Delivery { answer_raw: Some("oops".into()), pens_error: None, ..refused.clone() };
    let closed = Delivery { failure: Some("connection closed".into()), ..Delivery::default() };
    for answer in [&garbage, &closed] {
        let checks = judge_delivery_carrying("receipt (error=0)", answer, &minimal, Duration::from_secs(1));
        assert!(checks.iter().all(|c| c.verdict <= Verdict::Warn), "{checks:#?}");
        assert!(checks.iter().any(|c| c.verdict == Verdict::Warn && c.message.contains("not fully defined")));
        let checks = judge_delivery("receipt (error=0)", answer, Duration::from_secs(1));
        assert!(checks.iter().any(|c| c.verdict == Verdict::Fail), "{checks:#?}");
    }
}

#[test]
fn answers_need_crlf_error_zero_and_promptness() {
    let good = Delivery {
        http_status: Some(200),
        content_type: Some("text/plain".into()),
        answer_raw: Some("error=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n".into()),
        pens_error: Some(ErrorCode(0)),
        latency_ms: Some(3),
        failure: None,
        breach: None,
    };
    let checks = judge_delivery("receipt", &good, Duration::from_secs(1));
    assert!(checks.iter().all(|c| c.verdict == Verdict::Pass), "{checks:#?}");

    let slow = Delivery { latency_ms: Some(5000), ..good.clone() };
    let checks = judge_delivery("receipt", &slow, Duration::from_secs(1));
    assert!(checks.iter().any(|c| c.verdict == Verdict::Fail && c.message.contains("took 5000 ms")), "{checks:#?}");

    let lf = Delivery {
        answer_raw: Some("error=OK\nerror-text=ok\nversion=1.0.0\npens-data=\n".into()),
        pens_error: None,
        ..good.clone()
    };
    let checks = judge_delivery("alert 1 of 1", &lf, Duration::from_secs(1));
    let failed: Vec<&str> =
        checks.iter().filter(|c| c.verdict == Verdict::Fail).map(|c| c.requirement.as_str()).collect();
    assert!(failed.contains(&"response.line-ending.crlf"), "{failed:?}");
    assert!(failed.contains(&"client.notification.response"), "{failed:?}");

    let refused = Delivery { failure: Some("connection refused".into()), ..Delivery::default() };
    let checks = judge_delivery("receipt", &refused, Duration::from_secs(1));
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].verdict, Verdict::Fail);
    assert!(checks[0].message.contains("connection refused"));

    let message = "the answer was larger than the 1048576-byte limit ([limits] answer-bytes); reading stopped there";
    let flooded = Delivery {
        http_status: Some(200),
        breach: Some(LimitBreach::new(Limit::AnswerBytes, message)),
        ..Delivery::default()
    };
    let checks = judge_delivery("receipt", &flooded, Duration::from_secs(1));
    assert_eq!(checks.len(), 1);
    assert_eq!((checks[0].verdict, checks[0].requirement.as_str()), (Verdict::Fail, "client.notification.response"));
    assert_eq!(checks[0].message, format!("answer to receipt: {message}"));
}

fn fetched(status: u16, credentials: bool) -> ClientEvidence {
    let mut with_credentials = CollectCommand::example();
    with_credentials.package_url_user_id = Some("pens".into());
    evidence(vec![
        collect(1, "POST", &with_credentials, 0),
        event(1, TargetEventKind::FetchStarted { url: "http://s/p.zip".into(), credentials }),
        event(
            1,
            TargetEventKind::FetchFinished {
                http_status: Some(status),
                bytes: 0,
                result: ErrorCode(if status == 401 { 1312 } else { 1310 }),
                detail: format!("the staging server answered {status}"),
            },
        ),
    ])
}

#[test]
fn refused_credentials_and_missing_packages_fail_availability() {
    let expect = default_package();
    let limits = pens_package::Limits::default();
    let refused = judge_package(&fetched(401, true), &expect, &limits);
    assert_eq!(refused[0].verdict, Verdict::Fail);
    assert!(refused[0].message.contains("refused the credentials the collect advertised"), "{}", refused[0].message);
    let anonymous = judge_package(&fetched(403, false), &expect, &limits);
    assert!(anonymous[0].message.contains("advertised none"), "{}", anonymous[0].message);
    let missing = judge_package(&fetched(404, false), &expect, &limits);
    assert!(missing[0].message.contains("404"), "{}", missing[0].message);
    // The contents cannot be judged without the package.
    assert_eq!(missing.last().map(|c| c.verdict), Some(Verdict::Inconclusive));
}

/// A fetch our target completed (HTTP 200) with `result`, `package` kept for the key.
fn kept(package: Option<Bytes>, result: u16) -> ClientEvidence {
    let bytes = package.as_ref().map_or(0, |p| p.len() as u64);
    let mut evidence = evidence(vec![
        collect(1, "POST", &CollectCommand::example(), 0),
        event(1, TargetEventKind::FetchStarted { url: "http://s/p.zip".into(), credentials: false }),
        event(
            1,
            TargetEventKind::FetchFinished {
                http_status: Some(200),
                bytes,
                result: ErrorCode(result),
                detail: "fetched".into(),
            },
        ),
    ]);
    evidence.package = package.map(pens_parties::KeptPackage::from);
    evidence
}

/// The kept package is inspected against the collect's declaration: the fixture fits
/// it, bytes that are no zip get the finding that says so, and a package that was not
/// kept is not judged.
#[test]
fn the_kept_package_is_inspected_against_the_collect() {
    let packages = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages");
    let scorm = pens_parties::fixture_package(&packages, "scorm12-minimal.zip")
        .expect("the fixture")
        .to_bytes(u64::MAX)
        .expect("small");
    let expect = default_package();
    let limits = pens_package::Limits::default();
    let outline = |evidence: &ClientEvidence| -> Vec<(Verdict, String)> {
        judge_package(evidence, &expect, &limits).into_iter().map(|c| (c.verdict, c.message)).collect()
    };

    let good = outline(&kept(Some(scorm.clone()), 0));
    assert_eq!(good[0].0, Verdict::Pass, "{good:#?}");
    assert_eq!(
        good[1],
        (
            Verdict::Pass,
            format!(
                "{} bytes, a zip holding scorm-1.2 in 2 files: fits package-format zip and package-type scorm-pif",
                scorm.len()
            )
        ),
        "{good:#?}"
    );

    let corrupt = outline(&kept(Some(pens_parties::corrupt(&scorm)), 1432));
    assert_eq!(corrupt[0].0, Verdict::Pass, "fetched all the same: {corrupt:#?}");
    assert!(
        // A target can only answer 1432 to it: a failure (client.package.importable).
        corrupt[1..].iter().any(|(verdict, message)| *verdict == Verdict::Fail
            && message.contains("the zip archive cannot be opened")),
        "{corrupt:#?}"
    );

    let unkept = outline(&kept(None, 0));
    assert_eq!(
        unkept[1],
        (
            Verdict::Inconclusive,
            "the package was fetched but not kept for inspection: its contents are not judged".to_owned()
        )
    );
}

/// A fetch our target ended at a cap: `limit` reached, with `status` and `result`.
fn capped(limit: Limit, status: u16, result: u16) -> ClientEvidence {
    let breach = LimitBreach::new(limit, format!("{} reached", limit.key()));
    evidence(vec![
        collect(1, "POST", &CollectCommand::example(), 0),
        event(1, TargetEventKind::FetchStarted { url: "http://s/p.zip".into(), credentials: false }),
        event(1, TargetEventKind::LimitReached { breach }),
        event(
            1,
            TargetEventKind::FetchFinished {
                http_status: Some(status),
                bytes: 10,
                result: ErrorCode(result),
                detail: "capped".into(),
            },
        ),
    ])
}

#[test]
fn caps_reached_while_fetching_give_their_verdicts() {
    let expect = default_package();
    let limits = pens_package::Limits::default();
    let outline = |evidence: &ClientEvidence| -> Vec<(Verdict, String)> {
        judge_package(evidence, &expect, &limits).into_iter().map(|c| (c.verdict, c.message)).collect()
    };
    // A package too large, a redirect elsewhere, too many redirects: not judged.
    for (limit, status, result) in
        [(Limit::PackageBytes, 200, 1440), (Limit::RedirectHost, 302, 1310), (Limit::Redirects, 302, 1310)]
    {
        let checks = outline(&capped(limit, status, result));
        assert_eq!(checks[0], (Verdict::Inconclusive, format!("{} reached", limit.key())), "{limit:?}");
        assert_eq!(checks.last().map(|c| c.0), Some(Verdict::Inconclusive), "{limit:?}: {checks:?}");
    }
    // A redirect loop: the package can never be reached.
    assert_eq!(outline(&capped(Limit::RedirectLoop, 302, 1310))[0].0, Verdict::Fail);
    // A zip over the zip caps was fetched; its contents are not judged.
    for limit in [Limit::ZipEntries, Limit::UnpackedBytes] {
        let checks = outline(&capped(limit, 200, 1432));
        assert_eq!(checks[0].0, Verdict::Pass, "{limit:?}: {checks:?}");
        assert_eq!(checks[1].0, Verdict::Inconclusive, "{limit:?}: {checks:?}");
        assert!(checks[1].1.contains(limit.key()), "{checks:?}");
    }
}

/// `[expect.package]` with both checks, as a scenario file would load it.
fn default_package() -> pens_scenario::PackageExpectation {
    let text = "id = \"x\"\ntitle = \"t\"\nrequirements = [\"client.staging.available\"]\n[expect.package]\n";
    let scenario = pens_scenario::parse_client_scenario("scenarios/client/x.toml", text).expect("loads");
    scenario.expect.package.expect("a package section").value
}

#[test]
fn namespaces_must_agree_across_collects() {
    let mut first = CollectCommand::example();
    first.package_id = Some("https://a.example/courses/1".into());
    let mut second = first.clone();
    second.package_id = Some("https://a.example/courses/2".into());
    let same = evidence(vec![collect(1, "POST", &first, 0), collect(2, "POST", &second, 0)]);
    assert_eq!(judge_namespace(&same).verdict, Verdict::Pass);
    second.package_id = Some("https://b.example/other/2".into());
    let moved = evidence(vec![collect(1, "POST", &first, 0), collect(2, "POST", &second, 0)]);
    assert_eq!(judge_namespace(&moved).verdict, Verdict::Warn);
    let single = evidence(vec![collect(1, "POST", &first, 0)]);
    assert_eq!(judge_namespace(&single).verdict, Verdict::Inconclusive);
}
