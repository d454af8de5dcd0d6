//! Mailed receipts and alerts (CMI010 §5, Appendix A): a receipt or alert URL may be a
//! `mailto:` URL, and the spec's best practice for such a message is a real sender or
//! reply-to address, a readable subject, optional free text first, then CR LF, then
//! `name=value` lines, each ended by CR LF.
//!
//! This module reads the body text of such a message (already taken out of its MIME
//! structure and transfer encoding) into pairs for [`Notification::from_pairs`], and
//! judges the headers that best practice names. Like the form decoder it is lenient:
//! whatever can be read is read, each deviation is a `should` [`Finding`].
//!
//! Values are taken as they stand: a mail body is not URL-encoded, so `%20` stays
//! `%20` and a value may hold `=` and spaces.
//!
//! [`Notification::from_pairs`]: crate::Notification::from_pairs

use std::fmt;

use crate::element::is_secret_name;
use crate::finding::{Finding, REDACTED, redact};
use crate::requirement::req;

/// The body of a mailed receipt or alert, read. Its `Debug` output hides secret values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DecodedMailBody {
    /// `(name, value)` of every `name=value` line, in order, values exactly as written.
    pub pairs: Vec<(String, String)>,
    /// The lines before the first `name=value` line, without the blank lines around them.
    pub free_text: String,
    /// Deviations from the best practice of CMI010 App. A.
    pub findings: Vec<Finding>,
}

impl fmt::Debug for DecodedMailBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(name, value)| (name.as_str(), if is_secret_name(name) { REDACTED } else { value.as_str() }))
            .collect();
        f.debug_struct("DecodedMailBody")
            .field("pairs", &pairs)
            .field("free_text", &redact(&self.free_text))
            .field("findings", &self.findings)
            .finish()
    }
}

/// One line of the body and how it ended.
struct Line<'a> {
    /// The line without its terminator.
    text: &'a str,
    /// Where the line starts in the body.
    start: usize,
    ending: Ending,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    CrLf,
    BareLf,
    /// The last line, with no line break after it.
    None,
}

fn lines(body: &str) -> impl Iterator<Item = Line<'_>> {
    body.split_inclusive('\n').scan(0, |start, raw| {
        let line_start = *start;
        *start += raw.len();
        let (text, ending) = match raw.strip_suffix("\r\n") {
            Some(text) => (text, Ending::CrLf),
            None => match raw.strip_suffix('\n') {
                Some(text) => (text, Ending::BareLf),
                None => (raw, Ending::None),
            },
        };
        Some(Line { text, start: line_start, ending })
    })
}

/// `name=value` when the line is one: a non-empty name of lower-case letters, digits
/// and hyphens (the spec's element names, CMI010 §6.2), then `=`, then anything.
fn pair_of(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once('=')?;
    let is_name = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    is_name.then_some((name, value))
}

/// Reads the text body of a mailed receipt or alert.
///
/// Lines before the first `name=value` line are free text; from that line on every
/// non-blank line should be `name=value`, and one that is not is noted and skipped.
/// A blank line, or none, between free text and pairs is fine either way.
pub fn decode_mail_body(body: &str) -> DecodedMailBody {
    let mut decoded = DecodedMailBody::default();
    let mut free_text_end = body.len();
    let mut stray: Vec<&str> = Vec::new();
    let (mut ended, mut bare_lf) = (0usize, 0usize);
    for line in lines(body) {
        match line.ending {
            Ending::CrLf => ended += 1,
            Ending::BareLf => {
                ended += 1;
                bare_lf += 1;
            }
            Ending::None => {}
        }
        match pair_of(line.text) {
            Some((name, value)) => {
                if decoded.pairs.is_empty() {
                    free_text_end = line.start;
                }
                decoded.pairs.push((name.to_owned(), value.to_owned()));
            }
            None if !decoded.pairs.is_empty() && !line.text.trim().is_empty() => stray.push(line.text),
            None => {}
        }
    }
    decoded.free_text = body[..free_text_end].trim_matches(['\r', '\n']).to_owned();

    if decoded.pairs.is_empty() {
        decoded.findings.push(Finding::new(
            &req::NOTIFICATION_MAILTO_BODY,
            "the body holds no name=value line (lower-case name, `=`, value, one per line): a program cannot read the outcome",
        ));
    }
    if bare_lf > 0 {
        decoded.findings.push(Finding::new(
            &req::NOTIFICATION_MAILTO_BODY,
            format!("{bare_lf} of {ended} lines end in a bare LF; end each line with CR LF"),
        ));
    }
    if let Some(first) = stray.first() {
        let count = stray.len();
        let lines = if count == 1 { "line" } else { "lines" };
        decoded.findings.push(
            Finding::new(
                &req::NOTIFICATION_MAILTO_BODY,
                format!(
                    "{count} {lines} after the first name=value line {} not name=value and {} skipped; put free text before the pairs",
                    if count == 1 { "is" } else { "are" },
                    if count == 1 { "was" } else { "were" },
                ),
            )
            .value(first),
        );
    }
    decoded
}

/// Judges the headers that the best practice of CMI010 App. A names: a real sender or
/// reply-to address, so that an author can answer, and a readable subject. Which
/// address is given is not judged (`noreply@` is a real address too); only that one is.
pub fn check_mail_headers(from: Option<&str>, reply_to: Option<&str>, subject: Option<&str>) -> Vec<Finding> {
    let blank = |value: Option<&str>| value.is_none_or(|v| v.trim().is_empty());
    let mut findings = Vec::new();
    if blank(from) && blank(reply_to) {
        findings.push(
            Finding::new(
                &req::NOTIFICATION_MAILTO_BODY,
                "no From and no Reply-To address: give a real sender or reply-to address",
            )
            .element("From"),
        );
    }
    if blank(subject) {
        findings.push(
            Finding::new(
                &req::NOTIFICATION_MAILTO_BODY,
                "no Subject: give a readable subject, such as the package and the outcome",
            )
            .element("Subject"),
        );
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of Appendix A's example, with free text first.
    const APPENDIX_A: &str = "Your package has been received.\r\nThank you.\r\n\r\ncommand=receipt\r\npens-version=1.0.0\r\npackage-id=urn:x:1\r\nerror=0\r\nerror-text=package retrieved\r\n";

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    fn messages(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.message.as_str()).collect()
    }

    #[test]
    fn bodies_are_read_into_pairs_and_free_text() {
        struct Case {
            name: &'static str,
            body: &'static str,
            pairs: &'static [(&'static str, &'static str)],
            free_text: &'static str,
            findings: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "appendix a with free text",
                body: APPENDIX_A,
                pairs: &[
                    ("command", "receipt"),
                    ("pens-version", "1.0.0"),
                    ("package-id", "urn:x:1"),
                    ("error", "0"),
                    ("error-text", "package retrieved"),
                ],
                free_text: "Your package has been received.\r\nThank you.",
                findings: &[],
            },
            Case {
                name: "pairs only, no break at the end",
                body: "command=alert\r\nerror=0",
                pairs: &[("command", "alert"), ("error", "0")],
                free_text: "",
                findings: &[],
            },
            Case {
                name: "no blank line between free text and pairs",
                body: "Hello.\r\ncommand=receipt\r\n",
                pairs: &[("command", "receipt")],
                free_text: "Hello.",
                findings: &[],
            },
            Case {
                name: "lf only",
                body: "Hello.\ncommand=receipt\nerror=0\n",
                pairs: &[("command", "receipt"), ("error", "0")],
                free_text: "Hello.",
                findings: &["3 of 3 lines end in a bare LF; end each line with CR LF"],
            },
            Case {
                name: "some lines lf only",
                body: "command=receipt\r\nerror=0\nerror-text=ok\r\n",
                pairs: &[("command", "receipt"), ("error", "0"), ("error-text", "ok")],
                free_text: "",
                findings: &["1 of 3 lines end in a bare LF; end each line with CR LF"],
            },
            Case {
                name: "no pairs",
                body: "Your package was received.\r\nCommand=receipt\r\n",
                pairs: &[],
                free_text: "Your package was received.\r\nCommand=receipt",
                findings: &[
                    "the body holds no name=value line (lower-case name, `=`, value, one per line): a program cannot read the outcome",
                ],
            },
            Case {
                name: "value containing equals signs kept whole",
                body: "package-url=https://h.example/p.zip?a=1&b=2\r\n",
                pairs: &[("package-url", "https://h.example/p.zip?a=1&b=2")],
                free_text: "",
                findings: &[],
            },
            Case {
                name: "value with spaces kept",
                body: "error-text=package retrieved and imported \r\n",
                pairs: &[("error-text", "package retrieved and imported ")],
                free_text: "",
                findings: &[],
            },
            Case {
                name: "percent escapes not decoded",
                body: "error-text=a%20b+c\r\n",
                pairs: &[("error-text", "a%20b+c")],
                free_text: "",
                findings: &[],
            },
            Case {
                name: "empty values are pairs",
                body: "command=receipt\r\npens-data=\r\n",
                pairs: &[("command", "receipt"), ("pens-data", "")],
                free_text: "",
                findings: &[],
            },
            Case {
                name: "text after the pairs",
                body: "command=receipt\r\n\r\nerror=0\r\n-- \r\nReference LMS\r\n",
                pairs: &[("command", "receipt"), ("error", "0")],
                free_text: "",
                findings: &[
                    "2 lines after the first name=value line are not name=value and were skipped; put free text before the pairs",
                ],
            },
            Case {
                name: "empty body",
                body: "",
                pairs: &[],
                free_text: "",
                findings: &[
                    "the body holds no name=value line (lower-case name, `=`, value, one per line): a program cannot read the outcome",
                ],
            },
        ];
        for case in cases {
            let decoded = decode_mail_body(case.body);
            assert_eq!(decoded.pairs, pairs(case.pairs), "{}", case.name);
            assert_eq!(decoded.free_text, case.free_text, "{}", case.name);
            assert_eq!(messages(&decoded.findings), case.findings, "{}", case.name);
            assert!(
                decoded.findings.iter().all(|f| f.requirement.id == "notification.mailto.body" && !f.is_failure()),
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn a_skipped_line_is_quoted() {
        let decoded = decode_mail_body("command=receipt\r\nthanks!\r\n");
        assert_eq!(decoded.findings[0].value.as_deref(), Some("thanks!"));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let decoded = decode_mail_body("command=receipt\r\nsystem-password=hunter2\r\n");
        let shown = format!("{decoded:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(REDACTED), "{shown}");
    }

    #[test]
    fn headers_need_an_address_and_a_subject() {
        type Case = (Option<&'static str>, Option<&'static str>, Option<&'static str>, &'static [&'static str]);
        let cases: &[Case] = &[
            (Some("LMS <lms@lms.example>"), None, Some("PENS receipt"), &[]),
            (None, Some("admin@lms.example"), Some("PENS receipt"), &[]),
            (Some("noreply@localhost"), None, Some("x"), &[]),
            (None, None, Some("PENS receipt"), &["From"]),
            (Some(" "), Some(""), Some("PENS receipt"), &["From"]),
            (Some("lms@lms.example"), None, None, &["Subject"]),
            (Some("lms@lms.example"), None, Some("  "), &["Subject"]),
            (None, None, None, &["From", "Subject"]),
        ];
        for &(from, reply_to, subject, expected) in cases {
            let findings = check_mail_headers(from, reply_to, subject);
            let elements: Vec<&str> = findings.iter().filter_map(|f| f.element.as_deref()).collect();
            assert_eq!(elements, expected, "{from:?} {reply_to:?} {subject:?}");
            assert!(findings.iter().all(|f| f.requirement.id == "notification.mailto.body"));
        }
    }
}
