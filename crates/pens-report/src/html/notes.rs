//! The run's harness notes in `report.html`: a small section under the facts of the run,
//! one item per note (party, kind, count, bytes, then the message). Absent when the run
//! has none. See `crate::notes` for what they are.

use maud::{Markup, html};

use super::display::line;
use crate::model::RunReport;

/// The `section#harness-notes`, or nothing.
pub(crate) fn harness_notes(report: &RunReport) -> Markup {
    let notes = crate::notes::of(report);
    html! {
        @if !notes.is_empty() {
            section #harness-notes {
                h2 { (crate::notes::HEADING) }
                p { (crate::notes::INTRO) "." }
                ul {
                    @for note in notes {
                        li data-kind=(note.kind) data-party=(note.party) {
                            strong { (line(&crate::notes::heading(note))) } ": " (line(&note.message))
                        }
                    }
                }
            }
        }
    }
}
