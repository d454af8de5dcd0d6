//! The run-wide account of the listeners' connection caps: what the harness logs at the
//! end of a run and puts into `RunReport::harness_notes` (kinds `connections-queued`,
//! `connections-refused`, `idle-connections-closed`).
//!
//! The counts are the true ones: every connection that found every slot taken is
//! counted (not one per episode, as the warning that said "1 connection waited" while
//! 5000 did), and so is every connection closed to make room or for sending no request
//! within the header-read deadline. What each scenario lost to a full listener is
//! judged with the scenario (`evaluate::saturation`); this is the whole run's.

use pens_parties::Saturation;
use pens_report::HarnessNote;

/// The harness notes of one listener, `party` for machines (`collector`, `staging`,
/// `mock-target`) and `name` for people; none when nothing happened at its cap.
pub(crate) fn notes(party: &str, name: &str, saturation: &Saturation) -> Vec<HarnessNote> {
    let cap = saturation.connections;
    let note = |kind: &str, count: u64, message: String| HarnessNote {
        kind: kind.to_owned(),
        party: party.to_owned(),
        count,
        bytes: None,
        message,
    };
    let mut notes = Vec::new();
    let periods = saturation.windows.len();
    if saturation.queued > 0 {
        notes.push(note(
            "connections-queued",
            saturation.queued,
            format!(
                "{count} connection(s) to {name} found all its {cap} slots taken ([limits] connections) and waited, \
                 in {periods} period(s) of saturation; {evicted} connection(s) that had sent no complete request were \
                 closed to make room; a scenario that missed evidence while its listener was full is inconclusive, \
                 not failed",
                count = saturation.queued,
                evicted = saturation.evicted,
            ),
        ));
    }
    if saturation.refused > 0 {
        notes.push(note(
            "connections-refused",
            saturation.refused,
            format!(
                "{name} could not accept a connection {} time(s) (out of descriptors?); the connections stayed in \
                 the kernel's queue or were lost, and a scenario that missed evidence then is inconclusive",
                saturation.refused
            ),
        ));
    }
    if saturation.idle_closed > 0 {
        notes.push(note(
            "idle-connections-closed",
            saturation.idle_closed,
            format!(
                "{} connection(s) to {name} sent no complete request head (or TLS handshake) within the header-read \
                 deadline and were closed; an idle or slowloris peer holds a slot no longer than that",
                saturation.idle_closed
            ),
        ));
    }
    notes
}

/// Logs `notes` as warnings, once each, at the end of a run.
pub(crate) fn log(notes: &[HarnessNote]) {
    for note in notes {
        tracing::warn!(kind = %note.kind, party = %note.party, count = note.count, "{}", note.message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_becomes_a_note_with_the_true_number() {
        let saturation = Saturation {
            connections: 256,
            queued: 4744,
            evicted: 4700,
            refused: 2,
            idle_closed: 300,
            windows: Vec::new(),
        };
        let notes = notes("collector", "the collector", &saturation);
        let kinds: Vec<(&str, u64)> = notes.iter().map(|n| (n.kind.as_str(), n.count)).collect();
        assert_eq!(kinds, [("connections-queued", 4744), ("connections-refused", 2), ("idle-connections-closed", 300)]);
        assert!(notes[0].message.starts_with("4744 connection(s) to the collector found all its 256 slots taken"));
        assert!(notes.iter().all(|n| n.party == "collector"));
        assert!(super::notes("staging", "the staging server (http)", &Saturation::default()).is_empty());
    }
}
