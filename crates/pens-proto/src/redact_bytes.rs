//! Redacting secrets in bytes that may not be UTF-8: the evidence keeps the exact bytes
//! an implementation sent (report.json stores them in base64 when they are not text), so
//! redaction must work on bytes too, changing only what hides a secret.

use crate::form::{redact_form, redact_lines};

/// [`redact_form`] over bytes: each `&`-separated part is redacted as text; a part that
/// is not UTF-8 keeps its exact bytes unless redacting its text (undecodable bytes as
/// U+FFFD) hides something, and then that text replaces it: hiding a secret outranks
/// keeping the bytes.
pub fn redact_form_bytes(raw: &[u8]) -> Vec<u8> {
    if let Ok(text) = std::str::from_utf8(raw) {
        return redact_form(text).into_bytes();
    }
    let parts: Vec<Vec<u8>> = raw.split(|b| *b == b'&').map(|part| redact_part(part, redact_form)).collect();
    parts.join(&b'&')
}

/// [`redact_lines`] over bytes, line by line as [`redact_form_bytes`] goes part by part;
/// line endings are kept.
pub fn redact_lines_bytes(raw: &[u8]) -> Vec<u8> {
    if let Ok(text) = std::str::from_utf8(raw) {
        return redact_lines(text).into_bytes();
    }
    raw.split_inclusive(|b| *b == b'\n').flat_map(|line| redact_part(line, redact_lines)).collect()
}

fn redact_part(part: &[u8], redact: fn(&str) -> String) -> Vec<u8> {
    let text = String::from_utf8_lossy(part);
    let redacted = redact(&text);
    if redacted == text { part.to_vec() } else { redacted.into_bytes() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::REDACTED;

    #[test]
    fn text_is_redacted_as_text() {
        assert_eq!(redact_form_bytes(b"a=1&system-password=pw"), format!("a=1&system-password={REDACTED}").as_bytes());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept_and_secrets_still_hidden() {
        let raw = b"error-text=\xff\xfe&package-url-password=hunter2\xff&x=1";
        let redacted = redact_form_bytes(raw);
        assert!(redacted.starts_with(b"error-text=\xff\xfe&"), "{redacted:?}");
        assert!(redacted.ends_with(format!("package-url-password={REDACTED}&x=1").as_bytes()), "{redacted:?}");
        assert!(!redacted.windows(7).any(|w| w == b"hunter2"));

        let mail = b"Subject: r\xe9ceipt\r\nsystem-password=hunter2\r\nerror=0\r\n";
        let redacted = redact_lines_bytes(mail);
        assert_eq!(
            redacted,
            [b"Subject: r\xe9ceipt\r\n".as_slice(), format!("system-password={REDACTED}\r\nerror=0\r\n").as_bytes()]
                .concat()
        );
    }
}
