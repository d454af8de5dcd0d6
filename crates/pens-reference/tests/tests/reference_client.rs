//! The reference client on real sockets, publishing to the reference target: the whole
//! loop of both built-ins (collect, fetch, receipt, alert) seen from both activity
//! logs, and every client defect showing exactly the deviation it names. Waits end on
//! recorded events, never on a sleep.

use crate::support::target_label;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pens_parties::{
    CredentialsPresented, DEFAULT_CLIENT_NAME, Delivery, Endpoint, NotificationContent, TargetEvent, TargetEventKind,
    TargetScript,
};

use pens_proto::{
    CheckContext, ErrorCode, NotificationKind, PackageType, PensResponse, ZoneForm, assess_collect, parse_expiry,
    parse_response,
};
use pens_reference::{
    ClientDefect, ClientEvent, ClientEventKind, PACKAGE_ID_NAMESPACE, PackageRequest, Publication, PublishRequest,
    REFERENCE_CLIENT_NAME, ReceivedNotification, ReferenceClient, ReferenceClientError, ReferenceClientOptions,
    ReferenceTarget, ReferenceTargetOptions,
};
use time::OffsetDateTime;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The staging password of the credential cases: it must never show up in any log.
const SECRET: &str = "s3cret-staging-password";

/// The target account password: it must never show up in any log either.
const SYSTEM_SECRET: &str = "s3cret-system-token";

/// A generous deadline: waits end on the event, so this only bounds a broken test.
fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(20)
}

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages")
}

fn scorm(course_id: &str) -> PublishRequest {
    PublishRequest::from_fixture(&packages(), "scorm12-minimal.zip", course_id).unwrap()
}

async fn client(options: ReferenceClientOptions) -> ReferenceClient {
    ReferenceClient::start(LOOPBACK, options).await.unwrap()
}

/// A conformant reference target that trusts the client's CA, so it can fetch over HTTPS.
fn target_for(client: &ReferenceClient) -> ReferenceTarget {
    let options = ReferenceTargetOptions::builder().extra_root_pem(client.ca_pem()).build();
    ReferenceTarget::start(SocketAddr::new(LOOPBACK, 0), options).unwrap()
}

/// One publication, from both sides, once both are done with it.
#[derive(Debug)]
struct Observation {
    publication: Publication,
    /// The client's events of this publication.
    client: Vec<ClientEvent>,
    /// The target's events of the exchange this collect started.
    target: Vec<TargetEvent>,
}

/// Publishes `request` to `target` and waits until the target has finished the
/// exchange and the client has recorded everything the target did to it: every fetch
/// the staging server answered and every notification the client answered.
async fn publish(client: &ReferenceClient, target: &ReferenceTarget, request: PublishRequest) -> Observation {
    publish_at(client, target, &target.url(), request).await
}

/// [`publish`] to `url`, one of `target`'s (a key with a script of its own).
async fn publish_at(
    client: &ReferenceClient,
    target: &ReferenceTarget,
    url: &str,
    request: PublishRequest,
) -> Observation {
    let publication = client.publish(url, request).await;
    // The client and the target are paired: the n-th publication is the n-th exchange.
    let exchange = publication.number();
    let ours = |e: &TargetEvent| e.exchange == exchange;
    let finished =
        |events: &[TargetEvent]| events.iter().any(|e| ours(e) && e.kind == TargetEventKind::ExchangeFinished);
    let target_events: Vec<TargetEvent> = target
        .wait_for(finished, deadline())
        .await
        .unwrap_or_else(|| panic!("the exchange never finished: {:#?}", target.activity()))
        .into_iter()
        .filter(ours)
        .collect();
    let answered_fetches = target_events
        .iter()
        .filter(|e| matches!(e.kind, TargetEventKind::FetchFinished { http_status: Some(_), .. }))
        .count();
    let delivered = target_events
        .iter()
        .filter(
            |e| matches!(&e.kind, TargetEventKind::NotificationSent { delivery, .. } if delivery.http_status.is_some()),
        )
        .count();
    let complete = |events: &[ClientEvent]| {
        fetches_in(events).len() >= answered_fetches && notifications_in(events, None).len() >= delivered
    };
    let client_events = publication
        .wait_for(complete, deadline())
        .await
        .unwrap_or_else(|| panic!("the client never saw what the target did: {:#?}", publication.activity()));
    Observation { publication, client: client_events, target: target_events }
}

fn fetches_in(events: &[ClientEvent]) -> Vec<PackageRequest> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            ClientEventKind::PackageRequested(request) => Some(request.clone()),
            _ => None,
        })
        .collect()
}

fn notifications_in(events: &[ClientEvent], endpoint: Option<Endpoint>) -> Vec<(Instant, ReceivedNotification)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            ClientEventKind::NotificationReceived(received) if endpoint.is_none_or(|w| received.endpoint == w) => {
                Some((e.at, (**received).clone()))
            }
            _ => None,
        })
        .collect()
}

fn client_label(event: &ClientEvent) -> String {
    match &event.kind {
        ClientEventKind::Staged { .. } => "staged".into(),
        ClientEventKind::CollectSent { .. } => "collect-sent".into(),
        ClientEventKind::PackageRequested(_) => "package-requested".into(),
        ClientEventKind::NotificationReceived(received) => match received.endpoint {
            Endpoint::Receipt => "receipt".into(),
            Endpoint::Alerts => "alert".into(),
            Endpoint::Other => "stray".into(),
        },
        other => format!("{other:?}"),
    }
}

impl Observation {
    fn code(&self) -> Option<ErrorCode> {
        self.publication.answer_code()
    }

    fn element(&self, name: &str) -> Option<&str> {
        self.publication.command().get(pens_proto::Element::from_name(name).expect("a spec element"))
    }

    fn expiry_zone(&self) -> Option<ZoneForm> {
        self.element("package-url-expiry").and_then(|v| parse_expiry(v).ok()).map(|e| e.zone)
    }

    fn fetches(&self) -> Vec<PackageRequest> {
        fetches_in(&self.client)
    }

    fn receipts(&self) -> Vec<ReceivedNotification> {
        notifications_in(&self.client, Some(Endpoint::Receipt)).into_iter().map(|(_, r)| r).collect()
    }

    fn alerts(&self) -> Vec<ReceivedNotification> {
        notifications_in(&self.client, Some(Endpoint::Alerts)).into_iter().map(|(_, r)| r).collect()
    }

    fn receipt_codes(&self) -> Vec<Option<ErrorCode>> {
        self.receipts().iter().map(|r| r.notification.error_code()).collect()
    }

    /// Every answer the client gave to a receipt or alert, byte for byte.
    fn answers(&self) -> Vec<bytes::Bytes> {
        notifications_in(&self.client, None).into_iter().map(|(_, r)| r.answer).collect()
    }

    /// The method of the collect and what the target answered, as the target recorded it.
    fn target_received(&self) -> Option<(String, ErrorCode, ErrorCode)> {
        self.target.iter().find_map(|e| match &e.kind {
            TargetEventKind::CollectReceived { method, answer, expected, .. } => {
                Some((method.clone(), *answer, *expected))
            }
            _ => None,
        })
    }

    /// How the client answered each receipt and alert, as the target read it.
    fn deliveries(&self) -> Vec<(NotificationKind, ErrorCode, Delivery)> {
        self.target
            .iter()
            .filter_map(|e| match &e.kind {
                TargetEventKind::NotificationSent { kind, error, delivery, .. } => {
                    Some((*kind, *error, delivery.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn client_labels(&self) -> Vec<String> {
        self.client.iter().map(client_label).collect()
    }

    fn target_labels(&self) -> Vec<String> {
        self.target.iter().map(target_label).collect()
    }
}

/// Nothing either party recorded shows a password, in `Debug` or in a log line.
fn assert_no_secrets(client: &ReferenceClient, target: &ReferenceTarget, seen: &Observation) {
    let shown = [
        format!("{:?}", client.activity()),
        client.activity().iter().map(ToString::to_string).collect::<Vec<_>>().concat(),
        format!("{:?}", target.activity()),
        target.activity().iter().map(ToString::to_string).collect::<Vec<_>>().concat(),
        format!("{:?}", seen.publication),
        format!("{client:?}"),
    ];
    for text in shown {
        assert!(!text.contains(SECRET) && !text.contains(SYSTEM_SECRET), "a password leaked: {text}");
    }
}

#[tokio::test]
async fn the_reference_client_publishes_to_the_reference_target_over_https_and_both_logs_agree() {
    let options = ReferenceClientOptions::builder()
        .https(true)
        .credentials("pens", SECRET)
        .system_credentials("author", SYSTEM_SECRET)
        .build();
    let client = client(options).await;
    let target = target_for(&client);
    let request = scorm("intro-101");
    let package_len = request.package.len();
    let sent_at = OffsetDateTime::now_utc();
    let seen = publish(&client, &target, request).await;

    // The collect: every element as CMI010 §6.2 asks, judged flawless by pens-proto.
    let command = seen.publication.command();
    let context = CheckContext { now: sent_at, target: pens_parties::reference_capabilities() };
    let assessment = assess_collect(command, &context);
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    let id = format!("{PACKAGE_ID_NAMESPACE}intro-101");
    let expected = [
        ("pens-version", "1.0.0"),
        ("command", "collect"),
        ("package-type", "scorm-pif"),
        ("package-type-version", "1.2"),
        ("package-format", "zip"),
        ("package-id", id.as_str()),
        ("package-url", seen.publication.package_url()),
        ("package-url-user-id", "pens"),
        ("package-url-password", SECRET),
        ("client", REFERENCE_CLIENT_NAME),
        ("system-user-id", "author"),
        ("system-password", SYSTEM_SECRET),
        ("receipt", seen.publication.receipt_url()),
        ("alerts", seen.publication.alerts_url()),
    ];
    for (name, value) in expected {
        assert_eq!(seen.element(name), Some(value), "{name}");
    }
    assert!(seen.publication.package_url().starts_with("https://127.0.0.1:"), "{}", seen.publication.package_url());
    let expiry = parse_expiry(seen.element("package-url-expiry").unwrap_or_default()).unwrap();
    assert_eq!(expiry.zone, ZoneForm::Z);
    let ahead = expiry.instant - sent_at;
    assert!(ahead > time::Duration::minutes(59) && ahead <= time::Duration::HOUR, "{ahead}");

    // Sent by form POST, exactly as built; answered 0 in the exact format.
    let exchange = seen.publication.exchange();
    assert_eq!(exchange.request_line, format!("POST {}", target.url()));
    assert_eq!(exchange.request_body, command.to_form());
    let answer = exchange.outcome.as_ref().unwrap();
    assert_eq!((answer.status, answer.header("content-type")), (200, Some("text/plain")));
    let parsed = parse_response(&answer.body);
    assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
    assert_eq!(parsed.error, Some(ErrorCode::SUCCESS));

    // The target's side: answered 0 at once, fetched over HTTPS with the credentials,
    // then one receipt and one alert, each answered error=0 by the client.
    assert_eq!(
        seen.target_labels(),
        ["received", "answered", "fetch-started", "fetch-finished", "receipt-sent", "alert-sent", "finished"]
    );
    assert_eq!(seen.target_received(), Some(("POST".into(), ErrorCode(0), ErrorCode(0))));
    assert!(seen.target.iter().any(|e| matches!(&e.kind,
        TargetEventKind::FetchStarted { url, credentials: true } if url.starts_with("https://"))));
    assert!(seen.target.iter().any(|e| matches!(&e.kind,
        TargetEventKind::FetchFinished { http_status: Some(200), result: ErrorCode(0), bytes, .. } if *bytes == package_len)));
    let deliveries = seen.deliveries();
    assert_eq!(deliveries.len(), 2, "{deliveries:?}");
    for ((kind, error, delivery), wanted) in deliveries.iter().zip([NotificationKind::Receipt, NotificationKind::Alert])
    {
        assert_eq!((*kind, *error), (wanted, ErrorCode(0)));
        let Delivery { http_status, content_type, answer_raw, pens_error, latency_ms, failure, breach } = delivery;
        assert_eq!((*http_status, content_type.as_deref()), (Some(200), Some("text/plain")));
        assert_eq!((*pens_error, failure, breach), (Some(ErrorCode(0)), &None, &None));
        assert!(answer_raw.as_deref().is_some_and(|a| a.starts_with(b"error=0\r\n")), "{answer_raw:?}");
        assert!(latency_ms.is_some());
    }

    // The client's side, in the order things happened.
    assert_eq!(seen.client_labels(), ["staged", "collect-sent", "package-requested", "receipt", "alert"]);
    let fetch = &seen.fetches()[0];
    assert_eq!(
        (fetch.protocol.as_str(), fetch.method.as_str(), &fetch.credentials, fetch.status),
        ("https", "GET", &CredentialsPresented::Valid, 200)
    );
    assert!(fetch.completed && fetch.bytes_sent == package_len, "{fetch:?}");
    let receipts = notifications_in(&seen.client, Some(Endpoint::Receipt));
    let alerts = notifications_in(&seen.client, Some(Endpoint::Alerts));
    let ((receipt_at, receipt), (alert_at, alert)) = (&receipts[0], &alerts[0]);
    assert!(fetch.finished_at <= *receipt_at, "the receipt came before the download was over");
    assert!(receipt_at <= alert_at, "the alert came before the receipt");
    for (received, kind, text) in
        [(receipt, NotificationKind::Receipt, "receipt received"), (alert, NotificationKind::Alert, "alert received")]
    {
        let message = &received.notification;
        assert_eq!(message.kind(), Some(kind));
        assert_eq!(message.error_code(), Some(ErrorCode::SUCCESS));
        assert_eq!(message.package_id.as_deref(), Some(id.as_str()));
        assert_eq!(message.client.as_deref(), Some(DEFAULT_CLIENT_NAME), "the target signs with its own name");
        assert_eq!((received.method.as_str(), received.answer_status), ("POST", 200));
        assert_eq!(received.answer, PensResponse::success(text).encode().as_bytes());
    }
    assert_eq!(seen.publication.wait_for_receipt(deadline()).await.as_ref(), Some(receipt));
    assert_eq!(seen.publication.wait_for_alerts(1, deadline()).await, Some(vec![alert.clone()]));
    assert_no_secrets(&client, &target, &seen);
}

#[tokio::test]
async fn every_package_type_is_published_and_a_republished_course_keeps_its_package_id() {
    let client = client(ReferenceClientOptions::default()).await;
    let target = target_for(&client);
    let fixture = |name: &str, course: &str| PublishRequest::from_fixture(&packages(), name, course).unwrap();
    let requests = [
        fixture("scorm12-minimal.zip", "course-1"),
        fixture("aicc-minimal.zip", "course-2").package_type(PackageType::AiccPkg, "4.0"),
        fixture("qti-minimal.zip", "course-3").package_type(PackageType::ImsQti, "2.1"),
        fixture("scorm12-minimal.zip", "course-1").vendor_data("x".repeat(4096)),
    ];
    let mut seen = Vec::new();
    for request in requests {
        let observation = publish(&client, &target, request).await;
        let number = observation.publication.number();
        assert_eq!(observation.code(), Some(ErrorCode::SUCCESS), "#{number}");
        assert_eq!(observation.receipt_codes(), [Some(ErrorCode::SUCCESS)], "#{number}: {:?}", observation.target);
        assert_eq!(observation.alerts().len(), 1, "#{number}");
        assert_eq!(observation.fetches()[0].protocol, "http", "#{number}");
        seen.push(observation);
    }
    let ids: Vec<Option<&str>> = seen.iter().map(|s| s.publication.package_id()).collect();
    assert_eq!(ids[0], ids[3], "a republished course keeps its package-id");
    assert!(ids[0] != ids[1] && ids[1] != ids[2], "{ids:?}");
    assert!(ids.iter().flatten().all(|id| id.starts_with(PACKAGE_ID_NAMESPACE)), "{ids:?}");
    // Each publication has URLs of its own, so the two of course-1 never mix.
    let (first, again) = (&seen[0].publication, &seen[3].publication);
    assert_ne!(first.receipt_url(), again.receipt_url());
    assert_ne!(first.package_url(), again.package_url());
    assert_eq!(seen[2].element("package-type"), Some("ims-qti"));
    assert_eq!(first.notifications().len(), 2);
    assert_eq!(client.activity().len(), 4 * 5);
}

/// For one defect: whether the client needs staging credentials to show it, the
/// conformant behaviour the defect breaks, and the deviation itself.
struct DefectCase {
    credentials: bool,
    /// Whether the target sends minimal receipts and alerts (`command`, `package-id`,
    /// `error`): only they tell a client that wants the collect's data repeated.
    minimal: bool,
    conformant: Check,
    deviation: Check,
}

type Check = (&'static str, fn(&Observation) -> bool);

fn case(defect: ClientDefect) -> DefectCase {
    let plain = |conformant, deviation| DefectCase { credentials: false, minimal: false, conformant, deviation };
    match defect {
        ClientDefect::MissingExpiry => plain(
            ("a UTC expiry, answered 0", |s| s.expiry_zone() == Some(ZoneForm::Z) && s.code() == Some(ErrorCode(0))),
            ("no expiry, answered 2009, nothing fetched", |s| {
                s.element("package-url-expiry").is_none() && s.code() == Some(ErrorCode(2009)) && s.fetches().is_empty()
            }),
        ),
        ClientDefect::LocalTimeExpiry => plain(
            ("a UTC expiry with Z, answered 0", |s| {
                s.expiry_zone() == Some(ZoneForm::Z) && s.code() == Some(ErrorCode(0))
            }),
            // CMI010's own App. A example has no zone: the lenient reading accepts it.
            ("an expiry without zone, answered 0", |s| {
                s.expiry_zone() == Some(ZoneForm::Missing) && s.code() == Some(ErrorCode(0))
            }),
        ),
        ClientDefect::PensVersion10 => plain(
            ("pens-version=1.0.0, answered 0", |s| {
                s.element("pens-version") == Some("1.0.0") && s.code() == Some(ErrorCode(0))
            }),
            ("pens-version=1.0, answered 2001", |s| {
                s.element("pens-version") == Some("1.0") && s.code() == Some(ErrorCode(2001))
            }),
        ),
        ClientDefect::RelativePackageUrl => plain(
            ("a fully qualified package-url, fetched", |s| {
                s.element("package-url").is_some_and(|u| u.starts_with("http://")) && s.fetches().len() == 1
            }),
            ("a path as package-url, answered 2008, nothing fetched", |s| {
                s.element("package-url").is_some_and(|u| u.starts_with("/s/"))
                    && s.code() == Some(ErrorCode(2008))
                    && s.fetches().is_empty()
            }),
        ),
        ClientDefect::PackageNotStaged => plain(
            ("the package is served, receipt 0", |s| {
                matches!(s.fetches().as_slice(), [f] if f.status == 200 && f.completed)
                    && s.receipt_codes() == [Some(ErrorCode(0))]
            }),
            ("the package url answers 404, receipt 1310, no alert", |s| {
                matches!(s.fetches().as_slice(), [f] if f.status == 404)
                    && s.receipt_codes() == [Some(ErrorCode(1310))]
                    && s.alerts().is_empty()
            }),
        ),
        ClientDefect::WrongCredentials => DefectCase {
            credentials: true,
            minimal: false,
            conformant: ("the advertised credentials are valid, receipt 0", |s| {
                matches!(s.fetches().as_slice(), [f] if f.credentials == CredentialsPresented::Valid)
                    && s.receipt_codes() == [Some(ErrorCode(0))]
            }),
            deviation: ("the staging server refuses the advertised password, receipt 1312", |s| {
                matches!(s.fetches().as_slice(),
                    [f] if f.status == 401 && f.credentials == CredentialsPresented::Wrong { user: "pens".into() })
                    && s.receipt_codes() == [Some(ErrorCode(1312))]
            }),
        },
        ClientDefect::BadReceiptAnswer => plain(
            ("every answer is an exact PENS response the target reads as 0", |s| {
                !s.answers().is_empty()
                    && s.answers().iter().all(|a| a.ends_with(b"\r\n") && parse_response(a).findings.is_empty())
                    && s.deliveries().iter().all(|(_, _, d)| d.pens_error == Some(ErrorCode(0)))
            }),
            ("every answer has LF-only lines and error=OK, which the target cannot read", |s| {
                !s.answers().is_empty()
                    && s.answers().iter().all(|a| a.starts_with(b"error=OK\n") && !a.contains(&b'\r'))
                    && !s.deliveries().is_empty()
                    && s.deliveries().iter().all(|(_, _, d)| d.http_status == Some(200) && d.pens_error.is_none())
            }),
        ),
        ClientDefect::NonUriPackageId => plain(
            ("a package-id in the client's namespace, answered 0", |s| {
                s.element("package-id").is_some_and(|id| id.starts_with(PACKAGE_ID_NAMESPACE))
                    && s.code() == Some(ErrorCode(0))
            }),
            ("package-id `course <id>`, answered 2007", |s| {
                s.element("package-id").is_some_and(|id| id.starts_with("course ")) && s.code() == Some(ErrorCode(2007))
            }),
        ),
        ClientDefect::GetInsteadOfPost => plain(
            ("sent by form POST", |s| {
                s.target_received().is_some_and(|(m, ..)| m == "POST")
                    && !s.publication.exchange().request_body.is_empty()
            }),
            ("sent as a GET query, still answered 0 and receipted", |s| {
                s.target_received().is_some_and(|(m, ..)| m == "GET")
                    && s.publication.exchange().request_line.starts_with("GET ")
                    && s.publication.exchange().request_body.is_empty()
                    && s.code() == Some(ErrorCode(0))
                    && s.receipt_codes() == [Some(ErrorCode(0))]
            }),
        ),
        ClientDefect::WrongPackageType => plain(
            ("declared scorm-pif, receipt 0 and an alert", |s| {
                s.element("package-type") == Some("scorm-pif")
                    && s.receipt_codes() == [Some(ErrorCode(0))]
                    && s.alerts().len() == 1
            }),
            ("declared aicc-pkg, receipt 1432, no alert", |s| {
                s.element("package-type") == Some("aicc-pkg")
                    && s.receipt_codes() == [Some(ErrorCode(1432))]
                    && s.alerts().is_empty()
            }),
        ),
        ClientDefect::ExpiredExpiry => plain(
            ("an expiry in the future, answered 0", |s| {
                let expiry = s.element("package-url-expiry").and_then(|v| parse_expiry(v).ok());
                expiry.is_some_and(|e| e.instant > OffsetDateTime::now_utc()) && s.code() == Some(ErrorCode(0))
            }),
            ("an expiry in the past, answered 1322, nothing fetched", |s| {
                let expiry = s.element("package-url-expiry").and_then(|v| parse_expiry(v).ok());
                expiry.is_some_and(|e| e.instant < OffsetDateTime::now_utc())
                    && s.code() == Some(ErrorCode(1322))
                    && s.fetches().is_empty()
            }),
        ),
        ClientDefect::NoReceiptUrl => plain(
            ("a receipt url, and a receipt arrives there", |s| {
                s.element("receipt").is_some() && s.receipt_codes() == [Some(ErrorCode(0))]
            }),
            ("no receipt url, answered 2011, no message comes back", |s| {
                s.element("receipt").is_none()
                    && s.code() == Some(ErrorCode(2011))
                    && s.answers().is_empty()
                    && s.deliveries().is_empty()
            }),
        ),
        ClientDefect::StrictNotifications => DefectCase {
            credentials: false,
            minimal: true,
            conformant: ("a minimal receipt and alert, each answered 0", |s| {
                s.deliveries().len() == 2 && s.deliveries().iter().all(|(_, _, d)| d.pens_error == Some(ErrorCode(0)))
            }),
            deviation: ("a minimal receipt and alert, each refused with 2001 (pens-version missing)", |s| {
                s.deliveries().len() == 2
                    && s.deliveries().iter().all(|(_, _, d)| d.pens_error == Some(ErrorCode(2001)))
                    && s.answers().iter().all(|a| parse_response(a).findings.is_empty())
            }),
        },
    }
}

#[tokio::test]
async fn every_client_defect_shows_the_deviation_it_names_and_nothing_passes_unseen() {
    for defect in ClientDefect::ALL {
        let DefectCase { credentials, minimal, conformant: (holds, conformant), deviation: (shows, deviation) } =
            case(defect);
        let options = |defect: Option<ClientDefect>| {
            let builder = ReferenceClientOptions::builder().defect(defect);
            if credentials { builder.credentials("pens", SECRET) } else { builder }.build()
        };
        for defective in [false, true] {
            let client = client(options(defective.then_some(defect))).await;
            let target = target_for(&client);
            let content = if minimal { NotificationContent::Minimal } else { NotificationContent::Full };
            target.script("case", TargetScript { content, ..TargetScript::default() });
            let seen = publish_at(&client, &target, &target.url_for("case"), scorm("course-42")).await;
            let who = if defective { "the defective client" } else { "the correct client" };
            assert_eq!(conformant(&seen), !defective, "{defect}: {who} and \"{holds}\": {seen:#?}");
            assert_eq!(deviation(&seen), defective, "{defect}: {who} and \"{shows}\": {seen:#?}");
            // The target stays conformant whatever the client does.
            let (_, answer, expected) = seen.target_received().expect("the collect arrived");
            assert_eq!(answer, expected, "{defect}");
            assert_eq!(seen.code(), Some(answer), "{defect}");
            assert_no_secrets(&client, &target, &seen);
        }
    }
}

/// A target URL on a port nobody listens on any more.
fn closed_target_url() -> String {
    let listener = std::net::TcpListener::bind(SocketAddr::new(LOOPBACK, 0)).unwrap();
    format!("http://{}/pens", listener.local_addr().unwrap())
}

#[tokio::test]
async fn an_unreachable_target_is_the_publications_outcome_not_an_error() {
    let client = client(ReferenceClientOptions::default()).await;
    let publication = client.publish(&closed_target_url(), scorm("course-1")).await;
    let failure = publication.exchange().outcome.as_ref().expect_err("nobody listens");
    assert!(failure.starts_with("cannot connect to 127.0.0.1:"), "{failure}");
    assert_eq!(publication.answer_code(), None);
    let labels: Vec<String> = publication.activity().iter().map(client_label).collect();
    assert_eq!(labels, ["staged", "collect-sent"]);
    assert!(matches!(&publication.activity()[1].kind, ClientEventKind::CollectSent { outcome: Err(_), .. }));
    // A deadline that has passed: the answer is immediate, no time is spent waiting.
    assert_eq!(publication.wait_for_receipt(Instant::now()).await, None);
}

#[tokio::test]
async fn a_message_at_a_url_never_handed_out_is_answered_and_recorded_without_a_publication() {
    let client = client(ReferenceClientOptions::default()).await;
    let url = format!("{}/r/publication-7/receipt", client.notification_base());
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("command=receipt&error=0&package-url-password=hunter2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    let body = response.bytes().await.unwrap();
    assert_eq!(parse_response(&body).error, Some(ErrorCode::SUCCESS));
    let events = client.wait_for(|events| !events.is_empty(), deadline()).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].publication, None);
    assert!(matches!(&events[0].kind, ClientEventKind::NotificationReceived(r) if r.endpoint == Endpoint::Receipt));
    assert!(!format!("{events:?}").contains("hunter2"));
}

#[tokio::test]
async fn dropping_the_client_closes_its_ports() {
    let client = client(ReferenceClientOptions::default()).await;
    // A publication starts the task that watches the staging server.
    client.publish(&closed_target_url(), scorm("course-1")).await;
    let staging_port = reqwest::Url::parse(&client.staging_http_base()).unwrap().port().unwrap();
    let addrs = [client.notification_addr(), SocketAddr::new(LOOPBACK, staging_port)];
    for addr in addrs {
        assert!(tokio::net::TcpStream::connect(addr).await.is_ok(), "{addr}");
    }
    drop(client);
    // Each try is a connect on the network, not a timed wait.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        for addr in addrs {
            while tokio::net::TcpStream::connect(addr).await.is_ok() {
                tokio::task::yield_now().await;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "{addrs:?} still accept connections");
}

#[tokio::test]
async fn unusable_options_are_refused_at_start() {
    let options = ReferenceClientOptions::builder().extra_root_pem("not a certificate").build();
    let error = ReferenceClient::start(LOOPBACK, options).await.expect_err("bad pem");
    assert!(matches!(error, ReferenceClientError::RootCertificate { .. }), "{error}");
    let error = "pens-version-1".parse::<ClientDefect>().expect_err("unknown");
    assert!(error.to_string().contains("pens-version-1.0"), "{error}");
}
