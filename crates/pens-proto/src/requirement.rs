//! The requirements catalogue: every checkable statement of CMI010 that pens-conform
//! knows, each with a stable id, the section it comes from, its level and the party it
//! binds.
//!
//! Findings point at a [`Requirement`] by reference, so a finding can only cite an id
//! that is in the catalogue; reports print coverage against [`CATALOGUE`]. Ids are
//! stable: scenario files, baselines and old reports refer to them, so rename one only
//! with a migration note.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How strongly the spec states a requirement; a finding inherits its requirement's level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Spec words `shall`/`must`: a violation is a failure.
    Must,
    /// Best practice or `should`: a violation is a warning.
    Should,
    /// Worth knowing, never a failure.
    Info,
}

impl Level {
    /// The lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::Info => "info",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which PENS party a requirement binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The sending system (authoring tool, CMS).
    Client,
    /// The receiving system (LMS, repository).
    Target,
    /// Whoever produces the message in question.
    Both,
}

impl Party {
    /// The lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Party::Client => "client",
            Party::Target => "target",
            Party::Both => "both",
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One checkable statement of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Stable dotted id, e.g. `collect.package-url.scheme`.
    pub id: &'static str,
    /// Where to read it, e.g. `CMI010 §6.2`.
    pub section: &'static str,
    /// How strongly it is stated.
    pub level: Level,
    /// Which party it binds.
    pub party: Party,
    /// The requirement in one sentence.
    pub statement: &'static str,
}

impl Requirement {
    /// Looks a requirement up by id.
    pub fn by_id(id: &str) -> Option<&'static Requirement> {
        CATALOGUE.iter().copied().find(|r| r.id == id)
    }
}

macro_rules! catalogue {
    ($( $konst:ident: $id:literal, $section:literal, $level:ident, $party:ident, $statement:literal; )*) => {
        /// One constant per requirement; findings cite these.
        pub mod req {
            use super::{Level, Party, Requirement};
            $(
                #[doc = $statement]
                pub static $konst: Requirement = Requirement {
                    id: $id,
                    section: $section,
                    level: Level::$level,
                    party: Party::$party,
                    statement: $statement,
                };
            )*
        }

        /// Every requirement pens-conform knows, grouped by message.
        pub static CATALOGUE: &[&Requirement] = &[ $( &req::$konst, )* ];
    };
}

catalogue! {
    // Binding: how a PENS message travels (§5, Appendix A).
    BINDING_POST_PREFERRED: "binding.method.post-preferred", "CMI010 §5", Should, Client,
        "Send the collect command by HTTP POST (form-urlencoded); GET is allowed, but target URLs may already hold a query.";
    BINDING_URL_ENCODING: "binding.url-encoding", "CMI010 §5", Must, Both,
        "Element values are URL-encoded: every `%` starts a valid two-digit escape and reserved characters are escaped.";
    BINDING_CHARSET: "binding.charset.utf8", "CMI010 §5", Should, Both,
        "Decoded names and values are UTF-8 text, so every party reads the same characters.";
    BINDING_PAIR_FORM: "binding.pair.well-formed", "CMI010 §5", Should, Both,
        "Every `&`-separated part is a `name=value` pair with a non-empty name.";
    BINDING_ELEMENT_NAMES_LOWERCASE: "binding.element-names.lowercase", "CMI010 §5, §6.2", Must, Both,
        "Element names are the lower-case, hyphenated names of the spec.";
    BINDING_ELEMENT_UNIQUE: "binding.element.unique", "CMI010 §6.2", Should, Both,
        "Each element appears at most once; a repeated element leaves the receiver to guess which value counts.";
    BINDING_FORM_MEDIA_TYPE: "binding.media-type.form", "CMI010 §5, App. A", Should, Client,
        "A collect sent by POST carries its name/value pairs as application/x-www-form-urlencoded, the binding App. A gives; another media type (multipart/form-data) may be read, but a target need not.";
    BINDING_BODY_NOT_EMPTY: "binding.body.not-empty", "CMI010 §5", Must, Both,
        "A PENS message carries at least one name=value pair.";

    // The collect command (§6.2).
    COLLECT_EXTENSION_ELEMENT: "collect.extension-element", "CMI010 §6.2, §4.3", Info, Client,
        "Elements the spec does not define may be sent; targets must tolerate them.";
    COLLECT_PENS_VERSION_PRESENT: "collect.pens-version.present", "CMI010 §6.2", Must, Client,
        "pens-version is present and not empty.";
    COLLECT_PENS_VERSION_FORMAT: "collect.pens-version.format", "CMI010 §6.2", Must, Client,
        "pens-version has the form x.y.z (digits).";
    COLLECT_PENS_VERSION_DEPLOYED: "collect.pens-version.deployed", "CMI010 §6.2", Should, Client,
        "pens-version is 1.0.0, the version deployed targets speak.";
    COLLECT_COMMAND_PRESENT: "collect.command.present", "CMI010 §6.2", Must, Client,
        "command is present and not empty.";
    COLLECT_COMMAND_VALUE: "collect.command.value", "CMI010 §6.2", Must, Client,
        "command is `collect` (`delete` and `revise` are reserved for later versions).";
    COLLECT_PACKAGE_TYPE_PRESENT: "collect.package-type.present", "CMI010 §6.2", Must, Client,
        "package-type is present and not empty.";
    COLLECT_PACKAGE_TYPE_VOCABULARY: "collect.package-type.vocabulary", "CMI010 §6.2", Must, Client,
        "package-type is one of `aicc-pkg`, `scorm-pif`, `ims-qti`.";
    COLLECT_PACKAGE_TYPE_VERSION_PRESENT: "collect.package-type-version.present", "CMI010 §6.2", Must, Client,
        "package-type-version is present and not empty (e.g. `1.2`, `2004`).";
    COLLECT_PACKAGE_FORMAT_PRESENT: "collect.package-format.present", "CMI010 §6.2", Must, Client,
        "package-format is present and not empty.";
    COLLECT_PACKAGE_FORMAT_VOCABULARY: "collect.package-format.vocabulary", "CMI010 §6.2", Should, Client,
        "package-format is one of the reserved values `zip`, `url`, `jar`, `war`, `xml`.";
    COLLECT_PACKAGE_ID_PRESENT: "collect.package-id.present", "CMI010 §6.2", Must, Client,
        "package-id is present and not empty.";
    COLLECT_PACKAGE_ID_URI: "collect.package-id.uri", "CMI010 §6.2", Must, Client,
        "package-id is a URI (RFC 2396) with a scheme.";
    COLLECT_PACKAGE_ID_NAMESPACE: "collect.package-id.namespace", "CMI010 §6.2", Should, Client,
        "package-id is the producing product's namespace plus an id unique in it (e.g. `https://vendor.example/course/42`, `urn:vendor:course:42`).";
    COLLECT_PACKAGE_URL_PRESENT: "collect.package-url.present", "CMI010 §6.2", Must, Client,
        "package-url is present and not empty.";
    COLLECT_PACKAGE_URL_ABSOLUTE: "collect.package-url.absolute", "CMI010 §6.2", Must, Client,
        "package-url is a fully qualified URL with a host.";
    COLLECT_PACKAGE_URL_SCHEME: "collect.package-url.scheme", "CMI010 §6.2, §5", Must, Client,
        "package-url uses http, https, ftp or ftps.";
    COLLECT_PACKAGE_URL_FILE_NAME: "collect.package-url.file-name", "CMI010 §6.2", Must, Client,
        "package-url ends in a file name with an extension (e.g. `course.zip`).";
    COLLECT_PACKAGE_URL_NO_USERINFO: "collect.package-url.no-userinfo", "CMI010 §6.2", Should, Client,
        "Staging credentials travel in package-url-user-id and package-url-password, not inside package-url.";
    COLLECT_CREDENTIALS_PAIRED: "collect.credentials.paired", "CMI010 §6.2", Info, Client,
        "A package-url-password comes with a package-url-user-id.";
    COLLECT_EXPIRY_PRESENT: "collect.package-url-expiry.present", "CMI010 §6.2", Must, Client,
        "package-url-expiry is present and not empty.";
    COLLECT_EXPIRY_FORMAT: "collect.package-url-expiry.format", "CMI010 §6.2", Must, Client,
        "package-url-expiry is an ISO 8601 date-time (e.g. `2005-05-20T16:05:39Z`).";
    COLLECT_EXPIRY_UTC: "collect.package-url-expiry.utc", "CMI010 §6.2, App. A", Should, Client,
        "package-url-expiry is given in UTC. A should: CMI010's own App. A example (`2005-07-22T06:51:29`) has no zone at all, so a value without one, or with an offset (an exact instant all the same), is a warning.";
    COLLECT_EXPIRY_Z: "collect.package-url-expiry.z-designator", "CMI010 §6.2 (1.0a change)", Should, Client,
        "package-url-expiry ends in the UTC designator `Z` (CMI010 1.0a), not `+00:00` or `+0000`.";
    COLLECT_EXPIRY_FUTURE: "collect.package-url-expiry.future", "CMI010 §6.2", Must, Client,
        "package-url-expiry lies in the future when the command is sent: the package stays available at least until then.";
    COLLECT_CLIENT_PRESENT: "collect.client.present", "CMI010 §6.2", Must, Client,
        "client (the sending product's name) is present and not empty.";
    COLLECT_RECEIPT_PRESENT: "collect.receipt.present", "CMI010 §6.2", Must, Client,
        "receipt is present and not empty.";
    COLLECT_RECEIPT_URL: "collect.receipt.url", "CMI010 §6.2, §5", Must, Client,
        "receipt is an absolute http(s) URL or a mailto: URL whose every address is valid.";
    COLLECT_ALERTS_URL: "collect.alerts.url", "CMI010 §6.2, §5", Must, Client,
        "alerts, when present, is an absolute http(s) URL or a mailto: URL whose every address is valid.";
    COLLECT_URI_ESCAPED: "collect.uri.escaped", "CMI010 §6.2 (RFC 2396 §2.4)", Should, Client,
        "Values CMI010 calls URIs or URLs (package-id, package-url, receipt, alerts) percent-encode what RFC 2396 does not allow raw (spaces, non-ASCII, `\"<>\\^`{|}`); HTTP clients encode them on the way, so it is a warning.";
    COLLECT_URL_REACHABLE: "collect.url.reachable", "CMI010 §6.2, §5", Should, Client,
        "package-url, receipt and alerts name a host and a port (1-65535) a connection can be made to; the RFCs allow URIs that name neither (`http:/x`, a port of any length), which a target cannot use.";
    COLLECT_VENDOR_DATA_LENGTH: "collect.vendor-data.length", "CMI010 §6.2", Should, Client,
        "vendor-data stays within 4096 characters, the smallest maximum a target must accept.";

    // The PENS response (§6.3, Appendix A table A-2).
    RESPONSE_CRLF: "response.line-ending.crlf", "CMI010 §6.3, App. A table A-2", Must, Both,
        "Response lines end with CR LF.";
    RESPONSE_ORDER: "response.line-order", "CMI010 §6.3, App. A table A-2", Must, Both,
        "Response lines come in the order error, error-text, version, pens-data.";
    RESPONSE_ERROR_PRESENT: "response.error.present", "CMI010 §6.3", Must, Both,
        "The response has an `error=` line.";
    RESPONSE_ERROR_NUMERIC: "response.error.numeric", "CMI010 §6.3", Must, Both,
        "`error` is a decimal number from 0 to 65535.";
    RESPONSE_ERROR_TEXT_PRESENT: "response.error-text.present", "CMI010 §6.3, App. A table A-2", Must, Both,
        "The response has an `error-text=` line.";
    RESPONSE_VERSION_PRESENT: "response.version.present", "CMI010 §6.3, App. A table A-2", Must, Both,
        "The response has a `version=` line.";
    RESPONSE_VERSION_VALUE: "response.version.value", "CMI010 §6.3", Should, Both,
        "`version` is the PENS version spoken, 1.0.0.";
    RESPONSE_PENS_DATA_PRESENT: "response.pens-data.present", "CMI010 §6.3, App. A table A-2", Should, Both,
        "The response ends with a `pens-data=` line (its value may be empty).";
    RESPONSE_NO_BOM: "response.no-bom", "CMI010 §6.3", Should, Both,
        "The body starts with `error=`, not with a byte-order mark.";
    RESPONSE_NO_EXTRA_WHITESPACE: "response.no-extra-whitespace", "CMI010 §6.3", Should, Both,
        "No blank lines and no white space around names, `=` or values.";
    RESPONSE_KNOWN_LINES: "response.known-lines", "CMI010 §6.3", Should, Both,
        "Before pens-data, the body holds only the error, error-text and version lines, once each.";
    RESPONSE_PLAIN_VALUES: "response.plain-values", "CMI010 §6.3", Should, Both,
        "Response values are plain text, not URL-encoded.";
    RESPONSE_CHARSET: "response.charset.utf8", "CMI010 §6.3", Should, Both,
        "The response body is UTF-8 (or ASCII) text.";
    RESPONSE_CONTENT_TYPE: "response.content-type", "CMI010 §6.3", Should, Both,
        "The response is served as text/plain.";

    // Receipts and alerts (§5.1, Appendix A examples).
    NOTIFICATION_COMMAND: "notification.command.value", "CMI010 §5.1", Must, Target,
        "A receipt carries command=receipt and an alert command=alert.";
    NOTIFICATION_ERROR_PRESENT: "notification.error.present", "CMI010 §5.1, App. A", Must, Target,
        "A receipt or alert carries the outcome as an `error` number.";
    NOTIFICATION_ERROR_NUMERIC: "notification.error.numeric", "CMI010 §5.1, §6.3", Must, Target,
        "`error` is a decimal number from 0 to 65535.";
    NOTIFICATION_ERROR_KNOWN: "notification.error.known", "CMI010 §6.3", Should, Target,
        "`error` is 0, a code CMI010 assigns, an underlying-protocol code or an implementation-defined code (>= 10000).";
    NOTIFICATION_ERROR_TEXT: "notification.error-text.present", "CMI010 §5.1, App. A", Should, Target,
        "A receipt or alert explains its outcome in `error-text`.";
    NOTIFICATION_PACKAGE_ID: "notification.package-id.present", "CMI010 §5.1, App. A", Should, Target,
        "A receipt or alert names the package-id it is about.";
    NOTIFICATION_PACKAGE_ID_MATCHES: "notification.package-id.matches", "CMI010 §5.1", Should, Target,
        "The package-id of a receipt or alert is the one of the collect it answers.";
    NOTIFICATION_COLLECT_DATA: "notification.collect-data", "CMI010 §5.1, App. A", Should, Target,
        "A receipt or alert carries the relevant collect data: pens-version, package-type, package-type-version, package-format, package-url, package-url-expiry, client.";
    NOTIFICATION_DATE_FORMAT: "notification.date.utc", "CMI010 §6.2", Should, Target,
        "Dates in a receipt or alert are ISO 8601 UTC with the `Z` designator.";
    NOTIFICATION_FORM_POST: "notification.binding.form-post", "CMI010 §5, App. A", Should, Target,
        "An HTTP receipt or alert is sent like a collect: POST, application/x-www-form-urlencoded.";
    NOTIFICATION_MAILTO_BODY: "notification.mailto.body", "CMI010 App. A", Should, Target,
        "A mailed receipt or alert has a real sender, a readable subject, optional free text, then CR LF separated name=value lines.";

    // What a target does (checked by target-mode scenarios).
    TARGET_ACCEPTS_POST: "target.collect.post", "CMI010 §5", Must, Target,
        "The target accepts a collect sent by HTTP POST with form-urlencoded elements.";
    TARGET_ACCEPTS_GET: "target.collect.get", "CMI010 §5", Must, Target,
        "The target accepts a collect sent by HTTP GET with the elements in the query string.";
    TARGET_ACK_SYNCHRONOUS: "target.ack.synchronous", "CMI010 §5", Must, Target,
        "The target answers the collect at once, before it fetches and imports the package.";
    TARGET_ACK_RESPONSE: "target.ack.response-format", "CMI010 §6.3, App. A table A-2", Must, Target,
        "The target's answer to a collect is a PENS response body.";
    TARGET_ERROR_CODE: "target.error.applicable-code", "CMI010 §6.2, §6.3", Must, Target,
        "For a missing or invalid element the target answers that element's error code.";
    TARGET_ERROR_HIGHEST: "target.error.highest-numbered", "CMI010 §6.3", Must, Target,
        "When several errors apply, the target answers the highest-numbered one.";
    TARGET_REFUSED_NO_FETCH: "target.refused.no-fetch", "CMI010 §6.3, App. A §2", Should, Target,
        "After refusing a collect with an error code, the target does not fetch the package.";
    TARGET_VALID_VALUES: "target.collect.valid-values", "CMI010 §4.2, §6.2", Must, Target,
        "A target accepts every value the spec's value spaces allow, in every form their standards allow: an ISO 8601 expiry with an offset, a fraction of a second or a lower-case `z` (RFC 3339 §5.6), and CMI010's own App. A forms. Where CMI010's text and example disagree (`Z` required, an example without it) either reading passes (0, or the 1320 warning) and a refusal (2009) warns at most.";
    TARGET_EXTENSION_TOLERATED: "target.extension-elements.tolerated", "CMI010 §6.2, §4.3", Must, Target,
        "The target accepts a collect carrying elements it does not know.";
    TARGET_VENDOR_DATA: "target.vendor-data.accepted", "CMI010 §6.2", Must, Target,
        "The target accepts vendor-data of up to 4096 characters.";
    TARGET_FETCH_HTTP: "target.fetch.http", "CMI010 §5", Must, Target,
        "The target fetches packages over HTTP.";
    TARGET_FETCH_HTTPS: "target.fetch.https", "CMI010 §5", Must, Target,
        "The target fetches packages over HTTPS (answering 1302 is itself non-conformant).";
    TARGET_FETCH_FTP: "target.fetch.ftp", "CMI010 §5, §6.3", Must, Target,
        "The target fetches packages over FTP, or answers 1304.";
    TARGET_FETCH_FTPS: "target.fetch.ftps", "CMI010 §5, §6.3", Must, Target,
        "The target fetches packages over FTPS, or answers 1306.";
    TARGET_FETCH_CREDENTIALS: "target.fetch.credentials", "CMI010 §6.2", Must, Target,
        "The target presents package-url-user-id and package-url-password to the staging server.";
    TARGET_EXPIRED_PACKAGE: "target.fetch.expired", "CMI010 §6.2, §6.3", Should, Target,
        "For a package whose expiry has passed the target warns with 1322.";
    TARGET_RECEIPT_SENT: "target.receipt.sent", "CMI010 §5.1", Must, Target,
        "The target sends exactly one receipt to the receipt URL.";
    TARGET_RECEIPT_AFTER_FETCH: "target.receipt.after-fetch", "CMI010 §5.1, App. A §2", Must, Target,
        "The receipt comes after the retrieval attempt.";
    TARGET_RECEIPT_OUTCOME: "target.receipt.outcome", "CMI010 §5.1", Must, Target,
        "The receipt reports success (0) or the retrieval error (13xx, 1432, ...).";
    TARGET_ALERTS_AFTER_RECEIPT: "target.alerts.after-receipt", "CMI010 §5.1, App. A §2", Should, Target,
        "Alerts come after the receipt.";
    TARGET_ALERTS_SENT: "target.alerts.sent", "CMI010 §5.1", Must, Target,
        "A target that claims to send alerts sends them while it processes a package.";
    TARGET_ALERTS_OUTCOME: "target.alerts.outcome", "CMI010 §5.1, §6.3", Must, Target,
        "An alert reports the outcome of processing with its error code (e.g. 1432 for a package that cannot be imported).";
    TARGET_MAILTO_RECEIPT: "target.receipt.mailto", "CMI010 §5, §6.3", Must, Target,
        "The target mails a mailto: receipt to every address, or answers 1510.";
    TARGET_MAILTO_ALERTS: "target.alerts.mailto", "CMI010 §5, §6.3", Must, Target,
        "The target mails mailto: alerts to every address, or answers 1520.";

    // Security: what CMI010 does not ask but a careful target does (scenarios tagged
    // `security`, advisory unless the run enforces them). Each cites the part of the
    // spec the attack goes through.
    TARGET_SECURITY_ARCHIVE_PATHS: "target.security.archive-paths", "CMI010 §6.3 (1432); security best practice", Should, Target,
        "The target refuses an archive whose entries would land outside its import folder (`../`, absolute paths) and does not report it imported.";
    TARGET_SECURITY_ARCHIVE_EXPANSION: "target.security.archive-expansion", "CMI010 §6.3 (1432, 1440); security best practice", Should, Target,
        "The target refuses an archive that expands to far more than it weighs (a zip bomb), without unpacking it all, and does not report it imported.";
    TARGET_SECURITY_PACKAGE_SIZE: "target.security.package-size", "CMI010 §6.3 (1440); security best practice", Should, Target,
        "The target refuses a package beyond the size it accepts, with an error in the receipt, and does not report it imported.";
    TARGET_SECURITY_INTERNAL_CONTENT: "target.security.internal-content", "CMI010 §5, §6.2; security best practice (server-side request forgery)", Should, Target,
        "What the target fetched from a package-url never shows in its answer, receipt or alerts: pointed at an internal address, it reveals nothing of it.";
    TARGET_SECURITY_URL_CREDENTIALS: "target.security.url-credentials", "CMI010 §5.1, §6.2; security best practice", Should, Target,
        "A password inside a receipt or alerts URL never shows in the target's answer, receipts or alerts.";
    TARGET_SECURITY_ANSWER_ESCAPED: "target.security.answer-escaped", "CMI010 §5 (browser mode), §6.3; security best practice (cross-site scripting)", Should, Target,
        "An answer a browser renders as HTML (text/html, or no Content-Type) escapes the collect values it shows.";

    // What a client does (checked by client-mode scenarios).
    CLIENT_ANSWERS_NOTIFICATIONS: "client.notification.response", "CMI010 §5.1, §6.3", Must, Client,
        "The client answers every HTTP receipt and alert with a PENS response.";
    CLIENT_STAGING_AVAILABLE: "client.staging.available", "CMI010 §6.2", Must, Client,
        "The package is available at package-url, with the advertised credentials, until package-url-expiry.";
    CLIENT_PACKAGE_FORMAT: "client.package.format", "CMI010 §6.2", Should, Client,
        "The staged file is an archive of the declared package-format whose contents fit the declared package-type.";
    CLIENT_PACKAGE_IMPORTABLE: "client.package.importable", "CMI010 §6.2, §6.3 (1432)", Must, Client,
        "The staged file opens as the declared package-format and holds what the declared package-type cannot do without (imsmanifest.xml for SCORM and QTI 2, the AICC course files); a target can only answer anything less with 1432.";
    CLIENT_PACKAGE_ID_STABLE: "client.package-id.stable-namespace", "CMI010 §6.2", Should, Client,
        "Publishing the same course again keeps the package-id namespace.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_dotted_kebab_case() {
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate requirement id");
        for id in ids {
            assert!(id.contains('.'), "{id}");
            assert!(id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'), "{id}");
        }
    }

    #[test]
    fn every_requirement_cites_a_section_and_states_something() {
        for r in CATALOGUE {
            assert!(r.section.starts_with("CMI010 "), "{}", r.id);
            assert!(r.statement.len() > 20 && r.statement.ends_with('.'), "{}", r.id);
        }
    }

    #[test]
    fn lookup_by_id_finds_the_constant() {
        let found = Requirement::by_id("collect.package-url.scheme").expect("present");
        assert_eq!(found, &req::COLLECT_PACKAGE_URL_SCHEME);
        assert!(Requirement::by_id("collect.package-url.nope").is_none());
    }
}
