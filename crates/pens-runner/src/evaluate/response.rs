//! The answer to the collect (CMI010 §5, §6.3): in time, in the exact format, with the
//! right code.

use pens_proto::{ErrorCode, req};
use pens_report::{CheckResult, Verdict};

use super::{Settings, codes_text, disclosure};
use crate::checks::answer::{Answer, AnswerRules};
use crate::evidence::Evidence;
use crate::plan::ResponseExpect;

pub(super) fn judge(evidence: &Evidence, expect: &ResponseExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let answer = match &evidence.exchange.outcome {
        Ok(answer) => answer,
        Err(error) => {
            // At the deadline the exchange says so itself; a broken answer ends sooner,
            // and the message must not claim the whole deadline was waited.
            let because = (!evidence.exchange.timed_out).then_some("the exchange ended before it, on this error");
            let watched = evidence.answer_watched(settings.deadlines.ack, because);
            return vec![CheckResult::new(
                Verdict::Fail,
                &req::TARGET_ACK_SYNCHRONOUS,
                format!("no answer to the collect {}: {error}", watched.within()),
            )];
        }
    };
    let mut checks = vec![CheckResult::new(
        Verdict::Pass,
        &req::TARGET_ACK_SYNCHRONOUS,
        format!(
            "answered in {} ms (deadline {} ms)",
            evidence.exchange.latency_ms.unwrap_or_default(),
            settings.deadlines.ack.as_millis()
        ),
    )];
    let content_type =
        answer.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
    // The answer's form, as client mode judges a tool's answer to a receipt.
    let (form, parsed) = crate::checks::answer::judge_form(
        &Answer { status: Some(answer.status), content_type, body: &answer.body },
        &AnswerRules {
            context: "answer to the collect",
            strict: expect.strict,
            status_requirement: &req::TARGET_ACK_RESPONSE,
            status_names_context: false,
        },
    );
    checks.extend(form);
    let body_text = String::from_utf8_lossy(&answer.body).into_owned();
    let main = settings.main_requirement;
    if !expect.does_not_contain.is_empty() {
        let fields: Vec<(String, String)> = [("error-text", &parsed.error_text), ("pens-data", &parsed.pens_data)]
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name.to_owned(), v)))
            .collect();
        checks.push(disclosure::judge("the answer", &body_text, &fields, &expect.does_not_contain, main));
    }
    checks.extend(disclosure::judge_escapes(content_type, &body_text, &expect.escapes, main));
    let Some(code) = parsed.error else {
        return checks;
    };
    checks.push(judge_code(evidence, expect, settings, code));
    checks
}

fn judge_code(evidence: &Evidence, expect: &ResponseExpect, settings: &Settings<'_>, code: ErrorCode) -> CheckResult {
    let acceptable: Vec<u16> = match &expect.error {
        Some(codes) => codes.clone(),
        None => evidence.expected.acceptable.iter().map(|c| c.0).collect(),
    };
    let expected_text = codes_text(&acceptable);
    let requirement =
        if acceptable.iter().all(|&c| c == 0) { settings.main_requirement } else { &req::TARGET_ERROR_CODE };
    let described = format!("{code} ({})", code.describe().trim_end_matches('.'));
    if acceptable.contains(&code.0) {
        return CheckResult::new(Verdict::Pass, requirement, format!("answered {described}"));
    }
    // CMI010 §6.3: a target that fetches before it answers may answer with the staging
    // server's own code where it is indicative of the error (404 for 1310).
    if let Some(note) = evidence.stand_in(code.0, &acceptable) {
        return CheckResult::new(Verdict::Pass, requirement, format!("answered {code}, {note}"));
    }
    if expect.warn.contains(&code.0) {
        return CheckResult::new(
            Verdict::Warn,
            requirement,
            format!("answered {described}; {expected_text} is better"),
        )
        .expected_actual(expected_text, code.to_string());
    }
    let applicable_lower = evidence.expected.problems.iter().any(|p| p.code == code && !code.is_success());
    if applicable_lower && !acceptable.contains(&0) {
        return CheckResult::new(
            expect.other_errors,
            &req::TARGET_ERROR_HIGHEST,
            format!("answered {code}, which applies, but the highest-numbered applicable code is {expected_text}"),
        )
        .expected_actual(expected_text, code.to_string());
    }
    let refused_otherwise = !code.is_success() && acceptable.iter().all(|&c| c != 0);
    let verdict = if refused_otherwise { expect.other_errors } else { Verdict::Fail };
    let message = if code.is_success() {
        format!("answered 0 (success) where CMI010 requires {expected_text}")
    } else if refused_otherwise {
        format!("refused the command with {described}, but the code CMI010 assigns is {expected_text}")
    } else {
        format!("answered {described} where {expected_text} was expected")
    };
    CheckResult::new(verdict, requirement, message).expected_actual(expected_text, code.to_string())
}

#[cfg(test)]
mod tests {
    use pens_proto::{Element, PensResponse, req};
    use pens_report::{CheckResult, Verdict};

    use super::judge;
    use crate::evaluate::testing::{outline, settings, valid, without, worst};
    use crate::evidence::Evidence;
    use crate::plan::ResponseExpect;

    fn expect(error: Option<&[u16]>, warn: &[u16], other_errors: Verdict) -> ResponseExpect {
        ResponseExpect {
            error: error.map(<[u16]>::to_vec),
            warn: warn.to_vec(),
            other_errors,
            ..ResponseExpect::default()
        }
    }

    /// The checks of an answer that came, without the timeliness credit every one gets.
    fn judged(evidence: &Evidence, expect: &ResponseExpect) -> Vec<CheckResult> {
        let mut checks = judge(evidence, expect, &settings());
        let timely = checks.iter().position(|c| c.requirement == "target.ack.synchronous");
        if let Some(index) = timely {
            assert_eq!(checks.remove(index).verdict, Verdict::Pass, "an answer that came is in time");
        }
        checks
    }

    /// The one code check of a well-formed answer.
    fn code_check(evidence: &Evidence, expect: &ResponseExpect) -> CheckResult {
        let checks = judged(evidence, expect);
        assert_eq!(checks.len(), 1, "a well-formed answer yields only the code check: {checks:#?}");
        checks.into_iter().next().expect("one check")
    }

    /// CMI010 §6.3: a target that fetched before answering may answer with the staging
    /// server's status where it is indicative of the error; only for retrieval codes.
    #[test]
    fn an_indicative_protocol_code_stands_in_for_a_retrieval_code() {
        let check = code_check(&valid().answered_with(404), &expect(Some(&[1310]), &[1301], Verdict::Warn));
        assert_eq!(check.verdict, Verdict::Pass, "{check:#?}");
        assert!(
            check.message.contains("underlying protocol's code for 1310 (HTTP 404 Not Found)"),
            "{}",
            check.message
        );
        let check = code_check(&valid().answered_with(404), &expect(Some(&[2008]), &[], Verdict::Fail));
        assert_eq!(check.verdict, Verdict::Fail, "404 says nothing of a parameter: {check:#?}");
        let check = code_check(&valid().answered_with(404), &expect(Some(&[0]), &[], Verdict::Fail));
        assert_eq!(check.verdict, Verdict::Fail, "no stand-in for success: {check:#?}");
    }

    #[test]
    fn codes_are_judged_against_the_acceptable_and_warn_lists() {
        struct Case {
            name: &'static str,
            error: Option<&'static [u16]>,
            warn: &'static [u16],
            answered: u16,
            verdict: Verdict,
            requirement: &'static str,
        }
        let cases = [
            Case {
                name: "0 where 0 is expected cites the scenario's main requirement",
                error: Some(&[0]),
                warn: &[],
                answered: 0,
                verdict: Verdict::Pass,
                requirement: "target.collect.post",
            },
            Case {
                name: "an acceptable error code",
                error: Some(&[1310]),
                warn: &[1301],
                answered: 1310,
                verdict: Verdict::Pass,
                requirement: "target.error.applicable-code",
            },
            Case {
                name: "a code of the warn list",
                error: Some(&[1310]),
                warn: &[1301],
                answered: 1301,
                verdict: Verdict::Warn,
                requirement: "target.error.applicable-code",
            },
            Case {
                name: "a warn-listed code where 0 is expected",
                error: Some(&[0]),
                warn: &[1301],
                answered: 1301,
                verdict: Verdict::Warn,
                requirement: "target.collect.post",
            },
            Case {
                name: "an error where 0 is expected",
                error: Some(&[0]),
                warn: &[],
                answered: 1301,
                verdict: Verdict::Fail,
                requirement: "target.collect.post",
            },
            Case {
                name: "0 where an error is expected",
                error: Some(&[2011]),
                warn: &[],
                answered: 0,
                verdict: Verdict::Fail,
                requirement: "target.error.applicable-code",
            },
            Case {
                name: "one of several acceptable codes",
                error: Some(&[1322, 2009]),
                warn: &[],
                answered: 2009,
                verdict: Verdict::Pass,
                requirement: "target.error.applicable-code",
            },
            Case {
                name: "no list: the computed answer (0 for a valid collect)",
                error: None,
                warn: &[],
                answered: 0,
                verdict: Verdict::Pass,
                requirement: "target.collect.post",
            },
            Case {
                name: "no list: anything else is a failure for a valid collect",
                error: None,
                warn: &[],
                answered: 2011,
                verdict: Verdict::Fail,
                requirement: "target.collect.post",
            },
        ];
        for case in cases {
            let evidence = valid().answered_with(case.answered);
            let check = code_check(&evidence, &expect(case.error, case.warn, Verdict::Warn));
            assert_eq!((check.verdict, check.requirement.as_str()), (case.verdict, case.requirement), "{}", case.name);
            if case.verdict != Verdict::Pass {
                assert_eq!(check.actual.as_deref(), Some(case.answered.to_string().as_str()), "{}", case.name);
            }
        }
    }

    #[test]
    fn zero_where_an_error_is_expected_fails_whatever_other_errors_says() {
        let evidence = without(&[Element::Receipt]).answered_with(0);
        for other_errors in [Verdict::Warn, Verdict::Fail] {
            let check = code_check(&evidence, &expect(Some(&[2011]), &[], other_errors));
            assert_eq!(check.verdict, Verdict::Fail);
            assert_eq!(check.message, "answered 0 (success) where CMI010 requires 2011");
            assert_eq!((check.expected.as_deref(), check.actual.as_deref()), (Some("2011"), Some("0")));
        }
        // The computed answer, too.
        let check = code_check(&evidence, &expect(None, &[], Verdict::Warn));
        assert_eq!((check.verdict, check.requirement.as_str()), (Verdict::Fail, "target.error.applicable-code"));
    }

    #[test]
    fn another_refusal_follows_other_errors() {
        // The collect lacks `receipt` (2011); the target refuses it for another reason.
        let evidence = without(&[Element::Receipt]).answered_with(1420);
        for other_errors in [Verdict::Warn, Verdict::Fail] {
            let check = code_check(&evidence, &expect(Some(&[2011]), &[], other_errors));
            assert_eq!(check.verdict, other_errors);
            assert_eq!(check.requirement, "target.error.applicable-code");
            assert!(check.message.starts_with("refused the command with 1420 ("), "{}", check.message);
            assert!(check.message.ends_with("but the code CMI010 assigns is 2011"), "{}", check.message);
        }
    }

    #[test]
    fn a_lower_applicable_code_cites_the_highest_numbered_rule() {
        // Without package-type (2003) and client (2010), 2010 is the highest applicable code.
        let evidence = without(&[Element::PackageType, Element::Client]).answered_with(2003);
        assert_eq!(evidence.expected.code.0, 2010);
        for other_errors in [Verdict::Warn, Verdict::Fail] {
            for error in [Some(&[2010][..]), None] {
                let check = code_check(&evidence, &expect(error, &[], other_errors));
                assert_eq!(check.verdict, other_errors, "{error:?}");
                assert_eq!(check.requirement, req::TARGET_ERROR_HIGHEST.id);
                assert_eq!(check.requirement, "target.error.highest-numbered");
                assert_eq!(
                    check.message,
                    "answered 2003, which applies, but the highest-numbered applicable code is 2010"
                );
                assert_eq!((check.expected.as_deref(), check.actual.as_deref()), (Some("2010"), Some("2003")));
            }
        }
        // The highest one passes.
        let evidence = without(&[Element::PackageType, Element::Client]).answered_with(2010);
        assert_eq!(code_check(&evidence, &expect(None, &[], Verdict::Fail)).verdict, Verdict::Pass);
    }

    #[test]
    fn an_answer_in_time_is_credited_to_the_synchronous_acknowledgement() {
        let checks = judge(&valid().answered_with(0), &expect(Some(&[0]), &[], Verdict::Warn), &settings());
        assert_eq!(
            outline(&checks),
            [(Verdict::Pass, "target.ack.synchronous"), (Verdict::Pass, "target.collect.post")]
        );
    }

    #[test]
    fn no_answer_fails_the_synchronous_acknowledgement() {
        let checks = judge(&valid().unanswered(), &expect(Some(&[0]), &[], Verdict::Warn), &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.ack.synchronous")]);
        assert_eq!(
            checks[0].message,
            "no answer to the collect within 1000 ms of sending it (the ack deadline is 1000 ms): no answer within 1000 ms"
        );
    }

    #[test]
    fn a_status_other_than_2xx_warns_and_the_code_is_still_judged() {
        let body = PensResponse::success("ok").encode();
        let checks = judged(&valid().answer(500, Some("text/plain"), &body), &expect(Some(&[0]), &[], Verdict::Warn));
        assert_eq!(
            outline(&checks),
            [(Verdict::Warn, "target.ack.response-format"), (Verdict::Pass, "target.collect.post")]
        );
        assert!(checks[0].message.starts_with("HTTP status 500"), "{}", checks[0].message);
    }

    #[test]
    fn garbage_without_an_error_line_fails_strict_and_lenient() {
        for body in ["<html><body>Internal Server Error</body></html>", "", "\0\0\0"] {
            for strict in [true, false] {
                let expect = ResponseExpect { strict, ..expect(Some(&[0]), &[], Verdict::Warn) };
                let checks = judged(&valid().answer(200, Some("text/html"), body), &expect);
                assert!(
                    checks.iter().any(|c| c.verdict == Verdict::Fail && c.requirement == "response.error.present"),
                    "{body:?} strict={strict}: {checks:#?}"
                );
                assert!(checks.iter().all(|c| c.verdict != Verdict::Error), "{checks:#?}");
            }
        }
    }

    #[test]
    fn lf_line_ends_fail_strict_with_a_diff_and_pass_lenient() {
        let body = PensResponse::success("ok").encode().replace("\r\n", "\n");
        let evidence = valid().answer(200, Some("text/plain"), &body);
        let strict = judged(&evidence, &expect(Some(&[0]), &[], Verdict::Warn));
        let crlf = strict.iter().find(|c| c.requirement == "response.line-ending.crlf").expect("a CR LF check");
        assert_eq!(crlf.verdict, Verdict::Fail);
        let diff = crlf.diff.as_deref().expect("a diff");
        assert!(diff.contains("-error=0\\r") && diff.contains("+error=0\n"), "{diff}");
        assert_eq!(strict.last().map(|c| c.verdict), Some(Verdict::Pass), "the code is still judged");

        let lenient = ResponseExpect { strict: false, ..expect(Some(&[0]), &[], Verdict::Warn) };
        let checks = judged(&evidence, &lenient);
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.collect.post")]);
    }

    /// Lines pens-proto does not know are quoted a few at a time and then counted: a 1 MB
    /// answer of short lines once made 1.2 million checks and a 270 MB report.
    #[test]
    fn a_long_answer_yields_a_bounded_number_of_checks() {
        // Before `pens-data=`, which runs to the end of the body.
        let body =
            format!("error=0\r\nerror-text=ok\r\nversion=1.0.0\r\n{}pens-data=\r\n", "<p>x</p>\r\n".repeat(10_000));
        let checks = judged(&valid().answer(200, Some("text/plain"), &body), &expect(Some(&[0]), &[], Verdict::Warn));
        let known_lines = checks.iter().filter(|c| c.requirement == "response.known-lines").count();
        assert!(known_lines <= 10, "{known_lines} checks for unknown lines");
    }

    #[test]
    fn the_content_type_counts_only_when_strict() {
        let body = PensResponse::success("ok").encode();
        let evidence = valid().answer(200, Some("text/html"), &body);
        let strict = judged(&evidence, &expect(Some(&[0]), &[], Verdict::Warn));
        assert_eq!(
            outline(&strict),
            [(Verdict::Warn, "response.content-type"), (Verdict::Pass, "target.collect.post")]
        );
        let lenient = ResponseExpect { strict: false, ..expect(Some(&[0]), &[], Verdict::Warn) };
        assert_eq!(worst(&judged(&evidence, &lenient)), Verdict::Pass);
    }
}
