//! `detect_kind` on arbitrary bytes: guessing which PENS message a text is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::detect_kind;

const BOM: &[u8] = b"\xEF\xBB\xBF";

fuzz_target!(|data: &[u8]| {
    let kind = detect_kind(data);
    assert!(!kind.name().is_empty());
    // Leading UTF-8 byte-order marks are skipped, so adding one changes nothing.
    let mut with_bom = BOM.to_vec();
    with_bom.extend_from_slice(data);
    assert_eq!(detect_kind(&with_bom), kind, "{:?}", String::from_utf8_lossy(data));
});
