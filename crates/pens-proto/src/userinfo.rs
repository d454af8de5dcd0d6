//! Hiding the password of every URL in a text: `scheme://user:password@host` becomes
//! `scheme://user:[redacted]@host`, wherever a URL is shown (a report, a log line, a
//! progress line, an error message, a bundle).
//!
//! One function for every place, so that no path that shows a URL can forget one of
//! its forms: RFC 2396 §3.2.2 allows `userinfo@` in any server-based authority, and a
//! URL may be written plainly or percent-encoded inside another URL's query or a form
//! value (`http%3A%2F%2Fuser%3Apw%40host`). Every URL of the text is looked at, not only
//! the first, and a URL ends at white space or a quote, so a free-text message with
//! several URLs is hidden whole. The user name stays (it says whose credentials were
//! used, and RFC 2396 does not make it secret); a `user@` without a password is kept.

use crate::finding::REDACTED;

/// How one form of URL writes the characters that delimit its authority.
struct Form {
    /// What opens the authority (`//`).
    opens: &'static str,
    /// What ends the authority (`/`, `?`, `#`), besides white space and quotes.
    ends: &'static [&'static str],
    /// What ends the userinfo (`@`).
    at: &'static str,
    /// What ends the user name inside the userinfo (`:`).
    colon: &'static str,
}

/// The plain form and the percent-encoded one (upper or lower case hex, matched
/// case-insensitively), as a URL stands inside a query string or a form body.
const FORMS: [Form; 2] = [
    Form { opens: "//", ends: &["/", "?", "#"], at: "@", colon: ":" },
    Form { opens: "%2f%2f", ends: &["%2f", "%3f", "%23", "&"], at: "%40", colon: "%3a" },
];

/// `text` with the password of every URL in it replaced by [`REDACTED`], plain or
/// percent-encoded; every other character is kept.
pub fn redact_userinfo(text: &str) -> String {
    FORMS.iter().fold(text.to_owned(), |text, form| redact_form_of(&text, form))
}

/// Whether `text` holds a URL with a password in its userinfo (in either form).
pub fn has_userinfo_password(text: &str) -> bool {
    redact_userinfo(text) != text
}

/// The user name and password of a URL's userinfo, as written (percent-encoded), when
/// it has a password: what a harness must keep out of everything it shows.
pub fn userinfo_of(url: &str) -> Option<(&str, &str)> {
    let start = url.find("//")? + 2;
    let end = authority_end(url, start, &FORMS[0]);
    let authority = &url[start..end];
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':')
}

fn redact_form_of(text: &str, form: &Form) -> String {
    // ASCII lower-casing keeps every byte offset, so positions found in `lower` are
    // positions in `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(form.opens) {
        let start = from + found + form.opens.len();
        let end = authority_end(&lower, start, form);
        let authority = &lower[start..end];
        out.push_str(&text[from..start]);
        match authority.rfind(form.at).and_then(|at| authority[..at].find(form.colon).map(|colon| (colon, at))) {
            Some((colon, at)) => {
                let colon = start + colon + form.colon.len();
                out.push_str(&text[start..colon]);
                out.push_str(REDACTED);
                out.push_str(&text[start + at..end]);
            }
            None => out.push_str(&text[start..end]),
        }
        from = end;
    }
    out.push_str(&text[from..]);
    out
}

/// Where the authority that starts at `start` ends: at the first delimiter of `form`,
/// white space, a quote or an angle bracket (a URL quoted in a message), or the end.
fn authority_end(lower: &str, start: usize, form: &Form) -> usize {
    let rest = &lower[start..];
    let mut end =
        rest.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '<' | '>')).unwrap_or(rest.len());
    for delimiter in form.ends {
        if let Some(at) = rest[..end].find(delimiter) {
            end = at;
        }
    }
    start + end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_password_of_every_url_is_hidden_in_either_form() {
        let cases = [
            ("http://user:pw@lms/pens", "http://user:[redacted]@lms/pens"),
            ("ftp://bob:p%40ss@h/p.zip?x=a@b", "ftp://bob:[redacted]@h/p.zip?x=a@b"),
            ("//bob:hunter2@staging.example/p.zip", "//bob:[redacted]@staging.example/p.zip"),
            ("https://bob@h/p.zip", "https://bob@h/p.zip"),
            ("https://h/p.zip?user=a:b@c", "https://h/p.zip?user=a:b@c"),
            ("mailto:a@b.example", "mailto:a@b.example"),
            (
                "http://a:1@h and `https://b:2@k:8080` or \"http://c:3@m\"",
                "http://a:[redacted]@h and `https://b:[redacted]@k:8080` or \"http://c:[redacted]@m\"",
            ),
            (
                "nothing listens at http://u:p@127.0.0.1:9/pens: refused",
                "nothing listens at http://u:[redacted]@127.0.0.1:9/pens: refused",
            ),
            (
                "package-url=http%3A%2F%2Fu%3Ap%40ss%40h%2Fx.zip&receipt=HTTPS%3A%2F%2Fv%3AW%40k",
                "package-url=http%3A%2F%2Fu%3A[redacted]%40h%2Fx.zip&receipt=HTTPS%3A%2F%2Fv%3A[redacted]%40k",
            ),
            ("a%2F%2Fb%40c&d=e%3Af%40g", "a%2F%2Fb%40c&d=e%3Af%40g"),
            ("", ""),
            ("http://", "http://"),
            ("caf\u{e9} http://\u{e9}:\u{e9}@\u{e9}/", "caf\u{e9} http://\u{e9}:[redacted]@\u{e9}/"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_userinfo(input), expected, "{input}");
            assert_eq!(has_userinfo_password(input), input != expected, "{input}");
        }
    }

    #[test]
    fn the_userinfo_of_a_url_is_read_as_written() {
        assert_eq!(userinfo_of("http://al%20ice:p%40ss:w@lms/pens"), Some(("al%20ice", "p%40ss:w")));
        assert_eq!(userinfo_of("http://alice@lms/pens"), None);
        assert_eq!(userinfo_of("http://lms/pens?a=b:c@d"), None);
    }
}
