//! The run's harness notes ([`RunReport::harness_notes`]) as every writer shows them:
//! what the harness's own parties met that belongs to no scenario (traffic to keys of
//! no scenario, refused or queued connections, capped listeners, descriptors run out).
//!
//! Several engineers' parties push notes of kinds this module does not know, so it
//! renders each the same way, from its fields alone: party, kind, count, bytes, then
//! the message. Shown once for the run, apart from the scenarios, so that nothing a
//! hostile peer did goes unreported and no scenario is blamed for it.

use crate::model::{HarnessNote, RunReport};

/// The heading every writer gives the notes.
pub(crate) const HEADING: &str = "Harness notes";

/// One sentence under [`HEADING`]: what the notes are, and that no verdict came of them.
pub(crate) const INTRO: &str =
    "what the harness's own parties met during the run, counted for the whole run and judged in no scenario";

/// The notes of `report`, in the order they were recorded.
pub(crate) fn of(report: &RunReport) -> &[HarnessNote] {
    &report.harness_notes
}

/// `collector · unsolicited-traffic · 1500 times · 1.5 GB`: the note's fields, without
/// its message.
pub(crate) fn heading(note: &HarnessNote) -> String {
    let mut heading = format!("{} · {} · {}", note.party, note.kind, crate::text::counted(note.count, "time"));
    if let Some(bytes) = note.bytes {
        heading.push_str(" · ");
        heading.push_str(&show_size(bytes));
    }
    heading
}

/// The whole note on one line: [`heading`], then its message.
pub(crate) fn line(note: &HarnessNote) -> String {
    format!("[{}] {}", heading(note), note.message)
}

/// A byte count for people, in the units a vendor's tools show: `512 bytes`, `1.5 kB`,
/// `1.5 MB`, `2.9 GB` (decimal, one decimal place), so `1500 × 1 MB` reads `1.5 GB`.
pub fn show_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return crate::text::counted(bytes, "byte");
    }
    // One decimal place: a float is exact enough.
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two notes of different kinds and parties, one without bytes, one whose message
    /// holds markup and a line break, for every writer's tests.
    pub(crate) fn notes() -> Vec<HarnessNote> {
        vec![
            HarnessNote {
                kind: "unsolicited-traffic".into(),
                party: "collector".into(),
                count: 1500,
                bytes: Some(1_500_000_000),
                message: "1500 receipts (1.5 GB) arrived at collector paths of no scenario (first: \
                          /r/flood-1/receipt); they were counted, not kept, and judge no scenario"
                    .into(),
            },
            HarnessNote {
                kind: "connections-queued".into(),
                party: "staging".into(),
                count: 3,
                bytes: None,
                message: "3 connections <b>waited</b>\r\nfor a slot".into(),
            },
        ]
    }

    #[test]
    fn a_note_shows_its_party_kind_count_and_bytes_then_its_message() {
        let notes = notes();
        assert_eq!(heading(&notes[0]), "collector · unsolicited-traffic · 1500 times · 1.5 GB");
        assert_eq!(heading(&notes[1]), "staging · connections-queued · 3 times");
        assert!(line(&notes[0]).ends_with("they were counted, not kept, and judge no scenario"), "{}", line(&notes[0]));
    }

    #[test]
    fn sizes_are_shown_in_decimal_units() {
        for (bytes, shown) in [
            (0, "0 bytes"),
            (1, "1 byte"),
            (999, "999 bytes"),
            (1000, "1.0 kB"),
            (1_500_000, "1.5 MB"),
            (2_900_000_000, "2.9 GB"),
            (u64::MAX, "18446.7 PB"),
        ] {
            assert_eq!(show_size(bytes), shown, "{bytes}");
        }
    }
}
