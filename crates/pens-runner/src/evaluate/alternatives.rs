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

use pens_proto::req;
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
    /// The worst verdict of its checks, judged on their own: below `fail` it held.
    verdict: Verdict,
    /// The requirements its failing checks name, each once: why a part whose
    /// observation looks right ("the answer was error=0") is still missing (its lines
    /// end with LF only).
    failed: Vec<String>,
}

impl Part {
    /// `held`, `missing (fails response.line-ending.crlf)`, ….
    fn status(&self) -> String {
        match status(self.verdict) {
            "missing" if !self.failed.is_empty() => format!("missing (fails {})", self.failed.join(", ")),
            word => word.to_owned(),
        }
    }
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
            let observed: Vec<String> = parts.iter().map(|p| format!("{} — {}", p.observed, p.status())).collect();
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

/// The first failing check of the closest alternative that decides between
/// alternatives (the answer's code, the receipt's count or code, a fetch that should not
/// have been) carries the account in its `expected`/`actual`, so a report that shows
/// only checks (junit.xml, a failure card) shows every alternative too.
///
/// Only such a check: a finding the run repeats across scenarios (an LF line end in
/// every answer) is grouped by being identical (`pens_report::same_cause`), and must not
/// be made unique to this scenario by the account.
pub(crate) fn annotate(checks: &mut [CheckResult], account: &Account, settings: &Settings<'_>) {
    let decisive = [
        &req::TARGET_ERROR_CODE,
        &req::TARGET_ERROR_HIGHEST,
        &req::TARGET_RECEIPT_SENT,
        &req::TARGET_RECEIPT_OUTCOME,
        &req::TARGET_MAILTO_RECEIPT,
        &req::TARGET_REFUSED_NO_FETCH,
        settings.main_requirement,
    ];
    let decides = |check: &CheckResult| {
        check.verdict >= Verdict::Fail
            && check.diff.is_none()
            && decisive.iter().any(|requirement| requirement.id == check.requirement)
    };
    if let Some(check) = checks.iter_mut().find(|c| decides(c)) {
        check.expected = Some(format!("any one of: {}", account.expected));
        check.actual = Some(account.actual.clone());
    }
}

impl Part {
    /// A part: what it asked for, what was seen, and how its checks came out.
    fn new(wanted: String, observed: String, (verdict, failed): (Verdict, Vec<String>)) -> Part {
        Part { wanted, observed, verdict, failed }
    }
}

/// A part held, held with a warning (a should-level rule, or a lenient reading), could
/// not be judged, or is missing (a failure: the alternative does not hold).
fn status(verdict: Verdict) -> &'static str {
    match verdict {
        v if v >= Verdict::Fail => "missing",
        Verdict::Inconclusive => "cannot tell",
        Verdict::Warn => "held, with a warning",
        _ => "held",
    }
}

fn wanted(parts: &[Part]) -> String {
    let wanted: Vec<&str> = parts.iter().map(|p| p.wanted.as_str()).collect();
    if wanted.is_empty() { "nothing beyond the common checks".to_owned() } else { wanted.join(", then ") }
}

/// The parts of `set`, in the order of the exchange, each judged on its own.
fn parts(evidence: &Evidence, set: &ExpectSet, settings: &Settings<'_>) -> Vec<Part> {
    // The worst verdict of a part's checks, and the requirements of those that fail.
    let held = |part: ExpectSet| {
        let checks = judge_set(evidence, &part, settings);
        let mut failed: Vec<String> = Vec::new();
        for check in checks.iter().filter(|c| c.verdict >= Verdict::Fail) {
            if !failed.contains(&check.requirement) {
                failed.push(check.requirement.clone());
            }
        }
        (Verdict::worst(checks.iter().map(|c| c.verdict)), failed)
    };
    let mut parts = Vec::new();
    if let Some(expect) = &set.response {
        parts.push(Part::new(
            response_wanted(evidence, expect),
            response_observed(evidence, settings),
            held(ExpectSet { response: Some(expect.clone()), ..ExpectSet::default() }),
        ));
    }
    if let Some(expect) = &set.fetch {
        parts.push(Part::new(
            fetch_wanted(expect),
            fetch_observed(evidence, settings),
            held(ExpectSet { fetch: Some(expect.clone()), ..ExpectSet::default() }),
        ));
    }
    if let Some(expect) = &set.receipt {
        parts.push(Part::new(
            receipt_wanted(expect),
            receipt_observed(evidence, settings),
            held(ExpectSet { receipt: Some(expect.clone()), ..ExpectSet::default() }),
        ));
    }
    if let Some(expect) = &set.alerts {
        parts.push(Part::new(
            alerts_wanted(expect),
            alerts_observed(evidence, settings),
            held(ExpectSet { alerts: Some(expect.clone()), ..ExpectSet::default() }),
        ));
    }
    if let Some(expect) = &set.internal {
        parts.push(Part::new(
            internal_wanted(expect),
            internal_observed(evidence),
            held(ExpectSet { internal: Some(expect.clone()), ..ExpectSet::default() }),
        ));
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
        wanted.push_str(&format!(", or {} with a warning", either(&expect.warn)));
    }
    wanted
}

fn response_observed(evidence: &Evidence, settings: &Settings<'_>) -> String {
    match (&evidence.exchange.outcome, evidence.answered) {
        (Err(_), _) if evidence.exchange.timed_out => {
            format!("no answer came {}", evidence.answer_watched(settings.deadlines.ack, None).within())
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

fn fetch_observed(evidence: &Evidence, settings: &Settings<'_>) -> String {
    let requests: Vec<String> = evidence.staging.iter().take(3).map(pens_parties::StagingEvent::describe).collect();
    let refused = evidence.refused_logins.len();
    match (requests.is_empty(), refused) {
        (true, 0) => format!(
            "no request reached the staging server {}",
            evidence.watched(settings.deadlines.fetch, "fetch").within()
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
        return format!("no receipt came {}", evidence.watched(settings.deadlines.receipt, "receipt").within());
    }
    let each: Vec<String> = receipts
        .iter()
        .map(|r| {
            let code = r.notification.error.as_deref().map_or("no error".to_owned(), |c| format!("error={c}"));
            format!("{code}, {} ms after the collect", evidence.offset_ms(r.at))
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
        return format!("no alert came {}", evidence.watched(settings.deadlines.receipt, "receipt").within());
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

#[cfg(test)]
mod tests {
    use pens_report::Verdict;

    use super::account;
    use crate::evaluate::testing::{settings, valid};
    use crate::plan::{CredentialsExpect, ExpectSet, FetchExpect, ReceiptExpect, ResponseExpect};

    fn answer(codes: &[u16]) -> Option<ResponseExpect> {
        Some(ResponseExpect { error: Some(codes.to_vec()), other_errors: Verdict::Fail, ..ResponseExpect::default() })
    }

    /// An `[[expect.any_of]]` like package-url-unreachable's: refused at once, or fetched
    /// (here: attempted) and receipted with the retrieval failure.
    fn refused_or_receipted() -> Vec<ExpectSet> {
        vec![
            ExpectSet { response: answer(&[1310]), ..ExpectSet::default() },
            ExpectSet {
                response: answer(&[0]),
                fetch: Some(FetchExpect { happens: false, protocol: None, credentials: CredentialsExpect::Any }),
                receipt: Some(ReceiptExpect { count: Some(1), error: Some(vec![1310]), ..ReceiptExpect::default() }),
                ..ExpectSet::default()
            },
        ]
    }

    #[test]
    fn each_part_says_what_was_observed_and_whether_it_held() {
        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 0);
        let account = account(&evidence, &refused_or_receipted(), 1, &settings());
        assert_eq!(
            account.note,
            "no alternative holds (the checks shown are those of the closest, 2 of 2): alternative 1 (answer 1310): \
             the answer was error=0 — missing (fails target.error.applicable-code); alternative 2 (answer 0, then \
             no fetch, then a receipt with error 1310): the answer was error=0 — held, the staging server got GET \
             /s/unit/scorm12-minimal.zip (200, all 1024 bytes) — held, with a warning, a receipt came: error=0, 20 \
             ms after the collect — missing (fails target.receipt.outcome)"
        );
        assert_eq!(
            account.expected,
            "alternative 1: answer 1310; or alternative 2: answer 0, then no fetch, then a receipt with error 1310"
        );
        assert_eq!(
            account.actual,
            "the answer was error=0; the staging server got GET /s/unit/scorm12-minimal.zip (200, all 1024 bytes); a \
             receipt came: error=0, 20 ms after the collect"
        );
    }

    /// An answer with the wanted code that fails another check of its part (LF line
    /// ends) is missing for that reason, and says so: "the answer was error=0 — missing"
    /// alone reads as a contradiction.
    #[test]
    fn a_part_that_looks_right_says_which_requirement_it_fails() {
        let evidence = valid().answer(200, Some("text/plain"), "error=0\nerror-text=ok\nversion=1.0.0\npens-data=\n");
        let alternatives = vec![ExpectSet { response: answer(&[0]), ..ExpectSet::default() }];
        let account = account(&evidence, &alternatives, 0, &settings());
        assert!(
            account.note.contains("the answer was error=0 — missing (fails response.line-ending.crlf)"),
            "{}",
            account.note
        );
    }

    /// No answer at all: said with the deadline waited, and nothing that followed.
    #[test]
    fn a_missing_answer_and_missing_requests_say_how_long_was_waited() {
        let mut evidence = valid();
        evidence.exchange.timed_out = true;
        let account = account(&evidence, &refused_or_receipted(), 0, &settings());
        for part in [
            "alternative 1 (answer 1310): no answer came within 1000 ms of sending it (the ack deadline is 1000 ms) — missing",
            "no request reached the staging server within 3100 ms of the collect (the fetch deadline is 2000 ms) — held",
            "no receipt came within 3100 ms of the collect (the receipt deadline is 3000 ms) — missing",
        ] {
            assert!(account.note.contains(part), "`{part}` not in: {}", account.note);
        }
    }

    /// A finding the run repeats in every scenario (an LF-only answer) stays identical,
    /// so it is still grouped as one cause: the account goes on the check that decides
    /// between the alternatives.
    #[test]
    fn the_account_goes_on_the_deciding_check_not_on_a_repeated_finding() {
        let account = account(&valid().answered_with(0), &refused_or_receipted(), 0, &settings());
        let line_ends = pens_report::CheckResult::new(
            Verdict::Fail,
            &pens_proto::req::RESPONSE_CRLF,
            "answer to the collect: lines end in LF",
        )
        .with_diff("error=0\r\n", "error=0\n");
        let code = pens_report::CheckResult::new(
            Verdict::Fail,
            &pens_proto::req::TARGET_ERROR_CODE,
            "answered 0 (success) where CMI010 requires 1310",
        )
        .expected_actual("1310", "0");
        let mut checks = vec![line_ends.clone(), code];
        super::annotate(&mut checks, &account, &settings());
        assert_eq!(checks[0], line_ends, "the repeated finding is untouched");
        assert_eq!(checks[1].expected.as_deref(), Some(format!("any one of: {}", account.expected).as_str()));
        assert_eq!(checks[1].actual.as_deref(), Some(account.actual.as_str()));
    }
}
