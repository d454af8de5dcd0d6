//! Keeping the client's passwords out of what the target records.
//!
//! Client mode judges a collect by its exact bytes and a client's answer by its exact
//! text, so the target records both; but `package-url-password` and `system-password`
//! (CMI010 §6.2) must never reach a log or a report. Two layers:
//!
//! 1. by name: the value of every secret element of a form body or query becomes
//!    [`pens_proto::REDACTED`] ([`redact_raw`], built on `pens_proto::redact_form`),
//!    every other byte stays as it came;
//! 2. by value: a client may repeat a secret where no name says so (in `vendor-data`, in
//!    the text of its answer to a receipt). [`Secrets`] knows the collect's secret values
//!    and blanks them wherever they appear in recorded text, as sent or form-encoded.
//!    Values shorter than [`MIN_SCRUBBED_LEN`] are left alone: blanking every `a` of a
//!    record would destroy it, and such a value protects nothing anyway.

use bytes::Bytes;
use pens_proto::{DecodedCollect, REDACTED, encode_form, is_secret_name, redact_form};

use crate::path::encode_segment;

/// The shortest secret value [`Secrets`] blanks by value.
pub(crate) const MIN_SCRUBBED_LEN: usize = 4;

/// A form body or query with the values of secret elements redacted, byte for byte
/// otherwise. Bytes that are not UTF-8 are kept as they are (the encoding findings of
/// the collect are about them); a part that names a secret is redacted all the same.
pub(crate) fn redact_raw(raw: &[u8]) -> Bytes {
    if let Ok(text) = std::str::from_utf8(raw) {
        return Bytes::from(redact_form(text));
    }
    let parts: Vec<Vec<u8>> = raw
        .split(|&b| b == b'&')
        .map(|part| {
            let lossy = String::from_utf8_lossy(part);
            let redacted = redact_form(&lossy);
            if redacted == lossy { part.to_vec() } else { redacted.into_bytes() }
        })
        .collect();
    Bytes::from(parts.join(&b'&'))
}

/// A collect as it came (a GET query, or a POST body of its `Content-Type`) with the
/// values of secret elements redacted: [`redact_raw`] for a query or form, the value of
/// each secret field for `multipart/form-data`.
pub fn redact_body(method: &axum::http::Method, content_type: Option<&str>, raw: &[u8]) -> Bytes {
    match content_type {
        Some(content_type) if method != axum::http::Method::GET && pens_proto::is_multipart(Some(content_type)) => {
            Bytes::from(pens_proto::redact_multipart(content_type, raw))
        }
        _ => redact_raw(raw),
    }
}

/// The secret values of one collect, in every form they are blanked in.
#[derive(Clone, Default)]
pub struct Secrets {
    /// What to look for: each value as sent and form-encoded, longest first so that an
    /// encoding is blanked whole before a shorter form inside it.
    needles: Vec<Vec<u8>>,
}

impl Secrets {
    /// The values of the secret elements of `decoded` (spec and unknown elements alike,
    /// first and repeated values).
    pub fn of(decoded: &DecodedCollect) -> Secrets {
        let firsts = decoded.command.pairs().into_iter().filter(|(name, _)| is_secret_name(name)).map(|(_, v)| v);
        let repeated = decoded.last_values.iter().filter(|(e, _)| e.is_secret()).map(|(_, v)| v.as_str());
        let mut needles: Vec<Vec<u8>> = Vec::new();
        for value in firsts.chain(repeated).filter(|v| v.chars().count() >= MIN_SCRUBBED_LEN) {
            let form = encode_form([("", value)]);
            for needle in [value.to_owned(), form.trim_start_matches('=').to_owned(), encode_segment(value)] {
                if !needles.iter().any(|n| n == needle.as_bytes()) {
                    needles.push(needle.into_bytes());
                }
            }
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Secrets { needles }
    }

    /// Blanks `value` too (as sent, form-encoded and as a path segment): a password the
    /// collect carried outside a secret element, in a URL's userinfo (observe mode's
    /// relay). A value shorter than [`MIN_SCRUBBED_LEN`] is left alone, as above.
    pub fn also(&mut self, value: &str) {
        if value.chars().count() < MIN_SCRUBBED_LEN {
            return;
        }
        let form = encode_form([("", value)]);
        for needle in [value.to_owned(), form.trim_start_matches('=').to_owned(), encode_segment(value)] {
            if !self.needles.iter().any(|n| n == needle.as_bytes()) {
                self.needles.push(needle.into_bytes());
            }
        }
        self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    }

    /// `bytes` with every secret value blanked.
    pub fn scrub_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        self.needles.iter().fold(bytes.to_vec(), |text, needle| replace_all(&text, needle, REDACTED.as_bytes()))
    }

    /// `text` with every secret value blanked.
    pub fn scrub(&self, text: &str) -> String {
        if self.needles.is_empty() {
            return text.to_owned();
        }
        String::from_utf8_lossy(&self.scrub_bytes(text.as_bytes())).into_owned()
    }
}

impl std::fmt::Debug for Secrets {
    /// How many forms are known, never which.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} forms)", self.needles.len())
    }
}

/// `haystack` with every occurrence of `needle` (not empty) replaced by `with`.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use pens_proto::CollectCommand;

    use super::*;

    #[test]
    fn secret_elements_are_redacted_and_every_other_byte_kept() {
        let raw = b"command=collect&package-url-password=s3cret%21&vendor-data=a+b%2Fc&proxy-token=t0k";
        let shown = redact_raw(raw);
        assert_eq!(
            &shown[..],
            b"command=collect&package-url-password=[redacted]&vendor-data=a+b%2Fc&proxy-token=[redacted]"
        );
        let not_utf8 = b"client=caf\xe9&system-password=s3cret\xff&x=1";
        assert_eq!(&redact_raw(not_utf8)[..], b"client=caf\xe9&system-password=[redacted]&x=1");
        assert_eq!(&redact_raw(b"")[..], b"");
    }

    #[test]
    fn secret_values_are_blanked_wherever_they_appear() {
        let command = CollectCommand {
            package_url_password: Some("pa ss/word".into()),
            system_password: Some("abc".into()),
            ..CollectCommand::example()
        };
        let mut raw = command.to_form();
        raw.push_str("&system-password=t0ken-two");
        let decoded = CollectCommand::decode(raw.as_bytes());
        let secrets = Secrets::of(&decoded);
        let text = "error=0\r\npens-data=pa ss/word pa+ss%2Fword pa%20ss%2Fword t0ken-two abc\r\n";
        let scrubbed = secrets.scrub(text);
        assert_eq!(scrubbed, "error=0\r\npens-data=[redacted] [redacted] [redacted] [redacted] abc\r\n");
        assert!(!format!("{secrets:?}").contains("word"));
        assert_eq!(Secrets::default().scrub("pa ss/word"), "pa ss/word");
        let mut more = Secrets::default();
        more.also("us er:pw");
        more.also("abc");
        assert_eq!(more.scrub("x us er:pw us+er%3Apw us%20er%3Apw abc"), "x [redacted] [redacted] [redacted] abc");
        assert_eq!(replace_all(b"aaa", b"aa", b"b"), b"ba");
    }
}
