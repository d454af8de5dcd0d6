//! The answer a conformant target owes a collect command (CMI010 §6.3).
//!
//! §6.3 says: respond with the highest-numbered error encountered. Each problem in a
//! command makes one code applicable; where the spec is ambiguous a problem also
//! allows alternatives (a malformed expiry: 2009, or the 1320 warning). The expected
//! answer is the highest applicable code, and the acceptable answers are every code a
//! target could reach by the highest-number rule under some reading of each problem.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::error_code::ErrorCode;
use crate::requirement::Requirement;

/// Another code a target may answer for a problem, and why that is acceptable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alternative {
    /// The code.
    pub code: ErrorCode,
    /// Why a conformant target may answer it.
    pub reason: String,
    /// Whether this answer stands for the whole command: a target that cannot parse a
    /// command, or does not speak its version or command, cannot be expected to find
    /// the command's other errors.
    pub whole_command: bool,
}

/// One reason a target must (or may) answer something other than 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The requirement behind it.
    #[serde(serialize_with = "serialize_requirement_id")]
    pub requirement: &'static Requirement,
    /// The element concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// The code the spec assigns (0 when only an alternative applies, e.g. FTP may or may
    /// not be supported).
    pub code: ErrorCode,
    /// Other acceptable codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

fn serialize_requirement_id<S: serde::Serializer>(requirement: &&'static Requirement, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(requirement.id)
}

impl Problem {
    /// A problem with `code` and no alternatives.
    pub fn new(requirement: &'static Requirement, element: Option<&str>, code: ErrorCode) -> Self {
        Problem { requirement, element: element.map(str::to_owned), code, alternatives: Vec::new() }
    }

    /// Adds an alternative code.
    pub fn or(mut self, code: ErrorCode, reason: impl Into<String>) -> Self {
        self.alternatives.push(Alternative { code, reason: reason.into(), whole_command: false });
        self
    }

    /// Adds an answer that stands for the whole command (see [`Alternative::whole_command`]).
    pub fn or_whole(mut self, code: ErrorCode, reason: impl Into<String>) -> Self {
        self.alternatives.push(Alternative { code, reason: reason.into(), whole_command: true });
        self
    }

    fn options(&self) -> impl Iterator<Item = ErrorCode> + '_ {
        std::iter::once(self.code).chain(self.alternatives.iter().filter(|a| !a.whole_command).map(|a| a.code))
    }
}

/// What a conformant target answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpectedAnswer {
    /// The code the spec's rules give: the highest applicable one, 0 if none.
    pub code: ErrorCode,
    /// Every acceptable code, ascending, `code` included.
    pub acceptable: Vec<ErrorCode>,
    /// The problems that led here, in the order found.
    pub problems: Vec<Problem>,
}

impl ExpectedAnswer {
    /// Combines the problems of one command.
    pub fn from_problems(problems: Vec<Problem>) -> Self {
        let code = problems.iter().map(|p| p.code).max().unwrap_or(ErrorCode::SUCCESS);
        let candidates: BTreeSet<ErrorCode> =
            std::iter::once(code).chain(problems.iter().flat_map(Problem::options)).collect();
        // A code is reachable when some problem offers it and every problem offers a
        // code no higher than it: then the highest-number rule can land on it.
        let mut acceptable: BTreeSet<ErrorCode> = candidates
            .into_iter()
            .filter(|&candidate| {
                problems.iter().all(|p| p.options().any(|o| o <= candidate))
                    && (candidate == code || problems.iter().any(|p| p.options().any(|o| o == candidate)))
            })
            .collect();
        acceptable.extend(problems.iter().flat_map(|p| &p.alternatives).filter(|a| a.whole_command).map(|a| a.code));
        ExpectedAnswer { code, acceptable: acceptable.into_iter().collect(), problems }
    }

    /// Whether a target answering `code` is conformant.
    pub fn accepts(&self, code: ErrorCode) -> bool {
        self.acceptable.contains(&code)
    }

    /// Why `code` is acceptable: the problems and alternatives that offer it.
    pub fn reasons_for(&self, code: ErrorCode) -> Vec<String> {
        let mut reasons = Vec::new();
        for problem in &self.problems {
            if problem.code == code && !code.is_success() {
                reasons.push(format!(
                    "{}{}",
                    problem.requirement.id,
                    problem.element.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                ));
            }
            for alternative in problem.alternatives.iter().filter(|a| a.code == code) {
                reasons.push(alternative.reason.clone());
            }
        }
        reasons
    }
}

/// Whether a target supports an optional feature, as far as the harness knows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Support {
    /// Claimed: the target must then use it.
    Yes,
    /// Not supported: the target must answer the feature's error code.
    No,
    /// No claim: either behaviour is acceptable, done completely; a run discovers which
    /// one the target chose.
    #[default]
    Unknown,
}

/// What the target under test claims to support: it decides which answers are right
/// where the spec lets a target choose (FTP, FTPS, mailto, package types).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct TargetCapabilities {
    /// Fetching `ftp://` packages (else 1304).
    pub ftp: Support,
    /// Fetching `ftps://` packages (else 1306).
    pub ftps: Support,
    /// Sending `mailto:` receipts (else 1510).
    pub mailto_receipt: Support,
    /// Sending `mailto:` alerts (else 1520).
    pub mailto_alerts: Support,
    /// `aicc-pkg` packages (else 1430).
    pub aicc_pkg: Support,
    /// `scorm-pif` packages (else 1430).
    pub scorm_pif: Support,
    /// `ims-qti` packages (else 1430).
    pub ims_qti: Support,
    /// Sending alerts at all: optional (CMI010 §5.1), never part of an expected answer;
    /// a target that claims it must then send them.
    pub alerts: Support,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirement::req;

    fn codes(answer: &ExpectedAnswer) -> Vec<u16> {
        answer.acceptable.iter().map(|c| c.0).collect()
    }

    #[test]
    fn no_problem_means_zero() {
        let answer = ExpectedAnswer::from_problems(Vec::new());
        assert_eq!(answer.code, ErrorCode(0));
        assert_eq!(codes(&answer), [0]);
    }

    #[test]
    fn the_highest_applicable_code_wins() {
        let answer = ExpectedAnswer::from_problems(vec![
            Problem::new(&req::COLLECT_PACKAGE_TYPE_PRESENT, Some("package-type"), ErrorCode(2003)),
            Problem::new(&req::COLLECT_RECEIPT_PRESENT, Some("receipt"), ErrorCode(2011)),
        ]);
        assert_eq!(answer.code, ErrorCode(2011));
        assert_eq!(codes(&answer), [2011]);
        assert!(!answer.accepts(ErrorCode(2003)));
    }

    #[test]
    fn alternatives_count_only_where_the_rule_can_reach_them() {
        let expiry = Problem::new(&req::COLLECT_EXPIRY_FORMAT, Some("package-url-expiry"), ErrorCode(2009))
            .or(ErrorCode(1320), "1320 is the warning for a badly formatted expiry");
        let alone = ExpectedAnswer::from_problems(vec![expiry.clone()]);
        assert_eq!(codes(&alone), [1320, 2009]);
        let with_receipt = ExpectedAnswer::from_problems(vec![
            expiry,
            Problem::new(&req::COLLECT_RECEIPT_PRESENT, Some("receipt"), ErrorCode(2011)),
        ]);
        assert_eq!(codes(&with_receipt), [2011]);
    }

    #[test]
    fn optional_support_allows_zero_or_the_feature_code() {
        let ftp = Problem::new(&req::TARGET_FETCH_FTP, Some("package-url"), ErrorCode(0))
            .or(ErrorCode(1304), "FTP is optional");
        let answer = ExpectedAnswer::from_problems(vec![ftp.clone()]);
        assert_eq!(answer.code, ErrorCode(0));
        assert_eq!(codes(&answer), [0, 1304]);
        let with_client = ExpectedAnswer::from_problems(vec![
            ftp,
            Problem::new(&req::COLLECT_CLIENT_PRESENT, Some("client"), ErrorCode(2010)),
        ]);
        assert_eq!(codes(&with_client), [2010]);
    }

    #[test]
    fn whole_command_answers_stand_alone() {
        let answer = ExpectedAnswer::from_problems(vec![
            Problem::new(&req::COLLECT_COMMAND_VALUE, Some("command"), ErrorCode(1421))
                .or_whole(ErrorCode(1421), "a target does not check the elements of a command it does not support"),
            Problem::new(&req::COLLECT_RECEIPT_PRESENT, Some("receipt"), ErrorCode(2011)),
        ]);
        assert_eq!(answer.code, ErrorCode(2011));
        assert_eq!(codes(&answer), [1421, 2011]);
        assert_eq!(answer.reasons_for(ErrorCode(1421)).len(), 2);
    }
}
