//! The wire binding of PENS messages: `name=value` pairs, URL-encoded, carried either as
//! an HTTP GET query string or as an `application/x-www-form-urlencoded` POST body
//! (CMI010 §5, Appendix A).
//!
//! The decoder is lenient on purpose: it recovers every pair it can and reports each
//! deviation from the encoding as a [`Finding`], because a conformance tool must say
//! *what* is wrong with a message rather than refuse it.

use std::borrow::Cow;

use std::fmt;

use crate::element::is_secret_name;
use crate::finding::{Finding, REDACTED};
use crate::requirement::req;

/// The media type of a PENS POST body.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Pairs decoded from a form or query, in arrival order, with what was wrong in the encoding.
/// Its `Debug` output hides secret values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DecodedForm {
    /// `(name, value)` in arrival order, duplicates kept.
    pub pairs: Vec<(String, String)>,
    /// Encoding deviations, at most one per kind and pair.
    pub findings: Vec<Finding>,
    /// Whether the input could not be read as a PENS message at all (no pair, or bytes
    /// that are not text): a target may then answer 1101 whatever else is wrong.
    pub unparseable: bool,
}

/// Decodes a query string or POST body. A leading `?` is ignored; to decode the query
/// of a whole URL use [`query_of`] first.
pub fn decode_form(input: &[u8]) -> DecodedForm {
    let input = input.strip_prefix(b"?").unwrap_or(input);
    let mut decoded = DecodedForm::default();
    let trimmed = input.trim_ascii();
    if trimmed.is_empty() {
        decoded.unparseable = true;
        decoded
            .findings
            .push(Finding::new(&req::BINDING_BODY_NOT_EMPTY, "the message is empty: no name=value pair at all"));
        return decoded;
    }
    if trimmed.len() != input.len() {
        decoded.findings.push(Finding::new(
            &req::BINDING_URL_ENCODING,
            "white space or line breaks around the encoded pairs; encode them or leave them out",
        ));
    }
    for part in trimmed.split(|&b| b == b'&') {
        if part.is_empty() {
            continue;
        }
        let (raw_name, raw_value) = match part.iter().position(|&b| b == b'=') {
            Some(eq) => (&part[..eq], &part[eq + 1..]),
            None => {
                decoded.findings.push(
                    Finding::new(&req::BINDING_PAIR_FORM, "a part without `=`: read as an element with an empty value")
                        .value(&String::from_utf8_lossy(part)),
                );
                (part, &b""[..])
            }
        };
        let name = decode_component(raw_name, None, &mut decoded);
        let value = decode_component(raw_value, Some(&name), &mut decoded);
        if name.is_empty() {
            decoded.findings.push(
                Finding::new(&req::BINDING_PAIR_FORM, "a pair with an empty name: its value belongs to no element")
                    .value(&value),
            );
            continue;
        }
        if let Some(problem) = raw_problem(raw_value) {
            decoded.findings.push(Finding::new(&req::BINDING_URL_ENCODING, problem).element(&name).value(&value));
        }
        decoded.pairs.push((name, value));
    }
    if decoded.pairs.is_empty() {
        decoded.unparseable = true;
        decoded
            .findings
            .push(Finding::new(&req::BINDING_BODY_NOT_EMPTY, "no name=value pair could be read from the message"));
    }
    decoded
}

/// Percent-decodes one name or value (`+` is a space), noting bad escapes and non-UTF-8.
/// `element` is the name a value belongs to (`None` while decoding a name), so that the
/// findings about a secret value never quote it.
fn decode_component(raw: &[u8], element: Option<&str>, into: &mut DecodedForm) -> String {
    let about = |finding: Finding, quoted: &str| match element {
        Some(name) => finding.element(name).value(quoted),
        None => finding.value(quoted),
    };
    let secret = element.is_some_and(is_secret_name);
    if let Some(at) = bad_escape(raw) {
        let message = if secret {
            "the value holds an invalid percent escape; a literal `%` must be sent as `%25`".to_owned()
        } else {
            let shown = String::from_utf8_lossy(&raw[at..raw.len().min(at + 3)]).into_owned();
            format!("`{shown}` is not a valid percent escape; a literal `%` must be sent as `%25`")
        };
        into.findings.push(about(Finding::new(&req::BINDING_URL_ENCODING, message), &String::from_utf8_lossy(raw)));
        into.unparseable = true;
    }
    let plus_as_space: Cow<'_, [u8]> = if raw.contains(&b'+') {
        Cow::Owned(raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect())
    } else {
        Cow::Borrowed(raw)
    };
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            into.findings.push(about(
                Finding::new(
                    &req::BINDING_CHARSET,
                    "decoded bytes are not UTF-8; undecodable bytes are shown as U+FFFD",
                ),
                &text,
            ));
            text
        }
    }
}

/// Position of the first `%` not followed by two hex digits.
fn bad_escape(raw: &[u8]) -> Option<usize> {
    raw.iter().enumerate().find_map(|(i, &b)| {
        let valid =
            raw.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && raw.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        (b == b'%' && !valid).then_some(i)
    })
}

impl fmt::Debug for DecodedForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(name, value)| (name.as_str(), if is_secret_name(name) { REDACTED } else { value.as_str() }))
            .collect();
        f.debug_struct("DecodedForm")
            .field("pairs", &pairs)
            .field("findings", &self.findings)
            .field("unparseable", &self.unparseable)
            .finish()
    }
}

/// Characters that may not appear unencoded in a form value.
fn raw_problem(raw: &[u8]) -> Option<&'static str> {
    if raw.contains(&b' ') {
        Some("a raw space in the value; encode it as `+` or `%20`")
    } else if raw.iter().any(|b| b.is_ascii_control()) {
        Some("a raw control character (such as CR or LF) in the value; percent-encode it")
    } else if raw.iter().any(|b| !b.is_ascii()) {
        Some("raw non-ASCII bytes in the value; percent-encode their UTF-8 bytes")
    } else {
        None
    }
}

/// Encodes pairs as `application/x-www-form-urlencoded` (spaces as `+`), in the given order.
pub fn encode_form<'a, I>(pairs: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// The URL of a GET collect: the target URL with the encoded pairs appended, after `&`
/// when the target URL already holds a query (CMI010 §5 names that case).
pub fn append_query(target_url: &str, query: &str) -> String {
    let (base, fragment) = match target_url.find('#') {
        Some(at) => target_url.split_at(at),
        None => (target_url, ""),
    };
    let separator = match base.find('?') {
        None => "?",
        Some(at) if at + 1 == base.len() || base.ends_with('&') => "",
        Some(_) => "&",
    };
    if query.is_empty() {
        return target_url.to_owned();
    }
    format!("{base}{separator}{query}{fragment}")
}

/// A form body or query made safe to show: the values of secret elements (passwords,
/// tokens) become [`REDACTED`], a password inside an encoded URL too; every other byte
/// stays exactly as it was, so the evidence keeps its encoding.
pub fn redact_form(raw: &str) -> String {
    raw.split('&')
        .map(|part| {
            let Some((raw_name, raw_value)) = part.split_once('=') else {
                return part.to_owned();
            };
            let name =
                percent_encoding::percent_decode_str(&raw_name.replace('+', " ")).decode_utf8_lossy().into_owned();
            if is_secret_name(&name) {
                return format!("{raw_name}={REDACTED}");
            }
            let value =
                percent_encoding::percent_decode_str(&raw_value.replace('+', " ")).decode_utf8_lossy().into_owned();
            let shown = crate::finding::redact_url_password(&value);
            if shown == value {
                part.to_owned()
            } else {
                format!("{raw_name}={}", encode_form([("", shown.as_str())]).trim_start_matches('='))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A mailed message made safe to show: on every `name=value` line (a mailed receipt or
/// alert, CMI010 App. A) the value of a secret element becomes [`REDACTED`] and a
/// password inside a URL value is hidden; every other byte, line endings included,
/// stays as it was.
pub fn redact_lines(raw: &str) -> String {
    raw.split_inclusive('\n')
        .map(|line| {
            let body = line.trim_end_matches(['\r', '\n']);
            let ending = &line[body.len()..];
            let Some((name, value)) = body.split_once('=') else {
                return line.to_owned();
            };
            if is_secret_name(name.trim()) {
                return format!("{name}={REDACTED}{ending}");
            }
            let shown = crate::finding::redact_url_password(value);
            if shown == value { line.to_owned() } else { format!("{name}={shown}{ending}") }
        })
        .collect()
}

/// Whether a message was handed over as a URL or request target (`https://…?…`,
/// `/path?…`, `?…`) rather than as a bare query string or body.
pub fn looks_like_url(text: &str) -> bool {
    let text = text.trim_start();
    let scheme_len = text.find("://").unwrap_or(0);
    let starts_with_scheme = scheme_len > 0
        && text[..scheme_len].starts_with(|c: char| c.is_ascii_alphabetic())
        && text[..scheme_len].chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    starts_with_scheme || text.starts_with('/') || text.starts_with('?')
}

/// The query part of a URL or request target (between `?` and `#`); the input itself
/// when it has no `?` and no scheme (a bare query string).
pub fn query_of(url_or_query: &str) -> &str {
    let without_fragment = url_or_query.split('#').next().unwrap_or_default();
    match without_fragment.find('?') {
        Some(at) => &without_fragment[at + 1..],
        None if without_fragment.contains("://") || without_fragment.starts_with('/') => "",
        None => without_fragment,
    }
}

#[cfg(test)]
mod redact_lines_tests {
    use super::*;

    #[test]
    fn secret_lines_are_redacted_and_line_endings_kept() {
        let mail = "Subject: receipt\r\n\r\nDone.\r\npackage-url-password=hunter2\r\nerror=0\nsystem-password=x\r\n\
                    package-url=ftp://u:pw@host/p.zip\r\n";
        let shown = redact_lines(mail);
        assert!(!shown.contains("hunter2") && !shown.contains(":pw@"), "{shown}");
        assert!(shown.contains(&format!("package-url-password={REDACTED}\r\n")), "{shown}");
        assert!(shown.contains("error=0\nsystem-password="), "{shown}");
        assert!(shown.starts_with("Subject: receipt\r\n\r\nDone.\r\n"), "{shown}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirement::Requirement;

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.requirement.id).collect()
    }

    #[test]
    fn decodes_pairs_in_order_with_plus_and_escapes() {
        let decoded = decode_form(b"a=1&b=hello+world&c=x%26y%3Dz&d=&e=caf%C3%A9");
        assert_eq!(
            decoded.pairs,
            [
                ("a".into(), "1".into()),
                ("b".into(), "hello world".into()),
                ("c".into(), "x&y=z".into()),
                ("d".into(), String::new()),
                ("e".into(), "café".into()),
            ]
        );
        assert!(decoded.findings.is_empty(), "{:?}", decoded.findings);
        assert!(!decoded.unparseable);
    }

    #[test]
    fn every_encoding_deviation_is_a_finding_and_decoding_goes_on() {
        let cases: &[(&[u8], &Requirement, bool)] = &[
            (b"a=50%", &req::BINDING_URL_ENCODING, true),
            (b"a=%zz", &req::BINDING_URL_ENCODING, true),
            (b"a=%C3", &req::BINDING_CHARSET, false),
            (b"a=x y", &req::BINDING_URL_ENCODING, false),
            (b"a=x\ry", &req::BINDING_URL_ENCODING, false),
            (b"a=caf\xc3\xa9", &req::BINDING_URL_ENCODING, false),
            (b"flag&a=1", &req::BINDING_PAIR_FORM, false),
            (b"=orphan&a=1", &req::BINDING_PAIR_FORM, false),
            (b"", &req::BINDING_BODY_NOT_EMPTY, true),
            (b"&&&", &req::BINDING_BODY_NOT_EMPTY, true),
            (b"a=1\r\n", &req::BINDING_URL_ENCODING, false),
        ];
        for &(input, requirement, unparseable) in cases {
            let decoded = decode_form(input);
            assert!(
                ids(&decoded.findings).contains(&requirement.id),
                "{:?}: {:?}",
                String::from_utf8_lossy(input),
                decoded.findings
            );
            assert_eq!(decoded.unparseable, unparseable, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn a_part_without_equals_sign_is_kept_as_empty_value() {
        let decoded = decode_form(b"flag&a=1");
        assert_eq!(decoded.pairs[0], ("flag".into(), String::new()));
    }

    #[test]
    fn encode_then_decode_is_identity() {
        let pairs = [("package-url", "https://h.example/p a.zip?x=1&y=2"), ("vendor-data", "50% + é\r\n")];
        let encoded = encode_form(pairs);
        assert!(!encoded.contains(' ') && !encoded.contains('\r'));
        let decoded = decode_form(encoded.as_bytes());
        assert!(decoded.findings.is_empty());
        let back: Vec<(&str, &str)> = decoded.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(back, pairs);
    }

    #[test]
    fn get_urls_respect_an_existing_query() {
        let cases = [
            ("http://lms.example/pens", "http://lms.example/pens?a=1"),
            ("http://lms.example/pens?site=3", "http://lms.example/pens?site=3&a=1"),
            ("http://lms.example/pens?", "http://lms.example/pens?a=1"),
            ("http://lms.example/pens?x=1&", "http://lms.example/pens?x=1&a=1"),
            ("http://lms.example/pens#top", "http://lms.example/pens?a=1#top"),
        ];
        for (target, expected) in cases {
            assert_eq!(append_query(target, "a=1"), expected, "{target}");
        }
    }

    #[test]
    fn redacted_forms_hide_secrets_and_keep_every_other_byte() {
        let cases = [
            ("a=1&package-url-password=hunter2&b=%zz", "a=1&package-url-password=[redacted]&b=%zz"),
            ("system%2Dpassword=x+y", "system%2Dpassword=[redacted]"),
            (
                "package-url=https%3A%2F%2Fbob%3Ahunter2%40h%2Fp.zip",
                "package-url=https%3A%2F%2Fbob%3A%5Bredacted%5D%40h%2Fp.zip",
            ),
            ("flag&client=A+B", "flag&client=A+B"),
        ];
        for (raw, shown) in cases {
            assert_eq!(redact_form(raw), shown, "{raw}");
        }
    }

    #[test]
    fn urls_are_told_from_bodies_that_contain_urls() {
        assert!(looks_like_url("https://lms.example/pens?a=1"));
        assert!(looks_like_url("  /pens?a=1"));
        assert!(looks_like_url("?a=1"));
        assert!(!looks_like_url("package-url=https://h/p.zip&a=1"));
        assert!(!looks_like_url("a=1"));
    }

    #[test]
    fn query_is_taken_from_urls_and_bare_strings() {
        assert_eq!(query_of("http://h/p?a=1&b=2#frag"), "a=1&b=2");
        assert_eq!(query_of("/pens?a=1"), "a=1");
        assert_eq!(query_of("a=1&b=2"), "a=1&b=2");
        assert_eq!(query_of("http://h/p"), "");
    }
}
