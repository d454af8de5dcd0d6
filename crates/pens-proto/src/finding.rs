//! Findings: what a check says about a message, tied to a requirement of the catalogue.
//!
//! A finding is data, not an error: validation never fails, it describes. Values quoted
//! as evidence pass through [`redact`] so that passwords never reach a report or a log.

use std::fmt;

use serde::Serialize;

use crate::element::is_secret_name;
use crate::requirement::{Level, Requirement};

/// Longest value quoted in a finding; longer ones are cut, with their length noted.
const MAX_QUOTED_CHARS: usize = 200;

/// The text that stands for a secret value.
pub const REDACTED: &str = "[redacted]";

/// One observation about a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The requirement concerned.
    pub requirement: &'static Requirement,
    /// The level of that requirement: a finding at `must` is a failure.
    pub level: Level,
    /// The element or line concerned, if any (wire name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// The offending value as received, redacted and shortened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// One line a vendor can act on.
    pub message: String,
}

impl Finding {
    /// A finding about `requirement`, at the requirement's level.
    pub fn new(requirement: &'static Requirement, message: impl Into<String>) -> Self {
        Finding { requirement, level: requirement.level, element: None, value: None, message: message.into() }
    }

    /// Names the element or line concerned.
    pub fn element(mut self, name: impl Into<String>) -> Self {
        self.element = Some(name.into());
        self
    }

    /// Quotes the offending value, redacted when the element is secret.
    pub fn value(mut self, value: &str) -> Self {
        let secret = self.element.as_deref().is_some_and(is_secret_name);
        self.value = Some(if secret { REDACTED.to_owned() } else { redact(value) });
        self
    }

    /// Lowers the level, for a deviation the spec tolerates in this context (never raises it).
    pub fn at_most(mut self, level: Level) -> Self {
        self.level = self.level.max(level);
        self
    }

    /// `true` when a `must` is violated.
    pub fn is_failure(&self) -> bool {
        self.level == Level::Must
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [{}] ", self.level, self.requirement.id)?;
        if let Some(element) = &self.element {
            write!(f, "{element}: ")?;
        }
        write!(f, "{} ({})", self.message, self.requirement.section)
    }
}

/// Makes a value safe to quote: hides the password of every URL's userinfo and cuts
/// very long values.
pub fn redact(value: &str) -> String {
    let hidden = redact_url_password(value);
    let count = hidden.chars().count();
    if count <= MAX_QUOTED_CHARS {
        hidden
    } else {
        let head: String = hidden.chars().take(MAX_QUOTED_CHARS).collect();
        format!("{head}… ({count} characters)")
    }
}

/// `https://user:secret@host/x` -> `https://user:[redacted]@host/x`, for every URL of
/// `value` (see [`crate::redact_userinfo`]); anything else as is.
pub(crate) fn redact_url_password(value: &str) -> String {
    crate::userinfo::redact_userinfo(value)
}

/// Whether any finding violates a `must`.
pub fn has_failure(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirement::req;

    #[test]
    fn secret_elements_are_never_quoted() {
        for element in ["package-url-password", "system-password", "x-api-token"] {
            let finding = Finding::new(&req::COLLECT_CREDENTIALS_PAIRED, "m").element(element).value("hunter2");
            assert_eq!(finding.value.as_deref(), Some(REDACTED), "{element}");
        }
    }

    #[test]
    fn passwords_inside_urls_are_hidden() {
        let cases = [
            ("https://bob:hunter2@staging.example/p.zip", "https://bob:[redacted]@staging.example/p.zip"),
            ("ftp://bob:p%40ss@h/p.zip?x=a@b", "ftp://bob:[redacted]@h/p.zip?x=a@b"),
            ("https://bob@h/p.zip", "https://bob@h/p.zip"),
            ("//bob:hunter2@staging.example/p.zip", "//bob:[redacted]@staging.example/p.zip"),
            ("https://h/p.zip?user=a:b@c", "https://h/p.zip?user=a:b@c"),
            ("mailto:a@b.example", "mailto:a@b.example"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let quoted = redact(&"x".repeat(5000));
        assert!(quoted.ends_with("… (5000 characters)"));
        assert!(quoted.chars().count() < 230);
    }

    #[test]
    fn level_follows_the_requirement_and_can_only_be_lowered() {
        let finding = Finding::new(&req::RESPONSE_CRLF, "m");
        assert!(finding.is_failure());
        assert_eq!(finding.clone().at_most(Level::Should).level, Level::Should);
        let warning = Finding::new(&req::RESPONSE_NO_BOM, "m").at_most(Level::Must);
        assert_eq!(warning.level, Level::Should);
    }
}
