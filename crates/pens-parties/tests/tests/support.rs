//! What the test modules share.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_parties::{RunCa, StagingEvent, StagingServer};

pub(crate) const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A generous deadline: waits end on the event, so this only bounds a broken test.
pub(crate) fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(10)
}

/// The SCORM 1.2 fixture, zipped.
pub(crate) fn package() -> Bytes {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/packages");
    pens_parties::zip_directory(&fixtures.join("scorm12-minimal")).unwrap()
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
