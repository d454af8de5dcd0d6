//! Judging a collect command: the client's findings and the answer a conformant target
//! owes it (CMI010 §6.2, §6.3).
//!
//! Each element check produces two things side by side: findings about the *client*
//! (did it send what the spec asks?) and [`Problem`]s for the *target* (what must it
//! answer?). Keeping them together in one pass means the two views cannot drift apart.

use serde::Serialize;
use time::OffsetDateTime;
use url::Url;

use crate::ack_url::{AckUrl, AckUrlError, parse_ack_url};
use crate::collect::{
    COLLECT, CollectCommand, DecodedCollect, PENS_VERSION, PackageType, RESERVED_COMMANDS, RESERVED_PACKAGE_FORMATS,
    parse_pens_version,
};
use crate::element::Element;
use crate::error_code::ErrorCode;
use crate::expected::{ExpectedAnswer, Problem, Support, TargetCapabilities};
use crate::expiry::{ZoneForm, parse_expiry};
use crate::finding::Finding;
use crate::requirement::{Requirement, req};

/// vendor-data length every target must accept (CMI010 §6.2).
pub const VENDOR_DATA_MIN_MAXIMUM: usize = 4096;

/// What a check needs besides the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckContext {
    /// The instant the command was sent or received, for the expiry check.
    pub now: OffsetDateTime,
    /// What the target under test claims to support.
    pub target: TargetCapabilities,
}

impl CheckContext {
    /// A context at `now`, with no capability claims.
    pub fn at(now: OffsetDateTime) -> Self {
        CheckContext { now, target: TargetCapabilities::default() }
    }
}

/// The judgement of one collect command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CollectAssessment {
    /// Findings about the command, binding findings first, then element by element.
    pub findings: Vec<Finding>,
    /// What a conformant target answers.
    pub expected: ExpectedAnswer,
}

/// Judges a decoded collect, binding findings included.
pub fn assess_decoded_collect(decoded: &DecodedCollect, context: &CheckContext) -> CollectAssessment {
    let mut check = Check { findings: decoded.findings.clone(), problems: Vec::new() };
    if decoded.unparseable {
        check.problems.push(Problem::new(&req::BINDING_URL_ENCODING, None, ErrorCode::SUCCESS).or_whole(
            ErrorCode::UNABLE_TO_PARSE,
            "the message cannot be decoded as a PENS command: 1101 unable to parse",
        ));
    }
    for element in &decoded.duplicated {
        check.problems.push(
            Problem::new(&req::BINDING_ELEMENT_UNIQUE, Some(element.name()), ErrorCode::SUCCESS)
                .or(ErrorCode::INVALID_ARGUMENT, "a repeated element may be refused as an invalid argument")
                .or_whole(ErrorCode::UNABLE_TO_PARSE, "a repeated element may make the command unparseable"),
        );
    }
    if !decoded.last_values.is_empty() {
        // A target may keep the last of repeated values: what it owes then is acceptable too.
        let mut last_reading = decoded.command.clone();
        for (element, value) in &decoded.last_values {
            last_reading.set(*element, Some(value.clone()));
        }
        let names: Vec<&str> = decoded.last_values.iter().map(|(e, _)| e.name()).collect();
        let mut problem = Problem::new(&req::BINDING_ELEMENT_UNIQUE, None, ErrorCode::SUCCESS);
        for code in assess_collect(&last_reading, context).expected.acceptable {
            let reason = format!("a target that keeps the last value of {} answers {code}", names.join(", "));
            problem = problem.or_whole(code, reason);
        }
        check.problems.push(problem);
    }
    check.command(&decoded.command, context);
    CollectAssessment { findings: check.findings, expected: ExpectedAnswer::from_problems(check.problems) }
}

/// Judges a collect command held in memory (no binding findings).
pub fn assess_collect(command: &CollectCommand, context: &CheckContext) -> CollectAssessment {
    let mut check = Check { findings: Vec::new(), problems: Vec::new() };
    check.command(command, context);
    CollectAssessment { findings: check.findings, expected: ExpectedAnswer::from_problems(check.problems) }
}

struct Check {
    findings: Vec<Finding>,
    problems: Vec<Problem>,
}

/// Whether an element value counts as absent: missing, empty or blank.
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

impl Check {
    fn finding(&mut self, requirement: &'static Requirement, element: Element, value: Option<&str>, message: String) {
        let mut finding = Finding::new(requirement, message).element(element.name());
        if let Some(value) = value {
            finding = finding.value(value);
        }
        self.findings.push(finding);
    }

    /// The element's own code, as a problem.
    fn invalid(&mut self, requirement: &'static Requirement, element: Element) -> &mut Problem {
        let code = element.missing_code().unwrap_or(ErrorCode::INVALID_ARGUMENT);
        self.problems.push(Problem::new(requirement, Some(element.name()), code));
        self.problems.last_mut().expect("just pushed")
    }

    fn problem(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// A required element: reports absence and returns the value when present.
    fn required<'a>(
        &mut self,
        command: &'a CollectCommand,
        element: Element,
        requirement: &'static Requirement,
    ) -> Option<&'a str> {
        let value = command.get(element);
        let present = present(value);
        if present.is_none() {
            let how = if value.is_some() { "is empty" } else { "is missing" };
            self.finding(
                requirement,
                element,
                value,
                format!("`{element}` {how}; a target answers {}", element.missing_code().unwrap_or_default()),
            );
            self.invalid(requirement, element);
        }
        present
    }

    fn command(&mut self, command: &CollectCommand, context: &CheckContext) {
        self.pens_version(command);
        self.command_value(command);
        self.package_type(command, &context.target);
        self.required(command, Element::PackageTypeVersion, &req::COLLECT_PACKAGE_TYPE_VERSION_PRESENT);
        self.package_format(command);
        self.package_id(command);
        self.package_url(command, &context.target);
        self.credentials(command);
        self.expiry(command, context.now);
        self.required(command, Element::Client, &req::COLLECT_CLIENT_PRESENT);
        self.receipt(command, &context.target);
        self.alerts(command, &context.target);
        self.vendor_data(command);
    }

    fn pens_version(&mut self, command: &CollectCommand) {
        let element = Element::PensVersion;
        let Some(value) = self.required(command, element, &req::COLLECT_PENS_VERSION_PRESENT) else { return };
        if parse_pens_version(value).is_none() {
            self.finding(
                &req::COLLECT_PENS_VERSION_FORMAT,
                element,
                Some(value),
                format!("`{value}` is not of the form x.y.z; send {PENS_VERSION}"),
            );
            self.invalid(&req::COLLECT_PENS_VERSION_FORMAT, element);
        } else if value != PENS_VERSION {
            self.finding(
                &req::COLLECT_PENS_VERSION_DEPLOYED,
                element,
                Some(value),
                format!("version {value} is not {PENS_VERSION}, the version deployed targets speak; they answer 1420"),
            );
            self.problem(
                Problem::new(
                    &req::COLLECT_PENS_VERSION_DEPLOYED,
                    Some(element.name()),
                    ErrorCode::VERSION_NOT_SUPPORTED,
                )
                .or(ErrorCode::PENS_VERSION_INVALID, "a target may call a version it does not know invalid (2001)")
                .or_whole(
                    ErrorCode::VERSION_NOT_SUPPORTED,
                    "a target does not check the elements of a version it does not speak",
                ),
            );
        }
    }

    fn command_value(&mut self, command: &CollectCommand) {
        let element = Element::Command;
        let Some(value) = self.required(command, element, &req::COLLECT_COMMAND_PRESENT) else { return };
        if value == COLLECT {
            return;
        }
        if RESERVED_COMMANDS.contains(&value) {
            self.finding(
                &req::COLLECT_COMMAND_VALUE,
                element,
                Some(value),
                format!("`{value}` is reserved for later PENS versions; 1.0a defines only `collect`"),
            );
            self.problem(
                Problem::new(&req::COLLECT_COMMAND_VALUE, Some(element.name()), ErrorCode::COMMAND_NOT_SUPPORTED)
                    .or(ErrorCode::COMMAND_INVALID, "a target may call an unsupported command invalid (2002)")
                    .or_whole(
                        ErrorCode::COMMAND_NOT_SUPPORTED,
                        "a target does not check the elements of a command it does not support",
                    ),
            );
        } else {
            let hint = if value.eq_ignore_ascii_case(COLLECT) { " (values are case-sensitive)" } else { "" };
            self.finding(
                &req::COLLECT_COMMAND_VALUE,
                element,
                Some(value),
                format!("`{value}` is not a PENS command; send `collect`{hint}"),
            );
            self.invalid(&req::COLLECT_COMMAND_VALUE, element).alternatives.push(whole(
                ErrorCode::COMMAND_INVALID,
                "a target does not check the elements of a command it cannot identify",
            ));
        }
    }

    fn package_type(&mut self, command: &CollectCommand, target: &TargetCapabilities) {
        let element = Element::PackageType;
        let Some(value) = self.required(command, element, &req::COLLECT_PACKAGE_TYPE_PRESENT) else { return };
        let Some(package_type) = PackageType::parse(value) else {
            let hint = PackageType::parse(&value.to_ascii_lowercase())
                .map(|t| format!(" (values are case-sensitive: `{}`)", t.as_str()))
                .unwrap_or_default();
            self.finding(
                &req::COLLECT_PACKAGE_TYPE_VOCABULARY,
                element,
                Some(value),
                format!("`{value}` is not one of aicc-pkg, scorm-pif, ims-qti{hint}"),
            );
            self.invalid(&req::COLLECT_PACKAGE_TYPE_VOCABULARY, element).alternatives.push(alternative(
                ErrorCode::PACKAGE_TYPE_NOT_SUPPORTED,
                "a target may answer an unknown type as unsupported (1430)",
            ));
            return;
        };
        let support = match package_type {
            PackageType::AiccPkg => target.aicc_pkg,
            PackageType::ScormPif => target.scorm_pif,
            PackageType::ImsQti => target.ims_qti,
        };
        optional_feature(
            self,
            support,
            &req::TARGET_ERROR_CODE,
            element,
            ErrorCode::PACKAGE_TYPE_NOT_SUPPORTED,
            format!("a target that does not import {value} answers 1430"),
        );
    }

    fn package_format(&mut self, command: &CollectCommand) {
        let element = Element::PackageFormat;
        let Some(value) = self.required(command, element, &req::COLLECT_PACKAGE_FORMAT_PRESENT) else { return };
        if !RESERVED_PACKAGE_FORMATS.contains(&value) {
            self.finding(
                &req::COLLECT_PACKAGE_FORMAT_VOCABULARY,
                element,
                Some(value),
                format!("`{value}` is not a reserved format (zip, url, jar, war, xml); targets may not know it"),
            );
            self.problem(
                Problem::new(&req::COLLECT_PACKAGE_FORMAT_VOCABULARY, Some(element.name()), ErrorCode::SUCCESS).or(
                    ErrorCode::PACKAGE_FORMAT_INVALID,
                    "a target may refuse a format outside the reserved values (2005)",
                ),
            );
        }
    }

    fn package_id(&mut self, command: &CollectCommand) {
        let element = Element::PackageId;
        let Some(value) = self.required(command, element, &req::COLLECT_PACKAGE_ID_PRESENT) else { return };
        let parsed = Url::parse(value).ok().filter(|_| !value.contains(char::is_whitespace));
        let Some(uri) = parsed else {
            self.finding(
                &req::COLLECT_PACKAGE_ID_URI,
                element,
                Some(value),
                "not a URI with a scheme; use the product's namespace URL plus an id, e.g. `https://vendor.example/course/42`".into(),
            );
            self.invalid(&req::COLLECT_PACKAGE_ID_URI, element);
            return;
        };
        let has_namespace_and_id = match uri.scheme() {
            "urn" => uri.path().split(':').filter(|p| !p.is_empty()).count() >= 2,
            _ if uri.has_host() => {
                uri.path().trim_matches('/').len()
                    + uri.query().map_or(0, str::len)
                    + uri.fragment().map_or(0, str::len)
                    > 0
            }
            _ => !uri.path().is_empty(),
        };
        if !has_namespace_and_id {
            self.finding(
                &req::COLLECT_PACKAGE_ID_NAMESPACE,
                element,
                Some(value),
                "the URI has no id within its namespace; append one unique to this package".into(),
            );
        }
    }

    fn package_url(&mut self, command: &CollectCommand, target: &TargetCapabilities) {
        let element = Element::PackageUrl;
        let Some(value) = self.required(command, element, &req::COLLECT_PACKAGE_URL_PRESENT) else { return };
        let url = match Url::parse(value.trim()) {
            Ok(url) if url.has_host() && url.host_str().is_some_and(|h| !h.is_empty()) => url,
            Ok(_) | Err(_) => {
                self.finding(
                    &req::COLLECT_PACKAGE_URL_ABSOLUTE,
                    element,
                    Some(value),
                    "not a fully qualified URL with scheme and host".into(),
                );
                self.invalid(&req::COLLECT_PACKAGE_URL_ABSOLUTE, element);
                return;
            }
        };
        match url.scheme() {
            "http" | "https" => {}
            "ftp" => optional_feature(
                self,
                target.ftp,
                &req::TARGET_FETCH_FTP,
                element,
                ErrorCode::FTP_NOT_SUPPORTED,
                "a target without FTP answers 1304".into(),
            ),
            "ftps" => optional_feature(
                self,
                target.ftps,
                &req::TARGET_FETCH_FTPS,
                element,
                ErrorCode::FTPS_NOT_SUPPORTED,
                "a target without FTPS answers 1306".into(),
            ),
            other => {
                self.finding(
                    &req::COLLECT_PACKAGE_URL_SCHEME,
                    element,
                    Some(value),
                    format!("scheme `{other}` is not one PENS names for packages (http, https, ftp, ftps)"),
                );
                self.invalid(&req::COLLECT_PACKAGE_URL_SCHEME, element).alternatives.push(alternative(
                    ErrorCode::UNABLE_TO_RETRIEVE,
                    "a target may report it cannot retrieve from that scheme (1301)",
                ));
                return;
            }
        }
        let file_name = url.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default();
        let has_extension = file_name.rsplit_once('.').is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty());
        if !has_extension {
            self.finding(
                &req::COLLECT_PACKAGE_URL_FILE_NAME,
                element,
                Some(value),
                "the URL path does not end in a file name with an extension (e.g. `course.zip`)".into(),
            );
            self.invalid(&req::COLLECT_PACKAGE_URL_FILE_NAME, element).alternatives.push(alternative(
                ErrorCode::SUCCESS,
                "many targets fetch a URL without a file name; the rule binds the client",
            ));
        }
        if url.password().is_some() {
            self.finding(
                &req::COLLECT_PACKAGE_URL_NO_USERINFO,
                element,
                Some(value),
                "the URL carries a password; send credentials in package-url-user-id and package-url-password".into(),
            );
        }
    }

    fn credentials(&mut self, command: &CollectCommand) {
        if command.package_url_password.is_some() && command.package_url_user_id.is_none() {
            self.finding(
                &req::COLLECT_CREDENTIALS_PAIRED,
                Element::PackageUrlPassword,
                None,
                "a package-url-password without a package-url-user-id; the staging login is incomplete".into(),
            );
        }
    }

    fn expiry(&mut self, command: &CollectCommand, now: OffsetDateTime) {
        let element = Element::PackageUrlExpiry;
        let Some(value) = self.required(command, element, &req::COLLECT_EXPIRY_PRESENT) else { return };
        let expiry = match parse_expiry(value) {
            Ok(expiry) => expiry,
            Err(error) => {
                self.finding(
                    &req::COLLECT_EXPIRY_FORMAT,
                    element,
                    Some(value),
                    format!("{error}; write e.g. `2005-05-20T16:05:39Z`"),
                );
                self.invalid(&req::COLLECT_EXPIRY_FORMAT, element).alternatives.push(alternative(
                    ErrorCode::EXPIRY_BADLY_FORMATTED,
                    "1320 is the warning for a badly formatted expiry",
                ));
                return;
            }
        };
        match expiry.zone {
            ZoneForm::Z => {}
            ZoneForm::ZeroOffset => {
                self.finding(
                    &req::COLLECT_EXPIRY_Z,
                    element,
                    Some(value),
                    "UTC written as an offset; CMI010 1.0a asks for the `Z` designator".into(),
                );
                self.problem(
                    Problem::new(&req::COLLECT_EXPIRY_Z, Some(element.name()), ErrorCode::SUCCESS)
                        .or(
                            ErrorCode::EXPIRY_BADLY_FORMATTED,
                            "a strict target warns that the expiry is badly formatted (1320)",
                        )
                        .or(ErrorCode::EXPIRY_INVALID, "a strict target may call the expiry invalid (2009)"),
                );
            }
            ZoneForm::Offset | ZoneForm::Missing => {
                let what =
                    if expiry.zone == ZoneForm::Offset { "a non-UTC offset" } else { "no time zone (local time)" };
                self.finding(
                    &req::COLLECT_EXPIRY_UTC,
                    element,
                    Some(value),
                    format!("the expiry has {what}; give it in UTC with `Z`"),
                );
                self.problem(
                    Problem::new(&req::COLLECT_EXPIRY_UTC, Some(element.name()), ErrorCode::EXPIRY_BADLY_FORMATTED)
                        .or(ErrorCode::EXPIRY_INVALID, "a target may call a non-UTC expiry invalid (2009)")
                        .or(ErrorCode::SUCCESS, "a lenient target may read the date-time as given"),
                );
            }
        }
        if expiry.instant <= now {
            self.finding(
                &req::COLLECT_EXPIRY_FUTURE,
                element,
                Some(value),
                format!(
                    "the expiry has passed (checked at {}); a target warns 1322",
                    crate::expiry::format_expiry(now)
                ),
            );
            self.problem(
                Problem::new(&req::TARGET_EXPIRED_PACKAGE, Some(element.name()), ErrorCode::PACKAGE_EXPIRED)
                    .or(ErrorCode::EXPIRY_INVALID, "a target may call a past expiry invalid (2009)"),
            );
        }
    }

    fn receipt(&mut self, command: &CollectCommand, target: &TargetCapabilities) {
        let element = Element::Receipt;
        let Some(value) = self.required(command, element, &req::COLLECT_RECEIPT_PRESENT) else { return };
        match parse_ack_url(value) {
            Ok(AckUrl::Http(_)) => {}
            Ok(AckUrl::Mailto(_)) => optional_feature(
                self,
                target.mailto_receipt,
                &req::TARGET_MAILTO_RECEIPT,
                element,
                ErrorCode::RECEIPT_PROTOCOL_NOT_SUPPORTED,
                "a target that cannot mail receipts answers 1510".into(),
            ),
            Err(error) => {
                self.finding(&req::COLLECT_RECEIPT_URL, element, Some(value), error.to_string());
                let problem = self.invalid(&req::COLLECT_RECEIPT_URL, element);
                if matches!(error, AckUrlError::UnsupportedScheme(_)) {
                    problem.alternatives.push(alternative(
                        ErrorCode::RECEIPT_PROTOCOL_NOT_SUPPORTED,
                        "an unknown scheme is an unsupported receipt protocol (1510)",
                    ));
                }
            }
        }
    }

    fn alerts(&mut self, command: &CollectCommand, target: &TargetCapabilities) {
        let element = Element::Alerts;
        // Empty optional elements are implementation-defined (CMI010 §4.3): read as absent.
        let Some(value) = present(command.get(element)) else { return };
        match parse_ack_url(value) {
            Ok(AckUrl::Http(_)) => {}
            Ok(AckUrl::Mailto(_)) => optional_feature(
                self,
                target.mailto_alerts,
                &req::TARGET_MAILTO_ALERTS,
                element,
                ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED,
                "a target that cannot mail alerts answers 1520".into(),
            ),
            Err(error) => {
                self.finding(&req::COLLECT_ALERTS_URL, element, Some(value), error.to_string());
                // alerts has no 20xx code of its own.
                let (code, other, reason) = if matches!(error, AckUrlError::UnsupportedScheme(_)) {
                    (
                        ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED,
                        ErrorCode::INVALID_ARGUMENT,
                        "a target may call the URL an invalid argument (1201)",
                    )
                } else {
                    (
                        ErrorCode::INVALID_ARGUMENT,
                        ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED,
                        "a target may answer an unusable alerts URL as an unsupported protocol (1520)",
                    )
                };
                self.problem(Problem::new(&req::COLLECT_ALERTS_URL, Some(element.name()), code).or(other, reason));
            }
        }
    }

    fn vendor_data(&mut self, command: &CollectCommand) {
        let element = Element::VendorData;
        let Some(value) = command.get(element) else { return };
        let length = value.chars().count();
        if length > VENDOR_DATA_MIN_MAXIMUM {
            self.finding(
                &req::COLLECT_VENDOR_DATA_LENGTH,
                element,
                Some(value),
                format!("{length} characters; targets need only accept {VENDOR_DATA_MIN_MAXIMUM}"),
            );
            self.problem(
                Problem::new(&req::COLLECT_VENDOR_DATA_LENGTH, Some(element.name()), ErrorCode::SUCCESS)
                    .or(ErrorCode::INVALID_ARGUMENT, "a target may refuse vendor-data beyond 4096 characters (1201)"),
            );
        }
    }
}

fn alternative(code: ErrorCode, reason: &str) -> crate::expected::Alternative {
    crate::expected::Alternative { code, reason: reason.to_owned(), whole_command: false }
}

fn whole(code: ErrorCode, reason: &str) -> crate::expected::Alternative {
    crate::expected::Alternative { code, reason: reason.to_owned(), whole_command: true }
}

/// A feature the target may lack: claimed means 0, denied means `code`, unknown either.
fn optional_feature(
    check: &mut Check,
    support: Support,
    requirement: &'static Requirement,
    element: Element,
    code: ErrorCode,
    reason: String,
) {
    let problem = match support {
        Support::Yes => return,
        Support::No => Problem::new(requirement, Some(element.name()), code),
        Support::Unknown => Problem::new(requirement, Some(element.name()), ErrorCode::SUCCESS).or(code, reason),
    };
    check.problem(problem);
}
