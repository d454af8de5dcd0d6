//! `package-url-expiry`: an ISO 8601 date-time in UTC (CMI010 §6.2; revision 1.0a made
//! the trailing `Z` explicit).
//!
//! Real systems send `+00:00`, `+0000`, other offsets or no zone at all. The parser
//! reads all of them and says which [`ZoneForm`] was used, so a check can tell a
//! harmless `+0000` (a warning) from a local time (a failure) instead of rejecting both.

use std::fmt;

use serde::Serialize;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// How the time zone of a date-time was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ZoneForm {
    /// `Z`: UTC, as the spec asks.
    Z,
    /// A zero offset such as `+00:00`, `+0000` or `+00`: UTC, but not written as `Z`.
    ZeroOffset,
    /// A non-zero offset: not UTC.
    Offset,
    /// No zone at all: local time of an unknown place, read here as UTC.
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
    /// Not of the form `YYYY-MM-DDThh:mm:ss` plus zone.
    #[error("not an ISO 8601 date-time: {0}")]
    Malformed(&'static str),
    /// Well-formed but not a real date or time (e.g. February 30th, 25:00).
    #[error("not a real date or time: {0}")]
    OutOfRange(String),
}

/// Parses an ISO 8601 date-time, extended (`2005-05-20T16:05:39Z`) or basic
/// (`20050520T160539Z`) format, seconds and fractions optional.
pub fn parse_expiry(value: &str) -> Result<Expiry, ExpiryError> {
    let text = value.trim();
    if text.is_empty() {
        return Err(ExpiryError::Empty);
    }
    // Every valid form is ASCII; checking first keeps the byte-position slicing below safe.
    if !text.is_ascii() {
        return Err(ExpiryError::Malformed("it contains characters other than digits, `-`, `:`, `T`, `Z`, `+`"));
    }
    let (date_part, rest) = text.split_once('T').ok_or(ExpiryError::Malformed("no `T` between date and time"))?;
    let date = parse_date(date_part)?;
    let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let (time_part, zone_part) = rest.split_at(zone_at);
    let time = parse_time(time_part)?;
    let (offset, zone) = parse_zone(zone_part)?;
    let local = PrimitiveDateTime::new(date, time);
    let instant = local
        .assume_offset(offset)
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| ExpiryError::OutOfRange("the instant lies beyond year 9999 in UTC".to_owned()))?;
    Ok(Expiry { instant, zone })
}

fn digits(text: &str, what: &'static str) -> Result<u32, ExpiryError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ExpiryError::Malformed(what));
    }
    text.parse().map_err(|_| ExpiryError::Malformed(what))
}

fn parse_date(text: &str) -> Result<Date, ExpiryError> {
    let (year, month, day) = match text.len() {
        10 if text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-' => (&text[0..4], &text[5..7], &text[8..10]),
        8 => (&text[0..4], &text[4..6], &text[6..8]),
        _ => return Err(ExpiryError::Malformed("the date is not YYYY-MM-DD")),
    };
    let year = digits(year, "the year is not four digits")?;
    let month = digits(month, "the month is not two digits")?;
    let day = digits(day, "the day is not two digits")?;
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(|| ExpiryError::OutOfRange(format!("month {month}")))?;
    let year = i32::try_from(year).map_err(|_| ExpiryError::OutOfRange(format!("year {year}")))?;
    let day = u8::try_from(day).map_err(|_| ExpiryError::OutOfRange(format!("day {day}")))?;
    Date::from_calendar_date(year, month, day).map_err(|e| ExpiryError::OutOfRange(e.to_string()))
}

fn parse_time(text: &str) -> Result<Time, ExpiryError> {
    let (clock, fraction) = match text.split_once(['.', ',']) {
        Some((clock, fraction)) => (clock, Some(fraction)),
        None => (text, None),
    };
    let fields: Vec<&str> = if clock.contains(':') {
        clock.split(':').collect()
    } else {
        clock.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap_or("")).collect()
    };
    if !(2..=3).contains(&fields.len()) || fields.iter().any(|f| f.len() != 2) {
        return Err(ExpiryError::Malformed("the time is not hh:mm:ss"));
    }
    let hour = digits(fields[0], "the hour is not two digits")?;
    let minute = digits(fields[1], "the minutes are not two digits")?;
    let second = fields.get(2).map_or(Ok(0), |s| digits(s, "the seconds are not two digits"))?;
    let nanos = match fraction {
        None => 0,
        Some(fraction) => {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ExpiryError::Malformed("the fraction of a second is not digits"));
            }
            let len = fraction.len().min(9);
            digits(&fraction[..len], "the fraction of a second is not digits")? * 10u32.pow(9 - len as u32)
        }
    };
    let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    Time::from_hms_nano(narrow(hour), narrow(minute), narrow(second), nanos)
        .map_err(|e| ExpiryError::OutOfRange(e.to_string()))
}

fn parse_zone(text: &str) -> Result<(UtcOffset, ZoneForm), ExpiryError> {
    if text.is_empty() {
        return Ok((UtcOffset::UTC, ZoneForm::Missing));
    }
    if text == "Z" {
        return Ok((UtcOffset::UTC, ZoneForm::Z));
    }
    let sign: i8 = if text.starts_with('+') { 1 } else { -1 };
    let body = &text[1..];
    let (hours, minutes) = match body.len() {
        2 => (body, "00"),
        4 => (&body[..2], &body[2..]),
        5 if body.as_bytes()[2] == b':' => (&body[..2], &body[3..]),
        _ => return Err(ExpiryError::Malformed("the zone is not `Z`, `+hh:mm` or `+hhmm`")),
    };
    let hours = digits(hours, "the zone hours are not two digits")?;
    let minutes = digits(minutes, "the zone minutes are not two digits")?;
    if hours > 14 || minutes > 59 {
        return Err(ExpiryError::OutOfRange(format!(
            "zone offset {hours:02}:{minutes:02} (real offsets lie within ±14:00)"
        )));
    }
    let offset = UtcOffset::from_hms(sign * hours as i8, sign * minutes as i8, 0)
        .map_err(|e| ExpiryError::OutOfRange(e.to_string()))?;
    let form = if offset == UtcOffset::UTC { ZoneForm::ZeroOffset } else { ZoneForm::Offset };
    Ok((offset, form))
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
            ("20050520T160539Z", datetime!(2005-05-20 16:05:39 UTC), ZoneForm::Z),
            ("2005-05-20T16:05Z", datetime!(2005-05-20 16:05:00 UTC), ZoneForm::Z),
            ("2026-01-01T00:00:00+0000", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::ZeroOffset),
            ("2026-01-01T00:00:00+00:00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::ZeroOffset),
            ("2026-01-01T00:00:00-00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::ZeroOffset),
            ("2026-01-01T02:00:00+02:00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Offset),
            ("2025-12-31T19:00:00-0500", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Offset),
            ("2026-01-01T00:00:00", datetime!(2026-01-01 00:00:00 UTC), ZoneForm::Missing),
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
            ("2005-05-20", "no `T`"),
            ("20/05/2005T16:05:39Z", "YYYY-MM-DD"),
            ("2005-5-20T16:05:39Z", "YYYY-MM-DD"),
            ("2005-05-20T16:5:39Z", "hh:mm:ss"),
            ("2005-05-20T16:05:39 UTC", "hh:mm:ss"),
            ("2005-05-20T16:05:39+5", "zone"),
            ("2005-02-30T16:05:39Z", "real date"),
            ("2005-13-01T16:05:39Z", "real date"),
            ("2005-05-20T25:05:39Z", "real date"),
            ("2005-05-20T16:05:39+25:00", "real date"),
            ("2005-05-20T16:05:39.Z", "fraction"),
            ("next tuesday", "no `T`"),
            ("€€xxT00:00:00Z", "characters other than"),
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
