//! `[expect]`: what the target must do, section by section. An absent section is not
//! checked (see [`Scenario::any_of`](crate::Scenario) for the one exception).

use pens_proto::ErrorCode;

use crate::keyword::keywords;
use crate::span::{Span, Spanned};
use crate::template::Template;

/// The largest `count` of `[expect.receipt]`: CMI010 §5.1 wants exactly one receipt, a
/// scenario may ask for 0 or 1, and a little more room costs nothing.
pub const MAX_RECEIPT_COUNT: u32 = 100;

/// One set of sections: the top level of `[expect]`, or one `[[expect.any_of]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Expectations {
    /// `[expect.response]`: the synchronous answer to the collect.
    pub response: Option<Spanned<ResponseExpectation>>,
    /// `[expect.fetch]`: the package request reaching staging.
    pub fetch: Option<Spanned<FetchExpectation>>,
    /// `[expect.receipt]`: the receipt(s) reaching the collector.
    pub receipt: Option<Spanned<ReceiptExpectation>>,
    /// `[expect.alerts]`: the alerts reaching the collector.
    pub alerts: Option<Spanned<AlertsExpectation>>,
    /// `[expect.internal]`: requests reaching the harness's internal service
    /// (`{{internal_url}}`).
    pub internal: Option<Spanned<InternalExpectation>>,
}

impl Expectations {
    /// Whether no section is written.
    pub fn is_empty(&self) -> bool {
        self.response.is_none()
            && self.fetch.is_none()
            && self.receipt.is_none()
            && self.alerts.is_none()
            && self.internal.is_none()
    }
}

/// `[expect.response]` (CMI010 §6.3).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseExpectation {
    /// `error`: acceptable codes (non-empty, 0-65535). `None`: the answer pens-proto's
    /// `assess_collect` expects for the collect actually sent.
    pub error: Option<Vec<Spanned<ErrorCode>>>,
    /// `warn`: codes accepted with a warning; default none; disjoint from `error`.
    pub warn: Vec<Spanned<ErrorCode>>,
    /// `format`: default `strict`.
    pub format: Spanned<ResponseFormat>,
    /// `other_errors`: default `warn`. The verdict when the target refuses the command
    /// with a non-zero code other than the expected ones, where only non-zero codes were
    /// expected (it refused, for another reason). `fail` for scenarios whose point is
    /// the exact code, such as the highest-numbered rule (CMI010 §6.3).
    pub other_errors: Spanned<OtherErrors>,
    /// `does_not_contain`: values (templated, not empty) the answer must not carry,
    /// as sent or percent-decoded; default none. Messages name them as written, so
    /// `{{secret}}` stays hidden.
    pub does_not_contain: Vec<Spanned<Template>>,
    /// `escapes`: values (templated, not empty) that an answer a browser renders as HTML
    /// (text/html, XHTML, or no Content-Type) must not carry verbatim: the target escapes
    /// what it shows, or answers text/plain. Default none.
    pub escapes: Vec<Spanned<Template>>,
}

impl Default for ResponseExpectation {
    /// The check the runner applies when no `response` section is written anywhere: the
    /// expected code, strict format. Its spans are [`Span::default`](crate::Span) (line 0:
    /// not from a file).
    fn default() -> Self {
        ResponseExpectation {
            error: None,
            warn: Vec::new(),
            format: Spanned::new(ResponseFormat::Strict, Span::default()),
            other_errors: Spanned::new(OtherErrors::Warn, Span::default()),
            does_not_contain: Vec::new(),
            escapes: Vec::new(),
        }
    }
}

keywords! {
    /// `format`: how strictly the response body is judged.
    ResponseFormat, "response format" {
        /// `strict`: response-format findings (CR LF, line order, ...) count.
        Strict = "strict",
        /// `lenient`: only a readable `error` line is required.
        Lenient = "lenient",
    }
}

keywords! {
    /// `other_errors`: how a different refusal code is judged.
    OtherErrors, "other-errors verdict" {
        /// `warn`: the target refused, as it should, but with another code.
        Warn = "warn",
        /// `fail`: the exact code is the point of the scenario.
        Fail = "fail",
    }
}

keywords! {
    /// `missing` in `[expect.receipt]`: the verdict when fewer receipts than `count`
    /// arrive before the receipt deadline.
    MissingReceipt, "missing-receipt verdict" {
        /// `fail`: CMI010 §5.1 owes the receipt.
        Fail = "fail",
        /// `warn`: the scenario cannot say when the receipt is owed (CMI010 names no
        /// download timeout: a target still waiting on a silent staging server has broken
        /// no rule yet).
        Warn = "warn",
    }
}

/// `[expect.fetch]`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchExpectation {
    /// `happens`: default `true`; `false`: no request may reach staging. With `false`,
    /// `protocol` and `credentials` are errors.
    pub happens: Spanned<bool>,
    /// `protocol`: the listener the fetch must reach; default: not checked.
    pub protocol: Option<Spanned<Protocol>>,
    /// `credentials`: default `any`. `valid` needs `[staging] user` and `password`.
    pub credentials: Spanned<CredentialsExpectation>,
}

keywords! {
    /// `protocol`: which staging listener.
    Protocol, "protocol" {
        /// `http`.
        Http = "http",
        /// `https`.
        Https = "https",
        /// `ftp`: the plain FTP listener (optional for targets, CMI010 §5).
        Ftp = "ftp",
        /// `ftps`: the explicit-FTPS listener (AUTH TLS; optional, CMI010 §5).
        Ftps = "ftps",
    }
}

keywords! {
    /// `credentials`: what the fetch must present to staging (CMI010 §6.2), or a receipt
    /// to the receipt URL.
    CredentialsExpectation, "credentials expectation" {
        /// `valid`: the staging user and password; for a receipt, the receipt URL's
        /// userinfo as HTTP basic credentials.
        Valid = "valid",
        /// `none`: no credentials at all.
        None = "none",
        /// `any`: not checked.
        Any = "any",
        /// `report`: not judged; a passing check says what was presented.
        Report = "report",
    }
}

impl Default for CredentialsExpectation {
    /// `any`: what an absent `credentials` means.
    fn default() -> Self {
        CredentialsExpectation::Any
    }
}

/// `[expect.receipt]` (CMI010 §5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiptExpectation {
    /// `count`: exactly this many receipts, 0 to [`MAX_RECEIPT_COUNT`]; absent: not
    /// checked (the other keys then judge whatever receipts arrive, e.g. `never_success`
    /// in a scenario where an immediate refusal is also acceptable). With 0, `error`,
    /// `warn`, `after_fetch`, `never_success` and `fields` are errors.
    pub count: Option<Spanned<u32>>,
    /// `error`: acceptable codes (non-empty); `None`: not checked.
    pub error: Option<Vec<Spanned<ErrorCode>>>,
    /// `warn`: codes accepted with a warning; default none; disjoint from `error`.
    pub warn: Vec<Spanned<ErrorCode>>,
    /// `after_fetch`: default `true`: no receipt before the download ended (vacuous when
    /// no fetch happens).
    pub after_fetch: Spanned<bool>,
    /// `never_success`: default `false`; `true`: any receipt with error=0 fails (then 0
    /// must not be in `error`).
    pub never_success: Spanned<bool>,
    /// `fields`: exact values, templated, by notification field name (a CMI010 element
    /// or `command`, `error`, `error-text`); in file order.
    pub fields: Vec<FieldExpectation>,
    /// `does_not_contain`: values (templated, not empty) no receipt may carry, as sent or
    /// percent-decoded; default none.
    pub does_not_contain: Vec<Spanned<Template>>,
    /// `credentials`: what an HTTP receipt presents to the receipt URL; default `any`.
    pub credentials: Spanned<CredentialsExpectation>,
    /// `missing`: default `fail`; `warn`: too few receipts before the deadline only
    /// warn (a wrong receipt that came still fails). Needs `count` of at least 1.
    pub missing: Spanned<MissingReceipt>,
}

/// One `fields` entry of `[expect.receipt]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldExpectation {
    /// The field name.
    pub name: Spanned<String>,
    /// The value it must have, templated.
    pub value: Spanned<Template>,
}

/// `[expect.alerts]` (CMI010 §5.1, Appendix A §2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlertsExpectation {
    /// `after_receipt`: default `true`: no alert before the receipt.
    pub after_receipt: Spanned<bool>,
    /// `well_formed`: default `true`: every alert passes pens-proto's notification checks.
    pub well_formed: Spanned<bool>,
    /// `at_least`: default 0 (alerts are optional, CMI010 §5.1): at least this many
    /// alerts must arrive, for a target that claims to send them.
    pub at_least: Spanned<u32>,
    /// `error`: at least one alert carries one of these codes (e.g. 1432 for a package
    /// that fails to import after a successful receipt); absent: not checked.
    pub error: Option<Vec<Spanned<ErrorCode>>>,
    /// `does_not_contain`: values (templated, not empty) no alert may carry; default none.
    pub does_not_contain: Vec<Spanned<Template>>,
}

/// `[expect.internal]`: the harness's internal service, a loopback listener standing
/// for what sits behind the target's firewall; the collect points at it with
/// `{{internal_url}}`, which the loader requires.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InternalExpectation {
    /// `requested`: default `report`.
    pub requested: Spanned<InternalRequested>,
}

keywords! {
    /// `requested`: how a request to the internal service is judged.
    InternalRequested, "verdict on internal requests" {
        /// `report`: not judged; a passing check says whether the target fetched it.
        Report = "report",
        /// `never`: fetching it fails (a target that claims to refuse internal addresses).
        Never = "never",
    }
}
