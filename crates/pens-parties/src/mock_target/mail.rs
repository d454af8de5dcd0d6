//! Mailing a receipt or alert to a `mailto:` URL (CMI010 §5: receipts and alerts may
//! go by mail to one or more comma-separated addresses), through an SMTP relay, with
//! lettre.
//!
//! The message follows the App. A best practice the harness checks: a real sender and
//! reply-to address, a readable subject, a line of free text, then the notification as
//! `name=value` lines ended by CR LF. All addresses go in one message; the relay
//! delivers it to each. Nothing answers a mail (CMI010 §5), so what is recorded is the
//! relay's reply.

use std::net::SocketAddr;
use std::time::Duration;

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Mailboxes};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use pens_proto::{Mailto, Notification, NotificationKind};

/// The sender of every mail: a mailbox at the reserved test domain, so a reply to a
/// misrouted message never leaves the test bed.
pub(crate) const SENDER_ADDRESS: &str = "reference-target@pens-conform.test";

/// How long the relay may take to take a message.
const MAIL_TIMEOUT: Duration = Duration::from_secs(10);

/// What became of one mailed notification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MailOutcome {
    /// The relay's reply to the message (`250 ...`), when it took it.
    pub(crate) reply: Option<String>,
    /// Why the message could not be handed over, when it could not.
    pub(crate) failure: Option<String>,
}

/// Mails `notification` to every address of `mailto` through `relay`.
pub(crate) async fn mail(
    relay: Option<SocketAddr>,
    mailto: &Mailto,
    notification: &Notification,
    sender_name: &str,
) -> MailOutcome {
    let Some(relay) = relay else {
        return MailOutcome {
            failure: Some("no SMTP relay is configured, so the mail cannot be sent".to_owned()),
            ..MailOutcome::default()
        };
    };
    let message = match compose(mailto, notification, sender_name) {
        Ok(message) => message,
        Err(reason) => return MailOutcome { failure: Some(reason), ..MailOutcome::default() },
    };
    match tokio::time::timeout(MAIL_TIMEOUT, hand_over(relay, &message)).await {
        Ok(Ok(response)) => MailOutcome {
            reply: Some(format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" "))),
            failure: None,
        },
        Ok(Err(error)) => {
            MailOutcome { failure: Some(format!("the relay {relay} refused the mail: {error}")), reply: None }
        }
        Err(_) => MailOutcome {
            failure: Some(format!("the relay {relay} refused the mail: no answer within {} s", MAIL_TIMEOUT.as_secs())),
            reply: None,
        },
    }
}

/// One SMTP session with `relay`: greeting and EHLO, the message, QUIT. The connection is
/// made here rather than by lettre's transport so that Nagle's algorithm is off: lettre
/// writes the message and the `.` that ends it in two writes, and with Nagle on the
/// second waited for the relay's delayed acknowledgement of the first, 40 ms per mail.
async fn hand_over(relay: SocketAddr, message: &Message) -> Result<Response, String> {
    let stream = tokio::net::TcpStream::connect(relay).await.map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
        .await
        .map_err(|e| e.to_string())?;
    let sent = connection.send(message.envelope(), &message.formatted()).await.map_err(|e| e.to_string());
    connection.abort().await;
    sent
}

/// The message: headers, free text, then the `name=value` lines.
fn compose(mailto: &Mailto, notification: &Notification, sender_name: &str) -> Result<Message, String> {
    let sender: Mailbox = format!("{sender_name} <{SENDER_ADDRESS}>")
        .parse()
        .or_else(|_| SENDER_ADDRESS.parse())
        .map_err(|e| format!("the sender address is unusable: {e}"))?;
    let mut recipients = Mailboxes::new();
    for address in &mailto.addresses {
        let mailbox: Mailbox = address.parse().map_err(|e| format!("the address `{address}` is unusable: {e}"))?;
        recipients.push(mailbox);
    }
    let mut builder = Message::builder().from(sender.clone()).reply_to(sender).subject(subject(notification));
    for recipient in recipients {
        builder = builder.to(recipient);
    }
    builder.header(ContentType::TEXT_PLAIN).body(body(notification, sender_name)).map_err(|e| e.to_string())
}

/// `PENS receipt for <package-id>: 0 package retrieved`.
fn subject(notification: &Notification) -> String {
    let kind = notification.kind().map_or("notification", NotificationKind::as_str);
    format!(
        "PENS {kind} for {}: {} {}",
        notification.package_id.as_deref().unwrap_or("a package"),
        notification.error.as_deref().unwrap_or("-"),
        notification.error_text.as_deref().unwrap_or_default()
    )
    .trim_end()
    .to_owned()
}

/// One line of free text, a blank line, then each field as `name=value` CR LF.
fn body(notification: &Notification, sender_name: &str) -> String {
    let kind = notification.kind().map_or("notification", NotificationKind::as_str);
    let mut text = format!("This is a PENS {kind} from {sender_name}.\r\n\r\n");
    for (name, value) in notification.pairs() {
        text.push_str(name);
        text.push('=');
        text.push_str(value);
        text.push_str("\r\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use pens_proto::ErrorCode;

    use super::*;

    fn mailto(addresses: &[&str]) -> Mailto {
        Mailto { addresses: addresses.iter().map(|a| (*a).to_owned()).collect(), headers: Vec::new() }
    }

    #[test]
    fn the_body_is_free_text_then_crlf_lines() {
        let notification = Notification::receipt("urn:x:1", "LMS", ErrorCode(0), "package retrieved");
        let text = body(&notification, "LMS");
        assert!(text.starts_with("This is a PENS receipt from LMS.\r\n\r\ncommand=receipt\r\n"), "{text}");
        assert!(text.contains("package-id=urn:x:1\r\n") && text.ends_with("\r\n"), "{text}");
        assert_eq!(Notification::from_mail_body(&text).error_code(), Some(ErrorCode(0)));
        assert_eq!(subject(&notification), "PENS receipt for urn:x:1: 0 package retrieved");
    }

    #[test]
    fn every_address_is_a_recipient() {
        let notification = Notification::receipt("urn:x:1", "LMS", ErrorCode(0), "ok");
        let message = compose(&mailto(&["a.k@pens-conform.test", "b.k@pens-conform.test"]), &notification, "LMS")
            .expect("composed");
        let to: Vec<String> = message.envelope().to().iter().map(ToString::to_string).collect();
        assert_eq!(to, ["a.k@pens-conform.test", "b.k@pens-conform.test"]);
        assert!(compose(&mailto(&["not an address"]), &notification, "LMS").is_err());
    }

    #[tokio::test]
    async fn without_a_relay_nothing_is_sent_and_the_reason_is_recorded() {
        let notification = Notification::receipt("urn:x:1", "LMS", ErrorCode(0), "ok");
        let outcome = mail(None, &mailto(&["a.k@pens-conform.test"]), &notification, "LMS").await;
        assert!(outcome.reply.is_none());
        assert!(outcome.failure.is_some_and(|f| f.contains("no SMTP relay")));
    }
}
