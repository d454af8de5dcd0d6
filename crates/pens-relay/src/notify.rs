//! The notification relay: the target's receipts and alerts (CMI010 §5.1) reach the
//! relay's collector, which records them as in target mode and hands each to
//! [`NotifyRelay`]. It passes the message on to the client's real URL with the same
//! method, media type, body and credentials, records the client's answer as client
//! mode's mock target records one ([`Delivery`]), and returns that answer to the target
//! unchanged: status, media type, body and every header but the connection's. A mailed one is passed on, byte for byte, through the SMTP relay toward
//! the client's own addresses ([`super::RelayOptions::smtp_relay`]).
//!
//! When the client cannot be reached or does not answer in time the target gets a
//! plain-text 502 or 504, recorded as not relayed: no PENS answer of the client. One
//! that has nowhere to go (a path the relay never handed out, no URL of the client's
//! for it) gets a plain-text 503, recorded the same way.

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use pens_proto::{ErrorCode, Notification, NotificationKind, decode_body, decode_form, parse_response, redact};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};

use super::Shared;
use super::record::Leg;
use pens_parties::internals::chain;
use pens_parties::internals::{AnswerProblem, parser_breach, read_answer};
use pens_parties::{ArrivedNotification, Endpoint, NotificationEvent, NotificationRelay, RelayedAnswer};
use pens_parties::{Delivery, DeliveryMethod, MAX_ANSWER_RAW_BYTES, TargetEventKind};

/// How long the SMTP relay may take to take a message.
const MAIL_TIMEOUT: Duration = Duration::from_secs(10);

/// Answers the collector's receipts and alerts of the relay's publishes with the real
/// client's answers. Holds the relay weakly: the collector it is registered with
/// belongs to the relay.
pub(crate) struct NotifyRelay {
    shared: Weak<Shared>,
}

impl NotifyRelay {
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        NotifyRelay { shared: Arc::downgrade(shared) }
    }
}

#[async_trait::async_trait]
impl NotificationRelay for NotifyRelay {
    async fn relay(&self, arrived: ArrivedNotification) -> Option<RelayedAnswer> {
        // The relay is gone (its run is over): the collector answers its own 503.
        let shared = self.shared.upgrade()?;
        // The collector has just recorded it: waiters look at the record again.
        shared.records.touch(&arrived.key);
        // Where it cannot be passed on, the target gets the relay's 503, recorded: the
        // collector's PENS answer would be a success in the client's name.
        let refuse = |leg: Leg, reason: String| {
            shared.records.update(&arrived.key, |record| record.not_relayed(leg, Some(503), reason.clone()));
            Some(plain(503, format!("pens-conform relay: not relayed: {reason}\r\n")))
        };
        let (kind, leg) = match arrived.endpoint {
            Endpoint::Receipt => (NotificationKind::Receipt, Leg::Receipt),
            Endpoint::Alerts => (NotificationKind::Alert, Leg::Alert),
            Endpoint::Other => {
                let reason = "a path of the relay's collector that is neither the receipt nor the alerts URL it \
                              handed out, so there is no client URL to pass it on to";
                return refuse(Leg::OtherPath, reason.to_owned());
            }
        };
        let Some(publish) = shared.publish(&arrived.key) else {
            return refuse(leg, "the relay holds no publish for this key".to_owned());
        };
        let original = match arrived.endpoint {
            Endpoint::Receipt => publish.receipt.clone(),
            _ => publish.alerts.clone(),
        };
        let Some(original) = original else {
            let element = if leg == Leg::Receipt { "receipt" } else { "alerts" };
            return refuse(leg, format!("the client gave no http or https {element} URL to pass it on to"));
        };
        let via = match arrived.method.as_str() {
            "GET" => DeliveryMethod::Get,
            "POST" => DeliveryMethod::Post,
            other => {
                let reason = format!("the relay passes receipts and alerts on by GET and POST, not {other}");
                shared.records.update(&arrived.key, |record| record.not_relayed(leg, Some(502), reason.clone()));
                return Some(plain(502, format!("pens-conform relay: not relayed: {reason}\r\n")));
            }
        };
        let decoded = decoded(&arrived);
        let url = with_query(&original, arrived.query.as_deref());
        let mut request = match via {
            DeliveryMethod::Get => shared.notify_client.get(&url),
            DeliveryMethod::Post => {
                let post = shared.notify_client.post(&url).body(arrived.body.clone());
                match &arrived.content_type {
                    Some(content_type) => post.header(CONTENT_TYPE, content_type),
                    None => post,
                }
            }
        };
        if let Some(authorization) = &arrived.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let timeout = shared.options.notify_timeout;
        let started = Instant::now();
        let (delivery, answer) = deliver(request.timeout(timeout), &shared.options.limits.answer(), started).await;
        let secrets = &publish.secrets;
        let shown_delivery = Delivery {
            answer_raw: delivery.answer_raw.as_deref().map(|raw| secrets.scrub_bytes(raw)),
            failure: delivery.failure.as_deref().map(|failure| secrets.scrub(failure)),
            ..delivery.clone()
        };
        let event = TargetEventKind::NotificationSent {
            kind,
            method: via,
            url: secrets.scrub(&redact(&original)),
            error: decoded.error_code().unwrap_or(ErrorCode::SUCCESS),
            package_id: decoded.package_id.clone(),
            fields: fields(&arrived),
            delivery: shown_delivery,
        };
        let relay_started = shared.started;
        let reply = match answer {
            Some(answer) => answer,
            None => {
                let (status, what) = match (&delivery.breach, &delivery.failure) {
                    (Some(breach), _) => {
                        (502, format!("the client's answer is beyond what the relay reads ({breach})"))
                    }
                    (None, Some(failure)) if started.elapsed() >= timeout => {
                        (504, format!("the client did not answer in time ({failure})"))
                    }
                    (None, Some(failure)) => (502, format!("the client could not be reached ({failure})")),
                    (None, None) => (502, "the client's answer broke off".to_owned()),
                };
                let what = secrets.scrub(&what);
                shared.records.update(&arrived.key, |record| record.not_relayed(leg, Some(status), what.clone()));
                plain(status, format!("pens-conform relay: not relayed: {what}\r\n"))
            }
        };
        shared.records.update(&arrived.key, |record| record.client_event(relay_started, event));
        Some(reply)
    }

    fn mail_arrived(&self, event: NotificationEvent) {
        let Some(shared) = self.shared.upgrade() else { return };
        let worker = Arc::clone(&shared);
        shared.spawn(async move { pass_mail_on(&worker, event).await });
    }
}

/// Sends `request` and reads the answer within `limits`: what client mode records of
/// it, and the answer for the target when a whole one came.
async fn deliver(
    request: reqwest::RequestBuilder,
    limits: &pens_parties::AnswerLimits,
    started: Instant,
) -> (Delivery, Option<RelayedAnswer>) {
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            if let Some(breach) = parser_breach(&error) {
                return (Delivery { breach: Some(breach), ..Delivery::default() }, None);
            }
            return (Delivery { failure: Some(chain(&error.without_url())), ..Delivery::default() }, None);
        }
    };
    let http_status = Some(response.status().as_u16());
    let content_type = response.headers().get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let latency = || Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    match read_answer(response, limits).await {
        Ok(answer) => {
            let kept = &answer.body[..answer.body.len().min(MAX_ANSWER_RAW_BYTES)];
            let delivery = Delivery {
                http_status,
                content_type: content_type.clone(),
                answer_raw: Some(kept.to_vec()),
                pens_error: parse_response(&answer.body).error,
                latency_ms: latency(),
                failure: None,
                breach: None,
            };
            let headers = crate::headers::passed_on(&answer.headers)
                .into_iter()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                .collect();
            let relayed = RelayedAnswer { status: answer.status, content_type, headers, body: answer.body };
            (delivery, Some(relayed))
        }
        Err(AnswerProblem::Breach(breach)) => (
            Delivery { http_status, content_type, latency_ms: latency(), breach: Some(breach), ..Delivery::default() },
            None,
        ),
        Err(AnswerProblem::Broken { what, partial }) => {
            // Judged as far as it came, as the mock target judges it; the target gets
            // the relay's 502, since no whole answer came to pass on.
            tracing::debug!("the client's answer to a relayed notification broke off: {what}");
            let kept = &partial[..partial.len().min(MAX_ANSWER_RAW_BYTES)];
            let delivery = Delivery {
                http_status,
                content_type,
                answer_raw: Some(kept.to_vec()),
                pens_error: parse_response(&partial).error,
                latency_ms: latency(),
                failure: None,
                breach: None,
            };
            (delivery, None)
        }
    }
}

/// The notification as the collector read it.
fn decoded(arrived: &ArrivedNotification) -> Notification {
    let form = if arrived.method == "GET" || arrived.body.is_empty() {
        decode_form(arrived.query.as_deref().unwrap_or_default().as_bytes())
    } else {
        decode_body(arrived.content_type.as_deref(), &arrived.body)
    };
    Notification::from_pairs(&form.pairs).notification
}

/// The names of the fields it carried, in order.
fn fields(arrived: &ArrivedNotification) -> Vec<String> {
    let form = if arrived.method == "GET" || arrived.body.is_empty() {
        decode_form(arrived.query.as_deref().unwrap_or_default().as_bytes())
    } else {
        decode_body(arrived.content_type.as_deref(), &arrived.body)
    };
    form.pairs.into_iter().map(|(name, _)| name).collect()
}

/// The client's URL with the query the target sent in place of its own: the relay's
/// URL carried the client's query, so a target that keeps it sends it back, and one
/// that mangles it is seen doing so.
pub(crate) fn with_query(original: &str, query: Option<&str>) -> String {
    let (base, fragment) = match original.find('#') {
        Some(at) => original.split_at(at),
        None => (original, ""),
    };
    let base = base.split_once('?').map_or(base, |(base, _)| base);
    match query {
        Some(query) => format!("{base}?{query}{fragment}"),
        None => format!("{base}{fragment}"),
    }
}

fn plain(status: u16, text: String) -> RelayedAnswer {
    RelayedAnswer {
        status,
        content_type: Some("text/plain; charset=utf-8".to_owned()),
        headers: Vec::new(),
        body: Bytes::from(text),
    }
}

/// Passes a mailed receipt or alert on, byte for byte, toward the client's own
/// addresses, and records what the SMTP relay answered.
async fn pass_mail_on(shared: &Shared, event: NotificationEvent) {
    let Some(publish) = shared.publish(&event.key) else { return };
    let (kind, leg, mailto) = match event.endpoint {
        Endpoint::Receipt => (NotificationKind::Receipt, Leg::Receipt, publish.receipt_mail.clone()),
        Endpoint::Alerts => (NotificationKind::Alert, Leg::Alert, publish.alerts_mail.clone()),
        Endpoint::Other => return,
    };
    let Some(mailto) = mailto else { return };
    let from = event.mail.as_ref().map(|mail| mail.envelope_from.clone()).unwrap_or_default();
    let (reply, failure) = match shared.options.smtp_relay {
        None => (None, Some("no SMTP relay toward the client is set, so the mail was not passed on".to_owned())),
        Some(relay) => {
            match tokio::time::timeout(MAIL_TIMEOUT, hand_over(relay, &from, &mailto.addresses, &event.raw)).await {
                Ok(Ok(reply)) => (Some(reply), None),
                Ok(Err(error)) => (None, Some(format!("the relay {relay} refused the mail: {error}"))),
                Err(_) => {
                    (None, Some(format!("the relay {relay} did not take the mail within {} s", MAIL_TIMEOUT.as_secs())))
                }
            }
        }
    };
    let kind_event = TargetEventKind::NotificationMailed {
        kind,
        to: mailto.addresses.clone(),
        error: event.notification.error_code().unwrap_or(ErrorCode::SUCCESS),
        package_id: event.notification.package_id.clone(),
        reply,
        failure: failure.clone(),
    };
    let started = shared.started;
    shared.records.update(&event.key, |record| {
        record.client_event(started, kind_event);
        if let Some(failure) = failure {
            record.not_relayed(leg, None, failure);
        }
    });
}

/// One SMTP session: the message as it came, from the target's envelope sender to the
/// client's addresses.
async fn hand_over(relay: SocketAddr, from: &str, to: &[String], raw: &[u8]) -> Result<String, String> {
    let from = if from.is_empty() { None } else { Some(from.parse::<Address>().map_err(|e| e.to_string())?) };
    let to =
        to.iter().map(|a| a.parse::<Address>().map_err(|e| format!("`{a}`: {e}"))).collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::new(from, to).map_err(|e| e.to_string())?;
    let stream = tokio::net::TcpStream::connect(relay).await.map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
        .await
        .map_err(|e| e.to_string())?;
    let sent = connection.send(&envelope, raw).await.map_err(|e| e.to_string());
    connection.abort().await;
    sent.map(|response| format!("{} {}", response.code(), response.message().collect::<Vec<_>>().join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_query_replaces_the_client_one() {
        assert_eq!(with_query("http://c/r?s=1#f", Some("s=1&command=receipt")), "http://c/r?s=1&command=receipt#f");
        assert_eq!(with_query("http://c/r?s=1", None), "http://c/r");
        assert_eq!(with_query("http://c/r", Some("a=b")), "http://c/r?a=b");
    }
}
