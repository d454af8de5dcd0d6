//! Alerts (CMI010 §5.1): optional; when sent, after the receipt and well-formed.

use pens_proto::{NotificationKind, check_notification, req};
use pens_report::{CheckResult, Verdict};

use super::{Settings, disclosure};
use crate::evidence::Evidence;
use crate::plan::AlertsExpect;

pub(super) fn judge(evidence: &Evidence, expect: &AlertsExpect, settings: &Settings<'_>) -> Vec<CheckResult> {
    let alerts = evidence.alerts();
    let mut checks =
        disclosure::judge_notifications("alert", &alerts, &expect.does_not_contain, settings.main_requirement);
    if expect.at_least > 0 {
        let verdict = if alerts.len() >= expect.at_least { Verdict::Pass } else { Verdict::Fail };
        checks.push(
            CheckResult::new(
                verdict,
                &req::TARGET_ALERTS_SENT,
                format!("{} alert(s) arrived; at least {} expected", alerts.len(), expect.at_least),
            )
            .expected_actual(format!("at least {}", expect.at_least), alerts.len().to_string()),
        );
    }
    if let Some(codes) = &expect.error {
        let carried: Vec<u16> = alerts.iter().filter_map(|a| a.notification.error_code()).map(|c| c.0).collect();
        let expected = super::codes_text(codes);
        let stand_in = carried.iter().find_map(|&c| evidence.stand_in(c, codes).map(|note| (c, note)));
        checks.push(match (carried.iter().find(|c| codes.contains(c)), stand_in) {
            (Some(code), _) => {
                CheckResult::new(Verdict::Pass, &req::TARGET_ALERTS_OUTCOME, format!("an alert reports {code}"))
            }
            (None, Some((code, note))) => {
                CheckResult::new(Verdict::Pass, &req::TARGET_ALERTS_OUTCOME, format!("an alert reports {code}, {note}"))
            }
            (None, None) => {
                CheckResult::new(Verdict::Fail, &req::TARGET_ALERTS_OUTCOME, format!("no alert reports {expected}"))
                    .expected_actual(expected, format!("{carried:?}"))
            }
        });
    }
    if alerts.is_empty() {
        // A section about what alerts carry has said it: none came.
        if expect.at_least == 0 && expect.does_not_contain.is_empty() {
            checks.push(CheckResult::new(
                Verdict::Info,
                &req::TARGET_ALERTS_AFTER_RECEIPT,
                "no alert was sent (alerts are optional)",
            ));
        }
        return checks;
    }
    let first_receipt = evidence.receipts().iter().map(|r| r.at).min();
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
            // A mailed one is told apart by its mailbox and subject; `command` only warns there.
            let check = if alert.mail.is_some() { pens_proto::check_mailed_notification } else { check_notification };
            let findings = alert.findings.iter().cloned().chain(check(
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

#[cfg(test)]
mod tests {
    use pens_parties::Endpoint;
    use pens_proto::{Notification, NotificationKind};
    use pens_report::Verdict;

    use super::judge;
    use crate::evaluate::testing::{notification_for, outline, settings, valid, worst};
    use crate::plan::AlertsExpect;

    fn all() -> AlertsExpect {
        AlertsExpect { after_receipt: true, well_formed: true, ..AlertsExpect::default() }
    }

    #[test]
    fn no_alert_is_information_only() {
        for expect in [all(), AlertsExpect::default()] {
            let checks = judge(&valid().answered_with(0).receipt(20, 0), &expect, &settings());
            assert_eq!(outline(&checks), [(Verdict::Info, "target.alerts.after-receipt")]);
            assert_eq!(checks[0].message, "no alert was sent (alerts are optional)");
        }
    }

    #[test]
    fn the_order_of_alert_and_receipt_is_judged() {
        let cases = [
            ("after", valid().receipt(20, 0).alert(30), Verdict::Pass, "alert 1 came after the receipt"),
            ("same instant", valid().receipt(20, 0).alert(20), Verdict::Pass, "alert 1 came after the receipt"),
            ("before", valid().alert(10).receipt(20, 0), Verdict::Warn, "alert 1 came before the receipt"),
            ("no receipt", valid().alert(10), Verdict::Warn, "alert 1 came, but no receipt at all"),
        ];
        for (name, evidence, verdict, message) in cases {
            let expect = AlertsExpect { after_receipt: true, well_formed: false, ..AlertsExpect::default() };
            let checks = judge(&evidence.answered_with(0), &expect, &settings());
            assert_eq!(outline(&checks), [(verdict, "target.alerts.after-receipt")], "{name}");
            assert_eq!(checks[0].message, message, "{name}");
        }
    }

    #[test]
    fn every_alert_is_judged_against_the_first_receipt() {
        let evidence = valid().answered_with(0).alert(10).receipt(20, 0).alert(30).receipt(40, 0);
        let checks = judge(
            &evidence,
            &AlertsExpect { after_receipt: true, well_formed: false, ..AlertsExpect::default() },
            &settings(),
        );
        assert_eq!(
            outline(&checks),
            [(Verdict::Warn, "target.alerts.after-receipt"), (Verdict::Pass, "target.alerts.after-receipt")]
        );
        assert!(checks[1].message.starts_with("alert 2 "), "{}", checks[1].message);
    }

    #[test]
    fn a_well_formed_alert_adds_no_findings_and_a_poor_one_does() {
        let checks = judge(
            &valid().receipt(20, 0).alert(30),
            &AlertsExpect { after_receipt: false, well_formed: true, ..AlertsExpect::default() },
            &settings(),
        );
        assert!(checks.is_empty(), "{checks:#?}");

        let receipt_as_alert = notification_for(&valid().command, NotificationKind::Receipt, 0);
        let evidence = valid().receipt(20, 0).notification(30, Endpoint::Alerts, receipt_as_alert);
        let checks = judge(
            &evidence,
            &AlertsExpect { after_receipt: false, well_formed: true, ..AlertsExpect::default() },
            &settings(),
        );
        assert!(
            checks.iter().any(|c| c.requirement == "notification.command.value" && c.verdict == Verdict::Fail),
            "{checks:#?}"
        );

        let empty = valid().receipt(20, 0).notification(30, Endpoint::Alerts, Notification::default());
        let checks = judge(
            &empty,
            &AlertsExpect { after_receipt: false, well_formed: true, ..AlertsExpect::default() },
            &settings(),
        );
        assert_eq!(worst(&checks), Verdict::Fail);
        assert!(checks.iter().all(|c| c.message.starts_with("alert 1: ")), "{checks:#?}");
        // Not asked for: not judged.
        assert!(judge(&empty, &AlertsExpect::default(), &settings()).is_empty());
    }

    #[test]
    fn at_least_and_error_judge_the_alerts_that_came() {
        let expect = AlertsExpect { at_least: 1, error: Some(vec![1432]), ..AlertsExpect::default() };
        let none = judge(&valid().receipt(20, 0), &expect, &settings());
        let verdicts: Vec<(Verdict, &str)> = none.iter().map(|c| (c.verdict, c.requirement.as_str())).collect();
        assert_eq!(verdicts, [(Verdict::Fail, "target.alerts.sent"), (Verdict::Fail, "target.alerts.outcome")]);
        let success_only = judge(&valid().receipt(20, 0).alert(30), &expect, &settings());
        assert!(success_only.iter().any(|c| c.requirement == "target.alerts.outcome" && c.verdict == Verdict::Fail));
        assert!(success_only.iter().any(|c| c.requirement == "target.alerts.sent" && c.verdict == Verdict::Pass));
    }

    /// CMI010 §6.3: an alert may carry the underlying protocol's code where it is
    /// indicative of the error the scenario names (an FTP 550 for 1310).
    #[test]
    fn an_indicative_protocol_code_in_an_alert_counts() {
        let expect = AlertsExpect { error: Some(vec![1310]), ..AlertsExpect::default() };
        let mut evidence = valid();
        evidence.command.package_url = Some("ftp://127.0.0.1:2121/s/k/p.zip".into());
        let alert = notification_for(&evidence.command, NotificationKind::Alert, 550);
        let checks = judge(&evidence.receipt(20, 0).notification(30, Endpoint::Alerts, alert), &expect, &settings());
        let outcome = checks.iter().find(|c| c.requirement == "target.alerts.outcome").expect("an outcome check");
        assert_eq!(outcome.verdict, Verdict::Pass, "{checks:#?}");
        assert!(outcome.message.contains("FTP 550"), "{}", outcome.message);
        let other = notification_for(&valid().command, NotificationKind::Alert, 550);
        let checks = judge(&valid().receipt(20, 0).notification(30, Endpoint::Alerts, other), &expect, &settings());
        let outcome = checks.iter().find(|c| c.requirement == "target.alerts.outcome").expect("an outcome check");
        assert_eq!(outcome.verdict, Verdict::Fail, "HTTP has no 550: {checks:#?}");
    }
}
