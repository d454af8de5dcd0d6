//! The one judge of a PENS answer's form (CMI010 §6.3): the body of a 200 response,
//! four CR LF lines (`error`, `error-text`, `version`, `pens-data`), `text/plain`.
//! Target mode judges the LMS's answer to a collect with it, client mode the authoring
//! tool's answer to a receipt or an alert; the answer's `error` code means something
//! different to each, so each judges the code itself.

use pens_proto::{ParsedResponse, Requirement, check_content_type, parse_response, req};
use pens_report::{CheckResult, Verdict};

/// An answer as either mode received it.
pub(crate) struct Answer<'a> {
    /// The HTTP status, when there was one.
    pub(crate) status: Option<u16>,
    /// The `Content-Type` header, when sent.
    pub(crate) content_type: Option<&'a str>,
    /// The body as received.
    pub(crate) body: &'a [u8],
}

/// How strictly, and in whose words, an answer is judged.
pub(crate) struct AnswerRules<'a> {
    /// What the findings call the answer: `answer to the collect`.
    pub(crate) context: &'a str,
    /// Every format finding counts, and the `Content-Type`. Otherwise only a missing or
    /// non-numeric `error` does (target mode's lenient scenarios: what a vendor's answer
    /// means is judged, not how it is laid out).
    pub(crate) strict: bool,
    /// What a non-2xx status's warning cites.
    pub(crate) status_requirement: &'static Requirement,
    /// Whether that warning starts with `context`.
    pub(crate) status_names_context: bool,
}

/// The checks on the answer's form, in report order (status, layout findings,
/// `Content-Type`), and the answer as parsed, for the mode to judge its code.
pub(crate) fn judge_form(answer: &Answer<'_>, rules: &AnswerRules<'_>) -> (Vec<CheckResult>, ParsedResponse) {
    let mut checks = Vec::new();
    if let Some(status) = answer.status.filter(|s| !(200..300).contains(s)) {
        let context = if rules.status_names_context { format!("{}: ", rules.context) } else { String::new() };
        checks.push(CheckResult::new(
            Verdict::Warn,
            rules.status_requirement,
            format!("{context}HTTP status {status}; a PENS answer travels as the body of a 200 response"),
        ));
    }
    let parsed = parse_response(answer.body);
    for finding in &parsed.findings {
        let counts = rules.strict
            || std::ptr::eq(finding.requirement, &req::RESPONSE_ERROR_PRESENT)
            || std::ptr::eq(finding.requirement, &req::RESPONSE_ERROR_NUMERIC);
        if !counts {
            continue;
        }
        let mut check = CheckResult::from_finding(finding, rules.context);
        if std::ptr::eq(finding.requirement, &req::RESPONSE_CRLF)
            && let Some(exact) = parsed.response()
        {
            check = check.with_diff(&exact.encode(), &String::from_utf8_lossy(answer.body));
        }
        checks.push(check);
    }
    if rules.strict
        && let Some(finding) = check_content_type(answer.content_type)
    {
        checks.push(CheckResult::from_finding(&finding, rules.context));
    }
    (checks, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(strict: bool) -> AnswerRules<'static> {
        AnswerRules {
            context: "answer to the collect",
            strict,
            status_requirement: &req::TARGET_ACK_RESPONSE,
            status_names_context: false,
        }
    }

    fn answer(status: Option<u16>, content_type: Option<&'static str>, body: &'static [u8]) -> Answer<'static> {
        Answer { status, content_type, body }
    }

    #[test]
    fn a_well_formed_answer_raises_nothing_and_is_parsed() {
        let body = b"error=0\r\nerror-text=\r\nversion=1.0.0\r\npens-data=\r\n";
        let (checks, parsed) = judge_form(&answer(Some(200), Some("text/plain"), body), &rules(true));
        assert!(checks.is_empty(), "{checks:?}");
        assert_eq!(parsed.error.map(|code| code.is_success()), Some(true));
    }

    #[test]
    fn lenient_rules_count_only_a_missing_error_where_strict_ones_count_the_layout_too() {
        let bare_lf = answer(Some(200), None, b"error=0\nerror-text=\nversion=1.0.0\npens-data=\n");
        let (lenient, _) = judge_form(&bare_lf, &rules(false));
        assert!(lenient.is_empty(), "{lenient:?}");
        let (strict, _) = judge_form(&bare_lf, &rules(true));
        let crlf = strict.iter().find(|c| c.requirement == req::RESPONSE_CRLF.id).expect("the CR LF finding");
        assert!(crlf.diff.is_some(), "the CR LF finding shows the exact answer beside what came");
        assert!(strict.iter().any(|c| c.message.contains("answer to the collect")), "{strict:?}");
        let (no_error, _) = judge_form(&answer(Some(200), None, b"hello"), &rules(false));
        assert!(no_error.iter().any(|c| c.requirement == req::RESPONSE_ERROR_PRESENT.id), "{no_error:?}");
    }

    #[test]
    fn a_status_other_than_2xx_is_a_warning_named_as_each_mode_names_it() {
        let body = b"error=0\r\nerror-text=\r\nversion=1.0.0\r\npens-data=\r\n";
        let (checks, _) = judge_form(&answer(Some(404), Some("text/plain"), body), &rules(true));
        assert_eq!(checks[0].verdict, Verdict::Warn);
        assert_eq!(checks[0].message, "HTTP status 404; a PENS answer travels as the body of a 200 response");
        let named = AnswerRules { context: "answer to receipt", status_names_context: true, ..rules(true) };
        let (checks, _) = judge_form(&answer(Some(500), Some("text/plain"), body), &named);
        assert!(checks[0].message.starts_with("answer to receipt: HTTP status 500;"), "{}", checks[0].message);
        let (none, _) = judge_form(&answer(None, Some("text/plain"), body), &named);
        assert!(none.is_empty(), "no status (mail, a bare answer) is no warning: {none:?}");
    }
}
