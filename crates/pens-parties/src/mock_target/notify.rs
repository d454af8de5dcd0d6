//! Receipts and alerts: the messages a target sends back after a collect (CMI010 §5.1).
//!
//! Each is a PENS message of its own, sent to the `receipt` or `alerts` URL of the
//! collect as a form POST (or, when a script says so, as a GET query), carrying the
//! collect's package data plus the outcome, in the shape of the spec's Appendix A
//! examples. The client's answer is recorded exactly ([`Delivery`]) for client mode to
//! judge, and never acted on: the spec asks nothing of a target whose receipt is
//! refused, and a reference target that failed on a sloppy client would hide the
//! client's fault behind its own.

use std::time::{Duration, Instant};

use pens_proto::{
    AckUrl, CollectCommand, ErrorCode, FORM_CONTENT_TYPE, Notification, NotificationKind, PENS_VERSION, append_query,
    parse_ack_url, parse_response,
};
use reqwest::Client;
use reqwest::header::CONTENT_TYPE;

use super::activity::{Delivery, MAX_ANSWER_RAW_BYTES};
use super::fetch::chain;
use super::script::DeliveryMethod;
use crate::answer::{AnswerProblem, parser_breach, read_answer};
use crate::limits::AnswerLimits;

/// How long the client may take to answer a receipt or alert.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds a receipt or alert about `command`: the collect's package data (only the
/// elements it had), the target's own name as `client`, and the outcome.
pub(crate) fn notification(
    kind: NotificationKind,
    command: &CollectCommand,
    package_id: Option<String>,
    client_name: &str,
    error: ErrorCode,
    error_text: &str,
) -> Notification {
    Notification {
        command: Some(kind.as_str().to_owned()),
        pens_version: Some(PENS_VERSION.to_owned()),
        package_type: command.package_type.clone(),
        package_type_version: command.package_type_version.clone(),
        package_format: command.package_format.clone(),
        package_id,
        package_url: command.package_url.clone(),
        package_url_expiry: command.package_url_expiry.clone(),
        client: Some(client_name.to_owned()),
        error: Some(error.to_string()),
        error_text: Some(error_text.to_owned()),
        extra: Vec::new(),
    }
}

/// The receipt or alert `content` asks for: [`notification`]'s, or only the fields of
/// [`super::script::MINIMAL_NOTIFICATION_FIELDS`] (`command`, `package-id`, `error`).
pub(crate) fn shaped(full: Notification, content: super::script::NotificationContent) -> Notification {
    match content {
        super::script::NotificationContent::Full => full,
        super::script::NotificationContent::Minimal => Notification {
            command: full.command,
            package_id: full.package_id,
            error: full.error,
            ..Notification::default()
        },
    }
}

/// Where a notification can go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    /// An `http(s)://` URL.
    Http(reqwest::Url),
    /// The addresses of a `mailto:` URL, when the target mails that kind.
    Mail(pens_proto::Mailto),
    /// Nowhere: the reason, for the activity log.
    Unusable(String),
}

/// Reads the `receipt` or `alerts` value of a collect. A `mailto:` URL is usable when the
/// target mails that kind (`mails`); otherwise the collect was already answered
/// 1510/1520 and only a script that forces an answer of 0 gets here (CMI010 §5, §6.3).
pub(crate) fn destination(kind: NotificationKind, value: Option<&str>, mails: bool) -> Destination {
    let element = match kind {
        NotificationKind::Receipt => "receipt",
        NotificationKind::Alert => "alerts",
    };
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Destination::Unusable(format!("the collect has no {element} url"));
    };
    match parse_ack_url(value) {
        // A URL valid by the RFCs may still name nothing to connect to (no host, a port
        // beyond 65535): the collect was answered by the syntax, delivery fails here.
        Ok(AckUrl::Http(http)) => match http.deliverable() {
            Ok(url) => Destination::Http(url.clone()),
            Err(why) => Destination::Unusable(format!("the {element} url cannot be delivered to: {why}")),
        },
        Ok(AckUrl::Mailto(mailto)) if mails => Destination::Mail(mailto),
        Ok(AckUrl::Mailto(_)) => Destination::Unusable(format!(
            "this target does not mail {element}, and the {element} url is a mailto: url"
        )),
        Err(error) => Destination::Unusable(format!("the {element} url is unusable: {error}")),
    }
}

/// Sends `notification` to `url` by `method` (a form body, or the query of `url` with
/// the message appended) and records the answer as it came, read within `limits`.
pub(crate) async fn send(
    client: &Client,
    url: reqwest::Url,
    method: DeliveryMethod,
    notification: &Notification,
    limits: &AnswerLimits,
) -> Delivery {
    let request = match method {
        DeliveryMethod::Post => client.post(url).header(CONTENT_TYPE, FORM_CONTENT_TYPE).body(notification.to_form()),
        DeliveryMethod::Get => client.get(append_query(url.as_str(), &notification.to_form())),
    };
    let started = Instant::now();
    let response = match request.timeout(NOTIFY_TIMEOUT).send().await {
        Ok(response) => response,
        Err(error) => {
            if let Some(breach) = parser_breach(&error) {
                return Delivery { breach: Some(breach), ..Delivery::default() };
            }
            let failure = chain(&error.without_url());
            tracing::debug!(kind = ?notification.kind(), "delivery failed: {failure}");
            return Delivery { failure: Some(failure), ..Delivery::default() };
        }
    };
    let http_status = Some(response.status().as_u16());
    let content_type = response.headers().get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let latency = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let body = match read_answer(response, limits).await {
        Ok(answer) => answer.body,
        Err(AnswerProblem::Breach(breach)) => {
            tracing::debug!(kind = ?notification.kind(), "answer not read: {breach}");
            let latency_ms = Some(latency());
            return Delivery { http_status, content_type, latency_ms, breach: Some(breach), ..Delivery::default() };
        }
        // A body that fails midway is judged as far as it came.
        Err(AnswerProblem::Broken { partial, .. }) => partial,
    };
    let latency_ms = latency();
    let parsed = parse_response(&body);
    tracing::debug!(
        kind = ?notification.kind(),
        status = ?http_status,
        error = ?parsed.error,
        findings = parsed.findings.len(),
        "the client answered the notification"
    );
    let kept = &body[..body.len().min(MAX_ANSWER_RAW_BYTES)];
    Delivery {
        http_status,
        content_type,
        answer_raw: Some(kept.to_vec()),
        pens_error: parsed.error,
        latency_ms: Some(latency_ms),
        failure: None,
        breach: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_echoes_the_collect_and_signs_with_the_target_name() {
        let mut command = CollectCommand::example();
        command.package_url_password = Some("s3cret".into());
        command.package_format = None;
        let receipt = notification(
            NotificationKind::Receipt,
            &command,
            command.package_id.clone(),
            "Reference",
            ErrorCode(1310),
            "gone",
        );
        assert_eq!(receipt.kind(), Some(NotificationKind::Receipt));
        assert_eq!(receipt.package_id, command.package_id);
        assert_eq!(receipt.package_url, command.package_url);
        assert_eq!(receipt.client.as_deref(), Some("Reference"));
        assert_eq!(receipt.error_code(), Some(ErrorCode(1310)));
        assert_eq!(receipt.package_format, None);
        assert!(!receipt.to_form().contains("s3cret"));
    }

    #[test]
    fn http_urls_and_mailto_when_mailing_are_destinations() {
        let http = destination(NotificationKind::Receipt, Some("http://127.0.0.1:9/r"), false);
        assert!(matches!(http, Destination::Http(_)), "{http:?}");
        for value in [None, Some(""), Some("mailto:a@b.example"), Some("ftp://h/r"), Some("nonsense")] {
            let unusable = destination(NotificationKind::Alert, value, false);
            assert!(matches!(unusable, Destination::Unusable(_)), "{value:?}: {unusable:?}");
        }
        let mail = destination(NotificationKind::Alert, Some("mailto:a@b.example,c@d.example"), true);
        let Destination::Mail(mailto) = mail else { panic!("{mail:?}") };
        assert_eq!(mailto.addresses, ["a@b.example", "c@d.example"]);
    }
}
