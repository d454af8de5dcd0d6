//! The seventeen elements of the collect command (CMI010 §6.2).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error_code::ErrorCode;

/// One element of the collect command, named as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Element {
    /// `pens-version`: `x.y.z`, deployed value `1.0.0`.
    PensVersion,
    /// `command`: `collect`.
    Command,
    /// `package-type`: `aicc-pkg`, `scorm-pif`, `ims-qti`.
    PackageType,
    /// `package-type-version`: e.g. `1.2`, `2004`.
    PackageTypeVersion,
    /// `package-format`: `zip`, `url`, `jar`, `war`, `xml`.
    PackageFormat,
    /// `package-id`: a URI, namespace plus id.
    PackageId,
    /// `package-url`: where the package is staged.
    PackageUrl,
    /// `package-url-user-id`: staging login.
    PackageUrlUserId,
    /// `package-url-account`: staging account (FTP `ACCT`).
    PackageUrlAccount,
    /// `package-url-password`: staging password. Secret.
    PackageUrlPassword,
    /// `package-url-expiry`: ISO 8601 UTC.
    PackageUrlExpiry,
    /// `client`: the sending product's name.
    Client,
    /// `system-user-id`: user on the target.
    SystemUserId,
    /// `system-password`: password or token on the target. Secret.
    SystemPassword,
    /// `receipt`: where the receipt goes.
    Receipt,
    /// `alerts`: where alerts go.
    Alerts,
    /// `vendor-data`: free text.
    VendorData,
}

impl Element {
    /// All seventeen, in the order of the spec's table.
    pub const ALL: [Element; 17] = [
        Element::PensVersion,
        Element::Command,
        Element::PackageType,
        Element::PackageTypeVersion,
        Element::PackageFormat,
        Element::PackageId,
        Element::PackageUrl,
        Element::PackageUrlUserId,
        Element::PackageUrlAccount,
        Element::PackageUrlPassword,
        Element::PackageUrlExpiry,
        Element::Client,
        Element::SystemUserId,
        Element::SystemPassword,
        Element::Receipt,
        Element::Alerts,
        Element::VendorData,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Element::PensVersion => "pens-version",
            Element::Command => "command",
            Element::PackageType => "package-type",
            Element::PackageTypeVersion => "package-type-version",
            Element::PackageFormat => "package-format",
            Element::PackageId => "package-id",
            Element::PackageUrl => "package-url",
            Element::PackageUrlUserId => "package-url-user-id",
            Element::PackageUrlAccount => "package-url-account",
            Element::PackageUrlPassword => "package-url-password",
            Element::PackageUrlExpiry => "package-url-expiry",
            Element::Client => "client",
            Element::SystemUserId => "system-user-id",
            Element::SystemPassword => "system-password",
            Element::Receipt => "receipt",
            Element::Alerts => "alerts",
            Element::VendorData => "vendor-data",
        }
    }

    /// The element with this exact wire name (names are case-sensitive, CMI010 §5).
    pub fn from_name(name: &str) -> Option<Element> {
        Element::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Whether a collect must carry it.
    pub fn is_required(self) -> bool {
        self.missing_code().is_some()
    }

    /// The code a target answers when this required element is missing or invalid;
    /// `None` for optional elements, which have no code of their own.
    pub fn missing_code(self) -> Option<ErrorCode> {
        Some(match self {
            Element::PensVersion => ErrorCode::PENS_VERSION_INVALID,
            Element::Command => ErrorCode::COMMAND_INVALID,
            Element::PackageType => ErrorCode::PACKAGE_TYPE_INVALID,
            Element::PackageTypeVersion => ErrorCode::PACKAGE_TYPE_VERSION_INVALID,
            Element::PackageFormat => ErrorCode::PACKAGE_FORMAT_INVALID,
            Element::PackageId => ErrorCode::PACKAGE_ID_INVALID,
            Element::PackageUrl => ErrorCode::PACKAGE_URL_INVALID,
            Element::PackageUrlExpiry => ErrorCode::EXPIRY_INVALID,
            Element::Client => ErrorCode::CLIENT_INVALID,
            Element::Receipt => ErrorCode::RECEIPT_INVALID,
            Element::PackageUrlUserId
            | Element::PackageUrlAccount
            | Element::PackageUrlPassword
            | Element::SystemUserId
            | Element::SystemPassword
            | Element::Alerts
            | Element::VendorData => return None,
        })
    }

    /// Whether its value is a secret that never appears in reports or logs.
    pub fn is_secret(self) -> bool {
        matches!(self, Element::PackageUrlPassword | Element::SystemPassword)
    }
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether an element name (known or not) names a secret, so that unknown elements
/// such as `proxy-password` are redacted too.
pub fn is_secret_name(name: &str) -> bool {
    // Case-insensitive search without a lower-cased copy: this runs for every pair of
    // every message decoded, thousands of times a second under load.
    let name = name.as_bytes();
    ["password", "passwd", "secret", "token"]
        .iter()
        .any(|word| name.windows(word.len()).any(|window| window.eq_ignore_ascii_case(word.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_elements_with_distinct_lowercase_names_round_trip() {
        assert_eq!(Element::ALL.len(), 17);
        for element in Element::ALL {
            let name = element.name();
            assert_eq!(Element::from_name(name), Some(element));
            assert_eq!(name, name.to_ascii_lowercase());
        }
        assert_eq!(Element::from_name("Package-URL"), None, "names are case-sensitive");
    }

    #[test]
    fn required_elements_and_their_codes_match_the_digest() {
        let required: Vec<(&str, u16)> =
            Element::ALL.into_iter().filter_map(|e| e.missing_code().map(|c| (e.name(), c.0))).collect();
        assert_eq!(
            required,
            [
                ("pens-version", 2001),
                ("command", 2002),
                ("package-type", 2003),
                ("package-type-version", 2004),
                ("package-format", 2005),
                ("package-id", 2007),
                ("package-url", 2008),
                ("package-url-expiry", 2009),
                ("client", 2010),
                ("receipt", 2011),
            ]
        );
    }

    #[test]
    fn passwords_are_secret() {
        let secret: Vec<_> = Element::ALL.into_iter().filter(|e| e.is_secret()).collect();
        assert_eq!(secret, [Element::PackageUrlPassword, Element::SystemPassword]);
        assert!(is_secret_name("proxy-Password"));
        assert!(is_secret_name("api-token"));
        assert!(!is_secret_name("package-url-user-id"));
    }
}
