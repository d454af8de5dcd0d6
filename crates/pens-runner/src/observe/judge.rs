//! Judging one observed publish: a pure function of its [`PublishEvidence`], with the
//! judges client mode and target mode already have, each check tagged with the party it
//! judges.
//!
//! The attribution rules, so that no defect is blamed on the other party:
//! - the tool is judged as `publish-valid` expects, on what it did: its collect, its
//!   staging as the relay fetched it, its answers to what the relay passed on. What the
//!   target never gave it the chance to do (no fetch, no receipt) is not judged;
//! - the target is judged as the shipped target scenario of the same situation expects
//!   ([`Situation`]): a valid publish as `collect-post-valid`, a tool whose staging
//!   answered 404 as `staging-not-found` (a failure receipt passes), an invalid collect
//!   by the answer CMI010 assigns to it;
//! - where the evidence cannot tell whose doing something was (a transfer cut short, a
//!   target the relay could not reach), the check is `inconclusive` and says why.

use std::time::Duration;

use pens_proto::req;
use pens_report::{CheckResult, Party, Verdict};

use super::evidence::{PublishEvidence, Upstream};
use super::expectations::{self, Situation};
use crate::client::evaluate::ClientSettings;
use crate::engine::Judged;
use crate::evaluate::Settings;
use crate::plan::Expectations;

/// What the run adds to the judging.
pub(crate) struct JudgeSettings<'a> {
    /// The target's deadlines (profile `[timing]`).
    pub(crate) deadlines: &'a crate::Deadlines,
    /// How long the tool may take to answer a receipt or alert.
    pub(crate) answers: Duration,
    /// How far the package inspection may go.
    pub(crate) package_limits: pens_package::Limits,
}

/// Judges a publish: the tool's checks, then the target's, and notes saying what the
/// target was held to and which party failed.
pub(crate) fn judge(evidence: &PublishEvidence, settings: &JudgeSettings<'_>) -> Judged {
    let upstream = &evidence.upstream;
    let mut notes = Vec::new();
    let client = judge_client(evidence, upstream, settings);
    let found = |requirement: &pens_proto::Requirement, at_least: Verdict| {
        client
            .iter()
            .any(|c| c.requirement == requirement.id && c.verdict >= at_least && c.verdict != Verdict::Inconclusive)
    };
    let package = PackageFindings {
        importable: !found(&req::CLIENT_PACKAGE_IMPORTABLE, Verdict::Fail),
        format: found(&req::CLIENT_PACKAGE_FORMAT, Verdict::Warn),
    };
    let target = judge_target(evidence, upstream, package, settings, &mut notes);
    notes.extend(evidence.relay_failures.iter().map(|failure| format!("relay: {failure}")));
    if evidence.carried == super::evidence::Carried::NOTHING {
        notes.push(
            "--no-rewrite: the fetch, the receipt and the alerts went past the harness; only the collect and its \
             answer were judged"
                .to_owned(),
        );
    }
    let mut checks: Vec<CheckResult> = client.into_iter().map(|c| c.judging(Party::Client)).collect();
    checks.extend(target.into_iter().map(|c| c.judging(Party::Target)));
    notes.extend(blame(&checks));
    let mut exchanges = crate::client::suite::exchanges(&evidence.client);
    for exchange in &mut exchanges {
        exchange.summary.insert_str(0, "tool ⇄ harness: ");
    }
    if let Some(target) = &evidence.target {
        exchanges.extend(crate::exchanges::exchanges(target).into_iter().map(|mut exchange| {
            exchange.summary.insert_str(0, "harness ⇄ LMS: ");
            exchange
        }));
    }
    exchanges.sort_by_key(|exchange| exchange.at_ms);
    Judged { checks, notes, exchanges, judging_failed: false }
}

/// What the tool's side found of the package: it decides what a conformant target
/// reports of it.
#[derive(Clone, Copy)]
struct PackageFindings {
    /// No `client.package.importable` failure: a target can import it.
    importable: bool,
    /// Some `client.package.format` finding: the package does not quite fit its declared
    /// type, which a target may refuse (1432) or import anyway.
    format: bool,
}

/// Which party failed, or could not be judged, by its checks: said once in the notes.
fn blame(checks: &[CheckResult]) -> Vec<String> {
    let mut notes = Vec::new();
    for party in [Party::Client, Party::Target] {
        let of = |verdict: Verdict| checks.iter().filter(|c| c.party == Some(party) && c.verdict == verdict).count();
        let who = match party {
            Party::Client => "the authoring tool (client)",
            _ => "the LMS (target)",
        };
        match (of(Verdict::Fail), of(Verdict::Inconclusive)) {
            (0, 0) => {}
            (0, open) => notes.push(format!("{who}: {open} check(s) inconclusive")),
            (failed, _) => notes.push(format!("{who} failed {failed} check(s)")),
        }
    }
    notes
}

/// The tool, as `publish-valid` expects, on what the target let it show.
fn judge_client(evidence: &PublishEvidence, upstream: &Upstream, settings: &JudgeSettings<'_>) -> Vec<CheckResult> {
    let Some(scenario) = expectations::client_scenario() else {
        return vec![CheckResult::new(Verdict::Error, &req::CLIENT_STAGING_AVAILABLE, "publish-valid did not load")];
    };
    let mut expect = scenario.expect.clone();
    let mut script = scenario.target.value.clone();
    // How many alerts come is the target's choice: each one that came is judged.
    script.alerts.value = 0;
    let mut checks = Vec::new();
    if *upstream == Upstream::NotFetched {
        expect.package = None;
        if evidence.carried.package {
            checks.push(CheckResult::new(
                Verdict::Inconclusive,
                &req::CLIENT_STAGING_AVAILABLE,
                "the target never fetched the package, so the tool's staging and package were not put to the test",
            ));
        }
    }
    match &mut expect.answers {
        Some(_) if !evidence.anything_relayed() => expect.answers = None,
        Some(answers) => answers.value.receipt.value = evidence.receipt_relayed(),
        None => {}
    }
    let client_settings = ClientSettings {
        source: &scenario.source,
        main_requirement: scenario.requirements.first().map_or(&req::CLIENT_STAGING_AVAILABLE, |r| r.value),
        expect: &expect,
        script: &script,
        answers_deadline: settings.answers,
        package_limits: settings.package_limits,
    };
    checks.extend(crate::client::evaluate::judge(&evidence.client, &client_settings));
    // What no line of publish-valid asked for stands at its first line.
    let first_line = pens_report::Location::new(scenario.source.display().to_string(), 1, 1);
    for check in checks.iter_mut().filter(|c| c.location.is_none()) {
        check.location = Some(first_line.clone());
    }
    let excuse = match upstream {
        // The transfer ended badly with no sign whose doing that was.
        Upstream::BrokenOff(why) => Some(format!("{why}; whose doing that was cannot be told")),
        Upstream::RangesOnly => Some(RANGES_ONLY.to_owned()),
        Upstream::CredentialsWithheld(status) => Some(format!(
            "the tool's staging answered {status} because the target did not present the credentials the collect \
             advertised: the target's doing"
        )),
        _ => None,
    };
    if let Some(excuse) = excuse {
        let staging = |c: &CheckResult| {
            [&req::CLIENT_STAGING_AVAILABLE, &req::CLIENT_PACKAGE_FORMAT, &req::CLIENT_PACKAGE_IMPORTABLE]
                .iter()
                .any(|r| r.id == c.requirement)
        };
        for check in checks.iter_mut().filter(|c| c.verdict == Verdict::Fail && staging(c)) {
            check.verdict = Verdict::Inconclusive;
            check.message.push_str(&format!(" (not the tool's failure: {excuse})"));
        }
    }
    checks
}

/// The target, as the shipped scenario of the publish's situation expects.
fn judge_target(
    evidence: &PublishEvidence,
    upstream: &Upstream,
    package: PackageFindings,
    settings: &JudgeSettings<'_>,
    notes: &mut Vec<String>,
) -> Vec<CheckResult> {
    let Some(target) = &evidence.target else {
        let why = evidence.relay_failures.first().map_or("the relay did not forward it", String::as_str);
        let message = format!("the collect never reached the target ({why}): the target is not judged");
        return vec![CheckResult::new(Verdict::Inconclusive, &req::TARGET_ACK_SYNCHRONOUS, message)];
    };
    if target.exchange.refused {
        let message = "the relay could not connect to the target (nothing listens there: a wrong --target URL, or the \
                       LMS is down): the target is not judged";
        return vec![CheckResult::new(Verdict::Inconclusive, &req::TARGET_ACK_SYNCHRONOUS, message)];
    }
    let situation = situate(evidence, upstream, package.importable);
    let package_id = target.command.package_id.clone().unwrap_or_default();
    let now = evidence.client.started_utc;
    let (mut expectations, main) = match situation {
        Some(situation) => match expectations::target_for(situation, &package_id, now) {
            Some(found) => found,
            None => {
                let message = format!("{} did not load", situation.scenario_id());
                return vec![CheckResult::new(Verdict::Error, &req::TARGET_ACK_SYNCHRONOUS, message)];
            }
        },
        None => expectations::target_for_invalid(&target.expected),
    };
    notes.push(match situation {
        Some(situation) if situation.client_defect() => format!(
            "the tool's side went wrong ({}): the target is held to what scenario {} expects of it then, not \
             failed for the tool's defect",
            describe(upstream, situation),
            situation.scenario_id()
        ),
        Some(situation) => format!("the target is held to scenario {}", situation.scenario_id()),
        None => "the tool's collect is invalid: the target is held to the answer CMI010 assigns to it".to_owned(),
    });
    let mut checks = Vec::new();
    adjust(&mut expectations, evidence, upstream, &mut checks);
    if package.format && situation.is_some_and(|s| !s.client_defect()) {
        // A package that does not quite fit its type may be refused: 1432 passes too.
        for receipt in expectations.sets_mut().filter_map(|set| set.receipt.as_mut()) {
            if let Some(codes) = receipt.error.as_mut().filter(|codes| codes.contains(&0)) {
                codes.push(pens_proto::ErrorCode::INTERNAL_PACKAGE_ERROR.0);
            }
        }
        notes
            .push("the package does not quite fit its declared type: a receipt of 1432 passes as well as 0".to_owned());
    }
    if let Upstream::CredentialsWithheld(_) = upstream {
        // The target is held to presenting what the collect advertised.
        for fetch in expectations.sets_mut().filter_map(|set| set.fetch.as_mut()) {
            fetch.credentials = crate::plan::CredentialsExpect::Valid;
        }
    }
    let judgement = crate::evaluate::judge(
        target,
        &expectations,
        &Settings { main_requirement: main, deadlines: settings.deadlines },
    );
    notes.extend(judgement.note);
    checks.splice(0..0, judgement.checks);
    if let Some(situation) = situation {
        // What no line of the borrowed scenario asked for stands at its first line.
        let first_line = pens_report::Location::new(expectations::source_of(situation), 1, 1);
        for check in checks.iter_mut().filter(|c| c.location.is_none()) {
            check.location = Some(first_line.clone());
        }
    }
    checks
}

/// The situation of the publish, or `None` for a collect CMI010 has the target refuse.
fn situate(evidence: &PublishEvidence, upstream: &Upstream, importable: bool) -> Option<Situation> {
    let target = evidence.target.as_ref()?;
    if target.expected.problems.iter().any(|p| p.requirement.id == req::TARGET_EXPIRED_PACKAGE.id) {
        return Some(Situation::Expired);
    }
    if !target.expected.accepts(pens_proto::ErrorCode::SUCCESS) {
        return None;
    }
    let get = target.exchange.request_line.starts_with("GET");
    Some(match upstream {
        Upstream::Status(401 | 403) => Situation::StagingRefusedCredentials,
        Upstream::Status(status) if *status >= 500 => Situation::StagingServerError,
        Upstream::Status(_) => Situation::StagingNotFound,
        Upstream::NoAnswer(_) => Situation::StagingUnreachable,
        Upstream::Truncated(_) => Situation::StagingTruncated,
        Upstream::Served if !importable => Situation::PackageNotImportable,
        _ if get => Situation::ValidGet,
        _ => Situation::ValidPost,
    })
}

/// What went wrong on the tool's side, in words.
fn describe(upstream: &Upstream, situation: Situation) -> String {
    match (upstream, situation) {
        (_, Situation::Expired) => "the collect's package-url-expiry had passed".to_owned(),
        (Upstream::Status(status), _) => format!("the tool's staging answered HTTP {status}"),
        (Upstream::NoAnswer(why), _) => format!("the tool's staging could not be reached: {why}"),
        (Upstream::Truncated(why), _) => format!("the tool's staging broke the package off: {why}"),
        _ => "the package is not importable".to_owned(),
    }
}

/// The borrowed expectations, fitted to what the relay carried and saw.
fn adjust(
    expectations: &mut Expectations,
    evidence: &PublishEvidence,
    upstream: &Upstream,
    checks: &mut Vec<CheckResult>,
) {
    let carried = evidence.carried;
    let https = evidence
        .target
        .as_ref()
        .and_then(|t| t.command.package_url.as_deref())
        .is_some_and(|u| u.starts_with("https:"));
    for set in expectations.sets_mut() {
        if let Some(fetch) = set.fetch.as_mut().filter(|f| f.protocol.is_some()) {
            // The relay stages on the scheme of the tool's own package URL.
            fetch.protocol = Some(if https { pens_scenario::Protocol::Https } else { pens_scenario::Protocol::Http });
        }
        if !carried.package {
            // The fetch went straight to the tool's server (an ftp package URL, or
            // --no-rewrite): whether it succeeded is unknown, so the receipt's outcome is
            // not held to one.
            set.fetch = None;
            if let Some(receipt) = &mut set.receipt {
                receipt.after_fetch = false;
                receipt.error = None;
                receipt.warn.clear();
                receipt.never_success = false;
            }
        }
        if !carried.receipt {
            set.receipt = None;
        }
        if !carried.alerts {
            set.alerts = None;
        }
        if let (Upstream::BrokenOff(_) | Upstream::RangesOnly, Some(receipt)) = (upstream, &mut set.receipt) {
            receipt.error = None;
            receipt.warn.clear();
            receipt.never_success = false;
        }
    }
    let unjudged = match upstream {
        Upstream::BrokenOff(why) => Some(format!(
            "the package did not pass whole from the tool's staging to the target ({why}); whose doing that was \
             cannot be told, so the outcome the receipt reports is not judged"
        )),
        Upstream::RangesOnly => Some(format!("{RANGES_ONLY}, so the outcome the receipt reports is not judged")),
        _ => None,
    };
    if let (Some(message), true) = (unjudged, carried.receipt) {
        checks.push(CheckResult::new(Verdict::Inconclusive, &req::TARGET_RECEIPT_OUTCOME, message));
    }
}

/// Why a publish whose downloads were all ranges (`206`) has no package to judge.
const RANGES_ONLY: &str = "the target fetched the package only by ranges (HTTP 206), never whole: the relay did not \
                           see the package it imported";
