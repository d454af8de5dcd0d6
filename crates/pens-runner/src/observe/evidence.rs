//! What one observed publish showed, in the two shapes the existing judges read: the
//! tool's side as client mode's [`ClientEvidence`] (its collect, its staging as the relay
//! fetched it, its answers to the relayed receipt and alerts), the target's side as
//! target mode's [`Evidence`] (the collect as forwarded, the answer, the fetch from the
//! relay's staging, the receipts and alerts at the relay's collector).

use pens_parties::TargetEventKind;

use crate::client::ClientEvidence;
use crate::evidence::Evidence;

/// Everything observed of one publish.
pub(crate) struct PublishEvidence {
    /// The tool's side.
    pub(crate) client: ClientEvidence,
    /// The target's side; `None` when the collect never reached the target.
    pub(crate) target: Option<Evidence>,
    /// Why the relay could not carry something, in its words (the target unreachable,
    /// a package URL it cannot fetch): never the fault of either party by itself.
    pub(crate) relay_failures: Vec<String>,
    /// What passed through the harness, and so can be judged.
    pub(crate) carried: Carried,
    /// What the tool's staging did when the relay fetched the package for the target.
    pub(crate) upstream: Upstream,
}

/// Which parts of a publish the relay carried (`--no-rewrite` carries none: the fetch and
/// the notifications then go straight from the target to the tool).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Carried {
    /// The package: the target fetched it from the relay's staging.
    pub(crate) package: bool,
    /// The receipt: it came to the relay's collector (HTTP, or mail to its sink).
    pub(crate) receipt: bool,
    /// The alerts, likewise.
    pub(crate) alerts: bool,
}

impl Carried {
    /// Nothing but the collect and its answer (`--no-rewrite`).
    pub(crate) const NOTHING: Carried = Carried { package: false, receipt: false, alerts: false };
}

/// What the tool's staging did when the relay fetched the package from it, for the
/// target to fetch: this decides what a conformant target then reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Upstream {
    /// The target never asked for the package (or the relay did not carry it).
    NotFetched,
    /// The tool's staging served it whole (2xx, not a 206 range).
    Served,
    /// The target fetched only ranges (`206`), never the package whole: what it
    /// imported was not seen, so what needs the package is inconclusive.
    RangesOnly,
    /// The tool's staging answered this HTTP status (not 2xx).
    Status(u16),
    /// The tool's staging gave no HTTP answer at all (refused, unreachable, no TLS,
    /// silent past the relay's deadline).
    NoAnswer(String),
    /// The tool's staging refused the download (401, 403) because the target did not
    /// present the credentials the collect advertised: the target's doing.
    CredentialsWithheld(u16),
    /// The tool's staging answered 2xx and broke the body off.
    Truncated(String),
    /// The transfer did not end well and the tool is not to blame, or not known to be:
    /// the target left before the whole body, the relay does not carry the package URL,
    /// the package went beyond the harness's caps.
    BrokenOff(String),
}

impl PublishEvidence {
    /// Whether a receipt was relayed to the tool (so its answer can be judged).
    pub(crate) fn receipt_relayed(&self) -> bool {
        self.client.events.iter().any(|e| {
            matches!(&e.kind,
                TargetEventKind::NotificationSent { kind, .. } | TargetEventKind::NotificationMailed { kind, .. }
                    if *kind == pens_proto::NotificationKind::Receipt)
        })
    }

    /// Whether any receipt or alert was relayed to the tool.
    pub(crate) fn anything_relayed(&self) -> bool {
        self.client.events.iter().any(|e| {
            matches!(e.kind, TargetEventKind::NotificationSent { .. } | TargetEventKind::NotificationMailed { .. })
        })
    }
}
