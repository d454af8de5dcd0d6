//! How text from a run is shaped for `report.html` before the template escapes it:
//! control characters made visible, so the CR that decides a response's conformance
//! can be seen. No escaping happens here: maud escapes every value it renders, and
//! this module never produces markup.

use crate::text::show_controls;

/// One line of text (a message, a summary, a URL): control characters visible, so a
/// CR in a message shows as `\r` and cannot break the line.
pub(crate) fn line(text: &str) -> String {
    show_controls(text, false)
}

/// Exact bytes for a `<pre>`: control characters visible, and a line feed shown as
/// `\n` that still breaks the line so multi-line bodies stay readable.
pub(crate) fn bytes(text: &str) -> String {
    show_controls(text, true)
}

/// A diff for a `<pre>`: its line breaks are the diff's own, so only the other control
/// characters are made visible (the diff already shows CR as `\r`).
pub(crate) fn diff(diff: &str) -> String {
    let lines: Vec<String> = diff.split('\n').map(|line| show_controls(line, false)).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_visible_and_line_breaks_kept_where_they_belong() {
        assert_eq!(bytes("error=0\r\n<x>\t"), "error=0\\r\\n\n<x>\\t");
        assert_eq!(line("a\r\nb"), "a\\r\\nb");
        assert_eq!(diff("-a\\r\n+a\u{7}\n"), "-a\\r\n+a\\u{7}\n");
    }
}
