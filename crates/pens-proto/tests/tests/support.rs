//! Shared fixtures: a fixed clock, capability sets, and assertions over assessments.

use pens_proto::{
    CheckContext, CollectAssessment, CollectCommand, Finding, Level, Support, TargetCapabilities, assess_collect,
};
use proptest::test_runner::{Config, RngSeed};
use time::OffsetDateTime;
use time::macros::datetime;

/// The instant every check runs at: no test reads the wall clock.
pub const NOW: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

/// A target that claims every optional feature, so that the example collect owes
/// exactly `0` and each row of a table shows only the effect of its own change.
pub fn supporting_all() -> TargetCapabilities {
    TargetCapabilities {
        ftp: Support::Yes,
        ftps: Support::Yes,
        mailto_receipt: Support::Yes,
        mailto_alerts: Support::Yes,
        aicc_pkg: Support::Yes,
        scorm_pif: Support::Yes,
        ims_qti: Support::Yes,
        alerts: Support::Yes,
    }
}

/// A context at [`NOW`] with the given capabilities.
pub fn context(target: TargetCapabilities) -> CheckContext {
    CheckContext { target, ..CheckContext::at(NOW) }
}

/// Assesses `command` at [`NOW`] against a target that supports everything.
pub fn assess(command: &CollectCommand) -> CollectAssessment {
    assess_collect(command, &context(supporting_all()))
}

/// The requirement ids of some findings, in order.
pub fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.requirement.id).collect()
}

/// `(id, level)` of some findings, in order.
pub fn ids_and_levels(findings: &[Finding]) -> Vec<(&'static str, Level)> {
    findings.iter().map(|f| (f.requirement.id, f.level)).collect()
}

/// The acceptable codes of an assessment, as numbers.
pub fn acceptable(assessment: &CollectAssessment) -> Vec<u16> {
    assessment.expected.acceptable.iter().map(|c| c.0).collect()
}

/// Invariants every assessment keeps, whatever the command: the expected code is
/// acceptable, the acceptable list is ascending without repeats, `accepts` agrees with
/// it, every non-zero acceptable code has a reason, and each finding's failure flag
/// follows its level, which never exceeds its requirement's.
pub fn assert_consistent(assessment: &CollectAssessment, label: &str) {
    let expected = &assessment.expected;
    assert!(expected.acceptable.contains(&expected.code), "{label}: code {} not acceptable", expected.code);
    assert!(expected.acceptable.windows(2).all(|w| w[0] < w[1]), "{label}: {:?}", expected.acceptable);
    for &code in &expected.acceptable {
        assert!(expected.accepts(code), "{label}: accepts({code})");
        if !code.is_success() {
            assert!(!expected.reasons_for(code).is_empty(), "{label}: no reason for {code}");
        }
    }
    for finding in &assessment.findings {
        assert_eq!(finding.is_failure(), finding.level == Level::Must, "{label}: {finding}");
        assert!(finding.level >= finding.requirement.level, "{label}: level raised: {finding}");
        assert!(finding.requirement.section.starts_with("CMI010 §"), "{label}: {finding}");
        assert!(!finding.message.is_empty(), "{label}: {finding}");
    }
}

/// The proptest configuration of this binary: a fixed seed, so every run generates
/// the same cases, and no regression files written into the source tree.
pub fn proptest_config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x5045_4e53), failure_persistence: None, ..Config::default() }
}
