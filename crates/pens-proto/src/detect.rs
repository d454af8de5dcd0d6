//! Telling which PENS message a piece of text is, for tools that are handed one without
//! being told (`pens-conform validate` without `--kind`).

use std::fmt;

use serde::Serialize;

use crate::form::{decode_form, looks_like_url, query_of};

/// The messages PENS exchanges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKind {
    /// A collect sent as a POST body.
    CollectForm,
    /// A collect sent as a GET URL or query string.
    CollectQuery,
    /// A receipt (form or query).
    Receipt,
    /// An alert (form or query).
    Alert,
    /// A response body (to a collect, receipt or alert).
    Response,
}

impl MessageKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::CollectForm => "collect-form",
            MessageKind::CollectQuery => "collect-query",
            MessageKind::Receipt => "receipt",
            MessageKind::Alert => "alert",
            MessageKind::Response => "response",
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Guesses the kind of `input`. A body whose first line starts with a response line
/// name is a response; otherwise the `command` element decides, and a message without
/// one is taken for a collect (whose missing command the validator then reports).
pub fn detect_kind(input: &[u8]) -> MessageKind {
    let mut input = input;
    while let Some(rest) = input.strip_prefix(b"\xEF\xBB\xBF") {
        input = rest;
    }
    let text = String::from_utf8_lossy(input);
    let first_line = text.trim_start().lines().next().unwrap_or_default();
    let first_name = first_line.split_once('=').map(|(name, _)| name.trim().to_ascii_lowercase());
    let response_names = ["error", "error-text", "version", "pens-data"];
    let starts_like_response =
        first_name.is_some_and(|n| response_names.contains(&n.as_str())) && !first_line.contains('&');
    // An HTML error page is what a broken endpoint sends where a response belongs.
    if starts_like_response || first_line.starts_with('<') {
        return MessageKind::Response;
    }
    let trimmed = text.trim();
    let is_url = looks_like_url(trimmed);
    let query = if is_url { query_of(trimmed) } else { trimmed };
    let command =
        decode_form(query.as_bytes()).pairs.into_iter().find(|(name, _)| name == "command").map(|(_, value)| value);
    match command.as_deref() {
        Some("receipt") => MessageKind::Receipt,
        Some("alert") => MessageKind::Alert,
        _ if is_url => MessageKind::CollectQuery,
        _ => MessageKind::CollectForm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_told_apart() {
        let cases: &[(&[u8], MessageKind)] = &[
            (b"error=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n", MessageKind::Response),
            (b"\xEF\xBB\xBF\n  error=0\n", MessageKind::Response),
            (b"pens-data=\r\nerror=0", MessageKind::Response),
            (b"version = 1.0.0\r\nerror=0", MessageKind::Response),
            (b"<html><body>500</body></html>", MessageKind::Response),
            (b"package-url=https://h/p.zip&command=collect", MessageKind::CollectForm),
            (b"command=collect&pens-version=1.0.0", MessageKind::CollectForm),
            (b"pens-version=1.0.0&package-id=x", MessageKind::CollectForm),
            (b"https://lms.example/pens?command=collect&x=1", MessageKind::CollectQuery),
            (b"?command=collect", MessageKind::CollectQuery),
            (b"command=receipt&error=0", MessageKind::Receipt),
            (b"https://client.example/r?command=alert&error=0", MessageKind::Alert),
            (b"error=0&command=receipt", MessageKind::Receipt),
            (b"", MessageKind::CollectForm),
        ];
        for &(input, kind) in cases {
            assert_eq!(detect_kind(input), kind, "{:?}", String::from_utf8_lossy(input));
        }
    }
}
