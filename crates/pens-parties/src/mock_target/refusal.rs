//! Collects the target refuses before reading them whole: a POST body or a request head
//! (the URL with its query, and the headers) beyond what the target reads.
//!
//! Reading a client's request whole would let it choose how much memory the harness
//! spends (a 1 GB body, a 1 MB URL), so the target stops early: at a declared
//! `Content-Length` over [`MAX_COLLECT_BYTES`] before reading any of the body, after
//! [`MAX_COLLECT_BYTES`] of a body that does not say, and, for the head, where hyper's
//! buffer ends ([`crate::server::MAX_REQUEST_HEAD_BYTES`], answered 431). What was
//! refused is not lost: it is recorded as a [`CollectRefusal`] under the key its path
//! names, so client mode reports what arrived and why it was refused instead of "no
//! collect arrived".

use std::fmt;

/// The most of a collect's POST body the target reads. CMI010 §6.2 asks a target to
/// accept `vendor-data` of at least 4096 characters and sets no larger limit; every
/// other element is a short string or a URL. 1 MiB is 256 times that minimum, well
/// beyond any collect a real tool sends, and bounds what a broken one costs.
pub const MAX_COLLECT_BYTES: u64 = 1024 * 1024;

/// How much of a refused request's start is kept to name it (method, path, key).
pub(crate) const KEPT_START_BYTES: usize = 2048;

/// Which part of the request was beyond what the target reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusedPart {
    /// The POST body ([`MAX_COLLECT_BYTES`]); answered 413.
    Body,
    /// The request head, the request line (URL and query) and headers, beyond the
    /// HTTP parser's buffer or header count; answered 431 by the HTTP layer.
    Head,
}

/// A collect the target refused before reading it whole, and what was seen of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectRefusal {
    /// The request's method, as far as it could be read (`POST`, `GET`, ...).
    pub method: String,
    /// The request's path as far as it could be read (without the query), cut to a
    /// few hundred characters.
    pub path: String,
    /// Which part was too large.
    pub part: RefusedPart,
    /// The bytes of that part the target read before it stopped.
    pub seen: u64,
    /// What `Content-Length` declared, for a body that declared one.
    pub declared: Option<u64>,
    /// The limit it broke, in bytes.
    pub limit: u64,
    /// The HTTP status the target answered (413 for a body, 431 for a head).
    pub status: u16,
}

impl CollectRefusal {
    /// A POST body over [`MAX_COLLECT_BYTES`], refused with 413 before it was read
    /// whole: how the mock target refuses one, and the relay of observe mode the same
    /// way. `path` is cut to 300 characters.
    pub fn body_too_large(method: &str, path: &str, seen: u64, declared: Option<u64>) -> Self {
        CollectRefusal {
            method: method.to_owned(),
            path: path.chars().take(300).collect(),
            part: RefusedPart::Body,
            seen,
            declared,
            limit: MAX_COLLECT_BYTES,
            status: 413,
        }
    }

    /// "its body was over the 1 MiB the mock target reads (Content-Length declared
    /// 1073741824 bytes; 0 read); answered HTTP 413".
    pub fn describe(&self) -> String {
        let limit = size(self.limit);
        match self.part {
            RefusedPart::Body => {
                let declared = match self.declared {
                    Some(declared) => format!("Content-Length declared {}; ", size(declared)),
                    None => String::new(),
                };
                format!(
                    "its body was over the {limit} the mock target reads of a collect ({declared}{} read before it \
                     stopped); answered HTTP {}",
                    size(self.seen),
                    self.status
                )
            }
            RefusedPart::Head => format!(
                "its request head (the URL with its query, and the headers) was over the {limit} or the 100 header \
                 lines the mock target's HTTP parser reads ({} read before it stopped); answered HTTP {}",
                size(self.seen),
                self.status
            ),
        }
    }
}

impl fmt::Display for CollectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.path, self.describe())
    }
}

/// Bytes in words: exact below 1 KiB, else KiB, MiB or GiB with one decimal at most.
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            // In u128: ten times a u64 does not fit a u64.
            let tenths = u128::from(bytes) * 10 / u128::from(unit);
            return if tenths.is_multiple_of(10) {
                format!("{} {name}", tenths / 10)
            } else {
                format!("{}.{} {name}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} bytes")
}

/// The method and path of a request from its first bytes (possibly cut short): the
/// request line up to the query, the path cut to 300 characters, and whether the path
/// ended within those bytes (else it may be cut); `None` when the bytes are not the
/// start of a request line.
pub fn request_start(start: &[u8]) -> Option<(String, String, bool)> {
    let text = String::from_utf8_lossy(start);
    let (method, rest) = text.split_once(' ')?;
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let end = rest.find(['?', ' ', '\r', '\n']);
    let whole = &rest[..end.unwrap_or(rest.len())];
    let path: String = whole.chars().take(300).collect();
    let complete = end.is_some() && path.len() == whole.len();
    path.starts_with('/').then(|| (method.to_owned(), path, complete))
}

#[cfg(test)]
mod tests {
    use super::{CollectRefusal, RefusedPart, request_start, size};

    #[test]
    fn sizes_read_as_a_person_writes_them() {
        for (bytes, shown) in [
            (0, "0 bytes"),
            (1023, "1023 bytes"),
            (1024, "1 KiB"),
            (1536, "1.5 KiB"),
            (1 << 20, "1 MiB"),
            (417_792, "408 KiB"),
            (1 << 30, "1 GiB"),
            (u64::MAX, "17179869183.9 GiB"),
        ] {
            assert_eq!(size(bytes), shown, "{bytes}");
        }
    }

    #[test]
    fn the_start_of_a_request_names_its_method_and_path() {
        assert_eq!(
            request_start(b"GET /pens/publish-valid?pens-version=1.0.0&x"),
            Some(("GET".into(), "/pens/publish-valid".into(), true))
        );
        assert_eq!(request_start(b"POST /pens/k HTTP/1.1\r\n"), Some(("POST".into(), "/pens/k".into(), true)));
        // Cut short inside the path: what there is, and that it may be cut.
        assert_eq!(request_start(b"GET /pens/aaaa"), Some(("GET".into(), "/pens/aaaa".into(), false)));
        assert_eq!(request_start(b"\x16\x03\x01 binary"), None);
        assert_eq!(request_start(b"get /x"), None);
        assert_eq!(request_start(b""), None);
    }

    #[test]
    fn a_refusal_says_what_was_too_large_and_what_was_answered() {
        let body = CollectRefusal {
            method: "POST".into(),
            path: "/pens/k".into(),
            part: RefusedPart::Body,
            seen: 0,
            declared: Some(1 << 30),
            limit: 1 << 20,
            status: 413,
        };
        assert_eq!(
            body.describe(),
            "its body was over the 1 MiB the mock target reads of a collect (Content-Length declared 1 GiB; 0 bytes \
             read before it stopped); answered HTTP 413"
        );
        let head = CollectRefusal { part: RefusedPart::Head, declared: None, seen: 417_792, status: 431, ..body };
        assert!(head.describe().starts_with("its request head (the URL with its query, and the headers) was over"));
        assert!(head.describe().ends_with("(408 KiB read before it stopped); answered HTTP 431"));
    }
}
