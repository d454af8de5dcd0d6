//! Showing protocol bytes to people: control characters made visible, so that the CR
//! that decides a response's conformance can be seen in a terminal, a log or a report.

use std::fmt::Write;

/// `text` with `\r`, `\t`, other control characters and the byte-order mark written
/// visibly (`\r`, `\t`, `\u{7}`, `\u{feff}`). A line feed becomes `\n`; with
/// `keep_line_breaks` it also still breaks the line, so multi-line bodies stay readable.
pub fn show_controls(text: &str, keep_line_breaks: bool) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => shown.push_str("\\r"),
            '\n' if keep_line_breaks => shown.push_str("\\n\n"),
            '\n' => shown.push_str("\\n"),
            '\t' => shown.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(shown, "\\u{{{:x}}}", c as u32);
            }
            c => shown.push(c),
        }
    }
    shown
}

/// Bytes for people: valid UTF-8 as [`show_controls`] shows it (line breaks kept), each
/// byte that is not UTF-8 as `\xNN`, and a backslash as `\\`, so that every backslash
/// shown starts an escape: a body holding the characters `\r` reads `\\r`, never the
/// `\r` of a CR. Nothing the wire carried is hidden or confused.
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut shown = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        shown.push_str(&show_controls(&chunk.valid().replace('\\', "\\\\"), true));
        for byte in chunk.invalid() {
            let _ = write!(shown, "\\x{byte:02x}");
        }
    }
    shown
}

/// `n` and `noun`, singular or plural: `1 scenario`, `0 scenarios`, `2 errors`. Every
/// count a person reads goes through it, so none says "1 scenarios". `noun` is a
/// regular English noun (plural with `s`).
pub fn counted(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// What one entry of a report is, singular and plural: a scenario, or in an observe
/// run one observed publish, so the summary reads "3 publishes: 3 pass".
pub fn entry_nouns(report: &crate::RunReport) -> (&'static str, &'static str) {
    if report.mode == "observe" { ("publish", "publishes") } else { ("scenario", "scenarios") }
}

/// `n` entries of `report`: `1 scenario`, `2 publishes`.
pub fn counted_entries(n: impl Into<u64>, report: &crate::RunReport) -> String {
    let n = n.into();
    let (one, many) = entry_nouns(report);
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

#[cfg(test)]
mod tests {
    use super::{show_bytes, show_controls};

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex_and_a_backslash_is_doubled() {
        assert_eq!(
            show_bytes(b"a\xff\r\n\\r"),
            r"a\xff\r\n
\\r"
        );
    }

    #[test]
    fn a_count_of_one_is_singular() {
        assert_eq!(super::counted(1_u32, "scenario"), "1 scenario");
        assert_eq!(super::counted(0_u32, "scenario"), "0 scenarios");
        assert_eq!(super::counted(2_u64, "error"), "2 errors");
    }

    #[test]
    fn control_characters_are_shown_and_text_is_kept() {
        assert_eq!(show_controls("a\r\nb\tc\u{7}é\u{feff}", false), "a\\r\\nb\\tc\\u{7}é\\u{feff}");
        assert_eq!(show_controls("error=0\r\nx", true), "error=0\\r\\n\nx");
    }
}
