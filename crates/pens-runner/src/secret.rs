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

/// `bytes` with every occurrence of `secret` replaced by [`pens_proto::REDACTED`]; the
/// other bytes are kept exactly, whether or not they are UTF-8.
pub(crate) fn scrub_bytes(bytes: &[u8], secret: &str) -> Vec<u8> {
    let secret = secret.as_bytes();
    if secret.is_empty() {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some(at) = rest.windows(secret.len()).position(|window| window == secret) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(pens_proto::REDACTED.as_bytes());
        rest = &rest[at + secret.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// Scrubs `secret` from every summary, request and response of `exchanges`, in the
/// exact bytes the report keeps (base64 or not).
pub(crate) fn scrub_exchanges(exchanges: &mut [Exchange], secret: &str) {
    for exchange in exchanges {
        exchange.summary = scrub(&exchange.summary, secret);
        exchange.rewrite_bytes(|bytes| scrub_bytes(bytes, secret));
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

    /// The secret is scrubbed from the exact bytes, base64 or not, and every other byte
    /// is kept: a CR stays a CR, a literal backslash-r stays two characters, 0xff stays.
    #[test]
    fn the_secret_is_scrubbed_from_exact_bytes_kept_exact() {
        let secret = "0123abcd";
        let text = b"error=0\r\nerror-text=\\r 0123abcd\r\n";
        let binary = b"error-text=\xff\xfe0123abcd\r\n";
        let mut exchanges = vec![
            Exchange::new(pens_report::ExchangeKind::Collect, 0, "POST 0123abcd").with_response(text),
            Exchange::new(pens_report::ExchangeKind::Receipt, 1, "receipt").with_request(binary),
        ];
        scrub_exchanges(&mut exchanges, secret);
        let redacted = pens_proto::REDACTED;
        assert_eq!(exchanges[0].summary, format!("POST {redacted}"));
        let response = exchanges[0].response_bytes().expect("response").expect("bytes").into_owned();
        assert_eq!(response, format!("error=0\r\nerror-text=\\r {redacted}\r\n").into_bytes());
        assert_eq!(exchanges[1].request_encoding, Some(pens_report::BodyEncoding::Base64));
        let request = exchanges[1].request_bytes().expect("request").expect("bytes").into_owned();
        assert_eq!(request, [b"error-text=\xff\xfe".as_slice(), redacted.as_bytes(), b"\r\n"].concat());
        assert!(!serde_json::to_string(&exchanges).expect("json").contains(secret));
    }
}
