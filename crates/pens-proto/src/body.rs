//! POST bodies by media type: the one decoder both modes use for what arrives by POST
//! (a client's collect in client mode, a target's receipt or alert in target mode).
//!
//! CMI010 App. A binds the name/value pairs of a POST as
//! `application/x-www-form-urlencoded`; implementations also post
//! `multipart/form-data` (php-pens sends its receipts and alerts that way, as PHP's
//! curl does with an array). Both are read, so the values are judged as usual: the
//! media type is then one finding of its own, raised once per message by the caller
//! ([`check_post_media_type`] for a collect, `check_notification_delivery` for a
//! receipt or alert), never a finding per element that seems to be missing.
//!
//! Multipart bodies are parsed by `multer` (RFC 7578), driven over the bytes already in
//! memory: every poll is ready, so no runtime is needed and nothing waits.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::FutureExt;

use crate::element::is_secret_name;
use crate::finding::{Finding, REDACTED};
use crate::form::{DecodedForm, FORM_CONTENT_TYPE, decode_form};
use crate::requirement::req;

/// The media type of a multipart form (RFC 7578).
pub const MULTIPART_CONTENT_TYPE: &str = "multipart/form-data";

/// The media type of a `Content-Type` value, lower-cased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Whether a `Content-Type` value says `multipart/form-data`.
pub fn is_multipart(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| media_type(ct) == MULTIPART_CONTENT_TYPE)
}

/// Decodes a POST body: as `multipart/form-data` when the `Content-Type` says so, as a
/// form otherwise, whatever else it claims (a missing or other type is the business of
/// the media-type finding). Multipart values are taken as sent (they are not
/// URL-encoded), bytes that are not UTF-8 as U+FFFD.
pub fn decode_body(content_type: Option<&str>, body: &[u8]) -> DecodedForm {
    match content_type {
        Some(content_type) if is_multipart(Some(content_type)) => decode_multipart(content_type, body),
        _ => decode_form(body),
    }
}

/// Each field of a multipart body becomes a `(name, value)` pair. A body that stops
/// before its closing boundary keeps the fields read so far and says so; one with no
/// field at all is unparseable.
pub fn decode_multipart(content_type: &str, body: &[u8]) -> DecodedForm {
    let mut decoded = DecodedForm::default();
    let problem = multipart_fields(content_type, body, &mut decoded.pairs).err();
    if decoded.pairs.is_empty() || problem.is_some() {
        let message = match problem {
            Some(error) => format!("the multipart body could not be read to its end: {error}"),
            None => "the multipart body holds no field".to_owned(),
        };
        decoded.findings.push(Finding::new(&req::BINDING_BODY_NOT_EMPTY, message));
        decoded.unparseable = decoded.pairs.is_empty();
    }
    decoded
}

fn multipart_fields(content_type: &str, body: &[u8], pairs: &mut Vec<(String, String)>) -> Result<(), String> {
    multipart_raw_fields(content_type, body, &mut |name, value| {
        pairs.push((name, String::from_utf8_lossy(&value).into_owned()));
    })
}

/// Each field of a multipart body as multer reads it, its value's bytes as sent, handed
/// to `each` in order; `Err` when the body cannot be read to its end.
fn multipart_raw_fields(content_type: &str, body: &[u8], each: &mut dyn FnMut(String, Bytes)) -> Result<(), String> {
    let boundary = multer::parse_boundary(content_type).map_err(|error| error.to_string())?;
    let bytes = Bytes::copy_from_slice(body);
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    // The stream is in memory, so every poll is ready; `None` (pending) would mean the
    // parser waits for bytes that will never come: the body ended early.
    let incomplete = || "the body ended before the closing boundary".to_owned();
    loop {
        let field = multipart.next_field().now_or_never().ok_or_else(incomplete)?.map_err(|e| e.to_string())?;
        let Some(field) = field else { return Ok(()) };
        let name = field.name().unwrap_or_default().to_owned();
        let value = field.bytes().now_or_never().ok_or_else(incomplete)?.map_err(|e| e.to_string())?;
        each(name, value);
    }
}

/// Judges how a collect came by POST (CMI010 App. A: name/value pairs as
/// `application/x-www-form-urlencoded`): `None` for a form; one finding naming the
/// `Content-Type` otherwise. It was read all the same ([`decode_body`]), so its
/// elements are judged as usual; targets are not bound to read other media types.
pub fn check_post_media_type(content_type: Option<&str>) -> Option<Finding> {
    let requirement = &req::BINDING_FORM_MEDIA_TYPE;
    match content_type.map(media_type) {
        Some(essence) if essence == FORM_CONTENT_TYPE => None,
        Some(essence) => Some(
            Finding::new(
                requirement,
                format!(
                    "sent as POST `{essence}`; it was read, but CMI010 App. A binds the name/value pairs as \
                     {FORM_CONTENT_TYPE}, and a target need not read anything else"
                ),
            )
            .element("Content-Type")
            .value(content_type.unwrap_or_default()),
        ),
        None => Some(
            Finding::new(
                requirement,
                format!("sent as POST without a Content-Type; it was read as {FORM_CONTENT_TYPE}, which it should say"),
            )
            .element("Content-Type"),
        ),
    }
}

/// A multipart body with the value of every field that names a secret
/// ([`is_secret_name`]) replaced by [`REDACTED`], byte for byte otherwise: what may be
/// recorded of it. A body whose boundary cannot be read is returned as it came (it
/// held no field anyone could read).
pub fn redact_multipart(content_type: &str, body: &[u8]) -> Vec<u8> {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return body.to_vec();
    };
    // Whether a field is secret, and where its value is, follow the decoder
    // ([`decode_body`], multer): a head it reads otherwise than a line scan would (two
    // `Content-Disposition` lines, an unterminated quote, a delimiter not at a line's
    // start) must neither keep a secret the decoder shows nor hide a value it shows as
    // another field's. Each value it read is found again, in order, between the blank
    // line that ends its head and the CR LF before the next delimiter.
    let mut fields = Vec::new();
    let read = multipart_raw_fields(content_type, body, &mut |name, value| fields.push((name, value)));
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut secret_values = Vec::new();
    let mut cursor = 0;
    let mut located = true;
    for (name, value) in &fields {
        let pattern = [&b"\r\n\r\n"[..], value, &next_delimiter].concat();
        let Some(at) = find_from(body, &pattern, cursor) else {
            located = false;
            break;
        };
        let (start, end) = (at + 4, at + 4 + value.len());
        if is_secret_name(name) {
            secret_values.push((start, end));
        }
        cursor = end;
    }
    if read.is_ok() && located {
        let mut out = Vec::with_capacity(body.len());
        let mut from = 0;
        for (start, end) in secret_values {
            out.extend_from_slice(&body[from..start]);
            out.extend_from_slice(REDACTED.as_bytes());
            from = end;
        }
        out.extend_from_slice(&body[from..]);
        return out;
    }
    // A body the decoder cannot read to its end, or whose fields are not found again:
    // the line scan, and every secret value the decoder did read hidden wherever it
    // stands, so that no reading of the body shows one.
    let mut out = redact_by_line_scan(&boundary, body);
    for (name, value) in &fields {
        if is_secret_name(name) && !value.is_empty() {
            out = replace_all(&out, value, REDACTED.as_bytes());
        }
    }
    out
}

/// The value of each part whose `Content-Disposition` names a secret, replaced, the
/// parts found by their delimiters at the start of a line (RFC 2046 §5.1.1).
fn redact_by_line_scan(boundary: &str, body: &[u8]) -> Vec<u8> {
    let delimiter = format!("--{boundary}").into_bytes();
    // A delimiter starts the body or follows a CR LF (RFC 2046 §5.1.1); `--boundary`
    // inside a value is part of the value.
    let starts: Vec<usize> =
        find_all(body, &delimiter).into_iter().filter(|&at| at == 0 || body[..at].ends_with(b"\r\n")).collect();
    let mut out = Vec::with_capacity(body.len());
    let mut cursor = 0;
    for (index, &start) in starts.iter().enumerate() {
        let part_start = start + delimiter.len();
        let part_end = starts.get(index + 1).copied().unwrap_or(body.len());
        out.extend_from_slice(&body[cursor..part_start]);
        cursor = part_start;
        let part = &body[part_start..part_end];
        let Some(head_end) = find_all(part, b"\r\n\r\n").first().map(|at| at + 4) else { continue };
        let head = String::from_utf8_lossy(&part[..head_end]);
        if !field_name(&head).is_some_and(|name| is_secret_name(&name)) {
            continue;
        }
        // The value runs to the CR LF before the next delimiter.
        let value_end = if part.ends_with(b"\r\n") { part.len() - 2 } else { part.len() };
        out.extend_from_slice(&part[..head_end]);
        out.extend_from_slice(REDACTED.as_bytes());
        out.extend_from_slice(&part[value_end.max(head_end)..]);
        cursor = part_end;
    }
    out.extend_from_slice(&body[cursor..]);
    out
}

/// Where `needle` first stands in `haystack` at or after `from`, in linear time (a
/// peer chooses both: a naive search of a 1 MiB value would be quadratic).
fn find_from(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|at| at + from)
}

/// `haystack` with every `needle` replaced by `with`.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut from = 0;
    for at in find_all(haystack, needle) {
        out.extend_from_slice(&haystack[from..at]);
        out.extend_from_slice(with);
        from = at + needle.len();
    }
    out.extend_from_slice(&haystack[from..]);
    out
}

/// The `name` parameter of a part's `Content-Disposition` header.
fn field_name(head: &str) -> Option<String> {
    let line = head.lines().find(|line| line.to_ascii_lowercase().starts_with("content-disposition:"))?;
    line.split(';').skip(1).find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        key.trim().eq_ignore_ascii_case("name").then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Where `needle` (not empty) starts in `haystack`, each occurrence after the last.
fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    memchr::memmem::find_iter(haystack, needle).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=b";

    fn multipart(fields: &[(&str, &str)]) -> String {
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!("--b\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
        }
        body.push_str("--b--\r\n");
        body
    }

    /// Found by the `multipart` fuzz target: a part head the decoder reads otherwise
    /// than a line scan. The decoder's reading decides, so a secret it shows is hidden
    /// and a value it shows as another field's is kept.
    #[test]
    fn a_secret_is_hidden_as_the_decoder_reads_the_part_head() {
        // Two Content-Disposition lines, the first with an unterminated quote.
        let body = "--b\r\nContent-Disposition: form-data; name=\"command\r\nContent-Disposition: form-data; \
                    name=\"package-url-password\"\r\n\r\ns3cret\r\n--b--\r\n";
        let decoded = decode_body(Some(TYPE), body.as_bytes());
        let redacted = redact_multipart(TYPE, body.as_bytes());
        let again = decode_body(Some(TYPE), &redacted);
        for ((name, _), (name_again, value_again)) in decoded.pairs.iter().zip(&again.pairs) {
            assert_eq!(name, name_again);
            if is_secret_name(name) {
                assert_eq!(value_again, REDACTED, "{}", String::from_utf8_lossy(&redacted));
            }
        }
        assert!(
            !String::from_utf8_lossy(&redacted).contains("s3cret")
                || decoded.pairs.iter().all(|(n, _)| !is_secret_name(n))
        );
    }

    #[test]
    fn a_multipart_body_yields_its_fields_as_sent() {
        let body = multipart(&[("command", "receipt"), ("error-text", "a b%20c & d"), ("error", "0")]);
        let decoded = decode_body(Some("Multipart/Form-Data; boundary=\"b\""), body.as_bytes());
        assert_eq!(
            decoded.pairs,
            [
                ("command".to_owned(), "receipt".to_owned()),
                ("error-text".to_owned(), "a b%20c & d".to_owned()),
                ("error".to_owned(), "0".to_owned())
            ]
        );
        assert!(decoded.findings.is_empty() && !decoded.unparseable, "{:?}", decoded.findings);
    }

    #[test]
    fn a_multipart_body_cut_short_keeps_its_fields_and_says_so() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"command\"\r\n\r\nreceipt\r\n--b\r\nContent-Disp";
        let decoded = decode_multipart(TYPE, body.as_bytes());
        assert_eq!(decoded.pairs, [("command".to_owned(), "receipt".to_owned())]);
        assert_eq!(decoded.findings.len(), 1, "{:?}", decoded.findings);
        assert_eq!(decoded.findings[0].requirement.id, "binding.body.not-empty");
        assert!(!decoded.unparseable);
    }

    #[test]
    fn an_unreadable_multipart_body_is_unparseable() {
        for (content_type, body) in [(TYPE, "command=receipt"), ("multipart/form-data", "--b\r\n"), (TYPE, "")] {
            let decoded = decode_multipart(content_type, body.as_bytes());
            assert!(decoded.pairs.is_empty(), "{content_type} {body:?}");
            assert!(decoded.unparseable);
            assert!(decoded.findings[0].message.starts_with("the multipart body"), "{:?}", decoded.findings);
        }
    }

    #[test]
    fn only_multipart_content_types_are_read_as_multipart() {
        let form = b"command=receipt&error=0";
        for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded; charset=UTF-8")] {
            assert_eq!(decode_body(content_type, form).pairs.len(), 2, "{content_type:?}");
        }
        assert!(decode_body(Some("multipart/form-data; boundary=b"), form).pairs.is_empty());
    }

    #[test]
    fn the_media_type_finding_names_the_content_type_once() {
        assert!(check_post_media_type(Some("application/x-www-form-urlencoded; charset=utf-8")).is_none());
        let finding = check_post_media_type(Some("multipart/form-data; boundary=x")).expect("a finding");
        assert_eq!(finding.requirement.id, "binding.media-type.form");
        assert!(!finding.is_failure());
        assert!(finding.message.contains("`multipart/form-data`") && finding.message.contains("App. A"));
        assert_eq!(finding.element.as_deref(), Some("Content-Type"));
        assert!(check_post_media_type(None).is_some_and(|f| !f.is_failure()));
    }

    #[test]
    fn secret_fields_are_redacted_and_every_other_byte_kept() {
        let body = multipart(&[("command", "collect"), ("package-url-password", "pw"), ("system-password", "")]);
        let redacted = String::from_utf8(redact_multipart(TYPE, body.as_bytes())).expect("text");
        assert_eq!(
            redacted,
            body.replace("\r\n\r\npw\r\n", "\r\n\r\n[redacted]\r\n")
                .replace("name=\"system-password\"\r\n\r\n\r\n", "name=\"system-password\"\r\n\r\n[redacted]\r\n")
        );
        let decoded = decode_body(Some(TYPE), redacted.as_bytes());
        assert_eq!(decoded.pairs[1], ("package-url-password".to_owned(), REDACTED.to_owned()));
        assert_eq!(decoded.pairs[0], ("command".to_owned(), "collect".to_owned()));
        // A value that holds the boundary's text is redacted whole.
        let tricky = multipart(&[("system-password", "x--b y--b--"), ("command", "collect")]);
        let redacted = redact_multipart(TYPE, tricky.as_bytes());
        let decoded = decode_body(Some(TYPE), &redacted);
        assert_eq!(decoded.pairs[0], ("system-password".to_owned(), REDACTED.to_owned()), "{redacted:?}");
        assert!(!String::from_utf8_lossy(&redacted).contains("x--b"), "{redacted:?}");
        assert_eq!(decoded.pairs[1], ("command".to_owned(), "collect".to_owned()));
        assert_eq!(redact_multipart("multipart/form-data", body.as_bytes()), body.as_bytes());
    }
}
