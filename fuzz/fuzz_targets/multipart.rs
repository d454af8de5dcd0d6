//! `decode_body` with `multipart/form-data`, `redact_multipart` and
//! `CollectCommand::decode_post` on arbitrary bytes: a POST body as a client (a
//! collect) or a target (a receipt) sends it. The first line is the boundary, the rest
//! the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::{CollectCommand, REDACTED, decode_body, is_secret_name, redact_multipart};

fuzz_target!(|data: &[u8]| {
    let (boundary, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b"b"[..], data),
    };
    let content_type = format!("multipart/form-data; boundary={}", String::from_utf8_lossy(boundary));
    let decoded = decode_body(Some(&content_type), body);
    // Unparseable exactly when no field was read, and then with a finding saying so.
    assert_eq!(decoded.unparseable, decoded.pairs.is_empty());
    if decoded.pairs.is_empty() {
        assert!(!decoded.findings.is_empty());
    }
    // Redaction keeps every field and hides the value of each secret one.
    let redacted = redact_multipart(&content_type, body);
    let again = decode_body(Some(&content_type), &redacted);
    if decoded.findings.is_empty() {
        assert_eq!(again.pairs.len(), decoded.pairs.len(), "{redacted:?}");
        for ((name, value), (name_again, value_again)) in decoded.pairs.iter().zip(&again.pairs) {
            assert_eq!(name, name_again);
            if is_secret_name(name) {
                assert_eq!(value_again, REDACTED);
            } else {
                assert_eq!(value, value_again);
            }
        }
    }
    // A collect posted this way has its media type named once, first.
    let collect = CollectCommand::decode_post(Some(&content_type), body);
    assert_eq!(collect.findings.iter().filter(|f| f.requirement.id == "binding.media-type.form").count(), 1);
    assert_eq!(collect.findings[0].requirement.id, "binding.media-type.form");
});
