//! Claims and what the target did with them: an `unknown` claim means *discover*.
//!
//! CMI010 lets a target choose whether it fetches over FTP and FTPS and whether it mails
//! receipts and alerts (§5; one that does not answers 1304, 1306, 1510 or 1520, §6.3),
//! and whether it sends alerts at all (§5.1). Either choice is conformant; what is not
//! is doing neither (answering 0 and never fetching), or doing it halfway. So:
//!
//! - a claim of `yes` or `no` selects scenarios before the run (`needs`, `unless`), and
//!   a failure that follows from it says so ("the profile says ftp = yes, but the
//!   target answered 1304");
//! - a claim left `unknown` runs both kinds of scenario. When the run is over, every
//!   scenario's [`Sighting`]s are weighed into what the target supports
//!   ([`resolve`]): a use wins, then a refusal, then an acceptance that never refused
//!   (which is a claim to support it). The scenarios that need a feature the target
//!   supports are judged in full; those that need one it refused are not applicable; a
//!   scenario that checks the refusal is not applicable to a target that supports the
//!   feature. A target that goes both ways (refuses in one scenario what it supports in
//!   another) fails where it contradicts itself. Alerts, which a target may send in one
//!   exchange and not another, are judged where they came and not required where none
//!   came.
//!
//! What was found is reported as [`ObservedCapability`] lines a vendor can paste into
//! the profile.

use std::collections::HashMap;

use pens_proto::{Support, TargetCapabilities};
use pens_report::{CheckResult, ObservedCapability, ScenarioResult, Verdict};
use pens_scenario::{Capability, Scenario, ScenarioLevel};

use crate::sighting::{FEATURES, Feature, Sighting, Signal, claim, feature, strongest};

/// What the run showed about one feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolution {
    /// Whether the target supports it, as far as the run can tell.
    pub(crate) support: Support,
    /// What showed it, naming the scenario.
    pub(crate) evidence: String,
}

/// What the run showed about every feature.
#[derive(Clone, Debug, Default)]
pub(crate) struct Observations(HashMap<Capability, Resolution>);

impl Observations {
    fn of(&self, capability: Capability) -> Resolution {
        self.0.get(&capability).cloned().unwrap_or_else(|| Resolution {
            support: Support::Unknown,
            evidence: "not exercised in this run".to_owned(),
        })
    }
}

/// Whether `scenario`'s applicability waits on the run's observations: it needs, or is
/// for targets without, a feature the profile leaves `unknown`.
pub(crate) fn deferred(scenario: &Scenario, claims: &TargetCapabilities) -> bool {
    scenario.needs.iter().chain(&scenario.unless).any(|c| claim(claims, c.value) == Support::Unknown)
}

/// Weighs every sighting of the run into what the target supports.
pub(crate) fn resolve(sightings: &[Sighting]) -> Observations {
    let mut observations = Observations::default();
    for feature in &FEATURES {
        let of = |signal: Signal| sightings.iter().find(|s| s.capability == feature.capability && s.signal == signal);
        let (support, evidence) = match (of(Signal::Used), of(Signal::Refused), of(Signal::Accepted)) {
            (Some(used), _, _) => (Support::Yes, said(used)),
            (None, Some(refused), _) => (Support::No, said(refused)),
            (None, None, Some(accepted)) => {
                // Accepting is a claim to support a feature the target would otherwise
                // have to refuse; alerts it may simply never send.
                let support = if feature.refusal.is_some() { Support::Yes } else { Support::No };
                (support, said(accepted))
            }
            (None, None, None) => continue,
        };
        observations.0.insert(feature.capability, Resolution { support, evidence });
    }
    observations
}

/// `the target answered 1304 in ftp-not-claimed`.
fn said(sighting: &Sighting) -> String {
    format!("the target {} in {}", sighting.seen, sighting.scenario)
}

/// The observed capabilities for the report, in catalogue order: every feature the
/// profile leaves `unknown` (what to paste, or that the run could not tell), and every
/// claimed one the run saw in use or refused (confirmed, or contradicted).
pub(crate) fn report(claims: &TargetCapabilities, observations: &Observations) -> Vec<ObservedCapability> {
    FEATURES
        .iter()
        .filter(|feature| {
            claim(claims, feature.capability) == Support::Unknown
                || observations.of(feature.capability).support != Support::Unknown
        })
        .map(|feature| {
            let name = feature.capability.name();
            let resolution = observations.of(feature.capability);
            let profile_line = match resolution.support {
                Support::Unknown => None,
                support => Some(format!("{name} = \"{}\"", support_name(support))),
            };
            ObservedCapability {
                capability: name.to_owned(),
                claimed: claim(claims, feature.capability),
                observed: resolution.support,
                evidence: resolution.evidence,
                profile_line,
            }
        })
        .collect()
}

fn support_name(support: Support) -> &'static str {
    match support {
        Support::Yes => "yes",
        Support::No => "no",
        Support::Unknown => "unknown",
    }
}

/// What one feature makes of a scenario's result.
enum Outcome {
    /// Judged as it ran.
    Judged,
    /// Judged, plus a check (a contradiction), and maybe a note.
    Check(CheckResult),
    /// Not applicable, for this reason.
    NotApplicable(String),
    /// The target contradicted itself in a way that makes the scenario's own checks
    /// beside the point: only this check stands.
    Replaced(CheckResult),
}

/// Settles `result` (of `scenario`, which ran) against the claims and, for the claims
/// left `unknown`, the run's `observations`; `own` are the scenario's own sightings.
/// A harness error or an abandoned scenario is left as it is: it shows nothing about
/// the target.
pub(crate) fn settle(
    result: &mut ScenarioResult,
    scenario: &Scenario,
    claims: &TargetCapabilities,
    observations: &Observations,
    own: &[Sighting],
) {
    if matches!(result.verdict, Verdict::Error | Verdict::Inconclusive | Verdict::NotApplicable) {
        return;
    }
    let mut outcomes = Vec::new();
    let mut notes = Vec::new();
    for need in &scenario.needs {
        let feature = feature(need.value);
        let mine = strongest(own.iter().filter(|s| s.capability == need.value));
        outcomes.push(needed(feature, claims, observations, mine, result.verdict, &mut notes));
    }
    for unless in &scenario.unless {
        let feature = feature(unless.value);
        let mine = strongest(own.iter().filter(|s| s.capability == unless.value));
        outcomes.push(excluded(feature, claims, observations, mine, &mut notes));
    }
    let should = scenario.level.value == ScenarioLevel::Should;
    let soften = |mut check: CheckResult| {
        if should && check.verdict == Verdict::Fail {
            check.verdict = Verdict::Warn;
        }
        check
    };
    // A contradiction outweighs a reason not to apply: it is a defect either way.
    if let Some(check) = outcomes.iter().find_map(|o| match o {
        Outcome::Replaced(check) => Some(check.clone()),
        _ => None,
    }) {
        result.checks = vec![soften(check)];
        result.verdict = Verdict::Pass;
        result.settle_verdict();
    } else if let Some(reason) = outcomes.iter().find_map(|o| match o {
        Outcome::NotApplicable(reason) => Some(reason.clone()),
        _ => None,
    }) {
        result.checks.clear();
        result.verdict = Verdict::NotApplicable;
        result.note = Some(reason);
        return;
    } else {
        let checks: Vec<CheckResult> = outcomes
            .into_iter()
            .filter_map(|o| match o {
                Outcome::Check(check) => Some(soften(check)),
                _ => None,
            })
            .collect();
        // First: the claim is what the reader must see before the checks that follow from it.
        result.checks.splice(0..0, checks);
        result.settle_verdict();
    }
    if !notes.is_empty() {
        let notes = notes.join("; ");
        result.note = Some(match result.note.take() {
            Some(existing) => format!("{notes}; {existing}"),
            None => notes,
        });
    }
}

/// A scenario that `needs` the feature.
fn needed(
    feature: &Feature,
    claims: &TargetCapabilities,
    observations: &Observations,
    mine: Option<&Sighting>,
    verdict: Verdict,
    notes: &mut Vec<String>,
) -> Outcome {
    let name = feature.capability.name();
    let failed = verdict >= Verdict::Warn;
    let fail = |message: String| CheckResult::new(Verdict::Fail, feature.requirement, message);
    match claim(claims, feature.capability) {
        Support::Yes => match (mine, feature.refusal) {
            (Some(s), Some(code)) if s.signal == Signal::Refused => Outcome::Check(fail(format!(
                "the profile says {name} = \"yes\", but the target {}: {} as claimed, or claim {name} = \"no\" \
                 (a target without it answers {code}, CMI010 §5, §6.3)",
                s.seen, feature.duty
            ))),
            (mine, None) if failed && mine.is_none_or(|s| s.signal != Signal::Used) => Outcome::Check(fail(format!(
                "the profile says {name} = \"yes\", but the target did not {}: {} as claimed, or leave {name} \
                 unknown ({name} is optional, CMI010 §5.1)",
                feature.duty, feature.duty
            ))),
            _ => Outcome::Judged,
        },
        // Decided before the run (`from_scenario::not_applicable`); kept total.
        Support::No => Outcome::NotApplicable(format!("needs {name}, which the profile does not claim")),
        Support::Unknown => {
            let resolution = observations.of(feature.capability);
            let Some(code) = feature.refusal else {
                // Optional in every exchange: judged where it was used, not required
                // where it was not.
                return match mine {
                    Some(s) if s.signal == Signal::Used => {
                        notes
                            .push(format!("the profile leaves {name} unknown; the target {}, so it is judged", s.seen));
                        Outcome::Judged
                    }
                    _ => Outcome::NotApplicable(format!(
                        "needs {name}; the profile leaves {name} unknown and the target did not {} here, which is \
                         allowed ({name} is optional, CMI010 §5.1). Claim {name} = \"yes\" to require it",
                        feature.duty
                    )),
                };
            };
            match resolution.support {
                Support::Yes => {
                    notes.push(format!(
                        "the profile leaves {name} unknown; judged as supporting it: {}",
                        resolution.evidence
                    ));
                    match mine {
                        Some(s) if s.signal == Signal::Refused => Outcome::Check(fail(format!(
                            "the target supports {name} ({}), yet {} here: a target that supports it must {} \
                             every time, and one that does not answers {code} every time (CMI010 §5, §6.3)",
                            resolution.evidence, s.seen, feature.duty
                        ))),
                        Some(s) if s.signal == Signal::Accepted && failed => Outcome::Check(fail(format!(
                            "the profile leaves {name} unknown and the target {} here: accepting it claims {name}, \
                             so it must {}, or answer {code} (CMI010 §5, §6.3){}",
                            s.seen,
                            feature.duty,
                            mail_hint(feature.capability)
                        ))),
                        _ => Outcome::Judged,
                    }
                }
                Support::No => match mine {
                    Some(s) if s.signal == Signal::Accepted => Outcome::Replaced(fail(format!(
                        "the target does not support {name} ({}), but here it {}: a target without {name} answers \
                         {code} (CMI010 §5, §6.3); claim {name} = \"yes\" and {}, or answer {code} every time",
                        resolution.evidence, s.seen, feature.duty
                    ))),
                    _ => Outcome::NotApplicable(format!(
                        "needs {name}; the profile leaves {name} unknown and the target does not support it: {}",
                        resolution.evidence
                    )),
                },
                Support::Unknown => Outcome::NotApplicable(format!(
                    "needs {name}; the profile leaves {name} unknown and the run could not tell whether the target \
                     supports it ({})",
                    resolution.evidence
                )),
            }
        }
    }
}

/// For a mailed feature, what else may explain that no mail came: the harness only sees
/// mail that reaches its own sink, so it cannot tell "never sent" from "sent elsewhere".
fn mail_hint(capability: Capability) -> &'static str {
    match capability {
        Capability::MailtoReceipt | Capability::MailtoAlerts => {
            "; the harness sees only the mail that reaches its sink: if the LMS did mail it, point its outgoing \
             mail (SMTP relay) at the address the run header prints as `smtp`"
        }
        _ => "",
    }
}

/// A scenario for targets without the feature (`unless`).
fn excluded(
    feature: &Feature,
    claims: &TargetCapabilities,
    observations: &Observations,
    mine: Option<&Sighting>,
    notes: &mut Vec<String>,
) -> Outcome {
    let name = feature.capability.name();
    let fail = |message: String| CheckResult::new(Verdict::Fail, feature.requirement, message);
    let refusal = feature.refusal.map_or_else(|| format!("leave {name} unknown"), |code| format!("answer {code}"));
    match claim(claims, feature.capability) {
        // Accepting contradicts "no" only where a target without the feature must refuse it.
        Support::No => match mine {
            Some(s) if s.signal == Signal::Used || (s.signal == Signal::Accepted && feature.refusal.is_some()) => {
                Outcome::Check(fail(format!(
                    "the profile says {name} = \"no\", but the target {}: claim it ({name} = \"yes\") and {}, or {refusal}",
                    s.seen, feature.duty
                )))
            }
            _ => Outcome::Judged,
        },
        // Decided before the run; kept total.
        Support::Yes => Outcome::NotApplicable(format!("checks a target without {name}; the profile claims {name}")),
        Support::Unknown => {
            let resolution = observations.of(feature.capability);
            match resolution.support {
                Support::Yes => match mine {
                    Some(s) if s.signal == Signal::Refused => Outcome::Check(fail(format!(
                        "the target supports {name} ({}), yet {} here: a target that supports it must {} every \
                         time (CMI010 §5, §6.3)",
                        resolution.evidence, s.seen, feature.duty
                    ))),
                    _ => Outcome::NotApplicable(format!(
                        "checks a target without {name}; the profile leaves {name} unknown and the target supports \
                         it ({}), so the scenarios that need {name} judge it",
                        resolution.evidence
                    )),
                },
                Support::No => {
                    notes.push(format!(
                        "the profile leaves {name} unknown; judged as a target without it: {}",
                        resolution.evidence
                    ));
                    Outcome::Judged
                }
                Support::Unknown => Outcome::Judged,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(capability: Capability, signal: Signal, scenario: &str) -> Sighting {
        let seen = match signal {
            Signal::Used => "used it",
            Signal::Refused => "answered 1304",
            Signal::Accepted => "answered 0 and reported no 1304 before the deadlines",
        };
        Sighting { capability, signal, scenario: scenario.to_owned(), seen: seen.to_owned() }
    }

    fn scenario(id: &str, claims: &str) -> Scenario {
        let text = format!(
            "id = \"{id}\"\ntitle = \"t\"\nrequirements = [\"target.fetch.ftp\"]\n{claims}\n\n[expect.response]\nerror = [0]\n"
        );
        pens_scenario::parse_scenario(format!("{id}.toml"), &text).unwrap_or_else(|e| panic!("{id}: {e:?}"))
    }

    #[test]
    fn a_use_outweighs_a_refusal_which_outweighs_an_acceptance() {
        use Signal::{Accepted, Refused, Used};
        // Sightings of ftp, then of alerts, and what each resolves to.
        let table: [(&[Signal], Option<Support>); 6] = [
            (&[Accepted, Refused, Used], Some(Support::Yes)),
            (&[Accepted, Refused], Some(Support::No)),
            (&[Accepted], Some(Support::Yes)),
            (&[Refused], Some(Support::No)),
            (&[Used], Some(Support::Yes)),
            (&[], None),
        ];
        for (signals, expected) in table {
            let sightings: Vec<Sighting> = signals.iter().map(|s| seen(Capability::Ftp, s.clone(), "one")).collect();
            let resolved = resolve(&sightings).0.get(&Capability::Ftp).map(|r| r.support);
            assert_eq!(resolved, expected, "{signals:?}");
        }
        // An alerts URL accepted and never used: the target sends no alerts.
        let resolved = resolve(&[seen(Capability::Alerts, Signal::Accepted, "one")]);
        assert_eq!(resolved.of(Capability::Alerts).support, Support::No);
    }

    #[test]
    fn unknown_claims_settle_by_what_the_run_observed() {
        let unknown = TargetCapabilities::default();
        let needs = scenario("needs-ftp", "needs = [\"ftp\"]");
        let unless = scenario("unless-ftp", "unless = [\"ftp\"]");
        let supports = resolve(&[seen(Capability::Ftp, Signal::Used, "elsewhere")]);
        let refuses = resolve(&[seen(Capability::Ftp, Signal::Refused, "elsewhere")]);
        let accepted = [seen(Capability::Ftp, Signal::Accepted, "here")];
        let refused = [seen(Capability::Ftp, Signal::Refused, "here")];
        // (scenario, observations, own sightings, verdict after settling)
        let table: [(&Scenario, &Observations, &[Sighting], Verdict); 7] = [
            (&needs, &supports, &[], Verdict::Pass),
            (&needs, &supports, &refused, Verdict::Fail),
            (&needs, &refuses, &refused, Verdict::NotApplicable),
            (&needs, &refuses, &accepted, Verdict::Fail),
            (&needs, &Observations::default(), &[], Verdict::NotApplicable),
            (&unless, &supports, &[], Verdict::NotApplicable),
            (&unless, &supports, &refused, Verdict::Fail),
        ];
        for (index, (scenario, observations, own, expected)) in table.into_iter().enumerate() {
            let mut result = ScenarioResult::new(scenario.id.value.clone(), "t", "f.toml", Verdict::Pass);
            result.checks.push(CheckResult::new(Verdict::Pass, &pens_proto::req::TARGET_FETCH_FTP, "judged"));
            settle(&mut result, scenario, &unknown, observations, own);
            assert_eq!(result.verdict, expected, "row {index}: {result:#?}");
        }
    }

    #[test]
    fn a_contradicted_claim_is_named_first() {
        let claims = TargetCapabilities { ftp: Support::No, ..TargetCapabilities::default() };
        let unless = scenario("unless-ftp", "unless = [\"ftp\"]");
        let mut result = ScenarioResult::new("unless-ftp", "t", "f.toml", Verdict::Pass);
        result.checks.push(CheckResult::new(Verdict::Fail, &pens_proto::req::TARGET_FETCH_FTP, "answered 0"));
        let used = [Sighting {
            capability: Capability::Ftp,
            signal: Signal::Used,
            scenario: "unless-ftp".into(),
            seen: "requested the package over ftp".into(),
        }];
        settle(&mut result, &unless, &claims, &Observations::default(), &used);
        assert_eq!(result.verdict, Verdict::Fail);
        assert_eq!(
            result.checks[0].message,
            "the profile says ftp = \"no\", but the target requested the package over ftp: claim it (ftp = \"yes\") \
             and fetch ftp:// packages, or answer 1304"
        );
    }
}
