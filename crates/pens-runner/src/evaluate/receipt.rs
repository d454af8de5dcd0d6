//! The receipt (CMI010 §5.1): exactly one, after the download, with the outcome.

use pens_proto::{NotificationKind, check_notification, req};
use pens_report::{CheckResult, Verdict};

use super::{Settings, codes_text, disclosure};
use crate::evidence::Evidence;
use crate::plan::{CredentialsExpect, ReceiptExpect};

pub(super) fn judge(evidence: &Evidence, expect: &ReceiptExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let receipts = evidence.receipts();
    let mut checks = Vec::new();
    let mailboxes = evidence.receipt_mailboxes();
    if let Some(count) = expect.count {
        if mailboxes.len() > 1 {
            checks.extend(mailbox_counts(evidence, &mailboxes, count, settings));
        } else {
            checks.push(count_check(evidence, receipts.len(), count, settings, &req::TARGET_RECEIPT_SENT, ""));
        }
        if expect.missing_warns {
            soften_missing(&mut checks, receipts.len(), count);
        }
    }
    for (index, receipt) in receipts.iter().enumerate() {
        let mut label = if receipts.len() == 1 { "receipt".to_owned() } else { format!("receipt {}", index + 1) };
        if let Some(mail) = receipt.mail.as_ref().filter(|_| mailboxes.len() > 1) {
            label.push_str(&format!(" (to {})", mail.recipient));
        }
        let code = receipt.notification.error_code().map(|c| c.0);
        if let Some(acceptable) = &expect.error {
            checks.push(match code {
                Some(code) if acceptable.contains(&code) => {
                    CheckResult::new(Verdict::Pass, &req::TARGET_RECEIPT_OUTCOME, format!("{label} reports {code}"))
                }
                Some(code) if let Some(note) = evidence.stand_in(code, acceptable) => CheckResult::new(
                    Verdict::Pass,
                    &req::TARGET_RECEIPT_OUTCOME,
                    format!("{label} reports {code}, {note}"),
                ),
                Some(code) if expect.warn.contains(&code) => CheckResult::new(
                    Verdict::Warn,
                    &req::TARGET_RECEIPT_OUTCOME,
                    format!("{label} reports {code}; {} is more precise", codes_text(acceptable)),
                )
                .expected_actual(codes_text(acceptable), code.to_string()),
                Some(code) if let Some(note) = evidence.stand_in(code, &expect.warn) => CheckResult::new(
                    Verdict::Warn,
                    &req::TARGET_RECEIPT_OUTCOME,
                    format!("{label} reports {code}, {note}; {} is more precise", codes_text(acceptable)),
                )
                .expected_actual(codes_text(acceptable), code.to_string()),
                other => CheckResult::new(
                    Verdict::Fail,
                    &req::TARGET_RECEIPT_OUTCOME,
                    format!("{label} reports {}", reported(other, receipt.notification.get("error-text"))),
                )
                .expected_actual(codes_text(acceptable), other.map_or("-".to_owned(), |c| c.to_string())),
            });
        }
        match code {
            Some(0) if expect.never_success => checks.push(CheckResult::new(
                Verdict::Fail,
                &req::TARGET_RECEIPT_OUTCOME,
                format!("{label} reports success (0), where this package must not be reported imported"),
            )),
            // Without an `error` list nothing else says which code came.
            Some(code) if expect.never_success && expect.error.is_none() => checks.push(CheckResult::new(
                Verdict::Pass,
                &req::TARGET_RECEIPT_OUTCOME,
                format!("{label} reports {code}, not success"),
            )),
            _ => {}
        }
        if expect.after_fetch {
            checks.push(after_fetch(evidence, receipt.at, code, &label));
        }
        for (name, value) in &expect.fields {
            let actual = receipt.notification.get(name);
            let requirement = pens_proto::Requirement::by_id(&format!("notification.{name}.matches"))
                .unwrap_or(&req::NOTIFICATION_COLLECT_DATA);
            // A package-id is a URI (CMI010 §6.2): an RFC 3986-equivalent echo is the same one.
            let same = match actual {
                Some(actual) if name == "package-id" => pens_proto::uri_equivalent(actual, value),
                other => other == Some(value.as_str()),
            };
            checks.push(if same {
                CheckResult::new(Verdict::Pass, requirement, format!("{label} carries {name} as sent"))
            } else {
                CheckResult::new(
                    Verdict::of_level(requirement.level),
                    requirement,
                    format!("{label}: `{name}` differs from what the collect sent"),
                )
                .expected_actual(value.clone(), actual.unwrap_or("(missing)").to_owned())
            });
        }
        // A mailed one is told apart by its mailbox and subject; `command` only warns there.
        let check = if receipt.mail.is_some() { pens_proto::check_mailed_notification } else { check_notification };
        let findings = receipt.findings.iter().cloned().chain(check(
            &receipt.notification,
            Some(NotificationKind::Receipt),
            Some(&evidence.command),
        ));
        for finding in findings {
            if expect.fields.iter().any(|(n, _)| Some(n.as_str()) == finding.element.as_deref()) {
                continue; // already judged against the expected value
            }
            checks.push(CheckResult::from_finding(&finding, &label));
        }
    }
    let main = settings.main_requirement;
    checks.extend(disclosure::judge_notifications("receipt", &receipts, &expect.does_not_contain, main));
    checks.extend(credentials(evidence, &receipts, expect.credentials, main));
    checks
}

/// What the receipts presented to the receipt URL, judged against its userinfo
/// (`credentials`); the password is compared, never shown.
fn credentials(
    evidence: &Evidence,
    receipts: &[&pens_parties::NotificationEvent],
    expect: CredentialsExpect,
    requirement: &'static pens_proto::Requirement,
) -> Vec<CheckResult> {
    if expect == CredentialsExpect::Any {
        return Vec::new();
    }
    let userinfo = receipt_userinfo(evidence.command.receipt.as_deref());
    if receipts.is_empty() {
        let verdict = if expect == CredentialsExpect::Valid { Verdict::Fail } else { Verdict::Pass };
        let prefix = if expect == CredentialsExpect::Report { "observed: " } else { "" };
        return vec![CheckResult::new(
            verdict,
            requirement,
            format!("{prefix}no receipt arrived, so none presented credentials"),
        )];
    }
    receipts
        .iter()
        .enumerate()
        .map(|(index, receipt)| {
            let label = if receipts.len() == 1 { "the receipt".to_owned() } else { format!("receipt {}", index + 1) };
            let ours = |auth: &pens_parties::BasicAuth| {
                userinfo.as_ref().is_some_and(|(user, password)| auth.user == *user && auth.password_is(password))
            };
            let (presented, described) = match (&receipt.mail, &receipt.basic_auth) {
                (Some(_), _) => (false, "was mailed: no HTTP credentials".to_owned()),
                (None, None) => (false, "came with no HTTP credentials".to_owned()),
                (None, Some(auth)) if ours(auth) => {
                    (true, format!("came with the receipt URL's credentials as HTTP basic auth (user `{}`)", auth.user))
                }
                (None, Some(auth)) => (true, format!("came with other HTTP basic credentials (user `{}`)", auth.user)),
            };
            let matched = receipt.basic_auth.as_ref().is_some_and(ours);
            match expect {
                CredentialsExpect::Valid if matched => {
                    CheckResult::new(Verdict::Pass, requirement, format!("{label} {described}"))
                }
                CredentialsExpect::Valid => {
                    CheckResult::new(Verdict::Fail, requirement, format!("{label} {described}"))
                        .expected_actual("the receipt URL's userinfo as HTTP basic credentials", described)
                }
                CredentialsExpect::None if presented => CheckResult::new(
                    Verdict::Warn,
                    requirement,
                    format!("{label} {described}, although none were asked for"),
                ),
                CredentialsExpect::Report => {
                    CheckResult::new(Verdict::Pass, requirement, format!("observed: {label} {described}"))
                }
                _ => CheckResult::new(Verdict::Pass, requirement, format!("{label} {described}")),
            }
        })
        .collect()
}

/// The user and password of an `http(s)://user:password@…` receipt URL, decoded.
fn receipt_userinfo(url: Option<&str>) -> Option<(String, String)> {
    let Some(Ok(pens_proto::AckUrl::Http(http))) = url.map(pens_proto::parse_ack_url) else { return None };
    let url = http.deliverable().ok()?;
    let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
    (!url.username().is_empty()).then(|| (decode(url.username()), decode(url.password().unwrap_or_default())))
}

/// Exactly `count` receipts arrived (CMI010 §5.1); `prefix` names the mailbox when
/// there are several.
fn count_check(
    evidence: &Evidence,
    arrived: usize,
    count: usize,
    settings: &Settings<'_>,
    requirement: &'static pens_proto::Requirement,
    prefix: &str,
) -> CheckResult {
    let verdict = if arrived == count { Verdict::Pass } else { Verdict::Fail };
    let message = match arrived {
        0 if count > 0 => match evidence.answered {
            Some(code) if !code.is_success() => {
                format!("no receipt arrived: the target refused the collect with {code}")
            }
            _ => format!("no receipt arrived {}", evidence.watched(settings.deadlines.receipt, "receipt").within()),
        },
        _ if arrived == count => format!("{arrived} receipt(s) arrived, as expected"),
        _ => format!("{arrived} receipts arrived; exactly {count} expected"),
    };
    CheckResult::new(verdict, requirement, format!("{prefix}{message}"))
        .expected_actual(count.to_string(), arrived.to_string())
}

/// `missing = "warn"`: too few receipts before the deadline is a warning, since the
/// scenario cannot say when the receipt is owed (CMI010 names no download timeout); too
/// many still fails.
fn soften_missing(checks: &mut [CheckResult], arrived: usize, count: usize) {
    if arrived >= count {
        return;
    }
    for check in checks.iter_mut().filter(|c| c.verdict == Verdict::Fail) {
        check.verdict = Verdict::Warn;
        check.message.push_str(
            "; CMI010 names no download timeout, so a target still waiting for the package has broken no rule yet: \
             this warns",
        );
    }
}

/// A `mailto:` receipt with several addresses: each address gets its `count` receipts
/// (CMI010 §5: the receipt goes to every address listed).
fn mailbox_counts(
    evidence: &Evidence,
    mailboxes: &[String],
    count: usize,
    settings: &Settings<'_>,
) -> Vec<CheckResult> {
    mailboxes
        .iter()
        .map(|mailbox| {
            let arrived = evidence
                .receipts()
                .iter()
                .filter(|r| r.mail.as_ref().is_some_and(|m| m.recipient.eq_ignore_ascii_case(mailbox)))
                .count();
            count_check(evidence, arrived, count, settings, &req::TARGET_MAILTO_RECEIPT, &format!("{mailbox}: "))
        })
        .collect()
}

/// How much earlier than the end of the retrieval attempt, as the staging server
/// recorded it, a receipt may arrive and still count as after it.
///
/// The staging server stamps the end of a response when it has handed the last byte
/// to the connection (or found the client gone), and a target may send its receipt the
/// moment it has read that byte: the two stamps are taken on different tasks, and on a
/// busy machine the staging task can be scheduled after the collector's, so a correct
/// target's receipt was once seen "0 ms before" the end of its own download. A target
/// that breaks a download off is seen to have left only when the next write fails. Half
/// a second, the tolerance [`super::order::SLACK`] gives the answer, covers both; a
/// receipt sent while a download was clearly still underway is still caught, and one
/// sent before the request even reached staging (the reference target's
/// `receipt-before-download`) is caught whatever the tolerance, since that stamp is
/// taken before any byte of the package goes out.
pub(crate) const END_SLACK: std::time::Duration = super::order::SLACK;

/// A receipt comes after the retrieval attempt (CMI010 §5.1, App. A §2): after the
/// first whole download, or, when none completed, after the last request ended. A
/// success receipt needs a whole download before it: a HEAD, or a GET the target broke
/// off, retrieved no package to report imported.
///
/// "After" is judged on the harness's own monotonic clock, with [`END_SLACK`] for the
/// end of the attempt: a receipt that arrived before the request that ended the attempt
/// reached the staging server is before it beyond doubt; one that arrived while that
/// request was being answered is before it only when more than [`END_SLACK`] before its
/// recorded end.
fn after_fetch(evidence: &Evidence, receipt_at: std::time::Instant, code: Option<u16>, label: &str) -> CheckResult {
    let downloaded = evidence.staging.iter().filter(|e| e.is_whole_download()).min_by_key(|e| e.finished_at);
    // A refused FTP login is an attempt that ended at the refusal (a single instant).
    let refused = evidence.refused_logins.iter().map(|f| (f.at, f.at));
    let last = evidence.staging.iter().map(|e| (e.at, e.finished_at)).chain(refused).max_by_key(|(_, end)| *end);
    let attempt = downloaded.map(|e| (e.at, e.finished_at)).or(last);
    let what = if downloaded.is_some() { "the download completed" } else { "the retrieval attempt ended" };
    let before =
        |(began, done): (std::time::Instant, std::time::Instant)| receipt_at < began || receipt_at + END_SLACK < done;
    match attempt {
        Some(attempt)
            if !before(attempt) && downloaded.is_none() && code == Some(0) && !evidence.staging.is_empty() =>
        {
            let requests: Vec<String> =
                evidence.staging.iter().take(5).map(pens_parties::StagingEvent::describe).collect();
            CheckResult::new(
                Verdict::Fail,
                &req::TARGET_RECEIPT_AFTER_FETCH,
                format!("{label} reports success, but the package was never downloaded whole: {}", requests.join("; ")),
            )
        }
        Some((_, done)) if done <= receipt_at => {
            CheckResult::new(Verdict::Pass, &req::TARGET_RECEIPT_AFTER_FETCH, format!("{label} came after {what}"))
        }
        Some(attempt) if !before(attempt) => CheckResult::new(
            Verdict::Pass,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!(
                "{label} came as {what}: {} ms before the staging server recorded the end, within the {} ms \
                 its clock cannot order (a target may send its receipt once it has read the last byte)",
                attempt.1.saturating_duration_since(receipt_at).as_millis(),
                END_SLACK.as_millis()
            ),
        ),
        Some((began, _)) if receipt_at < began => CheckResult::new(
            Verdict::Fail,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!(
                "{label} came before the retrieval began: {} ms before the package request reached the staging server",
                began.saturating_duration_since(receipt_at).as_millis()
            ),
        ),
        Some((_, done)) => CheckResult::new(
            Verdict::Fail,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!(
                "{label} came {} ms before {what}, while the package was still being served (more than the {} ms \
                 tolerance)",
                done.saturating_duration_since(receipt_at).as_millis(),
                END_SLACK.as_millis()
            ),
        ),
        // Success without any retrieval cannot have come after one.
        None if code == Some(0) => CheckResult::new(
            Verdict::Fail,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!("{label} reports success, but the package was never requested from the staging server"),
        ),
        None => CheckResult::new(
            Verdict::Pass,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!("{label}: no retrieval attempt reached the staging server, so nothing to come after"),
        ),
    }
}

/// A code the scenario did not expect, with what it means and the target's own words
/// for it, so the reader need not look the code up: `1440 (CMI010: insufficient host
/// storage; its error-text: "package over 256 MiB")`.
fn reported(code: Option<u16>, error_text: Option<&str>) -> String {
    let Some(code) = code else { return "no readable error".to_owned() };
    let meaning = pens_proto::ErrorCode(code).describe();
    let meaning = meaning.trim_end_matches('.');
    match error_text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => {
            let text: String = text.chars().take(120).collect();
            format!("{code} ({meaning}; its error-text: {text:?})")
        }
        None => format!("{code} ({meaning})"),
    }
}

#[cfg(test)]
mod tests {
    use pens_parties::{CredentialsPresented, Endpoint};
    use pens_proto::{Notification, NotificationKind};
    use pens_report::Verdict;

    use super::judge;
    use crate::evaluate::testing::{PACKAGE_ID, notification_for, outline, settings, valid, worst};
    use crate::plan::ReceiptExpect;

    fn count(count: usize) -> ReceiptExpect {
        ReceiptExpect { count: Some(count), ..ReceiptExpect::default() }
    }

    fn codes(error: &[u16], warn: &[u16]) -> ReceiptExpect {
        ReceiptExpect { error: Some(error.to_vec()), warn: warn.to_vec(), ..ReceiptExpect::default() }
    }

    #[test]
    fn the_count_is_exact() {
        let cases: [(usize, usize, Verdict, &str); 5] = [
            (1, 1, Verdict::Pass, "1 receipt(s) arrived, as expected"),
            (0, 0, Verdict::Pass, "0 receipt(s) arrived, as expected"),
            (1, 0, Verdict::Fail, "no receipt arrived within 3100 ms of the collect (the receipt deadline is 3000 ms)"),
            (1, 2, Verdict::Fail, "2 receipts arrived; exactly 1 expected"),
            (0, 1, Verdict::Fail, "1 receipts arrived; exactly 0 expected"),
        ];
        for (expected, arrived, verdict, message) in cases {
            let mut evidence = valid().answered_with(0).downloaded(5, 10);
            for n in 0..arrived {
                evidence = evidence.receipt(20 + n as u64, 0);
            }
            let checks = judge(&evidence, &count(expected), &settings());
            let sent = checks.iter().find(|c| c.requirement == "target.receipt.sent").expect("a count check");
            assert_eq!(
                (sent.verdict, sent.message.as_str()),
                (verdict, message),
                "{expected} expected, {arrived} came"
            );
            assert_eq!(sent.expected.as_deref(), Some(expected.to_string().as_str()));
            assert_eq!(sent.actual.as_deref(), Some(arrived.to_string().as_str()));
        }
    }

    /// A receipt without `command` fails over HTTP (it is what tells a receipt from an
    /// alert at one URL) and warns by mail (the mailbox and subject say it; php-pens mails
    /// only the response lines).
    #[test]
    fn a_mailed_receipt_without_command_warns_and_an_http_one_fails() {
        let mut bare = notification_for(&crate::evaluate::testing::valid_collect(), NotificationKind::Receipt, 0);
        bare.command = None;
        let http = valid().answered_with(0).downloaded(5, 10).notification(20, Endpoint::Receipt, bare.clone());
        let checks = judge(&http, &count(1), &settings());
        assert!(checks.iter().any(|c| c.requirement == "notification.command.value" && c.verdict == Verdict::Fail));
        let mail =
            valid().answered_with(0).downloaded(5, 10).notification(20, Endpoint::Receipt, bare).mailed("r@x.test");
        let checks = judge(&mail, &count(1), &settings());
        let command = checks.iter().find(|c| c.requirement == "notification.command.value").expect("judged");
        assert_eq!(command.verdict, Verdict::Warn, "{}", command.message);
        assert!(command.message.contains("not fully defined"), "{}", command.message);
    }

    #[test]
    fn missing_warn_softens_only_a_missing_receipt() {
        let expect = ReceiptExpect { missing_warns: true, error: Some(vec![1310]), ..count(1) };
        let checks = judge(&valid().answered_with(0), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Warn, "target.receipt.sent")]);
        assert!(checks[0].message.contains("names no download timeout"), "{}", checks[0].message);
        // A receipt that came and is wrong still fails.
        let checks = judge(&valid().answered_with(0).receipt(20, 0), &expect, &settings());
        assert_eq!(worst(&checks), Verdict::Fail);
        // Two receipts where one was expected still fail.
        let checks = judge(&valid().answered_with(0).receipt(20, 1310).receipt(30, 1310), &expect, &settings());
        assert_eq!(worst(&checks), Verdict::Fail);
    }

    #[test]
    fn a_missing_receipt_after_a_refusal_says_so() {
        let evidence = valid().answered_with(1420);
        let checks = judge(&evidence, &count(1), &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.receipt.sent")]);
        assert_eq!(checks[0].message, "no receipt arrived: the target refused the collect with 1420");
    }

    #[test]
    fn several_receipts_are_labelled_one_by_one() {
        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 0).receipt(30, 1310);
        let checks = judge(&evidence, &codes(&[0], &[]), &settings());
        let outcomes: Vec<&str> =
            checks.iter().filter(|c| c.requirement == "target.receipt.outcome").map(|c| c.message.as_str()).collect();
        assert_eq!(
            outcomes,
            [
                "receipt 1 reports 0",
                "receipt 2 reports 1310 (Invalid or unresponsive package URL; its error-text: \"done\")"
            ]
        );
    }

    /// An unexpected code says what it means and what the target said about it: "receipt
    /// reports 1440" alone sends the reader to the spec.
    #[test]
    fn an_unexpected_code_says_what_it_means_and_quotes_the_error_text() {
        let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, 1440);
        let checks = judge(&evidence, &codes(&[0], &[]), &settings());
        let meaning = pens_proto::ErrorCode(1440).describe();
        let expected = format!("receipt reports 1440 ({}; its error-text: \"done\")", meaning.trim_end_matches('.'));
        assert_eq!(checks[0].message, expected);
        assert!(expected.to_lowercase().contains("storage"), "{expected}");
    }

    #[test]
    fn the_outcome_is_judged_against_error_and_warn() {
        let expect = codes(&[1310], &[1301]);
        let cases = [
            (1310, Verdict::Pass, "receipt reports 1310"),
            (1301, Verdict::Warn, "receipt reports 1301; 1310 is more precise"),
            (0, Verdict::Fail, "receipt reports 0 ("),
            (1312, Verdict::Fail, "receipt reports 1312 ("),
        ];
        for (code, verdict, message) in cases {
            let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, code);
            let checks = judge(&evidence, &expect, &settings());
            assert_eq!(outline(&checks), [(verdict, "target.receipt.outcome")], "{code}");
            assert!(checks[0].message.starts_with(message), "{code}: {}", checks[0].message);
        }
    }

    /// CMI010 §6.3: the staging server's own status, where it is indicative of the
    /// error, is as good as the PENS code (a receipt carrying 404 once failed).
    #[test]
    fn the_underlying_protocol_s_code_stands_in_for_the_retrieval_code() {
        let expect = codes(&[1310], &[1301]);
        let cases = [
            (404, Verdict::Pass, "accepted as the underlying protocol's code for 1310 (HTTP 404 Not Found)"),
            (410, Verdict::Pass, "for 1310 (HTTP 410 Gone)"),
            (500, Verdict::Warn, "for 1301 (HTTP 500): CMI010 §6.3"),
            (401, Verdict::Warn, "for 1301 (HTTP 401 Unauthorized)"),
            (200, Verdict::Fail, "receipt reports 200"),
        ];
        for (code, verdict, message) in cases {
            let evidence = valid().answered_with(0).downloaded(5, 10).receipt(20, code);
            let checks = judge(&evidence, &expect, &settings());
            assert_eq!(outline(&checks), [(verdict, "target.receipt.outcome")], "{code}");
            assert!(checks[0].message.contains(message), "{code}: {}", checks[0].message);
        }
        let credentials = codes(&[1312], &[1310, 1301]);
        let checks = judge(&valid().answered_with(0).receipt(20, 403), &credentials, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.receipt.outcome")]);
        // FTP replies count for an ftp:// package URL only.
        let mut ftp = valid();
        ftp.command.package_url = Some("ftp://127.0.0.1:2121/s/k/p.zip".into());
        let checks = judge(&ftp.answered_with(0).receipt(20, 530), &credentials, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.receipt.outcome")]);
        assert!(checks[0].message.contains("FTP 530 not logged in"), "{}", checks[0].message);
        let checks = judge(&valid().answered_with(0).receipt(20, 530), &credentials, &settings());
        assert_eq!(outline(&checks), [(Verdict::Warn, "target.receipt.outcome")], "HTTP has no 530 of its own");
    }

    #[test]
    fn an_unreadable_outcome_fails() {
        let mut receipt = notification_for(&valid().command, NotificationKind::Receipt, 0);
        receipt.error = Some("ok".into());
        let evidence = valid().answered_with(0).notification(20, Endpoint::Receipt, receipt);
        let checks = judge(&evidence, &codes(&[0], &[]), &settings());
        let outcome = checks.iter().find(|c| c.requirement == "target.receipt.outcome").expect("an outcome check");
        assert_eq!((outcome.verdict, outcome.message.as_str()), (Verdict::Fail, "receipt reports no readable error"));
        assert_eq!(outcome.actual.as_deref(), Some("-"));
        // The malformed `error` is a finding of its own.
        assert!(checks.iter().any(|c| c.requirement == "notification.error.numeric" && c.verdict == Verdict::Fail));
    }

    #[test]
    fn never_success_fails_a_successful_receipt_only() {
        let expect = ReceiptExpect { never_success: true, ..ReceiptExpect::default() };
        let success = valid().answered_with(0).downloaded(5, 10).receipt(20, 0);
        let checks = judge(&success, &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Fail, "target.receipt.outcome")]);
        assert!(checks[0].message.contains("reports success (0)"), "{}", checks[0].message);

        // Without an `error` list, a passing check says which code came.
        let failure = valid().answered_with(0).downloaded(5, 10).receipt(20, 1432);
        let checks = judge(&failure, &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.receipt.outcome")]);
        assert_eq!(checks[0].message, "receipt reports 1432, not success");
        let listed = ReceiptExpect { error: Some(vec![1432]), ..expect };
        let checks = judge(&failure, &listed, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.receipt.outcome")]);
        assert_eq!(checks[0].message, "receipt reports 1432", "the code check says it already");
    }

    #[test]
    fn after_fetch_compares_with_the_first_complete_download() {
        let expect = ReceiptExpect { after_fetch: true, ..ReceiptExpect::default() };
        let cases = [
            (
                "after the download",
                valid().downloaded(5, 10).receipt(20, 0),
                Verdict::Pass,
                "receipt came after the download completed",
            ),
            (
                "at the same instant",
                valid().downloaded(5, 20).receipt(20, 0),
                Verdict::Pass,
                "receipt came after the download completed",
            ),
            (
                "while it was clearly still being served",
                valid().downloaded(5, 900).receipt(20, 0),
                Verdict::Fail,
                "receipt came 880 ms before the download completed, while the package was still being served (more \
                 than the 500 ms tolerance)",
            ),
            (
                "before the request reached staging",
                valid().receipt(20, 0).downloaded(30, 40),
                Verdict::Fail,
                "receipt came before the retrieval began: 10 ms before the package request reached the staging server",
            ),
            (
                "after the first of two downloads",
                valid().downloaded(5, 10).downloaded(30, 40).receipt(20, 0),
                Verdict::Pass,
                "receipt came after the download completed",
            ),
            (
                "after a broken-off attempt",
                valid().fetch(5, 10, false, CredentialsPresented::None).receipt(20, 1310),
                Verdict::Pass,
                "receipt came after the retrieval attempt ended",
            ),
            (
                "before the last broken-off attempt began",
                valid()
                    .fetch(5, 10, false, CredentialsPresented::None)
                    .fetch(30, 40, false, CredentialsPresented::None)
                    .receipt(20, 1310),
                Verdict::Fail,
                "receipt came before the retrieval began: 10 ms before the package request reached the staging server",
            ),
            (
                "no request at all, a failure reported",
                valid().receipt(20, 1310),
                Verdict::Pass,
                "receipt: no retrieval attempt reached the staging server, so nothing to come after",
            ),
        ];
        for (name, evidence, verdict, message) in cases {
            let checks = judge(&evidence, &expect, &settings());
            assert_eq!(outline(&checks), [(verdict, "target.receipt.after-fetch")], "{name}");
            assert_eq!(checks[0].message, message, "{name}");
        }
    }

    /// package-large once gained "receipt came 0 ms before the retrieval attempt ended" on
    /// some runs: a receipt within measurement noise of the end of the attempt, as the
    /// staging server recorded it, came after it (END_SLACK); one clearly before fails.
    #[test]
    fn after_fetch_tolerates_the_noise_of_the_end_of_the_attempt() {
        let expect = ReceiptExpect { after_fetch: true, ..ReceiptExpect::default() };
        let at_the_end = "came as the retrieval attempt ended";
        let cases = [
            ("0 ms apart", 1000, 1000, Verdict::Pass, "came after the retrieval attempt ended"),
            ("1 ms before", 1000, 999, Verdict::Pass, at_the_end),
            ("499 ms before", 1000, 501, Verdict::Pass, at_the_end),
            ("clearly before", 1000, 300, Verdict::Fail, "700 ms before the retrieval attempt ended"),
        ];
        for (name, end, receipt, verdict, message) in cases {
            // A broken-off download (the package-large case), then a failure receipt.
            let evidence = valid().fetch(5, end, false, CredentialsPresented::None).receipt(receipt, 1440);
            let checks = judge(&evidence, &expect, &settings());
            assert_eq!(outline(&checks), [(verdict, "target.receipt.after-fetch")], "{name}");
            assert!(checks[0].message.contains(message), "{name}: {}", checks[0].message);
        }
        // A whole download and a success receipt 1 ms before its recorded end: after it.
        let checks = judge(&valid().downloaded(5, 1000).receipt(999, 0), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "target.receipt.after-fetch")], "{checks:#?}");
        assert!(checks[0].message.contains("came as the download completed"), "{}", checks[0].message);
    }

    /// A receipt reporting success when no request ever reached the staging server
    /// cannot have come after the retrieval: there was none. (It once passed, which
    /// left the after-fetch check of `staging-slow-first-byte` vacuous against `no-fetch`.)
    #[test]
    fn after_fetch_fails_a_successful_receipt_without_any_retrieval() {
        let expect = ReceiptExpect { after_fetch: true, ..ReceiptExpect::default() };
        let checks = judge(&valid().answered_with(0).receipt(20, 0), &expect, &settings());
        assert_eq!(worst(&checks), Verdict::Fail, "{checks:#?}");
    }

    /// A HEAD is no retrieval of the package: a success receipt after it fails; an
    /// error receipt after it still came after the attempt.
    #[test]
    fn after_fetch_fails_a_successful_receipt_after_only_a_head() {
        let expect = ReceiptExpect { after_fetch: true, ..ReceiptExpect::default() };
        let checks = judge(&valid().answered_with(0).head(5, 6).receipt(20, 0), &expect, &settings());
        let after = checks.iter().find(|c| c.requirement == "target.receipt.after-fetch").expect("after-fetch");
        assert_eq!(after.verdict, Verdict::Fail);
        assert!(after.message.contains("never downloaded whole: HEAD /s/unit/"), "{}", after.message);

        let checks = judge(&valid().answered_with(0).head(5, 6).receipt(20, 1310), &expect, &settings());
        let after = checks.iter().find(|c| c.requirement == "target.receipt.after-fetch").expect("after-fetch");
        assert_eq!(after.verdict, Verdict::Pass, "{}", after.message);
    }

    #[test]
    fn fields_are_compared_with_what_the_collect_sent() {
        let expect =
            ReceiptExpect { fields: vec![("package-id".into(), PACKAGE_ID.into())], ..ReceiptExpect::default() };
        let matching = valid().answered_with(0).receipt(20, 0);
        let checks = judge(&matching, &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "notification.package-id.matches")]);
        assert_eq!(checks[0].message, "receipt carries package-id as sent");

        let mut other = notification_for(&valid().command, NotificationKind::Receipt, 0);
        other.package_id = Some(format!("{PACKAGE_ID}-not-this-one"));
        let differing = valid().answered_with(0).notification(20, Endpoint::Receipt, other);
        let checks = judge(&differing, &expect, &settings());
        // One check for the field: the protocol finding on the same element is not repeated.
        assert_eq!(outline(&checks), [(Verdict::Warn, "notification.package-id.matches")]);
        assert_eq!(checks[0].message, "receipt: `package-id` differs from what the collect sent");
        assert_eq!(checks[0].expected.as_deref(), Some(PACKAGE_ID));
        assert_eq!(checks[0].actual, Some(format!("{PACKAGE_ID}-not-this-one")));

        let mut missing = notification_for(&valid().command, NotificationKind::Receipt, 0);
        missing.package_id = None;
        let checks = judge(&valid().notification(20, Endpoint::Receipt, missing), &expect, &settings());
        let field = checks.iter().find(|c| c.requirement == "notification.package-id.matches").expect("a field check");
        assert_eq!((field.verdict, field.actual.as_deref()), (Verdict::Warn, Some("(missing)")));
    }

    /// package-id is a URI (CMI010 §6.2): an echo equivalent by RFC 3986 §6.2.2 is the
    /// same package-id, not a mismatch.
    #[test]
    fn an_equivalent_package_id_uri_matches() {
        let mut evidence = valid();
        evidence.command.package_id = Some("http://vendor.example/c~1".into());
        let mut echoed = notification_for(&evidence.command, NotificationKind::Receipt, 0);
        echoed.package_id = Some("HTTP://Vendor.Example/c%7E1".into());
        let expect = ReceiptExpect {
            fields: vec![("package-id".into(), "http://vendor.example/c~1".into())],
            ..ReceiptExpect::default()
        };
        let checks = judge(&evidence.notification(20, Endpoint::Receipt, echoed), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "notification.package-id.matches")], "{checks:#?}");
    }

    #[test]
    fn a_differing_field_without_a_requirement_of_its_own_cites_the_collect_data() {
        let expect =
            ReceiptExpect { fields: vec![("client".into(), "Someone Else".into())], ..ReceiptExpect::default() };
        let checks = judge(&valid().receipt(20, 0), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Warn, "notification.collect-data")]);
    }

    /// A matching field cites the same requirement its mismatch would (a match of
    /// `client` once cited `notification.package-id.matches`).
    #[test]
    fn a_matching_field_cites_the_requirement_its_mismatch_would() {
        let expect =
            ReceiptExpect { fields: vec![("client".into(), "unit test target".into())], ..ReceiptExpect::default() };
        let checks = judge(&valid().receipt(20, 0), &expect, &settings());
        assert_eq!(outline(&checks), [(Verdict::Pass, "notification.collect-data")]);
    }

    #[test]
    fn a_well_formed_receipt_adds_no_findings_and_a_poor_one_does() {
        let checks = judge(&valid().receipt(20, 0), &ReceiptExpect::default(), &settings());
        assert!(checks.is_empty(), "{checks:#?}");

        let poor = Notification { command: Some("receipt".into()), ..Notification::default() };
        let checks = judge(&valid().notification(20, Endpoint::Receipt, poor), &ReceiptExpect::default(), &settings());
        assert_eq!(worst(&checks), Verdict::Fail, "no `error` is a must: {checks:#?}");
        assert!(checks.iter().all(|c| c.message.starts_with("receipt: ")), "{checks:#?}");
        assert!(checks.iter().any(|c| c.requirement == "notification.error.present"));
    }

    #[test]
    fn an_alert_at_the_receipt_url_is_a_wrong_command() {
        let alert = notification_for(&valid().command, NotificationKind::Alert, 0);
        let checks = judge(&valid().notification(20, Endpoint::Receipt, alert), &count(1), &settings());
        assert!(
            checks.iter().any(|c| c.requirement == "notification.command.value" && c.verdict == Verdict::Fail),
            "{checks:#?}"
        );
    }
}
