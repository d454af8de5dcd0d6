//! Receipt and alert URLs: where a target sends its receipt and alerts (CMI010 §5,
//! §6.2). Either an `http(s)` URL, or a `mailto:` URL with one or more comma-separated
//! addresses (RFC 2368, whose `to` is a list of RFC 822/2822 mailboxes).
//!
//! The syntax is judged by the RFCs ([`crate::parse_uri`] for http(s), the
//! `email_address` crate's RFC 5322 parser for every address, a display name allowed as
//! RFC 2368 allows it); whether the URL can be *delivered to* is a separate question
//! ([`HttpUrl::deliverable`]), so an RFC-valid URL a browser parser refuses is not called
//! malformed.

use std::fmt;

use email_address::{EmailAddress, Options};
use url::Url;

use crate::uri::{GenericUri, parse_uri};

/// A parsed receipt or alerts URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AckUrl {
    /// An `http` or `https` URL: the message is POSTed (or GET) there (boxed: it keeps
    /// both readings of the URL).
    Http(Box<HttpUrl>),
    /// A `mailto:` URL: the message is mailed.
    Mailto(Mailto),
}

impl AckUrl {
    /// The scheme, lower-case.
    pub fn scheme(&self) -> &str {
        match self {
            AckUrl::Http(http) => &http.uri.scheme,
            AckUrl::Mailto(_) => "mailto",
        }
    }
}

/// An `http(s)` receipt or alerts URL: valid by the generic URI syntax, and, when it
/// names a host and port a connection can be made to, the URL to deliver to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    /// The value as sent, trimmed.
    pub text: String,
    /// Its generic-syntax reading.
    pub uri: GenericUri,
    /// What an HTTP client delivers to; `None` with the reason when it cannot.
    deliverable: Result<Url, String>,
}

impl HttpUrl {
    /// The URL to deliver to, or why there is none (no host, a port beyond 65535).
    pub fn deliverable(&self) -> Result<&Url, &str> {
        self.deliverable.as_ref().map_err(String::as_str)
    }

    /// Whether the URL names a host at all (`http:/author.com/x`, as CMI010 App. A §2
    /// writes one alerts URL, does not).
    /// A registry-based authority names something too: whether it can be reached is
    /// [`HttpUrl::deliverable`]'s question.
    pub fn has_host(&self) -> bool {
        match &self.uri.authority {
            Some(crate::uri::UriAuthority::Server { host, .. }) => !host.is_empty(),
            Some(crate::uri::UriAuthority::Registry(_)) => true,
            None => false,
        }
    }
}

/// A `mailto:` URL taken apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mailto {
    /// Every recipient: the comma-separated addresses of the path plus those of `to=` headers.
    pub addresses: Vec<String>,
    /// The other header fields (`subject`, `body`, `cc`, ...), decoded, in order.
    pub headers: Vec<(String, String)>,
}

/// Why a receipt or alerts URL is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AckUrlError {
    /// Empty or white space only.
    #[error("the URL is empty")]
    Empty,
    /// No `scheme:` at the start.
    #[error("no scheme: a receipt or alerts URL starts with `http://`, `https://` or `mailto:`")]
    NoScheme,
    /// A scheme other than http, https, mailto.
    #[error("the scheme `{0}` is not one PENS names for receipts and alerts (http, https, mailto)")]
    UnsupportedScheme(String),
    /// An http(s) URL that is not a URI by RFC 2396 / RFC 3986.
    #[error("not a valid URL: {0}")]
    MalformedHttp(String),
    /// A `mailto:` without any address.
    #[error("the mailto: URL names no address")]
    NoAddress,
    /// A `mailto:` address that is not an RFC 5322 mailbox.
    #[error("`{0}` is not an e-mail address (RFC 2368, RFC 5322 mailbox)")]
    BadAddress(String),
}

/// Parses a receipt or alerts URL.
pub fn parse_ack_url(value: &str) -> Result<AckUrl, AckUrlError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(AckUrlError::Empty);
    }
    let scheme = match text.find(':') {
        Some(colon) if colon > 0 && is_scheme(&text[..colon]) => text[..colon].to_ascii_lowercase(),
        _ => return Err(AckUrlError::NoScheme),
    };
    match scheme.as_str() {
        "mailto" => Mailto::parse(text).map(AckUrl::Mailto),
        "http" | "https" => {
            let uri = parse_uri(text).map_err(|e| AckUrlError::MalformedHttp(e.to_string()))?;
            let deliverable = match uri.reachable_host() {
                Err(why) => Err(why),
                Ok(_) => Url::parse(text).map_err(|e| format!("an HTTP client cannot read it ({e})")).and_then(|url| {
                    if url.host_str().is_none_or(str::is_empty) {
                        Err("an HTTP client finds no host in it".to_owned())
                    } else {
                        Ok(url)
                    }
                }),
            };
            Ok(AckUrl::Http(Box::new(HttpUrl { text: text.to_owned(), uri, deliverable })))
        }
        _ => Err(AckUrlError::UnsupportedScheme(scheme)),
    }
}

fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl Mailto {
    /// Parses `mailto:a@x.example,b@y.example?subject=...`.
    pub fn parse(value: &str) -> Result<Mailto, AckUrlError> {
        let text = value.trim();
        let rest = match text.get(..7) {
            Some(prefix) if prefix.eq_ignore_ascii_case("mailto:") => &text[7..],
            _ => return Err(AckUrlError::NoScheme),
        };
        let (to, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut mailto = Mailto::default();
        push_addresses(&mut mailto.addresses, &decode(to))?;
        for (name, value) in form_urlencoded_pairs(query) {
            if name.eq_ignore_ascii_case("to") {
                push_addresses(&mut mailto.addresses, &value)?;
            } else {
                mailto.headers.push((name, value));
            }
        }
        if mailto.addresses.is_empty() {
            return Err(AckUrlError::NoAddress);
        }
        Ok(mailto)
    }

    /// The value of a header field, e.g. `subject`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// `mailto:` values are percent-encoded but `+` is a literal plus (RFC 6068 §2).
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn form_urlencoded_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(name), decode(value))
    })
}

/// Adds every mailbox of a comma-separated list, as its addr-spec. RFC 2368's `to` is a
/// list of RFC 822 mailboxes, so a display name (`Jo <jo@x.example>`) is valid; the
/// address is what mail is sent to.
fn push_addresses(into: &mut Vec<String>, list: &str) -> Result<(), AckUrlError> {
    let options = Options::default().with_no_minimum_sub_domains().with_domain_literal().with_display_text();
    for address in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let parsed = EmailAddress::parse_with_options(address, options)
            .map_err(|_| AckUrlError::BadAddress(address.to_owned()))?;
        into.push(parsed.email());
    }
    Ok(())
}

impl fmt::Display for Mailto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADER: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
        const ADDRESS: &percent_encoding::AsciiSet = &HEADER.remove(b'@').remove(b'+').remove(b'!').remove(b'*');
        write!(f, "mailto:")?;
        let addresses: Vec<String> =
            self.addresses.iter().map(|a| percent_encoding::utf8_percent_encode(a, ADDRESS).to_string()).collect();
        write!(f, "{}", addresses.join(","))?;
        for (i, (name, value)) in self.headers.iter().enumerate() {
            let separator = if i == 0 { '?' } else { '&' };
            write!(
                f,
                "{separator}{}={}",
                percent_encoding::utf8_percent_encode(name, HEADER),
                percent_encoding::utf8_percent_encode(value, HEADER)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_parse() {
        for text in ["http://client.example/pens/receipt", "HTTPS://client.example:8443/r?id=1", "http://127.0.0.1:9/x"]
        {
            assert!(matches!(parse_ack_url(text), Ok(AckUrl::Http(_))), "{text}");
        }
    }

    #[test]
    fn mailto_with_several_addresses_and_headers() {
        let parsed =
            parse_ack_url("mailto:a@x.example,%20b@y.example?subject=PENS%20receipt&to=c@z.example&body=hi+there")
                .expect("valid");
        let AckUrl::Mailto(mailto) = parsed else { panic!("not mailto") };
        assert_eq!(mailto.addresses, ["a@x.example", "b@y.example", "c@z.example"]);
        assert_eq!(mailto.header("Subject"), Some("PENS receipt"));
        assert_eq!(mailto.header("body"), Some("hi+there"), "`+` is literal in mailto");
    }

    /// RFC-valid URLs a browser parser refuses are URLs; whether they can be delivered
    /// to is told apart.
    #[test]
    fn rfc_valid_but_undeliverable_urls_are_still_urls() {
        for (text, has_host) in [
            ("http://client.example:99999/r", true),
            ("http://client.example:8o8o/r", true),
            ("http:/author.com/pens.cgi", false),
            ("http:///r", false),
        ] {
            let Ok(AckUrl::Http(http)) = parse_ack_url(text) else { panic!("{text} is a URL") };
            assert!(http.deliverable().is_err(), "{text}");
            assert_eq!(http.has_host(), has_host, "{text}");
        }
        let Ok(AckUrl::Http(http)) = parse_ack_url("http://client.example:8080/r") else { panic!("a URL") };
        assert_eq!(http.deliverable().map(Url::as_str), Ok("http://client.example:8080/r"));
    }

    /// RFC 2368's `to` is a list of mailboxes: a display name and a quoted local part
    /// are valid, and the address is kept.
    #[test]
    fn mailto_mailboxes_follow_rfc_2368_and_5322() {
        let Ok(AckUrl::Mailto(mailto)) = parse_ack_url("mailto:Jo%20%3Cjo@x.example%3E,%22a%20b%22@y.example") else {
            panic!("valid")
        };
        assert_eq!(mailto.addresses, ["jo@x.example", "\"a b\"@y.example"]);
        let Ok(AckUrl::Mailto(mailto)) = parse_ack_url("mailto:name@domain.com") else { panic!("App. A's own") };
        assert_eq!(mailto.addresses, ["name@domain.com"]);
    }

    #[test]
    fn mailto_round_trips_through_display() {
        let mailto = Mailto {
            addresses: vec!["a+tag@x.example".into(), "b@[127.0.0.1]".into()],
            headers: vec![("subject".into(), "PENS receipt & more".into())],
        };
        let text = mailto.to_string();
        assert_eq!(Mailto::parse(&text).expect("parses"), mailto, "{text}");
    }

    #[test]
    fn unusable_urls_say_why() {
        let cases = [
            ("", AckUrlError::Empty),
            ("client.example/receipt", AckUrlError::NoScheme),
            ("ftp://client.example/receipt", AckUrlError::UnsupportedScheme("ftp".into())),
            ("http://x/%zz", AckUrlError::MalformedHttp("bad escape".into())),
            ("mailto:", AckUrlError::NoAddress),
            ("mailto:?subject=x", AckUrlError::NoAddress),
            ("mailto:not-an-address", AckUrlError::BadAddress("not-an-address".into())),
            ("mailto:a@x.example,,b@", AckUrlError::BadAddress("b@".into())),
            ("mailto:jo@", AckUrlError::BadAddress("jo@".into())),
            ("mailto:jo@x..example", AckUrlError::BadAddress("jo@x..example".into())),
        ];
        for (text, expected) in cases {
            let error = parse_ack_url(text).expect_err(text);
            match (&error, &expected) {
                (AckUrlError::MalformedHttp(_), AckUrlError::MalformedHttp(_)) => {}
                _ => assert_eq!(error, expected, "{text}"),
            }
        }
    }
}
