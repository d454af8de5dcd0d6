//! The PENS error-code registry (CMI010 §6.3).
//!
//! Every answer a PENS party gives carries an `error` number. CMI010 reserves 0-9999
//! for itself, leaves 10000-65535 to implementations, and allows underlying-protocol
//! codes (HTTP 100-599) where they fit. The registry below holds every code the spec
//! assigns, so a report can print what a number means and which class it belongs to.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A PENS error number, as carried by the `error` element of a response, receipt or
/// alert. Any 16-bit value can be held: unassigned and implementation-defined numbers
/// are legal on the wire, [`ErrorCode::info`] tells whether the spec assigns it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u16);

/// The class a number belongs to, from its range (CMI010 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorClass {
    /// `0`: the command was received and understood.
    Success,
    /// 100-599: a code of the underlying protocol (HTTP status) used as a PENS code.
    UnderlyingProtocol,
    /// 1000-1199.
    General,
    /// 1200-1299.
    Syntax,
    /// 1300-1399: retrieving the package failed.
    Transport,
    /// 1400-1499: the target host cannot handle the package.
    Host,
    /// 1500-1599: receipt and alert delivery.
    Acknowledgement,
    /// 2000-9999: a collect element is missing or invalid.
    Parameter,
    /// 10000-65535: left to implementations.
    ImplementationDefined,
    /// A number in the spec's own range (1-9999) that no class covers.
    Unassigned,
}

impl ErrorClass {
    /// The lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ErrorClass::Success => "success",
            ErrorClass::UnderlyingProtocol => "underlying-protocol",
            ErrorClass::General => "general",
            ErrorClass::Syntax => "syntax",
            ErrorClass::Transport => "transport",
            ErrorClass::Host => "host",
            ErrorClass::Acknowledgement => "acknowledgement",
            ErrorClass::Parameter => "parameter",
            ErrorClass::ImplementationDefined => "implementation-defined",
            ErrorClass::Unassigned => "unassigned",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the spec says about one assigned code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorCodeInfo {
    /// The number.
    pub code: ErrorCode,
    /// A stable kebab-case name, e.g. `ftp-not-supported`.
    pub name: &'static str,
    /// The class its range puts it in.
    pub class: ErrorClass,
    /// The meaning, in the spec's words as far as the digest gives them.
    pub text: &'static str,
    /// Where to read about it.
    pub section: &'static str,
    /// Whether the spec calls it a warning rather than an error.
    pub warning: bool,
}

macro_rules! registry {
    ($( $konst:ident = $code:literal, $name:literal, $class:ident, $warning:literal, $section:literal, $text:literal; )*) => {
        impl ErrorCode {
            $(
                #[doc = $text]
                pub const $konst: ErrorCode = ErrorCode($code);
            )*
        }

        /// Every code CMI010 assigns, in ascending order.
        pub static REGISTRY: &[ErrorCodeInfo] = &[
            $( ErrorCodeInfo {
                code: ErrorCode($code),
                name: $name,
                class: ErrorClass::$class,
                text: $text,
                section: $section,
                warning: $warning,
            }, )*
        ];
    };
}

registry! {
    SUCCESS = 0, "success", Success, false, "CMI010 §6.3",
        "The command was received and understood.";
    UNABLE_TO_PARSE = 1101, "unable-to-parse", General, false, "CMI010 §6.3",
        "Unable to parse the PENS command.";
    INVALID_ARGUMENT = 1201, "invalid-argument", Syntax, false, "CMI010 §6.3",
        "Invalid argument.";
    UNABLE_TO_RETRIEVE = 1301, "unable-to-retrieve-package", Transport, false, "CMI010 §6.3",
        "Unable to retrieve the package (general transport failure).";
    HTTPS_NOT_SUPPORTED = 1302, "https-not-supported", Transport, false, "CMI010 §5, §6.3",
        "HTTPS not supported. A target answering this is itself non-conformant: targets shall fetch over HTTP and HTTPS.";
    FTP_NOT_SUPPORTED = 1304, "ftp-not-supported", Transport, false, "CMI010 §5, §6.3",
        "FTP not supported (FTP is optional for targets; one that lacks it shall answer this).";
    FTPS_NOT_SUPPORTED = 1306, "ftps-not-supported", Transport, false, "CMI010 §5, §6.3",
        "FTPS not supported (FTPS is optional for targets; one that lacks it shall answer this).";
    INVALID_PACKAGE_URL = 1310, "invalid-or-unresponsive-package-url", Transport, false, "CMI010 §6.3",
        "Invalid or unresponsive package URL.";
    INVALID_CREDENTIALS = 1312, "invalid-package-access-credentials", Transport, false, "CMI010 §6.3",
        "Invalid package access credentials.";
    EXPIRY_BADLY_FORMATTED = 1320, "expiry-badly-formatted", Transport, true, "CMI010 §6.2, §6.3",
        "Warning: package-url-expiry present but badly formatted.";
    PACKAGE_EXPIRED = 1322, "package-expired", Transport, true, "CMI010 §6.2, §6.3",
        "Warning: the package has expired.";
    VERSION_NOT_SUPPORTED = 1420, "pens-version-not-supported", Host, false, "CMI010 §6.3",
        "PENS version not supported.";
    COMMAND_NOT_SUPPORTED = 1421, "command-not-supported", Host, false, "CMI010 §6.3",
        "Command not supported.";
    PACKAGE_TYPE_NOT_SUPPORTED = 1430, "package-type-not-supported", Host, false, "CMI010 §6.3",
        "Package type not supported.";
    INTERNAL_PACKAGE_ERROR = 1432, "internal-package-error", Host, false, "CMI010 §6.3",
        "Internal package error: the archive or its contents are bad after retrieval.";
    INSUFFICIENT_STORAGE = 1440, "insufficient-host-storage", Host, false, "CMI010 §6.3",
        "Insufficient host storage.";
    ACK_URL_UNREACHABLE = 1500, "cannot-reach-acknowledgement-url", Acknowledgement, false, "CMI010 §5.1, §6.3",
        "Cannot reach the acknowledgement (receipt or alert) URL.";
    RECEIPT_PROTOCOL_NOT_SUPPORTED = 1510, "unsupported-receipt-protocol", Acknowledgement, false, "CMI010 §5, §6.3",
        "Unsupported receipt protocol (e.g. a target that cannot send mail, given a mailto: receipt).";
    ALERT_PROTOCOL_NOT_SUPPORTED = 1520, "unsupported-alert-protocol", Acknowledgement, false, "CMI010 §5, §6.3",
        "Unsupported alert protocol (e.g. a target that cannot send mail, given a mailto: alerts URL).";
    PENS_VERSION_INVALID = 2001, "pens-version-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "pens-version missing or invalid.";
    COMMAND_INVALID = 2002, "command-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "command missing or invalid.";
    PACKAGE_TYPE_INVALID = 2003, "package-type-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "package-type missing or invalid.";
    PACKAGE_TYPE_VERSION_INVALID = 2004, "package-type-version-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "package-type-version missing or invalid.";
    PACKAGE_FORMAT_INVALID = 2005, "package-format-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "package-format missing or invalid.";
    PACKAGE_ID_INVALID = 2007, "package-id-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "package-id missing or invalid.";
    PACKAGE_URL_INVALID = 2008, "package-url-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "package-url missing or invalid.";
    EXPIRY_INVALID = 2009, "package-url-expiry-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "package-url-expiry missing or invalid.";
    CLIENT_INVALID = 2010, "client-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "client missing or invalid.";
    RECEIPT_INVALID = 2011, "receipt-missing-or-invalid", Parameter, false, "CMI010 §6.2, §6.3",
        "receipt missing or invalid.";
}

impl ErrorCode {
    /// The registry entry, when CMI010 assigns this number.
    pub fn info(self) -> Option<&'static ErrorCodeInfo> {
        REGISTRY.binary_search_by_key(&self, |info| info.code).ok().map(|index| &REGISTRY[index])
    }

    /// The class of this number, from its range; assigned or not.
    pub fn class(self) -> ErrorClass {
        match self.0 {
            0 => ErrorClass::Success,
            100..=599 => ErrorClass::UnderlyingProtocol,
            1000..=1199 => ErrorClass::General,
            1200..=1299 => ErrorClass::Syntax,
            1300..=1399 => ErrorClass::Transport,
            1400..=1499 => ErrorClass::Host,
            1500..=1599 => ErrorClass::Acknowledgement,
            2000..=9999 => ErrorClass::Parameter,
            10000.. => ErrorClass::ImplementationDefined,
            _ => ErrorClass::Unassigned,
        }
    }

    /// `true` for 0.
    pub fn is_success(self) -> bool {
        self.0 == 0
    }

    /// A one-line description for reports: the registry text, or what the range says.
    pub fn describe(self) -> String {
        match self.info() {
            Some(info) => info.text.to_owned(),
            None => match self.class() {
                ErrorClass::UnderlyingProtocol => {
                    format!("Underlying-protocol code {} (e.g. an HTTP status) used as a PENS code.", self.0)
                }
                ErrorClass::ImplementationDefined => {
                    format!("Implementation-defined code {}: its meaning is the implementation's own.", self.0)
                }
                class => format!("Code {} is not assigned by CMI010 (it falls in the {class} range).", self.0),
            },
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0.to_string())
    }
}

impl From<u16> for ErrorCode {
    fn from(code: u16) -> Self {
        ErrorCode(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique_so_lookup_by_binary_search_works() {
        for pair in REGISTRY.windows(2) {
            assert!(pair[0].code < pair[1].code, "{:?} before {:?}", pair[0].code, pair[1].code);
        }
    }

    #[test]
    fn every_digest_code_is_registered_with_the_class_of_its_range() {
        let digest: &[(u16, ErrorClass)] = &[
            (0, ErrorClass::Success),
            (1101, ErrorClass::General),
            (1201, ErrorClass::Syntax),
            (1301, ErrorClass::Transport),
            (1302, ErrorClass::Transport),
            (1304, ErrorClass::Transport),
            (1306, ErrorClass::Transport),
            (1310, ErrorClass::Transport),
            (1312, ErrorClass::Transport),
            (1320, ErrorClass::Transport),
            (1322, ErrorClass::Transport),
            (1420, ErrorClass::Host),
            (1421, ErrorClass::Host),
            (1430, ErrorClass::Host),
            (1432, ErrorClass::Host),
            (1440, ErrorClass::Host),
            (1500, ErrorClass::Acknowledgement),
            (1510, ErrorClass::Acknowledgement),
            (1520, ErrorClass::Acknowledgement),
            (2001, ErrorClass::Parameter),
            (2002, ErrorClass::Parameter),
            (2003, ErrorClass::Parameter),
            (2004, ErrorClass::Parameter),
            (2005, ErrorClass::Parameter),
            (2007, ErrorClass::Parameter),
            (2008, ErrorClass::Parameter),
            (2009, ErrorClass::Parameter),
            (2010, ErrorClass::Parameter),
            (2011, ErrorClass::Parameter),
        ];
        assert_eq!(REGISTRY.len(), digest.len(), "registry and digest differ in size");
        for &(code, class) in digest {
            let info = ErrorCode(code).info().unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(info.class, class, "class of {code}");
            assert_eq!(ErrorCode(code).class(), class, "range class of {code}");
            assert!(info.section.starts_with("CMI010 §"), "section of {code}");
            assert!(!info.text.is_empty() && !info.name.is_empty());
        }
    }

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<_> = REGISTRY.iter().map(|i| i.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len());
        for name in names {
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
        }
    }

    #[test]
    fn only_1320_and_1322_are_warnings() {
        let warnings: Vec<u16> = REGISTRY.iter().filter(|i| i.warning).map(|i| i.code.0).collect();
        assert_eq!(warnings, [1320, 1322]);
    }

    #[test]
    fn unregistered_numbers_are_classified_by_range() {
        let cases: &[(u16, ErrorClass, Option<&str>)] = &[
            (404, ErrorClass::UnderlyingProtocol, Some("Underlying-protocol")),
            (10000, ErrorClass::ImplementationDefined, Some("Implementation-defined")),
            (65535, ErrorClass::ImplementationDefined, None),
            (1102, ErrorClass::General, Some("not assigned")),
            (2006, ErrorClass::Parameter, Some("not assigned")),
            (7, ErrorClass::Unassigned, Some("not assigned")),
            (600, ErrorClass::Unassigned, None),
            (1600, ErrorClass::Unassigned, None),
        ];
        for &(code, class, text) in cases {
            assert_eq!(ErrorCode(code).class(), class, "{code}");
            assert!(ErrorCode(code).info().is_none(), "{code}");
            if let Some(text) = text {
                assert!(ErrorCode(code).describe().contains(text), "{code}: {}", ErrorCode(code).describe());
            }
        }
    }
}
