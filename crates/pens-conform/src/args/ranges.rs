//! The range of every number on the command line, and the parsers that hold each
//! option to it (a usage error, exit 2, in clap's words: "invalid value '0' for
//! '--jobs <N>': ...").
//!
//! Each range is generous for real use and safe for the harness: a count of things at
//! once never reaches tokio's semaphore limit nor asks for an allocation the size of the
//! address space (`load --publishes` keeps a bit per publish), and a duration never
//! makes the harness wait for more than an hour per step, as in the profile
//! ([`pens_runner::profile_ranges`]).

use std::ops::RangeInclusive;
use std::time::Duration;

use pens_runner::profile_ranges::{MAX_DEADLINE_MS, MAX_DECLARED_PACKAGE_BYTES};

/// `--jobs` of `target`, `client` and `selftest`: scenarios at once. The shipped sets
/// have about seventy; 1024 is more than any set needs, and each job holds a few
/// connections and up to `answer-bytes` of memory.
pub(crate) const JOBS: RangeInclusive<u64> = 1..=1024;

/// `load --concurrency`: publish cycles in flight, each holding about four sockets
/// (the run checks the open-file limit too).
pub(crate) const CONCURRENCY: RangeInclusive<u64> = 1..=65_536;

/// `load --publishes`: cycles in a run; the run keeps a bit per cycle (12 MiB at the
/// most), and at 10 000 cycles/s the largest run lasts about three hours (a soak test).
pub(crate) const PUBLISHES: RangeInclusive<u64> = 1..=100_000_000;

/// `observe --publishes`: publishes judged in a run, at most as many as the relay
/// records (`pens_relay::DEFAULT_MAX_PUBLISHES`).
pub(crate) const OBSERVED_PUBLISHES: RangeInclusive<u64> = 1..=1000;

/// `observe --duration`: at most a week of watching.
pub(crate) const MAX_OBSERVE_SECONDS: u64 = 7 * 24 * 60 * 60;

/// `serve target --keep-events`: events of the reference target kept in memory.
pub(crate) const KEEP_EVENTS: RangeInclusive<u64> = 0..=1_000_000;

/// `--partition K/N`: at most this many partitions, far more than scenarios.
pub(crate) const MAX_PARTITIONS: u32 = 10_000;

/// Seconds of a wait on the command line (`client --publish-timeout`, `serve client
/// --wait`, `load --receipt-timeout`, `load --grace`): at most an hour, the profile's
/// longest deadline.
pub(crate) const MAX_WAIT_SECONDS: u64 = MAX_DEADLINE_MS / 1000;

/// Why a value on the command line is refused. clap prints the message after "invalid
/// value 'X' for '--flag <N>': ", and exits 2.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ValueError {
    /// Not a whole number; `unit` is empty, ` of seconds` or ` of milliseconds`.
    #[error("not a whole number{unit} ({reason})")]
    NotWhole { unit: &'static str, reason: std::num::ParseIntError },
    /// 0 where the range starts at 1.
    #[error("must be at least 1: 0 would run nothing")]
    Zero,
    /// Beyond the option's range: `shown` is the value as the message names it, `range`
    /// what to give instead.
    #[error("{shown} is out of range: give {range}")]
    OutOfRange { shown: String, range: String },
    /// Not a number of seconds at all.
    #[error("`{text}` is not a number of seconds")]
    NotSeconds { text: String },
    /// A number, but no duration (negative, infinite, too large).
    #[error("`{text}` is not a usable number of seconds")]
    UnusableSeconds { text: String },
    /// Not a size (`512MiB`), or 0.
    #[error("`{text}` is not a size: {hint}, greater than 0", hint = pens_scenario::SIZE_HINT)]
    NotASize { text: String },
    /// Neither a bare number of the option's unit nor a duration with units.
    #[error("`{text}` is not a duration: give {unit} or a duration with units (`90s`, `2m`, `1500ms`, `1h`)")]
    NotADuration { text: String, unit: &'static str },
    /// A `--max-package-bytes` beyond what a run can declare.
    #[error("{bytes} bytes is more than the {MAX_DECLARED_PACKAGE_BYTES} (3GiB) a run can declare")]
    BeyondDeclarable { bytes: u64 },
}

/// A whole number in `range`; 0 where the range starts at 1 would run nothing.
fn count_in(text: &str, range: &RangeInclusive<u64>) -> Result<u64, ValueError> {
    let n: u64 = text.trim().parse().map_err(|reason| ValueError::NotWhole { unit: "", reason })?;
    if n == 0 && !range.contains(&0) {
        return Err(ValueError::Zero);
    }
    if !range.contains(&n) {
        return Err(ValueError::OutOfRange {
            shown: n.to_string(),
            range: format!("{} to {}", range.start(), range.end()),
        });
    }
    Ok(n)
}

fn as_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// `--jobs N`, in [`JOBS`].
pub(crate) fn jobs(text: &str) -> Result<usize, ValueError> {
    count_in(text, &JOBS).map(as_usize)
}

/// `load --concurrency C`, in [`CONCURRENCY`].
pub(crate) fn concurrency(text: &str) -> Result<usize, ValueError> {
    count_in(text, &CONCURRENCY).map(as_usize)
}

/// `load --publishes N`, in [`PUBLISHES`].
pub(crate) fn publishes(text: &str) -> Result<u64, ValueError> {
    count_in(text, &PUBLISHES)
}

/// `observe --publishes N`, in [`OBSERVED_PUBLISHES`].
pub(crate) fn observed_publishes(text: &str) -> Result<usize, ValueError> {
    count_in(text, &OBSERVED_PUBLISHES).map(as_usize)
}

/// `serve target --keep-events N`, in [`KEEP_EVENTS`].
pub(crate) fn keep_events(text: &str) -> Result<usize, ValueError> {
    count_in(text, &KEEP_EVENTS).map(as_usize)
}

/// A duration on the command line: a bare number in the unit the option has always
/// taken (so every value that worked keeps its meaning), or a duration with units
/// (`90s`, `2m`, `1500ms`, `1h 30m`, read by humantime). `bare` reads the bare number
/// and says what it is for the message.
fn duration_arg(
    text: &str,
    bare: fn(&str) -> Result<Duration, ValueError>,
    unit: &'static str,
) -> Result<Duration, ValueError> {
    let trimmed = text.trim();
    let has_unit = trimmed.bytes().last().is_some_and(|b| b.is_ascii_alphabetic());
    if !has_unit {
        return bare(trimmed);
    }
    humantime::parse_duration(trimmed).map_err(|_| ValueError::NotADuration { text: text.to_owned(), unit })
}

/// `shown` out of `range` unless `value` is within `low..=high`.
fn within(value: Duration, low: Duration, high: Duration, shown: String, range: &str) -> Result<Duration, ValueError> {
    if value < low || value > high {
        return Err(ValueError::OutOfRange { shown, range: range.to_owned() });
    }
    Ok(value)
}

/// How a duration option names what it was given: a bare number as it always did, a
/// duration with units quoted.
fn shown(text: &str, bare_shown: impl FnOnce() -> String) -> String {
    if text.trim().bytes().last().is_some_and(|b| b.is_ascii_alphabetic()) {
        format!("`{}`", text.trim())
    } else {
        bare_shown()
    }
}

/// A wait of 1 s to [`MAX_WAIT_SECONDS`]: whole seconds, or a duration with units
/// (`client --publish-timeout`, `serve client --wait`).
pub(crate) fn wait_seconds(text: &str) -> Result<Duration, ValueError> {
    let whole = |t: &str| {
        let n: u64 = t.parse().map_err(|reason| ValueError::NotWhole { unit: " of seconds", reason })?;
        Ok(Duration::from_secs(n))
    };
    let value = duration_arg(text, whole, "whole seconds")?;
    let range = format!("1 to {MAX_WAIT_SECONDS} seconds (an hour)");
    let shown = shown(text, || value.as_secs().to_string());
    within(value, Duration::from_secs(1), Duration::from_secs(MAX_WAIT_SECONDS), shown, &range)
}

/// `observe --duration`: 1 s to [`MAX_OBSERVE_SECONDS`], whole seconds or a duration
/// with units (`10m`, `2h`).
pub(crate) fn observe_duration(text: &str) -> Result<Duration, ValueError> {
    let whole = |t: &str| {
        let n: u64 = t.parse().map_err(|reason| ValueError::NotWhole { unit: " of seconds", reason })?;
        Ok(Duration::from_secs(n))
    };
    let value = duration_arg(text, whole, "whole seconds")?;
    let shown = shown(text, || value.as_secs().to_string());
    let range = format!("1 to {MAX_OBSERVE_SECONDS} seconds (a week)");
    within(value, Duration::from_secs(1), Duration::from_secs(MAX_OBSERVE_SECONDS), shown, &range)
}

/// A wait of 0 to the profile's longest deadline (an hour): whole milliseconds, or a
/// duration with units (`serve client --linger`).
pub(crate) fn wait_ms(text: &str) -> Result<Duration, ValueError> {
    let whole = |t: &str| {
        let n: u64 = t.parse().map_err(|reason| ValueError::NotWhole { unit: " of milliseconds", reason })?;
        Ok(Duration::from_millis(n))
    };
    let value = duration_arg(text, whole, "whole milliseconds")?;
    let range = format!("0 to {MAX_DEADLINE_MS} milliseconds (an hour)");
    let shown = shown(text, || value.as_millis().to_string());
    within(value, Duration::ZERO, Duration::from_millis(MAX_DEADLINE_MS), shown, &range)
}

/// Seconds with a fraction (`0.5`, `30`), or a duration with units, 0 to
/// [`MAX_WAIT_SECONDS`] (`load --receipt-timeout`, `--grace`).
pub(crate) fn fractional_seconds(text: &str) -> Result<Duration, ValueError> {
    let seconds = duration_arg(text, parse_seconds, "seconds (`0.5`, `30`)")?;
    let range = format!("0 to {MAX_WAIT_SECONDS} seconds (an hour)");
    within(seconds, Duration::ZERO, Duration::from_secs(MAX_WAIT_SECONDS), format!("`{}`", text.trim()), &range)
}

/// `serve target --max-package-bytes`: a size up to the largest package limit the
/// profile allows the mock target ([`pens_runner::profile_ranges::MAX_PACKAGE_BYTES`]).
pub(crate) fn served_package_limit(text: &str) -> Result<u64, ValueError> {
    let bytes = size_arg(text)?;
    let max = pens_runner::profile_ranges::MAX_PACKAGE_BYTES;
    if bytes > max {
        let range = format!("1 to {max} bytes (64GiB)");
        return Err(ValueError::OutOfRange { shown: format!("{bytes} bytes"), range });
    }
    Ok(bytes)
}

/// A size of bytes on the command line: `1073741824`, `512MiB`, `1GiB`.
pub(crate) fn size_arg(text: &str) -> Result<u64, ValueError> {
    match pens_scenario::parse_size(text) {
        Some(0) | None => Err(ValueError::NotASize { text: text.to_owned() }),
        Some(bytes) => Ok(bytes),
    }
}

/// `--max-package-bytes` of a run: a size up to [`MAX_DECLARED_PACKAGE_BYTES`], as the
/// profile's `[security] max-package-bytes` (the oversized package is a plain, not
/// zip64, archive, which stays under 4 GiB).
pub(crate) fn declared_package_limit(text: &str) -> Result<u64, ValueError> {
    let bytes = size_arg(text)?;
    if bytes > MAX_DECLARED_PACKAGE_BYTES {
        return Err(ValueError::BeyondDeclarable { bytes });
    }
    Ok(bytes)
}

/// Parses `--receipt-timeout` and `--grace`: seconds, fractions allowed (`0.5`).
pub(crate) fn parse_seconds(text: &str) -> Result<Duration, ValueError> {
    let seconds: f64 = text.trim().parse().map_err(|_| ValueError::NotSeconds { text: text.to_owned() })?;
    Duration::try_from_secs_f64(seconds).map_err(|_| ValueError::UnusableSeconds { text: text.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every parser accepts its bounds and refuses one past them with the range.
    #[test]
    fn each_number_takes_its_bounds_and_refuses_beyond() {
        type Check = fn(&str) -> Result<(), ValueError>;
        let cases: [(&str, Check, &str, &str, &[&str]); 10] = [
            ("jobs", |t| jobs(t).map(drop), "1", "1024", &["0", "1025", "18446744073709551615", "-1"]),
            ("concurrency", |t| concurrency(t).map(drop), "1", "65536", &["0", "65537"]),
            ("publishes", |t| publishes(t).map(drop), "1", "100000000", &["0", "100000001", "18446744073709551615"]),
            ("keep-events", |t| keep_events(t).map(drop), "0", "1000000", &["1000001", "x"]),
            (
                "wait seconds",
                |t| wait_seconds(t).map(drop),
                "1",
                "3600",
                &["0", "3601", "9223372036854775807", "999ms"],
            ),
            (
                "wait seconds with units",
                |t| wait_seconds(t).map(drop),
                "1s",
                "1h",
                &["1h1s", "61m", "soon", "5 parsecs"],
            ),
            ("wait ms", |t| wait_ms(t).map(drop), "0", "3600000", &["3600001", "-5", "2h"]),
            ("wait ms with units", |t| wait_ms(t).map(drop), "0ms", "60m", &["3600001ms", "5x"]),
            ("seconds", |t| fractional_seconds(t).map(drop), "0", "3600", &["3600.5", "1e300", "-1", "61min"]),
            ("package limit", |t| served_package_limit(t).map(drop), "1", "64GiB", &["0", "68719476737", "65GiB"]),
        ];
        for (name, parse, low, high, refused) in cases {
            assert_eq!(parse(low), Ok(()), "{name} {low}");
            assert_eq!(parse(high), Ok(()), "{name} {high}");
            for value in refused {
                let error = parse(value).expect_err(&format!("{name} {value}"));
                assert!(!error.to_string().is_empty(), "{name} {value}");
            }
        }
        assert!(jobs("1025").expect_err("too many").to_string().contains("give 1 to 1024"));
        assert!(jobs("0").expect_err("none").to_string().contains("0 would run nothing"));
    }

    /// The messages clap prints after "invalid value 'X' for '--flag <N>': ", word for
    /// word as they were before they were typed.
    #[test]
    fn each_refusal_says_what_to_give() {
        let cases: [(Result<u64, ValueError>, &str); 15] = [
            (publishes("x"), "not a whole number (invalid digit found in string)"),
            (publishes("0"), "must be at least 1: 0 would run nothing"),
            (publishes("100000001"), "100000001 is out of range: give 1 to 100000000"),
            (wait_seconds("-1").map(|d| d.as_secs()), "not a whole number of seconds (invalid digit found in string)"),
            (wait_seconds("3601").map(|d| d.as_secs()), "3601 is out of range: give 1 to 3600 seconds (an hour)"),
            (wait_seconds("2h").map(|d| d.as_secs()), "`2h` is out of range: give 1 to 3600 seconds (an hour)"),
            (
                wait_seconds("soon").map(|d| d.as_secs()),
                "`soon` is not a duration: give whole seconds or a duration with units (`90s`, `2m`, `1500ms`, `1h`)",
            ),
            (
                wait_ms("3600001").map(|d| d.as_secs()),
                "3600001 is out of range: give 0 to 3600000 milliseconds (an hour)",
            ),
            (
                wait_ms("5x").map(|d| d.as_secs()),
                "`5x` is not a duration: give whole milliseconds or a duration with units (`90s`, `2m`, `1500ms`, `1h`)",
            ),
            (fractional_seconds("61m").map(|d| d.as_secs()), "`61m` is out of range: give 0 to 3600 seconds (an hour)"),
            (
                fractional_seconds("3601").map(|d| d.as_secs()),
                "`3601` is out of range: give 0 to 3600 seconds (an hour)",
            ),
            (parse_seconds("soon").map(|d| d.as_secs()), "`soon` is not a number of seconds"),
            (parse_seconds("-1").map(|d| d.as_secs()), "`-1` is not a usable number of seconds"),
            (served_package_limit("65GiB"), "69793218560 bytes is out of range: give 1 to 68719476736 bytes (64GiB)"),
            (declared_package_limit("4GiB"), "4294967296 bytes is more than the 3221225472 (3GiB) a run can declare"),
        ];
        for (result, expected) in cases {
            assert_eq!(result.expect_err(expected).to_string(), expected);
        }
        let not_a_size = size_arg("0").expect_err("0 bytes").to_string();
        assert_eq!(not_a_size, format!("`0` is not a size: {}, greater than 0", pens_scenario::SIZE_HINT));
    }

    /// A duration with units means what it says; a bare number keeps the unit the
    /// option always took.
    #[test]
    fn durations_take_units_and_bare_numbers_keep_their_old_unit() {
        assert_eq!(wait_seconds("90"), Ok(Duration::from_secs(90)));
        assert_eq!(wait_seconds("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(wait_seconds("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(wait_seconds("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(wait_seconds("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(wait_ms("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(wait_ms("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(wait_ms("1.5x"), Err(ValueError::NotADuration { text: "1.5x".into(), unit: "whole milliseconds" }));
        assert_eq!(wait_ms("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(fractional_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(fractional_seconds("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(fractional_seconds("30s"), Ok(Duration::from_secs(30)));
    }

    #[test]
    fn seconds_may_have_fractions_but_not_signs_or_words() {
        assert_eq!(parse_seconds("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["-1", "soon", "", "inf", "NaN"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
