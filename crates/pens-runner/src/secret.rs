//! Keeping a scenario's `{{secret}}` out of its result. Element names and URL userinfo
//! are redacted where the evidence is written down (`exchanges`); a target may still
//! put the secret anywhere else (an error-text, a header it echoes), so every text of
//! the result is scrubbed of it as a last step.

use pens_report::{CheckResult, Exchange};

/// `text` with every occurrence of `secret` replaced by [`pens_proto::REDACTED`].
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        return text.to_owned();
    }
    text.replace(secret, pens_proto::REDACTED)
}

/// Scrubs `secret` from every message, value and diff of `checks`.
pub(crate) fn scrub_checks(checks: &mut [CheckResult], secret: &str) {
    for check in checks {
        check.message = scrub(&check.message, secret);
        for text in [&mut check.expected, &mut check.actual, &mut check.diff].into_iter().flatten() {
            *text = scrub(text, secret);
        }
    }
}

/// Scrubs `secret` from every summary, request and response of `exchanges`.
pub(crate) fn scrub_exchanges(exchanges: &mut [Exchange], secret: &str) {
    for exchange in exchanges {
        exchange.summary = scrub(&exchange.summary, secret);
        for text in [&mut exchange.request, &mut exchange.response].into_iter().flatten() {
            *text = scrub(text, secret);
        }
    }
}

#[cfg(test)]
mod tests {
    use pens_proto::req;
    use pens_report::Verdict;

    use super::*;

    #[test]
    fn the_secret_is_replaced_everywhere() {
        let secret = "0123abcd";
        assert_eq!(scrub("a 0123abcd b 0123abcd", secret), format!("a {0} b {0}", pens_proto::REDACTED));
        assert_eq!(scrub("nothing", ""), "nothing");
        let mut checks = vec![
            CheckResult::new(Verdict::Fail, &req::TARGET_RECEIPT_OUTCOME, "said 0123abcd")
                .expected_actual("x", "got 0123abcd"),
        ];
        scrub_checks(&mut checks, secret);
        assert!(!format!("{checks:?}").contains(secret), "{checks:?}");
    }
}
