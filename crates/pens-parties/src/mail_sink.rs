//! Mailed receipts and alerts: the `mailto:` side of the collector (CMI010 §5,
//! Appendix A). A receipt or alert URL may be a `mailto:` URL with several
//! comma-separated addresses, and each address must get its message; so every
//! recipient of a message we receive becomes one [`NotificationEvent`].
//!
//! Addresses carry the scenario key the way the HTTP paths do:
//! `receipt.<key>@pens-conform.test` and `alerts.<key>@pens-conform.test`, with any
//! labels before (`copy.receipt.<key>@…`), so one scenario can name several addresses
//! and still see its own messages only. The domain is a reserved test name (RFC 2606
//! `.test`) so that mail a relay routes wrongly never reaches anyone; we take any domain,
//! since the LMS's relay decides where mail goes.

use std::fmt;
use std::time::Instant;

use mail_parser::{Address, MessageParser};
use pens_proto::{Finding, Notification, check_mail_headers, decode_mail_body, redact, req};

use crate::collector::{Endpoint, MAX_NOTIFICATION_BYTES, NotificationEvent};
use crate::smtp::ReceivedMail;

/// The mail domain of the collector's `mailto:` addresses: reserved for testing
/// (RFC 2606), so a misrouted receipt never leaves the test network.
pub const MAIL_DOMAIN: &str = "pens-conform.test";

/// The method recorded for a mailed notification.
const SMTP_METHOD: &str = "SMTP";

/// What a mailed receipt or alert said beyond its body's `name=value` lines: the
/// envelope and the headers that the best practice of CMI010 App. A names. Its `Debug`
/// output shortens the free text and hides passwords in URLs.
#[derive(Clone, PartialEq, Eq)]
pub struct MailDetails {
    /// The envelope sender (`MAIL FROM`), as given; empty for the null sender `<>`.
    pub envelope_from: String,
    /// The envelope recipient (`RCPT TO`) this event is for.
    pub recipient: String,
    /// The `From` header, decoded, as `Name <address>` (several comma-separated);
    /// `None` when absent or unreadable.
    pub from: Option<String>,
    /// The `Reply-To` header, in the same form as `from`.
    pub reply_to: Option<String>,
    /// The `Subject` header, decoded.
    pub subject: Option<String>,
    /// The body's free text before its first `name=value` line.
    pub free_text: String,
}

impl fmt::Debug for MailDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailDetails")
            .field("envelope_from", &self.envelope_from)
            .field("recipient", &self.recipient)
            .field("from", &self.from)
            .field("reply_to", &self.reply_to)
            .field("subject", &self.subject)
            .field("free_text", &redact(&self.free_text))
            .finish()
    }
}

/// The address for `label` (`receipt` or `alerts`) of `key`.
pub(crate) fn mail_address(label: &str, key: &str) -> String {
    format!("{label}.{}@{MAIL_DOMAIN}", encode_key(key))
}

/// Which endpoint and key a recipient address names: in its local part, the last
/// dot-separated segment is the key, the one before it `receipt` or `alerts`.
/// Anything else is [`Endpoint::Other`] with an empty key.
pub(crate) fn route(recipient: &str) -> (Endpoint, String) {
    let local = recipient.rsplit_once('@').map_or(recipient, |(local, _)| local);
    let mut segments = local.trim_matches('"').rsplit('.');
    let key = segments.next().unwrap_or_default();
    let endpoint = match segments.next() {
        Some(label) if label.eq_ignore_ascii_case("receipt") => Endpoint::Receipt,
        Some(label) if label.eq_ignore_ascii_case("alerts") => Endpoint::Alerts,
        _ => return (Endpoint::Other, String::new()),
    };
    (endpoint, decode_key(key))
}

/// Keys are the runner's (scenario ids); an address must carry any of them as one
/// segment of a local part that is also valid in a `mailto:` URL (RFC 6068) without
/// escaping. Letters, digits, `-` and `_` stay; every other byte (`.` included, it
/// separates segments) becomes `~XX`.
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("~{byte:02X}"));
        }
    }
    out
}

/// Undoes [`encode_key`]; an invalid escape stays as it is, bytes that are not UTF-8
/// become U+FFFD.
fn decode_key(segment: &str) -> String {
    crate::path::unescape(segment, b'~')
}

/// A message's headers and text body, as far as they can be read.
#[derive(Default)]
struct ReadMail {
    from: Option<String>,
    reply_to: Option<String>,
    subject: Option<String>,
    content_type: Option<String>,
    /// The first text part, transfer encoding and charset undone.
    body: String,
}

fn read_mail(raw: &[u8]) -> ReadMail {
    let Some(message) = MessageParser::new().with_minimal_headers().parse(raw) else {
        // No header at all: the whole message is its body.
        return ReadMail { body: String::from_utf8_lossy(raw).into_owned(), ..ReadMail::default() };
    };
    ReadMail {
        from: message.from().map(shown_addresses),
        reply_to: message.reply_to().map(shown_addresses),
        subject: message.subject().map(str::to_owned),
        content_type: message.header_raw("Content-Type").map(|value| value.trim().to_owned()),
        body: message.body_text(0).map(|text| text.into_owned()).unwrap_or_default(),
    }
}

/// `Name <address>` for each address, comma-separated.
fn shown_addresses(address: &Address<'_>) -> String {
    let shown: Vec<String> = address
        .iter()
        .filter_map(|addr| match (addr.name(), addr.address()) {
            (Some(name), Some(address)) => Some(format!("{name} <{address}>")),
            (None, Some(address)) => Some(address.to_owned()),
            (Some(name), None) => Some(name.to_owned()),
            (None, None) => None,
        })
        .collect();
    shown.join(", ")
}

/// The events of one received message: one per recipient, all with the same reading
/// of the message. `started` is the collector's start, for `elapsed_ms`.
pub(crate) fn notification_events(mail: &ReceivedMail, started: Instant) -> Vec<NotificationEvent> {
    let read = read_mail(&mail.raw);
    let (notification, free_text, mut findings) = if mail.status == 250 {
        let body = decode_mail_body(&read.body);
        let decoded = Notification::from_pairs(&body.pairs);
        let mut findings = body.findings;
        findings.extend(decoded.findings);
        (decoded.notification, body.free_text, findings)
    } else {
        // Refused, so not read, like an HTTP body over the limit.
        let finding = Finding::new(
            &req::NOTIFICATION_MAILTO_BODY,
            format!(
                "the message is larger than {MAX_NOTIFICATION_BYTES} bytes and was refused with {}; a receipt or alert is a few hundred bytes",
                mail.status
            ),
        );
        (Notification::default(), String::new(), vec![finding])
    };
    findings.extend(check_mail_headers(read.from.as_deref(), read.reply_to.as_deref(), read.subject.as_deref()));

    let elapsed_ms = u64::try_from(mail.at.saturating_duration_since(started).as_millis()).unwrap_or(u64::MAX);
    mail.recipients
        .iter()
        .map(|recipient| {
            let (endpoint, key) = route(recipient);
            NotificationEvent {
                key,
                at: mail.at,
                elapsed_ms,
                endpoint,
                path: recipient.clone(),
                method: SMTP_METHOD.to_owned(),
                content_type: read.content_type.clone(),
                raw: mail.raw.clone(),
                notification: notification.clone(),
                findings: findings.clone(),
                status: mail.status,
                mail: Some(MailDetails {
                    envelope_from: mail.envelope_from.clone(),
                    recipient: recipient.clone(),
                    from: read.from.clone(),
                    reply_to: read.reply_to.clone(),
                    subject: read.subject.clone(),
                    free_text: free_text.clone(),
                }),
                basic_auth: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn recipients_are_routed_by_their_last_two_segments() {
        let cases = [
            ("receipt.collect-post-valid@pens-conform.test", Endpoint::Receipt, "collect-post-valid"),
            ("alerts.k@pens-conform.test", Endpoint::Alerts, "k"),
            ("copy.receipt.k@pens-conform.test", Endpoint::Receipt, "k"),
            ("a.b.alerts.k@elsewhere.example", Endpoint::Alerts, "k"),
            ("Receipt.k@pens-conform.test", Endpoint::Receipt, "k"),
            ("receipt.k", Endpoint::Receipt, "k"),
            ("postmaster@pens-conform.test", Endpoint::Other, ""),
            ("receipts.k@pens-conform.test", Endpoint::Other, ""),
            ("k.receipt@pens-conform.test", Endpoint::Other, ""),
            ("", Endpoint::Other, ""),
        ];
        for (recipient, endpoint, key) in cases {
            assert_eq!(route(recipient), (endpoint, key.to_owned()), "{recipient}");
        }
    }

    #[test]
    fn any_key_survives_an_address() {
        for key in ["collect-post-valid", "a.b", "urn:pens-conform:1:a b/c", "é~", "", "x_1"] {
            let address = mail_address("receipt", key);
            let local = address.split('@').next().unwrap_or_default();
            assert!(
                local.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'.')),
                "{address}"
            );
            assert_eq!(route(&address), (Endpoint::Receipt, key.to_owned()), "{address}");
        }
        assert_eq!(decode_key("a~zz~4"), "a~zz~4");
    }

    fn received(raw: &str, recipients: &[&str], status: u16) -> ReceivedMail {
        ReceivedMail {
            at: Instant::now(),
            envelope_from: "bounce@lms.example".into(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
            raw: Bytes::copy_from_slice(raw.as_bytes()),
            status,
        }
    }

    #[test]
    fn a_quoted_printable_body_is_decoded_before_it_is_read() {
        let raw = "From: =?utf-8?q?R=C3=A9f_LMS?= <lms@lms.example>\r\nSubject: =?utf-8?q?Re=C3=A7u?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nMerci.\r\n\r\ncommand=3Dreceipt\r\nerror-text=3Dpackage caf=C3=A9 =\r\nretrieved\r\nerror=3D0\r\n";
        let events = notification_events(&received(raw, &["receipt.k@pens-conform.test"], 250), Instant::now());
        let [event] = events.as_slice() else { panic!("one event: {events:?}") };
        let mail = event.mail.as_ref().expect("mail details");
        assert_eq!(mail.from.as_deref(), Some("Réf LMS <lms@lms.example>"));
        assert_eq!(mail.subject.as_deref(), Some("Reçu"));
        assert_eq!(mail.free_text, "Merci.");
        assert_eq!(event.content_type.as_deref(), Some("text/plain; charset=utf-8"));
        assert_eq!(event.notification.command.as_deref(), Some("receipt"));
        assert_eq!(event.notification.error_text.as_deref(), Some("package café retrieved"));
        assert!(event.findings.is_empty(), "{:?}", event.findings);
    }

    #[test]
    fn a_message_without_headers_is_all_body() {
        let raw = "command=alert\r\nerror=0\r\n";
        let events = notification_events(&received(raw, &["alerts.k@x"], 250), Instant::now());
        assert_eq!(events[0].endpoint, Endpoint::Alerts);
        assert_eq!(events[0].notification.command.as_deref(), Some("alert"));
        let messages: Vec<&str> = events[0].findings.iter().filter_map(|f| f.element.as_deref()).collect();
        assert_eq!(messages, ["From", "Subject"]);
    }

    #[test]
    fn a_refused_message_is_not_read_but_its_headers_are() {
        let raw = "From: lms@lms.example\r\nSubject: big\r\n\r\ncommand=receipt\r\n";
        let events = notification_events(&received(raw, &["receipt.k@x"], 552), Instant::now());
        assert_eq!(events[0].status, 552);
        assert_eq!(events[0].notification, Notification::default());
        assert_eq!(events[0].mail.as_ref().and_then(|m| m.subject.as_deref()), Some("big"));
        assert_eq!(events[0].findings.len(), 1, "{:?}", events[0].findings);
        assert!(events[0].findings[0].message.contains("refused with 552"));
    }

    #[test]
    fn debug_output_hides_the_raw_message() {
        let raw = "From: lms@lms.example\r\nSubject: s\r\n\r\nsee https://bob:hunter2@h.example/\r\ncommand=receipt\r\npackage-url-password=hunter2\r\n";
        let events = notification_events(&received(raw, &["receipt.k@x"], 250), Instant::now());
        let shown = format!("{:?}", events[0]);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("bob:[redacted]@"), "{shown}");
    }
}
