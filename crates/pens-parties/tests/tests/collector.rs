//! The collector on a real socket: the three delivery formats, the exact answer, keys,
//! the size limit. Waits end on recorded events.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use pens_parties::{Collector, Endpoint, MAX_NOTIFICATION_BYTES, NotificationEvent};
use pens_proto::{ErrorCode, Level, Notification, NotificationKind};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The exact answer to a receipt: the success response of CMI010 §6.3, CR LF.
const RECEIPT_ANSWER: &str = "error=0\r\nerror-text=receipt received\r\nversion=1.0.0\r\npens-data=\r\n";
const ALERT_ANSWER: &str = "error=0\r\nerror-text=alert received\r\nversion=1.0.0\r\npens-data=\r\n";

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn receipt_form() -> String {
    let mut receipt =
        Notification::receipt("urn:pens-conform:run:1", "Reference LMS", ErrorCode(0), "package retrieved");
    receipt.package_type = Some("scorm-pif".into());
    receipt.to_form()
}

async fn one_event(collector: &Collector, key: &str) -> NotificationEvent {
    let events = collector.wait_for(key, deadline(), |events| !events.is_empty()).await;
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
}

fn finding_ids(event: &NotificationEvent) -> Vec<&'static str> {
    event.findings.iter().map(|f| f.requirement.id).collect()
}

#[tokio::test]
async fn urls_are_unique_per_key() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let urls = collector.urls("collect-post-valid");
    let base = collector.base();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(urls.receipt, format!("{base}/r/collect-post-valid/receipt"));
    assert_eq!(urls.alerts, format!("{base}/r/collect-post-valid/alerts"));
    assert_ne!(collector.urls("other").receipt, urls.receipt);
    let advertised = Collector::start(LOOPBACK, "lms-host.test").await.unwrap();
    assert!(advertised.urls("k").receipt.starts_with("http://lms-host.test:"));
}

#[tokio::test]
async fn a_form_post_receipt_is_decoded_and_answered_exactly() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let urls = collector.urls("form");
    let body = receipt_form();
    let response = client()
        .post(&urls.receipt)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.bytes().await.unwrap(), RECEIPT_ANSWER.as_bytes());

    let event = one_event(&collector, "form").await;
    assert_eq!(event.endpoint, Endpoint::Receipt);
    assert_eq!(event.method, "POST");
    assert_eq!(event.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert_eq!(event.raw, body.as_bytes());
    assert_eq!(event.status, 200);
    assert_eq!(event.notification.kind(), Some(NotificationKind::Receipt));
    assert_eq!(event.notification.package_id.as_deref(), Some("urn:pens-conform:run:1"));
    assert_eq!(event.notification.package_type.as_deref(), Some("scorm-pif"));
    assert!(event.findings.is_empty(), "{:?}", event.findings);
}

#[tokio::test]
async fn a_multipart_receipt_is_read_with_a_should_finding() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let boundary = "pens-boundary-42";
    let mut body = String::new();
    for (name, value) in [("command", "receipt"), ("package-id", "urn:x:1"), ("error", "0"), ("error-text", "a b&c")] {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let response = client()
        .post(collector.urls("multipart").receipt)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), RECEIPT_ANSWER);

    let event = one_event(&collector, "multipart").await;
    assert_eq!(event.raw, body.as_bytes());
    assert_eq!(event.notification.command.as_deref(), Some("receipt"));
    assert_eq!(event.notification.error_text.as_deref(), Some("a b&c"), "values are taken as sent");
    assert_eq!(finding_ids(&event), ["notification.binding.form-post"]);
    assert_eq!(event.findings[0].level, Level::Should);
    assert!(!pens_proto::has_failure(&event.findings));
}

#[tokio::test]
async fn a_get_alert_is_read_from_the_query_with_a_should_finding() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let query = "command=alert&package-id=urn%3Ax%3A1&error=0&error-text=package+imported";
    let url = format!("{}?{query}", collector.urls("get").alerts);
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/plain");
    assert_eq!(response.text().await.unwrap(), ALERT_ANSWER);

    let event = one_event(&collector, "get").await;
    assert_eq!(event.endpoint, Endpoint::Alerts);
    assert_eq!(event.method, "GET");
    assert_eq!(event.raw, query.as_bytes());
    assert_eq!(event.notification.kind(), Some(NotificationKind::Alert));
    assert_eq!(event.notification.package_id.as_deref(), Some("urn:x:1"));
    assert_eq!(event.notification.error_text.as_deref(), Some("package imported"));
    assert_eq!(finding_ids(&event), ["notification.binding.form-post"]);
    assert!(!event.findings[0].is_failure());
}

#[tokio::test]
async fn decoding_findings_are_kept_and_the_answer_is_still_success() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let body = "command=receipt&error=50%&error=1&error-text=raw space";
    let response = client()
        .post(collector.urls("messy").receipt)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), RECEIPT_ANSWER);

    let event = one_event(&collector, "messy").await;
    let ids = finding_ids(&event);
    assert!(ids.contains(&"binding.url-encoding"), "{ids:?}");
    assert!(ids.contains(&"binding.element.unique"), "{ids:?}");
    assert_eq!(event.notification.error.as_deref(), Some("50%"), "the first value wins");
}

#[tokio::test]
async fn a_post_without_content_type_is_read_as_a_form_with_a_finding() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let response = client().post(collector.urls("bare").receipt).body("command=receipt&error=0").send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), RECEIPT_ANSWER);
    let event = one_event(&collector, "bare").await;
    assert_eq!(event.content_type, None);
    assert_eq!(event.notification.error_code(), Some(ErrorCode(0)));
    assert_eq!(finding_ids(&event), ["notification.binding.form-post"]);
}

/// Paths of no scenario (a key never handed out, or no key at all) are answered 404 and
/// only counted; any path under a key handed out is still recorded, as before.
#[tokio::test]
async fn paths_of_no_scenario_are_answered_404_and_counted_not_kept() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let base = collector.base();
    assert_eq!(collector.unsolicited(), None);
    let form = receipt_form();
    let stray = client().post(format!("{base}/r/never-handed-out/receipt")).body(form.clone()).send().await.unwrap();
    assert_eq!(stray.status(), 404);
    assert!(stray.text().await.unwrap().contains("no scenario of this run"));
    client().post(format!("{base}/pens/receipt")).body(form.clone()).send().await.unwrap();
    // The same key in another case is another key, as the per-key logs have it.
    collector.urls("k");
    client().post(format!("{base}/r/K/receipt")).body(form.clone()).send().await.unwrap();

    for (path, endpoint) in [
        ("/r/k/receipts", Endpoint::Other),
        ("/r/k/receipt/", Endpoint::Other),
        ("/r/k/receipt?x=1", Endpoint::Receipt),
    ] {
        let answer = client().post(format!("{base}{path}")).body(form.clone()).send().await.unwrap();
        assert_eq!(answer.status(), 200, "{path}");
        let events = collector.wait_for("k", deadline(), |events| !events.is_empty()).await;
        assert_eq!(events.last().map(|e| e.endpoint), Some(endpoint), "{path}");
    }
    assert_eq!(collector.events("k").len(), 3);
    assert!(collector.events("never-handed-out").is_empty() && collector.events("").is_empty());
    let counted = collector.unsolicited().expect("counted");
    assert_eq!(counted.count, 3);
    assert_eq!(counted.bytes, 3 * form.len() as u64);
    assert_eq!(counted.examples, ["/r/never-handed-out/receipt", "/pens/receipt", "/r/K/receipt"]);
}

#[tokio::test]
async fn an_oversized_body_is_answered_413_and_recorded() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let body = format!("command=receipt&vendor-data={}", "x".repeat(MAX_NOTIFICATION_BYTES));
    let response = client()
        .post(collector.urls("big").receipt)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let event = one_event(&collector, "big").await;
    assert_eq!(event.status, 413);
    assert!(event.raw.is_empty());
}

#[tokio::test]
async fn receipt_then_alerts_arrive_in_order_under_one_key() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let urls = collector.urls("sequence");
    let http = client();
    http.post(&urls.receipt).body(receipt_form()).send().await.unwrap();
    for n in 0..3 {
        http.post(&urls.alerts).body(format!("command=alert&error=0&error-text=step+{n}")).send().await.unwrap();
    }
    let events = collector.wait_for("sequence", deadline(), |events| events.len() == 4).await;
    let endpoints: Vec<Endpoint> = events.iter().map(|e| e.endpoint).collect();
    assert_eq!(endpoints, [Endpoint::Receipt, Endpoint::Alerts, Endpoint::Alerts, Endpoint::Alerts]);
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(collector.events("other").is_empty());
}

#[tokio::test]
async fn a_wait_that_is_not_satisfied_returns_what_arrived_at_the_deadline() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    client().post(collector.urls("one").receipt).body(receipt_form()).send().await.unwrap();
    let events =
        collector.wait_for("one", Instant::now() + Duration::from_millis(50), |events| events.len() == 2).await;
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn event_debug_output_leaves_secrets_out() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let body = "command=receipt&error=0&system-password=hunter2";
    client().post(collector.urls("secret").receipt).body(body).send().await.unwrap();
    let event = one_event(&collector, "secret").await;
    assert_eq!(event.raw, body.as_bytes(), "the raw body is kept as received");
    assert!(!format!("{event:?}").contains("hunter2"));
}

/// A receipt URL with userinfo: the client presents it as HTTP basic credentials, which
/// the event records without ever showing the password.
#[tokio::test]
async fn basic_credentials_are_recorded_and_the_password_only_compared() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let url = collector.urls("auth").receipt.replacen("http://", "http://pens-receipt:s3cret-pw@", 1);
    let response = client()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(receipt_form())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let event = one_event(&collector, "auth").await;
    let auth = event.basic_auth.as_ref().expect("credentials recorded");
    assert_eq!(auth.user, "pens-receipt");
    assert!(auth.password_is("s3cret-pw") && !auth.password_is("other"));
    assert!(!format!("{event:?}").contains("s3cret-pw"));

    client().post(collector.urls("plain").receipt).body(receipt_form()).send().await.unwrap();
    assert_eq!(one_event(&collector, "plain").await.basic_auth, None);
}

/// Answers every notification with a fixed answer, and keeps what it was given.
struct FixedRelay {
    arrived: std::sync::Mutex<Vec<pens_parties::ArrivedNotification>>,
}

#[async_trait::async_trait]
impl pens_parties::NotificationRelay for FixedRelay {
    async fn relay(&self, arrived: pens_parties::ArrivedNotification) -> Option<pens_parties::RelayedAnswer> {
        let endpoint = arrived.endpoint;
        self.arrived.lock().unwrap().push(arrived);
        (endpoint == Endpoint::Receipt).then(|| pens_parties::RelayedAnswer {
            status: 202,
            content_type: Some("text/x-client".into()),
            headers: vec![
                ("x-client-trace".into(), "t-1".into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
                ("content-length".into(), "999".into()),
            ],
            body: bytes::Bytes::from_static(b"error=0\nfrom the real client"),
        })
    }
}

#[tokio::test]
async fn a_relayed_key_is_recorded_then_answered_by_its_relay() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let relay = std::sync::Arc::new(FixedRelay { arrived: std::sync::Mutex::default() });
    collector.relay_for("k", relay.clone());
    let urls = collector.urls("k");
    let answer = client()
        .post(format!("{}?s=1", urls.receipt))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic dTpw")
        .body(receipt_form())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    assert_eq!(answer.headers()["content-type"], "text/x-client");
    assert_eq!(answer.headers()["x-client-trace"], "t-1");
    let cookies: Vec<_> = answer.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(answer.text().await.unwrap(), "error=0\nfrom the real client");
    let event = one_event(&collector, "k").await;
    assert_eq!(event.endpoint, Endpoint::Receipt);
    {
        let arrived = relay.arrived.lock().unwrap();
        assert_eq!(arrived[0].body, receipt_form().as_bytes());
        assert_eq!(arrived[0].query.as_deref(), Some("s=1"));
        assert_eq!(arrived[0].content_type.as_deref(), Some("application/x-www-form-urlencoded"));
        assert!(arrived[0].authorization.is_some() && !format!("{:?}", arrived[0]).contains("dTpw"));
    }
    // An alert the relay gives no answer for gets the relay's plain-text 503, never a
    // PENS answer in the client's name; without the relay, a receipt gets the
    // collector's own answer.
    let alert = client().get(format!("{}?command=alert&error=0", urls.alerts)).send().await.unwrap();
    assert_eq!(alert.status(), 503);
    assert_eq!(alert.headers()["content-type"], "text/plain; charset=utf-8");
    let text = alert.text().await.unwrap();
    assert!(text.starts_with("pens-conform relay: not relayed:"), "{text}");
    assert!(!text.contains("error="), "{text}");
    collector.stop_relaying("k");
    let own = client().post(&urls.receipt).body(receipt_form()).send().await.unwrap();
    assert_eq!(own.text().await.unwrap(), RECEIPT_ANSWER);
    assert_eq!(relay.arrived.lock().unwrap().len(), 2);
}

/// A relayed key's receipts beyond the collector's cap are not kept, yet still go to
/// its relay: the target gets the client's answer, never the collector's `error=0`.
#[tokio::test]
async fn a_relayed_key_beyond_the_cap_is_still_answered_by_its_relay() {
    let options = pens_parties::CollectorOptions { notifications: 1, ..Default::default() };
    let collector = Collector::start_with(LOOPBACK, "", options).await.unwrap();
    let relay = std::sync::Arc::new(FixedRelay { arrived: std::sync::Mutex::default() });
    collector.relay_for("k", relay.clone());
    let receipt = collector.urls("k").receipt;
    for _ in 0..3 {
        let answer = client().post(&receipt).body(receipt_form()).send().await.unwrap();
        assert_eq!(answer.status(), 202);
        assert_eq!(answer.text().await.unwrap(), "error=0\nfrom the real client");
    }
    assert_eq!(collector.events("k").len(), 1, "the cap still bounds what is kept");
    assert_eq!(relay.arrived.lock().unwrap().len(), 3);
    // A path under the key that is neither URL goes to the relay too, whose declining
    // it gets the 503; a key without a relay keeps the collector's own answer.
    let other = receipt.replace("/receipt", "/elsewhere");
    let answer = client().post(&other).body(receipt_form()).send().await.unwrap();
    assert_eq!(answer.status(), 503);
    assert_eq!(relay.arrived.lock().unwrap().last().unwrap().endpoint, Endpoint::Other);
    let own = client().post(collector.urls("plain").receipt).body(receipt_form()).send().await.unwrap();
    assert_eq!((own.status().as_u16(), own.text().await.unwrap()), (200, RECEIPT_ANSWER.to_owned()));
}
