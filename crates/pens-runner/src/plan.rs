//! A scenario resolved for one run: templates rendered, defaults applied. The
//! evaluation works on this plain form, so it can be tested without files or sockets.

use pens_report::Verdict;

/// A value looked for in what the target sends (`does_not_contain`, `escapes`): as
/// rendered for this run, and as the scenario wrote it, which is what messages show
/// (`{{secret}}` must stay hidden).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Probe {
    /// What to look for.
    pub(crate) value: String,
    /// How to name it.
    pub(crate) shown: String,
}

impl Probe {
    /// A probe for `value`, named `shown`.
    pub(crate) fn new(value: impl Into<String>, shown: impl Into<String>) -> Self {
        Probe { value: value.into(), shown: shown.into() }
    }
}

/// What the answer to the collect must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResponseExpect {
    /// Acceptable codes; `None`: the expected answer pens-proto computes.
    pub(crate) error: Option<Vec<u16>>,
    /// Codes accepted with a warning.
    pub(crate) warn: Vec<u16>,
    /// The verdict for a different non-zero code where only non-zero codes were expected
    /// (the target refused the command, for another reason).
    pub(crate) other_errors: Verdict,
    /// Whether format deviations of the response body count.
    pub(crate) strict: bool,
    /// Values the answer must not carry.
    pub(crate) does_not_contain: Vec<Probe>,
    /// Values an answer rendered as HTML must not carry verbatim.
    pub(crate) escapes: Vec<Probe>,
}

impl Default for ResponseExpect {
    /// The default check: the expected code, strict format (docs/target-mode.md).
    fn default() -> Self {
        ResponseExpect {
            error: None,
            warn: Vec::new(),
            other_errors: Verdict::Warn,
            strict: true,
            does_not_contain: Vec::new(),
            escapes: Vec::new(),
        }
    }
}

/// Which credentials the staging request (or a receipt) must carry: the scenario's own
/// keyword, so the word is defined once (pens-scenario's `credentials` table).
pub(crate) use pens_scenario::CredentialsExpectation as CredentialsExpect;

/// What must happen at the staging server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FetchExpect {
    /// Whether the package is requested at all.
    pub(crate) happens: bool,
    /// The staging listener it must reach, when it matters.
    pub(crate) protocol: Option<pens_scenario::Protocol>,
    /// The credentials presented.
    pub(crate) credentials: CredentialsExpect,
}

/// What the receipts must be.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReceiptExpect {
    /// Exactly this many.
    pub(crate) count: Option<usize>,
    /// Acceptable `error` values.
    pub(crate) error: Option<Vec<u16>>,
    /// Values accepted with a warning.
    pub(crate) warn: Vec<u16>,
    /// Not before the download completed.
    pub(crate) after_fetch: bool,
    /// No receipt may report success.
    pub(crate) never_success: bool,
    /// Field values (rendered).
    pub(crate) fields: Vec<(String, String)>,
    /// Values no receipt may carry.
    pub(crate) does_not_contain: Vec<Probe>,
    /// What an HTTP receipt presents to the receipt URL.
    pub(crate) credentials: CredentialsExpect,
    /// Too few receipts before the deadline only warn (`missing = "warn"`): the
    /// scenario cannot say when the receipt is owed.
    pub(crate) missing_warns: bool,
}

/// What the alerts must be (none is fine unless `at_least` says otherwise).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AlertsExpect {
    /// Not before the receipt.
    pub(crate) after_receipt: bool,
    /// Each one a well-formed alert.
    pub(crate) well_formed: bool,
    /// At least this many.
    pub(crate) at_least: usize,
    /// Some alert carries one of these codes.
    pub(crate) error: Option<Vec<u16>>,
    /// Values no alert may carry.
    pub(crate) does_not_contain: Vec<Probe>,
}

/// What may reach the harness's internal service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InternalExpect {
    /// A request fails (`never`); otherwise it is only reported.
    pub(crate) never: bool,
}

/// One set of expectations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ExpectSet {
    pub(crate) response: Option<ResponseExpect>,
    pub(crate) fetch: Option<FetchExpect>,
    pub(crate) receipt: Option<ReceiptExpect>,
    pub(crate) alerts: Option<AlertsExpect>,
    pub(crate) internal: Option<InternalExpect>,
    /// Where in the scenario file each section's checks point.
    pub(crate) at: crate::location::SetLocations,
}

/// All expectations of a scenario: the common ones, and alternatives of which one must
/// hold entirely.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Expectations {
    pub(crate) common: ExpectSet,
    pub(crate) any_of: Vec<ExpectSet>,
}

impl Expectations {
    /// Every set, common first.
    pub(crate) fn sets(&self) -> impl Iterator<Item = &ExpectSet> {
        std::iter::once(&self.common).chain(&self.any_of)
    }

    /// Every set, common first, to change (observe mode fits borrowed expectations to
    /// what the relay carried).
    pub(crate) fn sets_mut(&mut self) -> impl Iterator<Item = &mut ExpectSet> {
        std::iter::once(&mut self.common).chain(&mut self.any_of)
    }

    /// Whether anything expects a receipt to arrive (so the runner waits for one).
    pub(crate) fn waits_for_receipt(&self) -> bool {
        self.sets().filter_map(|s| s.receipt.as_ref()).any(|r| r.count != Some(0))
    }

    /// Whether anything expects an alert to arrive.
    pub(crate) fn waits_for_alert(&self) -> bool {
        self.sets().filter_map(|s| s.alerts.as_ref()).any(|a| a.at_least > 0 || a.error.is_some())
    }

    /// Whether anything expects the package to be fetched.
    pub(crate) fn waits_for_fetch(&self) -> bool {
        self.sets().filter_map(|s| s.fetch.as_ref()).any(|f| f.happens)
    }
}
