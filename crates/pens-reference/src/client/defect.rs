//! The deviations the reference client can be told to make, and the one place where a
//! deviation turns into behaviour.
//!
//! Client mode of the harness judges an authoring tool; its checks are only
//! trustworthy once each has been seen to fail. [`ClientDefect`] seeds exactly one
//! known deviation from CMI010 into an otherwise correct client. The rest of the
//! client never matches on [`ClientDefect`]: it reads the knobs of a [`Behaviour`], and
//! [`Behaviour::of`] is the only function that knows which defect turns which knob.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use pens_proto::{PENS_VERSION, PackageType, PensResponse};

use super::error::ReferenceClientError;
use pens_parties::Endpoint;
use pens_parties::Method;

/// One deliberate deviation from CMI010 by the client, named in kebab-case
/// (`--defect NAME`). Deliberately not `#[non_exhaustive]`: code that covers every
/// defect (a self-test, its tests) should stop compiling when one is added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientDefect {
    /// `missing-expiry`: the collect has no `package-url-expiry` (CMI010 §6.2: required).
    MissingExpiry,
    /// `local-time-expiry`: the expiry has no zone designator, a local time of an
    /// unknown place (CMI010 §6.2: ISO 8601 in UTC, e.g. `2005-05-20T16:05:39Z`).
    LocalTimeExpiry,
    /// `pens-version-1.0`: `pens-version=1.0`, not of the form x.y.z (CMI010 §6.2).
    PensVersion10,
    /// `relative-package-url`: the package URL is a path without scheme and host
    /// (CMI010 §6.2: a fully qualified URL).
    RelativePackageUrl,
    /// `package-not-staged`: the package URL points at a path that answers 404: the
    /// client announced a package it never staged (CMI010 §5, App. A §2 step 1).
    PackageNotStaged,
    /// `wrong-credentials`: the collect advertises a staging password the staging
    /// server rejects (CMI010 §6.2 `package-url-password`).
    WrongCredentials,
    /// `bad-receipt-answer`: receipts and alerts are answered with LF-only lines and
    /// `error=OK` (CMI010 §6.3, App. A table A-2: CR LF lines, a numeric error).
    BadReceiptAnswer,
    /// `non-uri-package-id`: `package-id=course 42`, not a URI (CMI010 §6.2).
    NonUriPackageId,
    /// `get-instead-of-post`: the collect travels as a GET query rather than a form
    /// POST. Allowed, but not best practice (CMI010 §5, App. A).
    GetInsteadOfPost,
    /// `wrong-package-type`: declares `aicc-pkg` for a SCORM zip (or `scorm-pif` for an
    /// AICC one): the package does not fit its `package-type` (CMI010 §6.2).
    WrongPackageType,
    /// `expired-expiry`: the expiry lies an hour in the past (CMI010 §6.2: the package
    /// is available at least until then).
    ExpiredExpiry,
    /// `no-receipt-url`: the collect has no `receipt` (CMI010 §6.2: required).
    NoReceiptUrl,
    /// `strict-notifications`: refuses a receipt or alert that does not repeat the
    /// collect's data, answering the collect's code for the first element missing
    /// (2001 for `pens-version`), as php-pens's `PENSClient` does. CMI010 §5.1 leaves
    /// their contents "not fully defined": a should, not a must.
    StrictNotifications,
}

impl ClientDefect {
    /// Every defect, in the order the brief of the reference client lists them.
    pub const ALL: [ClientDefect; 13] = [
        ClientDefect::MissingExpiry,
        ClientDefect::LocalTimeExpiry,
        ClientDefect::PensVersion10,
        ClientDefect::RelativePackageUrl,
        ClientDefect::PackageNotStaged,
        ClientDefect::WrongCredentials,
        ClientDefect::BadReceiptAnswer,
        ClientDefect::NonUriPackageId,
        ClientDefect::GetInsteadOfPost,
        ClientDefect::WrongPackageType,
        ClientDefect::ExpiredExpiry,
        ClientDefect::NoReceiptUrl,
        ClientDefect::StrictNotifications,
    ];

    /// The kebab-case name used by `--defect`.
    pub fn name(self) -> &'static str {
        match self {
            ClientDefect::MissingExpiry => "missing-expiry",
            ClientDefect::LocalTimeExpiry => "local-time-expiry",
            ClientDefect::PensVersion10 => "pens-version-1.0",
            ClientDefect::RelativePackageUrl => "relative-package-url",
            ClientDefect::PackageNotStaged => "package-not-staged",
            ClientDefect::WrongCredentials => "wrong-credentials",
            ClientDefect::BadReceiptAnswer => "bad-receipt-answer",
            ClientDefect::NonUriPackageId => "non-uri-package-id",
            ClientDefect::GetInsteadOfPost => "get-instead-of-post",
            ClientDefect::WrongPackageType => "wrong-package-type",
            ClientDefect::ExpiredExpiry => "expired-expiry",
            ClientDefect::NoReceiptUrl => "no-receipt-url",
            ClientDefect::StrictNotifications => "strict-notifications",
        }
    }

    /// One line saying what the client then does wrong, for `pens-conform list`.
    pub fn description(self) -> &'static str {
        match self {
            ClientDefect::MissingExpiry => "sends the collect without package-url-expiry",
            ClientDefect::LocalTimeExpiry => "writes package-url-expiry without a time zone (local time)",
            ClientDefect::PensVersion10 => "sends pens-version=1.0 instead of 1.0.0",
            ClientDefect::RelativePackageUrl => "sends a package-url without scheme and host",
            ClientDefect::PackageNotStaged => "announces a package URL that answers 404",
            ClientDefect::WrongCredentials => "advertises a staging password the staging server rejects",
            ClientDefect::BadReceiptAnswer => "answers receipts and alerts with LF-only lines and error=OK",
            ClientDefect::NonUriPackageId => "sends a package-id that is not a URI (\"course 42\")",
            ClientDefect::GetInsteadOfPost => "sends the collect as a GET query instead of a form POST",
            ClientDefect::WrongPackageType => "declares aicc-pkg for a SCORM package (scorm-pif for an AICC one)",
            ClientDefect::ExpiredExpiry => "gives a package-url-expiry an hour in the past",
            ClientDefect::NoReceiptUrl => "sends the collect without a receipt URL",
            ClientDefect::StrictNotifications => {
                "refuses a receipt or alert without the collect's data (2001 without pens-version), as php-pens does"
            }
        }
    }
}

impl fmt::Display for ClientDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ClientDefect {
    type Err = ReferenceClientError;

    /// Reads a kebab-case name exactly as [`ClientDefect::name`] writes it.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        ClientDefect::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| ReferenceClientError::UnknownDefect { name: name.to_owned() })
    }
}

/// The `pens-version` the collect carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VersionRule {
    /// `1.0.0`, the version deployed systems speak.
    Deployed,
    /// `1.0` (`pens-version-1.0`).
    TwoPart,
}

impl VersionRule {
    pub(crate) fn value(self) -> &'static str {
        match self {
            VersionRule::Deployed => PENS_VERSION,
            VersionRule::TwoPart => "1.0",
        }
    }
}

/// Which `package-type` the collect declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TypeRule {
    /// The type of the package published.
    AsPublished,
    /// Another one (`wrong-package-type`).
    Mislabelled,
}

impl TypeRule {
    pub(crate) fn declare(self, published: PackageType) -> PackageType {
        match (self, published) {
            (TypeRule::AsPublished, published) => published,
            (TypeRule::Mislabelled, PackageType::AiccPkg) => PackageType::ScormPif,
            (TypeRule::Mislabelled, _) => PackageType::AiccPkg,
        }
    }
}

/// The `package-id` the collect carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackageIdRule {
    /// The client's namespace URL plus the course id (CMI010 §6.2).
    Namespaced,
    /// `course <id>` (`non-uri-package-id`).
    NotUri,
}

/// Whether the package is there when the target asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StagingRule {
    /// Staged for the whole life of the client.
    Staged,
    /// Never served: its path answers 404 (`package-not-staged`).
    NotStaged,
}

/// How the `package-url` is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PackageUrlRule {
    /// Scheme, host, port, path.
    Absolute,
    /// The path alone (`relative-package-url`).
    PathOnly,
}

/// Which staging credentials the collect advertises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CredentialsRule {
    /// The ones the staging server checks (none when it checks none).
    AsStaged,
    /// A password the staging server rejects (`wrong-credentials`); the staging server
    /// then asks for credentials even when none were configured.
    WrongPassword,
}

/// The `package-url-expiry` the collect carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpiryRule {
    /// An hour from now, UTC, with `Z`.
    InOneHourUtc,
    /// No expiry (`missing-expiry`).
    Missing,
    /// An hour from now, UTC digits without a zone (`local-time-expiry`).
    InOneHourNoZone,
    /// An hour ago, UTC, with `Z` (`expired-expiry`).
    OneHourAgo,
}

/// Whether the collect names a receipt URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReceiptRule {
    /// Its own receipt URL.
    Included,
    /// None (`no-receipt-url`).
    Omitted,
}

/// How receipts and alerts are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AnswerStyle {
    /// The PENS response of CMI010 §6.3: `error=0`, lines ended by CR LF.
    Pens,
    /// LF-only lines and `error=OK` (`bad-receipt-answer`).
    LfOnlyWordError,
}

impl AnswerStyle {
    /// The exact body answering a notification that arrived at `endpoint`.
    pub(crate) fn render(self, endpoint: Endpoint) -> Bytes {
        let text = match endpoint {
            Endpoint::Receipt => "receipt received",
            Endpoint::Alerts => "alert received",
            Endpoint::Other => "notification received",
        };
        let body = match self {
            AnswerStyle::Pens => PensResponse::success(text).encode(),
            AnswerStyle::LfOnlyWordError => {
                format!("error=OK\nerror-text={text}\nversion={PENS_VERSION}\npens-data=\n")
            }
        };
        Bytes::from(body)
    }
}

/// Which receipts and alerts the client accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Acceptance {
    /// Any: CMI010 §5.1 leaves their contents open, so the client reads what it needs.
    Any,
    /// Only those that repeat the collect's data (`strict-notifications`): the first
    /// element missing is refused with the collect's code for it.
    CollectDataRequired,
}

/// The elements [`Acceptance::CollectDataRequired`] wants, with the code of each
/// (CMI010 §6.3, 2001-2010), in the order php-pens's `PENSRequest` reads them.
const REQUIRED_IN_NOTIFICATIONS: [(&str, u16); 8] = [
    ("pens-version", 2001),
    ("package-type", 2003),
    ("package-type-version", 2004),
    ("package-format", 2005),
    ("package-id", 2007),
    ("package-url", 2008),
    ("package-url-expiry", 2009),
    ("client", 2010),
];

impl Acceptance {
    /// The refusal owed to `notification`, if any: the code and its text.
    pub(crate) fn refusal(self, notification: &pens_proto::Notification) -> Option<(pens_proto::ErrorCode, String)> {
        match self {
            Acceptance::Any => None,
            Acceptance::CollectDataRequired => REQUIRED_IN_NOTIFICATIONS
                .into_iter()
                .find(|(name, _)| notification.get(name).is_none_or(|v| v.trim().is_empty()))
                .map(|(name, code)| (pens_proto::ErrorCode(code), format!("{name} missing or invalid"))),
        }
    }
}

/// Every knob a defect can turn. The correct client is `Behaviour::of(None)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Behaviour {
    pub(crate) version: VersionRule,
    pub(crate) method: Method,
    pub(crate) package_type: TypeRule,
    pub(crate) package_id: PackageIdRule,
    pub(crate) staging: StagingRule,
    pub(crate) package_url: PackageUrlRule,
    pub(crate) credentials: CredentialsRule,
    pub(crate) expiry: ExpiryRule,
    pub(crate) receipt: ReceiptRule,
    pub(crate) answer: AnswerStyle,
    pub(crate) acceptance: Acceptance,
}

impl Behaviour {
    /// The behaviour of a client with `defect` (or of a correct one).
    pub(crate) fn of(defect: Option<ClientDefect>) -> Behaviour {
        let correct = Behaviour {
            version: VersionRule::Deployed,
            method: Method::Post,
            package_type: TypeRule::AsPublished,
            package_id: PackageIdRule::Namespaced,
            staging: StagingRule::Staged,
            package_url: PackageUrlRule::Absolute,
            credentials: CredentialsRule::AsStaged,
            expiry: ExpiryRule::InOneHourUtc,
            receipt: ReceiptRule::Included,
            answer: AnswerStyle::Pens,
            acceptance: Acceptance::Any,
        };
        let Some(defect) = defect else { return correct };
        match defect {
            ClientDefect::MissingExpiry => Behaviour { expiry: ExpiryRule::Missing, ..correct },
            ClientDefect::LocalTimeExpiry => Behaviour { expiry: ExpiryRule::InOneHourNoZone, ..correct },
            ClientDefect::PensVersion10 => Behaviour { version: VersionRule::TwoPart, ..correct },
            ClientDefect::RelativePackageUrl => Behaviour { package_url: PackageUrlRule::PathOnly, ..correct },
            ClientDefect::PackageNotStaged => Behaviour { staging: StagingRule::NotStaged, ..correct },
            ClientDefect::WrongCredentials => Behaviour { credentials: CredentialsRule::WrongPassword, ..correct },
            ClientDefect::BadReceiptAnswer => Behaviour { answer: AnswerStyle::LfOnlyWordError, ..correct },
            ClientDefect::NonUriPackageId => Behaviour { package_id: PackageIdRule::NotUri, ..correct },
            ClientDefect::GetInsteadOfPost => Behaviour { method: Method::Get, ..correct },
            ClientDefect::WrongPackageType => Behaviour { package_type: TypeRule::Mislabelled, ..correct },
            ClientDefect::ExpiredExpiry => Behaviour { expiry: ExpiryRule::OneHourAgo, ..correct },
            ClientDefect::NoReceiptUrl => Behaviour { receipt: ReceiptRule::Omitted, ..correct },
            ClientDefect::StrictNotifications => Behaviour { acceptance: Acceptance::CollectDataRequired, ..correct },
        }
    }
}

#[cfg(test)]
mod tests {
    use pens_proto::{ErrorCode, parse_response};

    use super::*;

    #[test]
    fn names_round_trip_and_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for defect in ClientDefect::ALL {
            assert_eq!(defect.name().parse::<ClientDefect>().ok(), Some(defect));
            assert_eq!(defect.to_string(), defect.name());
            // `pens-version-1.0` names the value it sends, dot included.
            let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
            assert!(defect.name().chars().all(allowed), "{defect}");
            assert!(!defect.description().is_empty() && !defect.description().contains('\n'));
            assert!(seen.insert(defect.name()), "{defect} twice");
        }
    }

    #[test]
    fn unknown_names_are_an_error_naming_the_known_ones() {
        let error = "Missing-Expiry".parse::<ClientDefect>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("`Missing-Expiry`") && error.contains("missing-expiry"), "{error}");
    }

    #[test]
    fn every_defect_turns_exactly_one_knob() {
        let correct = Behaviour::of(None);
        for defect in ClientDefect::ALL {
            let b = Behaviour::of(Some(defect));
            let turned = [
                b.version != correct.version,
                b.method != correct.method,
                b.package_type != correct.package_type,
                b.package_id != correct.package_id,
                b.staging != correct.staging,
                b.package_url != correct.package_url,
                b.credentials != correct.credentials,
                b.expiry != correct.expiry,
                b.receipt != correct.receipt,
                b.answer != correct.answer,
                b.acceptance != correct.acceptance,
            ];
            assert_eq!(turned.iter().filter(|t| **t).count(), 1, "{defect}");
        }
    }

    #[test]
    fn strict_acceptance_refuses_the_first_collect_element_missing_as_php_pens_does() {
        let full = pens_proto::Notification::from_pairs(
            &REQUIRED_IN_NOTIFICATIONS.map(|(name, _)| (name.to_owned(), "x".to_owned())),
        )
        .notification;
        assert_eq!(Acceptance::CollectDataRequired.refusal(&full), None);
        let minimal = pens_proto::Notification {
            command: Some("receipt".into()),
            package_id: Some("urn:x:1".into()),
            error: Some("0".into()),
            ..Default::default()
        };
        let refused = Acceptance::CollectDataRequired.refusal(&minimal).map(|(code, _)| code);
        assert_eq!(refused, Some(pens_proto::ErrorCode(2001)));
        assert_eq!(Acceptance::Any.refusal(&minimal), None);
    }

    #[test]
    fn a_mislabelled_type_is_always_another_one() {
        for published in PackageType::ALL {
            assert_eq!(TypeRule::AsPublished.declare(published), published);
            assert_ne!(TypeRule::Mislabelled.declare(published), published);
        }
        assert_eq!(TypeRule::Mislabelled.declare(PackageType::ScormPif), PackageType::AiccPkg);
    }

    #[test]
    fn the_pens_answer_is_exact_and_the_bad_one_is_lf_only_with_a_word() {
        for endpoint in [Endpoint::Receipt, Endpoint::Alerts, Endpoint::Other] {
            let good = AnswerStyle::Pens.render(endpoint);
            let parsed = parse_response(&good);
            assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
            assert_eq!(parsed.error, Some(ErrorCode::SUCCESS));
            assert!(good.ends_with(b"\r\n"));

            let bad = AnswerStyle::LfOnlyWordError.render(endpoint);
            assert!(bad.contains(&b'\n') && !bad.contains(&b'\r'), "{bad:?}");
            assert!(bad.starts_with(b"error=OK\n"), "{bad:?}");
            assert_eq!(parse_response(&bad).error, None);
        }
    }
}
