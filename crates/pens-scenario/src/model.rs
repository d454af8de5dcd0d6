//! What a scenario file says: the collect to send, how staging behaves, and what the
//! target must do. Every node carries its [`Span`](crate::Span).
//!
//! The language is specified in `docs/target-mode.md` ("Scenario files"); the doc comments
//! here give each key's type and default as implemented.

use std::path::PathBuf;

use pens_proto::{Element, Requirement};

use crate::expect::Expectations;
use crate::keyword::keywords;
use crate::span::Spanned;
pub(crate) use crate::staging_behaviour::StagingBehaviour;
use crate::template::Template;

/// The largest `copies` of `[collect]`.
pub const MAX_COPIES: u32 = 50;

/// The package served when `[staging] package` is not given, under `fixtures/packages/`.
pub const DEFAULT_PACKAGE: &str = "scorm12-minimal.zip";

/// Chunk size of `behaviour = "dribble"` when `chunk_bytes` is not given.
pub const DEFAULT_DRIBBLE_CHUNK_BYTES: u64 = 256;

/// Bytes sent before closing with `behaviour = "truncate"` when `after_bytes` is not given.
pub const DEFAULT_TRUNCATE_AFTER_BYTES: u64 = 100;

/// How far beyond the declared package limit `behaviour = "oversized"` goes when
/// `over_bytes` is not given; also the least it may be given: 1 MiB, so that no rounding
/// of a limit in an LMS's settings lets the package through.
pub const DEFAULT_OVER_BYTES: u64 = 1024 * 1024;

/// The most `over_bytes` may be: 1 GiB.
pub const MAX_OVER_BYTES: u64 = 1024 * 1024 * 1024;

/// The least `[staging] size` may be: 1 KiB, room for the package's own entries.
pub const MIN_PACKAGE_SIZE: u64 = 1024;

/// The most `[staging] size` may be: just under 4 GiB, since the grown package is a
/// plain zip (no zip64 records, which some importers still do not read).
pub const MAX_PACKAGE_SIZE: u64 = (4 << 30) - 1;

/// One scenario file, loaded and validated.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Scenario {
    /// The file it was loaded from, as given to the loader.
    pub source: PathBuf,
    /// `id`: kebab-case, equal to the file stem, unique in the directory.
    pub id: Spanned<String>,
    /// `title`: one line saying what passing means.
    pub title: Spanned<String>,
    /// `requirements`: catalogue entries this scenario checks (at least one), resolved.
    pub requirements: Vec<Spanned<&'static Requirement>>,
    /// `level`: `must` (default) or `should`. A `should` scenario checks best practice:
    /// its failures are reported as warnings.
    pub level: Spanned<ScenarioLevel>,
    /// `tags`: kebab-case labels for selecting scenarios; default none.
    pub tags: Vec<Spanned<String>>,
    /// `needs`: claims the target must make for the scenario to apply; otherwise the
    /// scenario is `not-applicable`. Default none.
    pub needs: Vec<Spanned<Capability>>,
    /// `unless`: claims that make the scenario not applicable. Default none.
    pub unless: Vec<Spanned<Capability>>,
    /// `[staging]`: how the package is served. Defaults throughout when absent.
    pub staging: Spanned<Staging>,
    /// `[collect]`: how the collect command differs from the default one.
    pub collect: Spanned<Collect>,
    /// `[expect]` without `any_of`: checks every run must pass. When `any_of` is present
    /// these sections still apply, in addition to whichever alternative passes: they are
    /// what all alternatives have in common.
    pub expect: Expectations,
    /// `[[expect.any_of]]`: alternatives, at least two when present; the scenario passes
    /// when [`Scenario::expect`] passes and at least one alternative passes entirely.
    ///
    /// A section absent everywhere is not checked, with one exception: when no `response`
    /// section appears at the top level nor in any alternative, the runner checks the
    /// response against [`ResponseExpectation::default`](crate::ResponseExpectation)
    /// (the code pens-proto expects, strict format).
    pub any_of: Vec<Spanned<Expectations>>,
}

impl Scenario {
    /// Whether some `response` section is written, at the top level or in an alternative;
    /// if not, the runner applies the default response check.
    pub fn has_explicit_response(&self) -> bool {
        self.expect.response.is_some() || self.any_of.iter().any(|alternative| alternative.response.is_some())
    }
}

keywords! {
    /// An optional feature a target may claim (`needs`, `unless`); CMI010 §5, §6.3 give
    /// each its error code for targets that do not support it.
    Capability, "capability" {
        /// `ftp`: fetching `ftp://` packages (else 1304).
        Ftp = "ftp",
        /// `ftps`: fetching `ftps://` packages (else 1306).
        Ftps = "ftps",
        /// `mailto-receipt`: mailing receipts (else 1510).
        MailtoReceipt = "mailto-receipt",
        /// `mailto-alerts`: mailing alerts (else 1520).
        MailtoAlerts = "mailto-alerts",
        /// `alerts`: sending alerts at all (they are optional, CMI010 §5.1).
        Alerts = "alerts",
    }
}

keywords! {
    /// `level`: how strongly the scenario's checks bind.
    ScenarioLevel, "scenario level" {
        /// `must`: failures are failures.
        Must = "must",
        /// `should`: failures are warnings.
        Should = "should",
    }
}

/// `[staging]`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Staging {
    /// `package`: file under `fixtures/packages/` (a relative path without `..`);
    /// default [`DEFAULT_PACKAGE`]. Its existence is checked by the runner, which knows
    /// where fixtures live.
    pub package: Spanned<String>,
    /// `size`: serve the package grown to exactly this many bytes by a stored entry of
    /// zeros, generated while it is sent (`size = "1GiB"` needs no 1 GiB file). A large
    /// package is a test of its own: the target must fetch all of it and import it. The
    /// runner refuses a size smaller than the package itself; the scenario is not
    /// applicable to a target that declares a smaller package limit. Default: the
    /// package as it is.
    pub size: Option<Spanned<u64>>,
    /// `user` and `password`, which come together: the staging server then requires HTTP
    /// basic credentials. Default: none required.
    pub credentials: Option<StagingCredentials>,
    /// `behaviour` and its parameters; default `serve`.
    pub behaviour: Spanned<StagingBehaviour>,
}

/// The HTTP basic credentials staging requires; both templated (typically
/// `password = "{{secret}}"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagingCredentials {
    /// `user`.
    pub user: Spanned<Template>,
    /// `password`.
    pub password: Spanned<Template>,
}

keywords! {
    /// The behaviour names, as written in `behaviour = "..."`.
    BehaviourName, "behaviour" {
        /// `serve`: the package, 200.
        Serve = "serve",
        /// `status`: the HTTP status `status` instead of the package.
        Status = "status",
        /// `delay`: wait `delay_ms` before the first byte.
        Delay = "delay",
        /// `dribble`: send `chunk_bytes` every `delay_ms`.
        Dribble = "dribble",
        /// `truncate`: promise the full Content-Length, send `after_bytes`, close.
        Truncate = "truncate",
        /// `corrupt`: bytes that are not a valid zip.
        Corrupt = "corrupt",
        /// `redirect`: 302 to the same package under another path.
        Redirect = "redirect",
        /// `zip-slip`: the package plus entries whose names leave the folder it is unpacked
        /// into.
        ZipSlip = "zip-slip",
        /// `zip-bomb`: the package plus entries that expand to 2 GiB of zeros from about 2
        /// MiB.
        ZipBomb = "zip-bomb",
        /// `oversized`: a sound package `over_bytes` beyond the run's declared package limit
        /// (--max-package-bytes).
        Oversized = "oversized",
        /// `silent`: accept the connection, read the request, never answer until the scenario
        /// ends.
        Silent = "silent",
        /// `after-answer`: hold the package request until the harness has read the answer to
        /// the collect (at the latest until the ack deadline), then serve it; HTTP and HTTPS
        /// only.
        AfterAnswer = "after-answer",
    }
}

/// `[collect]`: the collect command, as a change to the default one (`docs/target-mode.md`
/// lists the defaults; the runner builds them).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Collect {
    /// `method`: default `post`.
    pub method: Spanned<Method>,
    /// `target_query`: templated; appended to the target URL's own query; written without
    /// a leading `?` or `&`.
    pub target_query: Option<Spanned<Template>>,
    /// `order`: default `spec`. Not allowed with `raw`.
    pub order: Spanned<Order>,
    /// `remove`: CMI010 elements left out. Not allowed with `raw`.
    pub remove: Vec<Spanned<Element>>,
    /// `[collect.set]`: elements added or overridden, in file order. Any name is allowed
    /// (targets must tolerate unknown elements, CMI010 §6.2, §4.3, and scenarios send them
    /// on purpose); a name must not be removed as well. Not allowed with `raw`.
    pub set: Vec<SetElement>,
    /// `raw`: the whole body (POST) or query (GET), verbatim, templated.
    pub raw: Option<Spanned<Template>>,
    /// `copies`: send this many collects at once (1 to [`MAX_COPIES`], default 1), each
    /// with its own package-id, package URL and receipt/alert URLs, and judge each
    /// against the expectations: concurrent publishes must not mix.
    pub copies: Spanned<u32>,
}

/// One `[collect.set]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetElement {
    /// The element name as written (sent as is).
    pub name: Spanned<String>,
    /// The CMI010 element of that exact name; `None` for an extension element.
    pub element: Option<Element>,
    /// The value, templated.
    pub value: Spanned<Template>,
}

keywords! {
    /// `method`: how the collect travels (CMI010 §5).
    Method, "method" {
        /// `post`: form-urlencoded body, the best practice.
        Post = "post",
        /// `get`: elements in the query string.
        Get = "get",
    }
}

keywords! {
    /// `order`: the order of the elements on the wire; the list is unordered (CMI010 §5),
    /// so a target must not care.
    Order, "order" {
        /// `spec`: the order of the spec's table.
        Spec = "spec",
        /// `reverse`: the opposite.
        Reverse = "reverse",
    }
}
