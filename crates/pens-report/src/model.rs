//! The result model: what `report.json` holds. Documented field by field because
//! vendors' CI scripts read it; bump [`FORMAT_VERSION`] on any incompatible change.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::baseline::{BaselineOutcome, ExpectedFailure};
use crate::location::Location;
use crate::verdict::Verdict;

/// Version of the JSON report format.
///
/// 2: `exchanges[].request` and `.response` hold the exact bytes (base64 when they are
/// not UTF-8) where version 1 held a display form (a CR written as the two characters
/// `\r` and a line break); a script that read version 1's text would misread version 2
/// without noticing, so the meaning change is a new version. Everything else is as in 1.
pub const FORMAT_VERSION: u32 = 2;

/// One run of the harness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunReport {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// Which harness produced it.
    pub harness: Harness,
    /// `target` (testing an LMS), `client` (testing an authoring tool) or `observe`
    /// (judging a real authoring tool and a real LMS while they talk to each other).
    pub mode: String,
    /// When the run started, ISO 8601 UTC.
    pub started_at: String,
    /// Wall-clock length of the run.
    pub duration_ms: u64,
    /// The implementation under test.
    pub target: TargetInfo,
    /// Scenario counts per verdict.
    pub summary: Summary,
    /// Why the run stopped early, when it did (e.g. the preflight was inconclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
    /// How the run measured up against `--baseline`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineOutcome>,
    /// The scenario set the run loaded, as one SHA-256 (hex): over a line
    /// `<file name> <sha256 of the file>` per scenario file, sorted. Two runs with the
    /// same digest judged by the same checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_digest: Option<String>,
    /// Where the scenario set came from: the folder that ran (`./scenarios/target`) or
    /// the set built into the harness (`built-in (pens-conform 0.1.0)`). The digest says
    /// what the files were; this says where they were read. A merged report keeps the
    /// first partition's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_set: Option<String>,
    /// Which slice of the scenario set this run covered (`--partition K/N`), when the set
    /// was spread over several runs; absent for a run of the whole set and for a merged
    /// report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// Set on a report that `pens-conform merge` built from the reports of every
    /// partition of one run: which partitions, and when each ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<MergedFrom>,
    /// What the harness's own parties met during the run that belongs to no scenario or
    /// may have cost a scenario its evidence: traffic to keys of no scenario (counted,
    /// not kept), refused or queued connections, capped FTP passive listeners, running
    /// out of file descriptors. Said once for the run, so that no scenario is blamed
    /// for it and nothing a hostile peer does goes unreported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub harness_notes: Vec<HarnessNote>,
    /// One entry per scenario, in id order.
    pub scenarios: Vec<ScenarioResult>,
}

/// One thing the harness's own parties met during a run (see
/// [`RunReport::harness_notes`]), counted over the whole run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HarnessNote {
    /// A stable kind, for machines: `unsolicited-traffic`, `connections-refused`,
    /// `connections-queued`, `idle-connections-closed`, `passive-listeners-capped`,
    /// `descriptors-exhausted`, ...
    pub kind: String,
    /// Which party of the harness met it: `collector`, `staging`, `ftp-staging`,
    /// `smtp-sink`, `mock-target`, ...
    pub party: String,
    /// How many times it happened over the run.
    pub count: u64,
    /// How many bytes it concerned, when counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// One sentence for a person: what happened and what it means for the verdicts.
    pub message: String,
}

/// One slice of a scenario set spread over several runs (`--partition K/N`), e.g. one
/// CI job of a matrix. The scenarios are assigned before `--only` filters them, so a
/// scenario belongs to the same partition whatever else the command line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Partition {
    /// K: which partition, from 1.
    #[schemars(range(min = 1))]
    pub index: u32,
    /// N: how many partitions the set was spread over.
    #[schemars(range(min = 1))]
    pub count: u32,
    /// How scenarios were assigned to partitions.
    pub kind: PartitionKind,
    /// How many scenarios the whole loaded set had (all partitions, before `--only`).
    pub set_size: usize,
}

/// How scenarios are assigned to the partitions of a set (the kinds of cargo-nextest's
/// `--partition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionKind {
    /// The set sorted by id; the i-th scenario (from 0) goes to partition `i mod N + 1`.
    /// Partitions are as even as can be, but adding a scenario moves the ones after it.
    Count,
    /// The first 8 bytes of the SHA-256 of the id (big-endian) `mod N`, plus 1. A
    /// scenario stays in its partition when others are added or removed; partitions are
    /// only roughly even.
    Hash,
}

impl PartitionKind {
    /// `count` or `hash`, as the command line and `report.json` write it.
    pub fn name(self) -> &'static str {
        match self {
            PartitionKind::Count => "count",
            PartitionKind::Hash => "hash",
        }
    }
}

impl Partition {
    /// `2/3` for a count partition, `hash:2/3` for a hash one: what `--partition` takes.
    pub fn label(&self) -> String {
        match self.kind {
            PartitionKind::Count => format!("{}/{}", self.index, self.count),
            PartitionKind::Hash => format!("hash:{}/{}", self.index, self.count),
        }
    }
}

/// Where a merged report came from: the partitions of one run, each ran on its own
/// (usually in parallel CI jobs). The merged `started_at` is the earliest of theirs and
/// `duration_ms` the longest, the wall-clock time of the whole when they ran in parallel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MergedFrom {
    /// N: how many partitions the set was spread over (all of them are merged).
    #[schemars(range(min = 1))]
    pub count: u32,
    /// How scenarios were assigned to them.
    pub kind: PartitionKind,
    /// How many scenarios the whole loaded set had.
    pub set_size: usize,
    /// Each partition, by index.
    pub partitions: Vec<MergedPartition>,
}

/// One partition of a merged report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MergedPartition {
    /// K, from 1.
    #[schemars(range(min = 1))]
    pub index: u32,
    /// When it started, ISO 8601 UTC.
    pub started_at: String,
    /// How long it ran.
    pub duration_ms: u64,
    /// How many scenario results it contributed.
    pub scenarios: usize,
    /// Why it stopped early, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aborted: Option<String>,
}

/// The harness that produced a report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Harness {
    /// `pens-conform`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The implementation under test, as the profile describes it (no secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TargetInfo {
    /// The PENS endpoint.
    pub url: String,
    /// Name from the profile, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Optional features it claims, as `feature -> yes|no|unknown`.
    pub claims: pens_proto::TargetCapabilities,
    /// What the run saw it do with each optional feature scenarios can need (target
    /// mode): a claim left `unknown` is discovered, and a claim the target contradicts
    /// shows next to what it did. Empty in client mode and for a run that never got to
    /// its scenarios.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<ObservedCapability>,
}

/// What a run saw an implementation do with one optional feature (CMI010 §5, §6.3:
/// FTP, FTPS and `mailto:` are optional, and a target without one answers its error
/// code; §5.1: alerts are optional). With the profile line that states it, so a vendor
/// can paste it under `[claims]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ObservedCapability {
    /// The `[claims]` key: `ftp`, `ftps`, `mailto-receipt`, `mailto-alerts`, `alerts`.
    pub capability: String,
    /// What the profile claims.
    pub claimed: pens_proto::Support,
    /// What the target did: `yes` (it used the feature, or accepted a collect that
    /// needs it without refusing it), `no` (it answered the feature's error code; for
    /// alerts: it sent none), `unknown` (nothing in this run exercised it conclusively).
    pub observed: pens_proto::Support,
    /// What showed it, naming the scenario: `the target requested the package over ftp in
    /// ftp-fetch`.
    pub evidence: String,
    /// The `[claims]` line that states what was observed (`ftp = "yes"`); absent when
    /// nothing was observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_line: Option<String>,
}

impl ObservedCapability {
    /// Whether the profile makes a claim (yes or no) that the target did not bear out.
    pub fn contradicts_claim(&self) -> bool {
        self.claimed != pens_proto::Support::Unknown
            && self.observed != pens_proto::Support::Unknown
            && self.claimed != self.observed
    }
}

/// Scenario counts per verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// All scenarios.
    pub total: usize,
    /// Passed.
    pub pass: usize,
    /// Passed with notes.
    pub info: usize,
    /// A should missed.
    pub warn: usize,
    /// Not applicable to this implementation.
    pub not_applicable: usize,
    /// Could not be judged.
    pub inconclusive: usize,
    /// A must violated.
    pub fail: usize,
    /// The harness failed.
    pub error: usize,
}

impl Summary {
    /// Counts the scenarios' verdicts.
    pub fn of(scenarios: &[ScenarioResult]) -> Summary {
        let mut summary = Summary { total: scenarios.len(), ..Summary::default() };
        for scenario in scenarios {
            *summary.slot(scenario.verdict) += 1;
        }
        summary
    }

    fn slot(&mut self, verdict: Verdict) -> &mut usize {
        match verdict {
            Verdict::Pass => &mut self.pass,
            Verdict::Info => &mut self.info,
            Verdict::Warn => &mut self.warn,
            Verdict::NotApplicable => &mut self.not_applicable,
            Verdict::Inconclusive => &mut self.inconclusive,
            Verdict::Fail => &mut self.fail,
            Verdict::Error => &mut self.error,
        }
    }

    /// How many scenarios got `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        let mut copy = *self;
        *copy.slot(verdict)
    }
}

/// The result of one scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioResult {
    /// The scenario's stable id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The file it was loaded from, relative to the working directory.
    pub file: String,
    /// The worst verdict of its checks.
    pub verdict: Verdict,
    /// The requirement ids it checks.
    pub requirements: Vec<String>,
    /// Its tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// How long it ran.
    pub duration_ms: u64,
    /// Why it is not applicable or inconclusive, or which alternative passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Set when the scenario failed and the baseline expects it to: the failure is
    /// reported but does not fail the run. The verdict stays `fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_failure: Option<ExpectedFailure>,
    /// Every check made, in order.
    pub checks: Vec<CheckResult>,
    /// What was exchanged, in order of time.
    pub exchanges: Vec<Exchange>,
}

/// The note of a scenario that never ran because the run stopped first (the preflight
/// found the target unusable, the trigger could not publish). It says *that* it did not
/// run, not why: the why is [`RunReport::aborted`], given once, so a report of sixty
/// scenarios does not repeat one explanation sixty times.
pub const NOT_RUN_NOTE: &str = "not run: the run stopped before it (the reason is given once, above)";

impl ScenarioResult {
    /// Whether this scenario never ran because the run stopped first ([`NOT_RUN_NOTE`]).
    pub fn is_not_run(&self) -> bool {
        self.verdict == Verdict::Inconclusive && self.note.as_deref() == Some(NOT_RUN_NOTE)
    }

    /// A result with no checks yet.
    pub fn new(id: impl Into<String>, title: impl Into<String>, file: impl Into<String>, verdict: Verdict) -> Self {
        ScenarioResult {
            id: id.into(),
            title: title.into(),
            file: file.into(),
            verdict,
            requirements: Vec::new(),
            tags: Vec::new(),
            duration_ms: 0,
            note: None,
            expected_failure: None,
            checks: Vec::new(),
            exchanges: Vec::new(),
        }
    }

    /// Sets the verdict from the checks (the worst one), keeping a worse verdict
    /// already set (e.g. `error`).
    pub fn settle_verdict(&mut self) {
        let worst = Verdict::worst(self.checks.iter().map(|c| c.verdict));
        self.verdict = self.verdict.max(worst);
    }
}

/// One check of a scenario.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    /// Its verdict.
    pub verdict: Verdict,
    /// The requirement checked.
    pub requirement: String,
    /// Its CMI010 section.
    pub section: String,
    /// What was checked and what was found, in one line.
    pub message: String,
    /// What was expected, when it is not obvious from the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// A unified diff of expected and actual bytes, a display form: CR shown as `\r`, a
    /// backslash doubled (`\\`) so the two cannot be confused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// The scenario line the check judges (`file:line:col` when shown): the expectation's
    /// own key, or what implied the check (the `[collect]` table, the scenario's first
    /// line). Absent on a check of no scenario file and in reports written before
    /// checks kept their place (they still load).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Which party the check judges, in observe mode, where one run judges both the
    /// authoring tool and the LMS: a failure is the fault of the party named here and
    /// of no other. Absent in target and client mode (the party is the mode's one
    /// implementation under test) and in reports written before observe mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<Party>,
}

/// The party an observe-mode check judges (`client` | `target` in report.json).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Party {
    /// The authoring tool (the PENS client): its collect, its staged package, its
    /// answers to receipts and alerts.
    Client,
    /// The LMS (the PENS target): its answer, its fetch, its receipt and alerts.
    Target,
}

impl Party {
    /// The lower-case name reports use: `client`, `target`.
    pub fn name(self) -> &'static str {
        match self {
            Party::Client => "client",
            Party::Target => "target",
        }
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl CheckResult {
    /// A check against a catalogue requirement.
    pub fn new(verdict: Verdict, requirement: &pens_proto::Requirement, message: impl Into<String>) -> Self {
        CheckResult {
            verdict,
            requirement: requirement.id.to_owned(),
            section: requirement.section.to_owned(),
            message: message.into(),
            expected: None,
            actual: None,
            diff: None,
            location: None,
            party: None,
        }
    }

    /// The same check, judging `party` (observe mode).
    pub fn judging(mut self, party: Party) -> Self {
        self.party = Some(party);
        self
    }

    /// `[target] ` or `[client] ` before a check of observe mode, so a reader sees whose
    /// fault a finding is; empty for a check of no party (target and client mode).
    pub fn party_label(&self) -> String {
        self.party.map(|party| format!("[{party}] ")).unwrap_or_default()
    }

    /// The check a protocol finding makes: its level decides the verdict.
    pub fn from_finding(finding: &pens_proto::Finding, context: &str) -> Self {
        let subject = finding.element.as_deref().map(|e| format!("{e}: ")).unwrap_or_default();
        let mut check = CheckResult::new(
            Verdict::of_level(finding.level),
            finding.requirement,
            format!("{context}: {subject}{}", finding.message),
        );
        check.actual = finding.value.clone();
        check
    }

    /// Adds expected and actual values.
    pub fn expected_actual(mut self, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self.actual = Some(actual.into());
        self
    }

    /// Places the check at a scenario line.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Adds a line diff of two texts, control characters shown (`\r`).
    pub fn with_diff(mut self, expected: &str, actual: &str) -> Self {
        let expected = show_line_ends(expected);
        let actual = show_line_ends(actual);
        let diff = similar::TextDiff::from_lines(&expected, &actual);
        self.diff = Some(diff.unified_diff().context_radius(3).header("expected", "actual").to_string());
        self
    }
}

/// Makes CR visible while keeping LF as the line break of the diff. A backslash is
/// doubled first, so that a body holding the characters `\r` reads `\\r`, never the
/// `\r` of a CR.
fn show_line_ends(text: &str) -> String {
    let mut shown = text.replace('\\', "\\\\").replace('\r', "\\r");
    if !shown.ends_with('\n') {
        shown.push_str("\n\\ (no final line break)\n");
    }
    shown
}

/// Which exchange an [`Exchange`] records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ExchangeKind {
    /// Our collect command and the target's answer.
    Collect,
    /// A request the target made to the staging server.
    StagingFetch,
    /// A receipt the target sent.
    Receipt,
    /// An alert the target sent.
    Alert,
}

/// One exchange, with its exact bytes (secrets redacted).
///
/// `request` and `response` hold the bytes exactly as they went over the wire, not a
/// display form: bytes that are valid UTF-8 are the JSON string itself (JSON escapes a
/// CR as `\r` in the file, and a parser gives back the CR), so a body holding the two
/// characters backslash and `r` stays distinguishable from one holding a CR. Bytes that
/// are not UTF-8 are written in base64 (RFC 4648, with padding), and
/// `request_encoding`/`response_encoding` say `"base64"`. A CI script decodes with:
/// `base64.b64decode(x["response"]) if x.get("response_encoding") == "base64" else
/// x["response"].encode()`. Renderers show them through [`Exchange::request_text`] and
/// [`Exchange::response_text`], which make control characters visible.
///
/// What is exact: the body of every message, the request line and query of our collect.
/// What the harness writes around them (the `HTTP 200` status line and headers of an
/// answer, as the HTTP library parsed them, one per line with LF; the method and path
/// before a body it received; the description of a notification our own target sent in
/// client mode) is its own text. Secret values (passwords, the scenario's secret) are
/// replaced by `[redacted]` in the bytes themselves; nothing else is changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exchange {
    /// What it is.
    pub kind: ExchangeKind,
    /// When it started, in milliseconds since the scenario started.
    pub at_ms: u64,
    /// One line: method, URL or path, status, size.
    pub summary: String,
    /// The request (line and body), when we sent it or received it: its exact bytes,
    /// as UTF-8 text or, with `request_encoding`, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// `base64` when `request` holds its bytes in base64 (they are not UTF-8); absent
    /// when `request` is the bytes as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_encoding: Option<BodyEncoding>,
    /// Set when `request` holds only the first bytes (a body is kept up to 16 KiB):
    /// how many bytes the whole had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_total_bytes: Option<u64>,
    /// The answer (status, headers, body): its exact bytes, as UTF-8 text or, with
    /// `response_encoding`, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// `base64` when `response` holds its bytes in base64 (they are not UTF-8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_encoding: Option<BodyEncoding>,
    /// Set when `response` holds only the first bytes: how many bytes the whole had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_total_bytes: Option<u64>,
    /// How long the answer took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}

/// How an [`Exchange`]'s `request` or `response` string holds bytes that are not UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BodyEncoding {
    /// Base64 (RFC 4648 §4, standard alphabet, with padding).
    Base64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_carriage_returns() {
        let check = CheckResult::new(Verdict::Fail, &pens_proto::req::RESPONSE_CRLF, "m")
            .with_diff("error=0\r\nversion=1.0.0\r\n", "error=0\nversion=1.0.0\n");
        let diff = check.diff.expect("diff");
        assert!(diff.contains("-error=0\\r"), "{diff}");
        assert!(diff.contains("+error=0\n"), "{diff}");
    }

    #[test]
    fn diff_tells_a_literal_backslash_r_from_a_carriage_return() {
        let check = CheckResult::new(Verdict::Fail, &pens_proto::req::RESPONSE_CRLF, "m")
            .with_diff("error-text=a\r\n", "error-text=a\\r\n");
        let diff = check.diff.expect("diff");
        assert!(diff.contains("-error-text=a\\r\n"), "{diff}");
        assert!(diff.contains("+error-text=a\\\\r\n"), "{diff}");
    }

    #[test]
    fn summary_counts_each_verdict() {
        let scenario = |verdict| ScenarioResult::new("x", "x", "x.toml", verdict);
        let summary = Summary::of(&[scenario(Verdict::Pass), scenario(Verdict::Fail), scenario(Verdict::Pass)]);
        assert_eq!((summary.total, summary.pass, summary.fail), (3, 2, 1));
        assert_eq!(summary.count(Verdict::Pass), 2);
    }

    #[test]
    fn a_fail_is_never_overwritten_by_a_later_pass() {
        let mut scenario = ScenarioResult::new("x", "x", "x.toml", Verdict::Pass);
        scenario.checks = vec![
            CheckResult::new(Verdict::Fail, &pens_proto::req::RESPONSE_CRLF, "a"),
            CheckResult::new(Verdict::Pass, &pens_proto::req::RESPONSE_CRLF, "b"),
        ];
        scenario.settle_verdict();
        assert_eq!(scenario.verdict, Verdict::Fail);
    }
}

#[cfg(test)]
mod party_tests {
    use super::*;

    /// An observe run: one publish whose target failed and whose client passed.
    fn observe_run() -> RunReport {
        let mut publish = ScenarioResult::new("publish-001", "publish of urn:x:1", "observe", Verdict::Fail);
        publish.checks = vec![
            CheckResult::new(Verdict::Pass, &pens_proto::req::CLIENT_STAGING_AVAILABLE, "fetched 10 bytes")
                .judging(Party::Client),
            CheckResult::new(Verdict::Fail, &pens_proto::req::TARGET_ACK_RESPONSE, "the answer ends in LF")
                .judging(Party::Target),
        ];
        let mut report = crate::fixture::report(vec![publish]);
        report.mode = "observe".into();
        report
    }

    #[test]
    fn every_writer_names_the_party_an_observe_check_judges() {
        let report = observe_run();
        let console = crate::render_console_with(
            &report,
            crate::ConsoleOptions { verbosity: crate::Verbosity::Verbose, ..crate::ConsoleOptions::default() },
        );
        assert!(console.contains("[target] FAIL  [target.ack.response-format]"), "{console}");
        assert!(console.contains("[client] PASS  [client.staging.available]"), "{console}");
        // An observe run's entries are publishes, in the count a person reads first.
        assert!(console.contains("\n1 publish: "), "{console}");
        let markdown = crate::render_markdown(&report);
        assert!(markdown.contains("&#91;target&#93; target.ack.response"), "{markdown}");
        let junit = crate::render_junit(&report).expect("junit");
        assert!(junit.contains("[target] [target.ack.response-format]"), "{junit}");
        let html = crate::render_html(&report);
        assert!(html.contains(r#"<span class="party party-target">[target]</span>"#), "{html}");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["scenarios"][0]["checks"][1]["party"], "target");
        let back: RunReport = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, report);
    }

    #[test]
    fn a_check_of_no_party_writes_none_and_an_old_report_still_loads() {
        let check = CheckResult::new(Verdict::Pass, &pens_proto::req::TARGET_ACK_RESPONSE, "fine");
        assert_eq!(check.party_label(), "");
        let json = serde_json::to_value(&check).expect("json");
        assert!(json.get("party").is_none(), "{json}");
        let old = r#"{"verdict":"pass","requirement":"target.ack.response","section":"CMI010 §6.3","message":"fine"}"#;
        let read: CheckResult = serde_json::from_str(old).expect("an old check loads");
        assert_eq!(read.party, None);
    }
}
