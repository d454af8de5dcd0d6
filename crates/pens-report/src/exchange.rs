//! An [`Exchange`]'s bytes: stored exactly (UTF-8 as text, anything else in base64) and
//! read back as bytes or as text for people, so that no renderer decodes base64 or
//! escapes control characters on its own.

use std::borrow::Cow;

use base64::Engine;

use crate::model::{BodyEncoding, Exchange, ExchangeKind};
use crate::text::show_bytes;

/// A `request` or `response` whose base64 cannot be decoded: a `report.json` edited by
/// hand or truncated.
#[derive(Debug, thiserror::Error)]
#[error("{field} is marked base64 but is not valid base64: {source}")]
pub struct BodyDecodeError {
    /// `request` or `response`.
    pub field: &'static str,
    source: base64::DecodeError,
}

/// One side of an exchange as stored: the string, its encoding and the whole size when
/// cut.
struct Stored {
    text: String,
    encoding: Option<BodyEncoding>,
    total_bytes: Option<u64>,
}

impl Stored {
    /// Keeps at most `max` of `bytes`. A cut inside a UTF-8 character moves back to the
    /// character's start, so a text body stays text.
    fn of(bytes: &[u8], max: usize) -> Stored {
        let (kept, total_bytes) = if bytes.len() > max {
            let head = &bytes[..max];
            let head = match std::str::from_utf8(head) {
                Err(error) if error.error_len().is_none() => &head[..error.valid_up_to()],
                _ => head,
            };
            (head, Some(bytes.len() as u64))
        } else {
            (bytes, None)
        };
        match std::str::from_utf8(kept) {
            Ok(text) => Stored { text: text.to_owned(), encoding: None, total_bytes },
            Err(_) => Stored {
                text: base64::engine::general_purpose::STANDARD.encode(kept),
                encoding: Some(BodyEncoding::Base64),
                total_bytes,
            },
        }
    }
}

fn decode<'a>(
    text: &'a str,
    encoding: Option<BodyEncoding>,
    field: &'static str,
) -> Result<Cow<'a, [u8]>, BodyDecodeError> {
    match encoding {
        None => Ok(Cow::Borrowed(text.as_bytes())),
        Some(BodyEncoding::Base64) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(Cow::Owned)
            .map_err(|source| BodyDecodeError { field, source }),
    }
}

/// The bytes for people: control characters and bytes that are not UTF-8 made visible,
/// line breaks kept, and a last line saying so when only the first bytes were kept.
fn display(text: &str, encoding: Option<BodyEncoding>, total: Option<u64>, field: &'static str) -> String {
    let mut shown = match decode(text, encoding, field) {
        Ok(bytes) => show_bytes(&bytes),
        Err(error) => format!("({error})\n{}", show_bytes(text.as_bytes())),
    };
    if let Some(total) = total {
        let kept = decode(text, encoding, field).map_or(0, |b| b.len());
        shown.push_str(&format!("\n... ({total} bytes in all; the first {kept} are kept)"));
    }
    shown
}

impl Exchange {
    /// Most of a body kept in the report: enough to see what went wrong, bounded so
    /// that an implementation sending megabytes cannot balloon the report.
    pub const MAX_KEPT_BYTES: usize = 16 * 1024;

    /// An exchange with no bytes recorded.
    pub fn new(kind: ExchangeKind, at_ms: u64, summary: impl Into<String>) -> Exchange {
        Exchange {
            kind,
            at_ms,
            summary: summary.into(),
            request: None,
            request_encoding: None,
            request_total_bytes: None,
            response: None,
            response_encoding: None,
            response_total_bytes: None,
            latency_ms: None,
        }
    }

    /// Records the request's exact bytes (at most [`Exchange::MAX_KEPT_BYTES`]).
    pub fn with_request(mut self, bytes: impl AsRef<[u8]>) -> Exchange {
        self.set_request(bytes.as_ref());
        self
    }

    /// Records the response's exact bytes (at most [`Exchange::MAX_KEPT_BYTES`]).
    pub fn with_response(mut self, bytes: impl AsRef<[u8]>) -> Exchange {
        self.set_response(bytes.as_ref());
        self
    }

    /// Records how long the answer took.
    pub fn with_latency(mut self, latency_ms: Option<u64>) -> Exchange {
        self.latency_ms = latency_ms;
        self
    }

    /// Replaces the request's bytes; a cut is kept as the larger of the two sizes.
    fn set_request(&mut self, bytes: &[u8]) {
        let stored = Stored::of(bytes, Self::MAX_KEPT_BYTES);
        self.request = Some(stored.text);
        self.request_encoding = stored.encoding;
        self.request_total_bytes = stored.total_bytes.max(self.request_total_bytes);
    }

    fn set_response(&mut self, bytes: &[u8]) {
        let stored = Stored::of(bytes, Self::MAX_KEPT_BYTES);
        self.response = Some(stored.text);
        self.response_encoding = stored.encoding;
        self.response_total_bytes = stored.total_bytes.max(self.response_total_bytes);
    }

    /// The request's exact bytes (the kept ones, when it was cut), when recorded.
    pub fn request_bytes(&self) -> Option<Result<Cow<'_, [u8]>, BodyDecodeError>> {
        self.request.as_deref().map(|text| decode(text, self.request_encoding, "request"))
    }

    /// The response's exact bytes (the kept ones, when it was cut), when recorded.
    pub fn response_bytes(&self) -> Option<Result<Cow<'_, [u8]>, BodyDecodeError>> {
        self.response.as_deref().map(|text| decode(text, self.response_encoding, "response"))
    }

    /// The request for people ([`crate::show_bytes`]): CR shown as `\r`, LF as `\n`
    /// that still breaks the line, a backslash as `\\`, other control characters and
    /// non-UTF-8 bytes escaped (`\u{7}`, `\xff`), and a last line when it was cut.
    pub fn request_text(&self) -> Option<String> {
        let text = self.request.as_deref()?;
        Some(display(text, self.request_encoding, self.request_total_bytes, "request"))
    }

    /// The response for people, as [`Exchange::request_text`] shows the request.
    pub fn response_text(&self) -> Option<String> {
        let text = self.response.as_deref()?;
        Some(display(text, self.response_encoding, self.response_total_bytes, "response"))
    }

    /// Rewrites the request's and the response's bytes with `rewrite` (to redact a
    /// secret), keeping each exact otherwise. A side whose base64 cannot be decoded is
    /// left alone: only a report read back from a file can hold one.
    pub fn rewrite_bytes(&mut self, rewrite: impl Fn(&[u8]) -> Vec<u8>) {
        if let Some(Ok(bytes)) = self.request_bytes() {
            let rewritten = rewrite(&bytes);
            if rewritten != *bytes {
                self.set_request(&rewritten);
            }
        }
        if let Some(Ok(bytes)) = self.response_bytes() {
            let rewritten = rewrite(&bytes);
            if rewritten != *bytes {
                self.set_response(&rewritten);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect() -> Exchange {
        Exchange::new(ExchangeKind::Collect, 0, "POST /pens -> 200")
    }

    /// A literal backslash-r and a real CR stay two different things through
    /// `report.json`, and are shown differently.
    #[test]
    fn a_literal_backslash_r_and_a_cr_round_trip_distinguishable() {
        let body = b"error=0\r\nerror-text=a \\r is not a CR\r\n";
        let exchange = collect().with_response(body);
        let json = serde_json::to_string(&exchange).expect("serialises");
        assert!(json.contains(r#""response":"error=0\r\nerror-text=a \\r is not a CR\r\n""#), "{json}");
        assert!(!json.contains("response_encoding"), "{json}");
        let back: Exchange = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.response_bytes().expect("response").expect("decodes").as_ref(), body);
        assert_eq!(back, exchange);
        assert_eq!(back.response_text().expect("text"), "error=0\\r\\n\nerror-text=a \\\\r is not a CR\\r\\n\n");
    }

    #[test]
    fn bytes_that_are_not_utf8_round_trip_in_base64() {
        let body = [b'e', b'=', 0xff, 0xfe, b'\r', b'\n'];
        let exchange = collect().with_request(body);
        let json = serde_json::to_value(&exchange).expect("serialises");
        assert_eq!(json["request_encoding"], "base64");
        assert_eq!(json["request"], "ZT3//g0K");
        let back: Exchange = serde_json::from_value(json).expect("parses");
        assert_eq!(back.request_bytes().expect("request").expect("decodes").as_ref(), body);
        assert_eq!(back.request_text().expect("text"), "e=\\xff\\xfe\\r\\n\n");
    }

    #[test]
    fn a_long_body_is_cut_at_a_character_and_says_how_long_it_was() {
        let mut body = "a".repeat(Exchange::MAX_KEPT_BYTES - 1).into_bytes();
        body.extend_from_slice("éé".as_bytes());
        let exchange = collect().with_response(&body);
        assert_eq!(exchange.response_encoding, None, "a cut inside a character made it base64");
        assert_eq!(exchange.response.as_deref().map(str::len), Some(Exchange::MAX_KEPT_BYTES - 1));
        assert_eq!(exchange.response_total_bytes, Some(body.len() as u64));
        let shown = exchange.response_text().expect("text");
        assert!(shown.ends_with(&format!("\n... ({} bytes in all; the first 16383 are kept)", body.len())), "{shown}");
    }

    #[test]
    fn bad_base64_is_an_error_naming_the_field_not_a_panic() {
        let mut exchange = collect();
        exchange.response = Some("not base64!".into());
        exchange.response_encoding = Some(BodyEncoding::Base64);
        let error = exchange.response_bytes().expect("response").expect_err("invalid");
        assert!(error.to_string().starts_with("response is marked base64 but is not valid base64"), "{error}");
        assert!(exchange.response_text().expect("text").contains("not valid base64"));
    }

    #[test]
    fn rewriting_keeps_the_encoding_right() {
        let mut exchange = collect().with_request(b"password=hunter2&x=\xff".as_slice());
        exchange.rewrite_bytes(|bytes| {
            String::from_utf8_lossy(bytes).replace("hunter2", "[redacted]").replace('\u{fffd}', "?").into_bytes()
        });
        assert_eq!(exchange.request.as_deref(), Some("password=[redacted]&x=?"));
        assert_eq!(exchange.request_encoding, None);
    }
}
