//! The harness notes of kind `unsolicited-traffic`: what arrived at the harness's
//! parties for keys of no scenario (see `pens_parties`' `unsolicited.rs`), said once for
//! the run in `RunReport::harness_notes`.
//!
//! The parties count such traffic rather than keep it, so a peer that invents keys
//! cannot exhaust the harness's memory; the note makes sure it does not go unreported
//! either, and says that it judged no scenario: a stray receipt is no scenario's
//! evidence, and none is blamed for it.

use pens_parties::{Collector, UnsolicitedCount};
use pens_report::{HarnessNote, counted, show_size};

/// The `kind` of these notes.
pub(crate) const KIND: &str = "unsolicited-traffic";

/// The notes of target mode's collector: HTTP requests at paths of no scenario, and mail
/// recipients of no scenario at its SMTP sink.
pub(crate) fn collector_notes(collector: &Collector) -> Vec<HarnessNote> {
    let mut notes = Vec::new();
    if let Some(http) = collector.unsolicited() {
        let message = format!(
            "{} ({}) arrived at collector paths of no scenario ({}); each was answered 404 and counted, not kept, \
             and judges no scenario",
            counted(http.count, "request"),
            show_size(http.bytes),
            examples(&http),
        );
        notes.push(note("collector", &http, message));
    }
    if let Some(mail) = collector.unsolicited_mail() {
        let message = format!(
            "{} of no scenario were refused at RCPT TO with 550 ({}); no message to them was kept, and they judge \
             no scenario",
            counted(mail.count, "mail recipient"),
            examples(&mail),
        );
        notes.push(note("smtp-sink", &mail, message));
    }
    notes
}

/// The note of target mode's staging server: HTTP(S) requests under keys never staged.
pub(crate) fn staging_note(requests: Option<UnsolicitedCount>) -> Option<HarnessNote> {
    let requests = requests?;
    let message = format!(
        "{} arrived at staging paths under keys no scenario staged ({}); each was answered 404 and counted, not \
         recorded, and judges no scenario",
        counted(requests.count, "request"),
        examples(&requests),
    );
    Some(note("staging", &requests, message))
}

/// The note of client mode's mock target: collects of no scenario in progress.
pub(crate) fn mock_target_note(collects: Option<UnsolicitedCount>) -> Option<HarnessNote> {
    let collects = collects?;
    let message = format!(
        "{} ({}) arrived at collect URLs of no scenario in progress ({}); each was answered 404 and counted: the \
         mock target neither fetched a package nor sent a receipt or alert for them, and they judge no scenario",
        counted(collects.count, "collect"),
        show_size(collects.bytes),
        examples(&collects),
    );
    Some(note("mock-target", &collects, message))
}

fn note(party: &str, count: &UnsolicitedCount, message: String) -> HarnessNote {
    HarnessNote {
        kind: KIND.to_owned(),
        party: party.to_owned(),
        count: count.count,
        bytes: (count.bytes > 0).then_some(count.bytes),
        message,
    }
}

/// `first: /r/a/receipt, /r/b/receipt, …`: the examples the party kept.
fn examples(count: &UnsolicitedCount) -> String {
    let more = if count.count > count.examples.len() as u64 { ", …" } else { "" };
    let first = if count.examples.len() == 1 { "" } else { "the first: " };
    format!("{first}{}{more}", count.examples.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mock_target_note_counts_bytes_and_names_the_first_keys() {
        let count = UnsolicitedCount {
            count: 2000,
            bytes: 1_000_000_000,
            examples: vec!["/pens/a".into(), "/pens/b".into(), "/pens/c".into()],
        };
        let note = mock_target_note(Some(count)).expect("a note");
        assert_eq!(
            (note.kind.as_str(), note.party.as_str(), note.count, note.bytes),
            (KIND, "mock-target", 2000, Some(1_000_000_000))
        );
        assert!(
            note.message.starts_with(
                "2000 collects (1.0 GB) arrived at collect URLs of no scenario in progress (the first: /pens/a, \
                 /pens/b, /pens/c, …); each was answered 404"
            ),
            "{}",
            note.message
        );
        assert_eq!(mock_target_note(None), None);
    }
}
