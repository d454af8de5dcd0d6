//! `assess_collect`, element by element: from the valid example, each row removes,
//! empties or spoils one element (or changes one capability claim) and states the exact
//! findings and the exact answer a conformant target owes (CMI010 §6.2, §6.3).
//!
//! The tables are kept one row per line (`#[rustfmt::skip]`): rustfmt would spread each
//! row over seven lines and the table would stop reading as one.

use pens_proto::{
    CollectCommand, Element, ErrorCode, Level, PackageType, Support, TargetCapabilities, VENDOR_DATA_MIN_MAXIMUM,
    assess_collect,
};

use crate::support::{NOW, acceptable, assert_consistent, assess, context, ids, ids_and_levels, supporting_all};

use Level::{Info, Must, Should};

type Spoil = fn(&mut CollectCommand, &mut TargetCapabilities);

/// One row: what to change, then what must come out.
struct Row {
    name: &'static str,
    spoil: Spoil,
    /// `(requirement id, level)` of every finding, in order.
    findings: &'static [(&'static str, Level)],
    /// The code the highest-number rule gives.
    code: u16,
    /// Every acceptable code, ascending.
    acceptable: &'static [u16],
}

const fn row(
    name: &'static str,
    spoil: Spoil,
    findings: &'static [(&'static str, Level)],
    code: u16,
    acceptable: &'static [u16],
) -> Row {
    Row { name, spoil, findings, code, acceptable }
}

fn run(rows: &[Row]) {
    for row in rows {
        let mut command = CollectCommand::example();
        let mut target = supporting_all();
        (row.spoil)(&mut command, &mut target);
        let assessment = assess_collect(&command, &context(target));
        assert_consistent(&assessment, row.name);
        assert_eq!(ids_and_levels(&assessment.findings), row.findings, "{}: findings", row.name);
        for finding in &assessment.findings {
            assert!(finding.element.is_some(), "{}: a collect finding names its element: {finding}", row.name);
        }
        assert_eq!(assessment.expected.code, ErrorCode(row.code), "{}: code", row.name);
        assert_eq!(acceptable(&assessment), row.acceptable, "{}: acceptable", row.name);
    }
}

fn set(command: &mut CollectCommand, element: Element, value: &str) {
    command.set(element, Some(value.to_owned()));
}

#[test]
fn the_example_is_valid_and_owes_zero() {
    let assessment = assess(&CollectCommand::example());
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    assert_eq!(assessment.expected.code, ErrorCode::SUCCESS);
    assert_eq!(acceptable(&assessment), [0]);
    assert!(assessment.expected.problems.is_empty());
}

#[test]
fn without_capability_claims_the_example_may_also_be_refused_as_an_unsupported_type() {
    // CheckContext::at claims nothing: scorm-pif support is unknown, so 1430 is acceptable.
    let assessment = assess_collect(&CollectCommand::example(), &pens_proto::CheckContext::at(NOW));
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    assert_eq!(assessment.expected.code, ErrorCode::SUCCESS);
    assert_eq!(acceptable(&assessment), [0, 1430]);
}

#[test]
fn each_required_element_missing_empty_or_blank_owes_its_own_code() {
    // Codes written out, not taken from Element::missing_code, so the table checks it.
    let required: [(Element, &str, u16); 10] = [
        (Element::PensVersion, "collect.pens-version.present", 2001),
        (Element::Command, "collect.command.present", 2002),
        (Element::PackageType, "collect.package-type.present", 2003),
        (Element::PackageTypeVersion, "collect.package-type-version.present", 2004),
        (Element::PackageFormat, "collect.package-format.present", 2005),
        (Element::PackageId, "collect.package-id.present", 2007),
        (Element::PackageUrl, "collect.package-url.present", 2008),
        (Element::PackageUrlExpiry, "collect.package-url-expiry.present", 2009),
        (Element::Client, "collect.client.present", 2010),
        (Element::Receipt, "collect.receipt.present", 2011),
    ];
    let required_elements: Vec<Element> = Element::ALL.into_iter().filter(|e| e.is_required()).collect();
    assert_eq!(required_elements, required.map(|(e, _, _)| e), "the required elements of CMI010 §6.2");
    for (element, id, code) in required {
        for value in [None, Some(""), Some(" \t ")] {
            let label = format!("{element} = {value:?}");
            let mut command = CollectCommand::example();
            command.set(element, value.map(str::to_owned));
            let assessment = assess(&command);
            assert_consistent(&assessment, &label);
            assert_eq!(ids_and_levels(&assessment.findings), [(id, Must)], "{label}");
            let finding = &assessment.findings[0];
            assert_eq!(finding.element.as_deref(), Some(element.name()), "{label}");
            assert_eq!(finding.value.as_deref(), value, "{label}: the value as received");
            assert!(finding.message.contains(&code.to_string()), "{label}: {}", finding.message);
            assert_eq!(assessment.expected.code, ErrorCode(code), "{label}");
            assert_eq!(acceptable(&assessment), [code], "{label}");
        }
    }
}

#[test]
fn optional_elements_may_be_missing_or_empty() {
    for element in Element::ALL.into_iter().filter(|e| !e.is_required()) {
        for value in [None, Some(String::new())] {
            if element == Element::PackageUrlPassword && value.is_some() {
                continue; // an empty password is still a password: see `credentials`
            }
            let mut command = CollectCommand::example();
            command.set(element, value.clone());
            let assessment = assess(&command);
            assert!(assessment.findings.is_empty(), "{element} = {value:?}: {:?}", assessment.findings);
            assert_eq!(acceptable(&assessment), [0], "{element} = {value:?}");
        }
    }
}

#[test]
fn issue_acceptance_missing_receipt_and_package_type() {
    let mut command = CollectCommand::example();
    command.receipt = None;
    command.package_type = None;
    // With no capability claims at all, as a user would run it.
    let assessment = assess_collect(&command, &pens_proto::CheckContext::at(NOW));
    assert_consistent(&assessment, "acceptance");
    let mut found = ids(&assessment.findings);
    found.sort_unstable();
    assert_eq!(found, ["collect.package-type.present", "collect.receipt.present"]);
    for finding in &assessment.findings {
        assert!(finding.is_failure(), "{finding}");
        assert!(finding.requirement.section.starts_with("CMI010 §6.2"), "{finding}");
        assert!(finding.to_string().contains(finding.requirement.section), "{finding}");
    }
    assert_eq!(assessment.expected.code, ErrorCode::RECEIPT_INVALID);
    assert_eq!(acceptable(&assessment), [2011]);
    assert!(!assessment.expected.accepts(ErrorCode::PACKAGE_TYPE_INVALID));
}

#[test]
fn pens_version_and_command_values() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("pens-version 1.0", |c, _| set(c, Element::PensVersion, "1.0"), &[("collect.pens-version.format", Must)], 2001, &[2001]),
        row("pens-version v1.0.0", |c, _| set(c, Element::PensVersion, "v1.0.0"), &[("collect.pens-version.format", Must)], 2001, &[2001]),
        row("pens-version 1.0.0.0", |c, _| set(c, Element::PensVersion, "1.0.0.0"), &[("collect.pens-version.format", Must)], 2001, &[2001]),
        row("pens-version 2.0.0", |c, _| set(c, Element::PensVersion, "2.0.0"), &[("collect.pens-version.deployed", Should)], 1420, &[1420, 2001]),
        row("command delete", |c, _| set(c, Element::Command, "delete"), &[("collect.command.value", Must)], 1421, &[1421, 2002]),
        row("command revise", |c, _| set(c, Element::Command, "revise"), &[("collect.command.value", Must)], 1421, &[1421, 2002]),
        row("command bogus", |c, _| set(c, Element::Command, "fetch"), &[("collect.command.value", Must)], 2002, &[2002]),
        row("command Collect", |c, _| set(c, Element::Command, "Collect"), &[("collect.command.value", Must)], 2002, &[2002]),
    ];
    run(rows);
}

#[test]
fn package_type_vocabulary_and_support() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("package-type unknown", |c, _| set(c, Element::PackageType, "cmi5"), &[("collect.package-type.vocabulary", Must)], 2003, &[1430, 2003]),
        row("package-type upper case", |c, _| set(c, Element::PackageType, "SCORM-PIF"), &[("collect.package-type.vocabulary", Must)], 2003, &[1430, 2003]),
    ];
    run(rows);
    // Support is a claim about the target, not a fault of the client: no finding.
    for package_type in PackageType::ALL {
        for (support, code, codes) in
            [(Support::Yes, 0, &[0][..]), (Support::No, 1430, &[1430]), (Support::Unknown, 0, &[0, 1430])]
        {
            let label = format!("{} with support {support:?}", package_type.as_str());
            let mut command = CollectCommand::example();
            command.package_type = Some(package_type.as_str().to_owned());
            let mut target = supporting_all();
            match package_type {
                PackageType::AiccPkg => target.aicc_pkg = support,
                PackageType::ScormPif => target.scorm_pif = support,
                PackageType::ImsQti => target.ims_qti = support,
            }
            let assessment = assess_collect(&command, &context(target));
            assert_consistent(&assessment, &label);
            assert!(assessment.findings.is_empty(), "{label}: {:?}", assessment.findings);
            assert_eq!(assessment.expected.code, ErrorCode(code), "{label}");
            assert_eq!(acceptable(&assessment), codes, "{label}");
            if support == Support::No {
                assert_eq!(assessment.expected.problems[0].requirement.id, "target.error.applicable-code", "{label}");
            }
        }
    }
}

#[test]
fn package_format_and_package_id() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("package-format reserved jar", |c, _| set(c, Element::PackageFormat, "jar"), &[], 0, &[0]),
        row("package-format tgz", |c, _| set(c, Element::PackageFormat, "tgz"), &[("collect.package-format.vocabulary", Should)], 0, &[0, 2005]),
        row("package-format ZIP", |c, _| set(c, Element::PackageFormat, "ZIP"), &[("collect.package-format.vocabulary", Should)], 0, &[0, 2005]),
        row("package-id not a URI", |c, _| set(c, Element::PackageId, "intro-101"), &[("collect.package-id.uri", Must)], 2007, &[2007]),
        row("package-id with a space", |c, _| set(c, Element::PackageId, "https://authoring.example/intro 101"), &[("collect.uri.escaped", Should)], 0, &[0, 2007]),
        row("package-id namespace only", |c, _| set(c, Element::PackageId, "https://authoring.example/"), &[("collect.package-id.namespace", Should)], 0, &[0]),
        row("package-id urn without id", |c, _| set(c, Element::PackageId, "urn:authoring"), &[("collect.package-id.namespace", Should)], 0, &[0]),
        row("package-id urn with id", |c, _| set(c, Element::PackageId, "urn:authoring:intro-101"), &[], 0, &[0]),
        row("package-id id in query", |c, _| set(c, Element::PackageId, "https://authoring.example/?course=101"), &[], 0, &[0]),
        // CMI010 App. A's own: a registry-based authority (RFC 2396 §3.2.1), the id after its `:`.
        row("package-id App. A", |c, _| set(c, Element::PackageId, "http://myurl.com:2631e419-1573-4720-b4c6-8701f960dccc"), &[], 0, &[0]),
        row("package-id App. A §2", |c, _| set(c, Element::PackageId, "http://www.author.com:994646572378864600-1085069139609"), &[], 0, &[0]),
        // A port is `*digit` with no range (RFC 3986 §3.2.3): a browser parser refuses it, the RFC does not.
        row("package-id long digits after the host", |c, _| set(c, Element::PackageId, "http://vendor.example:1796576179010"), &[], 0, &[0]),
        row("package-id IRI", |c, _| set(c, Element::PackageId, "urn:authoring:cours-é"), &[("collect.uri.escaped", Should)], 0, &[0, 2007]),
        row("package-id broken escape", |c, _| set(c, Element::PackageId, "urn:authoring:%zz"), &[("collect.package-id.uri", Must)], 2007, &[2007]),
    ];
    run(rows);
}

#[test]
fn package_url() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("package-url relative", |c, _| set(c, Element::PackageUrl, "/packages/intro-101.zip"), &[("collect.package-url.absolute", Must)], 2008, &[2008]),
        row("package-url without scheme", |c, _| set(c, Element::PackageUrl, "staging.example/packages/intro-101.zip"), &[("collect.package-url.absolute", Must)], 2008, &[2008]),
        row("package-url without host", |c, _| set(c, Element::PackageUrl, "file:///packages/intro-101.zip"), &[("collect.package-url.absolute", Must)], 2008, &[2008]),
        row("package-url scheme gopher", |c, _| set(c, Element::PackageUrl, "gopher://staging.example/intro-101.zip"), &[("collect.package-url.scheme", Must)], 2008, &[1301, 2008]),
        row("package-url scheme sftp", |c, _| set(c, Element::PackageUrl, "sftp://staging.example/intro-101.zip"), &[("collect.package-url.scheme", Must)], 2008, &[1301, 2008]),
        row("package-url no extension", |c, _| set(c, Element::PackageUrl, "https://staging.example/packages/intro-101"), &[("collect.package-url.file-name", Must)], 2008, &[0, 2008]),
        row("package-url directory", |c, _| set(c, Element::PackageUrl, "https://staging.example/packages/"), &[("collect.package-url.file-name", Must)], 2008, &[0, 2008]),
        row("package-url dot file", |c, _| set(c, Element::PackageUrl, "https://staging.example/packages/.zip"), &[("collect.package-url.file-name", Must)], 2008, &[0, 2008]),
        row("package-url with query", |c, _| set(c, Element::PackageUrl, "https://staging.example/get/intro-101.zip?token=x"), &[], 0, &[0]),
        row("package-url with a space", |c, _| set(c, Element::PackageUrl, "https://staging.example/my course.zip"), &[("collect.uri.escaped", Should)], 0, &[0, 2008]),
        row("package-url port beyond 65535", |c, _| set(c, Element::PackageUrl, "https://staging.example:99999/intro-101.zip"), &[("collect.url.reachable", Should)], 0, &[0, 1301, 1310, 2008]),
        row("package-url upper-case scheme", |c, _| set(c, Element::PackageUrl, "HTTPS://staging.example/intro-101.zip"), &[], 0, &[0]),
        row("package-url user without password", |c, _| set(c, Element::PackageUrl, "https://bob@staging.example/intro-101.zip"), &[], 0, &[0]),
        row("package-url userinfo password", |c, _| set(c, Element::PackageUrl, "https://bob:hunter2@staging.example/intro-101.zip"), &[("collect.package-url.no-userinfo", Should)], 0, &[0]),
        row("package-url ftp, ftp unsupported, no extension", |c, t| { set(c, Element::PackageUrl, "ftp://staging.example/intro-101"); t.ftp = Support::No; }, &[("collect.package-url.file-name", Must)], 2008, &[1304, 2008]),
    ];
    run(rows);
}

#[test]
fn a_userinfo_password_is_reported_but_never_quoted() {
    let mut command = CollectCommand::example();
    command.package_url = Some("https://bob:hunter2@staging.example/intro-101.zip".into());
    let assessment = assess(&command);
    assert_eq!(ids(&assessment.findings), ["collect.package-url.no-userinfo"]);
    let finding = &assessment.findings[0];
    assert_eq!(finding.value.as_deref(), Some("https://bob:[redacted]@staging.example/intro-101.zip"));
    assert!(!format!("{finding:?} {finding}").contains("hunter2"));
}

#[test]
fn ftp_and_ftps_follow_the_claimed_support() {
    for (scheme, code) in [("ftp", 1304), ("ftps", 1306)] {
        for (support, expected, codes) in
            [(Support::Yes, 0, vec![0]), (Support::No, code, vec![code]), (Support::Unknown, 0, vec![0, code])]
        {
            let label = format!("{scheme} with support {support:?}");
            let mut command = CollectCommand::example();
            command.package_url = Some(format!("{scheme}://staging.example/packages/intro-101.zip"));
            let mut target = supporting_all();
            if scheme == "ftp" {
                target.ftp = support;
            } else {
                target.ftps = support;
            }
            let assessment = assess_collect(&command, &context(target));
            assert_consistent(&assessment, &label);
            assert!(assessment.findings.is_empty(), "{label}: {:?}", assessment.findings);
            assert_eq!(assessment.expected.code, ErrorCode(expected), "{label}");
            assert_eq!(acceptable(&assessment), codes, "{label}");
            if support != Support::Yes {
                let requirement = assessment.expected.problems[0].requirement.id;
                assert_eq!(requirement, format!("target.fetch.{scheme}"), "{label}");
            }
        }
    }
}

#[test]
fn credentials() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("password without user id", |c, _| c.package_url_password = Some("pw".into()), &[("collect.credentials.paired", Info)], 0, &[0]),
        // Empty optional elements are implementation-defined (CMI010 §4.3); the check
        // reads an empty password as given, and an empty user id as given too.
        row("empty password without user id", |c, _| c.package_url_password = Some(String::new()), &[("collect.credentials.paired", Info)], 0, &[0]),
        row("password with user id", |c, _| { c.package_url_password = Some("pw".into()); c.package_url_user_id = Some("bob".into()); }, &[], 0, &[0]),
        row("password with empty user id", |c, _| { c.package_url_password = Some("pw".into()); c.package_url_user_id = Some(String::new()); }, &[], 0, &[0]),
        row("system credentials", |c, _| { c.system_user_id = Some("alice".into()); c.system_password = Some("pw".into()); c.package_url_account = Some("acct".into()); }, &[], 0, &[0]),
    ];
    run(rows);
}

#[test]
fn package_url_expiry() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("expiry malformed", |c, _| set(c, Element::PackageUrlExpiry, "next tuesday"), &[("collect.package-url-expiry.format", Must)], 2009, &[1320, 2009]),
        row("expiry date only", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31"), &[("collect.package-url-expiry.format", Must)], 2009, &[1320, 2009]),
        row("expiry February 30th", |c, _| set(c, Element::PackageUrlExpiry, "2099-02-30T00:00:00Z"), &[("collect.package-url-expiry.format", Must)], 2009, &[1320, 2009]),
        row("expiry +0000", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59+0000"), &[("collect.package-url-expiry.z-designator", Should)], 0, &[0, 1320, 2009]),
        row("expiry +00:00", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59+00:00"), &[("collect.package-url-expiry.z-designator", Should)], 0, &[0, 1320, 2009]),
        row("expiry +02:00", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59+02:00"), &[("collect.package-url-expiry.utc", Should)], 0, &[0, 1320, 2009]),
        row("expiry -0500", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59-0500"), &[("collect.package-url-expiry.utc", Should)], 0, &[0, 1320, 2009]),
        row("expiry without zone", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59"), &[("collect.package-url-expiry.utc", Should)], 0, &[0, 1320, 2009]),
        row("expiry basic format", |c, _| set(c, Element::PackageUrlExpiry, "20991231T235959Z"), &[], 0, &[0]),
        row("expiry with fraction", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59.5Z"), &[], 0, &[0]),
        // RFC 3339 §5.6 (after ABNF and ISO 8601): `t` and `z` may be lower case.
        row("expiry lower-case z", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59z"), &[], 0, &[0]),
        row("expiry offset with fraction", |c, _| set(c, Element::PackageUrlExpiry, "2099-12-31T23:59:59.250+05:00"), &[("collect.package-url-expiry.utc", Should)], 0, &[0, 1320, 2009]),
        row("expiry not a date", |c, _| set(c, Element::PackageUrlExpiry, "tomorrow"), &[("collect.package-url-expiry.format", Must)], 2009, &[1320, 2009]),
        row("expiry past", |c, _| set(c, Element::PackageUrlExpiry, "2020-01-01T00:00:00Z"), &[("collect.package-url-expiry.future", Must)], 1322, &[1322, 2009]),
        row("expiry exactly now", |c, _| set(c, Element::PackageUrlExpiry, "2026-06-01T00:00:00Z"), &[("collect.package-url-expiry.future", Must)], 1322, &[1322, 2009]),
        row("expiry one second after now", |c, _| set(c, Element::PackageUrlExpiry, "2026-06-01T00:00:01Z"), &[], 0, &[0]),
        row("expiry past and local time", |c, _| set(c, Element::PackageUrlExpiry, "2020-01-01T00:00:00"), &[("collect.package-url-expiry.utc", Should), ("collect.package-url-expiry.future", Must)], 1322, &[1322, 2009]),
        // Read in UTC, 2026-06-01T01:30+02:00 is 2026-05-31T23:30Z: already past.
        row("expiry offset puts it in the past", |c, _| set(c, Element::PackageUrlExpiry, "2026-06-01T01:30:00+02:00"), &[("collect.package-url-expiry.utc", Should), ("collect.package-url-expiry.future", Must)], 1322, &[1322, 2009]),
    ];
    run(rows);
}

#[test]
fn receipt_and_alerts_urls() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("receipt not a URL", |c, _| set(c, Element::Receipt, "authoring.example/pens/receipt"), &[("collect.receipt.url", Must)], 2011, &[2011]),
        row("receipt http without host", |c, _| set(c, Element::Receipt, "http://"), &[("collect.receipt.url", Must)], 2011, &[1500, 2011]),
        row("receipt unsupported scheme", |c, _| set(c, Element::Receipt, "ftp://authoring.example/receipt"), &[("collect.receipt.url", Must)], 2011, &[1510, 2011]),
        row("receipt mailto bad address", |c, _| set(c, Element::Receipt, "mailto:not-an-address"), &[("collect.receipt.url", Must)], 2011, &[2011]),
        row("receipt mailto no address", |c, _| set(c, Element::Receipt, "mailto:?subject=x"), &[("collect.receipt.url", Must)], 2011, &[2011]),
        row("receipt mailto supported", |c, _| set(c, Element::Receipt, "mailto:pens@authoring.example"), &[], 0, &[0]),
        row("receipt mailto unsupported", |c, t| { set(c, Element::Receipt, "mailto:pens@authoring.example,ops@authoring.example"); t.mailto_receipt = Support::No; }, &[], 1510, &[1510]),
        row("receipt mailto unknown", |c, t| { set(c, Element::Receipt, "mailto:pens@authoring.example"); t.mailto_receipt = Support::Unknown; }, &[], 0, &[0, 1510]),
        row("alerts http", |c, _| set(c, Element::Alerts, "https://authoring.example/pens/alerts"), &[], 0, &[0]),
        row("receipt port beyond 65535", |c, _| set(c, Element::Receipt, "https://authoring.example:99999/pens"), &[("collect.url.reachable", Should)], 0, &[0, 1500, 2011]),
        row("receipt mailto with a display name", |c, _| set(c, Element::Receipt, "mailto:PENS%20desk%20%3Cpens@authoring.example%3E"), &[], 0, &[0]),
        row("receipt mailto with a raw display name", |c, _| set(c, Element::Receipt, "mailto:PENS desk <pens@authoring.example>"), &[("collect.uri.escaped", Should)], 0, &[0, 2011]),
        // CMI010 App. A §2 writes `alerts=http%3A%2Fauthor.com%2Fpens.cgi`: one slash, no host.
        row("alerts http without host (App. A §2)", |c, _| set(c, Element::Alerts, "http:/author.com/pens.cgi"), &[("collect.url.reachable", Should)], 0, &[0, 1201, 1520]),
        row("alerts malformed", |c, _| set(c, Element::Alerts, "authoring.example/alerts"), &[("collect.alerts.url", Must)], 1201, &[1201, 1520]),
        row("alerts mailto bad address", |c, _| set(c, Element::Alerts, "mailto:someone"), &[("collect.alerts.url", Must)], 1201, &[1201, 1520]),
        row("alerts unsupported scheme", |c, _| set(c, Element::Alerts, "ftp://authoring.example/alerts"), &[("collect.alerts.url", Must)], 1520, &[1201, 1520]),
        row("alerts mailto supported", |c, _| set(c, Element::Alerts, "mailto:pens@authoring.example"), &[], 0, &[0]),
        row("alerts mailto unsupported", |c, t| { set(c, Element::Alerts, "mailto:pens@authoring.example"); t.mailto_alerts = Support::No; }, &[], 1520, &[1520]),
        row("alerts mailto unknown", |c, t| { set(c, Element::Alerts, "mailto:pens@authoring.example"); t.mailto_alerts = Support::Unknown; }, &[], 0, &[0, 1520]),
        row("alerts blank", |c, _| set(c, Element::Alerts, "  "), &[], 0, &[0]),
    ];
    run(rows);
}

#[test]
fn vendor_data_length_counts_characters() {
    assert_eq!(VENDOR_DATA_MIN_MAXIMUM, 4096);
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("vendor-data 4096 chars", |c, _| c.vendor_data = Some("v".repeat(4096)), &[], 0, &[0]),
        row("vendor-data 4096 two-byte chars", |c, _| c.vendor_data = Some("é".repeat(4096)), &[], 0, &[0]),
        row("vendor-data 4097 chars", |c, _| c.vendor_data = Some("v".repeat(4097)), &[("collect.vendor-data.length", Should)], 0, &[0, 1201]),
        row("vendor-data with line breaks", |c, _| c.vendor_data = Some("a=1\r\nb=2&c".into()), &[], 0, &[0]),
    ];
    run(rows);
}

#[test]
fn extra_elements_in_memory_are_not_judged() {
    // assess_collect judges the seventeen elements; unknown names are a binding matter
    // reported by CollectCommand::decode (see collect_decoded).
    let mut command = CollectCommand::example();
    command.extra.push(("x-course-title".into(), "Intro".into()));
    let assessment = assess(&command);
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    assert_eq!(acceptable(&assessment), [0]);
}

#[test]
fn several_problems_owe_the_highest_numbered_code() {
    #[rustfmt::skip]
    let rows: &[Row] = &[
        row("missing client, bad expiry", |c, _| { c.client = None; set(c, Element::PackageUrlExpiry, "soon"); }, &[("collect.package-url-expiry.format", Must), ("collect.client.present", Must)], 2010, &[2010]),
        row("missing everything required", |c, _| *c = CollectCommand::default(), &[
            ("collect.pens-version.present", Must),
            ("collect.command.present", Must),
            ("collect.package-type.present", Must),
            ("collect.package-type-version.present", Must),
            ("collect.package-format.present", Must),
            ("collect.package-id.present", Must),
            ("collect.package-url.present", Must),
            ("collect.package-url-expiry.present", Must),
            ("collect.client.present", Must),
            ("collect.receipt.present", Must),
        ], 2011, &[2011]),
        row("ftp unknown, bad expiry", |c, t| { set(c, Element::PackageUrl, "ftp://staging.example/p.zip"); t.ftp = Support::Unknown; set(c, Element::PackageUrlExpiry, "soon"); }, &[("collect.package-url-expiry.format", Must)], 2009, &[1320, 2009]),
        row("ftp unknown, mailto receipt unknown", |c, t| { set(c, Element::PackageUrl, "ftp://staging.example/p.zip"); t.ftp = Support::Unknown; set(c, Element::Receipt, "mailto:a@authoring.example"); t.mailto_receipt = Support::Unknown; }, &[], 0, &[0, 1304, 1510]),
        row("ftp unsupported, +0000 expiry", |c, t| { set(c, Element::PackageUrl, "ftp://staging.example/p.zip"); t.ftp = Support::No; set(c, Element::PackageUrlExpiry, "2099-01-01T00:00:00+0000"); }, &[("collect.package-url-expiry.z-designator", Should)], 1304, &[1304, 1320, 2009]),
        row("past expiry, unknown type", |c, _| { set(c, Element::PackageUrlExpiry, "2020-01-01T00:00:00Z"); set(c, Element::PackageType, "cmi5"); }, &[("collect.package-type.vocabulary", Must), ("collect.package-url-expiry.future", Must)], 2003, &[1430, 2003, 2009]),
        row("bad format and vendor-data too long", |c, _| { set(c, Element::PackageFormat, "tgz"); c.vendor_data = Some("v".repeat(5000)); }, &[("collect.package-format.vocabulary", Should), ("collect.vendor-data.length", Should)], 0, &[0, 1201, 2005]),
        // A target that does not speak the version or command need not find the rest.
        row("version 2.0.0, missing receipt", |c, _| { set(c, Element::PensVersion, "2.0.0"); c.receipt = None; }, &[("collect.pens-version.deployed", Should), ("collect.receipt.present", Must)], 2011, &[1420, 2011]),
        row("command delete, missing client", |c, _| { set(c, Element::Command, "delete"); c.client = None; }, &[("collect.command.value", Must), ("collect.client.present", Must)], 2010, &[1421, 2010]),
        row("command bogus, missing receipt", |c, _| { set(c, Element::Command, "fetch"); c.receipt = None; }, &[("collect.command.value", Must), ("collect.receipt.present", Must)], 2011, &[2002, 2011]),
        row("malformed alerts, version 1.0", |c, _| { set(c, Element::Alerts, "nowhere"); set(c, Element::PensVersion, "1.0"); }, &[("collect.pens-version.format", Must), ("collect.alerts.url", Must)], 2001, &[2001]),
    ];
    run(rows);
}
