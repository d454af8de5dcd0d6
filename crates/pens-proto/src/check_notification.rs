//! Judging a receipt or alert (CMI010 §5.1, Appendix A examples).
//!
//! The spec defines these messages loosely, so most checks are `should`: only the
//! `command` and a numeric `error` are needed for a client to understand the outcome.

use crate::collect::CollectCommand;
use crate::error_code::{ErrorClass, ErrorCode};
use crate::expiry::{ZoneForm, parse_expiry};
use crate::finding::Finding;
use crate::notification::{Notification, NotificationKind};
use crate::requirement::req;

/// The collect data a receipt or alert should echo (CMI010 §5.1).
const ECHOED_FIELDS: [&str; 7] = [
    "pens-version",
    "package-type",
    "package-type-version",
    "package-format",
    "package-url",
    "package-url-expiry",
    "client",
];

/// Judges a receipt or alert. `expected` is the kind the URL it arrived at is for, and
/// `collect` the command it answers, when known.
pub fn check_notification(
    notification: &Notification,
    expected: Option<NotificationKind>,
    collect: Option<&CollectCommand>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    check_command(notification, expected, &mut findings);
    check_error(notification, &mut findings);
    if notification.error_text.as_deref().is_none_or(|t| t.trim().is_empty()) {
        findings.push(
            Finding::new(&req::NOTIFICATION_ERROR_TEXT, "no `error-text`: say in words what happened")
                .element("error-text"),
        );
    }
    check_package_id(notification, collect, &mut findings);
    let missing: Vec<&str> = ECHOED_FIELDS.into_iter().filter(|f| notification.get(f).is_none()).collect();
    if !missing.is_empty() {
        findings.push(Finding::new(
            &req::NOTIFICATION_COLLECT_DATA,
            format!("the collect data is not echoed: {} missing", missing.join(", ")),
        ));
    }
    // A date echoed as the collect sent it is the client's writing, not the target's:
    // echoing is what §5.1 asks, so only a date the target wrote itself is judged.
    let echoed = collect.and_then(|c| c.package_url_expiry.as_deref());
    if let Some(expiry) = notification.package_url_expiry.as_deref().filter(|e| Some(*e) != echoed) {
        check_date(expiry, &mut findings);
    }
    findings
}

/// Judges a receipt or alert that came by mail (a `mailto:` URL). As
/// [`check_notification`], except that a missing `command` only warns: the mailbox it
/// was sent to and its subject already say whether it is a receipt or an alert, and
/// CMI010 defines these messages only loosely (§5.1: "not fully defined"; App. A's mail
/// best practice asks for name=value lines without listing them). Over HTTP `command`
/// is what tells a receipt from an alert at one URL, so there it stays a `must`.
pub fn check_mailed_notification(
    notification: &Notification,
    expected: Option<NotificationKind>,
    collect: Option<&CollectCommand>,
) -> Vec<Finding> {
    check_notification(notification, expected, collect)
        .into_iter()
        .map(|finding| {
            if finding.requirement.id == req::NOTIFICATION_COMMAND.id && notification.command.is_none() {
                let mut softened = finding.at_most(crate::requirement::Level::Should);
                softened.message = "no `command` line in the mail: the mailbox and the subject say what it is, and \
                     CMI010 §5.1 leaves receipts and alerts not fully defined, so this warns; send command=receipt or \
                     command=alert as App. A's examples do"
                    .to_owned();
                softened
            } else {
                finding
            }
        })
        .collect()
}

fn check_command(notification: &Notification, expected: Option<NotificationKind>, findings: &mut Vec<Finding>) {
    match (notification.command.as_deref(), notification.kind(), expected) {
        (None, _, _) => findings.push(
            Finding::new(&req::NOTIFICATION_COMMAND, "no `command`: send command=receipt or command=alert")
                .element("command"),
        ),
        (Some(value), None, _) => findings.push(
            Finding::new(&req::NOTIFICATION_COMMAND, "`command` is neither `receipt` nor `alert`")
                .element("command")
                .value(value),
        ),
        (Some(value), Some(kind), Some(expected)) if kind != expected => findings.push(
            Finding::new(&req::NOTIFICATION_COMMAND, format!("a `{kind}` arrived where a `{expected}` was expected"))
                .element("command")
                .value(value),
        ),
        _ => {}
    }
}

fn check_error(notification: &Notification, findings: &mut Vec<Finding>) {
    let Some(raw) = notification.error.as_deref() else {
        findings.push(
            Finding::new(&req::NOTIFICATION_ERROR_PRESENT, "no `error`: send 0 for success or the error code")
                .element("error"),
        );
        return;
    };
    let Some(code) = notification.error_code() else {
        findings.push(
            Finding::new(&req::NOTIFICATION_ERROR_NUMERIC, "`error` is not a number from 0 to 65535")
                .element("error")
                .value(raw),
        );
        return;
    };
    let open_range = matches!(code.class(), ErrorClass::UnderlyingProtocol | ErrorClass::ImplementationDefined);
    if code.info().is_none() && !open_range {
        findings.push(
            Finding::new(&req::NOTIFICATION_ERROR_KNOWN, format!("{} {}", code, ErrorCode::describe(code)))
                .element("error")
                .value(raw),
        );
    }
}

fn check_package_id(notification: &Notification, collect: Option<&CollectCommand>, findings: &mut Vec<Finding>) {
    let Some(package_id) = notification.package_id.as_deref() else {
        findings.push(
            Finding::new(
                &req::NOTIFICATION_PACKAGE_ID,
                "no `package-id`: the client cannot tell which package this is about",
            )
            .element("package-id"),
        );
        return;
    };
    // The same URI, by RFC 3986 §6.2.2, is the same package-id (CMI010 §6.2 makes it a URI).
    if let Some(sent) = collect.and_then(|c| c.package_id.as_deref())
        && !crate::uri::uri_equivalent(sent, package_id)
    {
        findings.push(
            Finding::new(&req::NOTIFICATION_PACKAGE_ID_MATCHES, format!("the collect sent package-id `{sent}`"))
                .element("package-id")
                .value(package_id),
        );
    }
}

fn check_date(value: &str, findings: &mut Vec<Finding>) {
    let problem = match parse_expiry(value) {
        Ok(expiry) if expiry.zone == ZoneForm::Z => return,
        Ok(_) => "the date is not written in UTC with `Z`; it was read anyway".to_owned(),
        Err(error) => format!("{error}"),
    };
    findings.push(Finding::new(&req::NOTIFICATION_DATE_FORMAT, problem).element("package-url-expiry").value(value));
}

/// Judges how an HTTP receipt or alert was delivered: form POST is what the spec's
/// examples use; multipart POST and GET are in use too and are at most a warning.
pub fn check_notification_delivery(method: &str, content_type: Option<&str>) -> Option<Finding> {
    let essence = content_type.map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    match (method.to_ascii_uppercase().as_str(), essence.as_deref()) {
        ("POST", Some(crate::form::FORM_CONTENT_TYPE)) => None,
        ("POST", Some(other)) => Some(
            Finding::new(
                &req::NOTIFICATION_FORM_POST,
                format!("sent as POST `{other}`; it was read, but form-urlencoded is what clients expect"),
            )
            .element("Content-Type")
            .value(other),
        ),
        ("POST", None) => Some(
            Finding::new(&req::NOTIFICATION_FORM_POST, "sent as POST without a Content-Type").element("Content-Type"),
        ),
        (other, _) => Some(
            Finding::new(
                &req::NOTIFICATION_FORM_POST,
                format!("sent by {other} with a query string; it was read, but POST is the best practice"),
            )
            .element("method")
            .value(other),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailed_notification_without_command_warns_and_an_http_one_fails() {
        let mut receipt = full_receipt();
        receipt.command = None;
        let over_http = check_notification(&receipt, Some(NotificationKind::Receipt), None);
        let by_mail = check_mailed_notification(&receipt, Some(NotificationKind::Receipt), None);
        let command = |findings: &[Finding]| {
            findings.iter().find(|f| f.requirement.id == req::NOTIFICATION_COMMAND.id).map(|f| f.level)
        };
        assert_eq!(command(&over_http), Some(crate::requirement::Level::Must));
        assert_eq!(command(&by_mail), Some(crate::requirement::Level::Should));
        // A wrong command is wrong by mail too.
        receipt.command = Some("collect".to_owned());
        let by_mail = check_mailed_notification(&receipt, Some(NotificationKind::Receipt), None);
        assert_eq!(command(&by_mail), Some(crate::requirement::Level::Must));
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.requirement.id).collect()
    }

    fn full_receipt() -> Notification {
        let collect = CollectCommand::example();
        let mut receipt =
            Notification::receipt(collect.package_id.as_deref().unwrap_or_default(), "LMS", ErrorCode(0), "ok");
        for field in ECHOED_FIELDS {
            if receipt.get(field).is_none() {
                let value =
                    crate::element::Element::from_name(field).and_then(|e| collect.get(e)).unwrap_or("x").to_owned();
                receipt.extra.push((field.to_owned(), value));
            }
        }
        Notification::from_pairs(
            &receipt.pairs().iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>(),
        )
        .notification
    }

    #[test]
    fn a_complete_receipt_has_no_findings() {
        let findings =
            check_notification(&full_receipt(), Some(NotificationKind::Receipt), Some(&CollectCommand::example()));
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn each_field_problem_is_named() {
        type Spoil = fn(&mut Notification);
        let cases: &[(Spoil, &str, bool)] = &[
            (|n| n.command = None, "notification.command.value", true),
            (|n| n.command = Some("Receipt".into()), "notification.command.value", true),
            (|n| n.command = Some("alert".into()), "notification.command.value", true),
            (|n| n.error = None, "notification.error.present", true),
            (|n| n.error = Some("ok".into()), "notification.error.numeric", true),
            (|n| n.error = Some("1999".into()), "notification.error.known", false),
            (|n| n.error_text = None, "notification.error-text.present", false),
            (|n| n.package_id = None, "notification.package-id.present", false),
            (|n| n.package_id = Some("urn:other:1".into()), "notification.package-id.matches", false),
            (|n| n.package_type = None, "notification.collect-data", false),
            (|n| n.package_url_expiry = Some("2026-01-01T00:00:00+0000".into()), "notification.date.utc", false),
        ];
        for (spoil, id, failure) in cases {
            let mut receipt = full_receipt();
            spoil(&mut receipt);
            let findings =
                check_notification(&receipt, Some(NotificationKind::Receipt), Some(&CollectCommand::example()));
            assert_eq!(ids(&findings), [*id], "{receipt:?}");
            assert_eq!(findings[0].is_failure(), *failure, "{id}");
        }
    }

    /// A receipt that echoes the collect's expiry as sent (no zone, an offset) is right
    /// to: only a date the target wrote itself is judged.
    #[test]
    fn an_expiry_echoed_as_sent_is_not_the_target_s_date() {
        let mut collect = CollectCommand::example();
        collect.package_url_expiry = Some("2099-12-31T23:59:59+05:00".into());
        let mut receipt = full_receipt();
        receipt.package_url_expiry = collect.package_url_expiry.clone();
        let findings = check_notification(&receipt, Some(NotificationKind::Receipt), Some(&collect));
        assert!(findings.is_empty(), "{findings:?}");
        let findings = check_notification(&receipt, Some(NotificationKind::Receipt), None);
        assert_eq!(ids(&findings), ["notification.date.utc"]);
    }

    #[test]
    fn codes_outside_the_spec_are_tolerated_where_the_spec_allows_them() {
        for code in ["404", "10001", "1432", "0"] {
            let mut receipt = full_receipt();
            receipt.error = Some(code.into());
            assert!(check_notification(&receipt, None, None).is_empty(), "{code}");
        }
    }

    #[test]
    fn delivery_other_than_form_post_is_a_warning() {
        assert!(
            check_notification_delivery("POST", Some("application/x-www-form-urlencoded; charset=UTF-8")).is_none()
        );
        for (method, content_type) in [("POST", Some("multipart/form-data; boundary=x")), ("GET", None), ("POST", None)]
        {
            let finding = check_notification_delivery(method, content_type).expect("a finding");
            assert!(!finding.is_failure());
        }
    }
}
