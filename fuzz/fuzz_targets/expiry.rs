//! `parse_expiry` on arbitrary text: a `package-url-expiry` value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pens_proto::{ZoneForm, format_expiry, parse_expiry};
use time::UtcOffset;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(expiry) = parse_expiry(&text) else {
        return;
    };
    assert_eq!(expiry.instant.offset(), UtcOffset::UTC, "{text:?}");
    let formatted = format_expiry(expiry.instant);
    assert_eq!(expiry.to_string(), formatted);
    // format_expiry writes a four-digit year; an offset can push a year-0000 or
    // year-9999 date out of that range, where no round trip is promised.
    if (0..=9999).contains(&expiry.instant.year()) {
        let again = parse_expiry(&formatted).unwrap_or_else(|e| panic!("{formatted:?} from {text:?}: {e}"));
        assert_eq!(again.zone, ZoneForm::Z);
        assert_eq!(again.instant, expiry.instant.replace_nanosecond(0).expect("0 is a valid nanosecond"));
    }
});
