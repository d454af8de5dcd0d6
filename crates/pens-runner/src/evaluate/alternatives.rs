//! What each alternative of a scenario's `[expect]` asked for, and what was observed
//! against it, when none holds.
//!
//! CMI010 often leaves *when* a target reports a problem open: 1306 for an `ftps://`
//! package it does not support may come in the answer or, after an answer of 0, in the
//! receipt (§6.3; the scenario's `[[expect.any_of]]`). When neither happened, "no
//! alternative holds; the closest is 1 of 2" told a vendor nothing: not that the answer
//! was 0, nor that the harness then waited the whole receipt deadline and no receipt
//! came. This module says, for every alternative, what each of its parts required, what
//! the evidence shows for it, and whether that part held or is missing. It only reads
//! the evidence: which alternative is judged (the closest) is decided in `evaluate`.

use pens_report::{CheckResult, Verdict};

use super::{Settings, judge_set};
use crate::evidence::Evidence;
use crate::plan::{AlertsExpect, ExpectSet, FetchExpect, InternalExpect, ReceiptExpect, ResponseExpect};

/// One part of an alternative: what it asked for and what was seen.
struct Part {
    /// What the part asked for: `answer 1306`, `a receipt with error 1306`.
    wanted: String,
    /// What the evidence shows: `the answer was error=0`.
    observed: String,
    /// Whether its checks held (no failure among them).
    held: bool,
}

/// The account of alternatives none of which held.
pub(crate) struct Account {
    /// The scenario's note: every alternative, its parts, what was observed for each.
    pub(crate) note: String,
    /// What the alternatives asked for, one after the other (for `expected`).
    pub(crate) expected: String,
    /// What was observed, once (for `actual`).
    pub(crate) actual: String,
}

/// Says what each of `alternatives` required and what the evidence shows; `closest`
/// (0-based) is the one whose checks are reported.
pub(crate) fn account(
    evidence: &Evidence,
    alternatives: &[ExpectSet],
    closest: usize,
    settings: &Settings<'_>,
) -> Account {
    let total = alternatives.len();
    let described: Vec<Vec<Part>> = alternatives.iter().map(|set| parts(evidence, set, settings)).collect();
    let each: Vec<String> = described
        .iter()
        .enumerate()
        .map(|(index, parts)| {
            let observed: Vec<String> =
                parts.iter().map(|p| format!("{} — {}", p.observed, if p.held { "held" } else { "missing" })).collect();
            format!("alternative {} ({}): {}", index + 1, wanted(parts), observed.join(", "))
        })
        .collect();
    let note = format!(
        "no alternative holds (the checks shown are those of the closest, {} of {total}): {}",
        closest + 1,
        each.join("; ")
    );
    let expected = described
        .iter()
        .enumerate()
        .map(|(index, parts)| format!("alternative {}: {}", index + 1, wanted(parts)))
        .collect::<Vec<_>>()
        .join("; or ");
    // Every part is observed the same way whichever alternative asks: say each once.
    let mut actual: Vec<String> = Vec::new();
    for part in described.iter().flatten() {
        if !actual.contains(&part.observed) {
            actual.push(part.observed.clone());
        }
    }
    Account { note, expected, actual: actual.join("; ") }
}

/// The first failing check of the closest alternative carries the account in its
/// `expected`/`actual`, so a report that shows only checks (junit.xml, a failure card)
/// shows every alternative too.
pub(crate) fn annotate(checks: &mut [CheckResult], account: &Account) {
    if let Some(check) = checks.iter_mut().find(|c| c.verdict >= Verdict::Fail) {
        check.expected = Some(format!("any one of: {}", account.expected));
        check.actual = Some(account.actual.clone());
    }
}

fn wanted(parts: &[Part]) -> String {
    let wanted: Vec<&str> = parts.iter().map(|p| p.wanted.as_str()).collect();
    if wanted.is_empty() { "nothing beyond the common checks".to_owned() } else { wanted.join(", then ") }
}

/// The parts of `set`, in the order of the exchange, each judged on its own.
fn parts(evidence: &Evidence, set: &ExpectSet, settings: &Settings<'_>) -> Vec<Part> {
    let held = |part: ExpectSet| judge_set(evidence, &part, settings).iter().all(|c| c.verdict < Verdict::Fail);
    let mut parts = Vec::new();
    if let Some(expect) = &set.response {
        parts.push(Part {
            wanted: response_wanted(evidence, expect),
            observed: response_observed(evidence, settings),
            held: held(ExpectSet { response: Some(expect.clone()), ..ExpectSet::default() }),
        });
    }
    if let Some(expect) = &set.fetch {
        parts.push(Part {
            wanted: fetch_wanted(expect),
            observed: fetch_observed(evidence),
            held: held(ExpectSet { fetch: Some(expect.clone()), ..ExpectSet::default() }),
        });
    }
    if let Some(expect) = &set.receipt {
        parts.push(Part {
            wanted: receipt_wanted(expect),
            observed: receipt_observed(evidence, settings),
            held: held(ExpectSet { receipt: Some(expect.clone()), ..ExpectSet::default() }),
        });
    }
    if let Some(expect) = &set.alerts {
        parts.push(Part {
            wanted: alerts_wanted(expect),
            observed: alerts_observed(evidence, settings),
            held: held(ExpectSet { alerts: Some(expect.clone()), ..ExpectSet::default() }),
        });
    }
    if let Some(expect) = &set.internal {
        parts.push(Part {
            wanted: internal_wanted(expect),
            observed: internal_observed(evidence),
            held: held(ExpectSet { internal: Some(expect.clone()), ..ExpectSet::default() }),
        });
    }
    parts
}

/// `1306`, `1301 or 1310`.
fn either(codes: &[u16]) -> String {
    let shown: Vec<String> = codes.iter().map(u16::to_string).collect();
    if shown.is_empty() { "(none)".to_owned() } else { shown.join(" or ") }
}

fn response_wanted(evidence: &Evidence, expect: &ResponseExpect) -> String {
    let codes: Vec<u16> = match &expect.error {
        Some(codes) => codes.clone(),
        // The answer pens-proto computes for the collect as sent.
        None => evidence.expected.acceptable.iter().map(|c| c.0).collect(),
    };
    let mut wanted = format!("answer {}", either(&codes));
    if !expect.warn.is_empty() {
        wanted.push_str(&format!(" ({} warns)", either(&expect.warn)));
    }
    wanted
}

fn response_observed(evidence: &Evidence, settings: &Settings<'_>) -> String {
    match (&evidence.exchange.outcome, evidence.answered) {
        (Err(_), _) if evidence.exchange.timed_out => {
            format!("no answer came within {} ms (the ack deadline)", settings.deadlines.ack.as_millis())
        }
        (Err(error), _) => format!("the collect got no answer ({error})"),
        (Ok(_), Some(code)) => format!("the answer was error={code}"),
        (Ok(answer), None) => format!("the answer (HTTP {}) had no readable error", answer.status),
    }
}

fn fetch_wanted(expect: &FetchExpect) -> String {
    match (&expect.protocol, expect.happens) {
        (_, false) => "no fetch".to_owned(),
        (Some(protocol), true) => format!("a fetch over {protocol}"),
        (None, true) => "a fetch".to_owned(),
    }
}

fn fetch_observed(evidence: &Evidence) -> String {
    let requests: Vec<String> = evidence.staging.iter().take(3).map(pens_mock::StagingEvent::describe).collect();
    let refused = evidence.refused_logins.len();
    match (requests.is_empty(), refused) {
        (true, 0) => format!(
            "no request reached the staging server within {} ms of the collect",
            evidence.offset_ms(evidence.ended)
        ),
        (true, _) => "the staging server refused the FTP login; no file was asked for".to_owned(),
        (false, _) => {
            let more = evidence.staging.len().saturating_sub(requests.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            format!("the staging server got {}{more}", requests.join("; "))
        }
    }
}

fn receipt_wanted(expect: &ReceiptExpect) -> String {
    let count = match expect.count {
        Some(0) => return "no receipt".to_owned(),
        Some(1) | None => "a receipt".to_owned(),
        Some(n) => format!("{n} receipts"),
    };
    match (&expect.error, expect.never_success) {
        (Some(codes), _) => format!("{count} with error {}", either(codes)),
        (None, true) => format!("{count} not reporting success"),
        (None, false) => count,
    }
}

fn receipt_observed(evidence: &Evidence, settings: &Settings<'_>) -> String {
    let receipts = evidence.receipts();
    if receipts.is_empty() {
        return format!(
            "no receipt came within {} ms of the collect (the receipt deadline is {} ms)",
            evidence.offset_ms(evidence.ended),
            settings.deadlines.receipt.as_millis()
        );
    }
    let each: Vec<String> = receipts
        .iter()
        .map(|r| {
            let code = r.notification.error.as_deref().map_or("no error".to_owned(), |c| format!("error={c}"));
            format!("{code} at {} ms", evidence.offset_ms(r.at))
        })
        .collect();
    let count = if receipts.len() == 1 { "a receipt".to_owned() } else { format!("{} receipts", receipts.len()) };
    format!("{count} came: {}", each.join(", "))
}

fn alerts_wanted(expect: &AlertsExpect) -> String {
    let count = match expect.at_least {
        0 => "alerts, if any, well-formed".to_owned(),
        1 => "at least one alert".to_owned(),
        n => format!("at least {n} alerts"),
    };
    match &expect.error {
        Some(codes) => format!("{count} with error {}", either(codes)),
        None => count,
    }
}

fn alerts_observed(evidence: &Evidence, settings: &Settings<'_>) -> String {
    let alerts = evidence.alerts();
    if alerts.is_empty() {
        return format!(
            "no alert came within {} ms of the collect (the receipt deadline is {} ms)",
            evidence.offset_ms(evidence.ended),
            settings.deadlines.receipt.as_millis()
        );
    }
    let codes: Vec<&str> = alerts.iter().map(|a| a.notification.error.as_deref().unwrap_or("no error")).collect();
    format!("{} alert(s) came (error {})", alerts.len(), codes.join(", "))
}

fn internal_wanted(expect: &InternalExpect) -> String {
    if expect.never { "no request to the internal service".to_owned() } else { "the internal service".to_owned() }
}

fn internal_observed(evidence: &Evidence) -> String {
    match evidence.internal.len() {
        0 => "no request reached the internal service".to_owned(),
        n => format!("{n} request(s) reached the internal service"),
    }
}
