//! Receipts and alerts (CMI010 §5.1, Appendix A examples): the messages a target sends
//! back to the client after a collect.
//!
//! The spec leaves their content loosely defined: they "should carry the relevant
//! collect data plus the outcome". [`Notification`] therefore keeps the fields the
//! spec's examples use, each as raw text, plus anything else received.

use std::fmt;

use serde::Serialize;

use crate::element::is_secret_name;
use crate::error_code::ErrorCode;
use crate::finding::{Finding, REDACTED, redact};
use crate::form::{DecodedForm, decode_form, encode_form};
use crate::requirement::req;

/// Which of the two messages this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationKind {
    /// `command=receipt`: sent once, after the retrieval attempt.
    Receipt,
    /// `command=alert`: any number, while the target processes the package.
    Alert,
}

impl NotificationKind {
    /// The `command` value.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Receipt => "receipt",
            NotificationKind::Alert => "alert",
        }
    }

    /// The kind whose `command` value this is, exactly.
    pub fn parse(value: &str) -> Option<NotificationKind> {
        match value {
            "receipt" => Some(NotificationKind::Receipt),
            "alert" => Some(NotificationKind::Alert),
            _ => None,
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A receipt or an alert, fields raw as received.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Notification {
    /// `command`: `receipt` or `alert`.
    pub command: Option<String>,
    /// `pens-version`.
    pub pens_version: Option<String>,
    /// `package-type`.
    pub package_type: Option<String>,
    /// `package-type-version`.
    pub package_type_version: Option<String>,
    /// `package-format`.
    pub package_format: Option<String>,
    /// `package-id`: which package this is about.
    pub package_id: Option<String>,
    /// `package-url`.
    pub package_url: Option<String>,
    /// `package-url-expiry`.
    pub package_url_expiry: Option<String>,
    /// `client`: the *sender's* own name (the target's product).
    pub client: Option<String>,
    /// `error`: the outcome, `0` for success.
    pub error: Option<String>,
    /// `error-text`.
    pub error_text: Option<String>,
    /// Any other `(name, value)`, in arrival order.
    pub extra: Vec<(String, String)>,
}

/// The field names of [`Notification`], in the order the spec's examples use.
pub const NOTIFICATION_FIELDS: [&str; 11] = [
    "command",
    "pens-version",
    "package-type",
    "package-type-version",
    "package-format",
    "package-id",
    "package-url",
    "package-url-expiry",
    "client",
    "error",
    "error-text",
];

/// A receipt or alert decoded from the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedNotification {
    /// The message as far as it could be read.
    pub notification: Notification,
    /// Encoding findings and repeated fields.
    pub findings: Vec<Finding>,
}

impl Notification {
    /// A successful receipt for `collect`-like data: the shape the reference target sends.
    pub fn receipt(package_id: &str, client: &str, error: ErrorCode, error_text: &str) -> Self {
        Notification {
            command: Some(NotificationKind::Receipt.as_str().into()),
            pens_version: Some(crate::collect::PENS_VERSION.into()),
            package_id: Some(package_id.into()),
            client: Some(client.into()),
            error: Some(error.to_string()),
            error_text: Some(error_text.into()),
            ..Notification::default()
        }
    }

    /// The kind, when `command` is exactly `receipt` or `alert`.
    pub fn kind(&self) -> Option<NotificationKind> {
        self.command.as_deref().and_then(NotificationKind::parse)
    }

    /// The outcome, when `error` is a number in range.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.error.as_deref().and_then(|e| e.trim().parse::<u16>().ok()).map(ErrorCode)
    }

    /// The value of a field by wire name (spec fields and extras).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.slot(name)
            .map(Option::as_deref)
            .unwrap_or_else(|| self.extra.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()))
    }

    fn slot(&self, name: &str) -> Option<&Option<String>> {
        Some(match name {
            "command" => &self.command,
            "pens-version" => &self.pens_version,
            "package-type" => &self.package_type,
            "package-type-version" => &self.package_type_version,
            "package-format" => &self.package_format,
            "package-id" => &self.package_id,
            "package-url" => &self.package_url,
            "package-url-expiry" => &self.package_url_expiry,
            "client" => &self.client,
            "error" => &self.error,
            "error-text" => &self.error_text,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "command" => &mut self.command,
            "pens-version" => &mut self.pens_version,
            "package-type" => &mut self.package_type,
            "package-type-version" => &mut self.package_type_version,
            "package-format" => &mut self.package_format,
            "package-id" => &mut self.package_id,
            "package-url" => &mut self.package_url,
            "package-url-expiry" => &mut self.package_url_expiry,
            "client" => &mut self.client,
            "error" => &mut self.error,
            "error-text" => &mut self.error_text,
            _ => return None,
        })
    }

    /// Builds a notification from decoded pairs; the first of repeated fields wins.
    pub fn from_pairs(pairs: &[(String, String)]) -> DecodedNotification {
        let mut notification = Notification::default();
        let mut findings = Vec::new();
        let mut repeated: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            match notification.slot_mut(name) {
                Some(slot @ None) => *slot = Some(value.clone()),
                Some(Some(_)) => {
                    if !repeated.contains(&name.as_str()) {
                        repeated.push(name);
                        findings.push(
                            Finding::new(
                                &req::BINDING_ELEMENT_UNIQUE,
                                "the field appears more than once; the first value is used",
                            )
                            .element(name)
                            .value(value),
                        );
                    }
                }
                None => notification.extra.push((name.clone(), value.clone())),
            }
        }
        DecodedNotification { notification, findings }
    }

    /// Decodes a form body or query string.
    pub fn decode(input: &[u8]) -> DecodedNotification {
        let DecodedForm { pairs, findings: encoding, .. } = decode_form(input);
        let mut decoded = Notification::from_pairs(&pairs);
        decoded.findings.splice(0..0, encoding);
        decoded
    }

    /// Reads the `name=value` lines of a mailed receipt or alert (CMI010 App. A best
    /// practice: optional free text first, then CR LF separated lines); see
    /// [`decode_mail_body`](crate::decode_mail_body) for the free text and the findings.
    pub fn from_mail_body(body: &str) -> Notification {
        Notification::from_pairs(&crate::mail_body::decode_mail_body(body).pairs).notification
    }

    /// Fields as `(name, value)`: spec fields in example order, then extras.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        NOTIFICATION_FIELDS
            .into_iter()
            .filter_map(|name| self.get(name).map(|v| (name, v)))
            .chain(self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .collect()
    }

    /// The form-urlencoded body.
    pub fn to_form(&self) -> String {
        encode_form(self.pairs())
    }

    /// The pairs with secrets hidden, for reports and logs.
    pub fn redacted_pairs(&self) -> Vec<(String, String)> {
        self.pairs()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), if is_secret_name(n) { REDACTED.to_owned() } else { redact(v) }))
            .collect()
    }
}

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.redacted_pairs()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_round_trips_through_the_form() {
        let mut receipt = Notification::receipt("urn:x:1", "Reference LMS", ErrorCode::SUCCESS, "package retrieved");
        receipt.extra.push(("x-job".into(), "42".into()));
        let decoded = Notification::decode(receipt.to_form().as_bytes());
        assert_eq!(decoded.notification, receipt);
        assert!(decoded.findings.is_empty());
        assert_eq!(decoded.notification.kind(), Some(NotificationKind::Receipt));
        assert_eq!(decoded.notification.error_code(), Some(ErrorCode(0)));
    }

    #[test]
    fn the_mail_body_yields_its_name_value_lines_after_free_text() {
        let body = "Your package was received.\r\nThanks = all\r\n\r\ncommand=receipt\r\npackage-id=urn:x:1\r\nerror=1310\r\nerror-text=unresponsive package url\r\n";
        let mailed = Notification::from_mail_body(body);
        assert_eq!(mailed.kind(), Some(NotificationKind::Receipt));
        assert_eq!(mailed.error_code(), Some(ErrorCode::INVALID_PACKAGE_URL));
        assert_eq!(mailed.error_text.as_deref(), Some("unresponsive package url"));
        assert!(mailed.extra.is_empty(), "free text is not a field: {:?}", mailed.extra);
    }

    #[test]
    fn error_code_reads_numbers_only() {
        let mut n = Notification::default();
        for (raw, code) in [("0", Some(0)), ("1432", Some(1432)), (" 7 ", Some(7)), ("x", None), ("70000", None)] {
            n.error = Some(raw.into());
            assert_eq!(n.error_code(), code.map(ErrorCode), "{raw}");
        }
    }
}
