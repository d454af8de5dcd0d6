//! Which headers of a party's answer the relay passes on. The relay adds no behaviour
//! of its own: an LMS's `401` with `WWW-Authenticate`, a redirect's `Location`, a
//! `Retry-After` or a `Set-Cookie` must reach the other party as they came, or the pair
//! would fail through the relay where it works without it. Only what belongs to the
//! connection rather than to the answer stays behind (RFC 9110 §7.6.1): the hop-by-hop
//! headers and those the answer's `Connection` header names. `Content-Length` stays
//! behind too where the relay re-frames a body it has read whole.

use axum::http::{HeaderName, HeaderValue, Response};

/// Whether `name` belongs to the connection, not to the answer (RFC 9110 §7.6.1, and
/// the `Proxy-*` headers of a hop). Case-insensitive.
pub(crate) fn is_hop_by_hop(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "connection" | "keep-alive" | "transfer-encoding" | "upgrade" | "te" | "trailer")
        || name.starts_with("proxy-")
}

/// The headers of an answer read whole that go on with it, in order (repeated ones
/// repeated): every one but the hop-by-hop ones, those the answer's `Connection`
/// header names, and `Content-Length` (the body is framed anew).
pub(crate) fn passed_on(headers: &[(String, String)]) -> Vec<(String, String)> {
    let named_by_connection: Vec<String> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, value)| value.split(',').map(|token| token.trim().to_ascii_lowercase()))
        .filter(|token| !token.is_empty())
        .collect();
    headers
        .iter()
        .filter(|(name, _)| {
            !is_hop_by_hop(name)
                && !name.eq_ignore_ascii_case("content-length")
                && !named_by_connection.contains(&name.to_ascii_lowercase())
        })
        .cloned()
        .collect()
}

/// Appends `headers` to `response` as they are (one that is no valid header is left
/// out: it could not have come in as one).
pub(crate) fn append<B>(response: &mut Response<B>, headers: &[(String, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().append(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn hop_by_hop_and_length_stay_behind_everything_else_goes_on_in_order() {
        let came = pairs(&[
            ("content-type", "text/plain"),
            ("www-authenticate", "Basic realm=\"lms\""),
            ("connection", "keep-alive, X-Hop"),
            ("keep-alive", "timeout=5"),
            ("x-hop", "named by Connection"),
            ("transfer-encoding", "chunked"),
            ("content-length", "12"),
            ("proxy-authenticate", "Basic"),
            ("Proxy-Connection", "close"),
            ("te", "trailers"),
            ("trailer", "x-sum"),
            ("upgrade", "h2c"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("location", "http://lms/elsewhere"),
            ("retry-after", "3"),
        ]);
        let kept = passed_on(&came);
        assert_eq!(
            kept,
            pairs(&[
                ("content-type", "text/plain"),
                ("www-authenticate", "Basic realm=\"lms\""),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("location", "http://lms/elsewhere"),
                ("retry-after", "3"),
            ])
        );
    }

    #[test]
    fn appended_headers_keep_their_repeats() {
        let mut response = Response::new(());
        append(&mut response, &pairs(&[("set-cookie", "a=1"), ("set-cookie", "b=2"), ("bad name", "x")]));
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(response.headers().len(), 2);
    }
}
