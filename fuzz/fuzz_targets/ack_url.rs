//! `parse_ack_url` and `Mailto::parse` on arbitrary text: a `receipt` or `alerts` URL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::{AckUrl, Mailto, parse_ack_url};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse_ack_url(&text) {
        Ok(AckUrl::Http(http)) => {
            assert!(matches!(AckUrl::Http(http.clone()).scheme(), "http" | "https"), "{text:?}");
            // The value as kept is itself a valid receipt URL, and the same one.
            let again = parse_ack_url(&http.text);
            assert_eq!(again, Ok(AckUrl::Http(http.clone())), "{text:?}");
            // A deliverable URL names a host.
            if let Ok(url) = http.deliverable() {
                assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{text:?}");
            }
        }
        Ok(AckUrl::Mailto(mailto)) => {
            assert!(!mailto.addresses.is_empty());
            assert_eq!(Mailto::parse(&text).as_ref(), Ok(&mailto));
        }
        Err(_) => {}
    }
    if let Ok(mailto) = Mailto::parse(&text) {
        assert!(!mailto.addresses.is_empty(), "{text:?}");
        assert!(mailto.headers.iter().all(|(n, _)| !n.eq_ignore_ascii_case("to")), "{mailto:?}");
        // Display writes a mailto: URL that parses back to the same addresses and headers.
        let shown = mailto.to_string();
        assert_eq!(Mailto::parse(&shown), Ok(mailto.clone()), "{text:?} shown as {shown:?}");
        assert!(matches!(parse_ack_url(&shown), Ok(AckUrl::Mailto(m)) if m == mailto), "{shown:?}");
    }
});
