//! The collector's SMTP sink on a real socket: lettre as the LMS's mail transfer agent,
//! plus a client speaking SMTP by hand where lettre is too well-behaved. Waits end on
//! recorded events or on the network, never on a timer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pens_parties::{Collector, Endpoint, MAIL_DOMAIN, MAX_NOTIFICATION_BYTES, NotificationEvent};
use pens_proto::{ErrorCode, NotificationKind};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const PACKAGE_ID: &str = "urn:pens-conform:run:1";

/// A receipt as CMI010 App. A's best practice has it: free text, a blank line, then
/// CR LF separated name=value lines.
const APPENDIX_A_BODY: &str = "Your package has been retrieved and imported.\r\n\r\ncommand=receipt\r\npens-version=1.0.0\r\npackage-type=scorm-pif\r\npackage-id=urn:pens-conform:run:1\r\nclient=Reference LMS\r\nerror=0\r\nerror-text=package retrieved\r\n";

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

fn transport(collector: &Collector) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(collector.smtp_addr().port()).build()
}

/// The address of a `mailto:` URL with one address.
fn address(mailto: &str) -> String {
    mailto.strip_prefix("mailto:").expect("a mailto url").to_owned()
}

fn receipt_to(recipients: &[&str], subject: Option<&str>, body: &str) -> Message {
    let mut builder = Message::builder()
        .from("Reference LMS <lms@lms.example>".parse().unwrap())
        .reply_to("LMS admin <admin@lms.example>".parse().unwrap())
        .header(ContentType::TEXT_PLAIN);
    for recipient in recipients {
        builder = builder.to(recipient.parse().unwrap());
    }
    if let Some(subject) = subject {
        builder = builder.subject(subject);
    }
    builder.body(body.to_owned()).unwrap()
}

async fn wait_for_events(collector: &Collector, key: &str, count: usize) -> Vec<NotificationEvent> {
    let events = collector.wait_for(key, deadline(), |events| events.len() >= count).await;
    assert_eq!(events.len(), count, "{events:?}");
    events
}

fn finding_messages(event: &NotificationEvent) -> Vec<&str> {
    event.findings.iter().map(|f| f.message.as_str()).collect()
}

/// An SMTP client typed by hand.
struct RawClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl RawClient {
    async fn connect(addr: SocketAddr) -> RawClient {
        let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        RawClient { reader: BufReader::new(read), writer }
    }

    /// Reads one reply, all its lines, and returns its code.
    async fn reply(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            assert_ne!(self.reader.read_line(&mut line).await.unwrap(), 0, "connection closed");
            if line.as_bytes().get(3) != Some(&b'-') {
                return line[..3].to_owned();
            }
        }
    }

    async fn send(&mut self, text: &str) -> String {
        self.writer.write_all(text.as_bytes()).await.unwrap();
        self.reply().await
    }
}

#[tokio::test]
async fn mailto_urls_are_unique_per_key_and_use_the_test_domain() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let urls = collector.mailto("collect-post-valid");
    assert_eq!(urls.receipt, format!("mailto:receipt.collect-post-valid@{MAIL_DOMAIN}"));
    assert_eq!(urls.alerts, "mailto:alerts.collect-post-valid@pens-conform.test");
    assert_ne!(collector.mailto("other").receipt, urls.receipt);
    assert_eq!(collector.smtp_addr().ip(), LOOPBACK);
    assert_ne!(collector.smtp_addr(), collector.addr());
}

#[tokio::test]
async fn a_mailed_receipt_is_recorded_under_its_key() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let recipient = address(&collector.mailto("mailed").receipt);
    let subject = format!("PENS receipt for {PACKAGE_ID}");
    transport(&collector).send(receipt_to(&[&recipient], Some(&subject), APPENDIX_A_BODY)).await.unwrap();

    let events = wait_for_events(&collector, "mailed", 1).await;
    let event = &events[0];
    assert_eq!(event.endpoint, Endpoint::Receipt);
    assert_eq!(event.method, "SMTP");
    assert_eq!(event.path, recipient);
    assert_eq!(event.status, 250);
    assert!(event.content_type.as_deref().is_some_and(|ct| ct.starts_with("text/plain")), "{event:?}");
    assert!(String::from_utf8_lossy(&event.raw).contains("command=receipt\r\n"));
    assert_eq!(event.notification.kind(), Some(NotificationKind::Receipt));
    assert_eq!(event.notification.package_id.as_deref(), Some(PACKAGE_ID));
    assert_eq!(event.notification.error_code(), Some(ErrorCode::SUCCESS));
    assert_eq!(event.notification.client.as_deref(), Some("Reference LMS"), "spaces kept");
    let mail = event.mail.as_ref().expect("mail details");
    assert_eq!(mail.recipient, recipient);
    assert_eq!(mail.envelope_from, "lms@lms.example");
    assert_eq!(mail.from.as_deref(), Some("Reference LMS <lms@lms.example>"));
    assert_eq!(mail.reply_to.as_deref(), Some("LMS admin <admin@lms.example>"));
    assert_eq!(mail.subject.as_deref(), Some(subject.as_str()));
    assert_eq!(mail.free_text, "Your package has been retrieved and imported.");
    assert!(event.findings.is_empty(), "{:?}", event.findings);
}

#[tokio::test]
async fn each_recipient_of_a_message_gets_its_event() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let first = address(&collector.mailto("twice").receipt);
    let copy = format!("copy.{first}");
    transport(&collector).send(receipt_to(&[&first, &copy], Some("PENS receipt"), APPENDIX_A_BODY)).await.unwrap();

    let events = wait_for_events(&collector, "twice", 2).await;
    let mut paths: Vec<&str> = events.iter().map(|e| e.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, [copy.as_str(), first.as_str()]);
    for event in &events {
        assert_eq!(event.endpoint, Endpoint::Receipt);
        assert_eq!(event.notification.package_id.as_deref(), Some(PACKAGE_ID));
        assert_eq!(event.mail.as_ref().map(|m| m.recipient.as_str()), Some(event.path.as_str()));
    }
}

#[tokio::test]
async fn alert_and_unknown_addresses_are_routed_apart() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let alerts = address(&collector.mailto("routed").alerts);
    let unknown = format!("postmaster@{MAIL_DOMAIN}");
    let body = "command=alert\r\npackage-id=urn:pens-conform:run:1\r\nerror=0\r\nerror-text=importing\r\n";
    let never_handed_out = format!("receipt.flood-1@{MAIL_DOMAIN}");
    let mailer = transport(&collector);
    mailer.send(receipt_to(&[&alerts], Some("PENS alert"), body)).await.unwrap();
    // A mailbox of no scenario is refused at RCPT TO, before the message is sent.
    for refused in [&unknown, &never_handed_out] {
        let error = mailer.send(receipt_to(&[refused], Some("PENS alert"), body)).await.expect_err("refused");
        assert!(error.is_permanent() && error.to_string().contains("no scenario"), "{error}");
    }

    let routed = wait_for_events(&collector, "routed", 1).await;
    assert_eq!(routed[0].endpoint, Endpoint::Alerts);
    assert_eq!(routed[0].notification.kind(), Some(NotificationKind::Alert));
    assert!(collector.events("").is_empty() && collector.events("flood-1").is_empty());
    let counted = collector.unsolicited_mail().expect("counted");
    assert_eq!((counted.count, counted.bytes), (2, 0));
    assert_eq!(counted.examples, [unknown, never_handed_out]);
}

#[tokio::test]
async fn a_body_with_bare_lf_lines_is_read_and_noted() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let recipient = address(&collector.mailto("bare-lf").receipt);
    let mut client = RawClient::connect(collector.smtp_addr()).await;
    assert_eq!(client.reply().await, "220");
    assert_eq!(client.send("EHLO lms.example\r\n").await, "250");
    assert_eq!(client.send("MAIL FROM:<lms@lms.example>\r\n").await, "250");
    assert_eq!(client.send(&format!("RCPT TO:<{recipient}>\r\n")).await, "250");
    assert_eq!(client.send("DATA\r\n").await, "354");
    // A sloppy client: every line, the end of data included, ends in a bare LF.
    let message =
        "From: lms@lms.example\nSubject: PENS receipt\n\nReceived.\ncommand=receipt\npackage-id=urn:x:1\nerror=0\n.\n";
    assert_eq!(client.send(message).await, "250");
    assert_eq!(client.send("QUIT\r\n").await, "221");

    let events = wait_for_events(&collector, "bare-lf", 1).await;
    let event = &events[0];
    assert_eq!(event.notification.kind(), Some(NotificationKind::Receipt));
    assert_eq!(event.notification.error.as_deref(), Some("0"), "no CR left in the value");
    assert_eq!(event.mail.as_ref().map(|m| m.free_text.as_str()), Some("Received."));
    assert_eq!(finding_messages(event), ["4 of 4 lines end in a bare LF; end each line with CR LF"]);
    assert_eq!(event.findings[0].requirement.id, "notification.mailto.body");
}

#[tokio::test]
async fn a_message_without_subject_is_noted() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let recipient = address(&collector.mailto("no-subject").receipt);
    transport(&collector).send(receipt_to(&[&recipient], None, APPENDIX_A_BODY)).await.unwrap();

    let events = wait_for_events(&collector, "no-subject", 1).await;
    let event = &events[0];
    assert_eq!(event.mail.as_ref().and_then(|m| m.subject.clone()), None);
    assert_eq!(event.findings.len(), 1, "{:?}", event.findings);
    assert_eq!(event.findings[0].element.as_deref(), Some("Subject"));
    assert_eq!(event.findings[0].requirement.id, "notification.mailto.body");
    assert_eq!(event.notification.kind(), Some(NotificationKind::Receipt), "the body is still read");
}

#[tokio::test]
async fn an_oversized_message_is_refused_552_and_recorded() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let recipient = address(&collector.mailto("oversized").receipt);
    let line = format!("{}\r\n", "x".repeat(70));
    let body = format!("command=receipt\r\nerror=0\r\n{}", line.repeat(MAX_NOTIFICATION_BYTES / line.len() + 1));
    let error = transport(&collector).send(receipt_to(&[&recipient], Some("big"), &body)).await.unwrap_err();
    assert!(error.is_permanent(), "{error}");
    assert_eq!(error.status().map(u16::from), Some(552), "{error}");

    let events = wait_for_events(&collector, "oversized", 1).await;
    let event = &events[0];
    assert_eq!(event.status, 552);
    assert_eq!(event.raw.len(), MAX_NOTIFICATION_BYTES);
    assert_eq!(event.notification.command, None, "a refused message is not read");
    assert_eq!(event.mail.as_ref().and_then(|m| m.subject.as_deref()), Some("big"));
    assert!(finding_messages(event)[0].contains("refused with 552"), "{:?}", event.findings);

    // The listener still takes the next message.
    transport(&collector).send(receipt_to(&[&recipient], Some("small"), APPENDIX_A_BODY)).await.unwrap();
    let events = wait_for_events(&collector, "oversized", 2).await;
    assert_eq!(events[1].status, 250);
}

#[tokio::test]
async fn a_silent_client_does_not_hold_up_others() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let mut silent = RawClient::connect(collector.smtp_addr()).await;
    assert_eq!(silent.reply().await, "220");
    // It says nothing more, and keeps its connection open while another LMS mails.
    let recipient = address(&collector.mailto("unblocked").receipt);
    transport(&collector).send(receipt_to(&[&recipient], Some("PENS receipt"), APPENDIX_A_BODY)).await.unwrap();
    let events = wait_for_events(&collector, "unblocked", 1).await;
    assert_eq!(events[0].status, 250);
    // The silent session is still open: it is answered.
    assert_eq!(silent.send("NOOP\r\n").await, "250");
}

#[tokio::test]
async fn a_fixed_smtp_address_is_used_and_a_taken_one_is_an_error() {
    let taken = tokio::net::TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let addr = taken.local_addr().unwrap();
    let error = Collector::start_with_smtp(LOOPBACK, "", addr).await.unwrap_err();
    assert!(error.to_string().contains(&addr.to_string()), "{error}");
    drop(taken);
    let collector = Collector::start_with_smtp(LOOPBACK, "", addr).await.unwrap();
    assert_eq!(collector.smtp_addr(), addr);
}

#[tokio::test]
async fn dropping_the_collector_closes_the_smtp_port_and_its_sessions() {
    let collector = Collector::start(LOOPBACK, "").await.unwrap();
    let addr = collector.smtp_addr();
    let mut open = RawClient::connect(addr).await;
    assert_eq!(open.reply().await, "220");
    drop(collector);
    // Each try is a connect or a read on the network, not a timed wait.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::task::yield_now().await;
        }
        let mut rest = Vec::new();
        open.reader.read_to_end(&mut rest).await
    })
    .await;
    assert!(matches!(closed, Ok(Ok(0))), "{addr} still open: {closed:?}");
}

/// Counts the mail a relayed key hands it; relays no HTTP.
#[derive(Default)]
struct MailCounter(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl pens_parties::NotificationRelay for MailCounter {
    async fn relay(&self, _: pens_parties::ArrivedNotification) -> Option<pens_parties::RelayedAnswer> {
        None
    }

    fn mail_arrived(&self, _: NotificationEvent) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Mail for a relayed key goes to its relay whether the collector keeps it or not
/// (beyond the cap, or once the key is forgotten), as its HTTP notifications do: the
/// relay bounds its own records, and the client must get every receipt.
#[tokio::test]
async fn mail_beyond_the_cap_or_after_forgetting_still_reaches_the_relay() {
    let options = pens_parties::CollectorOptions { notifications: 1, ..Default::default() };
    let collector = Collector::start_with(LOOPBACK, "", options).await.unwrap();
    let relay = std::sync::Arc::new(MailCounter::default());
    collector.relay_for("k", relay.clone());
    let recipient = address(&collector.mailto("k").receipt);
    let relayed = || relay.0.load(std::sync::atomic::Ordering::SeqCst);
    // The sink hands a message on before it answers its DATA: no wait is needed.
    for _ in 0..3 {
        transport(&collector).send(receipt_to(&[&recipient], None, APPENDIX_A_BODY)).await.unwrap();
    }
    assert_eq!(relayed(), 3);
    assert_eq!(collector.events("k").len(), 1, "the cap still bounds what is kept");

    collector.forget("k");
    assert!(collector.events("k").is_empty(), "forgetting drops what was kept");
    transport(&collector).send(receipt_to(&[&recipient], None, APPENDIX_A_BODY)).await.unwrap();
    assert_eq!(relayed(), 4);
    assert!(collector.events("k").is_empty(), "nothing of a forgotten key is kept");
    assert_eq!(collector.overflow("k"), None, "nor counted as overflow");
}
