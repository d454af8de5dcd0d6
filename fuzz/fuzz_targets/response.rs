//! `parse_response` on arbitrary bytes: the lenient reader of a PENS response body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::parse_response;

fuzz_target!(|data: &[u8]| {
    let parsed = parse_response(data);
    // `error_raw` is what `error` was read from: no raw value, no number.
    if parsed.error_raw.is_none() {
        assert!(parsed.error.is_none(), "an error code without an error line: {parsed:?}");
    }
    let Some(response) = parsed.response() else {
        return;
    };
    // Re-encoding what was read yields an exact body that reads back to the same
    // response: same error code, same (trimmed) text, version and pens-data.
    let body = response.encode();
    let again = parse_response(body.as_bytes());
    assert_eq!(again.error, Some(response.error), "error code lost in the round trip of {body:?}");
    assert_eq!(again.response().as_ref(), Some(&response), "round trip of {body:?}");
    // And encoding is a fixed point from there on.
    assert_eq!(again.response().map(|r| r.encode()).as_deref(), Some(body.as_str()));
});
