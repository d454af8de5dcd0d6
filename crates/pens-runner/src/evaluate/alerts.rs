//! Alerts (CMI010 §5.1): optional; when sent, after the receipt and well-formed.

use pens_proto::{NotificationKind, check_notification, req};
use pens_report::{CheckResult, Verdict};

use crate::evidence::Evidence;
use crate::plan::AlertsExpect;

pub(super) fn judge(evidence: &Evidence, expect: &AlertsExpect) -> Vec<CheckResult> {
    let alerts = evidence.alerts();
    if alerts.is_empty() {
        return vec![CheckResult::new(
            Verdict::Info,
            &req::TARGET_ALERTS_AFTER_RECEIPT,
            "no alert was sent (alerts are optional)",
        )];
    }
    let first_receipt = evidence.receipts().iter().map(|r| r.at).min();
    let mut checks = Vec::new();
    for (index, alert) in alerts.iter().enumerate() {
        let label = format!("alert {}", index + 1);
        if expect.after_receipt {
            checks.push(match first_receipt {
                Some(receipt) if receipt <= alert.at => CheckResult::new(
                    Verdict::Pass,
                    &req::TARGET_ALERTS_AFTER_RECEIPT,
                    format!("{label} came after the receipt"),
                ),
                Some(_) => CheckResult::new(
                    Verdict::Warn,
                    &req::TARGET_ALERTS_AFTER_RECEIPT,
                    format!("{label} came before the receipt"),
                ),
                None => CheckResult::new(
                    Verdict::Warn,
                    &req::TARGET_ALERTS_AFTER_RECEIPT,
                    format!("{label} came, but no receipt at all"),
                ),
            });
        }
        if expect.well_formed {
            let findings = alert.findings.iter().cloned().chain(check_notification(
                &alert.notification,
                Some(NotificationKind::Alert),
                Some(&evidence.command),
            ));
            for finding in findings {
                checks.push(CheckResult::from_finding(&finding, &label));
            }
        }
    }
    checks
}
