//! The receipt (CMI010 §5.1): exactly one, after the download, with the outcome.

use pens_proto::{NotificationKind, check_notification, req};
use pens_report::{CheckResult, Verdict};

use super::{Settings, codes_text};
use crate::evidence::Evidence;
use crate::plan::ReceiptExpect;

pub(super) fn judge(evidence: &Evidence, expect: &ReceiptExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let receipts = evidence.receipts();
    let mut checks = Vec::new();
    if let Some(count) = expect.count {
        let verdict = if receipts.len() == count { Verdict::Pass } else { Verdict::Fail };
        let message = match (receipts.len(), count) {
            (0, _) if count > 0 => match evidence.answered {
                Some(code) if !code.is_success() => {
                    format!("no receipt arrived: the target refused the collect with {code}")
                }
                _ => format!("no receipt arrived within {} ms of the collect", settings.deadlines.receipt.as_millis()),
            },
            (arrived, _) if arrived == count => format!("{arrived} receipt(s) arrived, as expected"),
            (arrived, _) => format!("{arrived} receipts arrived; exactly {count} expected"),
        };
        checks.push(
            CheckResult::new(verdict, &req::TARGET_RECEIPT_SENT, message)
                .expected_actual(count.to_string(), receipts.len().to_string()),
        );
    }
    for (index, receipt) in receipts.iter().enumerate() {
        let label = if receipts.len() == 1 { "receipt".to_owned() } else { format!("receipt {}", index + 1) };
        let code = receipt.notification.error_code().map(|c| c.0);
        if let Some(acceptable) = &expect.error {
            checks.push(match code {
                Some(code) if acceptable.contains(&code) => {
                    CheckResult::new(Verdict::Pass, &req::TARGET_RECEIPT_OUTCOME, format!("{label} reports {code}"))
                }
                Some(code) if expect.warn.contains(&code) => CheckResult::new(
                    Verdict::Warn,
                    &req::TARGET_RECEIPT_OUTCOME,
                    format!("{label} reports {code}; {} is more precise", codes_text(acceptable)),
                )
                .expected_actual(codes_text(acceptable), code.to_string()),
                other => CheckResult::new(
                    Verdict::Fail,
                    &req::TARGET_RECEIPT_OUTCOME,
                    format!("{label} reports {}", other.map_or("no readable error".to_owned(), |c| c.to_string())),
                )
                .expected_actual(codes_text(acceptable), other.map_or("-".to_owned(), |c| c.to_string())),
            });
        }
        if expect.never_success && code == Some(0) {
            checks.push(CheckResult::new(
                Verdict::Fail,
                &req::TARGET_RECEIPT_OUTCOME,
                format!("{label} reports success (0) although the package could not be retrieved intact"),
            ));
        }
        if expect.after_fetch {
            checks.push(after_fetch(evidence, receipt.at, &label));
        }
        for (name, value) in &expect.fields {
            let actual = receipt.notification.get(name);
            checks.push(if actual == Some(value.as_str()) {
                CheckResult::new(
                    Verdict::Pass,
                    &req::NOTIFICATION_PACKAGE_ID_MATCHES,
                    format!("{label} carries {name} as sent"),
                )
            } else {
                let requirement = pens_proto::Requirement::by_id(&format!("notification.{name}.matches"))
                    .unwrap_or(&req::NOTIFICATION_COLLECT_DATA);
                CheckResult::new(
                    Verdict::of_level(requirement.level),
                    requirement,
                    format!("{label}: `{name}` differs from what the collect sent"),
                )
                .expected_actual(value.clone(), actual.unwrap_or("(missing)").to_owned())
            });
        }
        let findings = receipt.findings.iter().cloned().chain(check_notification(
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
    checks
}

/// A receipt comes after the retrieval attempt (CMI010 §5.1, App. A §2): after the
/// first complete download, or, when none completed, after the last request ended.
fn after_fetch(evidence: &Evidence, receipt_at: std::time::Instant, label: &str) -> CheckResult {
    let completed = evidence.staging.iter().filter(|e| e.completed).map(|e| e.finished_at).min();
    let attempt_end = completed.or_else(|| evidence.staging.iter().map(|e| e.finished_at).max());
    let what = if completed.is_some() { "the download completed" } else { "the retrieval attempt ended" };
    match attempt_end {
        Some(done) if done <= receipt_at => {
            CheckResult::new(Verdict::Pass, &req::TARGET_RECEIPT_AFTER_FETCH, format!("{label} came after {what}"))
        }
        Some(done) => CheckResult::new(
            Verdict::Fail,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!("{label} came {} ms before {what}", done.saturating_duration_since(receipt_at).as_millis()),
        ),
        None => CheckResult::new(
            Verdict::Pass,
            &req::TARGET_RECEIPT_AFTER_FETCH,
            format!("{label}: no retrieval attempt reached the staging server, so nothing to come after"),
        ),
    }
}
