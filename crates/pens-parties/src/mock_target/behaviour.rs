//! How the mock target behaves: the one seam through which a deviation from CMI010
//! turns into behaviour.
//!
//! The rest of the mock target never asks *why* it behaves as it does: it reads the
//! knobs of a [`TargetBehaviour`]. The conformant target is
//! [`TargetBehaviour::conformant`] (the default). The reference implementations
//! (pens-reference) map each of their seeded defects to one turned knob; keeping the
//! defects' names out of this crate is what lets the engine use the mock target
//! without compiling the reference implementations in.

use pens_proto::{ErrorCode, ExpectedAnswer};

pub use super::archive::ArchiveCheck;

/// Which code the target answers a collect with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerRule {
    /// The highest applicable code, as CMI010 §6.3 requires.
    Highest,
    /// The lowest applicable non-zero code (the reference target's `lowest-error-code`).
    Lowest,
    /// Always 0 (`always-success`).
    AlwaysSuccess,
    /// The right code, except 1301 where 1304 is due (`wrong-ftp-code`).
    FtpAsGeneralFailure,
}

impl AnswerRule {
    /// The code to answer, given what a conformant target owes.
    pub fn code(self, expected: &ExpectedAnswer) -> ErrorCode {
        match self {
            AnswerRule::Highest => expected.code,
            AnswerRule::Lowest => {
                expected.problems.iter().map(|p| p.code).filter(|c| !c.is_success()).min().unwrap_or(expected.code)
            }
            AnswerRule::AlwaysSuccess => ErrorCode::SUCCESS,
            AnswerRule::FtpAsGeneralFailure if expected.code == ErrorCode::FTP_NOT_SUPPORTED => {
                ErrorCode::UNABLE_TO_RETRIEVE
            }
            AnswerRule::FtpAsGeneralFailure => expected.code,
        }
    }
}

/// How the answer's body is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyStyle {
    /// The PENS response of CMI010 §6.3, lines ended by CR LF.
    Pens,
    /// The PENS response with LF line ends (`lf-line-endings`).
    PensLfOnly,
    /// An HTML page, status 200 (`html-response`).
    Html,
    /// For a GET collect, the PENS response served as text/html with the collect's
    /// client and vendor-data unescaped in pens-data; otherwise [`BodyStyle::Pens`]
    /// (`unescaped-html-answer`).
    EchoingHtml,
}

/// When the answer leaves, relative to the background work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckTiming {
    /// At once, before the fetch (CMI010 §5: synchronous acknowledgement).
    Immediate,
    /// After the whole job, plus the configured extra delay (`slow-ack`).
    AfterJob,
}

/// One step of the work that follows an answer of 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetch `package-url` and check the archive.
    Fetch,
    /// Send the receipt, reporting the outcome so far.
    Receipt,
    /// Send the alert, if the outcome so far is a success.
    Alert,
}

/// The conformant order: retrieve, then the receipt, then alerts (CMI010 App. A §2).
pub const CONFORMANT_STEPS: &[Step] = &[Step::Fetch, Step::Receipt, Step::Alert];

/// Which package-id the receipt carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptPackageId {
    /// The collect's own (CMI010 §5.1).
    Echo,
    /// Another one (`receipt-wrong-package-id`).
    Altered,
}

impl ReceiptPackageId {
    /// The id to put in the receipt for a collect's `package_id`.
    pub fn apply(self, package_id: &str) -> String {
        match self {
            ReceiptPackageId::Echo => package_id.to_owned(),
            ReceiptPackageId::Altered => format!("{package_id}-not-this-one"),
        }
    }
}

/// Every knob of the mock target's behaviour. The conformant target is
/// [`TargetBehaviour::conformant`]; each of the reference target's defects turns exactly
/// one knob. Deliberately not `#[non_exhaustive]`: its users build it with struct
/// update syntax over [`TargetBehaviour::conformant`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetBehaviour {
    /// Which code the collect is answered with.
    pub answer: AnswerRule,
    /// How the answer's body is written.
    pub body: BodyStyle,
    /// When the answer leaves.
    pub ack: AckTiming,
    /// What happens after an answer of 0, in order.
    pub steps: &'static [Step],
    /// Whether the fetch presents the package-url credentials.
    pub present_credentials: bool,
    /// Which package-id receipts carry.
    pub receipt_package_id: ReceiptPackageId,
    /// How a retrieved archive is checked.
    pub archive: ArchiveCheck,
    /// Whether [`super::MockTargetOptionsBuilder::max_package_bytes`] applies (otherwise
    /// only the default limit does).
    pub package_limit: bool,
    /// Whether receipts quote unreadable packages and carry the receipt URL.
    pub leaky_notifications: bool,
}

impl TargetBehaviour {
    /// A target that does what CMI010 asks: the highest applicable code, a CR LF PENS
    /// body at once, then fetch, receipt, alert, with the collect's credentials and
    /// package-id, a full archive check, the configured size limit, no leaks.
    pub const fn conformant() -> TargetBehaviour {
        TargetBehaviour {
            answer: AnswerRule::Highest,
            body: BodyStyle::Pens,
            ack: AckTiming::Immediate,
            steps: CONFORMANT_STEPS,
            present_credentials: true,
            receipt_package_id: ReceiptPackageId::Echo,
            archive: ArchiveCheck::Full,
            package_limit: true,
            leaky_notifications: false,
        }
    }
}

impl Default for TargetBehaviour {
    fn default() -> Self {
        TargetBehaviour::conformant()
    }
}

#[cfg(test)]
mod tests {
    use pens_proto::{Problem, req};

    use super::*;

    #[test]
    fn answer_rules_pick_their_code() {
        let problems = vec![
            Problem::new(&req::COLLECT_PACKAGE_TYPE_PRESENT, Some("package-type"), ErrorCode(2003)),
            Problem::new(&req::COLLECT_RECEIPT_PRESENT, Some("receipt"), ErrorCode(2011)),
            Problem::new(&req::TARGET_FETCH_FTP, Some("package-url"), ErrorCode(0)),
        ];
        let expected = ExpectedAnswer::from_problems(problems);
        assert_eq!(AnswerRule::Highest.code(&expected), ErrorCode(2011));
        assert_eq!(AnswerRule::Lowest.code(&expected), ErrorCode(2003));
        assert_eq!(AnswerRule::AlwaysSuccess.code(&expected), ErrorCode(0));
        assert_eq!(AnswerRule::FtpAsGeneralFailure.code(&expected), ErrorCode(2011));
        let ftp = ExpectedAnswer::from_problems(vec![Problem::new(
            &req::TARGET_FETCH_FTP,
            Some("package-url"),
            ErrorCode::FTP_NOT_SUPPORTED,
        )]);
        assert_eq!(AnswerRule::FtpAsGeneralFailure.code(&ftp), ErrorCode(1301));
        let none = ExpectedAnswer::from_problems(Vec::new());
        assert_eq!(AnswerRule::Lowest.code(&none), ErrorCode(0));
    }

    #[test]
    fn altered_package_ids_differ() {
        assert_eq!(ReceiptPackageId::Echo.apply("urn:x:1"), "urn:x:1");
        assert_ne!(ReceiptPackageId::Altered.apply("urn:x:1"), "urn:x:1");
    }
}
