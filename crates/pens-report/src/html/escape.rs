//! Escaping for `report.html`. Every value interpolated into the page goes through
//! [`escape_html`], in text and in attribute values alike: a title, a message or the
//! bytes an implementation sent can then never open a tag, close an attribute or start
//! a script.

use crate::text::show_controls;

/// `text` safe as HTML text content and as a quoted attribute value: `&`, `<`, `>`,
/// `"` and `'` become character references; everything else is kept.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// One line of text from the implementation (a message, a summary): control characters
/// made visible, then escaped, so a CR in a message shows as `\r`.
pub(crate) fn escape_line(text: &str) -> String {
    escape_html(&show_controls(text, false))
}

/// Exact bytes for a `<pre>`: control characters visible (`\r\n` ends a line as
/// `\r\n` followed by a real break), then escaped.
pub(crate) fn escape_bytes(text: &str) -> String {
    escape_html(&show_controls(text, true))
}

/// A diff for a `<pre>`: its line breaks are the diff's own, so only the other control
/// characters are made visible (the diff already shows CR as `\r`).
pub(crate) fn escape_diff(diff: &str) -> String {
    let lines: Vec<String> = diff.split('\n').map(|line| show_controls(line, false)).collect();
    escape_html(&lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_html_neutralises_markup_in_text_and_attributes() {
        let cases = [
            ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
            ("\"'><img src=x onerror=1>", "&quot;&#39;&gt;&lt;img src=x onerror=1&gt;"),
            ("a & b &amp;", "a &amp; b &amp;amp;"),
            ("plain text, é, CR\r", "plain text, é, CR\r"),
            ("", ""),
        ];
        for (input, expected) in cases {
            let escaped = escape_html(input);
            assert_eq!(escaped, expected, "{input:?}");
            assert!(!escaped.contains(['<', '>', '"', '\'']), "{escaped}");
        }
    }

    #[test]
    fn bytes_show_control_characters_and_keep_line_breaks() {
        assert_eq!(escape_bytes("error=0\r\n<x>\t"), "error=0\\r\\n\n&lt;x&gt;\\t");
        assert_eq!(escape_line("a\r\nb"), "a\\r\\nb");
        assert_eq!(escape_diff("-a\\r\n+a\u{7}\n"), "-a\\r\n+a\\u{7}\n");
    }
}
