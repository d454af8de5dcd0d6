//! The staging behaviours: how the harness's staging server answers the package request,
//! in the words of the scenario language (`behaviour = "dribble"`, `delay_ms`, ...).
//!
//! This is the one definition of the behaviours, their names ([`BehaviourName`]) and
//! their parameters, shared by the scenario language, the runner and the staging server
//! (pens-parties), so that a new behaviour is added in one place and every `match` on it
//! stops compiling until it is handled. It lives here, in the scenario language, rather
//! than in pens-parties because the arrows point down: pens-parties depends on
//! pens-scenario for this vocabulary, and the scenario language never depends on the
//! servers. The parameters are generic: a loaded scenario carries them with their spans
//! ([`Spanned`], the default, for diagnostics and check locations), the staging server
//! takes the plain values (`StagingBehaviour<u64>`); the run-dependent parts (how large
//! "oversized" is, how long "after-answer" holds at most) are the staging plan's, not
//! the behaviour's. Deliberately not `#[non_exhaustive]`, so that the staging server
//! and the runner, in other crates, must handle every behaviour.

use crate::model::BehaviourName;
use crate::span::Spanned;

/// `behaviour`: how staging answers the package request. Each parameter is a key of
/// `[staging]` that is an error with any other behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StagingBehaviour<N = Spanned<u64>> {
    /// `serve`: the package, 200.
    Serve,
    /// `status`: this HTTP status instead of the package, with a short text body;
    /// `status` (100-599) is required. FTP has no such statuses: a 4xx becomes `550`
    /// (file unavailable, permission denied for 401/403/407), anything else `451`.
    Status {
        /// `status`.
        status: N,
    },
    /// `delay`: wait `delay_ms` (required, at most 600000) before the first byte, then
    /// serve: a slow but working server.
    Delay {
        /// `delay_ms`.
        delay_ms: N,
    },
    /// `dribble`: send `chunk_bytes` (default [`crate::DEFAULT_DRIBBLE_CHUNK_BYTES`]) every
    /// `delay_ms` (required): a slow link.
    Dribble {
        /// `delay_ms`: the pause between chunks.
        delay_ms: N,
        /// `chunk_bytes`: 1 to 1048576.
        chunk_bytes: N,
    },
    /// `truncate`: promise the full Content-Length, send `after_bytes` (default
    /// [`crate::DEFAULT_TRUNCATE_AFTER_BYTES`]), close: a download that breaks off; the target
    /// must not import a partial package. At or beyond the package's length the whole
    /// package goes out. Over FTP the data connection closes after `after_bytes` and the
    /// reply is `426`.
    Truncate {
        /// `after_bytes`.
        after_bytes: N,
    },
    /// `corrupt`: serve bytes that start like a zip but are no valid archive: the target
    /// owes 1432 (CMI010 §6.3).
    Corrupt,
    /// `redirect`: 302 to the same package under `/s/<key>/redirected/<file_name>` on
    /// the same scheme, served there. FTP has no redirect: it serves the package.
    Redirect,
    /// `zip-slip`: the package with entries added whose names leave the folder it is
    /// unpacked into (`../../pens-conform-zip-slip.txt`, an absolute path).
    ZipSlip,
    /// `zip-bomb`: the package with entries added that expand to 2 GiB of zeros from
    /// about 2 MiB.
    ZipBomb,
    /// `oversized`: a sound package `over_bytes` (default [`crate::DEFAULT_OVER_BYTES`], at least
    /// that) beyond the largest package the run says the target accepts
    /// (`--max-package-bytes`, the staging plan's `package_limit`); not applicable
    /// when the run declares none. Streamed, never held in memory; it must be refused.
    Oversized {
        /// `over_bytes`.
        over_bytes: N,
    },
    /// `silent`: accept the connection, read the request, never answer, until the
    /// scenario ends (then the connection gets a `503` and is closed): a staging server
    /// that hangs. CMI010 names no download timeout, so this shows whether the target
    /// gives up and says so (1310, 1301). Over FTP the RETR's data never comes until the
    /// listener stops.
    Silent,
    /// `after-answer`: take the package request but answer it only once the harness has
    /// read the target's answer to the collect (or given up on it at the ack deadline),
    /// then serve the package. A correct target, which answers at once (CMI010 §5), is
    /// held only the moment the harness takes to read its answer; one that fetches
    /// before it answers waits on itself until the ack deadline (the staging plan's
    /// `answer_hold` is the backstop). HTTP and HTTPS only: over FTP the package is
    /// served at once.
    AfterAnswer,
}

impl<N> StagingBehaviour<N> {
    /// The name written in the file.
    pub fn name(&self) -> BehaviourName {
        match self {
            StagingBehaviour::Serve => BehaviourName::Serve,
            StagingBehaviour::Status { .. } => BehaviourName::Status,
            StagingBehaviour::Delay { .. } => BehaviourName::Delay,
            StagingBehaviour::Dribble { .. } => BehaviourName::Dribble,
            StagingBehaviour::Truncate { .. } => BehaviourName::Truncate,
            StagingBehaviour::Corrupt => BehaviourName::Corrupt,
            StagingBehaviour::Redirect => BehaviourName::Redirect,
            StagingBehaviour::ZipSlip => BehaviourName::ZipSlip,
            StagingBehaviour::ZipBomb => BehaviourName::ZipBomb,
            StagingBehaviour::Oversized { .. } => BehaviourName::Oversized,
            StagingBehaviour::Silent => BehaviourName::Silent,
            StagingBehaviour::AfterAnswer => BehaviourName::AfterAnswer,
        }
    }

    /// The same behaviour with each parameter mapped by `value`: the runner hands the
    /// staging server `behaviour.map(|n| n.value)`, the plain values without their spans.
    pub fn map<M>(&self, value: impl Fn(&N) -> M) -> StagingBehaviour<M> {
        match self {
            StagingBehaviour::Serve => StagingBehaviour::Serve,
            StagingBehaviour::Status { status } => StagingBehaviour::Status { status: value(status) },
            StagingBehaviour::Delay { delay_ms } => StagingBehaviour::Delay { delay_ms: value(delay_ms) },
            StagingBehaviour::Dribble { delay_ms, chunk_bytes } => {
                StagingBehaviour::Dribble { delay_ms: value(delay_ms), chunk_bytes: value(chunk_bytes) }
            }
            StagingBehaviour::Truncate { after_bytes } => {
                StagingBehaviour::Truncate { after_bytes: value(after_bytes) }
            }
            StagingBehaviour::Corrupt => StagingBehaviour::Corrupt,
            StagingBehaviour::Redirect => StagingBehaviour::Redirect,
            StagingBehaviour::ZipSlip => StagingBehaviour::ZipSlip,
            StagingBehaviour::ZipBomb => StagingBehaviour::ZipBomb,
            StagingBehaviour::Oversized { over_bytes } => StagingBehaviour::Oversized { over_bytes: value(over_bytes) },
            StagingBehaviour::Silent => StagingBehaviour::Silent,
            StagingBehaviour::AfterAnswer => StagingBehaviour::AfterAnswer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    #[test]
    fn map_keeps_the_behaviour_and_maps_every_parameter() {
        let at = |value| Spanned::new(value, Span::default());
        let spanned = StagingBehaviour::Dribble { delay_ms: at(50), chunk_bytes: at(256) };
        let plain = spanned.map(|n| n.value);
        assert_eq!(plain, StagingBehaviour::Dribble { delay_ms: 50, chunk_bytes: 256 });
        assert_eq!(plain.name(), spanned.name());
        for behaviour in [
            StagingBehaviour::Serve,
            StagingBehaviour::Status { status: 404 },
            StagingBehaviour::Delay { delay_ms: 1 },
            StagingBehaviour::Truncate { after_bytes: 2 },
            StagingBehaviour::Corrupt,
            StagingBehaviour::Redirect,
            StagingBehaviour::ZipSlip,
            StagingBehaviour::ZipBomb,
            StagingBehaviour::Oversized { over_bytes: 3 },
            StagingBehaviour::Silent,
            StagingBehaviour::AfterAnswer,
        ] {
            assert_eq!(behaviour.map(|n| n * 10).name(), behaviour.name());
            assert_eq!(behaviour.map(|n| *n), behaviour);
        }
        assert_eq!(StagingBehaviour::Status { status: 404 }.map(|n| n + 1), StagingBehaviour::Status { status: 405 });
    }
}
