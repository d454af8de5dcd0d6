//! What the target did in one scenario, told in one line from the evidence: the note of
//! a security scenario, so that a report says what the LMS did with the hostile
//! package or values ("answered 0; requested the package …; sent 1 receipt: 1432 …"),
//! whatever its checks concluded.

use pens_parties::NotificationEvent;

use crate::evidence::Evidence;

/// The account, without a final full stop.
pub(crate) fn account(evidence: &Evidence) -> String {
    let mut parts = vec![answer(evidence)];
    parts.push(match (evidence.staging.len(), evidence.staging.last()) {
        (0, _) | (_, None) => "never requested the package from staging".to_owned(),
        (count, Some(last)) => format!(
            "requested the package {} ({} {} over {}: {}, {} bytes, {}){}",
            times(count),
            last.method,
            last.path,
            last.protocol,
            last.status,
            last.bytes_sent,
            if last.completed { "complete" } else { "incomplete" },
            if evidence.staging.iter().any(pens_parties::StagingEvent::is_whole_download) {
                ""
            } else {
                ", never downloaded whole"
            }
        ),
    });
    if !evidence.internal.is_empty() {
        parts.push(format!("requested the internal URL {}", times(evidence.internal.len())));
    }
    parts.push(notifications("receipt", &evidence.receipts()));
    parts.push(notifications("alert", &evidence.alerts()));
    format!("what the target did: {}", parts.join("; "))
}

fn answer(evidence: &Evidence) -> String {
    match (&evidence.exchange.outcome, evidence.answered) {
        (Ok(_), Some(code)) => format!("answered {code}"),
        (Ok(answer), None) => format!("answered HTTP {} without a readable error code", answer.status),
        (Err(error), _) => format!("did not answer ({error})"),
    }
}

fn times(count: usize) -> String {
    if count == 1 { "once".to_owned() } else { format!("{count} times") }
}

/// `sent 1 receipt: 1432 ("…")`, each error-text redacted (passwords in URLs) and cut.
fn notifications(what: &str, events: &[&NotificationEvent]) -> String {
    if events.is_empty() {
        return format!("sent no {what}");
    }
    let each: Vec<String> = events
        .iter()
        .map(|event| {
            let code = event.notification.error.as_deref().unwrap_or("no error");
            match event.notification.error_text.as_deref().filter(|t| !t.is_empty()) {
                Some(text) => format!("{code} (\"{}\")", pens_proto::redact(text)),
                None => code.to_owned(),
            }
        })
        .collect();
    let plural = if events.len() == 1 { "" } else { "s" };
    format!("sent {} {what}{plural}: {}", events.len(), each.join(", "))
}

#[cfg(test)]
mod tests {
    use super::account;
    use crate::evaluate::testing::valid;

    #[test]
    fn the_account_tells_the_answer_the_fetch_and_the_notifications() {
        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 1432);
        assert_eq!(
            account(&evidence),
            "what the target did: answered 0; requested the package once (GET /s/unit/scorm12-minimal.zip over \
             http: 200, 1024 bytes, complete); sent 1 receipt: 1432 (\"done\"); sent no alert"
        );
        let refused = valid().answered_with(2011);
        assert_eq!(
            account(&refused),
            "what the target did: answered 2011; never requested the package from staging; sent no receipt; sent no alert"
        );
    }
}
