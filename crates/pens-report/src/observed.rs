//! The observed capabilities of a run ([`ObservedCapability`]) as every writer shows
//! them, and how the reports of partitions combine them.
//!
//! A vendor runs without a profile first (every claim `unknown`); the run discovers what
//! the LMS supports, and these lines are what to paste under `[claims]` so the next run
//! holds the LMS to it.

use crate::model::ObservedCapability;
use pens_proto::Support;

/// One line per capability, for the console and Markdown: the profile line to paste
/// (or a comment when nothing was observed), and why.
pub(crate) fn lines(observed: &[ObservedCapability]) -> Vec<String> {
    observed
        .iter()
        .map(|o| {
            let why = if o.contradicts_claim() {
                format!("the profile says {} = \"{}\", but: {}", o.capability, support_name(o.claimed), o.evidence)
            } else {
                o.evidence.clone()
            };
            match &o.profile_line {
                Some(line) => format!("{line:<24} # {why}"),
                None => format!("# {} = ? {:<14} # {why}", o.capability, ""),
            }
        })
        .collect()
}

/// `yes`, `no`, `unknown`: how the profile writes a support value.
pub(crate) fn support_name(support: Support) -> &'static str {
    match support {
        Support::Yes => "yes",
        Support::No => "no",
        Support::Unknown => "unknown",
    }
}

/// The observations of the partitions of one run, combined: per capability, what the
/// strongest evidence says (`yes` over `no` over `unknown`, as within one run: a target
/// that used a feature once supports it), in the order of the first partition that
/// lists it.
pub(crate) fn combine<'a>(partitions: impl IntoIterator<Item = &'a [ObservedCapability]>) -> Vec<ObservedCapability> {
    let rank = |s: Support| match s {
        Support::Yes => 2,
        Support::No => 1,
        Support::Unknown => 0,
    };
    let mut combined: Vec<ObservedCapability> = Vec::new();
    for observed in partitions {
        for o in observed {
            match combined.iter_mut().find(|c| c.capability == o.capability) {
                Some(existing) if rank(o.observed) > rank(existing.observed) => *existing = o.clone(),
                Some(_) => {}
                None => combined.push(o.clone()),
            }
        }
    }
    combined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(capability: &str, claimed: Support, observed: Support, line: Option<&str>) -> ObservedCapability {
        ObservedCapability {
            capability: capability.into(),
            claimed,
            observed,
            evidence: format!("{capability} evidence"),
            profile_line: line.map(str::to_owned),
        }
    }

    #[test]
    fn lines_carry_the_profile_line_and_name_a_contradicted_claim() {
        let lines = lines(&[
            observed("ftp", Support::Unknown, Support::Yes, Some("ftp = \"yes\"")),
            observed("ftps", Support::No, Support::Yes, Some("ftps = \"yes\"")),
            observed("alerts", Support::Unknown, Support::Unknown, None),
        ]);
        assert_eq!(lines[0], "ftp = \"yes\"              # ftp evidence");
        assert!(lines[1].starts_with("ftps = \"yes\""), "{}", lines[1]);
        assert!(lines[1].contains("the profile says ftps = \"no\", but: ftps evidence"), "{}", lines[1]);
        assert!(lines[2].starts_with("# alerts = ?"), "{}", lines[2]);
    }

    #[test]
    fn partitions_combine_to_the_strongest_evidence() {
        let one = [
            observed("ftp", Support::Unknown, Support::No, Some("ftp = \"no\"")),
            observed("alerts", Support::Unknown, Support::Unknown, None),
        ];
        let two = [
            observed("ftp", Support::Unknown, Support::Yes, Some("ftp = \"yes\"")),
            observed("alerts", Support::Unknown, Support::No, Some("alerts = \"no\"")),
        ];
        let combined = combine([one.as_slice(), two.as_slice()]);
        let seen: Vec<(&str, Support)> = combined.iter().map(|o| (o.capability.as_str(), o.observed)).collect();
        assert_eq!(seen, [("ftp", Support::Yes), ("alerts", Support::No)]);
    }
}
