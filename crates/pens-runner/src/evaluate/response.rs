//! The answer to the collect (CMI010 §5, §6.3): in time, in the exact format, with the
//! right code.

use pens_proto::{ErrorCode, check_content_type, parse_response, req};
use pens_report::{CheckResult, Verdict};

use super::{Settings, codes_text};
use crate::evidence::Evidence;
use crate::plan::ResponseExpect;

pub(super) fn judge(evidence: &Evidence, expect: &ResponseExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let answer = match &evidence.exchange.outcome {
        Ok(answer) => answer,
        Err(error) => {
            return vec![CheckResult::new(
                Verdict::Fail,
                &req::TARGET_ACK_SYNCHRONOUS,
                format!("no answer to the collect within {} ms: {error}", settings.deadlines.ack.as_millis()),
            )];
        }
    };
    let mut checks = Vec::new();
    if !(200..300).contains(&answer.status) {
        checks.push(CheckResult::new(
            Verdict::Warn,
            &req::TARGET_ACK_RESPONSE,
            format!("HTTP status {}; a PENS answer travels as the body of a 200 response", answer.status),
        ));
    }
    let parsed = parse_response(&answer.body);
    let body_text = String::from_utf8_lossy(&answer.body).into_owned();
    for finding in &parsed.findings {
        let counts = expect.strict
            || std::ptr::eq(finding.requirement, &req::RESPONSE_ERROR_PRESENT)
            || std::ptr::eq(finding.requirement, &req::RESPONSE_ERROR_NUMERIC);
        if counts {
            let mut check = CheckResult::from_finding(finding, "answer to the collect");
            if std::ptr::eq(finding.requirement, &req::RESPONSE_CRLF)
                && let Some(exact) = parsed.response()
            {
                check = check.with_diff(&exact.encode(), &body_text);
            }
            checks.push(check);
        }
    }
    if expect.strict {
        let content_type =
            answer.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
        if let Some(finding) = check_content_type(content_type) {
            checks.push(CheckResult::from_finding(&finding, "answer to the collect"));
        }
    }
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
