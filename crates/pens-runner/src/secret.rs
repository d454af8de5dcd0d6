//! Keeping a scenario's `{{secret}}`, and the harness's own secrets of the run, out of
//! its result. Element names and URL userinfo are redacted where the evidence is
//! written down (`exchanges`); a target may still put a secret anywhere else (an
//! error-text, a header it echoes, the `Basic` credentials of the target URL), so every
//! text of the result is scrubbed of each secret as a last step, the exact bytes of the
//! evidence too: the evidence is the target's bytes, but the harness's secrets in them
//! are the harness's to hide.

use base64::Engine as _;
use pens_report::{CheckResult, Exchange};

use crate::RunOptions;

/// The shortest secret scrubbed by value: a shorter one would blank ordinary text all
/// over the report (it is still hidden where a name or a URL's userinfo says it is).
const MIN_SCRUBBED_CHARS: usize = 4;

/// The harness's own secrets of a target run, in every form the evidence may hold them:
/// the profile's `system-password` (as given and form-encoded), and the password of the
/// target URL's userinfo (as written in the URL, percent-decoded, and inside the
/// `Basic` credentials the HTTP client sends for it, RFC 7617 §2).
pub(crate) fn run_secrets(options: &RunOptions) -> Vec<String> {
    secrets_of(options.system_password.as_deref(), &options.target_url)
}

/// The same, of a `system_password` and a `target_url`, whatever the mode.
pub(crate) fn secrets_of(system_password: Option<&str>, target_url: &str) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(password) = system_password {
        secrets.push(password.to_owned());
        secrets.push(pens_proto::encode_form([("", password)]).trim_start_matches('=').to_owned());
    }
    if let Some((user, password)) = pens_proto::userinfo_of(target_url) {
        let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
        let plain = decode(password);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{plain}", decode(user)));
        secrets.extend([password.to_owned(), plain, basic]);
    }
    secrets.retain(|secret| secret.chars().count() >= MIN_SCRUBBED_CHARS);
    longest_first(&mut secrets);
    secrets
}

/// Puts `secrets` in the order they are scrubbed in, each once: the longest first, so
/// that a secret holding another is hidden whole.
pub(crate) fn longest_first(secrets: &mut Vec<String>) {
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    secrets.dedup();
}

/// The secrets of a collect as an observe run got it (CMI010 §6.2.5, §6.2.14): the
/// values of its secret elements (`package-url-password`, `system-password`, and any
/// other element named like a password), and the password of the userinfo of its
/// `package-url`, `receipt` and `alerts`, each in the forms [`secrets_of`] finds. An LMS
/// may echo any of them in a receipt or alert; the tool's passwords are not the report's
/// to show. A value already redacted is no secret.
pub(crate) fn collect_secrets(decoded: &pens_proto::DecodedCollect) -> Vec<String> {
    let command = &decoded.command;
    let values = command.pairs().into_iter().filter(|(name, _)| pens_proto::is_secret_name(name)).map(|(_, v)| v);
    let repeated = decoded.last_values.iter().filter(|(e, _)| e.is_secret()).map(|(_, v)| v.as_str());
    let mut secrets = Vec::new();
    for value in values.chain(repeated).filter(|v| *v != pens_proto::REDACTED) {
        secrets.extend(secrets_of(Some(value), ""));
    }
    for url in [&command.package_url, &command.receipt, &command.alerts].into_iter().flatten() {
        if pens_proto::userinfo_of(url).is_some_and(|(_, password)| !password.contains(pens_proto::REDACTED)) {
            secrets.extend(secrets_of(None, url));
        }
    }
    longest_first(&mut secrets);
    secrets
}

/// `text` with every one of `secrets` replaced by [`pens_proto::REDACTED`].
pub(crate) fn scrub_all(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |text, secret| scrub(&text, secret))
}

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

    /// The target URL's password is found as written, decoded and in `Basic`
    /// credentials; the system password as given and form-encoded; short ones are left
    /// to the structural redaction.
    #[test]
    fn the_run_secrets_come_in_every_form_the_evidence_may_hold() {
        let mut options = RunOptions::new("http://alice:p%40ss%20w0rd@lms.example/pens", "fixtures");
        options.system_password = Some("sys pw&1".into());
        let secrets = run_secrets(&options);
        for form in ["p%40ss%20w0rd", "p@ss w0rd", "YWxpY2U6cEBzcyB3MHJk", "sys pw&1", "sys+pw%261"] {
            assert!(secrets.iter().any(|s| s == form), "{form} not in {secrets:?}");
        }
        let text = "Authorization: Basic YWxpY2U6cEBzcyB3MHJk; echo p@ss w0rd and sys+pw%261";
        assert!(!scrub_all(text, &secrets).contains("w0rd") && !scrub_all(text, &secrets).contains("YWxp"));
        options.target_url = "http://a:xy@lms/pens".into();
        options.system_password = None;
        // A two-character password is left to the redaction of the URL; its `Basic`
        // credentials are long enough to scrub.
        assert_eq!(run_secrets(&options), ["YTp4eQ=="]);
    }

    /// A collect's secret elements, repeated ones too, and its URLs' passwords are
    /// found in every form; values the relay already redacted are not.
    #[test]
    fn the_collect_secrets_are_its_secret_elements_and_url_passwords() {
        let form = "command=collect&package-url=http%3A%2F%2Fa%3Aurl%2520pw%40tool%2Fp.zip&package-url-password=pkg+pw\
                    &system-password=sys-pw-1&system-password=sys-pw-2&proxy-password=prx-pw-3\
                    &receipt=http%3A%2F%2Fr%3A%5Bredacted%5D%40tool%2Fr";
        let secrets = collect_secrets(&pens_proto::CollectCommand::decode(form.as_bytes()));
        for form in ["url%20pw", "url pw", "pkg pw", "pkg+pw", "sys-pw-1", "sys-pw-2", "prx-pw-3"] {
            assert!(secrets.iter().any(|s| s == form), "{form} not in {secrets:?}");
        }
        assert!(secrets.iter().all(|s| !s.contains("redacted")), "{secrets:?}");
        let redacted = format!("command=collect&system-password={}", pens_proto::REDACTED);
        assert!(collect_secrets(&pens_proto::CollectCommand::decode(redacted.as_bytes())).is_empty());
    }

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
