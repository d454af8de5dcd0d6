//! Values CMI010 calls URIs or URLs (`package-id`, `package-url`, `receipt`, `alerts`:
//! CMI010 §6.2 cites RFC 1738 and RFC 2396), judged by the generic URI syntax rather
//! than by a browser's URL parser.
//!
//! A WHATWG URL parser (the `url` crate) is right for URLs the harness itself fetches,
//! but it is the wrong judge of a value someone else sent: it refuses what the RFCs
//! allow (a port is `*digit` with no upper bound; RFC 2396 §3.2.1 allows a
//! registry-based authority such as App. A's own `http://myurl.com:2631e419-…`) and
//! quietly repairs what they forbid (spaces, non-ASCII). Here a value is read with
//! `fluent-uri` (RFC 3986, the successor of RFC 2396), plus the one RFC 2396 form RFC
//! 3986 dropped: the registry-based authority. Whether the harness or a target can
//! *reach* the URL (a port beyond 65535, an `http:` URL without a host) is a separate
//! question, answered by [`GenericUri::reachable_host`].

use std::fmt;

use fluent_uri::{ParseErrorKind, Uri};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// A URI taken apart by the generic syntax (RFC 3986 §3, RFC 2396 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenericUri {
    /// The scheme, lower-case.
    pub scheme: String,
    /// The authority after `//`, when there is one.
    pub authority: Option<UriAuthority>,
    /// The path (may be empty), percent-encoded as sent.
    pub path: String,
    /// The query after `?`.
    pub query: Option<String>,
    /// The fragment after `#`.
    pub fragment: Option<String>,
    /// Characters the value carried raw that a URI must percent-encode (spaces,
    /// non-ASCII, `"<>\^`{|}`): it was read as if they had been encoded, the way HTTP
    /// clients and browsers read it. Empty for a valid URI.
    pub unescaped: Vec<char>,
}

/// The authority component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UriAuthority {
    /// `[userinfo@]host[:port]` (RFC 3986 §3.2, RFC 2396 §3.2.2 "server-based").
    Server {
        /// The userinfo before `@`, as sent.
        userinfo: Option<String>,
        /// The host (a reg-name, an IPv4 address or a bracketed IP literal); may be empty.
        host: String,
        /// The port digits, as sent: any number of digits, no range (RFC 3986 §3.2.3).
        port: Option<String>,
    },
    /// A registry-based naming authority (RFC 2396 §3.2.1), e.g. `myurl.com:2631e419-…`
    /// in CMI010 App. A's own package-id: valid in RFC 2396, which CMI010 cites; RFC 3986
    /// no longer has it.
    Registry(String),
}

/// Why a value is not a URI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// Empty or white space only.
    #[error("the value is empty")]
    Empty,
    /// No `scheme:` at the start (RFC 3986 §3.1).
    #[error("no scheme: a URI starts with `scheme:` (RFC 2396 §3, RFC 3986 §3.1)")]
    NoScheme,
    /// The generic syntax is broken at `at` (a byte offset).
    #[error("not a URI (RFC 2396 / RFC 3986): {reason} at position {at}")]
    Syntax {
        /// Byte offset of the offending character in the trimmed value.
        at: usize,
        /// What is wrong there.
        reason: String,
    },
}

/// Characters HTTP clients percent-encode on their way out rather than refuse; a value
/// whose only fault is to carry them raw is read as if they had been encoded.
const REPAIRABLE: &AsciiSet =
    &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'\\').add(b'^').add(b'`').add(b'{').add(b'|').add(b'}');

/// Parses `value` (outer white space ignored) by the generic URI syntax.
pub fn parse_uri(value: &str) -> Result<GenericUri, UriError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(UriError::Empty);
    }
    if !has_scheme(text) {
        return Err(UriError::NoScheme);
    }
    let error = match parse_strict(text) {
        Ok(uri) => return Ok(uri),
        Err(error) => error,
    };
    let repaired: String = utf8_percent_encode(text, REPAIRABLE).collect();
    if repaired != text
        && let Ok(mut uri) = parse_strict(&repaired)
    {
        let mut unescaped: Vec<char> = Vec::new();
        for c in text.chars().filter(|c| !c.is_ascii() || (c.is_ascii_control() || " \"<>\\^`{|}".contains(*c))) {
            if !unescaped.contains(&c) {
                unescaped.push(c);
            }
        }
        uri.unescaped = unescaped;
        return Ok(uri);
    }
    Err(error)
}

/// RFC 3986, then RFC 2396's registry-based authority.
fn parse_strict(text: &str) -> Result<GenericUri, UriError> {
    match Uri::parse(text) {
        Ok(uri) => Ok(from_fluent(&uri, None)),
        Err(error) => {
            if let Some((start, end)) = authority_span(text)
                && is_registry_name(&text[start..end])
            {
                // Replace the authority with a plain host to check the rest by RFC 3986.
                let probe = format!("{}x{}", &text[..start], &text[end..]);
                if let Ok(uri) = Uri::parse(probe.as_str()) {
                    return Ok(from_fluent(&uri, Some(text[start..end].to_owned())));
                }
            }
            let at = error.index();
            let character = text[at..].chars().next();
            let reason = match (error.kind(), character) {
                (ParseErrorKind::InvalidPctEncodedOctet, _) => "a `%` not followed by two hex digits".to_owned(),
                (ParseErrorKind::InvalidIpv6Addr, _) => "an invalid IPv6 address".to_owned(),
                (_, Some(c)) if c.is_whitespace() || c.is_control() => format!("the character {c:?}"),
                (_, Some(c)) => format!("the character `{c}`"),
                (_, None) => "the end of the value".to_owned(),
            };
            Err(UriError::Syntax { at, reason })
        }
    }
}

fn from_fluent(uri: &Uri<&str>, registry: Option<String>) -> GenericUri {
    let authority = uri.authority().map(|authority| match &registry {
        Some(name) => UriAuthority::Registry(name.clone()),
        None => UriAuthority::Server {
            userinfo: authority.userinfo().map(|u| u.as_str().to_owned()),
            host: authority.host().to_owned(),
            port: authority.port().map(|p| p.as_str().to_owned()),
        },
    });
    GenericUri {
        scheme: uri.scheme().as_str().to_ascii_lowercase(),
        authority,
        path: uri.path().as_str().to_owned(),
        query: uri.query().map(|q| q.as_str().to_owned()),
        fragment: uri.fragment().map(|f| f.as_str().to_owned()),
        unescaped: Vec::new(),
    }
}

/// `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )` followed by `:`.
fn has_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The byte range of the authority of `scheme://authority…`, if the value has one.
fn authority_span(text: &str) -> Option<(usize, usize)> {
    let colon = text.find(':')?;
    let start = colon + 1 + 2;
    text.get(colon + 1..start).filter(|s| *s == "//")?;
    let end = text[start..].find(['/', '?', '#']).map_or(text.len(), |i| start + i);
    Some((start, end))
}

/// RFC 2396 §3.2.1: `reg_name = 1*( unreserved | escaped | "$" | "," | ";" | ":" | "@" |
/// "&" | "=" | "+" )`.
fn is_registry_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            if !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed = b.is_ascii_alphanumeric() || b"-_.!~*'()$,;:@&=+".contains(&b);
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two URIs are the same by RFC 3986 §6.2.2 syntax-based normalization (case of
/// the scheme and host, case of percent-encodings, unreserved characters decoded, dot
/// segments, a default port): a package-id echoed as `HTTP://Vendor.Example/c%7e1` is the
/// `http://vendor.example/c~1` that was sent. Values that are not RFC 3986 URIs compare
/// as text.
pub fn uri_equivalent(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if a == b {
        return true;
    }
    match (Uri::parse(a), Uri::parse(b)) {
        (Ok(a), Ok(b)) => a.normalize().as_str() == b.normalize().as_str(),
        _ => false,
    }
}

impl GenericUri {
    /// The host and port a connection would be made to, or why there is none: no
    /// authority, an empty host, a registry-based authority, a port beyond 65535 or 0.
    pub fn reachable_host(&self) -> Result<(&str, Option<u16>), String> {
        match &self.authority {
            None => Err("it has no `//` authority, so no host to connect to".to_owned()),
            Some(UriAuthority::Registry(name)) => {
                Err(format!("its authority `{name}` is a naming authority, not a host and port"))
            }
            Some(UriAuthority::Server { host, .. }) if host.is_empty() => Err("its host is empty".to_owned()),
            Some(UriAuthority::Server { host, port, .. }) => match port.as_deref() {
                None | Some("") => Ok((host, None)),
                Some(digits) => match digits.parse::<u16>() {
                    Ok(0) | Err(_) => Err(format!("its port {digits} lies outside 1-65535, so nothing listens there")),
                    Ok(port) => Ok((host, Some(port))),
                },
            },
        }
    }

    /// The userinfo of a server-based authority.
    pub fn userinfo(&self) -> Option<&str> {
        match &self.authority {
            Some(UriAuthority::Server { userinfo, .. }) => userinfo.as_deref(),
            _ => None,
        }
    }

    /// The last segment of the path (empty when the path ends in `/` or is empty).
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }
}

impl fmt::Display for UriAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriAuthority::Registry(name) => f.write_str(name),
            UriAuthority::Server { userinfo, host, port } => {
                if let Some(userinfo) = userinfo {
                    write!(f, "{userinfo}@")?;
                }
                f.write_str(host)?;
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_rfcs_allow_is_a_uri() {
        let cases = [
            // CMI010 App. A's own package-ids: registry-based authorities (RFC 2396 §3.2.1).
            "http://myurl.com:2631e419-1573-4720-b4c6-8701f960dccc",
            "http://www.author.com:994646572378864600-1085069139609",
            // A port is `*digit`, without a range.
            "http://vendor.example:1796576179010",
            "urn:vendor:course:42",
            "tag:vendor.example,2026:course/42",
            "https://vendor.example/course/42?v=1#top",
            "http:/author.com/pens.cgi",
            "mailto:a@x.example,b@y.example",
            "http://1.2.3.999/x",
            "HTTP://Vendor.Example/x",
        ];
        for text in cases {
            let uri = parse_uri(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(uri.unescaped.is_empty(), "{text}");
        }
        let registry = parse_uri("http://myurl.com:2631e419-1573").expect("valid");
        assert_eq!(registry.authority, Some(UriAuthority::Registry("myurl.com:2631e419-1573".into())));
        assert_eq!(registry.scheme, "http");
        let long_port = parse_uri("http://vendor.example:1796576179010").expect("valid");
        assert!(
            matches!(long_port.authority, Some(UriAuthority::Server { ref port, .. }) if port.as_deref() == Some("1796576179010"))
        );
    }

    #[test]
    fn raw_characters_a_client_would_escape_are_read_and_named() {
        let uri = parse_uri("http://staging.example/my course é.zip").expect("readable");
        assert_eq!(uri.unescaped, [' ', 'é']);
        assert_eq!(uri.file_name(), "my%20course%20%C3%A9.zip");
    }

    #[test]
    fn what_no_rfc_allows_is_refused_with_the_position() {
        let cases = [
            ("", "empty"),
            ("  ", "empty"),
            ("vendor.example/course/42", "no scheme"),
            ("42", "no scheme"),
            (":x", "no scheme"),
            ("1http://x", "no scheme"),
            ("http://x/%zz", "`%` not followed by two hex digits"),
            ("http://[::zz]/", "not a URI"),
            ("http://x/[a]", "the character `[` at position 9"),
            ("http://x/#a#b", "the character `#` at position"),
        ];
        for (text, reason) in cases {
            let error = parse_uri(text).expect_err(text);
            assert!(error.to_string().contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn equivalence_is_rfc_3986_normalization() {
        assert!(uri_equivalent("HTTP://Vendor.Example/c%7e1", "http://vendor.example/c~1"));
        assert!(uri_equivalent("http://vendor.example:80/c", "http://vendor.example/c"));
        assert!(uri_equivalent(" urn:a:b ", "urn:a:b"));
        assert!(uri_equivalent("http://myurl.com:2631e419", "http://myurl.com:2631e419"));
        assert!(!uri_equivalent("http://vendor.example/C", "http://vendor.example/c"));
        assert!(!uri_equivalent("urn:a:b", "urn:a:c"));
    }

    #[test]
    fn reachability_is_a_separate_question() {
        let reachable = |text: &str| parse_uri(text).expect("valid").reachable_host().map(|(h, p)| (h.to_owned(), p));
        assert_eq!(reachable("http://h.example:8080/x"), Ok(("h.example".to_owned(), Some(8080))));
        assert_eq!(reachable("http://h.example/x"), Ok(("h.example".to_owned(), None)));
        for text in ["http://h.example:99999/x", "http:/author.com/pens.cgi", "http:///x", "http://a.example:b-c/x"] {
            assert!(reachable(text).is_err(), "{text}");
        }
    }
}
