//! The range of every number a profile holds: `[deadlines]`, `[limits]` and
//! `[security] max-package-bytes`.
//!
//! A profile is written by hand, and the harness must not trust it more than it trusts
//! the implementation under test: a deadline of `9223372036854775807` ms (292 million
//! years) would make a scenario wait for ever, since the grace that abandons a stuck
//! scenario is added to it; a `connections` beyond what tokio's semaphore holds would
//! panic. Each range is generous for any real use and small enough that nothing the
//! harness computes from it (the sum of a scenario's deadlines and its grace, six ack
//! deadlines for the preflight, a size times the scenarios running at once) comes near
//! an overflow, and that a run ends within hours whatever the profile says.
//!
//! [`PROFILE_RANGES`] is the one list: the loader checks against it, and a test holds
//! `schemas/profile.schema.json`'s `minimum` and `maximum` to it, key by key.

use std::ops::RangeInclusive;

/// What a number of the profile counts, for messages ("give milliseconds from 1 to
/// 3600000 (1 hour)").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// Milliseconds.
    Milliseconds,
    /// Bytes: an integer, or a string with a unit (`"64KiB"`).
    Bytes,
    /// A count of things.
    Count,
}

/// One number of the profile and the values it may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberRange {
    /// The section, without brackets: `deadlines`.
    pub section: &'static str,
    /// The key: `ack`.
    pub key: &'static str,
    /// What it counts.
    pub unit: Unit,
    /// The values accepted, bounds included.
    pub range: RangeInclusive<u64>,
}

/// The longest deadline or grace a profile may give: one hour. The slowest LMS answers,
/// fetches and receipts in minutes; an hour per step keeps a stuck scenario's wait finite
/// (its budget is the sum of four deadlines and the grace: at most five hours).
pub const MAX_DEADLINE_MS: u64 = 60 * 60 * 1000;

/// The largest answer (or header block) the harness may be told to read: 16 MiB. A PENS
/// answer is four short lines (CMI010 §6.3); the cap is held in memory once per scenario
/// running at once.
pub const MAX_ANSWER_BYTES: u64 = 16 << 20;

/// The most header lines an answer may be allowed: 10 000 (the HTTP parser takes at most
/// 100 anyway).
pub const MAX_HEADER_COUNT: u64 = 10_000;

/// The most redirects the mock target may be told to follow: 100.
pub const MAX_REDIRECTS: u64 = 100;

/// The largest package the mock target may be told to fetch in client mode: 64 GiB.
pub const MAX_PACKAGE_BYTES: u64 = 64 << 30;

/// The most entries a fetched zip may be allowed: one million (a course has thousands;
/// each entry listed costs memory).
pub const MAX_ZIP_ENTRIES: u64 = 1_000_000;

/// The most a fetched zip may be allowed to expand to: 1 TiB (only counted, never
/// written).
pub const MAX_UNPACKED_BYTES: u64 = 1 << 40;

/// The most receipts and alerts (or collects) kept per scenario: 1000, each up to 1 MiB.
pub const MAX_NOTIFICATIONS: u64 = 1000;

/// The most connections a listener may be told to serve at once: 65 536, as `serve
/// target --connections` (far beyond any open-file limit a run has; tokio's semaphore
/// panics beyond about 2⁶¹).
pub const MAX_CONNECTIONS: u64 = 65_536;

/// The most passive FTP listeners the staging server may be told to keep open at once:
/// 4096 (each is a descriptor; a run's open-file limit is often 1024).
pub const MAX_PASSIVE_LISTENERS: u64 = 4096;

/// The largest package limit a run can declare (`[security] max-package-bytes`,
/// `--max-package-bytes`): 3 GiB. Staging behaviour `oversized` serves a package up to
/// 1 GiB beyond it, as a plain zip (no zip64), which must stay under 4 GiB.
pub const MAX_DECLARED_PACKAGE_BYTES: u64 = 3 << 30;

/// Every number of the profile with its range, in file order.
pub const PROFILE_RANGES: [NumberRange; 16] = [
    ms("deadlines", "ack", 1),
    ms("deadlines", "fetch", 1),
    ms("deadlines", "receipt", 1),
    ms("deadlines", "quiet", 0),
    bytes("limits", "answer-bytes", MAX_ANSWER_BYTES),
    count("limits", "header-count", MAX_HEADER_COUNT),
    bytes("limits", "header-bytes", MAX_ANSWER_BYTES),
    count("limits", "redirects", MAX_REDIRECTS),
    bytes("limits", "package-bytes", MAX_PACKAGE_BYTES),
    count("limits", "zip-entries", MAX_ZIP_ENTRIES),
    bytes("limits", "unpacked-bytes", MAX_UNPACKED_BYTES),
    count("limits", "notifications", MAX_NOTIFICATIONS),
    count("limits", "connections", MAX_CONNECTIONS),
    count("limits", "passive-listeners", MAX_PASSIVE_LISTENERS),
    ms("limits", "scenario-grace", 1),
    bytes("security", "max-package-bytes", MAX_DECLARED_PACKAGE_BYTES),
];

const fn ms(section: &'static str, key: &'static str, min: u64) -> NumberRange {
    NumberRange { section, key, unit: Unit::Milliseconds, range: min..=MAX_DEADLINE_MS }
}

const fn bytes(section: &'static str, key: &'static str, max: u64) -> NumberRange {
    NumberRange { section, key, unit: Unit::Bytes, range: 1..=max }
}

const fn count(section: &'static str, key: &'static str, max: u64) -> NumberRange {
    NumberRange { section, key, unit: Unit::Count, range: 1..=max }
}

/// The range of `[section] key`.
///
/// # Panics
/// When the key is not in [`PROFILE_RANGES`]: a programming error the profile tests
/// catch, never a user's.
pub(crate) fn range_of(section: &str, key: &str) -> &'static NumberRange {
    #[allow(clippy::expect_used)]
    PROFILE_RANGES
        .iter()
        .find(|n| n.section == section && n.key == key)
        .expect("every number the profile reads has a range")
}

impl NumberRange {
    /// `give milliseconds from 1 to 3600000 (1 hour)`: what to write instead.
    pub fn hint(&self) -> String {
        let (min, max) = (*self.range.start(), *self.range.end());
        match self.unit {
            Unit::Milliseconds => format!("give milliseconds from {min} to {max} ({})", human_ms(max)),
            Unit::Bytes => format!(
                "give a size from {min} to {max} bytes ({}): bytes, or a string like \"64KiB\" or \"1MiB\"",
                human_bytes(max)
            ),
            Unit::Count => format!("give a whole number from {min} to {max}"),
        }
    }
}

fn human_ms(ms: u64) -> String {
    match ms {
        ms if ms.is_multiple_of(3_600_000) => format!("{} hour{}", ms / 3_600_000, plural(ms / 3_600_000)),
        ms if ms.is_multiple_of(60_000) => format!("{} minute{}", ms / 60_000, plural(ms / 60_000)),
        ms => format!("{ms} ms"),
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `17179869184` as `16GiB`: the largest unit that divides it.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    match UNITS.iter().find(|(_, factor)| bytes >= *factor && bytes.is_multiple_of(*factor)) {
        Some((unit, factor)) => format!("{}{unit}", bytes / factor),
        None => format!("{bytes}B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_say_the_range_in_words_people_use() {
        assert_eq!(range_of("deadlines", "ack").hint(), "give milliseconds from 1 to 3600000 (1 hour)");
        assert_eq!(range_of("deadlines", "quiet").hint(), "give milliseconds from 0 to 3600000 (1 hour)");
        assert!(range_of("limits", "answer-bytes").hint().starts_with("give a size from 1 to 16777216 bytes (16MiB)"));
        assert_eq!(range_of("limits", "connections").hint(), "give a whole number from 1 to 65536");
        assert_eq!(human_bytes(MAX_UNPACKED_BYTES), "1TiB");
        assert_eq!(human_bytes(1000), "1000B");
    }

    /// Defence in depth: the longest budget a profile can give a scenario (every
    /// deadline and the grace at their maximum, a 4 GiB package's transfer time added)
    /// and six ack deadlines (the preflight's patience) are far from overflowing an
    /// `Instant`, so no deadline the harness computes can panic or wait for ever.
    #[test]
    fn the_largest_deadlines_add_up_to_hours() {
        let max = std::time::Duration::from_millis(MAX_DEADLINE_MS);
        let budget = max * 5 + std::time::Duration::from_secs(4 << 30 >> 23);
        assert!(budget < std::time::Duration::from_secs(6 * 3600), "{budget:?}");
        assert!(std::time::Instant::now().checked_add(budget.saturating_mul(6)).is_some());
    }
}
