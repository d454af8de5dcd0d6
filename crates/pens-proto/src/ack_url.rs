//! Receipt and alert URLs: where a target sends its receipt and alerts (CMI010 §5,
//! §6.2). Either an absolute `http(s)://` URL, or a `mailto:` URL with one or more
//! comma-separated addresses (RFC 2368 / RFC 6068).

use std::fmt;

use url::Url;

/// A parsed receipt or alerts URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AckUrl {
    /// An `http` or `https` URL: the message is POSTed (or GET) there.
    Http(Url),
    /// A `mailto:` URL: the message is mailed.
    Mailto(Mailto),
}

impl AckUrl {
    /// The scheme, lower-case.
    pub fn scheme(&self) -> &str {
        match self {
            AckUrl::Http(url) => url.scheme(),
            AckUrl::Mailto(_) => "mailto",
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
    /// An http(s) URL that does not parse or has no host.
    #[error("not a valid absolute URL: {0}")]
    MalformedHttp(String),
    /// A `mailto:` without any address.
    #[error("the mailto: URL names no address")]
    NoAddress,
    /// A `mailto:` address that is not `local@domain`.
    #[error("`{0}` is not an e-mail address of the form local@domain")]
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
            let url = Url::parse(text).map_err(|e| AckUrlError::MalformedHttp(e.to_string()))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(AckUrlError::MalformedHttp("no host".into()));
            }
            Ok(AckUrl::Http(url))
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

fn push_addresses(into: &mut Vec<String>, list: &str) -> Result<(), AckUrlError> {
    for address in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        if !is_addr_spec(address) {
            return Err(AckUrlError::BadAddress(address.to_owned()));
        }
        into.push(address.to_owned());
    }
    Ok(())
}

/// A practical `local@domain` check (RFC 5322 addr-spec without comments or quoting):
/// what a mail server on the other end will accept.
fn is_addr_spec(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let domain_ok = if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        literal.parse::<std::net::IpAddr>().is_ok()
            || literal.strip_prefix("IPv6:").is_some_and(|v6| v6.parse::<std::net::Ipv6Addr>().is_ok())
    } else {
        !domain.is_empty()
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    };
    local_ok && domain_ok
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
            ("http://", AckUrlError::MalformedHttp("empty host".into())),
            ("mailto:", AckUrlError::NoAddress),
            ("mailto:?subject=x", AckUrlError::NoAddress),
            ("mailto:not-an-address", AckUrlError::BadAddress("not-an-address".into())),
            ("mailto:a@x.example,,b@", AckUrlError::BadAddress("b@".into())),
            ("mailto:Jo <jo@x.example>", AckUrlError::BadAddress("Jo <jo@x.example>".into())),
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
