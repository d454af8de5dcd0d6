//! Evidence lost to saturation: the one rule, for every check, that a failure because
//! something did not arrive is not a failure when the listener that would have carried
//! it was full while the scenario waited.
//!
//! Each listener of the harness serves at most `[limits] connections` at once. When a
//! peer holds every slot (thousands of idle connections, a slowloris flood, a receipt
//! flood), the next connection waits in the kernel's queue, or a connection without a
//! request is closed to make room, or, out of descriptors, one cannot be accepted. The
//! listener cannot tell what those connections would have carried: the fetch or the
//! receipt a scenario waits for may have been among them. A check that fails only
//! because that evidence is missing is therefore `inconclusive`, saying so, never
//! `fail` (a false failure costs a vendor days): the evidence cannot support it.
//!
//! Which checks depend on which listener is decided here, once, by requirement: a
//! missing fetch makes the fetch checks and the target's own account of the retrieval
//! (its receipt's and alerts' outcome, "success but never requested") unreliable; a
//! missing receipt its count, outcome and order; missing alerts theirs. A check whose
//! evidence did arrive (a second receipt, a receipt reporting 1310 with a fetch on
//! record) keeps its verdict.

use pens_report::{CheckResult, Verdict};

use crate::evaluate::Judgement;
use crate::evidence::{Evidence, Listener, Saturated};

/// The failed checks that `what`, missing, may explain.
fn depends_on(what: Missing) -> &'static [&'static str] {
    match what {
        Missing::Fetch => &[
            "target.fetch.http",
            "target.fetch.https",
            "target.fetch.credentials",
            "target.receipt.outcome",
            "target.receipt.after-fetch",
            "target.alerts.outcome",
        ],
        Missing::Receipt => &[
            "target.receipt.sent",
            "target.receipt.outcome",
            "target.receipt.after-fetch",
            "target.alerts.after-receipt",
        ],
        Missing::Alerts => &["target.alerts.sent", "target.alerts.outcome"],
    }
}

/// What did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Missing {
    Fetch,
    Receipt,
    Alerts,
}

impl Missing {
    fn text(self) -> &'static str {
        match self {
            Missing::Fetch => "the package fetch",
            Missing::Receipt => "its receipt",
            Missing::Alerts => "its alerts",
        }
    }
}

/// What the evidence lacks that `saturated` would have carried.
fn missing(evidence: &Evidence, saturated: &Saturated) -> Vec<Missing> {
    match saturated.listener {
        Listener::Staging if evidence.staging.is_empty() => vec![Missing::Fetch],
        // Client mode judges its own (`client::evaluate`), with the same account.
        Listener::Staging | Listener::MockTarget => Vec::new(),
        Listener::Collector => {
            let over_http = |n: &&pens_parties::NotificationEvent| n.mail.is_none();
            let mut missing = Vec::new();
            if !evidence.receipts().iter().any(over_http) {
                missing.push(Missing::Receipt);
            }
            if !evidence.alerts().iter().any(over_http) {
                missing.push(Missing::Alerts);
            }
            missing
        }
    }
}

/// One sentence: what happened at the listener's cap while the scenario waited.
pub(crate) fn account(saturated: &Saturated, what: &str) -> String {
    let window = &saturated.during;
    let mut parts = Vec::new();
    if window.queued > 0 {
        parts.push(format!("{} waited for a free slot", window.queued));
    }
    if window.evicted > 0 {
        parts.push(format!("{} that had sent no complete request were closed to make room", window.evicted));
    }
    if window.refused > 0 {
        parts.push(format!("{} could not be accepted", window.refused));
    }
    let still = if window.end.is_none() { ", one still waiting when the scenario was judged" } else { "" };
    format!(
        "{name} had all its {cap} connection slots taken ([limits] connections) while this scenario waited for {what}: \
         of the connections to it, {parts}{still}, and more may have waited in the kernel's queue; {what} may have \
         been among them, so this is inconclusive, not a failure",
        name = saturated.name,
        cap = saturated.connections,
        parts = parts.join(", "),
    )
}

/// Turns the failed checks that missing evidence of a full listener may explain into
/// `inconclusive`, each saying why, and notes it on the scenario.
pub(crate) fn soften(evidence: &Evidence, judgement: &mut Judgement) {
    let mut notes = Vec::new();
    for saturated in &evidence.saturated {
        for what in missing(evidence, saturated) {
            let dependent = depends_on(what);
            let account = account(saturated, what.text());
            let mut changed = false;
            for check in judgement.checks.iter_mut().filter(|c| c.verdict == Verdict::Fail) {
                if dependent.contains(&check.requirement.as_str()) {
                    soften_check(check, &account);
                    changed = true;
                }
            }
            if changed && !notes.contains(&account) {
                notes.push(account);
            }
        }
    }
    if notes.is_empty() {
        return;
    }
    let note = notes.join("; ");
    judgement.note = Some(match judgement.note.take() {
        Some(existing) => format!("{existing}; {note}"),
        None => note,
    });
}

fn soften_check(check: &mut CheckResult, account: &str) {
    check.verdict = Verdict::Inconclusive;
    check.message = format!("{}; but {account}", check.message);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pens_report::Verdict;

    use super::*;
    use crate::evaluate::judge;
    use crate::evaluate::testing::{outline, settings, valid};
    use crate::plan::{ExpectSet, Expectations, FetchExpect, ReceiptExpect, ResponseExpect};

    fn expectations() -> Expectations {
        Expectations {
            common: ExpectSet {
                response: Some(ResponseExpect {
                    error: Some(vec![0]),
                    other_errors: Verdict::Fail,
                    ..ResponseExpect::default()
                }),
                fetch: Some(FetchExpect {
                    happens: true,
                    protocol: None,
                    credentials: crate::plan::CredentialsExpect::Any,
                }),
                receipt: Some(ReceiptExpect { count: Some(1), error: Some(vec![0]), ..ReceiptExpect::default() }),
                ..ExpectSet::default()
            },
            any_of: vec![],
        }
    }

    fn full(evidence: &Evidence, listener: Listener, queued: u64, evicted: u64) -> Saturated {
        let name = if listener == Listener::Collector { "the collector" } else { "the staging server (http)" };
        let during = pens_parties::SaturationWindow {
            start: evidence.started + Duration::from_millis(5),
            end: Some(evidence.started + Duration::from_millis(900)),
            queued,
            evicted,
            refused: 0,
        };
        Saturated { listener, name, connections: 256, during }
    }

    /// The innocent of issue 16: answered 0 and fetched, but its receipt never came
    /// while the collector was full. Without the saturation it fails; with it, the
    /// receipt checks are inconclusive and say why, the rest stands.
    #[test]
    fn a_missing_receipt_while_the_collector_was_full_is_inconclusive() {
        let mut evidence = valid().answered_with(0).downloaded(5, 10);
        let failing = judge(&evidence, &expectations(), &settings());
        assert!(outline(&failing.checks).contains(&(Verdict::Fail, "target.receipt.sent")), "{:#?}", failing.checks);

        evidence.saturated.push(full(&evidence, Listener::Collector, 40, 300));
        let judged = judge(&evidence, &expectations(), &settings());
        assert!(judged.checks.iter().all(|c| c.verdict != Verdict::Fail), "{:#?}", judged.checks);
        let sent = judged.checks.iter().find(|c| c.requirement == "target.receipt.sent").expect("the count check");
        assert_eq!(sent.verdict, Verdict::Inconclusive);
        assert!(
            sent.message.starts_with("no receipt arrived within")
                && sent.message.contains("the collector had all its 256 connection slots taken")
                && sent.message.contains("of the connections to it, 40 waited for a free slot, 300 that had sent no")
                && sent.message.contains("its receipt may have been among them"),
            "{}",
            sent.message
        );
        assert!(judged.note.as_deref().is_some_and(|n| n.contains("inconclusive, not a failure")), "{:?}", judged.note);
        assert!(outline(&judged.checks).contains(&(Verdict::Pass, "target.fetch.http")));
    }

    /// A missing fetch while the staging listener was full softens the fetch and what
    /// depends on it, not the answer to the collect.
    #[test]
    fn a_missing_fetch_while_staging_was_full_is_inconclusive_but_the_answer_is_still_judged() {
        let mut evidence = valid().answered_with(1201);
        evidence.saturated.push(full(&evidence, Listener::Staging, 3, 0));
        let judged = judge(&evidence, &expectations(), &settings());
        let outline = outline(&judged.checks);
        assert!(outline.contains(&(Verdict::Inconclusive, "target.fetch.http")), "{outline:?}");
        assert!(outline.iter().any(|(v, r)| *v == Verdict::Fail && r.starts_with("target.collect")), "{outline:?}");
    }

    /// Evidence that did arrive is judged as it is: a full collector explains no
    /// missing receipt when the receipt came, so its failed outcome stands.
    #[test]
    fn evidence_that_arrived_keeps_its_verdict() {
        let mut evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 1310);
        evidence.saturated.push(full(&evidence, Listener::Collector, 5, 0));
        let judged = judge(&evidence, &expectations(), &settings());
        assert!(outline(&judged.checks).contains(&(Verdict::Fail, "target.receipt.outcome")), "{:#?}", judged.checks);
        assert_eq!(judged.note, None);
    }
}
