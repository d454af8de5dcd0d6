//! The PENS response (CMI010 §6.3, Appendix A table A-2): the `text/plain` body every
//! party answers a collect, receipt or alert with.
//!
//! Encoding is exact: four lines, CR LF, in the spec's order. Parsing is lenient: real
//! implementations send LF-only lines, a BOM, blank lines, reordered or missing lines,
//! `error=OK`. [`parse_response`] reads as much as it can and reports every deviation
//! as a [`Finding`]; it never fails and never panics.

use serde::Serialize;

use crate::collect::{PENS_VERSION, parse_pens_version};
use crate::error_code::ErrorCode;
use crate::finding::Finding;
use crate::requirement::req;

/// The media type of a PENS response.
pub const RESPONSE_CONTENT_TYPE: &str = "text/plain";

/// A PENS response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PensResponse {
    /// `error`: 0 for success.
    pub error: ErrorCode,
    /// `error-text`: one line of explanation.
    pub error_text: String,
    /// `version`: the PENS version spoken.
    pub version: String,
    /// `pens-data`: extended detail; runs to the end of the body and may span lines.
    pub pens_data: String,
}

impl PensResponse {
    /// A success answer (`error=0`).
    pub fn success(error_text: impl Into<String>) -> Self {
        PensResponse::error(ErrorCode::SUCCESS, error_text)
    }

    /// An answer with `code`.
    pub fn error(code: ErrorCode, error_text: impl Into<String>) -> Self {
        PensResponse {
            error: code,
            error_text: error_text.into(),
            version: PENS_VERSION.into(),
            pens_data: String::new(),
        }
    }

    /// The exact body: `error`, `error-text`, `version`, `pens-data`, each line ended by
    /// CR LF. A line break inside `error-text` or `version` would split the line, so it
    /// is written as a space; `pens-data` is written as is.
    pub fn encode(&self) -> String {
        let single_line = |value: &str| value.replace(['\r', '\n'], " ");
        format!(
            "error={}\r\nerror-text={}\r\nversion={}\r\npens-data={}\r\n",
            self.error,
            single_line(&self.error_text),
            single_line(&self.version),
            self.pens_data
        )
    }
}

/// A response body read as far as possible.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedResponse {
    /// The `error` number, when one could be read (from a leading number if need be).
    pub error: Option<ErrorCode>,
    /// The `error` value as received.
    pub error_raw: Option<String>,
    /// `error-text`, trimmed.
    pub error_text: Option<String>,
    /// `version`, trimmed.
    pub version: Option<String>,
    /// `pens-data`, everything after `pens-data=` up to the end (one final line break dropped).
    pub pens_data: Option<String>,
    /// Every deviation from the exact format.
    pub findings: Vec<Finding>,
}

impl ParsedResponse {
    /// The response, when at least the `error` number could be read.
    pub fn response(&self) -> Option<PensResponse> {
        Some(PensResponse {
            error: self.error?,
            error_text: self.error_text.clone().unwrap_or_default(),
            version: self.version.clone().unwrap_or_default(),
            pens_data: self.pens_data.clone().unwrap_or_default(),
        })
    }
}

/// Unknown lines quoted one by one; the rest are counted in one finding.
const MAX_QUOTED_UNKNOWN_LINES: usize = 5;

/// The four lines, in order.
const ORDER: [&str; 4] = ["error", "error-text", "version", "pens-data"];

/// One line of the body with the terminator that ended it.
struct Line<'a> {
    text: &'a str,
    /// `"\r\n"`, `"\n"`, `"\r"` or `""` (end of body).
    ending: &'a str,
    /// Byte offset of the line in the body.
    start: usize,
}

fn split_lines(body: &str) -> Vec<Line<'_>> {
    let bytes = body.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let ending_len = match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        lines.push(Line { text: &body[start..i], ending: &body[i..i + ending_len], start });
        i += ending_len;
        start = i;
    }
    if start < bytes.len() {
        lines.push(Line { text: &body[start..], ending: "", start });
    }
    lines
}

/// Reads a response body leniently. See the module docs.
pub fn parse_response(body: &[u8]) -> ParsedResponse {
    let mut parsed = ParsedResponse::default();
    let mut findings = Vec::new();

    let body = match body.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            findings.push(Finding::new(
                &req::RESPONSE_NO_BOM,
                "the body starts with a UTF-8 byte-order mark; it was skipped",
            ));
            rest
        }
        None => body,
    };
    let text = String::from_utf8_lossy(body);
    if matches!(text, std::borrow::Cow::Owned(_)) {
        findings.push(Finding::new(
            &req::RESPONSE_CHARSET,
            "the body is not valid UTF-8; undecodable bytes are shown as U+FFFD",
        ));
    }
    let text: &str = &text;
    let lines = split_lines(text);

    let mut seen: Vec<&str> = Vec::new();
    let mut bad_endings: Vec<(String, &str)> = Vec::new();
    let mut whitespace_reported = false;
    let mut unknown_lines = 0usize;
    let mut index = 0;
    while index < lines.len() {
        let line = &lines[index];
        index += 1;
        if line.text.trim().is_empty() {
            if !whitespace_reported {
                findings.push(Finding::new(&req::RESPONSE_NO_EXTRA_WHITESPACE, "a blank line in the body"));
                whitespace_reported = true;
            }
            continue;
        }
        let (raw_name, raw_value) = line.text.split_once('=').unwrap_or((line.text, ""));
        let name = raw_name.trim().to_ascii_lowercase();
        let known = ORDER.iter().copied().find(|k| *k == name);
        let Some(key) = known else {
            // A few quoted lines say enough; an HTML page must not become a thousand findings.
            unknown_lines += 1;
            if unknown_lines <= MAX_QUOTED_UNKNOWN_LINES {
                findings.push(
                    Finding::new(
                        &req::RESPONSE_KNOWN_LINES,
                        "a line that is not part of a PENS response; it was ignored",
                    )
                    .element(format!("line {index}"))
                    .value(line.text),
                );
            }
            note_ending(line, format!("line {index}"), &mut bad_endings);
            continue;
        };
        if seen.contains(&key) {
            findings.push(
                Finding::new(&req::RESPONSE_KNOWN_LINES, "the line appears more than once; the first one counts")
                    .element(key)
                    .value(line.text),
            );
            note_ending(line, format!("line {index}"), &mut bad_endings);
            continue;
        }
        seen.push(key);
        if raw_name != key {
            let problem =
                if raw_name.trim() != raw_name { "white space around the name" } else { "the name is not lower-case" };
            findings.push(
                Finding::new(&req::RESPONSE_NO_EXTRA_WHITESPACE, format!("{problem}; write `{key}=`"))
                    .element(key)
                    .value(line.text),
            );
            whitespace_reported = true;
        }
        if key == "pens-data" {
            // pens-data runs to the end of the buffer, unless a line that has not been
            // seen yet follows (the lines were reordered).
            let mut end = lines.len();
            for (later, candidate) in lines.iter().enumerate().skip(index) {
                let candidate_name = candidate.text.split_once('=').map(|(n, _)| n.trim().to_ascii_lowercase());
                if candidate_name.is_some_and(|n| ORDER[..3].contains(&n.as_str()) && !seen.contains(&n.as_str())) {
                    end = later;
                    break;
                }
            }
            let value_start = line.start + raw_name.len() + 1;
            let value_end = if end < lines.len() { lines[end].start } else { text.len() };
            let value = text.get(value_start.min(value_end)..value_end).unwrap_or_default();
            let value = value.strip_suffix("\r\n").or_else(|| value.strip_suffix('\n')).unwrap_or(value);
            parsed.pens_data = Some(value.to_owned());
            // Line breaks inside multi-line pens-data are data; a one-line pens-data's own
            // terminator is part of the format.
            if index == end {
                note_ending(line, key.to_owned(), &mut bad_endings);
            }
            index = end;
            continue;
        }
        note_ending(line, key.to_owned(), &mut bad_endings);
        let value = raw_value.trim();
        if value != raw_value && !whitespace_reported {
            findings.push(
                Finding::new(&req::RESPONSE_NO_EXTRA_WHITESPACE, "white space around the value; it was trimmed")
                    .element(key)
                    .value(line.text),
            );
            whitespace_reported = true;
        }
        match key {
            "error" => {
                parsed.error_raw = Some(value.to_owned());
                parsed.error = read_error_number(key, value, &mut findings);
            }
            "error-text" => {
                if looks_url_encoded(value) {
                    findings.push(
                        Finding::new(
                            &req::RESPONSE_PLAIN_VALUES,
                            "the value looks URL-encoded; response values are plain text",
                        )
                        .element(key)
                        .value(value),
                    );
                }
                parsed.error_text = Some(value.to_owned());
            }
            _ => parsed.version = Some(value.to_owned()),
        }
    }

    if unknown_lines > MAX_QUOTED_UNKNOWN_LINES {
        findings.push(Finding::new(
            &req::RESPONSE_KNOWN_LINES,
            format!(
                "{} more lines that are not part of a PENS response were ignored",
                unknown_lines - MAX_QUOTED_UNKNOWN_LINES
            ),
        ));
    }
    check_line_endings(&bad_endings, &mut findings);
    check_order(&seen, &mut findings);
    check_presence(&parsed, &mut findings);
    if let Some(version) = &parsed.version {
        check_version(version, &mut findings);
    }
    parsed.findings = findings;
    parsed
}

/// Remembers a line terminator that is not CR LF (a missing one at the very end is
/// fine): the line's name (or number) and the terminator.
fn note_ending<'a>(line: &Line<'a>, label: String, bad: &mut Vec<(String, &'a str)>) {
    if line.ending != "\r\n" && !line.ending.is_empty() {
        bad.push((label, line.ending));
    }
}

fn check_line_endings(bad: &[(String, &str)], findings: &mut Vec<Finding>) {
    if bad.is_empty() {
        return;
    }
    let lf = bad.iter().filter(|(_, e)| *e == "\n").count();
    let cr = bad.len() - lf;
    let what = match (lf, cr) {
        (1, 0) => "1 line ends with LF only".to_owned(),
        (_, 0) => format!("{lf} lines end with LF only"),
        (0, 1) => "1 line ends with CR only".to_owned(),
        (0, _) => format!("{cr} lines end with CR only"),
        _ => format!("{lf} lines end with LF only and {cr} with CR only"),
    };
    let mut names: Vec<&str> = bad.iter().map(|(name, _)| name.as_str()).take(6).collect();
    if bad.len() > names.len() {
        names.push("...");
    }
    findings.push(Finding::new(
        &req::RESPONSE_CRLF,
        format!("{what} ({}); every line must end with CR LF", names.join(", ")),
    ));
}

fn check_order(seen: &[&str], findings: &mut Vec<Finding>) {
    let positions: Vec<usize> = seen.iter().filter_map(|k| ORDER.iter().position(|o| o == k)).collect();
    if positions.windows(2).any(|w| w[0] > w[1]) {
        findings.push(
            Finding::new(&req::RESPONSE_ORDER, "the lines are not in the order error, error-text, version, pens-data")
                .value(&seen.join(", ")),
        );
    }
}

fn check_presence(parsed: &ParsedResponse, findings: &mut Vec<Finding>) {
    let missing = [
        (parsed.error_raw.is_none(), &req::RESPONSE_ERROR_PRESENT, "error"),
        (parsed.error_text.is_none(), &req::RESPONSE_ERROR_TEXT_PRESENT, "error-text"),
        (parsed.version.is_none(), &req::RESPONSE_VERSION_PRESENT, "version"),
        (parsed.pens_data.is_none(), &req::RESPONSE_PENS_DATA_PRESENT, "pens-data"),
    ];
    for (absent, requirement, line) in missing {
        if absent {
            findings.push(Finding::new(requirement, format!("no `{line}=` line")).element(line));
        }
    }
}

fn check_version(version: &str, findings: &mut Vec<Finding>) {
    if version != PENS_VERSION {
        let message = if parse_pens_version(version).is_some() {
            format!("version `{version}` is not {PENS_VERSION}, the version deployed systems speak")
        } else {
            format!("version is not of the form x.y.z; expected {PENS_VERSION}")
        };
        findings.push(Finding::new(&req::RESPONSE_VERSION_VALUE, message).element("version").value(version));
    }
}

/// Reads the error number, as far as possible: `0`, or the leading digits of `0 OK`.
fn read_error_number(key: &str, value: &str, findings: &mut Vec<Finding>) -> Option<ErrorCode> {
    if let Ok(number) = value.parse::<u16>() {
        if value.len() > 1 && value.starts_with('0') {
            findings.push(
                Finding::new(&req::RESPONSE_ERROR_NUMERIC, "leading zeros in the error number")
                    .element(key)
                    .value(value)
                    .at_most(crate::requirement::Level::Should),
            );
        }
        return Some(ErrorCode(number));
    }
    let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
    let recovered = digits.parse::<u16>().ok().map(ErrorCode);
    let message = match (&recovered, digits.is_empty()) {
        (Some(code), _) => format!("the error is not a plain number; read as {code} from its leading digits"),
        (None, true) => "the error is not a number; no error code could be read".to_owned(),
        (None, false) => "the error number is larger than 65535".to_owned(),
    };
    findings.push(Finding::new(&req::RESPONSE_ERROR_NUMERIC, message).element(key).value(value));
    recovered
}

/// `collect+command+received` or `%20`-escapes where plain text belongs.
fn looks_url_encoded(value: &str) -> bool {
    let bytes = value.as_bytes();
    let escapes = bytes.windows(3).any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    let plus_words =
        !value.contains(' ') && value.split('+').filter(|w| w.chars().any(char::is_alphabetic)).count() >= 2;
    escapes || plus_words
}

/// Checks the `Content-Type` of a response: `text/plain`, any parameters (a charset).
pub fn check_content_type(content_type: Option<&str>) -> Option<Finding> {
    let essence = content_type.map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some(RESPONSE_CONTENT_TYPE) => None,
        Some(other) => Some(
            Finding::new(&req::RESPONSE_CONTENT_TYPE, format!("served as `{other}`, not text/plain"))
                .element("Content-Type")
                .value(content_type.unwrap_or_default()),
        ),
        None => Some(
            Finding::new(&req::RESPONSE_CONTENT_TYPE, "no Content-Type header; send text/plain")
                .element("Content-Type"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(parsed: &ParsedResponse) -> Vec<&'static str> {
        parsed.findings.iter().map(|f| f.requirement.id).collect()
    }

    #[test]
    fn encodes_exactly_as_the_spec_shows() {
        let response = PensResponse::success("collect command received and understood");
        assert_eq!(
            response.encode(),
            "error=0\r\nerror-text=collect command received and understood\r\nversion=1.0.0\r\npens-data=\r\n"
        );
        let mut broken = PensResponse::error(ErrorCode::RECEIPT_INVALID, "receipt\r\nmissing");
        broken.pens_data = "trace line 1\r\ntrace line 2".into();
        let parsed = parse_response(broken.encode().as_bytes());
        assert_eq!(parsed.error_text.as_deref(), Some("receipt  missing"));
        assert_eq!(parsed.pens_data.as_deref(), Some("trace line 1\r\ntrace line 2"));
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
    }

    #[test]
    fn an_exact_body_has_no_findings() {
        let parsed = parse_response(b"error=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n");
        assert_eq!(parsed.error, Some(ErrorCode(0)));
        assert_eq!(parsed.pens_data.as_deref(), Some(""));
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
    }

    #[test]
    fn lf_only_is_a_failure_but_the_values_are_still_read() {
        let parsed = parse_response(b"error=1304\nerror-text=no ftp\nversion=1.0.0\npens-data=\n");
        assert_eq!(parsed.error, Some(ErrorCode::FTP_NOT_SUPPORTED));
        assert_eq!(parsed.error_text.as_deref(), Some("no ftp"));
        assert_eq!(ids(&parsed), ["response.line-ending.crlf"]);
        assert!(
            parsed.findings[0].message.contains("4 lines end with LF only (error, error-text, version, pens-data)"),
            "{}",
            parsed.findings[0].message
        );
        assert!(parsed.findings[0].is_failure());
    }

    #[test]
    fn every_deviation_is_reported_and_parsing_goes_on() {
        let cases: &[(&[u8], &[&str], Option<u16>)] = &[
            (b"\xEF\xBB\xBFerror=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n", &["response.no-bom"], Some(0)),
            (b"error-text=ok\r\nerror=0\r\nversion=1.0.0\r\npens-data=\r\n", &["response.line-order"], Some(0)),
            (
                b"error=0\r\n",
                &["response.error-text.present", "response.version.present", "response.pens-data.present"],
                Some(0),
            ),
            (
                b"error = 0 \r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n",
                &["response.no-extra-whitespace"],
                Some(0),
            ),
            (
                b"error=0\r\n\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n",
                &["response.no-extra-whitespace"],
                Some(0),
            ),
            (b"error=OK\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n", &["response.error.numeric"], None),
            (b"error=0 OK\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n", &["response.error.numeric"], Some(0)),
            (b"error=99999\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n", &["response.error.numeric"], None),
            (b"error=0\r\nerror-text=ok\r\nversion=2.0.0\r\npens-data=\r\n", &["response.version.value"], Some(0)),
            (b"error=0\r\nerror-text=ok\r\nversion=one\r\npens-data=\r\n", &["response.version.value"], Some(0)),
            (
                b"error=0\r\nerror-text=all+good+here\r\nversion=1.0.0\r\npens-data=\r\n",
                &["response.plain-values"],
                Some(0),
            ),
            (
                b"error=0\r\nstatus=fine\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n",
                &["response.known-lines"],
                Some(0),
            ),
            (
                b"error=0\r\nerror=1\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=\r\n",
                &["response.known-lines"],
                Some(0),
            ),
            (b"error=0\rerror-text=ok\rversion=1.0.0\rpens-data=\r", &["response.line-ending.crlf"], Some(0)),
            (b"error=0\r\nerror-text=caf\xe9\r\nversion=1.0.0\r\npens-data=\r\n", &["response.charset.utf8"], Some(0)),
            (
                b"<html><body>Internal Server Error</body></html>",
                &[
                    "response.known-lines",
                    "response.error.present",
                    "response.error-text.present",
                    "response.version.present",
                    "response.pens-data.present",
                ],
                None,
            ),
            (
                b"",
                &[
                    "response.error.present",
                    "response.error-text.present",
                    "response.version.present",
                    "response.pens-data.present",
                ],
                None,
            ),
        ];
        for &(body, expected, error) in cases {
            let parsed = parse_response(body);
            assert_eq!(ids(&parsed), expected, "{:?}", String::from_utf8_lossy(body));
            assert_eq!(parsed.error, error.map(ErrorCode), "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn a_long_foreign_body_yields_a_bounded_number_of_findings() {
        let body =
            format!("error=0\r\nerror-text=ok\r\nversion=1.0.0\r\n{}pens-data=\r\n", "<p>x</p>\r\n".repeat(10_000));
        let parsed = parse_response(body.as_bytes());
        let unknown = parsed.findings.iter().filter(|f| f.requirement.id == "response.known-lines").count();
        assert_eq!(unknown, MAX_QUOTED_UNKNOWN_LINES + 1);
        assert!(
            parsed.findings.last().is_some_and(|f| f.message.starts_with("9995 more lines")),
            "{:?}",
            parsed.findings.last()
        );
    }

    #[test]
    fn pens_data_runs_to_the_end_unless_lines_were_reordered() {
        let parsed = parse_response(b"error=0\r\nerror-text=ok\r\nversion=1.0.0\r\npens-data=a\r\nerror=7\r\nb=c\r\n");
        assert_eq!(parsed.pens_data.as_deref(), Some("a\r\nerror=7\r\nb=c"), "error was seen: data");
        let reordered = parse_response(b"pens-data=trace\r\nerror=0\r\nerror-text=ok\r\nversion=1.0.0\r\n");
        assert_eq!(reordered.pens_data.as_deref(), Some("trace"));
        assert_eq!(reordered.error, Some(ErrorCode(0)));
        assert_eq!(reordered.version.as_deref(), Some("1.0.0"));
        assert_eq!(ids(&reordered), ["response.line-order"]);
    }

    #[test]
    fn content_type_must_be_text_plain() {
        assert!(check_content_type(Some("text/plain; charset=utf-8")).is_none());
        assert!(check_content_type(Some("Text/Plain")).is_none());
        assert!(check_content_type(Some("text/html")).is_some());
        assert!(check_content_type(None).is_some());
    }
}
