//! How much the parties take from the implementation under test, and what is recorded
//! when it sends more.
//!
//! Every party reads bytes an implementation chose: an answer body, a header block, a
//! redirect chain, a package, the entries of a zip, a stream of receipts, connections.
//! A hostile or broken implementation must not turn any of these into unbounded memory,
//! time or sockets for the harness. [`PeerLimits`] holds the caps the parties apply (the
//! runner fills it from the profile's `[limits]`); a cap that is reached is not an
//! error of the harness but evidence, a [`LimitBreach`] naming the [`Limit`] and what
//! was seen, which the runner turns into a verdict.

use std::fmt;
use std::time::{Duration, Instant};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// The caps the parties apply to what the implementation under test sends them. The
/// defaults are the profile's (see `pens_runner::Limits`, which says why each is
/// safe); tests lower them to reach a cap cheaply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerLimits {
    /// The most of an answer body read: the target's answer to a collect, the client's
    /// answer to a receipt or alert.
    pub answer_bytes: u64,
    /// The most header lines such an answer may carry.
    pub header_count: usize,
    /// The most bytes (names, values, `: ` and CR LF) its header lines may take.
    pub header_bytes: u64,
    /// The most redirects followed while fetching a package, each to the package
    /// URL's own host.
    pub redirects: usize,
    /// The largest package fetched.
    pub package_bytes: u64,
    /// The most entries a fetched zip package may hold.
    pub zip_entries: usize,
    /// The most bytes the entries of a fetched package may expand to, all together.
    pub unpacked_bytes: u64,
    /// The most receipts and alerts (target mode) or collects (client mode) kept per
    /// scenario key; more are counted, answered and dropped.
    pub notifications: usize,
    /// The most connections a listener serves at once.
    pub connections: usize,
    /// The most passive FTP data listeners (PASV, EPSV) the staging server keeps open at
    /// once, over its FTP and FTPS listeners together.
    pub passive_listeners: usize,
}

impl Default for PeerLimits {
    fn default() -> Self {
        PeerLimits {
            answer_bytes: MIB,
            header_count: 100,
            header_bytes: 64 * KIB,
            redirects: 5,
            package_bytes: 256 * MIB,
            zip_entries: 10_000,
            unpacked_bytes: 1024 * MIB,
            notifications: 100,
            connections: 256,
            passive_listeners: 64,
        }
    }
}

impl PeerLimits {
    /// The caps on an answer.
    pub fn answer(&self) -> AnswerLimits {
        AnswerLimits { bytes: self.answer_bytes, header_count: self.header_count, header_bytes: self.header_bytes }
    }

    /// The caps of a listener: [`PeerLimits::connections`] and the default header-read
    /// timeout.
    pub fn listener(&self) -> ListenerLimits {
        ListenerLimits { connections: self.connections.max(1), ..ListenerLimits::default() }
    }
}

/// The caps on one HTTP answer read from the implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnswerLimits {
    /// Body bytes.
    pub bytes: u64,
    /// Header lines.
    pub header_count: usize,
    /// Header bytes.
    pub header_bytes: u64,
}

impl Default for AnswerLimits {
    fn default() -> Self {
        PeerLimits::default().answer()
    }
}

/// How long a connection may take to send a request's head (the request line and
/// headers), also while it idles between requests, and to finish a TLS handshake: a peer
/// that dribbles its headers (slowloris) or keeps an idle connection open loses its slot
/// after this (a flood of them sooner: at the cap the oldest idle connection is closed to
/// make room). Not shorter: the deadline also closes kept-alive connections between
/// requests, and an honest client reusing one at that moment sees its request fail.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The caps of one listener of the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Connections served at once; when all are taken, the oldest one outside a request
    /// is closed to make room, or the next waits (in the kernel's backlog) until one
    /// ends.
    pub connections: usize,
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            connections: PeerLimits::default().connections,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        }
    }
}

/// Which cap was reached. Each is named after its profile key ([`Limit::key`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// An answer body larger than [`PeerLimits::answer_bytes`].
    AnswerBytes,
    /// More header lines than [`PeerLimits::header_count`] (or than the HTTP parser
    /// takes).
    HeaderCount,
    /// A header block larger than [`PeerLimits::header_bytes`].
    HeaderBytes,
    /// More redirects than [`PeerLimits::redirects`].
    Redirects,
    /// A redirect back to a URL already visited: the chain would never end.
    RedirectLoop,
    /// A redirect to another host than the package URL's: not followed.
    RedirectHost,
    /// A package larger than [`PeerLimits::package_bytes`].
    PackageBytes,
    /// A zip with more entries than [`PeerLimits::zip_entries`].
    ZipEntries,
    /// A zip whose entries expand beyond [`PeerLimits::unpacked_bytes`].
    UnpackedBytes,
    /// More receipts and alerts, or collects, for one key than
    /// [`PeerLimits::notifications`].
    Notifications,
}

impl Limit {
    /// The profile key under `[limits]` that sets the cap.
    pub fn key(self) -> &'static str {
        match self {
            Limit::AnswerBytes => "answer-bytes",
            Limit::HeaderCount => "header-count",
            Limit::HeaderBytes => "header-bytes",
            Limit::Redirects | Limit::RedirectLoop | Limit::RedirectHost => "redirects",
            Limit::PackageBytes => "package-bytes",
            Limit::ZipEntries => "zip-entries",
            Limit::UnpackedBytes => "unpacked-bytes",
            Limit::Notifications => "notifications",
        }
    }
}

/// A cap that was reached, and what was seen, in words a vendor can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitBreach {
    /// Which cap.
    pub limit: Limit,
    /// What was seen, naming the cap and its profile key, e.g. "the answer was larger
    /// than the 1048576-byte limit ([limits] answer-bytes); reading stopped there;
    /// Content-Length said 104857600".
    pub message: String,
}

impl LimitBreach {
    /// A breach of `limit`, described by `message`.
    pub fn new(limit: Limit, message: impl Into<String>) -> Self {
        LimitBreach { limit, message: message.into() }
    }
}

impl fmt::Display for LimitBreach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What arrived for one key beyond [`PeerLimits::notifications`]: counted, answered,
/// not kept. Memory stays bounded however long the flood goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overflow {
    /// How many were kept (the cap).
    pub kept: usize,
    /// How many more arrived and were dropped.
    pub dropped: u64,
    /// When the first dropped one arrived.
    pub first: Instant,
    /// When the last dropped one arrived.
    pub last: Instant,
}

/// Per-key counts of what arrived, with the overflow beyond a cap.
#[derive(Debug, Default)]
pub(crate) struct KeyCounts {
    counts: std::sync::Mutex<std::collections::HashMap<String, KeyCount>>,
}

/// What arrived for one key so far.
#[derive(Debug, Default)]
struct KeyCount {
    kept: usize,
    overflow: Option<Overflow>,
    /// The key was forgotten ([`KeyCounts::forget`]): nothing more of it is kept.
    forgotten: bool,
}

impl KeyCounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, KeyCount>> {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one arrival for `key` at `at`: `true` when it is within `cap` and should
    /// be kept, `false` when it only goes into the overflow (or the key was forgotten).
    pub(crate) fn admit(&self, key: &str, cap: usize, at: Instant) -> bool {
        let mut counts = self.lock();
        let count = counts.entry(key.to_owned()).or_default();
        if count.forgotten {
            return false;
        }
        if count.kept < cap {
            count.kept += 1;
            return true;
        }
        let entry = count.overflow.get_or_insert(Overflow { kept: cap, dropped: 0, first: at, last: at });
        entry.dropped += 1;
        entry.last = at;
        false
    }

    /// Nothing more of `key` is kept from now on: [`KeyCounts::admit`] says `false`
    /// without counting, so a forgotten key costs its entry here and nothing more.
    pub(crate) fn forget(&self, key: &str) {
        *self.lock().entry(key.to_owned()).or_default() = KeyCount { forgotten: true, ..KeyCount::default() };
    }

    /// The overflow of `key`, if anything was dropped.
    pub(crate) fn overflow(&self, key: &str) -> Option<Overflow> {
        self.lock().get(key).and_then(|count| count.overflow)
    }
}

/// `1048576` as "1048576-byte", for messages.
pub fn bytes_text(bytes: u64) -> String {
    format!("{bytes}-byte")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_limit_names_its_profile_key() {
        let keys: Vec<&str> = [
            Limit::AnswerBytes,
            Limit::HeaderCount,
            Limit::HeaderBytes,
            Limit::Redirects,
            Limit::RedirectLoop,
            Limit::RedirectHost,
            Limit::PackageBytes,
            Limit::ZipEntries,
            Limit::UnpackedBytes,
            Limit::Notifications,
        ]
        .into_iter()
        .map(Limit::key)
        .collect();
        assert!(keys.iter().all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '-')), "{keys:?}");
    }

    #[test]
    fn arrivals_beyond_the_cap_are_counted_not_kept() {
        let counts = KeyCounts::default();
        let start = Instant::now();
        let admitted: Vec<bool> = (0..5u64).map(|n| counts.admit("k", 3, start + Duration::from_millis(n))).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        let overflow = counts.overflow("k").expect("an overflow");
        assert_eq!((overflow.kept, overflow.dropped), (3, 2));
        assert_eq!(overflow.first, start + Duration::from_millis(3));
        assert_eq!(overflow.last, start + Duration::from_millis(4));
        assert!(counts.admit("other", 3, start));
        assert_eq!(counts.overflow("other"), None);
    }

    #[test]
    fn a_forgotten_key_keeps_nothing_more_and_counts_no_overflow() {
        let counts = KeyCounts::default();
        let start = Instant::now();
        assert!(counts.admit("k", 3, start));
        counts.forget("k");
        assert!(!counts.admit("k", 3, start));
        assert_eq!(counts.overflow("k"), None);
        counts.forget("never-seen");
        assert!(!counts.admit("never-seen", 3, start));
        assert!(counts.admit("other", 3, start));
    }
}
