//! What a client scenario file says: how our mock target behaves for the authoring tool
//! under test, and what the tool must do. Every node carries its [`Span`](crate::Span).
//!
//! In client mode pens-conform is the target: the tool sends collects to us, we judge
//! them, fetch its package and send it receipts and alerts, and judge how it answers
//! those. The language is summarised in `docs/client-mode.md` ("Client scenarios"); the
//! doc comments here give each key's type, default and rules as implemented.

use std::path::PathBuf;

use pens_proto::{ErrorCode, Requirement};

use crate::keyword::keywords;
use crate::model::{Method, ScenarioLevel};
use crate::span::{Span, Spanned};

/// The largest `collects` of `[expect]`.
pub const MAX_COLLECTS: u32 = 20;

/// The largest `alerts` of `[target]`.
pub const MAX_ALERTS: u32 = 20;

/// One client scenario file (`scenarios/client/<id>.toml`), loaded and validated.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClientScenario {
    /// The file it was loaded from, as given to the loader.
    pub source: PathBuf,
    /// `id`: kebab-case, equal to the file stem, unique in the directory.
    pub id: Spanned<String>,
    /// `title`: one line saying what passing means.
    pub title: Spanned<String>,
    /// `requirements`: catalogue entries this scenario checks (at least one), resolved.
    /// Requirements that bind only the target are rejected: a client scenario judges
    /// the client.
    pub requirements: Vec<Spanned<&'static Requirement>>,
    /// `level`: `must` (default) or `should`; a `should` scenario's failures are warnings.
    pub level: Spanned<ScenarioLevel>,
    /// `tags`: kebab-case labels for selecting scenarios; default none.
    pub tags: Vec<Spanned<String>>,
    /// `[target]`: how our mock target behaves; a correct target when absent.
    pub target: Spanned<TargetScriptSpec>,
    /// `[expect]`: what the client must do.
    pub expect: ClientExpectations,
}

/// `[target]`: the script our mock target follows for this scenario's collects. Every key
/// is optional; the defaults are a correct target (the computed answer at once, a real
/// fetch, a receipt with the real outcome, one alert after a successful receipt, all by
/// POST).
///
/// Only an answer of 0 leads to a fetch, a receipt and alerts, and alerts only follow a
/// receipt that reports 0: keys that could not act (`fetch = true`, `receipt_error`,
/// `alerts`, `delivery` with a non-zero `answer`; `alerts` with a non-zero
/// `receipt_error`) are load errors.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetScriptSpec {
    /// `answer`: the error code (0-65535) to answer every collect with; `None`: what a
    /// correct target computes for the collect received (pens-proto's `assess_collect`).
    pub answer: Option<Spanned<ErrorCode>>,
    /// `answer_delay_ms`: how long the answer is held back, 0 to 600000; default 0.
    pub answer_delay_ms: Spanned<u64>,
    /// `fetch`: whether our target fetches the package after answering 0; default
    /// `true`. Without a fetch the receipt reports 0 unless `receipt_error` says otherwise.
    pub fetch: Spanned<bool>,
    /// `receipt_error`: the error (0-65535) our receipt reports; `None`: the real outcome
    /// of the fetch (0, 1310, 1312, 1432, ...).
    pub receipt_error: Option<Spanned<ErrorCode>>,
    /// `alerts`: how many alerts follow a receipt that reported 0, 0 to [`MAX_ALERTS`];
    /// default 1.
    pub alerts: Spanned<u32>,
    /// `delivery`: how our receipt and alerts travel; default `post`.
    pub delivery: Spanned<NotificationDelivery>,
    /// `notifications`: what our receipt and alerts carry; default `full`.
    pub notifications: Spanned<NotificationShape>,
}

impl Default for TargetScriptSpec {
    /// A correct target. Its spans are [`Span::default`] (line 0: not from a file).
    fn default() -> Self {
        TargetScriptSpec {
            answer: None,
            answer_delay_ms: Spanned::new(0, Span::default()),
            fetch: Spanned::new(true, Span::default()),
            receipt_error: None,
            alerts: Spanned::new(1, Span::default()),
            delivery: Spanned::new(NotificationDelivery::Post, Span::default()),
            notifications: Spanned::new(NotificationShape::Full, Span::default()),
        }
    }
}

keywords! {
    /// `delivery`: how our receipt and alerts reach the client's `receipt` and `alerts`
    /// URLs (CMI010 §5, §5.1).
    NotificationDelivery, "delivery" {
        /// `post`: a form-urlencoded body, as the spec's examples do.
        Post = "post",
        /// `get`: the message in the query of the URL.
        Get = "get",
    }
}

keywords! {
    /// `notifications`: what our receipt and alerts carry. CMI010 §5.1 leaves their
    /// contents "not fully defined"; its Appendix A examples repeat the collect's data.
    NotificationShape, "notifications" {
        /// `full`: the collect's package data plus the outcome, as the spec's examples.
        Full = "full",
        /// `minimal`: only `command`, `package-id` and `error`, what the text makes
        /// necessary. A client that refuses them is warned about, not failed.
        Minimal = "minimal",
    }
}

/// `[expect]`: what the client must do. `collects` and `[expect.collect]` always apply
/// (with their defaults when not written); the other sections are checked only when
/// written.
///
/// A value or section the file leaves out carries the span of `[expect]`, or 1:1 when
/// the file has no `[expect]`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientExpectations {
    /// `collects`: how many collects the client sends for this scenario, 1 to
    /// [`MAX_COLLECTS`]; default 1.
    pub collects: Spanned<u32>,
    /// `[expect.collect]`: how each collect is judged; defaults when absent.
    pub collect: Spanned<CollectExpectation>,
    /// `[expect.package]`: the package at `package-url`; absent: not checked.
    pub package: Option<Spanned<PackageExpectation>>,
    /// `[expect.answers]`: the client's answers to our receipt and alerts; absent: not
    /// checked.
    pub answers: Option<Spanned<AnswersExpectation>>,
    /// `[expect.namespace]`: the `package-id`s of repeated collects; needs `collects`
    /// of at least 2. Absent: not checked.
    pub namespace: Option<Spanned<NamespaceExpectation>>,
}

impl Default for ClientExpectations {
    /// One collect, judged strictly, nothing else checked; spans [`Span::default`].
    fn default() -> Self {
        ClientExpectations {
            collects: Spanned::new(1, Span::default()),
            collect: Spanned::new(CollectExpectation::default(), Span::default()),
            package: None,
            answers: None,
            namespace: None,
        }
    }
}

/// `[expect.collect]`: judging every collect the client sent with pens-proto's
/// `assess_decoded_collect` (CMI010 §5, §6.2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectExpectation {
    /// `findings`: default `strict`.
    pub findings: Spanned<FindingsMode>,
    /// `method`: the method the collect must use; `None`: either, a GET being only a
    /// warning (`binding.method.post-preferred`).
    pub method: Option<Spanned<Method>>,
}

impl Default for CollectExpectation {
    /// Strict findings, any method; spans [`Span::default`].
    fn default() -> Self {
        CollectExpectation { findings: Spanned::new(FindingsMode::Strict, Span::default()), method: None }
    }
}

keywords! {
    /// `findings`: which of pens-proto's findings on a collect count.
    FindingsMode, "findings mode" {
        /// `strict`: every finding at its level (must: failure, should: warning).
        Strict = "strict",
        /// `lenient`: only must-level findings, as failures.
        Lenient = "lenient",
    }
}

/// `[expect.package]`: the package the client staged (CMI010 §6.2). A check set to
/// `false` is not made; a section that makes none is a load error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageExpectation {
    /// `available`: default `true`: the package can be fetched at `package-url` with the
    /// advertised `package-url-user-id`/`-password`, before `package-url-expiry`
    /// (`client.staging.available`).
    pub available: Spanned<bool>,
    /// `contents`: default `true`: its format and contents fit the declared
    /// `package-format` and `package-type` (pens-package findings: failures for what a
    /// target can only answer 1432, `client.package.importable`; warnings for the rest,
    /// `client.package.format`).
    pub contents: Spanned<bool>,
}

/// `[expect.answers]`: how the client answers our receipt and alerts (CMI010 §5.1,
/// §6.3: a PENS response, CR LF line endings, `error=0`, also when the receipt reports an
/// error). A check set to `false` is not made; a section that makes none is a load error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnswersExpectation {
    /// `receipt`: default `true`: the answer to our receipt. Written `true` where our
    /// target sends no receipt (a non-zero `answer`) is a load error.
    pub receipt: Spanned<bool>,
    /// `alerts`: default `true`: the answer to each alert (vacuous when none is sent).
    /// Written `true` where our target sends none (`alerts = 0`, a non-zero `answer` or
    /// `receipt_error`) is a load error.
    pub alerts: Spanned<bool>,
    /// `within_ms`: the deadline for each answer, 1 to 600000; `None`: the run's.
    pub within_ms: Option<Spanned<u64>>,
}

/// `[expect.namespace]`: repeated publishes keep the `package-id` namespace (CMI010
/// §6.2, `client.package-id.stable-namespace`). Needs `collects` of at least 2.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceExpectation {
    /// `stable`: default `true`: every collect's `package-id` keeps the same namespace
    /// (the producing product's URI prefix, `collect.package-id.namespace`). `false`
    /// checks nothing, which is a load error.
    pub stable: Spanned<bool>,
}
