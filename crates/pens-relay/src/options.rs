//! How a relay is set up: where the client publishes, where the real target is, and
//! what the relay takes from either side.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pens_parties::PeerLimits;
use pens_parties::RunCa;

/// How long the target may take to answer a forwarded collect, by default: as long as
/// the mock client gives a target in target mode.
pub const DEFAULT_COLLECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a relayed download may go without a byte moving, by default: waiting for
/// the client's staging server to answer or send more, or for the target to read more.
/// Not a limit on the whole download, which would cut a large course on a slow link
/// short and blame the party the relay stood in front of.
pub const DEFAULT_RELAY_FETCH_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// How long the client may take to answer a relayed receipt or alert, by default.
pub const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most publishes one relay keeps records of at once; a collect beyond is answered
/// 503 and only counted ([`super::Relay::overflow`]), so a client that publishes in a
/// loop costs bounded memory. [`super::Relay::forget`] makes room.
pub const DEFAULT_MAX_PUBLISHES: usize = 1000;

/// The set-up of a [`super::Relay`]. [`RelayOptions::new`] gives the defaults; the
/// fields are public so a caller sets what it needs.
#[derive(Clone)]
pub struct RelayOptions {
    /// Where the client publishes (the collect front). Its IP address is also where
    /// the staging relay and the collector listen, on free ports.
    pub listen: SocketAddr,
    /// The real target's PENS URL; it may carry basic credentials (userinfo).
    pub target_url: String,
    /// Whether `package-url`, `receipt` and `alerts` are pointed at the relay
    /// (default). Without, the collect goes out byte for byte and only the collect
    /// and its answer pass through the relay.
    pub rewrite: bool,
    /// The host name the relay's URLs name (the target must reach it); the bound
    /// address when `None`.
    pub advertise_host: Option<String>,
    /// The CA whose certificate the HTTPS staging relay serves (the run's); one is
    /// minted for the loopback hosts and `advertise_host` when `None`
    /// ([`super::Relay::ca_pem`] says which the target must trust).
    pub ca: Option<Arc<RunCa>>,
    /// PEM certificates the relay trusts, besides the usual web roots and `ca`, when
    /// it talks HTTPS to the target, the client's staging server or its receipt URL.
    pub trust_pem: Vec<String>,
    /// The SMTP sink's address, the one the target's mail is pointed at: `mailto:`
    /// receipts and alerts are rewritten to it only when set (otherwise the target's
    /// mail could never reach the relay, and they are left alone, said so in the
    /// record).
    pub smtp_listen: Option<SocketAddr>,
    /// The SMTP server relayed mail goes to, toward the client's own addresses. Without
    /// one a mailed notification is recorded and not passed on.
    pub smtp_relay: Option<SocketAddr>,
    /// The caps on what either side sends: the answers read
    /// ([`PeerLimits::answer_bytes`]), the package copy kept
    /// ([`PeerLimits::package_bytes`]), redirects followed at the client's staging
    /// server, notifications kept per publish, connections per listener.
    pub limits: PeerLimits,
    /// How long the target may take to answer a collect (then the client gets 504).
    pub collect_timeout: Duration,
    /// How long a relayed download may go without a byte moving
    /// ([`DEFAULT_RELAY_FETCH_IDLE_TIMEOUT`]).
    pub fetch_idle_timeout: Duration,
    /// How long the client may take to answer a receipt or alert (then the target
    /// gets 504).
    pub notify_timeout: Duration,
    /// The most publishes recorded ([`DEFAULT_MAX_PUBLISHES`]).
    pub max_publishes: usize,
    /// Where the copy of a package larger than a MiB is kept while it is judged (a
    /// temp file, deleted with the last handle on it).
    pub download_dir: PathBuf,
}

impl RelayOptions {
    /// A relay listening on `listen` for the collects of the client, forwarding them
    /// to `target_url`, with every other setting at its default.
    pub fn new(listen: SocketAddr, target_url: impl Into<String>) -> Self {
        RelayOptions {
            listen,
            target_url: target_url.into(),
            rewrite: true,
            advertise_host: None,
            ca: None,
            trust_pem: Vec::new(),
            smtp_listen: None,
            smtp_relay: None,
            limits: PeerLimits::default(),
            collect_timeout: DEFAULT_COLLECT_TIMEOUT,
            fetch_idle_timeout: DEFAULT_RELAY_FETCH_IDLE_TIMEOUT,
            notify_timeout: DEFAULT_NOTIFY_TIMEOUT,
            max_publishes: DEFAULT_MAX_PUBLISHES,
            download_dir: std::env::temp_dir(),
        }
    }

    /// The host the relay's URLs name: `advertise_host`, or empty for the bound address.
    pub(crate) fn advertised(&self) -> &str {
        self.advertise_host.as_deref().unwrap_or_default()
    }
}

impl std::fmt::Debug for RelayOptions {
    /// The target URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayOptions")
            .field("listen", &self.listen)
            .field("target_url", &pens_proto::redact_userinfo(&self.target_url))
            .field("rewrite", &self.rewrite)
            .field("advertise_host", &self.advertise_host)
            .field("ca", &self.ca)
            .field("trust_pem", &self.trust_pem.len())
            .field("smtp_listen", &self.smtp_listen)
            .field("smtp_relay", &self.smtp_relay)
            .field("limits", &self.limits)
            .field("collect_timeout", &self.collect_timeout)
            .field("fetch_idle_timeout", &self.fetch_idle_timeout)
            .field("notify_timeout", &self.notify_timeout)
            .field("max_publishes", &self.max_publishes)
            .field("download_dir", &self.download_dir)
            .finish()
    }
}
