//! Containment: every cap the harness applies to what an implementation sends it
//! (profile `[limits]`), with defaults that are safe for the harness and generous for
//! any correct implementation.
//!
//! An implementation under test may be broken or hostile. Whatever it sends, a run
//! must end, in bounded memory, with a verdict that says what was seen. Each cap below
//! is applied by the party that reads the bytes (`pens-parties`), and each breach becomes
//! a check:
//!
//! | cap | breach gives |
//! |---|---|
//! | `answer-bytes`, `header-count`, `header-bytes` | `fail`: no PENS answer is that large (CMI010 §6.3) |
//! | `redirects` (too many, or to another host) | `inconclusive`: a long or cross-host chain may be legitimate, the harness just does not follow it |
//! | `redirects` (a circle) | `fail`: the package can never be reached |
//! | `package-bytes`, `zip-entries`, `unpacked-bytes` | `inconclusive`: CMI010 sets no size; the harness could not judge the package |
//! | `notifications` | `inconclusive` for the flood (what was dropped was not judged); the count checks still fail a second receipt |
//! | `connections` | none of its own: the oldest connection outside a request makes room, or the next waits; a fetch, receipt or alert missing while its listener was full makes the checks that depend on it `inconclusive` (`evaluate::saturation`); the counts go into the report's harness notes |
//! | `passive-listeners` | none: the next PASV/EPSV is answered 425; refusals are counted in the report's `passive-listeners-capped` note |
//! | `scenario-grace` | `inconclusive`: the scenario is abandoned, naming the step that had not ended |

use std::time::Duration;

use pens_parties::PeerLimits;

/// The caps on what an implementation may send the harness. Build with struct update
/// syntax over `Default`; the profile's `[limits]` section sets each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most of an answer body the harness reads (`answer-bytes`): the answer to a
    /// collect in target mode, the tool's answers to receipts and alerts in client mode.
    /// Default 1 MiB: a PENS response is four short lines (CMI010 §6.3) and even a
    /// `pens-data` trace fits many times over, while a megabyte per concurrent scenario
    /// is nothing to the harness. Reading stops at the cap (a `Content-Length` above it
    /// is refused before the body); the breach fails the answer.
    pub answer_bytes: u64,
    /// The most header lines such an answer may carry (`header-count`). Default 100:
    /// an HTTP server sends a dozen; 100 is also the most the HTTP parser takes, so a
    /// larger value changes nothing. A breach fails the answer.
    pub header_count: usize,
    /// The most bytes its header lines may take (`header-bytes`). Default 64 KiB: four
    /// times what common servers accept for a request head, far above any real answer.
    /// A breach fails the answer.
    pub header_bytes: u64,
    /// The most redirects followed when the mock target fetches a package in client
    /// mode (`redirects`). Default 5: a staging server may move a package once or twice
    /// (HTTP to HTTPS, a CDN path); a sixth hop is a loop in all but name. Redirects are
    /// only ever followed on the package URL's own host: a hostile staging server must
    /// not make the harness reach another machine. Too many, or another host, is
    /// inconclusive; a redirect back to a URL already requested fails.
    pub redirects: usize,
    /// The largest package the mock target fetches in client mode (`package-bytes`).
    /// Default 256 MiB: larger than any course an authoring tool publishes, small
    /// enough to hold in memory. A breach makes the package checks inconclusive.
    pub package_bytes: u64,
    /// The most entries a fetched zip may hold (`zip-entries`). Default 10 000: a
    /// course has hundreds to a few thousand files, and the count is read before any
    /// entry is listed. A breach makes the package checks inconclusive.
    pub zip_entries: usize,
    /// The most the entries of a fetched zip may expand to in all (`unpacked-bytes`).
    /// Default 1 GiB: four times the largest package taken, enough for any real course,
    /// and it stops a zip bomb long before the disk or memory matters (nothing is ever
    /// written; entries are decompressed to check them). A breach makes the package
    /// checks inconclusive.
    pub unpacked_bytes: u64,
    /// The most receipts and alerts (HTTP and mail together) the collector keeps per
    /// scenario in target mode, and the most collects the mock target takes per
    /// scenario in client mode (`notifications`). Default 100: a target sends one
    /// receipt and a handful of alerts, a tool at most 20 collects per scenario. Beyond
    /// it everything is still answered but only counted (how many, the first and last
    /// arrival), so a flood costs no memory; the scenario gets an inconclusive check
    /// saying so, while its count checks still fail a second receipt.
    pub notifications: usize,
    /// The most connections each listener of the harness serves at once (collector,
    /// staging HTTP and HTTPS, the mock target) (`connections`). Default 256: a run
    /// uses a few per scenario (8 at once by default); a peer opening thousands waits
    /// in the kernel's backlog instead of costing a task and buffers each, and when
    /// every slot is taken the oldest connection outside a request is closed to make
    /// room. Every connection must also send its request heads within the header-read
    /// deadline (30 s, `pens_parties::DEFAULT_HEADER_READ_TIMEOUT`). What
    /// happened at the cap is counted, per period, and judged (`evaluate::saturation`).
    pub connections: usize,
    /// The most passive FTP data listeners the staging server keeps open at once, over
    /// its FTP and FTPS listeners together (`passive-listeners`). Default 64: a target
    /// opens one per fetch and each control connection keeps only its last (a new PASV
    /// or EPSV closes the one before, one nobody connects to closes after 10 s), so a
    /// run of 8 scenarios at once needs a handful; a client that sends PASV in a loop on
    /// many connections cannot make the harness hold thousands of descriptors. Beyond it
    /// PASV/EPSV are answered 425 and counted (the report's `passive-listeners-capped`
    /// note); the FTP fetch that meets it fails as a fetch the target could retry.
    pub passive_listeners: usize,
    /// How long past the sum of its step deadlines a scenario may run before it is
    /// abandoned (`scenario-grace`). Default 5 s: every step already waits with its own
    /// deadline, so the grace only covers the harness's own work (judging, stopping a
    /// trigger); a scenario that still has not ended is abandoned with an inconclusive
    /// result naming the step that had not ended, its staged package and script are
    /// removed, and the run goes on.
    pub scenario_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let peer = PeerLimits::default();
        Limits {
            answer_bytes: peer.answer_bytes,
            header_count: peer.header_count,
            header_bytes: peer.header_bytes,
            redirects: peer.redirects,
            package_bytes: peer.package_bytes,
            zip_entries: peer.zip_entries,
            unpacked_bytes: peer.unpacked_bytes,
            notifications: peer.notifications,
            connections: peer.connections,
            passive_listeners: peer.passive_listeners,
            scenario_grace: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// The caps the parties apply (everything but the grace, which the runner applies).
    pub fn peer(&self) -> PeerLimits {
        PeerLimits {
            answer_bytes: self.answer_bytes,
            header_count: self.header_count,
            header_bytes: self.header_bytes,
            redirects: self.redirects,
            package_bytes: self.package_bytes,
            zip_entries: self.zip_entries,
            unpacked_bytes: self.unpacked_bytes,
            notifications: self.notifications,
            connections: self.connections,
            passive_listeners: self.passive_listeners,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let limits = Limits::default();
        assert_eq!(limits.answer_bytes, 1024 * 1024);
        assert_eq!((limits.header_count, limits.header_bytes), (100, 64 * 1024));
        assert_eq!(limits.redirects, 5);
        assert_eq!(limits.package_bytes, 256 * 1024 * 1024);
        assert_eq!((limits.zip_entries, limits.unpacked_bytes), (10_000, 1024 * 1024 * 1024));
        assert_eq!((limits.notifications, limits.connections), (100, 256));
        assert_eq!(limits.passive_listeners, 64);
        assert_eq!(limits.scenario_grace, Duration::from_secs(5));
        assert_eq!(limits.peer(), PeerLimits::default());
    }
}
