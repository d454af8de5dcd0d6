//! The reference target's scripts, as client mode uses them: the reference client
//! publishes to `url_for(key)` and the target acts the part the key's script gives it
//! (answer, answer delay, fetch, receipt error, alerts, delivery), records the collect
//! byte for byte and the client's answers as they came, keeps concurrent keys apart,
//! and still makes its defect. Waits end on recorded events, never on a sleep.

use crate::support::target_label;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pens_parties::{
    Delivery, DeliveryMethod, Endpoint, MockTargetOptions, MockTargetState, TargetEvent, TargetEventKind, TargetScript,
    app,
};

use pens_proto::{ErrorCode, FORM_CONTENT_TYPE, NotificationKind, REDACTED, parse_response, redact_form};
use pens_reference::{
    ClientDefect, ClientEvent, ClientEventKind, Defect, PackageRequest, Publication, PublishRequest,
    REFERENCE_CLIENT_NAME, ReceivedNotification, ReferenceClient, ReferenceClientOptions, ReferenceTarget,
    ReferenceTargetOptions,
};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The staging password: it must never show up in the target's activity.
const SECRET: &str = "s3cret-staging-password";

/// The target account password: it must never show up either.
const SYSTEM_SECRET: &str = "s3cret-system-token";

/// A generous deadline: waits end on the event, so this only bounds a broken test.
fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

fn scorm(course_id: &str) -> PublishRequest {
    let packages: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages");
    PublishRequest::from_fixture(&packages, "scorm12-minimal.zip", course_id).unwrap()
}

async fn client(options: ReferenceClientOptions) -> ReferenceClient {
    ReferenceClient::start(LOOPBACK, options).await.unwrap()
}

/// A reference target with `defect` that trusts the client's CA.
fn target_for(client: &ReferenceClient, defect: Option<Defect>) -> ReferenceTarget {
    let options = ReferenceTargetOptions::builder().extra_root_pem(client.ca_pem()).defect(defect).build();
    ReferenceTarget::start(SocketAddr::new(LOOPBACK, 0), options).unwrap()
}

/// One publication to one key, from both sides, once both are done with it.
#[derive(Debug)]
struct Seen {
    publication: Publication,
    /// The client's events of this publication.
    client: Vec<ClientEvent>,
    /// The target's events of this key.
    target: Vec<TargetEvent>,
}

/// Waits until the target has finished the exchange at `key` and the client has
/// recorded everything the target did to it: every fetch the staging server answered
/// and every notification the client answered.
async fn settle(target: &ReferenceTarget, key: &str, publication: Publication) -> Seen {
    let ours = |e: &TargetEvent| e.key.as_deref() == Some(key);
    let finished =
        |events: &[TargetEvent]| events.iter().any(|e| ours(e) && e.kind == TargetEventKind::ExchangeFinished);
    let target_events: Vec<TargetEvent> = target
        .wait_for(finished, deadline())
        .await
        .unwrap_or_else(|| panic!("the exchange at {key} never finished: {:#?}", target.activity()))
        .into_iter()
        .filter(ours)
        .collect();
    let answered_fetches = target_events
        .iter()
        .filter(|e| matches!(e.kind, TargetEventKind::FetchFinished { http_status: Some(_), .. }))
        .count();
    let delivered = deliveries(&target_events).iter().filter(|(_, _, d)| d.http_status.is_some()).count();
    let complete = |events: &[ClientEvent]| {
        fetches(events).len() >= answered_fetches && notifications(events, None).len() >= delivered
    };
    let client_events = publication
        .wait_for(complete, deadline())
        .await
        .unwrap_or_else(|| panic!("the client never saw what the target did: {:#?}", publication.activity()));
    Seen { publication, client: client_events, target: target_events }
}

/// Registers `script` for `key`, publishes to `url_for(key)` and settles.
async fn publish(client: &ReferenceClient, target: &ReferenceTarget, key: &str, script: TargetScript) -> Seen {
    target.script(key, script);
    let publication = client.publish(&target.url_for(key), scorm(key)).await;
    settle(target, key, publication).await
}

fn fetches(events: &[ClientEvent]) -> Vec<PackageRequest> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            ClientEventKind::PackageRequested(request) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

fn notifications(events: &[ClientEvent], endpoint: Option<Endpoint>) -> Vec<ReceivedNotification> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            ClientEventKind::NotificationReceived(received) if endpoint.is_none_or(|w| received.endpoint == w) => {
                Some((**received).clone())
            }
            _ => None,
        })
        .collect()
}

/// Every receipt and alert the target sent: kind, method, and how the client answered.
fn deliveries(events: &[TargetEvent]) -> Vec<(NotificationKind, DeliveryMethod, Delivery)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            TargetEventKind::NotificationSent { kind, method, delivery, .. } => {
                Some((*kind, *method, delivery.clone()))
            }
            _ => None,
        })
        .collect()
}

impl Seen {
    fn labels(&self) -> Vec<String> {
        self.target.iter().map(target_label).collect()
    }

    /// When the target recorded the first event labelled `wanted`.
    fn at(&self, wanted: &str) -> Instant {
        self.target
            .iter()
            .find(|e| target_label(e) == wanted)
            .map(|e| e.at)
            .unwrap_or_else(|| panic!("no {wanted}: {self:#?}"))
    }

    fn received(&self) -> &TargetEventKind {
        &self.target[0].kind
    }

    fn fetches(&self) -> Vec<PackageRequest> {
        fetches(&self.client)
    }

    fn receipts(&self) -> Vec<ReceivedNotification> {
        notifications(&self.client, Some(Endpoint::Receipt))
    }

    fn alerts(&self) -> Vec<ReceivedNotification> {
        notifications(&self.client, Some(Endpoint::Alerts))
    }

    fn receipt_codes(&self) -> Vec<Option<ErrorCode>> {
        self.receipts().iter().map(|r| r.notification.error_code()).collect()
    }

    fn deliveries(&self) -> Vec<(NotificationKind, DeliveryMethod, Delivery)> {
        deliveries(&self.target)
    }

    /// The exchange numbers among the target's events.
    fn exchanges(&self) -> Vec<u64> {
        let mut numbers: Vec<u64> = self.target.iter().map(|e| e.exchange).collect();
        numbers.dedup();
        numbers
    }
}

/// The receipt and alerts a conformant exchange sends, in order.
fn labels_with(fetch: bool, notifications: &[&str]) -> Vec<String> {
    let mut labels = vec!["received", "answered"];
    if fetch {
        labels.extend(["fetch-started", "fetch-finished"]);
    }
    labels.extend_from_slice(notifications);
    labels.push("finished");
    labels.into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn an_answer_of_1432_leaves_at_once_and_nothing_is_fetched_or_sent() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let script = TargetScript::builder().answer(ErrorCode::INTERNAL_PACKAGE_ERROR).build();
    let seen = publish(&client, &target, "refuse", script).await;

    assert_eq!(seen.publication.answer_code(), Some(ErrorCode(1432)));
    let answer = seen.publication.answer().unwrap();
    assert!(answer.findings.is_empty(), "{:?}", answer.findings);
    assert!(matches!(
        seen.received(),
        TargetEventKind::CollectReceived { answer: ErrorCode(1432), expected: ErrorCode(0), scripted: true, .. }
    ));
    assert_eq!(seen.labels(), labels_with(false, &[]));
    assert_eq!(seen.exchanges().len(), 1);
    assert!(seen.fetches().is_empty() && notifications(&seen.client, None).is_empty(), "{:#?}", seen.client);
}

#[tokio::test]
async fn an_answer_delay_holds_the_answer_and_the_fetch_back() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let delay = Duration::from_millis(400);
    let seen = publish(&client, &target, "late", TargetScript::builder().answer_delay(delay).build()).await;

    assert_eq!(seen.publication.answer_code(), Some(ErrorCode::SUCCESS));
    assert_eq!(seen.labels(), labels_with(true, &["receipt-sent", "alert-sent"]));
    let held = seen.at("answered") - seen.at("received");
    assert!(held >= delay, "answered {held:?} after the collect arrived");
    assert!(seen.at("answered") <= seen.at("fetch-started"), "fetched before answering");
    let latency = seen.publication.exchange().latency_ms.unwrap();
    assert!(latency >= 400, "the client waited {latency} ms");
}

#[tokio::test]
async fn without_a_fetch_the_receipt_reports_the_scripted_1310() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let script = TargetScript::builder().fetch(false).receipt_error(ErrorCode::INVALID_PACKAGE_URL).build();
    let seen = publish(&client, &target, "no-fetch", script).await;

    assert_eq!(seen.publication.answer_code(), Some(ErrorCode::SUCCESS));
    assert_eq!(seen.labels(), labels_with(false, &["receipt-sent"]));
    assert!(seen.fetches().is_empty(), "{:?}", seen.fetches());
    assert_eq!(seen.receipt_codes(), [Some(ErrorCode(1310))]);
    let receipt = &seen.receipts()[0].notification;
    assert!(receipt.error_text.as_deref().is_some_and(|t| !t.is_empty()), "{receipt:?}");
    assert_eq!(receipt.package_id.as_deref(), seen.publication.package_id());
    assert!(seen.alerts().is_empty(), "no alert follows a failed receipt");
}

#[tokio::test]
async fn a_good_fetch_can_still_be_receipted_1432() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let script = TargetScript::builder().receipt_error(ErrorCode::INTERNAL_PACKAGE_ERROR).build();
    let seen = publish(&client, &target, "bad-after-fetch", script).await;

    assert_eq!(seen.labels(), labels_with(true, &["receipt-sent"]));
    assert!(seen.target.iter().any(|e| matches!(
        e.kind,
        TargetEventKind::FetchFinished { http_status: Some(200), result: ErrorCode(0), .. }
    )));
    let fetched = seen.fetches();
    assert!(matches!(fetched.as_slice(), [f] if f.completed && f.status == 200), "{fetched:?}");
    assert_eq!(seen.receipt_codes(), [Some(ErrorCode(1432))]);
    assert!(seen.alerts().is_empty());
}

#[tokio::test]
async fn no_alert_or_three_alerts_follow_the_receipt() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);

    let none = publish(&client, &target, "alerts-0", TargetScript::builder().alerts(0).build()).await;
    assert_eq!(none.labels(), labels_with(true, &["receipt-sent"]));
    assert_eq!(none.receipt_codes(), [Some(ErrorCode(0))]);
    assert!(none.alerts().is_empty());

    let three = publish(&client, &target, "alerts-3", TargetScript::builder().alerts(3).build()).await;
    assert_eq!(three.labels(), labels_with(true, &["receipt-sent", "alert-sent", "alert-sent", "alert-sent"]));
    let alerts = three.alerts();
    assert_eq!(alerts.len(), 3, "{alerts:?}");
    let texts: Vec<Option<&str>> = alerts.iter().map(|a| a.notification.error_text.as_deref()).collect();
    assert_eq!(
        texts,
        [
            Some("package imported (alert 1 of 3)"),
            Some("package imported (alert 2 of 3)"),
            Some("package imported (alert 3 of 3)")
        ]
    );
    assert!(alerts.iter().all(|a| a.notification.error_code() == Some(ErrorCode(0))));
    let answered: Vec<Option<ErrorCode>> = three.deliveries().iter().map(|(_, _, d)| d.pens_error).collect();
    assert_eq!(answered, [Some(ErrorCode(0)); 4]);
    // Each key had an exchange of its own.
    assert_ne!(none.exchanges(), three.exchanges());
}

#[tokio::test]
async fn get_delivery_puts_receipt_and_alert_in_the_query() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let seen = publish(&client, &target, "get", TargetScript::builder().delivery(DeliveryMethod::Get).build()).await;

    assert_eq!(seen.labels(), labels_with(true, &["receipt-sent", "alert-sent"]));
    let received = notifications(&seen.client, None);
    assert_eq!(received.len(), 2, "{received:?}");
    for (message, kind) in received.iter().zip([NotificationKind::Receipt, NotificationKind::Alert]) {
        assert_eq!(message.method, "GET");
        assert_eq!(message.notification.kind(), Some(kind));
        assert_eq!(message.notification.error_code(), Some(ErrorCode(0)));
        assert_eq!(message.notification.package_id.as_deref(), seen.publication.package_id());
    }
    for (_, method, delivery) in seen.deliveries() {
        assert_eq!(method, DeliveryMethod::Get);
        assert_eq!(delivery.pens_error, Some(ErrorCode(0)), "{delivery:?}");
    }
}

#[tokio::test]
async fn two_keys_with_different_scripts_run_concurrently_and_stay_apart() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let slow = TargetScript::builder()
        .answer_delay(Duration::from_millis(300))
        .alerts(2)
        .delivery(DeliveryMethod::Get)
        .build();
    target.script("scenario-a", slow);
    target.script("scenario-b", TargetScript::builder().receipt_error(ErrorCode(1432)).build());
    let (url_a, url_b) = (target.url_for("scenario-a"), target.url_for("scenario-b"));
    let (a, b) = tokio::join!(client.publish(&url_a, scorm("a")), client.publish(&url_b, scorm("b")));
    let (a, b) = tokio::join!(settle(&target, "scenario-a", a), settle(&target, "scenario-b", b));

    assert_eq!(a.exchanges().len(), 1, "{:#?}", a.target);
    assert_eq!(b.exchanges().len(), 1, "{:#?}", b.target);
    assert_ne!(a.exchanges(), b.exchanges());
    let every_key: Vec<Option<String>> = target.activity().into_iter().map(|e| e.key).collect();
    assert!(every_key.iter().all(|k| matches!(k.as_deref(), Some("scenario-a" | "scenario-b"))), "{every_key:?}");

    assert_eq!(a.labels(), labels_with(true, &["receipt-sent", "alert-sent", "alert-sent"]));
    assert!(a.at("answered") - a.at("received") >= Duration::from_millis(300));
    assert_eq!(a.receipt_codes(), [Some(ErrorCode(0))]);
    assert_eq!(a.alerts().len(), 2);
    assert!(notifications(&a.client, None).iter().all(|n| n.method == "GET"));
    assert!(a.target.iter().all(|e| e.package_id.as_deref() == a.publication.package_id()));

    assert_eq!(b.labels(), labels_with(true, &["receipt-sent"]));
    assert_eq!(b.receipt_codes(), [Some(ErrorCode(1432))]);
    assert!(b.alerts().is_empty());
    assert!(notifications(&b.client, None).iter().all(|n| n.method == "POST"));
    assert!(b.target.iter().all(|e| e.package_id.as_deref() == b.publication.package_id()));
}

#[tokio::test]
async fn the_clients_answers_are_recorded_as_they_came() {
    let options = ReferenceClientOptions::builder().defect(ClientDefect::BadReceiptAnswer).build();
    let client = client(options).await;
    let target = target_for(&client, None);
    let seen = publish(&client, &target, "bad-answers", TargetScript::default()).await;

    let received = notifications(&seen.client, None);
    let deliveries = seen.deliveries();
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    for ((_, _, delivery), message) in deliveries.iter().zip(&received) {
        let raw = delivery.answer_raw.as_deref().unwrap();
        assert!(raw.starts_with(b"error=OK\n") && !raw.contains(&b'\r'), "{raw:?}");
        assert_eq!(raw, &message.answer[..], "not the client's answer byte for byte");
        assert_eq!(delivery.pens_error, None, "{delivery:?}");
        assert_eq!((delivery.http_status, delivery.content_type.as_deref()), (Some(200), Some("text/plain")));
        assert!(delivery.latency_ms.is_some() && delivery.failure.is_none(), "{delivery:?}");
    }
}

#[tokio::test]
async fn collects_are_recorded_byte_for_byte_without_passwords() {
    let options = ReferenceClientOptions::builder()
        .credentials("pens", SECRET)
        .system_credentials("author", SYSTEM_SECRET)
        .build();
    let client = client(options).await;
    let target = target_for(&client, None);
    let seen =
        publish(&client, &target, "recorded", TargetScript::builder().delivery(DeliveryMethod::Get).build()).await;
    assert_eq!(seen.receipt_codes(), [Some(ErrorCode(0))], "{:#?}", seen.target);

    let TargetEventKind::CollectReceived { method, content_type, raw, pairs, .. } = seen.received() else {
        panic!("{:?}", seen.received());
    };
    let sent = &seen.publication.exchange().request_body;
    assert!(sent.contains(SECRET), "the client sent its password");
    assert_eq!((method.as_str(), content_type.as_deref()), ("POST", Some(FORM_CONTENT_TYPE)));
    assert_eq!(&raw[..], redact_form(sent).as_bytes());
    let raw = String::from_utf8_lossy(raw);
    for element in ["package-url-password", "system-password"] {
        assert!(raw.contains(&format!("{element}={REDACTED}")), "{raw}");
        assert!(pairs.contains(&(element.to_owned(), REDACTED.to_owned())), "{pairs:?}");
    }
    assert!(pairs.contains(&("client".to_owned(), REFERENCE_CLIENT_NAME.to_owned())), "{pairs:?}");

    let shown = [
        format!("{:?}", target.activity()),
        target.activity().iter().map(ToString::to_string).collect::<Vec<_>>().concat(),
    ];
    for text in shown {
        assert!(!text.contains(SECRET) && !text.contains(SYSTEM_SECRET), "a password leaked: {text}");
    }
}

#[tokio::test]
async fn a_get_collect_is_recorded_as_its_query() {
    let options =
        ReferenceClientOptions::builder().defect(ClientDefect::GetInsteadOfPost).credentials("pens", SECRET).build();
    let client = client(options).await;
    let target = target_for(&client, None);
    let seen = publish(&client, &target, "get-collect", TargetScript::default()).await;

    let TargetEventKind::CollectReceived { method, content_type, raw, .. } = seen.received() else {
        panic!("{:?}", seen.received());
    };
    let request_line = &seen.publication.exchange().request_line;
    let (_, query) = request_line.split_once('?').unwrap();
    assert_eq!((method.as_str(), content_type), ("GET", &None));
    assert_eq!(&raw[..], redact_form(query).as_bytes());
    assert!(!format!("{:?}", target.activity()).contains(SECRET));
}

#[tokio::test]
async fn unknown_keys_follow_the_default_script_and_keys_survive_encoding() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client, None);
    let publication = client.publish(&target.url_for("nobody-registered"), scorm("unknown")).await;
    let seen = settle(&target, "nobody-registered", publication).await;
    assert!(matches!(seen.received(), TargetEventKind::CollectReceived { scripted: false, .. }));
    assert_eq!(seen.labels(), labels_with(true, &["receipt-sent", "alert-sent"]));

    let odd = "scenario 7/ä?&x=1#";
    let url = target.url_for(odd);
    assert!(url.starts_with(&format!("{}/", target.url())) && !url.contains(' '), "{url}");
    let seen = publish(&client, &target, odd, TargetScript::builder().answer(ErrorCode(1101)).build()).await;
    assert_eq!(seen.publication.answer_code(), Some(ErrorCode(1101)));
    assert!(matches!(seen.received(), TargetEventKind::CollectReceived { scripted: true, .. }));
    assert!(seen.target.iter().all(|e| e.key.as_deref() == Some(odd)));
}

#[tokio::test]
async fn defects_still_apply_on_top_of_a_script() {
    let client = client(ReferenceClientOptions::default()).await;

    // The defect reorders, the script says how many alerts and how they travel.
    let target = target_for(&client, Some(Defect::AlertBeforeReceipt));
    let script = TargetScript::builder().alerts(2).delivery(DeliveryMethod::Get).build();
    let seen = publish(&client, &target, "reordered", script).await;
    assert_eq!(seen.labels(), labels_with(true, &["alert-sent", "alert-sent", "receipt-sent"]));
    assert!(notifications(&seen.client, None).iter().all(|n| n.method == "GET"));

    // The defect writes the answer, the script picks its code; the script's explicit
    // code wins over the defect's answer rule only where one is given.
    let target = target_for(&client, Some(Defect::LfLineEndings));
    let seen = publish(&client, &target, "lf", TargetScript::builder().answer(ErrorCode(1432)).build()).await;
    let body = &seen.publication.exchange().outcome.as_ref().unwrap().body;
    assert!(!body.contains(&b'\r') && body.starts_with(b"error=1432\n"), "{body:?}");
    let target = target_for(&client, Some(Defect::AlwaysSuccess));
    let seen = publish(&client, &target, "explicit", TargetScript::builder().answer(ErrorCode(1430)).build()).await;
    assert_eq!(seen.publication.answer_code(), Some(ErrorCode(1430)));
}

#[tokio::test]
async fn the_app_routes_keys_in_process() {
    use tower::ServiceExt;

    let state = MockTargetState::new(MockTargetOptions::default()).unwrap();
    state.script("k", TargetScript::builder().answer(ErrorCode(1101)).build());
    let request = axum::http::Request::get("/pens/k?command=collect&package-id=urn:x:1&system-password=t0psecret")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(parse_response(&body).error, Some(ErrorCode(1101)), "{body:?}");
    let finished = |events: &[TargetEvent]| events.iter().any(|e| e.kind == TargetEventKind::ExchangeFinished);
    let events = state.wait_for(finished, deadline()).await.expect("finished");
    assert!(events.iter().all(|e| e.key.as_deref() == Some("k")), "{events:?}");
    let TargetEventKind::CollectReceived { raw, scripted: true, answer: ErrorCode(1101), .. } = &events[0].kind else {
        panic!("{events:?}");
    };
    assert_eq!(&raw[..], format!("command=collect&package-id=urn:x:1&system-password={REDACTED}").as_bytes());
    assert!(!format!("{events:?}").contains("t0psecret"));

    for (method, path, status) in [("HEAD", "/pens/k", 405), ("GET", "/pens/k/deeper", 404), ("PUT", "/pens/k", 405)] {
        let request = axum::http::Request::builder().method(method).uri(path).body(axum::body::Body::empty());
        let response = app(state.clone()).oneshot(request.unwrap()).await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
    }
}

#[tokio::test]
async fn a_client_that_gives_up_on_a_late_answer_still_gets_its_receipt() {
    let options = ReferenceClientOptions::builder().collect_timeout(Duration::from_millis(200)).build();
    let client = client(options).await;
    let target = target_for(&client, None);
    let script = TargetScript::builder().answer_delay(Duration::from_secs(3)).build();
    let seen = publish(&client, &target, "gave-up", script).await;

    let exchange = seen.publication.exchange();
    assert!(exchange.timed_out && exchange.outcome.is_err(), "{exchange:?}");
    // The collect was read and judged: the target goes on as a real LMS would, whether
    // or not the server noticed the hang-up before the answer was due.
    assert!(matches!(seen.received(), TargetEventKind::CollectReceived { answer: ErrorCode(0), .. }));
    assert_eq!(seen.receipt_codes(), [Some(ErrorCode(0))]);
    assert_eq!(seen.alerts().len(), 1);
}
