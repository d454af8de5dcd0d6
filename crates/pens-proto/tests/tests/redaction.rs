//! Secrets never reach a report or a log: no finding (Debug, Display or JSON) and no
//! Debug output of a command or an assessment contains the value of
//! `package-url-password`, `system-password` or a password inside a URL's userinfo.

use pens_proto::{
    CollectAssessment, CollectCommand, Finding, Notification, REDACTED, assess_collect, assess_decoded_collect,
    decode_form,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::support::{NOW, context, ids, proptest_config, supporting_all};

/// Every rendering of the findings a report or log could show.
fn renderings(findings: &[Finding]) -> String {
    let mut out = format!("{findings:?}\n{}\n", serde_json::to_string(findings).unwrap());
    for finding in findings {
        out.push_str(&finding.to_string());
        out.push('\n');
    }
    out
}

fn shown(assessment: &CollectAssessment) -> String {
    format!("{}\n{assessment:?}\n{}", renderings(&assessment.findings), serde_json::to_string(assessment).unwrap())
}

fn assert_hidden(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "`{secret}` leaked in:\n{text}");
    }
}

/// URL shapes that put a userinfo password where some check quotes the URL.
const PACKAGE_URLS: [&str; 6] = [
    "https://bob:{pw}@staging.example/intro-101.zip",
    "gopher://bob:{pw}@staging.example/intro-101.zip",
    "https://bob:{pw}@staging.example/packages/",
    "ftp://bob:{pw}@staging.example/intro-101.zip",
    "HTTPS://bob:{pw}@staging.example",
    " https://bob:{pw}@staging.example/a@b/intro-101.zip ",
];
const ACK_URLS: [&str; 4] = [
    "https://bob:{pw}@authoring.example/pens/receipt",
    "https://bob:{pw}@/pens/receipt",
    "ftp://bob:{pw}@authoring.example/pens/receipt",
    "gopher://bob:{pw}@authoring.example",
];
const PACKAGE_IDS: [&str; 2] = ["https://bob:{pw}@authoring.example/", "https://bob:{pw}@authoring.example/courses/1"];

proptest! {
    #![proptest_config(proptest_config(256))]

    #[test]
    fn no_password_is_ever_shown(
        package_password in "Pw1[A-Za-z0-9&=%+ é!]{6,12}",
        system_password in "Pw2[A-Za-z0-9&=%+ é!]{6,12}",
        url_password in "Pw3[A-Za-z0-9]{6,12}",
        package_url in select(PACKAGE_URLS.as_slice()),
        receipt in select(ACK_URLS.as_slice()),
        alerts in select(ACK_URLS.as_slice()),
        package_id in select(PACKAGE_IDS.as_slice()),
        with_user_id in any::<bool>(),
        duplicate in any::<bool>(),
        spoil_expiry in any::<bool>(),
    ) {
        let mut command = CollectCommand::example();
        command.package_url_password = Some(package_password.clone());
        command.system_password = Some(system_password.clone());
        command.package_url_user_id = with_user_id.then(|| "bob".to_owned());
        command.package_url = Some(package_url.replace("{pw}", &url_password));
        command.receipt = Some(receipt.replace("{pw}", &url_password));
        command.alerts = Some(alerts.replace("{pw}", &url_password));
        command.package_id = Some(package_id.replace("{pw}", &url_password));
        if spoil_expiry {
            command.package_url_expiry = Some("2020-01-01T00:00:00".into());
        }
        command.extra.push(("proxy-password".into(), package_password.clone()));
        let secrets = [package_password.as_str(), system_password.as_str(), url_password.as_str()];

        let assessment = assess_collect(&command, &context(supporting_all()));
        prop_assert!(!assessment.findings.is_empty());
        assert_hidden(&shown(&assessment), &secrets);
        assert_hidden(&format!("{command:?}"), &secrets);

        let mut form = command.to_form();
        if duplicate {
            // A repeated secret element is reported with the repeated value.
            form.push_str(&format!("&{}", pens_proto::encode_form([("system-password", system_password.as_str())])));
        }
        let decoded = CollectCommand::decode(form.as_bytes());
        prop_assert_eq!(decoded.duplicated.len(), usize::from(duplicate));
        assert_hidden(&format!("{decoded:?}"), &secrets);
        let assessment = assess_decoded_collect(&decoded, &pens_proto::CheckContext::at(NOW));
        assert_hidden(&shown(&assessment), &secrets);
    }
}

#[test]
fn quoted_secrets_read_redacted() {
    let mut command = CollectCommand::example();
    command.package_url_password = Some("hunter2".into());
    command.system_password = Some("s3cret".into());
    command.package_url = Some("https://bob:pa55word@staging.example/intro-101.zip".into());
    let debug = format!("{command:?}");
    assert!(debug.contains(r#""package-url-password": "[redacted]""#), "{debug}");
    assert!(debug.contains(r#""system-password": "[redacted]""#), "{debug}");
    assert!(debug.contains("https://bob:[redacted]@staging.example/intro-101.zip"), "{debug}");
    assert_hidden(&debug, &["hunter2", "s3cret", "pa55word"]);

    // A repeated, raw-space or unknown secret element is quoted as [redacted].
    let form = format!("{}&system-password=s3cret&system-password=other+one&x-api-token=t0ken", command.to_form());
    let decoded = CollectCommand::decode(form.as_bytes());
    let secret_findings: Vec<&Finding> =
        decoded.findings.iter().filter(|f| f.element.as_deref().is_some_and(pens_proto::is_secret_name)).collect();
    assert_eq!(secret_findings.len(), 2, "{:?}", decoded.findings);
    for finding in secret_findings {
        assert_eq!(finding.value.as_deref(), Some(REDACTED), "{finding:?}");
    }
    let raw = CollectCommand::decode(b"system-password=two words&client=x");
    assert_eq!(ids(&raw.findings), ["binding.url-encoding"]);
    assert_eq!(raw.findings[0].value.as_deref(), Some(REDACTED));
    assert_hidden(&format!("{decoded:?}{raw:?}"), &["s3cret", "other one", "t0ken", "two words"]);
}

#[test]
fn notifications_hide_url_passwords_and_secret_fields() {
    let mut receipt = Notification::receipt("urn:x:1", "LMS", pens_proto::ErrorCode::SUCCESS, "ok");
    receipt.package_url = Some("ftp://bob:pa55word@staging.example/p.zip".into());
    receipt.extra.push(("staging-password".into(), "hunter2".into()));
    let debug = format!("{receipt:?}");
    assert_hidden(&debug, &["pa55word", "hunter2"]);
    let decoded = Notification::decode(receipt.to_form().as_bytes());
    assert_hidden(&format!("{decoded:?}"), &["pa55word", "hunter2"]);
    let findings = pens_proto::check_notification(&decoded.notification, None, None);
    assert_hidden(&renderings(&findings), &["pa55word", "hunter2"]);
}

// ---- Regressions: defects found while writing these tests, now fixed. ----

#[test]

fn regression_encoding_findings_quote_secret_values() {
    for (input, secret) in [
        (&b"package-url-password=hunter2%zz&client=x"[..], "hunter2"),
        (b"system-password=s3cret%&client=x", "s3cret"),
        (b"system-password=s3cret%FF&client=x", "s3cret"),
    ] {
        let decoded = CollectCommand::decode(input);
        let assessment = assess_decoded_collect(&decoded, &context(supporting_all()));
        assert_hidden(&shown(&assessment), &[secret]);
        assert_hidden(&format!("{decoded:?}"), &[secret]);
    }
}

#[test]

fn regression_scheme_relative_package_url_quotes_the_password() {
    let mut command = CollectCommand::example();
    command.package_url = Some("//bob:hunter2@staging.example/intro-101.zip".into());
    let assessment = assess_collect(&command, &context(supporting_all()));
    assert_eq!(ids(&assessment.findings), ["collect.package-url.absolute"]);
    assert_hidden(&shown(&assessment), &["hunter2"]);
    assert_hidden(&format!("{command:?}"), &["hunter2"]);
}

#[test]

fn regression_decoded_form_debug_shows_passwords() {
    let decoded = decode_form(b"package-url-password=hunter2&system-password=s3cret");
    assert_hidden(&format!("{decoded:?}"), &["hunter2", "s3cret"]);
}
