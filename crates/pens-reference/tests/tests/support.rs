//! What the test modules share.

use pens_parties::{TargetEvent, TargetEventKind};

/// A short name for what the reference target did, so a test can assert the order of
/// its steps: `received`, `answered`, `fetch-started`, `receipt-sent`, ...
pub(crate) fn target_label(event: &TargetEvent) -> String {
    match &event.kind {
        TargetEventKind::CollectReceived { .. } => "received".into(),
        TargetEventKind::CollectAnswered { .. } => "answered".into(),
        TargetEventKind::FetchStarted { .. } => "fetch-started".into(),
        TargetEventKind::FetchFinished { .. } => "fetch-finished".into(),
        TargetEventKind::NotificationSent { kind, .. } => format!("{kind}-sent"),
        TargetEventKind::NotificationMailed { kind, .. } => format!("{kind}-mailed"),
        TargetEventKind::NotificationSkipped { kind, .. } => format!("{kind}-skipped"),
        TargetEventKind::ExchangeFinished => "finished".into(),
        other => format!("{other:?}"),
    }
}
