//! Judging a collect command: the client's findings and the answer a conformant target
//! owes it (CMI010 §6.2, §6.3).
//!
//! Each element check produces two things side by side: findings about the *client*
//! (did it send what the spec asks?) and [`Problem`]s for the *target* (what must it
//! answer?). Keeping them together in one pass means the two views cannot drift apart.

use serde::Serialize;
use time::OffsetDateTime;

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
use crate::uri::{GenericUri, UriAuthority, parse_uri};

/// Why a target may refuse (2009) an expiry that is not written with `Z`: the text's
/// letter, which its own example contradicts. Acceptable, so never a failure of the
/// target; scenarios that exercise it warn.
const LETTER_OF_THE_Z_RULE: &str =
    "a target that reads CMI010 1.0a's \"requires a trailing 'Z'\" to the letter may call it invalid (2009)";

/// What CMI010 says of the expiry's zone, and what its own example does: quoted in the
/// findings a zone-less or offset expiry earns, since the two disagree.
const EXPIRY_TEXT_AND_EXAMPLE: &str = "CMI010 §6.2 asks for \"ISO 8601 format with UTC\" (1.0a: \"requires a \
    trailing 'Z'\"), but its own Appendix A example collect writes `package-url-expiry=2005-07-22T06:51:29`, \
    without any zone";

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
        // A URI by RFC 2396 (CMI010 §6.2), not a browser's URL: App. A's own
        // `http://myurl.com:2631e419-…` is a registry-based authority.
        let uri = match parse_uri(value) {
            Ok(uri) => uri,
            Err(error) => {
                self.finding(
                    &req::COLLECT_PACKAGE_ID_URI,
                    element,
                    Some(value),
                    format!(
                        "{error}; use the product's namespace URL plus an id, e.g. `https://vendor.example/course/42`"
                    ),
                );
                self.invalid(&req::COLLECT_PACKAGE_ID_URI, element);
                return;
            }
        };
        self.unescaped(element, value, &uri);
        if !has_namespace_and_id(&uri) {
            self.finding(
                &req::COLLECT_PACKAGE_ID_NAMESPACE,
                element,
                Some(value),
                "the URI has no id within its namespace; append one unique to this package".into(),
            );
        }
    }

    /// A URI that carried raw characters RFC 2396 wants percent-encoded: read as encoded
    /// (as HTTP clients do), a warning for the client; a target may accept it or call the
    /// element invalid.
    fn unescaped(&mut self, element: Element, value: &str, uri: &GenericUri) {
        if uri.unescaped.is_empty() {
            return;
        }
        let shown: Vec<String> = uri.unescaped.iter().map(|c| format!("{c:?}")).collect();
        self.finding(
            &req::COLLECT_URI_ESCAPED,
            element,
            Some(value),
            format!(
                "{} raw in a URI; RFC 2396 §2.4 has them percent-encoded (read here as if they were)",
                shown.join(", ")
            ),
        );
        let code = element.missing_code().unwrap_or(ErrorCode::INVALID_ARGUMENT);
        self.problem(
            Problem::new(&req::COLLECT_URI_ESCAPED, Some(element.name()), ErrorCode::SUCCESS)
                .or(code, format!("a strict target may call a {element} with raw {} invalid", shown.join(", "))),
        );
    }

    /// A URL the target must connect to that names no host or port it can use: RFC-valid,
    /// so a warning for the client; the target may accept the command (and fail later)
    /// or refuse it with `codes`.
    fn unreachable(&mut self, element: Element, value: &str, why: &str, codes: &[(ErrorCode, &str)]) {
        self.finding(
            &req::COLLECT_URL_REACHABLE,
            element,
            Some(value),
            format!("a valid URI (RFC 2396/3986), but {why}: nothing a target can connect to"),
        );
        let mut problem = Problem::new(&req::COLLECT_URL_REACHABLE, Some(element.name()), ErrorCode::SUCCESS);
        for (code, reason) in codes {
            problem = problem.or(*code, *reason);
        }
        self.problem(problem);
    }

    fn package_url(&mut self, command: &CollectCommand, target: &TargetCapabilities) {
        let element = Element::PackageUrl;
        let Some(value) = self.required(command, element, &req::COLLECT_PACKAGE_URL_PRESENT) else { return };
        let uri = match parse_uri(value) {
            Ok(uri)
                if uri
                    .authority
                    .as_ref()
                    .is_some_and(|a| !matches!(a, UriAuthority::Server { host, .. } if host.is_empty())) =>
            {
                uri
            }
            Ok(_) | Err(_) => {
                let why = match parse_uri(value) {
                    Err(error) => format!("not a fully qualified URL with scheme and host: {error}"),
                    Ok(_) => "not a fully qualified URL with a scheme and a host".to_owned(),
                };
                self.finding(&req::COLLECT_PACKAGE_URL_ABSOLUTE, element, Some(value), why);
                self.invalid(&req::COLLECT_PACKAGE_URL_ABSOLUTE, element);
                return;
            }
        };
        match uri.scheme.as_str() {
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
        if let Err(why) = uri.reachable_host() {
            self.unreachable(
                element,
                value,
                &why,
                &[
                    (ErrorCode::PACKAGE_URL_INVALID, "a target may call a URL it cannot connect to invalid (2008)"),
                    (ErrorCode::INVALID_PACKAGE_URL, "a target that fetches at once reports 1310"),
                    (ErrorCode::UNABLE_TO_RETRIEVE, "a target that fetches at once may report 1301"),
                ],
            );
        }
        self.unescaped(element, value, &uri);
        let file_name = uri.file_name();
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
        if uri.userinfo().is_some_and(|u| u.contains(':')) {
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
                        .or(ErrorCode::EXPIRY_INVALID, LETTER_OF_THE_Z_RULE),
                );
            }
            ZoneForm::Offset | ZoneForm::Missing => {
                // The text asks for UTC with `Z`; the spec's own example has no zone: the
                // lenient reading (a valid ISO 8601 date-time) passes, with a warning.
                let what = if expiry.zone == ZoneForm::Offset {
                    "a UTC offset instead of `Z` (an exact instant all the same, read as such)"
                } else {
                    "no zone designator (read as UTC)"
                };
                self.finding(
                    &req::COLLECT_EXPIRY_UTC,
                    element,
                    Some(value),
                    format!("the expiry has {what}; {EXPIRY_TEXT_AND_EXAMPLE}: a warning, not a failure; send `Z`"),
                );
                self.problem(
                    Problem::new(&req::COLLECT_EXPIRY_UTC, Some(element.name()), ErrorCode::SUCCESS)
                        .or(
                            ErrorCode::EXPIRY_BADLY_FORMATTED,
                            "a strict target warns (1320) that the expiry is not in UTC with `Z`",
                        )
                        .or(ErrorCode::EXPIRY_INVALID, LETTER_OF_THE_Z_RULE),
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
            Ok(AckUrl::Http(http)) if !http.has_host() => {
                self.finding(
                    &req::COLLECT_RECEIPT_URL,
                    element,
                    Some(value),
                    "an http(s) URL without a host (`scheme://host/…`, RFC 2616 §3.2.2): no receipt can be sent there"
                        .into(),
                );
                self.invalid(&req::COLLECT_RECEIPT_URL, element).alternatives.push(alternative(
                    ErrorCode::ACK_URL_UNREACHABLE,
                    "a target may say it cannot reach the acknowledgement URL (1500)",
                ));
            }
            Ok(AckUrl::Http(http)) => {
                if let Err(why) = http.deliverable() {
                    self.unreachable(
                        element,
                        value,
                        why,
                        &[
                            (
                                ErrorCode::RECEIPT_INVALID,
                                "a target may call a receipt URL it cannot use invalid (2011)",
                            ),
                            (ErrorCode::ACK_URL_UNREACHABLE, "a target may say it cannot reach the URL (1500)"),
                        ],
                    );
                }
                self.escaping(element, value);
            }
            Ok(AckUrl::Mailto(_)) => {
                self.escaping(element, value);
                optional_feature(
                    self,
                    target.mailto_receipt,
                    &req::TARGET_MAILTO_RECEIPT,
                    element,
                    ErrorCode::RECEIPT_PROTOCOL_NOT_SUPPORTED,
                    "a target that cannot mail receipts answers 1510".into(),
                );
            }
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
            Ok(AckUrl::Http(http)) => {
                // Alerts are optional (CMI010 §5.1): an alerts URL a target cannot use
                // costs the client its alerts, not the collect. CMI010's own App. A §2
                // collect writes `alerts=http%3A%2Fauthor.com%2Fpens.cgi` (one slash).
                if let Err(why) = http.deliverable() {
                    self.unreachable(
                        element,
                        value,
                        why,
                        &[
                            (
                                ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED,
                                "a target may refuse an alerts URL it cannot use (1520)",
                            ),
                            (ErrorCode::INVALID_ARGUMENT, "a target may call it an invalid argument (1201)"),
                        ],
                    );
                }
                self.escaping(element, value);
            }
            Ok(AckUrl::Mailto(_)) => {
                self.escaping(element, value);
                optional_feature(
                    self,
                    target.mailto_alerts,
                    &req::TARGET_MAILTO_ALERTS,
                    element,
                    ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED,
                    "a target that cannot mail alerts answers 1520".into(),
                );
            }
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

    /// The raw-character warning for a receipt or alerts value, whatever its scheme.
    fn escaping(&mut self, element: Element, value: &str) {
        if let Ok(uri) = parse_uri(value) {
            self.unescaped(element, value, &uri);
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

/// Whether a package-id is a namespace plus an id in it (CMI010 §6.2): a URN with a
/// namespace-specific part, a URL with a path, query or fragment, or, as App. A's own
/// `http://myurl.com:2631e419-…` does, an id after the authority's `:`.
fn has_namespace_and_id(uri: &GenericUri) -> bool {
    let after_authority = uri.path.trim_matches('/').len()
        + uri.query.as_ref().map_or(0, String::len)
        + uri.fragment.as_ref().map_or(0, String::len)
        > 0;
    match (uri.scheme.as_str(), &uri.authority) {
        ("urn", _) => uri.path.split(':').filter(|p| !p.is_empty()).count() >= 2,
        (_, Some(UriAuthority::Registry(name))) => {
            after_authority || name.rsplit_once(':').is_some_and(|(_, id)| !id.is_empty())
        }
        (_, Some(UriAuthority::Server { port, .. })) => after_authority || port.as_ref().is_some_and(|p| !p.is_empty()),
        (_, None) => !uri.path.is_empty(),
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
