//! How the mock target is set up: its behaviour, what it claims to support, whom it
//! trusts for HTTPS, how long it waits, where it puts large downloads.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pens_proto::{Support, TargetCapabilities};

use super::behaviour::TargetBehaviour;
use crate::limits::PeerLimits;

/// The product name the target puts in its receipts and alerts (`client`, CMI010 §5.1:
/// the sender's own name).
pub const DEFAULT_CLIENT_NAME: &str = "pens-conform reference target";

/// How long a fetch may take, from the request to the last body byte, by default.
/// Shorter than the harness's default receipt deadline (30 s), so that a staging
/// server that never answers still yields a 1310 receipt in time.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// What the reference target claims by default: HTTP and HTTPS only (no FTP, no FTPS,
/// no `mailto:` receipts or alerts) and all three package types. With these claims a
/// conformant answer is 1304, 1306, 1510 or 1520 where those features are asked for
/// (CMI010 §5, §6.3).
pub fn reference_capabilities() -> TargetCapabilities {
    TargetCapabilities {
        ftp: Support::No,
        ftps: Support::No,
        mailto_receipt: Support::No,
        mailto_alerts: Support::No,
        aicc_pkg: Support::Yes,
        scorm_pif: Support::Yes,
        ims_qti: Support::Yes,
        alerts: Support::Yes,
    }
}

/// Everything switched on: FTP and FTPS fetching and `mailto:` receipts and alerts
/// besides HTTP and HTTPS, and all three package types. Mail needs an SMTP relay
/// ([`MockTargetOptions::smtp_relay`]); without one a mailed receipt is recorded
/// as not sent.
pub fn full_capabilities() -> TargetCapabilities {
    TargetCapabilities {
        ftp: Support::Yes,
        ftps: Support::Yes,
        mailto_receipt: Support::Yes,
        mailto_alerts: Support::Yes,
        ..reference_capabilities()
    }
}

/// The options of [`super::MockTarget`]. Build with [`MockTargetOptions::builder`]
/// or struct update syntax over `Default`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MockTargetOptions {
    /// How the target behaves; conformant by default. The reference target
    /// (pens-reference) sets it from its seeded defect.
    pub behaviour: TargetBehaviour,
    /// A PEM certificate (the run CA) to trust for HTTPS fetches and receipts. The
    /// target trusts nothing else: it only ever talks to the harness's own parties.
    pub extra_root_pem: Option<String>,
    /// What the target claims to support, and so does: it decides 1304/1306/1430/1510/1520
    /// and switches FTP, FTPS and mail on or off. [`Support::Unknown`] is no claim a real
    /// target can make: for FTP, FTPS and mailto it is read as `No`, for package types
    /// as `Yes`. Mail claimed without an SMTP relay is answered 0 and then fails
    /// honestly: the receipt is recorded as not sent.
    pub capabilities: TargetCapabilities,
    /// How long one fetch may take.
    pub fetch_timeout: Duration,
    /// The `client` value of receipts and alerts.
    pub client_name: String,
    /// With [`super::AckTiming::AfterJob`]: how much longer to wait, after the job,
    /// before answering.
    pub slow_ack_extra_delay: Duration,
    /// The SMTP server `mailto:` receipts and alerts are handed to (the harness's mail
    /// sink); it can also be set once running ([`super::MockTarget::set_smtp_relay`]).
    pub smtp_relay: Option<SocketAddr>,
    /// What the target takes from the client and its staging server: the package size,
    /// redirects, zip entries and content, the answers to receipts and alerts, collects
    /// per key and connections at once. A cap reached is recorded as
    /// [`super::TargetEventKind::LimitReached`] (or [`super::Delivery::breach`]).
    pub limits: PeerLimits,
    /// The most activity events kept ([`super::MockTarget::activity`]), the most
    /// recent ones; `None` keeps every event. In-process tests read the whole history;
    /// `pens-conform serve target` bounds it, so that a load of tens of thousands of
    /// publishes does not grow its memory.
    pub activity_limit: Option<usize>,
    /// The folder a package larger than a MiB is downloaded to, as a temp file named
    /// `pens-conform-download-*` that is deleted once the package is checked (or, for a
    /// collect at `/pens/<key>`, once the key is forgotten: it is kept for
    /// [`super::MockTarget::kept_package`]): packages are never held whole in
    /// memory. By default the system's temp folder ([`std::env::temp_dir`]).
    pub download_dir: PathBuf,
    /// Whether the last package fetched for each `/pens/<key>` is kept for
    /// [`super::MockTarget::kept_package`] until the key is forgotten: client mode
    /// inspects it. A target on its own (`pens-conform serve target`) has no one to
    /// read it and forgets no key, so it keeps none, or every key a client invents
    /// would hold a package on disk. Default: kept.
    pub keep_packages: bool,
    /// Whether only collects of a scenario in progress (a key with a registered
    /// script, [`super::MockTarget::script`]) are acted on: any other, at
    /// `/pens/<key>` or `/pens`, is answered 404 and only counted
    /// ([`super::MockTargetState::unsolicited`]). Client mode sets it, so a tool
    /// that sends collects to keys it invents makes the target neither fetch nor
    /// receipt them, nor keep them. Default: off (every key is served, the default
    /// script for one without its own).
    pub scenario_keys_only: bool,
}

impl Default for MockTargetOptions {
    fn default() -> Self {
        MockTargetOptions {
            behaviour: TargetBehaviour::conformant(),
            extra_root_pem: None,
            capabilities: reference_capabilities(),
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
            client_name: DEFAULT_CLIENT_NAME.to_owned(),
            slow_ack_extra_delay: Duration::ZERO,
            smtp_relay: None,
            limits: PeerLimits::default(),
            activity_limit: None,
            download_dir: std::env::temp_dir(),
            keep_packages: true,
            scenario_keys_only: false,
        }
    }
}

impl MockTargetOptions {
    /// A builder starting from the defaults.
    pub fn builder() -> MockTargetOptionsBuilder {
        MockTargetOptionsBuilder { options: MockTargetOptions::default() }
    }

    /// The claims the target acts on: `Unknown` resolved as documented on
    /// [`MockTargetOptions::capabilities`].
    pub(crate) fn effective_capabilities(&self) -> TargetCapabilities {
        let cannot = |s: Support| if s == Support::Unknown { Support::No } else { s };
        let can = |s: Support| if s == Support::Unknown { Support::Yes } else { s };
        let c = &self.capabilities;
        TargetCapabilities {
            ftp: cannot(c.ftp),
            ftps: cannot(c.ftps),
            mailto_receipt: cannot(c.mailto_receipt),
            mailto_alerts: cannot(c.mailto_alerts),
            aicc_pkg: can(c.aicc_pkg),
            scorm_pif: can(c.scorm_pif),
            ims_qti: can(c.ims_qti),
            alerts: can(c.alerts),
        }
    }
}

/// Builds [`MockTargetOptions`].
#[derive(Clone, Debug)]
#[must_use]
pub struct MockTargetOptionsBuilder {
    options: MockTargetOptions,
}

impl MockTargetOptionsBuilder {
    /// Behaves as `behaviour` says (see [`TargetBehaviour`]).
    pub fn behaviour(mut self, behaviour: TargetBehaviour) -> Self {
        self.options.behaviour = behaviour;
        self
    }

    /// Trusts this PEM certificate for HTTPS.
    pub fn extra_root_pem(mut self, pem: impl Into<String>) -> Self {
        self.options.extra_root_pem = Some(pem.into());
        self
    }

    /// Claims these capabilities.
    pub fn capabilities(mut self, capabilities: TargetCapabilities) -> Self {
        self.options.capabilities = capabilities;
        self
    }

    /// Gives up a fetch after this long.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.options.fetch_timeout = timeout;
        self
    }

    /// Signs receipts and alerts with this `client` name.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.options.client_name = name.into();
        self
    }

    /// With [`super::AckTiming::AfterJob`], waits this much longer before answering.
    pub fn slow_ack_extra_delay(mut self, delay: Duration) -> Self {
        self.options.slow_ack_extra_delay = delay;
        self
    }

    /// Hands `mailto:` receipts and alerts to this SMTP server.
    pub fn smtp_relay(mut self, relay: SocketAddr) -> Self {
        self.options.smtp_relay = Some(relay);
        self
    }

    /// Takes no more from the client than `limits` allow.
    pub fn limits(mut self, limits: PeerLimits) -> Self {
        self.options.limits = limits;
        self
    }

    /// Accepts packages of at most `bytes`; the same as `limits.package_bytes`. Beyond
    /// it a package gets a 1440 receipt (insufficient host storage, CMI010 §6.3). A
    /// large package costs disk in [`MockTargetOptionsBuilder::download_dir`], not
    /// memory. The self-test sets it low and declares it, so that
    /// `security-oversized-package` stays fast.
    pub fn max_package_bytes(mut self, bytes: u64) -> Self {
        self.options.limits.package_bytes = bytes;
        self
    }

    /// Serves at most `connections` connections at once (the same as
    /// `limits.connections`); the next waits in the kernel's backlog. A load run of more
    /// publishes in flight than this measures the cap, not the target.
    pub fn connections(mut self, connections: usize) -> Self {
        self.options.limits.connections = connections.max(1);
        self
    }

    /// Keeps the last package fetched for each key, or none
    /// ([`MockTargetOptions::keep_packages`]).
    pub fn keep_packages(mut self, keep: bool) -> Self {
        self.options.keep_packages = keep;
        self
    }

    /// Acts only on collects of a scenario in progress
    /// ([`MockTargetOptions::scenario_keys_only`]).
    pub fn scenario_keys_only(mut self, only: bool) -> Self {
        self.options.scenario_keys_only = only;
        self
    }

    /// Keeps at most `limit` activity events, the most recent ones.
    pub fn activity_limit(mut self, limit: usize) -> Self {
        self.options.activity_limit = Some(limit);
        self
    }

    /// Downloads packages larger than a MiB to temp files in `dir` (default: the
    /// system's temp folder). Packages are streamed to disk rather than held in memory,
    /// so the target's memory stays small whatever their size; point this at a folder
    /// with room for the largest package expected (a tmpfs temp folder would put them
    /// back in memory). A folder that cannot take the file makes the receipt 1440.
    pub fn download_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.download_dir = dir.into();
        self
    }

    /// The options.
    pub fn build(self) -> MockTargetOptions {
        self.options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_claims_resolve_to_what_the_target_can_do() {
        let options = MockTargetOptions { capabilities: TargetCapabilities::default(), ..Default::default() };
        assert_eq!(options.effective_capabilities(), reference_capabilities());
        let ftp = TargetCapabilities { ftp: Support::Yes, scorm_pif: Support::No, ..TargetCapabilities::default() };
        let effective = MockTargetOptions::builder().capabilities(ftp).build().effective_capabilities();
        assert_eq!((effective.ftp, effective.scorm_pif, effective.ftps), (Support::Yes, Support::No, Support::No));
    }
}
