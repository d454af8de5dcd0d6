//! `package-url-expiry`: an ISO 8601 date-time in UTC (CMI010 §6.2; revision 1.0a made
//! the trailing `Z` explicit, while Appendix A's own example collect still writes
//! `2005-07-22T06:51:29`, without it).
//!
//! Real systems send `+00:00`, `+0000`, other offsets, fractions of a second, a lower-case
//! `z` (RFC 3339 §5.6 allows it) or no zone at all. The value is read with the `time`
//! crate's own RFC 3339 and ISO 8601 parsers (no hand-written date grammar), and the
//! parser says which [`ZoneForm`] was used, so a check can tell a harmless `+0000` or the
//! spec's own zone-less example (warnings) from a value that is no date at all (a
//! failure) instead of rejecting all of them.

use std::fmt;

use serde::Serialize;
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// How the time zone of a date-time was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneForm {
    /// `Z` (or `z`, RFC 3339 §5.6): UTC, as the spec asks.
    Z,
    /// A zero offset such as `+00:00`, `+0000` or `+00`: UTC, but not written as `Z`.
    ZeroOffset,
    /// A non-zero offset: an exact instant, but not written in UTC.
    Offset,
    /// No zone at all, as in CMI010's own Appendix A example: read here as UTC.
    Missing,
}

/// A parsed expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    /// The instant, converted to UTC.
    pub instant: OffsetDateTime,
    /// How the zone was written.
    pub zone: ZoneForm,
}

/// Why a value is not an ISO 8601 date-time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpiryError {
    /// Empty or white space only.
    #[error("the value is empty")]
    Empty,
    /// Not an ISO 8601 (or RFC 3339) date-time; the parser's own reason.
    #[error("not an ISO 8601 date-time ({0})")]
    Malformed(String),
    /// Well-formed but beyond what can be represented (e.g. past year 9999 in UTC).
    #[error("not a representable date and time: {0}")]
    OutOfRange(String),
}

/// Parses an ISO 8601 date-time: RFC 3339's profile (`2005-05-20T16:05:39Z`, `t`/`z` in
/// lower case, fractions, `+05:00`), then ISO 8601's extended and basic formats
/// (`20050520T160539Z`, `+0500`, `+05`, reduced precision), then the same without a zone
/// (read as UTC, [`ZoneForm::Missing`]).
pub fn parse_expiry(value: &str) -> Result<Expiry, ExpiryError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(ExpiryError::Empty);
    }
    let with_zone = rfc3339(text).or_else(|| OffsetDateTime::parse(text, &Iso8601::DEFAULT).ok());
    if let Some(parsed) = with_zone {
        let zone = if text.ends_with(['Z', 'z']) {
            ZoneForm::Z
        } else if parsed.offset() == UtcOffset::UTC {
            ZoneForm::ZeroOffset
        } else {
            ZoneForm::Offset
        };
        let instant = parsed
            .checked_to_offset(UtcOffset::UTC)
            .ok_or_else(|| ExpiryError::OutOfRange("the instant lies beyond year 9999 in UTC".to_owned()))?;
        return Ok(Expiry { instant, zone });
    }
    match PrimitiveDateTime::parse(text, &Iso8601::DEFAULT) {
        Ok(local) => Ok(Expiry { instant: local.assume_utc(), zone: ZoneForm::Missing }),
        Err(error) => Err(ExpiryError::Malformed(error.to_string())),
    }
}

/// RFC 3339, with the date and time separated by `T`, `t` or a space (§5.6); the `time`
/// crate takes any character there, which ISO 8601 does not.
fn rfc3339(text: &str) -> Option<OffsetDateTime> {
    let separator = text.as_bytes().get(10)?;
    if !matches!(separator, b'T' | b't' | b' ') {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Formats an instant as the spec writes it: `YYYY-MM-DDThh:mm:ssZ`, whole seconds, UTC.
pub fn format_expiry(instant: OffsetDateTime) -> String {
    let utc = instant.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_expiry(self.instant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn accepted_forms_and_their_zone() {
        let cases = [
            ("2005-05-20T16:05:39Z", datetime!(2005-05-20 16:05:39 UTC), ZoneForm::Z),
            ("2005-05-20T16:05:39.250Z", datetime!(2005-05-20 16:05:39.25 UTC), ZoneForm::Z),
            ("2005-05-20T16:05:39z", datetime!(2005-05-20 16:05:39 UTC), ZoneForm::Z),
            ("2005-05-20t16:05:39z", datetime!(2005-05-20 16:05:39 UTC), ZoneForm::Z),
            ("20050520T160539Z", datetime!(2005-05-20 16:05:39 UTC), ZoneForm::Z),
            ("2005-05-20T16:05Z", datetime!(2005-05-20 16:05:00 UTC), ZoneForm::Z),
            ("2026-01-01T00:00:00+0000", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::ZeroOffset),
            ("2026-01-01T00:00:00+00:00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::ZeroOffset),
            ("2026-01-01T00:00:00-00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::ZeroOffset),
            ("2026-01-01T02:00:00+02:00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Offset),
            ("2026-01-01T05:00:00.5+05:00", datetime!(2026-01-01 00:00:00.5 UTC), ZoneForm::Offset),
            ("2025-12-31T19:00:00-0500", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Offset),
            ("2026-01-01T00:00:00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Missing),
            ("2005-07-22T06:51:29", datetime!(2005-07-22 06:51:29 UTC), ZoneForm::Missing),
            (" 2026-01-01T00:00:00Z ", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Z),
        ];
        for (text, instant, zone) in cases {
            let parsed = parse_expiry(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((parsed.instant, parsed.zone), (instant, zone), "{text}");
        }
    }

    #[test]
    fn rejected_values_say_why() {
        let cases = [
            ("", "empty"),
            ("   ", "empty"),
            ("tomorrow", "not an ISO 8601 date-time"),
            ("next tuesday", "not an ISO 8601 date-time"),
            ("31/12/2099", "not an ISO 8601 date-time"),
            ("20/05/2005T16:05:39Z", "not an ISO 8601 date-time"),
            ("2005-5-20T16:05:39Z", "not an ISO 8601 date-time"),
            ("2005-05-20T16:05:39 UTC", "not an ISO 8601 date-time"),
            ("2005-05-20X16:05:39Z", "not an ISO 8601 date-time"),
            ("2005-02-30T16:05:39Z", "not an ISO 8601 date-time"),
            ("2005-13-01T16:05:39Z", "not an ISO 8601 date-time"),
            ("2005-05-20T25:05:39Z", "not an ISO 8601 date-time"),
            ("2005-05-20T16:05:39+25:00", "not an ISO 8601 date-time"),
            ("€€xxT00:00:00Z", "not an ISO 8601 date-time"),
            ("9999-12-31T23:59:59-05:00", "beyond year 9999"),
        ];
        for (text, reason) in cases {
            let error = parse_expiry(text).expect_err(text);
            assert!(error.to_string().contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn formats_whole_seconds_with_z() {
        assert_eq!(format_expiry(datetime!(2005-05-20 16:05:39.9 +02:00)), "2005-05-20T14:05:39Z");
        let round = parse_expiry(&format_expiry(datetime!(2030-02-03 04:05:06 UTC))).expect("parses");
        assert_eq!(round.instant, datetime!(2030-02-03 04:05:06 UTC));
        assert_eq!(round.zone, ZoneForm::Z);
    }
}
