//! What a target URL must be for the harness to send it a collect: an absolute `http`
//! or `https` URL with a host (CMI010 §5: a collect is an HTTP GET or POST), parsed as
//! the HTTP client parses it. One rule for `--url` and the profile's `[target] url`, so
//! a typo is refused before any server starts, in the same words wherever it was
//! written.

/// Why a text cannot be a PENS endpoint. Each message is the words that follow the URL
/// in an error (`--url `ftp://lms/pens` is not an http or https URL ...`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// Not a URL at all (or one without anything after `http://`).
    #[error("is not a URL ({0}): {EXAMPLE}")]
    NotAUrl(url::ParseError),
    /// A URL of another scheme: a collect is an HTTP request.
    #[error("is not an http or https URL (scheme `{scheme}`): a collect is an HTTP request (CMI010 §5); {EXAMPLE}")]
    NotHttp {
        /// The scheme it has.
        scheme: String,
    },
    /// An http(s) URL without a host.
    #[error("has no host: {EXAMPLE}")]
    NoHost,
}

impl EndpointError {
    /// A few words for a caret under the value: `not an http or https URL`.
    pub fn label(&self) -> &'static str {
        match self {
            EndpointError::NotAUrl(_) => "not a URL",
            EndpointError::NotHttp { .. } => "not an http or https URL",
            EndpointError::NoHost => "no host",
        }
    }
}

/// What every refusal says to give instead.
const EXAMPLE: &str = "give the LMS's PENS endpoint, e.g. https://lms.example/pens";

/// Checks that `text` is a URL a collect can be sent to.
pub fn check_endpoint(text: &str) -> Result<(), EndpointError> {
    let url = url::Url::parse(text).map_err(EndpointError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EndpointError::NotHttp { scheme: url.scheme().to_owned() });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::NoHost);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_with_a_host_are_endpoints() {
        for good in ["http://lms.example/pens", "https://user:pw@lms.example:8443/pens?x=1", "http://127.0.0.1:9/"] {
            assert_eq!(check_endpoint(good), Ok(()), "{good}");
        }
        assert!(matches!(check_endpoint("not-a-url"), Err(EndpointError::NotAUrl(_))));
        assert!(matches!(check_endpoint("http://"), Err(EndpointError::NotAUrl(_))));
        assert_eq!(check_endpoint("ftp://lms.example/pens"), Err(EndpointError::NotHttp { scheme: "ftp".into() }));
        assert_eq!(
            check_endpoint("mailto:pens@lms.example").map_err(|e| e.to_string()),
            Err("is not an http or https URL (scheme `mailto`): a collect is an HTTP request (CMI010 §5); give the \
                 LMS's PENS endpoint, e.g. https://lms.example/pens"
                .to_owned())
        );
    }
}
