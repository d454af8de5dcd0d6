//! Writing the collect command (CMI010 §6.2) for one publication: a pure function of
//! the behaviour, the request, where the package and the receipts live, and the time.
//!
//! Every element a defect can spoil is decided here from the [`Behaviour`]'s knobs, so
//! a unit test can judge each defect's collect with pens-proto without a socket.

use pens_proto::{COLLECT, CollectCommand, format_expiry};
use time::OffsetDateTime;

use super::defect::{Behaviour, CredentialsRule, ExpiryRule, PackageIdRule, PackageUrlRule, ReceiptRule};
use super::options::{FALLBACK_STAGING_USER, PACKAGE_ID_NAMESPACE, ReferenceClientOptions};
use super::request::PublishRequest;
use pens_parties::path::encode_segment;

/// The password the `wrong-credentials` defect protects the package with when no
/// credentials were configured. It is never advertised, so it guards nothing secret.
const FALLBACK_STAGING_PASSWORD: &str = "reference-client-staging";

/// Where a publication's package and notifications live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Addresses {
    /// The fully qualified package URL (HTTP or HTTPS, as configured).
    pub(crate) package_url: String,
    /// Its path alone, `/s/<key>/<file_name>`.
    pub(crate) package_path: String,
    /// This publication's receipt URL.
    pub(crate) receipt: String,
    /// This publication's alerts URL.
    pub(crate) alerts: String,
}

/// The `package-id` of course `course_id`.
pub(crate) fn package_id(rule: PackageIdRule, course_id: &str) -> String {
    match rule {
        PackageIdRule::Namespaced => format!("{PACKAGE_ID_NAMESPACE}{}", encode_segment(course_id)),
        PackageIdRule::NotUri => format!("course {course_id}"),
    }
}

/// The `package-url-expiry` for a collect sent at `now`.
pub(crate) fn expiry(rule: ExpiryRule, now: OffsetDateTime) -> Option<String> {
    let in_one_hour = format_expiry(now + time::Duration::HOUR);
    match rule {
        ExpiryRule::InOneHourUtc => Some(in_one_hour),
        ExpiryRule::Missing => None,
        ExpiryRule::InOneHourNoZone => Some(in_one_hour.trim_end_matches('Z').to_owned()),
        ExpiryRule::OneHourAgo => Some(format_expiry(now - time::Duration::HOUR)),
    }
}

/// The credentials the staging server checks: the configured ones, or under
/// `wrong-credentials` a fallback pair when none were configured.
pub(crate) fn staging_credentials(rule: CredentialsRule, options: &ReferenceClientOptions) -> Option<(String, String)> {
    match (rule, &options.credentials) {
        (_, Some(configured)) => Some(configured.clone()),
        (CredentialsRule::AsStaged, None) => None,
        (CredentialsRule::WrongPassword, None) => {
            Some((FALLBACK_STAGING_USER.to_owned(), FALLBACK_STAGING_PASSWORD.to_owned()))
        }
    }
}

/// The credentials the collect advertises, given those the staging server checks.
pub(crate) fn advertised_credentials(
    rule: CredentialsRule,
    staging: Option<&(String, String)>,
) -> Option<(String, String)> {
    let (user, password) = staging?;
    match rule {
        CredentialsRule::AsStaged => Some((user.clone(), password.clone())),
        CredentialsRule::WrongPassword => Some((user.clone(), format!("not-{password}"))),
    }
}

/// The collect of one publication, as sent.
pub(crate) fn build_collect(
    behaviour: &Behaviour,
    options: &ReferenceClientOptions,
    request: &PublishRequest,
    addresses: &Addresses,
    advertised: Option<(String, String)>,
    now: OffsetDateTime,
) -> CollectCommand {
    let package_url = match behaviour.package_url {
        PackageUrlRule::Absolute => addresses.package_url.clone(),
        PackageUrlRule::PathOnly => addresses.package_path.clone(),
    };
    let receipt = match behaviour.receipt {
        ReceiptRule::Included => Some(addresses.receipt.clone()),
        ReceiptRule::Omitted => None,
    };
    let (package_url_user_id, package_url_password) = advertised.unzip();
    let (system_user_id, system_password) = options.system_credentials.clone().unzip();
    CollectCommand {
        pens_version: Some(behaviour.version.value().to_owned()),
        command: Some(COLLECT.to_owned()),
        package_type: Some(behaviour.package_type.declare(request.package_type).as_str().to_owned()),
        package_type_version: Some(request.package_type_version.clone()),
        package_format: Some(request.package_format.clone()),
        package_id: Some(package_id(behaviour.package_id, &request.course_id)),
        package_url: Some(package_url),
        package_url_user_id,
        package_url_account: None,
        package_url_password,
        package_url_expiry: expiry(behaviour.expiry, now),
        client: Some(options.client_name.clone()),
        system_user_id,
        system_password,
        receipt,
        alerts: Some(addresses.alerts.clone()),
        vendor_data: request.vendor_data.clone(),
        extra: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use pens_proto::{CheckContext, ErrorCode, ZoneForm, assess_collect, parse_expiry};

    use super::super::defect::ClientDefect;
    use super::*;
    use pens_parties::reference_capabilities;

    fn addresses() -> Addresses {
        Addresses {
            package_url: "http://127.0.0.1:4000/s/publication-1/course.zip".into(),
            package_path: "/s/publication-1/course.zip".into(),
            receipt: "http://127.0.0.1:4001/r/publication-1/receipt".into(),
            alerts: "http://127.0.0.1:4001/r/publication-1/alerts".into(),
        }
    }

    fn collect_of(
        defect: Option<ClientDefect>,
        options: &ReferenceClientOptions,
        now: OffsetDateTime,
    ) -> CollectCommand {
        let behaviour = Behaviour::of(defect);
        let request = PublishRequest::new("intro 101", "course.zip", Bytes::from_static(b"PK"));
        let staging = staging_credentials(behaviour.credentials, options);
        let advertised = advertised_credentials(behaviour.credentials, staging.as_ref());
        build_collect(&behaviour, options, &request, &addresses(), advertised, now)
    }

    /// The answer the reference target owes each defect's collect (pens-proto's
    /// primary code, with the reference target's claims): the collect-level defects
    /// are refused, the others only show after the answer.
    fn expected_answer(defect: ClientDefect) -> u16 {
        match defect {
            ClientDefect::MissingExpiry => 2009,
            // A warning only: CMI010's own App. A example has no zone either.
            ClientDefect::LocalTimeExpiry => 0,
            ClientDefect::PensVersion10 => 2001,
            ClientDefect::RelativePackageUrl => 2008,
            ClientDefect::NonUriPackageId => 2007,
            ClientDefect::ExpiredExpiry => 1322,
            ClientDefect::NoReceiptUrl => 2011,
            ClientDefect::PackageNotStaged
            | ClientDefect::WrongCredentials
            | ClientDefect::BadReceiptAnswer
            | ClientDefect::GetInsteadOfPost
            | ClientDefect::WrongPackageType
            | ClientDefect::StrictNotifications => 0,
        }
    }

    #[test]
    fn the_correct_collect_is_flawless() {
        let now = OffsetDateTime::now_utc();
        let options = ReferenceClientOptions::builder().credentials("pens", "s3cret").build();
        let command = collect_of(None, &options, now);
        let context = CheckContext { now, target: reference_capabilities() };
        let assessment = assess_collect(&command, &context);
        assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
        assert_eq!(assessment.expected.code, ErrorCode::SUCCESS);
        assert_eq!(
            command.package_id.as_deref(),
            Some("https://pens-conform.invalid/reference-client/courses/intro%20101")
        );
        assert_eq!(command.pens_version.as_deref(), Some("1.0.0"));
        assert_eq!(command.client.as_deref(), Some(super::super::options::REFERENCE_CLIENT_NAME));
        let expiry = parse_expiry(command.package_url_expiry.as_deref().unwrap_or_default()).expect("expiry");
        assert_eq!(expiry.zone, ZoneForm::Z);
        assert_eq!(expiry.instant, (now + time::Duration::HOUR).replace_nanosecond(0).expect("whole second"));
        assert_eq!(command.package_url_password.as_deref(), Some("s3cret"));
        assert_eq!(command.receipt, Some(addresses().receipt));
        assert_eq!(command.alerts, Some(addresses().alerts));
    }

    #[test]
    fn each_defect_spoils_its_element_and_the_answer_pens_proto_expects() {
        let now = OffsetDateTime::now_utc();
        let options = ReferenceClientOptions::default();
        let context = CheckContext { now, target: reference_capabilities() };
        let correct = collect_of(None, &options, now);
        for defect in ClientDefect::ALL {
            let command = collect_of(Some(defect), &options, now);
            let expected = assess_collect(&command, &context).expected.code;
            assert_eq!(expected, ErrorCode(expected_answer(defect)), "{defect}: {command:?}");
            let changed: Vec<&str> = pens_proto::Element::ALL
                .into_iter()
                .filter(|e| correct.get(*e) != command.get(*e))
                .map(pens_proto::Element::name)
                .collect();
            let spoiled: &[&str] = match defect {
                ClientDefect::MissingExpiry | ClientDefect::LocalTimeExpiry | ClientDefect::ExpiredExpiry => {
                    &["package-url-expiry"]
                }
                ClientDefect::PensVersion10 => &["pens-version"],
                ClientDefect::RelativePackageUrl => &["package-url"],
                ClientDefect::NonUriPackageId => &["package-id"],
                ClientDefect::WrongPackageType => &["package-type"],
                ClientDefect::NoReceiptUrl => &["receipt"],
                // Credentials appear with the defect: the staging server now checks some.
                ClientDefect::WrongCredentials => &["package-url-user-id", "package-url-password"],
                ClientDefect::PackageNotStaged
                | ClientDefect::BadReceiptAnswer
                | ClientDefect::GetInsteadOfPost
                | ClientDefect::StrictNotifications => &[],
            };
            assert_eq!(changed, spoiled, "{defect}");
        }
    }

    #[test]
    fn expiries_have_the_form_their_rule_names() {
        let now = OffsetDateTime::now_utc();
        let zone = |rule| expiry(rule, now).map(|v| parse_expiry(&v).expect("parses").zone);
        assert_eq!(zone(ExpiryRule::InOneHourUtc), Some(ZoneForm::Z));
        assert_eq!(zone(ExpiryRule::InOneHourNoZone), Some(ZoneForm::Missing));
        assert_eq!(zone(ExpiryRule::Missing), None);
        let past = parse_expiry(&expiry(ExpiryRule::OneHourAgo, now).unwrap_or_default()).expect("parses");
        assert!(past.instant < now && past.zone == ZoneForm::Z);
    }

    #[test]
    fn the_wrong_password_differs_from_the_staged_one() {
        let options = ReferenceClientOptions::builder().credentials("pens", "s3cret").build();
        let staging = staging_credentials(CredentialsRule::WrongPassword, &options);
        assert_eq!(staging, Some(("pens".into(), "s3cret".into())));
        let advertised = advertised_credentials(CredentialsRule::WrongPassword, staging.as_ref());
        assert!(matches!(advertised, Some((user, password)) if user == "pens" && password != "s3cret"));
        let fallback = staging_credentials(CredentialsRule::WrongPassword, &ReferenceClientOptions::default());
        assert!(fallback.is_some());
        assert_eq!(staging_credentials(CredentialsRule::AsStaged, &ReferenceClientOptions::default()), None);
        assert_eq!(advertised_credentials(CredentialsRule::AsStaged, None), None);
    }
}
