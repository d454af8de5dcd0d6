//! `parse_uri` (the RFC 2396 / RFC 3986 generic syntax) and `uri_equivalent` on arbitrary
//! text: a package-id, package-url, receipt or alerts value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::{UriAuthority, parse_uri, uri_equivalent};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(uri) = parse_uri(&text) {
        assert!(!uri.scheme.is_empty(), "{text:?}");
        assert_eq!(uri.scheme, uri.scheme.to_ascii_lowercase());
        if let Some(UriAuthority::Registry(name)) = &uri.authority {
            assert!(!name.is_empty(), "{text:?}");
        }
        let _ = uri.reachable_host();
        let _ = uri.file_name();
        // A value is always equivalent to itself.
        assert!(uri_equivalent(&text, &text), "{text:?}");
    }
});
