//! The evidence as report [`Exchange`]s: the exact bytes (renderers make control
//! characters visible), secrets redacted.

use pens_proto::{redact_form, redact_form_bytes, redact_lines_bytes};
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
            // The status and headers as the HTTP client parsed them (its framing is not
            // kept; a URL's password hidden, as in a `Location`), then the body's exact
            // bytes.
            let headers: Vec<String> =
                answer.headers.iter().map(|(n, v)| format!("{n}: {}", pens_proto::redact_userinfo(v))).collect();
            let mut response = format!("HTTP {}\n{}\n\n", answer.status, headers.join("\n")).into_bytes();
            response.extend_from_slice(&answer.body);
            (format!("{request_line} -> {} ({} bytes)", answer.status, answer.body.len()), Some(response))
        }
        Err(error) => (format!("{request_line} -> no answer: {error}"), None),
    };
    let mut collect = Exchange::new(ExchangeKind::Collect, evidence.offset_ms(exchange.started), summary)
        .with_request(request)
        .with_latency(exchange.latency_ms);
    if let Some(response) = response {
        collect = collect.with_response(response);
    }
    exchanges.push(collect);
    for event in &evidence.staging {
        let credentials = match &event.credentials {
            pens_parties::CredentialsPresented::None => "no credentials".to_owned(),
            pens_parties::CredentialsPresented::Valid => "valid credentials".to_owned(),
            pens_parties::CredentialsPresented::Wrong { user } => format!("wrong credentials (user `{user}`)"),
            pens_parties::CredentialsPresented::Unrequested { user } => {
                format!("unrequested credentials (user `{user}`)")
            }
        };
        // Which FTPS the target spoke (CMI010 §5 does not say): the evidence for a
        // vendor whose ftps:// fetch failed.
        let protocol = match event.ftps_mode {
            Some(mode) => format!("{} ({})", event.protocol, mode.describe()),
            None => event.protocol.clone(),
        };
        let summary = format!(
            "{} {} over {protocol} -> {}, {} bytes, {}, {credentials}",
            event.method,
            event.path,
            event.status,
            event.bytes_sent,
            if event.completed { "complete" } else { "incomplete" }
        );
        exchanges.push(
            Exchange::new(ExchangeKind::StagingFetch, evidence.offset_ms(event.at), summary)
                .with_latency(Some(event.duration_ms)),
        );
    }
    for refused in &evidence.refused_logins {
        exchanges.push(Exchange::new(
            ExchangeKind::StagingFetch,
            evidence.offset_ms(refused.at),
            format!("{} login as `{}` -> 530, refused (wrong password)", refused.protocol, refused.user),
        ));
    }
    for event in &evidence.notifications {
        let kind = match event.endpoint {
            pens_parties::Endpoint::Alerts => ExchangeKind::Alert,
            _ => ExchangeKind::Receipt,
        };
        let (summary, request) = match &event.mail {
            Some(mail) => (
                format!(
                    "mail to {} from {} ({}) -> {}",
                    mail.recipient,
                    mail.from.as_deref().or(mail.reply_to.as_deref()).unwrap_or(&mail.envelope_from),
                    mail.subject.as_deref().map_or("no subject".to_owned(), |s| format!("subject \"{s}\"")),
                    event.status
                ),
                redact_lines_bytes(&event.raw),
            ),
            None => (
                format!(
                    "{} {} ({}) -> {}",
                    event.method,
                    event.path,
                    event.content_type.as_deref().unwrap_or("no content type"),
                    event.status
                ),
                redact_form_bytes(&event.raw),
            ),
        };
        exchanges.push(Exchange::new(kind, evidence.offset_ms(event.at), summary).with_request(request));
    }
    exchanges.sort_by_key(|e| e.at_ms);
    exchanges
}
