//! The `collect` command (CMI010 §6.2): the message a client sends a target to say
//! "a package waits for you here".
//!
//! [`CollectCommand`] holds every element as the raw text received or to be sent, never
//! a cleaned-up value: the harness must be able to send a deliberately broken command
//! and to judge exactly what it received. Typed readings ([`PackageType`],
//! [`crate::expiry::parse_expiry`], [`crate::ack_url::parse_ack_url`]) are separate.

use std::fmt;

use crate::element::{Element, is_secret_name};
use crate::finding::{Finding, REDACTED};
use crate::form::{DecodedForm, append_query, decode_form, encode_form};
use crate::requirement::req;

/// A collect command: the seventeen elements of CMI010 §6.2 (each absent or holding
/// the raw value) plus any elements the spec does not define, which targets must
/// tolerate and which are kept in arrival order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CollectCommand {
    /// `pens-version`.
    pub pens_version: Option<String>,
    /// `command`.
    pub command: Option<String>,
    /// `package-type`.
    pub package_type: Option<String>,
    /// `package-type-version`.
    pub package_type_version: Option<String>,
    /// `package-format`.
    pub package_format: Option<String>,
    /// `package-id`.
    pub package_id: Option<String>,
    /// `package-url`.
    pub package_url: Option<String>,
    /// `package-url-user-id`.
    pub package_url_user_id: Option<String>,
    /// `package-url-account`.
    pub package_url_account: Option<String>,
    /// `package-url-password`. Secret: never printed by `Debug`.
    pub package_url_password: Option<String>,
    /// `package-url-expiry`.
    pub package_url_expiry: Option<String>,
    /// `client`.
    pub client: Option<String>,
    /// `system-user-id`.
    pub system_user_id: Option<String>,
    /// `system-password`. Secret: never printed by `Debug`.
    pub system_password: Option<String>,
    /// `receipt`.
    pub receipt: Option<String>,
    /// `alerts`.
    pub alerts: Option<String>,
    /// `vendor-data`.
    pub vendor_data: Option<String>,
    /// Elements the spec does not define, `(name, value)` in arrival order.
    pub extra: Vec<(String, String)>,
}

/// A collect decoded from the wire, with what the binding layer noticed. Its `Debug`
/// output hides secret values.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodedCollect {
    /// The command as far as it could be read.
    pub command: CollectCommand,
    /// Encoding, duplicate and naming findings.
    pub findings: Vec<Finding>,
    /// Elements that appeared more than once (the first value is kept).
    pub duplicated: Vec<Element>,
    /// The last value of each repeated element: what a target that keeps the last of
    /// repeated parameters (as many web frameworks do) reads instead.
    pub last_values: Vec<(Element, String)>,
    /// Whether the message could not be read as PENS at all (see [`DecodedForm::unparseable`]).
    pub unparseable: bool,
}

impl CollectCommand {
    /// A valid collect with every required element set: the starting point from which
    /// scenarios and tests add, remove or spoil elements.
    pub fn example() -> Self {
        CollectCommand {
            pens_version: Some("1.0.0".into()),
            command: Some("collect".into()),
            package_type: Some("scorm-pif".into()),
            package_type_version: Some("1.2".into()),
            package_format: Some("zip".into()),
            package_id: Some("https://authoring.example/courses/intro-101".into()),
            package_url: Some("https://staging.example/packages/intro-101.zip".into()),
            package_url_expiry: Some("2099-12-31T23:59:59Z".into()),
            client: Some("pens-conform".into()),
            receipt: Some("https://authoring.example/pens/receipt".into()),
            ..CollectCommand::default()
        }
    }

    /// The value of an element.
    pub fn get(&self, element: Element) -> Option<&str> {
        self.slot(element).as_deref()
    }

    /// Sets (or with `None` removes) an element.
    pub fn set(&mut self, element: Element, value: Option<String>) {
        *self.slot_mut(element) = value;
    }

    fn slot(&self, element: Element) -> &Option<String> {
        match element {
            Element::PensVersion => &self.pens_version,
            Element::Command => &self.command,
            Element::PackageType => &self.package_type,
            Element::PackageTypeVersion => &self.package_type_version,
            Element::PackageFormat => &self.package_format,
            Element::PackageId => &self.package_id,
            Element::PackageUrl => &self.package_url,
            Element::PackageUrlUserId => &self.package_url_user_id,
            Element::PackageUrlAccount => &self.package_url_account,
            Element::PackageUrlPassword => &self.package_url_password,
            Element::PackageUrlExpiry => &self.package_url_expiry,
            Element::Client => &self.client,
            Element::SystemUserId => &self.system_user_id,
            Element::SystemPassword => &self.system_password,
            Element::Receipt => &self.receipt,
            Element::Alerts => &self.alerts,
            Element::VendorData => &self.vendor_data,
        }
    }

    fn slot_mut(&mut self, element: Element) -> &mut Option<String> {
        match element {
            Element::PensVersion => &mut self.pens_version,
            Element::Command => &mut self.command,
            Element::PackageType => &mut self.package_type,
            Element::PackageTypeVersion => &mut self.package_type_version,
            Element::PackageFormat => &mut self.package_format,
            Element::PackageId => &mut self.package_id,
            Element::PackageUrl => &mut self.package_url,
            Element::PackageUrlUserId => &mut self.package_url_user_id,
            Element::PackageUrlAccount => &mut self.package_url_account,
            Element::PackageUrlPassword => &mut self.package_url_password,
            Element::PackageUrlExpiry => &mut self.package_url_expiry,
            Element::Client => &mut self.client,
            Element::SystemUserId => &mut self.system_user_id,
            Element::SystemPassword => &mut self.system_password,
            Element::Receipt => &mut self.receipt,
            Element::Alerts => &mut self.alerts,
            Element::VendorData => &mut self.vendor_data,
        }
    }

    /// Builds a command from decoded pairs. The first of repeated elements wins; names
    /// that only differ from a spec name by case, or look misspelt, stay in `extra` and
    /// are reported.
    pub fn from_pairs(pairs: &[(String, String)]) -> DecodedCollect {
        let mut command = CollectCommand::default();
        let mut findings = Vec::new();
        let mut duplicated: Vec<Element> = Vec::new();
        let mut last_values: Vec<(Element, String)> = Vec::new();
        for (name, value) in pairs {
            match Element::from_name(name) {
                Some(element) if command.get(element).is_some() => {
                    match last_values.iter_mut().find(|(e, _)| *e == element) {
                        Some((_, last)) => last.clone_from(value),
                        None => last_values.push((element, value.clone())),
                    }
                    if !duplicated.contains(&element) {
                        duplicated.push(element);
                        findings.push(
                            Finding::new(
                                &req::BINDING_ELEMENT_UNIQUE,
                                "the element appears more than once; the first value is used, a target may take another",
                            )
                            .element(name)
                            .value(value),
                        );
                    }
                }
                Some(element) => command.set(element, Some(value.clone())),
                None => {
                    findings.push(unknown_element_finding(name, value));
                    command.extra.push((name.clone(), value.clone()));
                }
            }
        }
        DecodedCollect { command, findings, duplicated, last_values, unparseable: false }
    }

    /// Decodes a POST body or a query string (or a whole GET URL's query, see
    /// [`crate::form::query_of`]).
    pub fn decode(input: &[u8]) -> DecodedCollect {
        let DecodedForm { pairs, findings: encoding, unparseable } = decode_form(input);
        let mut decoded = CollectCommand::from_pairs(&pairs);
        decoded.findings.splice(0..0, encoding);
        decoded.unparseable = unparseable;
        decoded
    }

    /// Decodes a POST body by its `Content-Type` ([`crate::decode_body`]: a form, or
    /// `multipart/form-data`), with one finding first when the media type is not the
    /// form App. A binds the pairs in ([`crate::check_post_media_type`]): the values of a
    /// multipart collect are judged like those of a form, and its media type once.
    pub fn decode_post(content_type: Option<&str>, body: &[u8]) -> DecodedCollect {
        let DecodedForm { pairs, findings: encoding, unparseable } = crate::body::decode_body(content_type, body);
        let mut decoded = CollectCommand::from_pairs(&pairs);
        decoded.findings.splice(0..0, encoding);
        if let Some(media) = crate::body::check_post_media_type(content_type) {
            decoded.findings.insert(0, media);
        }
        decoded.unparseable = unparseable;
        decoded
    }

    /// The elements as `(name, value)`: spec elements in the spec's table order, then
    /// the extra ones in arrival order.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        Element::ALL
            .into_iter()
            .filter_map(|e| self.get(e).map(|v| (e.name(), v)))
            .chain(self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .collect()
    }

    /// The POST body (`application/x-www-form-urlencoded`).
    pub fn to_form(&self) -> String {
        encode_form(self.pairs())
    }

    /// The GET URL: `target_url` with the elements in its query.
    pub fn to_get_url(&self, target_url: &str) -> String {
        append_query(target_url, &self.to_form())
    }

    /// The pairs with every secret replaced by [`REDACTED`], for reports and logs.
    pub fn redacted_pairs(&self) -> Vec<(String, String)> {
        self.pairs()
            .into_iter()
            .map(|(name, value)| {
                let shown = if is_secret_name(name) { REDACTED.to_owned() } else { crate::finding::redact(value) };
                (name.to_owned(), shown)
            })
            .collect()
    }
}

impl fmt::Debug for DecodedCollect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last_values: Vec<(Element, String)> = self
            .last_values
            .iter()
            .map(|(e, v)| (*e, if e.is_secret() { REDACTED.to_owned() } else { crate::finding::redact(v) }))
            .collect();
        f.debug_struct("DecodedCollect")
            .field("command", &self.command)
            .field("findings", &self.findings)
            .field("duplicated", &self.duplicated)
            .field("last_values", &last_values)
            .field("unparseable", &self.unparseable)
            .finish()
    }
}

impl fmt::Debug for CollectCommand {
    /// Prints the redacted elements, so a command in a log never leaks a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.redacted_pairs()).finish()
    }
}

fn unknown_element_finding(name: &str, value: &str) -> Finding {
    let lower = name.to_ascii_lowercase();
    if let Some(element) = Element::from_name(&lower) {
        return Finding::new(
            &req::BINDING_ELEMENT_NAMES_LOWERCASE,
            format!("element names are case-sensitive and lower-case: `{name}` is not `{element}`, which therefore counts as absent"),
        )
        .element(name)
        .value(value);
    }
    // Only names of a similar length can be two edits away: skipping the others keeps a
    // hostile megabyte-long name from costing seventeen megabyte-sized comparisons.
    let candidate = lower.replace('_', "-");
    let suggestion = Element::ALL
        .into_iter()
        .filter(|e| candidate.len().abs_diff(e.name().len()) <= 2)
        .map(|e| (strsim::levenshtein(&candidate, e.name()), e))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance);
    let message = match suggestion {
        Some((_, element)) => format!(
            "`{name}` is not a CMI010 element (did you mean `{element}`?); targets must tolerate it, but it does not stand for `{element}`"
        ),
        None => format!("`{name}` is not a CMI010 element; targets must tolerate it"),
    };
    Finding::new(&req::COLLECT_EXTENSION_ELEMENT, message).element(name).value(value)
}

/// The `package-type` vocabulary (CMI010 §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageType {
    /// `aicc-pkg`: an AICC course (`.crs`, `.au`, `.des`, `.cst` files).
    AiccPkg,
    /// `scorm-pif`: a SCORM package interchange file (`imsmanifest.xml` at the root).
    ScormPif,
    /// `ims-qti`: IMS Question and Test Interoperability (XML).
    ImsQti,
}

impl PackageType {
    /// All three, in the spec's order.
    pub const ALL: [PackageType; 3] = [PackageType::AiccPkg, PackageType::ScormPif, PackageType::ImsQti];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageType::AiccPkg => "aicc-pkg",
            PackageType::ScormPif => "scorm-pif",
            PackageType::ImsQti => "ims-qti",
        }
    }

    /// The type with this exact wire value.
    pub fn parse(value: &str) -> Option<PackageType> {
        PackageType::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// The reserved `package-format` values (CMI010 §6.2).
pub const RESERVED_PACKAGE_FORMATS: [&str; 5] = ["zip", "url", "jar", "war", "xml"];

/// The commands CMI010 1.0a defines: only `collect` is in use.
pub const COLLECT: &str = "collect";

/// Commands reserved for later versions of the spec.
pub const RESERVED_COMMANDS: [&str; 2] = ["delete", "revise"];

/// The PENS version deployed systems speak.
pub const PENS_VERSION: &str = "1.0.0";

/// Reads `x.y.z` (three dot-separated decimal numbers).
pub fn parse_pens_version(value: &str) -> Option<(u32, u32, u32)> {
    let mut parts = value.split('.');
    let mut next =
        || parts.next().filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).and_then(|p| p.parse().ok());
    let version = (next()?, next()?, next()?);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_can_be_set_and_read_back() {
        let mut command = CollectCommand::default();
        for element in Element::ALL {
            command.set(element, Some(format!("v-{element}")));
        }
        for element in Element::ALL {
            assert_eq!(command.get(element), Some(format!("v-{element}").as_str()));
        }
        assert_eq!(command.pairs().len(), 17);
        command.set(Element::Alerts, None);
        assert_eq!(command.get(Element::Alerts), None);
    }

    #[test]
    fn form_and_query_decode_to_the_same_command_with_extras_kept() {
        let mut command = CollectCommand::example();
        command.extra.push(("x-course-title".into(), "Intro & more".into()));
        command.vendor_data = Some("line1\r\nline2 100%".into());
        let from_form = CollectCommand::decode(command.to_form().as_bytes());
        assert_eq!(from_form.command, command);
        assert!(from_form.findings.iter().all(|f| f.requirement.id == "collect.extension-element"));
        let url = command.to_get_url("https://lms.example/pens?tenant=7");
        let from_query = CollectCommand::decode(crate::form::query_of(&url).as_bytes());
        assert_eq!(from_query.command.extra[0], ("tenant".into(), "7".into()));
        assert_eq!(from_query.command.package_url, command.package_url);
    }

    #[test]
    fn repeated_elements_keep_the_first_value_and_are_reported_once() {
        let decoded = CollectCommand::decode(b"client=A&client=B&client=C");
        assert_eq!(decoded.command.client.as_deref(), Some("A"));
        assert_eq!(decoded.duplicated, [Element::Client]);
        assert_eq!(decoded.findings.len(), 1);
        assert_eq!(decoded.findings[0].requirement.id, "binding.element.unique");
    }

    #[test]
    fn case_variants_and_misspellings_are_named() {
        let decoded = CollectCommand::decode(b"Package-URL=x&package_type=scorm-pif&recipt=y&colour=red");
        let messages: Vec<(&str, &str)> =
            decoded.findings.iter().map(|f| (f.requirement.id, f.message.as_str())).collect();
        assert_eq!(messages[0].0, "binding.element-names.lowercase");
        assert!(messages[1].1.contains("did you mean `package-type`"), "{:?}", messages[1]);
        assert!(messages[2].1.contains("did you mean `receipt`"), "{:?}", messages[2]);
        assert!(!messages[3].1.contains("did you mean"), "{:?}", messages[3]);
        assert_eq!(decoded.command.package_url, None);
        assert_eq!(decoded.command.extra.len(), 4);
    }

    #[test]
    fn debug_output_never_shows_passwords() {
        let mut command = CollectCommand::example();
        command.package_url_password = Some("hunter2".into());
        command.system_password = Some("s3cret".into());
        command.package_url = Some("https://bob:pa55@staging.example/p.zip".into());
        command.extra.push(("proxy-password".into(), "pr0xy".into()));
        let shown = format!("{command:?}");
        for secret in ["hunter2", "s3cret", "pa55", "pr0xy"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains(REDACTED));
    }

    #[test]
    fn versions_and_vocabularies() {
        assert_eq!(parse_pens_version("1.0.0"), Some((1, 0, 0)));
        assert_eq!(parse_pens_version("2.10.3"), Some((2, 10, 3)));
        for bad in ["1.0", "1.0.0.0", "v1.0.0", "1..0", "1.0.x", "", " 1.0.0"] {
            assert_eq!(parse_pens_version(bad), None, "{bad}");
        }
        assert_eq!(PackageType::parse("scorm-pif"), Some(PackageType::ScormPif));
        assert_eq!(PackageType::parse("SCORM-PIF"), None);
    }
}
