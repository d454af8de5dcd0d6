//! Judging the evidence of one scenario against its expectations: pure functions from
//! [`Evidence`] and the plan to [`CheckResult`]s.

mod alerts;
mod alternatives;
mod disclosure;
mod fetch;
mod internal;
mod order;
mod receipt;
mod response;
mod saturation;

pub(crate) use saturation::account as saturation_account;
#[cfg(test)]
pub(crate) mod testing;

use pens_report::{CheckResult, Verdict};

use crate::evidence::Evidence;
use crate::plan::{ExpectSet, Expectations};

/// The checks of a scenario, and a note saying which alternative decided it.
pub(crate) struct Judgement {
    pub(crate) checks: Vec<CheckResult>,
    pub(crate) note: Option<String>,
}

/// What the run settings add to the evaluation.
pub(crate) struct Settings<'a> {
    /// The scenario's first requirement: cited when a plain success is missing.
    pub(crate) main_requirement: &'static pens_proto::Requirement,
    /// Deadlines, for messages.
    pub(crate) deadlines: &'a crate::Deadlines,
}

/// Judges the evidence: the common expectations always, and the first alternative that
/// holds entirely (or, when none does, the closest one, with a note).
pub(crate) fn judge(evidence: &Evidence, expectations: &Expectations, settings: &Settings<'_>) -> Judgement {
    let mut judgement = match &evidence.exchange.breach {
        Some(breach) => answer_breach(breach),
        None => {
            let mut judgement = judge_expectations(evidence, expectations, settings);
            // Once per scenario, whatever alternative holds: the order is the target's.
            judgement.checks.extend(order::judge(evidence, settings.deadlines.ack));
            judgement
        }
    };
    untrusted_certificate(evidence, &mut judgement);
    flood(evidence, &mut judgement);
    saturation::soften(evidence, &mut judgement);
    judgement
}

/// An answer to the collect larger than the harness reads (`[limits] answer-bytes`,
/// `header-count`, `header-bytes`) fails: a PENS answer is four short lines (CMI010
/// §6.3), and no conformant target comes near the caps. Nothing else is judged: the
/// answer's code could not be read, so what should follow is unknown.
fn answer_breach(breach: &pens_parties::LimitBreach) -> Judgement {
    let check = CheckResult::new(Verdict::Fail, &pens_proto::req::TARGET_ACK_RESPONSE, breach.message.clone());
    Judgement {
        checks: vec![check],
        note: Some("the answer to the collect broke a limit of the harness; nothing else was judged".to_owned()),
    }
}

/// Receipts and alerts beyond `[limits] notifications` were counted, not kept: the flood
/// is `inconclusive`, since what was dropped was not judged. The scenario's own count
/// checks (exactly one receipt) still fail on what was kept, so a duplicate receipt is
/// a failure whether or not it came in a flood.
fn flood(evidence: &Evidence, judgement: &mut Judgement) {
    let Some(overflow) = evidence.overflow else { return };
    let words = crate::checks::flood::FloodWords {
        peer: "the target",
        what: "receipts and alerts",
        taken: "kept",
        answered: "answered",
        since: "the collect was sent",
    };
    let offset = |at| evidence.offset_ms(at);
    judgement.checks.push(crate::checks::flood::check(
        &overflow,
        &words,
        offset,
        &pens_proto::req::TARGET_RECEIPT_SENT,
    ));
}

/// An HTTPS fetch that failed in the TLS handshake is most often a target that does not
/// trust the run's CA: an environment problem the vendor fixes in minutes, not a defect
/// to report as a failure. The checks that depend on the download become inconclusive.
///
/// The failures in the evidence are only those on the listener the scenario's package
/// URL names (`gather`): a failure carries no scenario key, and another scenario's must
/// not explain this one's (an HTTPS scenario's `UnknownCA` once made package-large,
/// fetched over plain HTTP, inconclusive).
///
/// A failed FTPS handshake is recorded the same way (its error starts with `implicit
/// FTPS:`, or `explicit FTPS:` for one after AUTH TLS, which the staging server reads
/// from the client's TLS records) and softens the FTPS fetch as the HTTPS one does the
/// HTTPS fetch, only when no request for the package came over FTPS.
fn untrusted_certificate(evidence: &Evidence, judgement: &mut Judgement) {
    let fetched_over = |protocol: &str| evidence.staging.iter().any(|e| e.protocol == protocol);
    let over_ftps = |error: &&String| crate::evidence::on_ftps_listener(error);
    let error = match evidence.tls_failures.iter().find(|e| !over_ftps(e)).filter(|_| !fetched_over("https")) {
        Some(error) => Some(error),
        None => evidence.tls_failures.iter().find(over_ftps).filter(|_| !fetched_over("ftps")),
    };
    let Some(error) = error else { return };
    let depends_on_download = [
        if over_ftps(&error) { &pens_proto::req::TARGET_FETCH_FTPS } else { &pens_proto::req::TARGET_FETCH_HTTPS },
        &pens_proto::req::TARGET_RECEIPT_OUTCOME,
        &pens_proto::req::TARGET_RECEIPT_AFTER_FETCH,
        &pens_proto::req::TARGET_ALERTS_OUTCOME,
    ];
    let mut changed = false;
    for check in &mut judgement.checks {
        if check.verdict == Verdict::Fail && depends_on_download.iter().any(|r| r.id == check.requirement) {
            check.verdict = Verdict::Inconclusive;
            changed = true;
        }
    }
    if changed {
        let listener = if over_ftps(&error) { "FTPS" } else { "HTTPS" };
        let note = format!(
            "a TLS handshake with the staging server's {listener} listener, where this scenario's package waited, \
             failed ({error}) and no request for the package came over it: the target probably does not trust the \
             run's CA; \
             make it trust the CA (run with --ca-dir DIR to keep one CA across runs, then install DIR/ca.pem) and run again"
        );
        judgement.note = Some(match judgement.note.take() {
            Some(existing) => format!("{existing}; {note}"),
            None => note,
        });
    }
}

fn judge_expectations(evidence: &Evidence, expectations: &Expectations, settings: &Settings<'_>) -> Judgement {
    let mut checks = judge_set(evidence, &expectations.common, settings);
    if expectations.any_of.is_empty() {
        return Judgement { checks, note: None };
    }
    let judged: Vec<Vec<CheckResult>> =
        expectations.any_of.iter().map(|set| judge_set(evidence, set, settings)).collect();
    let total = judged.len();
    let failures = |set: &[CheckResult]| set.iter().filter(|c| c.verdict >= Verdict::Fail).count();
    let (index, chosen) = match judged.iter().enumerate().find(|(_, set)| failures(set) == 0) {
        Some((index, _)) => (index, format!("alternative {} of {total} holds", index + 1)),
        None => {
            let (index, _) = judged.iter().enumerate().min_by_key(|(_, set)| failures(set)).unwrap_or((0, &judged[0]));
            (index, String::new())
        }
    };
    let holds = !chosen.is_empty();
    let mut chosen_checks = judged.into_iter().nth(index).unwrap_or_default();
    let note = if holds {
        chosen
    } else {
        // What each alternative needed and what was observed, not just which came closest.
        let account = alternatives::account(evidence, &expectations.any_of, index, settings);
        alternatives::annotate(&mut chosen_checks, &account, settings);
        account.note
    };
    // The common sections and an alternative may judge the same receipt: one check each.
    for check in chosen_checks {
        if !checks.iter().any(|c| same_check(c, &check)) {
            checks.push(check);
        }
    }
    Judgement { checks, note: Some(note) }
}

/// The same check judged twice (by the common sections and an alternative), whatever
/// `expected`/`actual` the alternatives' account added to one of them.
fn same_check(a: &CheckResult, b: &CheckResult) -> bool {
    (a.verdict, &a.requirement, &a.message) == (b.verdict, &b.requirement, &b.message)
}

fn judge_set(evidence: &Evidence, set: &ExpectSet, settings: &Settings<'_>) -> Vec<CheckResult> {
    // Each section's checks point at the scenario line that asked for them.
    let located = |mut checks: Vec<CheckResult>, at: &crate::location::SectionLocation| {
        at.place(&mut checks);
        checks
    };
    let mut checks = Vec::new();
    if let Some(expect) = &set.response {
        checks.extend(located(response::judge(evidence, expect, settings), &set.at.response));
    }
    if let Some(expect) = &set.fetch {
        checks.extend(located(fetch::judge(evidence, expect, settings), &set.at.fetch));
    }
    if let Some(expect) = &set.receipt {
        checks.extend(located(receipt::judge(evidence, expect, settings), &set.at.receipt));
    }
    if let Some(expect) = &set.alerts {
        checks.extend(located(alerts::judge(evidence, expect, settings), &set.at.alerts));
    }
    if let Some(expect) = &set.internal {
        checks.extend(located(internal::judge(evidence, expect, settings), &set.at.internal));
    }
    checks
}

/// `[2011]`, `[1304 or 0]`: a list of codes for messages.
pub(crate) fn codes_text(codes: &[u16]) -> String {
    let shown: Vec<String> = codes.iter().map(u16::to_string).collect();
    match shown.len() {
        0 => "(none)".to_owned(),
        1 => shown[0].clone(),
        _ => format!("one of {}", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use pens_report::Verdict;

    use super::{codes_text, judge};
    use crate::evaluate::testing::{outline, settings, valid};
    use crate::plan::{ExpectSet, Expectations, ReceiptExpect, ResponseExpect};

    fn response(error: &[u16]) -> Option<ResponseExpect> {
        Some(ResponseExpect { error: Some(error.to_vec()), other_errors: Verdict::Fail, ..ResponseExpect::default() })
    }

    fn receipt(error: &[u16]) -> Option<ReceiptExpect> {
        Some(ReceiptExpect { count: Some(1), error: Some(error.to_vec()), ..ReceiptExpect::default() })
    }

    /// ftp-not-claimed's alternatives: 1304 at once, or 0 and a 1304 receipt.
    fn at_once_or_in_the_receipt(code: u16) -> Expectations {
        Expectations {
            common: ExpectSet::default(),
            any_of: vec![
                ExpectSet { response: response(&[code]), ..ExpectSet::default() },
                ExpectSet { response: response(&[0]), receipt: receipt(&[code]), ..ExpectSet::default() },
            ],
        }
    }

    /// The checks without the timeliness credit of the answer.
    fn essentials(checks: &[pens_report::CheckResult]) -> Vec<(Verdict, &str)> {
        outline(checks).into_iter().filter(|(_, r)| *r != "target.ack.synchronous").collect()
    }

    fn fetch(happens: bool) -> Option<crate::plan::FetchExpect> {
        Some(crate::plan::FetchExpect { happens, protocol: None, credentials: crate::plan::CredentialsExpect::Any })
    }

    fn codes(error: &[u16], warn: &[u16], other_errors: Verdict) -> Option<ResponseExpect> {
        Some(ResponseExpect {
            error: Some(error.to_vec()),
            warn: warn.to_vec(),
            other_errors,
            ..ResponseExpect::default()
        })
    }

    fn verdict_of(evidence: crate::evidence::Evidence, expectations: &Expectations) -> Verdict {
        crate::evaluate::testing::worst(&judge(&evidence, expectations, &settings()).checks)
    }

    /// expiry-not-a-date and expiry-malformed: the 1320 warning (after which the target
    /// may go on, CMI010 §6.3), or 2009 and no fetch; never accepted.
    #[test]
    fn a_non_date_expiry_is_warned_or_refused_and_never_accepted() {
        let expectations = Expectations {
            common: ExpectSet::default(),
            any_of: vec![
                ExpectSet { response: codes(&[1320], &[], Verdict::Fail), ..ExpectSet::default() },
                ExpectSet { response: codes(&[2009], &[], Verdict::Warn), fetch: fetch(false), ..ExpectSet::default() },
            ],
        };
        let verdict = |evidence| verdict_of(evidence, &expectations);
        assert_eq!(verdict(valid().answered_with(2009)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(1320)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(1320).downloaded(5, 10).receipt(20, 0)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(2009).downloaded(5, 10)), Verdict::Warn, "a fetch after 2009");
        assert_eq!(verdict(valid().answered_with(1201)), Verdict::Warn, "another refusal code");
        assert_eq!(verdict(valid().answered_with(0).downloaded(5, 10).receipt(20, 0)), Verdict::Fail, "php-pens");
    }

    /// expiry-offset, expiry-lowercase-z and expiry-no-zone: a date-time the standards
    /// allow is accepted (0 or the 1320 warning, the fetch, a receipt of 0), or answered
    /// 1320 alone; a 2009, the text's strictest reading, warns; 0 without the fetch fails.
    #[test]
    fn a_debatable_expiry_form_is_accepted_and_a_refusal_only_warns() {
        let expectations = Expectations {
            common: ExpectSet::default(),
            any_of: vec![
                ExpectSet {
                    response: codes(&[0, 1320], &[], Verdict::Warn),
                    fetch: fetch(true),
                    receipt: receipt(&[0]),
                    ..ExpectSet::default()
                },
                ExpectSet { response: codes(&[1320], &[2009], Verdict::Warn), ..ExpectSet::default() },
            ],
        };
        let verdict = |evidence| verdict_of(evidence, &expectations);
        assert_eq!(verdict(valid().answered_with(0).downloaded(5, 10).receipt(20, 0)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(1320).downloaded(5, 10).receipt(20, 0)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(1320)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(2009)), Verdict::Warn);
        assert_eq!(verdict(valid().answered_with(0)), Verdict::Fail, "accepted, then never fetched");
    }

    /// expiry-fraction: nothing debatable, so 2009 fails; 1320 with the fetch warns.
    #[test]
    fn a_fraction_of_a_second_must_be_accepted() {
        let expectations = Expectations {
            common: ExpectSet {
                response: codes(&[0], &[1320], Verdict::Warn),
                fetch: fetch(true),
                receipt: receipt(&[0]),
                ..ExpectSet::default()
            },
            any_of: vec![],
        };
        let verdict = |evidence| verdict_of(evidence, &expectations);
        assert_eq!(verdict(valid().answered_with(0).downloaded(5, 10).receipt(20, 0)), Verdict::Pass);
        assert_eq!(verdict(valid().answered_with(1320).downloaded(5, 10).receipt(20, 0)), Verdict::Warn);
        assert_eq!(verdict(valid().answered_with(2009)), Verdict::Fail);
    }

    #[test]
    fn without_alternatives_only_the_common_set_counts_and_there_is_no_note() {
        let expectations =
            Expectations { common: ExpectSet { response: response(&[0]), ..ExpectSet::default() }, any_of: vec![] };
        let judgement = judge(&valid().answered_with(0), &expectations, &settings());
        assert_eq!(essentials(&judgement.checks), [(Verdict::Pass, "target.collect.post")]);
        assert_eq!(judgement.note, None);
    }

    #[test]
    fn the_first_alternative_that_holds_is_chosen() {
        let expectations = at_once_or_in_the_receipt(1304);
        let at_once = judge(&valid().answered_with(1304), &expectations, &settings());
        assert_eq!(at_once.note.as_deref(), Some("alternative 1 of 2 holds"));
        assert_eq!(essentials(&at_once.checks), [(Verdict::Pass, "target.error.applicable-code")]);

        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 1304);
        let in_the_receipt = judge(&evidence, &expectations, &settings());
        assert_eq!(in_the_receipt.note.as_deref(), Some("alternative 2 of 2 holds"));
        assert!(in_the_receipt.checks.iter().all(|c| c.verdict == Verdict::Pass), "{:#?}", in_the_receipt.checks);
        // Only the chosen alternative's checks are reported: not the 1304 the answer lacked.
        assert!(in_the_receipt.checks.iter().all(|c| c.requirement != "target.error.applicable-code"));
    }

    #[test]
    fn when_several_hold_the_first_wins_even_with_a_warning() {
        // Documents the rule "the first alternative without a failure": a warning in the
        // first does not make the runner prefer a cleaner second one.
        let warned = ResponseExpect {
            error: Some(vec![1310]),
            warn: vec![1301],
            other_errors: Verdict::Fail,
            ..ResponseExpect::default()
        };
        let expectations = Expectations {
            common: ExpectSet::default(),
            any_of: vec![
                ExpectSet { response: Some(warned), ..ExpectSet::default() },
                ExpectSet { response: response(&[1301]), ..ExpectSet::default() },
            ],
        };
        let judgement = judge(&valid().answered_with(1301), &expectations, &settings());
        assert_eq!(judgement.note.as_deref(), Some("alternative 1 of 2 holds"));
        assert_eq!(essentials(&judgement.checks), [(Verdict::Warn, "target.error.applicable-code")]);
    }

    /// Issue 16, point 4: after a broken answer (garbage, a reset) the run stops
    /// watching at once, and no message may claim a wait it did not make: every time
    /// quoted as waited is at most the 600 ms gathering took, and the deadlines appear
    /// only as deadlines, with the reason they were not waited out.
    #[test]
    fn after_a_broken_answer_no_message_claims_a_longer_wait_than_was_watched() {
        let evidence = valid().broken_off(12, 600, "invalid HTTP version parsed");
        let expectations = at_once_or_in_the_receipt(1304);
        let mut texts: Vec<String> = Vec::new();
        let judgement = judge(&evidence, &expectations, &settings());
        texts.extend(judgement.note);
        texts.extend(judgement.checks.iter().map(|c| c.message.clone()));
        let plain = Expectations {
            common: ExpectSet {
                response: response(&[0]),
                fetch: Some(crate::plan::FetchExpect {
                    happens: true,
                    protocol: None,
                    credentials: crate::plan::CredentialsExpect::Any,
                }),
                receipt: Some(crate::plan::ReceiptExpect { count: Some(1), ..crate::plan::ReceiptExpect::default() }),
                ..ExpectSet::default()
            },
            any_of: Vec::new(),
        };
        texts.extend(judge(&evidence, &plain, &settings()).checks.iter().map(|c| c.message.clone()));
        let all = texts.join("\n");
        for claim in
            ["within 1000 ms", "within 2000 ms", "within 3000 ms", "within 3100 ms", "waited 2000", "waited 3000"]
        {
            assert!(!all.contains(claim), "`{claim}` claims a wait that was not made:\n{all}");
        }
        for expected in [
            "no answer to the collect in the 12 ms watched after sending it",
            "the package was never requested from the staging server in the 600 ms watched after the collect (the \
             fetch deadline of 2000 ms was not waited out: the scenario ended early because the collect got no answer \
             (invalid HTTP version parsed), so nothing was awaited)",
            "no receipt arrived in the 600 ms watched after the collect (the receipt deadline of 3000 ms",
            "no receipt came in the 600 ms watched after the collect",
        ] {
            assert!(all.contains(expected), "`{expected}` not in:\n{all}");
        }
    }

    #[test]
    fn when_none_holds_the_closest_is_reported() {
        let expectations = at_once_or_in_the_receipt(1304);
        // 0 and no receipt: alternative 1 fails once (the code), alternative 2 once (the count).
        // On a tie the first is the closest.
        let judgement = judge(&valid().answered_with(0), &expectations, &settings());
        assert_eq!(
            judgement.note.as_deref(),
            Some(
                "no alternative holds (the checks shown are those of the closest, 1 of 2): alternative 1 (answer \
                 1304): the answer was error=0 — missing (fails target.error.applicable-code); alternative 2 (answer \
                 0, then a receipt with error 1304): the answer was error=0 — held, no receipt came within 3100 ms of \
                 the collect (the receipt deadline is 3000 ms) — missing (fails target.receipt.sent)"
            )
        );
        assert_eq!(essentials(&judgement.checks), [(Verdict::Fail, "target.error.applicable-code")]);
        // The failing check carries every alternative, for reports that show only checks.
        let failing = judgement.checks.iter().find(|c| c.verdict == Verdict::Fail).expect("a failing check");
        assert_eq!(
            failing.expected.as_deref(),
            Some("any one of: alternative 1: answer 1304; or alternative 2: answer 0, then a receipt with error 1304")
        );
        assert_eq!(
            failing.actual.as_deref(),
            Some(
                "the answer was error=0; no receipt came within 3100 ms of the collect (the receipt deadline is 3000 ms)"
            )
        );

        // 0 and a 1301 receipt: alternative 1 fails twice (the answer, the receipt's code),
        // alternative 2 once (the receipt's code), so alternative 2 is the closest.
        let expectations = Expectations {
            common: ExpectSet::default(),
            any_of: vec![
                ExpectSet { response: response(&[1304]), receipt: receipt(&[1304]), ..ExpectSet::default() },
                ExpectSet { response: response(&[0]), receipt: receipt(&[1304]), ..ExpectSet::default() },
            ],
        };
        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 1301);
        let judgement = judge(&evidence, &expectations, &settings());
        assert_eq!(
            judgement.note.as_deref(),
            Some(
                "no alternative holds (the checks shown are those of the closest, 2 of 2): alternative 1 (answer \
                 1304, then a receipt with error 1304): the answer was error=0 — missing (fails \
                 target.error.applicable-code), a receipt came: error=1301, 20 ms after the collect — missing (fails \
                 target.receipt.outcome); alternative 2 (answer 0, then a receipt with error 1304): the answer was \
                 error=0 — held, a receipt came: error=1301, 20 ms after the collect — missing (fails \
                 target.receipt.outcome)"
            )
        );
        assert_eq!(
            essentials(&judgement.checks),
            [
                (Verdict::Pass, "target.collect.post"),
                (Verdict::Pass, "target.receipt.sent"),
                (Verdict::Fail, "target.receipt.outcome")
            ]
        );
    }

    #[test]
    fn the_common_set_applies_whichever_alternative_is_chosen() {
        let mut expectations = at_once_or_in_the_receipt(1322);
        expectations.common.receipt = Some(ReceiptExpect { never_success: true, ..ReceiptExpect::default() });
        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 0);
        let judgement = judge(&evidence, &expectations, &settings());
        assert_eq!(judgement.checks[0].requirement, "target.receipt.outcome");
        assert_eq!(judgement.checks[0].verdict, Verdict::Fail);
        assert!(judgement.checks[0].message.contains("reports success (0)"), "{}", judgement.checks[0].message);
        assert!(
            judgement.note.as_deref().is_some_and(|n| n.ends_with(
                "alternative 2 (answer 0, then a receipt with error 1322): the answer was error=0 — held, a receipt \
                 came: error=0, 20 ms after the collect — missing (fails target.receipt.outcome)"
            )),
            "{:?}",
            judgement.note
        );
    }

    #[test]
    fn an_answer_over_a_limit_fails_alone() {
        let expectations =
            Expectations { common: ExpectSet { receipt: receipt(&[0]), ..ExpectSet::default() }, any_of: vec![] };
        let mut evidence = valid();
        let message = "the answer was larger than the 1048576-byte limit ([limits] answer-bytes); reading stopped \
                       there; Content-Length said 104857600";
        evidence.exchange.breach = Some(pens_parties::LimitBreach::new(pens_parties::Limit::AnswerBytes, message));
        let judgement = judge(&evidence, &expectations, &settings());
        assert_eq!(outline(&judgement.checks), [(Verdict::Fail, "target.ack.response-format")]);
        assert_eq!(judgement.checks[0].message, message);
    }

    #[test]
    fn a_flood_of_notifications_is_inconclusive_next_to_the_count_check() {
        let expectations =
            Expectations { common: ExpectSet { receipt: receipt(&[0]), ..ExpectSet::default() }, any_of: vec![] };
        let mut evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 0).receipt(30, 0);
        let at = |ms| evidence.started + std::time::Duration::from_millis(ms);
        evidence.overflow = Some(pens_parties::Overflow { kept: 2, dropped: 7, first: at(40), last: at(90) });
        let judgement = judge(&evidence, &expectations, &settings());
        let outline = outline(&judgement.checks);
        assert!(outline.contains(&(Verdict::Fail, "target.receipt.sent")), "{outline:?}");
        let flood = judgement.checks.iter().find(|c| c.verdict == Verdict::Inconclusive).expect("the flood check");
        assert!(
            flood.message.contains("more than 2 receipts and alerts")
                && flood.message.contains("7 more")
                && flood.message.contains("40 ms, the last 90 ms"),
            "{}",
            flood.message
        );
    }

    #[test]
    fn code_lists_read_as_text() {
        assert_eq!(codes_text(&[]), "(none)");
        assert_eq!(codes_text(&[2011]), "2011");
        assert_eq!(codes_text(&[1322, 2009]), "one of 1322, 2009");
    }

    /// A target that does not trust the run CA fails the TLS handshake: what depends on
    /// the download is inconclusive, with a note saying what to do, never a failure.
    #[test]
    fn an_untrusted_run_ca_makes_the_download_checks_inconclusive() {
        let expectations = Expectations {
            common: ExpectSet { response: response(&[0]), receipt: receipt(&[0]), ..ExpectSet::default() },
            any_of: vec![],
        };
        let mut evidence = valid().answered_with(0).receipt(20, 1310);
        let failing = judge(&evidence, &expectations, &settings());
        assert!(outline(&failing.checks).contains(&(Verdict::Fail, "target.receipt.outcome")));

        evidence.tls_failures.push("received fatal alert: UnknownCA".to_owned());
        let judged = judge(&evidence, &expectations, &settings());
        assert!(outline(&judged.checks).contains(&(Verdict::Inconclusive, "target.receipt.outcome")));
        assert!(judged.checks.iter().all(|c| c.verdict != Verdict::Fail), "{:#?}", judged.checks);
        assert!(judged.note.as_deref().is_some_and(|n| n.contains("ca.pem") && n.contains("UnknownCA")));
    }

    #[test]
    fn an_implicit_ftps_client_that_does_not_trust_the_run_ca_is_inconclusive_too() {
        let fetch = crate::plan::FetchExpect {
            happens: true,
            protocol: Some(pens_scenario::Protocol::Ftps),
            credentials: crate::plan::CredentialsExpect::Any,
        };
        let expectations = Expectations {
            common: ExpectSet { response: response(&[0]), fetch: Some(fetch), ..ExpectSet::default() },
            any_of: vec![],
        };
        let mut evidence = valid().answered_with(0);
        evidence.tls_failures.push("implicit FTPS: received fatal alert: UnknownCA".to_owned());
        let judged = judge(&evidence, &expectations, &settings());
        assert!(
            outline(&judged.checks).contains(&(Verdict::Inconclusive, "target.fetch.ftps")),
            "{:#?}",
            judged.checks
        );
        assert!(judged.note.as_deref().is_some_and(|n| n.contains("implicit FTPS")));
    }

    /// After AUTH TLS: the same softening and note, limited to what depends on the
    /// download, and none once the package was requested over FTPS.
    #[test]
    fn an_explicit_ftps_client_that_does_not_trust_the_run_ca_is_inconclusive_too() {
        let fetch = crate::plan::FetchExpect {
            happens: true,
            protocol: Some(pens_scenario::Protocol::Ftps),
            credentials: crate::plan::CredentialsExpect::Any,
        };
        let expectations = Expectations {
            common: ExpectSet { response: response(&[1]), fetch: Some(fetch), ..ExpectSet::default() },
            any_of: vec![],
        };
        let error = "explicit FTPS: the client ended the TLS handshake after AUTH TLS with an encrypted alert";
        let mut evidence = valid().answered_with(0);
        evidence.tls_failures.push(error.to_owned());
        let judged = judge(&evidence, &expectations, &settings());
        let outline = outline(&judged.checks);
        assert!(outline.contains(&(Verdict::Inconclusive, "target.fetch.ftps")), "{:#?}", judged.checks);
        // The answer's error code does not depend on the download: its failure stands.
        assert!(outline.iter().any(|(v, _)| *v == Verdict::Fail), "{:#?}", judged.checks);
        let note = judged.note.as_deref().unwrap_or_default();
        assert!(note.contains("FTPS listener") && note.contains(error) && note.contains("ca.pem"), "{note}");
    }
}
