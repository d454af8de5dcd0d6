//! The deviations the reference target can be told to make, and the one place where a
//! deviation turns into behaviour.
//!
//! A conformance harness is only trustworthy if each of its checks has been seen to
//! fail. [`Defect`] seeds exactly one known deviation from CMI010 into an otherwise
//! correct target, so `pens-conform selftest` can prove that the check watching for it
//! notices. The mock target (pens-parties) never sees a [`Defect`]: it reads the knobs of
//! a [`TargetBehaviour`], and [`Defect::behaviour`] is the only function that knows which
//! defect turns which knob.

use std::fmt;
use std::str::FromStr;

use pens_parties::{AckTiming, AnswerRule, ArchiveCheck, BodyStyle, ReceiptPackageId, Step, TargetBehaviour};

use super::error::ReferenceTargetError;

/// One deliberate deviation from CMI010, named in kebab-case on the command line
/// (`--defect NAME`). Deliberately not `#[non_exhaustive]`: code that covers every
/// defect (the self-test, its tests) should stop compiling when one is added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Defect {
    /// `lf-line-endings`: answers end their lines with LF only (CMI010 §6.3 asks CR LF).
    LfLineEndings,
    /// `no-receipt`: fetches the package but never sends the receipt (CMI010 §5.1).
    NoReceipt,
    /// `receipt-before-download`: sends a successful receipt before the fetch starts,
    /// then fetches (CMI010 §5.1, App. A §2: the receipt follows the retrieval).
    ReceiptBeforeDownload,
    /// `wrong-ftp-code`: answers an `ftp://` package URL with 1301 instead of 1304
    /// (CMI010 §5, §6.3: a target without FTP answers FTP's own code).
    WrongFtpCode,
    /// `lowest-error-code`: answers the lowest applicable error code instead of the
    /// highest (CMI010 §6.3).
    LowestErrorCode,
    /// `ignore-credentials`: fetches without the package-url credentials (CMI010 §6.2).
    IgnoreCredentials,
    /// `always-success`: answers 0 to every collect, however invalid (CMI010 §6.3).
    AlwaysSuccess,
    /// `receipt-wrong-package-id`: the receipt names another package-id (CMI010 §5.1).
    ReceiptWrongPackageId,
    /// `slow-ack`: answers the collect only after fetching and sending the receipt,
    /// plus [`pens_parties::MockTargetOptions::slow_ack_extra_delay`] (CMI010 §5: the
    /// acknowledgement is synchronous, the retrieval comes after it).
    SlowAck,
    /// `html-response`: answers an HTML page with status 200 instead of the PENS
    /// response (CMI010 §6.3, App. A table A-2).
    HtmlResponse,
    /// `alert-before-receipt`: sends the alert before the receipt (CMI010 §5.1, App. A §2).
    AlertBeforeReceipt,
    /// `no-fetch`: answers 0, never fetches, and sends a successful receipt anyway
    /// (CMI010 §5.1: the receipt reports the retrieval's outcome).
    NoFetch,
    /// `shallow-archive-check`: lists the archive without unpacking it, so entry names
    /// that leave the import folder and entries of gigabytes go unnoticed (security
    /// best practice; `security-zip-slip`, `security-zip-bomb`).
    ShallowArchiveCheck,
    /// `no-package-size-limit`: ignores
    /// [`pens_parties::MockTargetOptionsBuilder::max_package_bytes`] and imports a larger package
    /// (`security-oversized-package`); it still stops at the default limit, to spare the
    /// harness's disk.
    NoPackageSizeLimit,
    /// `leaky-receipts`: a receipt about an unreadable package quotes the package's first
    /// bytes, and receipts and alerts copy the collect's receipt URL, credentials
    /// included (`security-ssrf-internal-url`, `security-receipt-url-credentials`).
    LeakyReceipts,
    /// `unescaped-html-answer`: answers a GET collect (browser mode, CMI010 §5) as
    /// text/html whose pens-data shows client and vendor-data unescaped
    /// (`security-collect-html-script`).
    UnescapedHtmlAnswer,
}

impl Defect {
    /// Every defect, in the order the contract lists them (`docs/target-mode.md`).
    pub const ALL: [Defect; 16] = [
        Defect::LfLineEndings,
        Defect::NoReceipt,
        Defect::ReceiptBeforeDownload,
        Defect::WrongFtpCode,
        Defect::LowestErrorCode,
        Defect::IgnoreCredentials,
        Defect::AlwaysSuccess,
        Defect::ReceiptWrongPackageId,
        Defect::SlowAck,
        Defect::HtmlResponse,
        Defect::AlertBeforeReceipt,
        Defect::NoFetch,
        Defect::ShallowArchiveCheck,
        Defect::NoPackageSizeLimit,
        Defect::LeakyReceipts,
        Defect::UnescapedHtmlAnswer,
    ];

    /// The kebab-case name used by `--defect`.
    pub fn name(self) -> &'static str {
        match self {
            Defect::LfLineEndings => "lf-line-endings",
            Defect::NoReceipt => "no-receipt",
            Defect::ReceiptBeforeDownload => "receipt-before-download",
            Defect::WrongFtpCode => "wrong-ftp-code",
            Defect::LowestErrorCode => "lowest-error-code",
            Defect::IgnoreCredentials => "ignore-credentials",
            Defect::AlwaysSuccess => "always-success",
            Defect::ReceiptWrongPackageId => "receipt-wrong-package-id",
            Defect::SlowAck => "slow-ack",
            Defect::HtmlResponse => "html-response",
            Defect::AlertBeforeReceipt => "alert-before-receipt",
            Defect::NoFetch => "no-fetch",
            Defect::ShallowArchiveCheck => "shallow-archive-check",
            Defect::NoPackageSizeLimit => "no-package-size-limit",
            Defect::LeakyReceipts => "leaky-receipts",
            Defect::UnescapedHtmlAnswer => "unescaped-html-answer",
        }
    }

    /// One line saying what the target then does wrong, for `pens-conform list`.
    pub fn description(self) -> &'static str {
        match self {
            Defect::LfLineEndings => "ends the lines of its PENS responses with LF instead of CR LF",
            Defect::NoReceipt => "fetches the package but never sends a receipt",
            Defect::ReceiptBeforeDownload => "sends a successful receipt before it starts fetching the package",
            Defect::WrongFtpCode => "answers an ftp:// package URL with 1301 instead of 1304",
            Defect::LowestErrorCode => "answers the lowest applicable error code instead of the highest",
            Defect::IgnoreCredentials => "fetches the package without the package-url credentials",
            Defect::AlwaysSuccess => "answers error=0 to every collect, even invalid ones",
            Defect::ReceiptWrongPackageId => "sends its receipt with a package-id other than the collect's",
            Defect::SlowAck => "answers the collect only after the fetch and the receipt are done",
            Defect::HtmlResponse => "answers with an HTML page (status 200) instead of a PENS response",
            Defect::AlertBeforeReceipt => "sends its alert before its receipt",
            Defect::NoFetch => "answers 0 and sends a successful receipt without ever fetching the package",
            Defect::ShallowArchiveCheck => {
                "lists the archive without unpacking it: no check of entry names, sizes or checksums"
            }
            Defect::NoPackageSizeLimit => "imports packages beyond its configured size limit",
            Defect::LeakyReceipts => {
                "quotes an unreadable package in its receipt and copies the receipt URL, password included, into receipts and alerts"
            }
            Defect::UnescapedHtmlAnswer => {
                "answers a GET collect as text/html, showing client and vendor-data unescaped"
            }
        }
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Defect {
    type Err = ReferenceTargetError;

    /// Reads a kebab-case name exactly as [`Defect::name`] writes it.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Defect::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| ReferenceTargetError::UnknownDefect { name: name.to_owned() })
    }
}

/// The behaviour of a target with `defect`, or of a conformant one: the only function
/// that knows which defect turns which knob of the mock target.
pub fn behaviour_of(defect: Option<Defect>) -> TargetBehaviour {
    defect.map_or_else(TargetBehaviour::conformant, Defect::behaviour)
}

impl Defect {
    /// The mock target's behaviour with this one deviation.
    pub fn behaviour(self) -> TargetBehaviour {
        let correct = TargetBehaviour::conformant();
        match self {
            Defect::LfLineEndings => TargetBehaviour { body: BodyStyle::PensLfOnly, ..correct },
            Defect::NoReceipt => TargetBehaviour { steps: &[Step::Fetch], ..correct },
            Defect::ReceiptBeforeDownload => {
                TargetBehaviour { steps: &[Step::Receipt, Step::Fetch, Step::Alert], ..correct }
            }
            Defect::WrongFtpCode => TargetBehaviour { answer: AnswerRule::FtpAsGeneralFailure, ..correct },
            Defect::LowestErrorCode => TargetBehaviour { answer: AnswerRule::Lowest, ..correct },
            Defect::IgnoreCredentials => TargetBehaviour { present_credentials: false, ..correct },
            Defect::AlwaysSuccess => TargetBehaviour { answer: AnswerRule::AlwaysSuccess, ..correct },
            Defect::ReceiptWrongPackageId => {
                TargetBehaviour { receipt_package_id: ReceiptPackageId::Altered, ..correct }
            }
            Defect::SlowAck => TargetBehaviour { ack: AckTiming::AfterJob, ..correct },
            Defect::HtmlResponse => TargetBehaviour { body: BodyStyle::Html, ..correct },
            Defect::AlertBeforeReceipt => {
                TargetBehaviour { steps: &[Step::Fetch, Step::Alert, Step::Receipt], ..correct }
            }
            Defect::NoFetch => TargetBehaviour { steps: &[Step::Receipt, Step::Alert], ..correct },
            Defect::ShallowArchiveCheck => TargetBehaviour { archive: ArchiveCheck::Shallow, ..correct },
            Defect::NoPackageSizeLimit => TargetBehaviour { package_limit: false, ..correct },
            Defect::LeakyReceipts => TargetBehaviour { leaky_notifications: true, ..correct },
            Defect::UnescapedHtmlAnswer => TargetBehaviour { body: BodyStyle::EchoingHtml, ..correct },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for defect in Defect::ALL {
            assert_eq!(defect.name().parse::<Defect>().ok(), Some(defect));
            assert_eq!(defect.to_string(), defect.name());
            assert!(defect.name().chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{defect}");
            assert!(!defect.description().is_empty() && !defect.description().contains('\n'));
            assert!(seen.insert(defect.name()), "{defect} twice");
        }
    }

    #[test]
    fn unknown_names_are_an_error_naming_the_known_ones() {
        let error = "No-Receipt".parse::<Defect>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("`No-Receipt`") && error.contains("no-receipt"), "{error}");
    }

    #[test]
    fn every_defect_turns_exactly_one_knob() {
        let correct = behaviour_of(None);
        assert_eq!(correct, TargetBehaviour::conformant());
        for defect in Defect::ALL {
            let b = behaviour_of(Some(defect));
            let turned = [
                b.answer != correct.answer,
                b.body != correct.body,
                b.ack != correct.ack,
                b.steps != correct.steps,
                b.present_credentials != correct.present_credentials,
                b.receipt_package_id != correct.receipt_package_id,
                b.archive != correct.archive,
                b.package_limit != correct.package_limit,
                b.leaky_notifications != correct.leaky_notifications,
            ];
            assert_eq!(turned.iter().filter(|t| **t).count(), 1, "{defect}");
        }
    }
}
