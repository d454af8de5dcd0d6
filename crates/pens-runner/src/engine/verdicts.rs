//! The rules every scenario result obeys, whatever the mode: written once, so a change
//! reaches both modes (and the next) together.

use std::time::Instant;

use pens_report::{CheckResult, ScenarioResult, Verdict};
use pens_scenario::ScenarioLevel;

use super::{Identity, Judged, Outcome};

/// The result of a scenario that started at `clock` and ended in `outcome`.
///
/// A judged scenario gets the engine's rules, in this order: the checks and notes of
/// its mode; a check citing `checked_nothing` when it judged nothing (a scenario
/// without checks must never pass); a `should` scenario's failures as warnings; a
/// security scenario's failures as warnings unless `enforce_security` (advisory, see
/// [`crate::advisory`]). Secrets are scrubbed before, by the mode ([`Judged::scrub`]).
pub(crate) fn finish(
    identity: &Identity<'_>,
    outcome: Outcome,
    checked_nothing: impl FnOnce() -> CheckResult,
    implied: &pens_report::Location,
    enforce_security: bool,
    clock: Instant,
) -> ScenarioResult {
    let mut result = identity.result(Verdict::Pass);
    let judged = match outcome {
        Outcome::NotApplicable(reason) => {
            result.verdict = Verdict::NotApplicable;
            result.note = Some(reason);
            return result;
        }
        Outcome::HarnessError(error) => {
            result.verdict = Verdict::Error;
            result.note = Some(format!("harness error: {error}"));
            return result;
        }
        // The dispatcher leaves an unobserved scenario out before it gets here; should
        // one reach the rules all the same, it is reported as not run, never as judged.
        Outcome::NotRun | Outcome::Unobserved => return not_run(result),
        Outcome::Judged(judged) => judged,
    };
    let Judged { checks, notes, exchanges, judging_failed } = judged;
    result.checks = checks;
    result.exchanges = exchanges;
    if judging_failed {
        result.verdict = Verdict::Error;
    }
    result.note = (!notes.is_empty()).then(|| notes.join("; "));
    if result.checks.is_empty() && result.verdict != Verdict::Error {
        result.checks.push(checked_nothing());
    }
    // What no expectation's line asked for points at the line that implied it.
    crate::location::place_rest(&mut result.checks, implied);
    if identity.level == ScenarioLevel::Should {
        // A best-practice scenario: what it finds wrong is a warning, never a failure.
        soften_should(&mut result.checks);
    }
    if let Some(note) = crate::advisory::soften(&mut result, enforce_security) {
        result.note = Some(match result.note.take() {
            Some(existing) => format!("{existing}; {note}"),
            None => note,
        });
    }
    result.settle_verdict();
    result.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    result
}

/// A `should` scenario's failures, as warnings.
fn soften_should(checks: &mut [CheckResult]) {
    for check in checks {
        if check.verdict == Verdict::Fail {
            check.verdict = Verdict::Warn;
        }
    }
}

impl Judged {
    /// Scrubs every one of `secrets`, in order, from the checks, the notes and the
    /// exchanges: a peer may put a secret anywhere ([`crate::secret`]). Called by the
    /// mode on what one exchange showed, before the copies of a scenario are merged
    /// (their texts, each with its own secret, become one once scrubbed).
    pub(crate) fn scrub(&mut self, secrets: &[String]) {
        for secret in secrets {
            crate::secret::scrub_checks(&mut self.checks, secret);
            for note in &mut self.notes {
                *note = crate::secret::scrub(note, secret);
            }
            crate::secret::scrub_exchanges(&mut self.exchanges, secret);
        }
    }
}

/// `result`, marked as a scenario that never ran ([`pens_report::NOT_RUN_NOTE`]): it
/// says that it did not run, not why. The why is the report's `aborted` reason, given
/// once; copied under each of sixty scenarios it buried the one explanation a vendor
/// needs.
pub(crate) fn not_run(mut result: ScenarioResult) -> ScenarioResult {
    result.verdict = Verdict::Inconclusive;
    result.note = Some(pens_report::NOT_RUN_NOTE.to_owned());
    result
}

#[cfg(test)]
mod tests {
    use pens_proto::req;
    use pens_report::{Exchange, ExchangeKind};
    use pens_scenario::{Span, Spanned};

    use super::*;

    struct Scenario {
        id: Spanned<String>,
        title: Spanned<String>,
        tags: Vec<Spanned<String>>,
    }

    fn scenario(tags: &[&str]) -> Scenario {
        Scenario {
            id: Spanned::new("s".to_owned(), Span::default()),
            title: Spanned::new("t".to_owned(), Span::default()),
            tags: tags.iter().map(|t| Spanned::new((*t).to_owned(), Span::default())).collect(),
        }
    }

    fn identity(scenario: &Scenario, level: ScenarioLevel) -> Identity<'_> {
        Identity {
            id: &scenario.id,
            title: &scenario.title,
            source: std::path::Path::new("s.toml"),
            requirements: &[],
            tags: &scenario.tags,
            level,
        }
    }

    fn nothing() -> CheckResult {
        CheckResult::new(Verdict::Error, &req::TARGET_ACK_SYNCHRONOUS, "the scenario checked nothing")
    }

    fn implied() -> pens_report::Location {
        pens_report::Location::new("scenarios/target/x.toml", 6, 1)
    }

    fn failing(message: &str) -> Outcome {
        Outcome::Judged(Judged {
            checks: vec![CheckResult::new(Verdict::Fail, &req::TARGET_ACK_RESPONSE, message)],
            ..Judged::default()
        })
    }

    #[test]
    fn a_scenario_that_judged_nothing_is_an_error_unless_its_judging_already_failed() {
        let s = scenario(&[]);
        let result = finish(
            &identity(&s, ScenarioLevel::Must),
            Outcome::Judged(Judged::default()),
            nothing,
            &implied(),
            false,
            Instant::now(),
        );
        assert_eq!(result.verdict, Verdict::Error);
        assert_eq!(result.checks[0].message, "the scenario checked nothing");
        assert_eq!(result.checks[0].location, Some(implied()), "checked nothing points at the implied line");
        let failed = Judged { judging_failed: true, notes: vec!["harness error: x".into()], ..Judged::default() };
        let result = finish(
            &identity(&s, ScenarioLevel::Must),
            Outcome::Judged(failed),
            nothing,
            &implied(),
            false,
            Instant::now(),
        );
        assert_eq!((result.verdict, result.checks.len()), (Verdict::Error, 0));
        assert_eq!(result.note.as_deref(), Some("harness error: x"));
    }

    #[test]
    fn a_should_scenario_warns_where_a_must_scenario_fails() {
        let s = scenario(&[]);
        let must =
            finish(&identity(&s, ScenarioLevel::Must), failing("wrong"), nothing, &implied(), false, Instant::now());
        let should =
            finish(&identity(&s, ScenarioLevel::Should), failing("wrong"), nothing, &implied(), false, Instant::now());
        assert_eq!((must.verdict, should.verdict), (Verdict::Fail, Verdict::Warn));
        assert_eq!(should.checks[0].message, "wrong");
    }

    #[test]
    fn a_security_scenario_is_advisory_unless_enforced() {
        let s = scenario(&[crate::SECURITY_TAG]);
        let advisory =
            finish(&identity(&s, ScenarioLevel::Must), failing("unpacked"), nothing, &implied(), false, Instant::now());
        assert_eq!(advisory.verdict, Verdict::Warn);
        assert!(advisory.note.as_deref().is_some_and(|n| n.starts_with("advisory: 1 failed security check")));
        let enforced =
            finish(&identity(&s, ScenarioLevel::Must), failing("unpacked"), nothing, &implied(), true, Instant::now());
        assert_eq!((enforced.verdict, enforced.note), (Verdict::Fail, None));
    }

    #[test]
    fn secrets_are_scrubbed_from_checks_notes_and_exchanges() {
        let s = scenario(&[]);
        let mut judged = Judged {
            checks: vec![CheckResult::new(Verdict::Fail, &req::TARGET_ACK_RESPONSE, "echoed hunter22")],
            notes: vec!["saw hunter22".into(), "and more".into()],
            exchanges: vec![Exchange::new(ExchangeKind::Collect, 0, "sent hunter22").with_request("x=hunter22")],
            judging_failed: false,
        };
        judged.scrub(&["hunter22".to_owned()]);
        let result = finish(
            &identity(&s, ScenarioLevel::Must),
            Outcome::Judged(judged),
            nothing,
            &implied(),
            false,
            Instant::now(),
        );
        let shown = serde_json::to_string(&result).expect("a result serialises");
        assert!(!shown.contains("hunter22"), "{shown}");
        assert_eq!(result.note.as_deref(), Some(format!("saw {0}; and more", pens_proto::REDACTED).as_str()));
    }

    #[test]
    fn not_applicable_harness_errors_and_not_run_skip_the_rules() {
        let s = scenario(&[]);
        let id = identity(&s, ScenarioLevel::Must);
        let na = finish(&id, Outcome::NotApplicable("no FTP".into()), nothing, &implied(), false, Instant::now());
        assert_eq!((na.verdict, na.note.as_deref(), na.checks.len()), (Verdict::NotApplicable, Some("no FTP"), 0));
        let error = finish(&id, Outcome::HarnessError("no fixture".into()), nothing, &implied(), false, Instant::now());
        assert_eq!((error.verdict, error.note.as_deref()), (Verdict::Error, Some("harness error: no fixture")));
        let skipped = finish(&id, Outcome::NotRun, nothing, &implied(), false, Instant::now());
        assert!(skipped.is_not_run());
    }
}
