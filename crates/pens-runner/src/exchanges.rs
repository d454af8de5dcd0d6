//! The evidence as report [`Exchange`]s: the exact bytes as text, control characters
//! visible, secrets redacted.

use pens_proto::redact_form;
use pens_report::{Exchange, ExchangeKind};

use crate::evidence::Evidence;

/// Every exchange of a scenario, in order of time.
pub(crate) fn exchanges(evidence: &Evidence) -> Vec<Exchange> {
    let mut exchanges = Vec::new();
    let exchange = &evidence.exchange;
    let (line, query) = match exchange.request_line.split_once('?') {
        Some((head, query)) => (head.to_owned(), Some(redact_form(query))),
        None => (exchange.request_line.clone(), None),
    };
    let request_line = match &query {
        Some(query) => format!("{line}?{query}"),
        None => line,
    };
    let request = if exchange.request_body.is_empty() {
        request_line.clone()
    } else {
        format!("{request_line}\n\n{}", redact_form(&exchange.request_body))
    };
    let (summary, response) = match &exchange.outcome {
        Ok(answer) => {
            let headers: Vec<String> = answer.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            (
                format!("{request_line} -> {} ({} bytes)", answer.status, answer.body.len()),
                Some(format!("HTTP {}\n{}\n\n{}", answer.status, headers.join("\n"), visible(&answer.body))),
            )
        }
        Err(error) => (format!("{request_line} -> no answer: {error}"), None),
    };
    exchanges.push(Exchange {
        kind: ExchangeKind::Collect,
        at_ms: evidence.offset_ms(exchange.started),
        summary,
        request: Some(request),
        response,
        latency_ms: exchange.latency_ms,
    });
    for event in &evidence.staging {
        let credentials = match &event.credentials {
            pens_mock::CredentialsPresented::None => "no credentials".to_owned(),
            pens_mock::CredentialsPresented::Valid => "valid credentials".to_owned(),
            pens_mock::CredentialsPresented::Wrong { user } => format!("wrong credentials (user `{user}`)"),
            pens_mock::CredentialsPresented::Unrequested { user } => format!("unrequested credentials (user `{user}`)"),
        };
        // Which FTPS the target spoke (CMI010 §5 does not say): the evidence for a
        // vendor whose ftps:// fetch failed.
        let protocol = match event.ftps_mode {
            Some(mode) => format!("{} ({})", event.protocol, mode.describe()),
            None => event.protocol.clone(),
        };
        exchanges.push(Exchange {
            kind: ExchangeKind::StagingFetch,
            at_ms: evidence.offset_ms(event.at),
            summary: format!(
                "{} {} over {protocol} -> {}, {} bytes, {}, {credentials}",
                event.method,
                event.path,
                event.status,
                event.bytes_sent,
                if event.completed { "complete" } else { "incomplete" }
            ),
            request: None,
            response: None,
            latency_ms: Some(event.duration_ms),
        });
    }
    for refused in &evidence.refused_logins {
        exchanges.push(Exchange {
            kind: ExchangeKind::StagingFetch,
            at_ms: evidence.offset_ms(refused.at),
            summary: format!("{} login as `{}` -> 530, refused (wrong password)", refused.protocol, refused.user),
            request: None,
            response: None,
            latency_ms: None,
        });
    }
    for event in &evidence.notifications {
        let kind = match event.endpoint {
            pens_mock::Endpoint::Alerts => ExchangeKind::Alert,
            _ => ExchangeKind::Receipt,
        };
        let raw = String::from_utf8_lossy(&event.raw[..event.raw.len().min(MAX_SHOWN_BYTES)]);
        let (summary, request) = match &event.mail {
            Some(mail) => (
                format!(
                    "mail to {} from {} ({}) -> {}",
                    mail.recipient,
                    mail.from.as_deref().or(mail.reply_to.as_deref()).unwrap_or(&mail.envelope_from),
                    mail.subject.as_deref().map_or("no subject".to_owned(), |s| format!("subject \"{s}\"")),
                    event.status
                ),
                pens_proto::redact_lines(&raw),
            ),
            None => (
                format!(
                    "{} {} ({}) -> {}",
                    event.method,
                    event.path,
                    event.content_type.as_deref().unwrap_or("no content type"),
                    event.status
                ),
                redact_form(&raw),
            ),
        };
        exchanges.push(Exchange {
            kind,
            at_ms: evidence.offset_ms(event.at),
            summary,
            request: Some(request),
            response: None,
            latency_ms: None,
        });
    }
    exchanges.sort_by_key(|e| e.at_ms);
    exchanges
}

/// Most of a body kept in the report: enough to see what went wrong, bounded so that a
/// target answering megabytes cannot balloon the report.
const MAX_SHOWN_BYTES: usize = 16 * 1024;

/// Bytes as text with CR, LF and other control characters visible (LF keeps its line
/// break), cut after [`MAX_SHOWN_BYTES`].
fn visible(bytes: &[u8]) -> String {
    let (head, cut) = if bytes.len() > MAX_SHOWN_BYTES { (&bytes[..MAX_SHOWN_BYTES], true) } else { (bytes, false) };
    let mut shown = visible_text(head);
    if cut {
        shown.push_str(&format!("\n... ({} bytes in all; the first {MAX_SHOWN_BYTES} are shown)", bytes.len()));
    }
    shown
}

fn visible_text(bytes: &[u8]) -> String {
    pens_report::show_controls(&String::from_utf8_lossy(bytes), true)
}
