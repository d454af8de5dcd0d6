//! What the test modules share.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_mock::{RunCa, StagingEvent, StagingServer, TargetEvent, TargetEventKind};

pub(crate) const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A generous deadline: waits end on the event, so this only bounds a broken test.
pub(crate) fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

/// The SCORM 1.2 fixture, zipped.
pub(crate) fn package() -> Bytes {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages");
    pens_mock::zip_directory(&fixtures.join("scorm12-minimal")).unwrap()
}

/// A staging server (all four listeners) and the run CA its TLS listeners use.
pub(crate) struct Setup {
    pub(crate) ca: RunCa,
    pub(crate) staging: StagingServer,
}

impl Setup {
    /// The first staging event of `key` that satisfies `pred`, within [`deadline`].
    pub(crate) async fn event(&self, key: &str, pred: impl Fn(&StagingEvent) -> bool) -> StagingEvent {
        self.staging.wait_for(key, deadline(), pred).await.expect("the event within the deadline")
    }
}

pub(crate) async fn setup() -> Setup {
    let ca = RunCa::generate(&[]).unwrap();
    let staging = StagingServer::start(LOOPBACK, "", &ca).await.unwrap();
    Setup { ca, staging }
}

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
