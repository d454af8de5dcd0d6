//! What one scenario's evidence says about the optional features (CMI010 §5, §6.3:
//! FTP, FTPS and `mailto:` are optional, and a target without one answers its error
//! code; §5.1: alerts are optional). Every scenario contributes, whatever it checks: a
//! collect that names an `ftp://` package, a `mailto:` receipt or an alerts URL
//! exercises that feature, and what the target then did is a [`Sighting`].
//! [`crate::discovery`] weighs them into what the target supports.

use pens_parties::Endpoint;
use pens_proto::{ErrorCode, Requirement, Support, TargetCapabilities, req};
use pens_scenario::Capability;

use crate::evidence::Evidence;

/// What the target did with a feature a collect exercised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    /// It used it: fetched over the protocol (or tried to log in), mailed the receipt or
    /// alert, sent an alert.
    Used,
    /// It refused it with the feature's own code, in its answer or its receipt.
    Refused,
    /// It answered 0 and neither used nor refused it (yet). For a feature a target must
    /// refuse when it lacks it, accepting is a claim to support it; for alerts, which a
    /// target may simply never send, it is the absence of use.
    Accepted,
}

/// One scenario's [`Signal`] for one feature, in words a report can quote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sighting {
    /// The feature.
    pub(crate) capability: Capability,
    /// What the target did with it.
    pub(crate) signal: Signal,
    /// The scenario that saw it.
    pub(crate) scenario: String,
    /// What it did, as a phrase after "the target": `fetched the package over ftp`,
    /// `answered 1304`.
    pub(crate) seen: String,
}

/// The facts the harness knows about each feature a scenario can need.
pub(crate) struct Feature {
    /// The feature.
    pub(crate) capability: Capability,
    /// The code a target without it answers; `None` when a target cannot refuse it
    /// (alerts: it may simply never send one).
    pub(crate) refusal: Option<ErrorCode>,
    /// The requirement a wrong claim breaks.
    pub(crate) requirement: &'static Requirement,
    /// What using it means, after "must": `fetch ftp:// packages`.
    pub(crate) duty: &'static str,
}

/// Every feature `needs` and `unless` can name, in [`Capability::ALL`] order.
pub(crate) const FEATURES: [Feature; 5] = [
    Feature {
        capability: Capability::Ftp,
        refusal: Some(ErrorCode::FTP_NOT_SUPPORTED),
        requirement: &req::TARGET_FETCH_FTP,
        duty: "fetch ftp:// packages",
    },
    Feature {
        capability: Capability::Ftps,
        refusal: Some(ErrorCode::FTPS_NOT_SUPPORTED),
        requirement: &req::TARGET_FETCH_FTPS,
        duty: "fetch ftps:// packages",
    },
    Feature {
        capability: Capability::MailtoReceipt,
        refusal: Some(ErrorCode::RECEIPT_PROTOCOL_NOT_SUPPORTED),
        requirement: &req::TARGET_MAILTO_RECEIPT,
        duty: "mail the receipt to a mailto: receipt URL",
    },
    Feature {
        capability: Capability::MailtoAlerts,
        refusal: Some(ErrorCode::ALERT_PROTOCOL_NOT_SUPPORTED),
        requirement: &req::TARGET_MAILTO_ALERTS,
        duty: "mail alerts to a mailto: alerts URL",
    },
    Feature {
        capability: Capability::Alerts,
        refusal: None,
        requirement: &req::TARGET_ALERTS_SENT,
        duty: "send alerts",
    },
];

/// The facts of `capability`.
pub(crate) fn feature(capability: Capability) -> &'static Feature {
    FEATURES.iter().find(|f| f.capability == capability).unwrap_or(&FEATURES[0])
}

/// What the profile claims about `capability`.
pub(crate) fn claim(claims: &TargetCapabilities, capability: Capability) -> Support {
    match capability {
        Capability::Ftp => claims.ftp,
        Capability::Ftps => claims.ftps,
        Capability::MailtoReceipt => claims.mailto_receipt,
        Capability::MailtoAlerts => claims.mailto_alerts,
        Capability::Alerts => claims.alerts,
    }
}

/// What `evidence` (one collect of scenario `scenario`) shows about every feature its
/// collect exercised: at most one sighting per feature, the strongest (use over refusal
/// over acceptance).
pub(crate) fn sightings(evidence: &Evidence, scenario: &str) -> Vec<Sighting> {
    FEATURES.iter().filter_map(|feature| sighting(evidence, feature, scenario)).collect()
}

fn sighting(evidence: &Evidence, feature: &Feature, scenario: &str) -> Option<Sighting> {
    let command = &evidence.command;
    let has_scheme = |url: Option<&str>, scheme: &str| {
        url.and_then(|u| u.trim().split_once(':')).is_some_and(|(s, _)| s.eq_ignore_ascii_case(scheme))
    };
    let used = match feature.capability {
        Capability::Ftp | Capability::Ftps => {
            let scheme = if feature.capability == Capability::Ftp { "ftp" } else { "ftps" };
            if !has_scheme(command.package_url.as_deref(), scheme) {
                return None;
            }
            let fetched = evidence.staging.iter().any(|e| e.protocol == scheme);
            let logged_in = evidence.refused_logins.iter().any(|f| f.protocol == scheme);
            (fetched || logged_in).then(|| format!("requested the package over {scheme}"))
        }
        Capability::MailtoReceipt => {
            if !has_scheme(command.receipt.as_deref(), "mailto") {
                return None;
            }
            evidence
                .notifications
                .iter()
                .any(|n| n.endpoint == Endpoint::Receipt && n.method == "SMTP")
                .then(|| "mailed its receipt".to_owned())
        }
        Capability::MailtoAlerts => {
            if !has_scheme(command.alerts.as_deref(), "mailto") {
                return None;
            }
            evidence
                .notifications
                .iter()
                .any(|n| n.endpoint == Endpoint::Alerts && n.method == "SMTP")
                .then(|| "mailed an alert".to_owned())
        }
        Capability::Alerts => {
            if command.alerts.as_deref().is_none_or(|a| a.trim().is_empty()) {
                return None;
            }
            evidence.alerts().first().map(|_| "sent an alert".to_owned())
        }
    };
    let make =
        |signal, seen: String| Sighting { capability: feature.capability, signal, scenario: scenario.to_owned(), seen };
    if let Some(seen) = used {
        return Some(make(Signal::Used, seen));
    }
    if let Some(code) = feature.refusal {
        if evidence.answered == Some(code) {
            return Some(make(Signal::Refused, format!("answered {code}")));
        }
        if evidence.receipts().iter().any(|r| r.notification.error_code() == Some(code)) {
            return Some(make(Signal::Refused, format!("answered 0, then reported {code} in its receipt")));
        }
    }
    let accepted = evidence.answered.is_some_and(|code| code.is_success());
    accepted.then(|| {
        let seen = match feature.refusal {
            // The time watched, not "the deadlines": a scenario that does not wait
            // for a receipt watches only its quiet window.
            Some(code) => format!(
                "answered 0 and reported no {code} in the {} ms watched after the collect",
                evidence.offset_ms(evidence.ended)
            ),
            None => "sent no alert".to_owned(),
        };
        make(Signal::Accepted, seen)
    })
}

/// The strongest of several sightings of one feature in one scenario (its copies).
pub(crate) fn strongest<'a>(sightings: impl IntoIterator<Item = &'a Sighting>) -> Option<&'a Sighting> {
    let rank = |s: &Signal| match s {
        Signal::Used => 3,
        Signal::Refused => 2,
        Signal::Accepted => 1,
    };
    sightings.into_iter().fold(None, |best: Option<&Sighting>, s| match best {
        Some(b) if rank(&b.signal) >= rank(&s.signal) => Some(b),
        _ => Some(s),
    })
}
