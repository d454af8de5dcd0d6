//! Judging a client scenario: pure functions from [`ClientEvidence`] and the scenario's
//! expectations to [`CheckResult`]s.
//!
//! - collect: every collect the tool sent, through pens-proto's `assess_decoded_collect`
//!   (strict: every finding at its level; lenient: must-level ones only), plus the method;
//! - package: whether our target could fetch it (`client.staging.available`) and whether
//!   it fits its declared type (pens-package: `client.package.importable`, a must, for
//!   what a target can only answer 1432; `client.package.format`, a should, for the
//!   rest), inspected from
//!   the kept package a piece at a time (its temp file when large): the one part of
//!   judging that reads the disk, so judging runs on a blocking thread;
//! - answers: the tool's answer to each receipt and alert (`client.notification.response`
//!   and the response format's own requirements);
//! - namespace: repeated publishes keep the `package-id` namespace.

use std::time::Duration;

use pens_parties::{Delivery, Limit, TargetEvent, TargetEventKind};
use pens_proto::{
    CheckContext, CollectCommand, ErrorCode, Level, NOTIFICATION_FIELDS, NotificationKind, Requirement,
    assess_decoded_collect, req,
};
use pens_report::{CheckResult, Verdict};
use pens_scenario::{
    AnswersExpectation, ClientExpectations, FindingsMode, Method, PackageExpectation, TargetScriptSpec,
};

use super::evidence::{ClientEvidence, Received};
use crate::checks::answer::{Answer, AnswerRules};

/// What the scenario and the run add to the evidence.
pub(crate) struct ClientSettings<'a> {
    /// The scenario file as loaded: the checks point at its lines.
    pub(crate) source: &'a std::path::Path,
    /// The scenario's first requirement: cited when a collect is missing or clean.
    pub(crate) main_requirement: &'static Requirement,
    /// What the client must do.
    pub(crate) expect: &'a ClientExpectations,
    /// How our target behaved (decides which receipts and alerts to expect).
    pub(crate) script: &'a TargetScriptSpec,
    /// The deadline of each answer when the scenario sets none.
    pub(crate) answers_deadline: Duration,
    /// How far the package inspection may go (within `[limits]`).
    pub(crate) package_limits: pens_package::Limits,
}

/// Judges everything the scenario expects.
/// Each check points at the line of the scenario that asked for it.
pub(crate) fn judge(evidence: &ClientEvidence, settings: &ClientSettings<'_>) -> Vec<CheckResult> {
    let at = crate::location::client(settings.source, settings.expect, settings.main_requirement);
    let located = |mut checks: Vec<CheckResult>, at: &crate::location::SectionLocation| {
        at.place(&mut checks);
        checks
    };
    let mut checks = located(judge_collects(evidence, settings), &at.collect);
    if let Some(package) = &settings.expect.package {
        checks.extend(located(judge_package(evidence, &package.value, &settings.package_limits), &at.package));
    }
    if let Some(answers) = &settings.expect.answers {
        checks.extend(located(judge_answers(evidence, &answers.value, settings), &at.answers));
    }
    if settings.expect.namespace.as_ref().is_some_and(|n| n.value.stable.value) {
        checks.extend(located(vec![judge_namespace(evidence)], &at.namespace));
    }
    checks.extend(flood(evidence, settings));
    checks
}

/// Collects beyond `[limits] notifications` for the scenario were answered 1440 and
/// counted, not kept: `inconclusive`, since they were not judged (a tool publishes a
/// scenario's course at most 20 times; the flood itself says something is wrong, but
/// not what).
fn flood(evidence: &ClientEvidence, settings: &ClientSettings<'_>) -> Option<CheckResult> {
    let overflow = evidence.collect_overflow?;
    let words = crate::checks::flood::FloodWords {
        peer: "the tool",
        what: "collects",
        taken: "taken",
        answered: "answered 1440",
        since: "the scenario started",
    };
    let offset = |at| evidence.offset_ms(at);
    Some(crate::checks::flood::check(&overflow, &words, offset, settings.main_requirement))
}

/// The verdict of a cap our target reached while fetching: a redirect back to a URL
/// already requested means the package can never be reached (`fail`); a long redirect
/// chain, a redirect to another host or a package beyond `[limits] package-bytes` may
/// be legitimate, the harness just does not go there (`inconclusive`); a zip over the
/// zip caps was fetched all the same (`pass` for availability, its contents are
/// `inconclusive`).
fn breach_verdict(limit: Limit) -> Verdict {
    match limit {
        Limit::RedirectLoop => Verdict::Fail,
        Limit::ZipEntries | Limit::UnpackedBytes => Verdict::Pass,
        _ => Verdict::Inconclusive,
    }
}

fn label(index: usize, total: usize) -> String {
    if total == 1 { "collect".to_owned() } else { format!("collect {} of {total}", index + 1) }
}

/// The collect as the mock target read it: a GET query, or a POST body by its
/// `Content-Type` (a form or `multipart/form-data`, the latter with one finding naming
/// the media type, CMI010 App. A).
fn decode(collect: &Received<'_>) -> pens_proto::DecodedCollect {
    if collect.method.eq_ignore_ascii_case("GET") {
        CollectCommand::decode(collect.raw)
    } else {
        CollectCommand::decode_post(collect.content_type, collect.raw)
    }
}

/// Every collect through pens-proto, the method, and whether enough came.
pub(crate) fn judge_collects(evidence: &ClientEvidence, settings: &ClientSettings<'_>) -> Vec<CheckResult> {
    let expected = settings.expect.collects.value as usize;
    let collect = &settings.expect.collect.value;
    let strict = collect.findings.value == FindingsMode::Strict;
    let received = evidence.collects();
    // Collects refused before they were read whole arrived all the same: said as such
    // (a warning each), never as "no collect arrived" (super::refused).
    let mut checks = super::refused::judge_refusals(evidence);
    let refused = checks.len();
    // A collect that did not arrive while the mock target was full may have been among
    // the connections that waited or were closed (evaluate::saturation, the same rule
    // as target mode's): inconclusive, saying so, never a failure.
    let (missing_verdict, lost) = match &evidence.saturated {
        Some(saturated) => {
            (Verdict::Inconclusive, format!("; but {}", crate::evaluate::saturation_account(saturated, "its collects")))
        }
        None => (Verdict::Fail, String::new()),
    };
    if received.is_empty() {
        checks.push(match super::refused::nothing_judged(evidence) {
            Some(why) => CheckResult::new(Verdict::Inconclusive, settings.main_requirement, why),
            // Its collect may be among those refused without a readable key: the
            // evidence cannot tell, so no failure.
            None if evidence.unowned_refusals > 0 => CheckResult::new(
                Verdict::Inconclusive,
                settings.main_requirement,
                format!(
                    "no collect arrived at this scenario's URL {}, but {} collect(s) whose path named no scenario were \
                     refused as too large while it waited (the run's harness notes, `collect-refused`): one may have \
                     been this scenario's, so the harness cannot tell whether the tool published{lost}",
                    evidence.collect_watch().within(),
                    evidence.unowned_refusals
                ),
            ),
            None => CheckResult::new(
                missing_verdict,
                settings.main_requirement,
                format!("no collect arrived {}{lost}", evidence.collect_watch().within()),
            ),
        });
        return checks;
    }
    if received.len() < expected && received.len() + refused >= expected {
        checks.push(CheckResult::new(
            Verdict::Inconclusive,
            settings.main_requirement,
            format!(
                "{} of {expected} collects arrived, {refused} of them refused before they were read whole: those could not be judged",
                received.len() + refused
            ),
        ));
    } else if received.len() < expected {
        checks.push(
            CheckResult::new(
                missing_verdict,
                settings.main_requirement,
                format!(
                    "only {} of {expected} collects arrived: none came for the next publish {}{lost}",
                    received.len(),
                    evidence.collect_watch().within()
                ),
            )
            .expected_actual(expected.to_string(), received.len().to_string()),
        );
    } else if received.len() > expected {
        checks.push(CheckResult::new(
            Verdict::Info,
            settings.main_requirement,
            format!("{} collects arrived where {expected} were triggered; every one is judged", received.len()),
        ));
    }
    let total = received.len();
    for (index, collect_received) in received.iter().enumerate() {
        let name = label(index, total);
        let decoded = decode(collect_received);
        let context = CheckContext::at(evidence.utc(collect_received.event.at));
        let assessment = assess_decoded_collect(&decoded, &context);
        let counted: Vec<CheckResult> = assessment
            .findings
            .iter()
            .filter(|f| strict || f.level == Level::Must)
            .map(|f| CheckResult::from_finding(f, &name))
            .collect();
        if counted.iter().all(|c| c.verdict < Verdict::Warn) {
            let scope = if strict { "no findings" } else { "no must-level findings" };
            checks.push(CheckResult::new(
                Verdict::Pass,
                settings.main_requirement,
                format!("{name}: {} with {scope}", collect_received.method),
            ));
        }
        checks.extend(counted);
        let is_get = collect_received.method.eq_ignore_ascii_case("GET");
        match collect.method.as_ref().map(|m| m.value) {
            Some(Method::Post) if is_get => checks.push(
                CheckResult::new(
                    Verdict::Fail,
                    &req::BINDING_POST_PREFERRED,
                    format!("{name} came by GET; this scenario requires a form POST"),
                )
                .expected_actual("POST", "GET"),
            ),
            Some(Method::Post) => checks.push(CheckResult::new(
                Verdict::Pass,
                &req::BINDING_POST_PREFERRED,
                format!("{name} came by POST"),
            )),
            Some(Method::Get) if !is_get => checks.push(
                CheckResult::new(
                    Verdict::Fail,
                    settings.main_requirement,
                    format!("{name} came by {}; this scenario requires GET", collect_received.method),
                )
                .expected_actual("GET", collect_received.method),
            ),
            Some(Method::Get) => {}
            None if is_get => checks.push(CheckResult::new(
                Verdict::Warn,
                &req::BINDING_POST_PREFERRED,
                format!("{name} came by GET; a form POST is best practice (CMI010 §5)"),
            )),
            None => {}
        }
    }
    checks
}

/// The fetch our target made for each collect it answered 0, and what it got.
pub(crate) fn judge_package(
    evidence: &ClientEvidence,
    expect: &PackageExpectation,
    limits: &pens_package::Limits,
) -> Vec<CheckResult> {
    let received = evidence.collects();
    let accepted: Vec<&Received<'_>> = received.iter().filter(|c| c.answer.is_success()).collect();
    let mut checks = Vec::new();
    let not_judged = |why: String| CheckResult::new(Verdict::Inconclusive, &req::CLIENT_STAGING_AVAILABLE, why);
    if received.is_empty() {
        let why = super::refused::nothing_judged(evidence).unwrap_or_else(|| "no collect arrived".to_owned());
        checks.push(not_judged(format!("{why}: no package to fetch")));
        return checks;
    }
    if !evidence.script_fetches {
        checks.push(not_judged("this scenario's target does not fetch (fetch = false)".to_owned()));
        return checks;
    }
    if accepted.is_empty() {
        let codes: Vec<String> = received.iter().map(|c| c.answer.to_string()).collect();
        checks.push(not_judged(format!(
            "our target answered {} to the collect, so it did not fetch the package",
            codes.join(", ")
        )));
        return checks;
    }
    let mut available = false;
    if expect.available.value {
        for collect in &accepted {
            let check = availability(evidence, collect);
            available |= check.verdict == Verdict::Pass;
            checks.push(check);
        }
    } else {
        available = accepted.iter().any(|c| availability(evidence, c).verdict == Verdict::Pass);
    }
    if expect.contents.value {
        checks.extend(contents(evidence, accepted.last().copied(), available, limits));
    }
    checks
}

fn availability(evidence: &ClientEvidence, collect: &Received<'_>) -> CheckResult {
    let exchange = collect.event.exchange;
    let presented = evidence.of_exchange(exchange).find_map(|e| match &e.kind {
        TargetEventKind::FetchStarted { credentials, .. } => Some(*credentials),
        _ => None,
    });
    let finished = evidence.of_exchange(exchange).find_map(|e| match &e.kind {
        TargetEventKind::FetchFinished { http_status, bytes, result, detail } => {
            Some((*http_status, *bytes, *result, detail.as_str()))
        }
        _ => None,
    });
    let requirement = &req::CLIENT_STAGING_AVAILABLE;
    let Some(presented) = presented else {
        return CheckResult::new(Verdict::Fail, requirement, "our target did not get to fetch the package in time");
    };
    let Some((status, bytes, result, detail)) = finished else {
        return CheckResult::new(Verdict::Fail, requirement, "the fetch of package-url had not ended by the deadline");
    };
    if let Some(breach) = evidence.breach_of(exchange).filter(|b| breach_verdict(b.limit) != Verdict::Pass) {
        return CheckResult::new(breach_verdict(breach.limit), requirement, breach.message.clone());
    }
    let over_zip_caps = evidence.breach_of(exchange).is_some();
    let retrieved = status.is_some_and(|s| (200..300).contains(&s))
        && (result.is_success()
            || (result == ErrorCode::INTERNAL_PACKAGE_ERROR && (evidence.package.is_some() || over_zip_caps)));
    let shown_status = status.map_or_else(|| "no HTTP answer".to_owned(), |s| format!("HTTP {s}"));
    if retrieved {
        return CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("fetched {bytes} bytes at package-url ({shown_status})"),
        );
    }
    let message = match status {
        Some(401 | 403) if presented => format!(
            "the staging server refused the credentials the collect advertised ({shown_status}): our target presented \
             package-url-user-id and package-url-password exactly as sent; they must open package-url"
        ),
        Some(401 | 403) => format!(
            "the staging server asks for credentials ({shown_status}) but the collect advertised none: send \
             package-url-user-id and package-url-password, or stage the package openly"
        ),
        Some(404) => "package-url answers HTTP 404: no package is staged there".to_owned(),
        _ => format!("cannot fetch package-url ({shown_status}, {bytes} bytes): {detail}"),
    };
    CheckResult::new(Verdict::Fail, requirement, message).expected_actual("HTTP 200 and the package", shown_status)
}

fn contents(
    evidence: &ClientEvidence,
    collect: Option<&Received<'_>>,
    available: bool,
    limits: &pens_package::Limits,
) -> Vec<CheckResult> {
    let requirement = &req::CLIENT_PACKAGE_FORMAT;
    // A package beyond the caps was not (or not wholly) looked into: nothing to judge.
    if let Some(breach) = collect.and_then(|c| evidence.breach_of(c.event.exchange)) {
        let message = format!("the package's contents are not judged: {breach}");
        return vec![CheckResult::new(Verdict::Inconclusive, requirement, message)];
    }
    let (Some(package), Some(collect)) = (&evidence.package, collect) else {
        let why = if available {
            "the package was fetched but not kept for inspection: its contents are not judged"
        } else {
            "the package could not be fetched: its contents are not judged"
        };
        return vec![CheckResult::new(Verdict::Inconclusive, requirement, why)];
    };
    let command = decode(collect).command;
    let declared = pens_package::Declared::new(command.package_format.as_deref(), command.package_type.as_deref())
        .with_version(command.package_type_version.as_deref());
    // Read from the target's temp file a piece at a time when it is large: a package of
    // any size up to `[limits] package-bytes` is judged in bounded memory.
    let report = match package.open() {
        Ok(reader) => pens_package::inspect_reader(reader, package.len(), &declared, limits),
        Err(error) => {
            let message = format!("the fetched package cannot be read back for inspection: {error}");
            return vec![CheckResult::new(Verdict::Inconclusive, requirement, message)];
        }
    };
    // Our side failed to read it: that says nothing about the tool's package.
    if let Some(reason @ pens_package::Unreadable::ReadFailed { .. }) = &report.unreadable {
        return vec![CheckResult::new(Verdict::Inconclusive, requirement, reason.to_string())];
    }
    let mut checks: Vec<CheckResult> =
        report.findings.iter().map(|f| CheckResult::from_finding(f, "package")).collect();
    if checks.iter().all(|c| c.verdict < Verdict::Warn) {
        checks.insert(
            0,
            CheckResult::new(
                Verdict::Pass,
                requirement,
                format!(
                    "{} bytes, a {} holding {} in {} files: fits package-format {} and package-type {}",
                    package.len(),
                    report.format.name(),
                    report.kind().name(),
                    report.files.total,
                    command.package_format.as_deref().unwrap_or("(none)"),
                    command.package_type.as_deref().unwrap_or("(none)"),
                ),
            ),
        );
    }
    checks
}

/// One receipt or alert our target sent, or tried to.
enum Sent<'a> {
    Delivered {
        error: ErrorCode,
        /// The names of the fields the message carried.
        fields: &'a [String],
        delivery: &'a Delivery,
    },
    /// Mailed to a `mailto:` URL: nobody answers a mail (CMI010 §5); `failure` says why
    /// the relay did not take it, when it did not.
    Mailed {
        error: ErrorCode,
        failure: Option<&'a str>,
    },
    Skipped(&'a str),
}

fn sent_of<'a>(events: &[&'a TargetEvent], wanted: NotificationKind) -> Vec<Sent<'a>> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            TargetEventKind::NotificationSent { kind, error, fields, delivery, .. } if *kind == wanted => {
                Some(Sent::Delivered { error: *error, fields, delivery })
            }
            TargetEventKind::NotificationMailed { kind, error, failure, .. } if *kind == wanted => {
                Some(Sent::Mailed { error: *error, failure: failure.as_deref() })
            }
            TargetEventKind::NotificationSkipped { kind, reason } if *kind == wanted => Some(Sent::Skipped(reason)),
            _ => None,
        })
        .collect()
}

/// A receipt or alert that went by mail: there is no answer to judge (CMI010 §5), so
/// the check only says whether it left; a relay that refused it is our set-up's
/// problem, not the tool's.
fn mailed(what: &str, failure: Option<&str>, requirement: &'static pens_proto::Requirement) -> CheckResult {
    match failure {
        None => CheckResult::new(
            Verdict::NotApplicable,
            requirement,
            format!("{what} was mailed to the tool's mailto: address; a mail gets no PENS answer"),
        ),
        Some(failure) => CheckResult::new(
            Verdict::Inconclusive,
            requirement,
            format!("{what} could not be mailed ({failure}): give --smtp-relay the tool's mail server"),
        ),
    }
}

/// The tool's answers to the receipt and alerts of every collect our target answered 0.
pub(crate) fn judge_answers(
    evidence: &ClientEvidence,
    expect: &AnswersExpectation,
    settings: &ClientSettings<'_>,
) -> Vec<CheckResult> {
    let requirement = &req::CLIENT_ANSWERS_NOTIFICATIONS;
    let within = expect.within_ms.as_ref().map_or(settings.answers_deadline, |ms| Duration::from_millis(ms.value));
    let received = evidence.collects();
    let not_judged = |why: String| vec![CheckResult::new(Verdict::Inconclusive, requirement, why)];
    if received.is_empty() {
        let why = super::refused::nothing_judged(evidence).unwrap_or_else(|| "no collect arrived".to_owned());
        return not_judged(format!("{why}: no receipt or alert was sent"));
    }
    let accepted: Vec<&Received<'_>> = received.iter().filter(|c| c.answer.is_success()).collect();
    if accepted.is_empty() {
        let codes: Vec<String> = received.iter().map(|c| c.answer.to_string()).collect();
        return not_judged(format!(
            "our target answered {} to the collect, so it sent no receipt or alert",
            codes.join(", ")
        ));
    }
    let mut checks = Vec::new();
    let many = accepted.len() > 1;
    for (index, collect) in accepted.iter().enumerate() {
        let prefix = if many { format!("publish {}: ", index + 1) } else { String::new() };
        let events: Vec<&TargetEvent> = evidence.of_exchange(collect.event.exchange).collect();
        let receipts = sent_of(&events, NotificationKind::Receipt);
        let mut receipt_reported_success = None;
        if let Some(Sent::Delivered { error, .. } | Sent::Mailed { error, .. }) = receipts.first() {
            receipt_reported_success = Some(error.is_success());
        }
        if expect.receipt.value {
            match receipts.first() {
                Some(Sent::Delivered { error, fields, delivery }) => {
                    let what = format!("{prefix}receipt (error={error})");
                    checks.extend(judge_delivery_carrying(&what, delivery, fields, within));
                }
                Some(Sent::Mailed { error, failure }) => {
                    checks.push(mailed(&format!("{prefix}receipt (error={error})"), *failure, requirement))
                }
                Some(Sent::Skipped(reason)) => checks.push(CheckResult::new(
                    Verdict::Inconclusive,
                    requirement,
                    format!("{prefix}our receipt could not be sent: {reason}"),
                )),
                None => checks.push(missing(&format!("{prefix}our receipt"), evidence, within)),
            }
        }
        if expect.alerts.value {
            let alerts = sent_of(&events, NotificationKind::Alert);
            // Alerts follow only a receipt that reported 0.
            let due = if receipt_reported_success == Some(true)
                || (receipts.is_empty() && settings.script.receipt_error.is_none())
            {
                settings.script.alerts.value as usize
            } else {
                0
            };
            for (number, alert) in alerts.iter().enumerate() {
                let what = format!("{prefix}alert {} of {}", number + 1, due.max(alerts.len()));
                match alert {
                    Sent::Delivered { fields, delivery, .. } => {
                        checks.extend(judge_delivery_carrying(&what, delivery, fields, within))
                    }
                    Sent::Mailed { failure, .. } => checks.push(mailed(&what, *failure, requirement)),
                    Sent::Skipped(reason) => checks.push(CheckResult::new(
                        Verdict::Info,
                        requirement,
                        format!("{what} was not sent: {reason} (alerts are optional)"),
                    )),
                }
            }
            for number in alerts.len()..due {
                checks.push(missing(&format!("{prefix}alert {} of {due}", number + 1), evidence, within));
            }
        }
    }
    checks
}

/// A receipt or alert that was due but whose exchange had not ended by the deadline.
fn missing(what: &str, evidence: &ClientEvidence, within: Duration) -> CheckResult {
    let message = if evidence.background_timed_out {
        format!("{what} was not answered in time (deadline {} ms per answer)", within.as_millis())
    } else {
        format!("{what} was never sent: our target's exchange ended without it")
    };
    let verdict = if evidence.background_timed_out { Verdict::Fail } else { Verdict::Inconclusive };
    CheckResult::new(verdict, &req::CLIENT_ANSWERS_NOTIFICATIONS, message)
}

/// The tool's answer to one receipt or alert: a PENS response (CR LF, the four lines),
/// `error=0`, in time.
#[cfg(test)]
pub(crate) fn judge_delivery(what: &str, delivery: &Delivery, within: Duration) -> Vec<CheckResult> {
    let every_field: Vec<String> = NOTIFICATION_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    judge_delivery_carrying(what, delivery, &every_field, within)
}

/// The fields of the spec's examples a receipt or alert left out.
fn left_out(fields: &[String]) -> Vec<&'static str> {
    NOTIFICATION_FIELDS.into_iter().filter(|name| !fields.iter().any(|f| f == name)).collect()
}

/// The verdict on a client that refused (a non-zero `error`) a receipt or alert that
/// carried only `fields`, leaving out some of the collect's data: a warning, not a
/// failure. CMI010 §5.1 leaves their contents "not fully defined": the text makes
/// nothing necessary beyond what the message is (`command`), which package it is about
/// (`package-id`) and its outcome (`error`); only the Appendix A examples repeat the
/// collect. So a client may want more, but a target that sends no more is not wrong.
fn refused_partial(context: &str, code: ErrorCode, fields: &[String], missing: &[&str]) -> CheckResult {
    CheckResult::new(
        Verdict::Warn,
        &req::CLIENT_ANSWERS_NOTIFICATIONS,
        format!(
            "{context}: error={code} ({}) to a message carrying only {} (without {}). CMI010 §5.1 leaves the \
             contents of receipts and alerts \"not fully defined\" and only its Appendix A examples repeat the \
             collect's data, so a target that sends just these is not wrong, and its receipt should be accepted; \
             a warning, not a failure, as the text binds neither side here",
            code.describe().trim_end_matches('.'),
            fields.join(", "),
            missing.join(", ")
        ),
    )
    .expected_actual("0", code.to_string())
}

/// The tool's answer to one receipt or alert that carried `fields`: a PENS response
/// (CR LF, the four lines), `error=0`, in time.
///
/// A message that left out some of the collect's data may be refused, however the
/// tool refuses it (an error code, [`refused_partial`]; a broken answer, a closed
/// connection): CMI010 §5.1 leaves the contents open, so every finding on such an
/// answer is at most a warning, saying why. Only an answer beyond the harness's caps
/// (a flood) still fails: no refusal looks like that.
pub(crate) fn judge_delivery_carrying(
    what: &str,
    delivery: &Delivery,
    fields: &[String],
    within: Duration,
) -> Vec<CheckResult> {
    let mut checks = judge_answer(what, delivery, fields, within);
    let missing = left_out(fields);
    if !missing.is_empty() && delivery.breach.is_none() {
        for check in checks.iter_mut().filter(|c| c.verdict == Verdict::Fail) {
            check.verdict = Verdict::Warn;
            check.message.push_str(&format!(
                " (a warning only: the message carried just {}, and CMI010 §5.1 leaves the contents of receipts \
                 and alerts \"not fully defined\")",
                fields.join(", ")
            ));
        }
    }
    checks
}

fn judge_answer(what: &str, delivery: &Delivery, fields: &[String], within: Duration) -> Vec<CheckResult> {
    let requirement = &req::CLIENT_ANSWERS_NOTIFICATIONS;
    let context = format!("answer to {what}");
    if let Some(breach) = &delivery.breach {
        // No PENS answer comes near `[limits] answer-bytes` or the header caps (CMI010
        // §6.3: four short lines): the answer fails, unread.
        return vec![CheckResult::new(Verdict::Fail, requirement, format!("{context}: {breach}"))];
    }
    if let Some(failure) = &delivery.failure {
        return vec![CheckResult::new(Verdict::Fail, requirement, format!("no answer to {what}: {failure}"))];
    }
    let Some(raw) = &delivery.answer_raw else {
        return vec![CheckResult::new(Verdict::Fail, requirement, format!("no answer to {what}"))];
    };
    // The answer's form, as target mode judges an LMS's answer to a collect.
    let (mut checks, parsed) = crate::checks::answer::judge_form(
        &Answer { status: delivery.http_status, content_type: delivery.content_type.as_deref(), body: raw },
        &AnswerRules { context: &context, strict: true, status_requirement: requirement, status_names_context: true },
    );
    let latency = delivery.latency_ms.unwrap_or_default();
    let limit = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
    match delivery.pens_error.or(parsed.error) {
        Some(code) if code.is_success() => {
            checks.push(CheckResult::new(Verdict::Pass, requirement, format!("{context}: error=0 in {latency} ms")))
        }
        Some(code) if !left_out(fields).is_empty() => {
            checks.push(refused_partial(&context, code, fields, &left_out(fields)));
        }
        Some(code) => checks.push(
            CheckResult::new(
                Verdict::Fail,
                requirement,
                format!("{context}: error={code}; a client answers every receipt and alert with error=0"),
            )
            .expected_actual("0", code.to_string()),
        ),
        None => checks.push(
            CheckResult::new(Verdict::Fail, requirement, format!("{context}: no numeric error could be read"))
                .expected_actual("0", parsed.error_raw.clone().unwrap_or_else(|| "(none)".to_owned())),
        ),
    }
    if latency > limit {
        checks.push(
            CheckResult::new(
                Verdict::Fail,
                requirement,
                format!("{context} took {latency} ms; the deadline is {limit} ms"),
            )
            .expected_actual(format!("<= {limit} ms"), format!("{latency} ms")),
        );
    }
    checks
}

/// The namespace of a `package-id` (CMI010 §6.2: "the URL associated with the product
/// … plus an ID unique within the service"): everything before the last `/` of a URL
/// with a path, the last `:` of a URN, and, for an id written after the authority as
/// App. A's own `http://myurl.com:2631e419-…` is (or `http://vendor.example:1796…`),
/// the URL up to that `:`; `None` when it has none of these.
pub(crate) fn namespace_of(id: &str) -> Option<&str> {
    let id = id.trim();
    let is_urn = id.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    if is_urn {
        return id.rsplit_once(':').map(|(namespace, _)| namespace).filter(|n| n.len() > 4);
    }
    if let Ok(uri) = pens_proto::parse_uri(id)
        && uri.path.trim_matches('/').is_empty()
        && uri.query.is_none()
        && uri.fragment.is_none()
        && let Some(authority) = &uri.authority
    {
        // The id sits in the authority, after its last `:`.
        let authority = authority.to_string();
        if let Some((host, tail)) = authority.rsplit_once(':')
            && !tail.is_empty()
            && let Some(start) = id.find(&authority)
        {
            return Some(&id[..start + host.len()]);
        }
    }
    id.rsplit_once('/').or_else(|| id.rsplit_once(':')).map(|(namespace, _)| namespace).filter(|n| !n.is_empty())
}

/// Repeated publishes keep the `package-id` namespace.
pub(crate) fn judge_namespace(evidence: &ClientEvidence) -> CheckResult {
    let requirement = &req::CLIENT_PACKAGE_ID_STABLE;
    let ids: Vec<Option<String>> = evidence.collects().iter().map(|c| decode(c).command.package_id).collect();
    if ids.len() < 2 {
        return CheckResult::new(
            Verdict::Inconclusive,
            requirement,
            format!("{} collect(s) arrived: comparing namespaces needs at least 2", ids.len()),
        );
    }
    let shown: Vec<String> =
        ids.iter().map(|id| id.as_deref().map_or("(none)".to_owned(), pens_proto::redact)).collect();
    let namespaces: Vec<Option<&str>> = ids.iter().map(|id| id.as_deref().and_then(namespace_of)).collect();
    match namespaces.first() {
        Some(Some(first)) if namespaces.iter().all(|n| n == &Some(*first)) => CheckResult::new(
            Verdict::Pass,
            requirement,
            format!("every package-id keeps the namespace {first}: {}", shown.join(", ")),
        ),
        _ => CheckResult::new(
            Verdict::Warn,
            requirement,
            format!("the package-ids do not share one namespace: {}", shown.join(", ")),
        ),
    }
}

#[cfg(test)]
mod tests;
