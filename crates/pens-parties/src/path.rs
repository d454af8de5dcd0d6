//! URL paths of the parties: a run key becomes one path segment of a staging or
//! collector URL, and comes back out of a request path.
//!
//! Keys are chosen by the runner (scenario ids, package ids) and may hold characters
//! that a path cannot carry as they are; they are percent-encoded on the way out and
//! decoded on the way in, so that `events(key)` finds what arrived for `key`.

use std::net::IpAddr;

/// Percent-encodes everything but RFC 3986 unreserved characters, so that the result
/// is exactly one path segment.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes; an invalid escape stays as it is, bytes that are not UTF-8
/// become U+FFFD. Never fails: a bad path is recorded, not refused.
pub(crate) fn decode_segment(segment: &str) -> String {
    unescape(segment, b'%')
}

/// Decodes `<marker>XX` escapes (two hex digits); an invalid escape stays as it is,
/// bytes that are not UTF-8 become U+FFFD.
pub(crate) fn unescape(segment: &str, marker: u8) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (byte, Some(&high), Some(&low)) if byte == marker => {
                hex_value(high).zip(hex_value(low)).map(|(h, l)| h << 4 | l)
            }
            _ => None,
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|v| u8::try_from(v).ok())
}

/// The segments of a request path after `prefix` (e.g. `"/s/"`), decoded; `None` when
/// the path does not start with the prefix.
pub fn segments_after(path: &str, prefix: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix(prefix)?;
    Some(rest.split('/').map(decode_segment).collect())
}

/// `scheme://host:port` for a listener: `advertise_host` when given, otherwise the bound
/// address (a wildcard address is advertised as loopback). IPv6 literals get brackets.
pub fn base_url(scheme: &str, advertise_host: &str, bound: IpAddr, port: u16) -> String {
    let host = advertise_host.trim();
    let host = if host.is_empty() {
        match bound {
            IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V6(v6) if v6.is_unspecified() => "::1".to_owned(),
            other => other.to_string(),
        }
    } else {
        host.to_owned()
    };
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host };
    format!("{scheme}://{host}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip_through_encoding() {
        for key in ["collect-post-valid", "urn:pens-conform:1:a b/c", "é%", ""] {
            let encoded = encode_segment(key);
            assert!(!encoded.contains('/'), "{encoded}");
            assert_eq!(decode_segment(&encoded), key);
        }
    }

    #[test]
    fn bad_escapes_survive_decoding() {
        assert_eq!(decode_segment("50%"), "50%");
        assert_eq!(decode_segment("%zz%4"), "%zz%4");
        assert_eq!(decode_segment("%C3"), "\u{FFFD}");
    }

    #[test]
    fn segments_are_split_after_the_prefix() {
        assert_eq!(segments_after("/s/k%20y/course.zip", "/s/"), Some(vec!["k y".into(), "course.zip".into()]));
        assert_eq!(segments_after("/other", "/s/"), None);
    }

    #[test]
    fn base_urls_name_a_reachable_host() {
        let v4 = IpAddr::from([127, 0, 0, 1]);
        let cases = [
            ("", v4, "http://127.0.0.1:8080"),
            ("", IpAddr::from([0, 0, 0, 0]), "http://127.0.0.1:8080"),
            ("", IpAddr::from([0u16; 8]), "http://[::1]:8080"),
            ("::1", v4, "http://[::1]:8080"),
            ("[::1]", v4, "http://[::1]:8080"),
            ("lms.test", v4, "http://lms.test:8080"),
        ];
        for (host, bound, expected) in cases {
            assert_eq!(base_url("http", host, bound, 8080), expected, "{host}");
        }
    }
}
