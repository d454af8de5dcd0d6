//! What each party owes in an observed publish, borrowed from the shipped scenarios that
//! describe the same situation, never written again here: the target's from
//! `scenarios/target/` (the one whose staging misbehaves as the tool's staging did), the
//! tool's from `scenarios/client/publish-valid.toml`. The checks then point at the lines
//! of those files (`<built-in>/target/staging-not-found.toml:12:1`), which say why.

use std::path::PathBuf;
use std::sync::OnceLock;

use pens_proto::{ExpectedAnswer, req};
use pens_scenario::{ClientScenario, Scenario};
use time::OffsetDateTime;

use crate::plan::{ExpectSet, Expectations, FetchExpect, ResponseExpect};

/// A shipped scenario file, by mode and id: its built-in name and its text.
macro_rules! shipped {
    ($mode:literal, $id:literal) => {
        (
            concat!("<built-in>/", $mode, "/", $id, ".toml"),
            include_str!(concat!("../../../../scenarios/", $mode, "/", $id, ".toml")),
        )
    };
}

/// The target scenarios observe mode judges the target by.
const TARGET_FILES: [(&str, &str); 9] = [
    shipped!("target", "collect-post-valid"),
    shipped!("target", "collect-get-valid"),
    shipped!("target", "staging-not-found"),
    shipped!("target", "staging-wrong-password"),
    shipped!("target", "staging-server-error"),
    shipped!("target", "package-url-unreachable"),
    shipped!("target", "staging-corrupt-zip"),
    shipped!("target", "staging-truncated"),
    shipped!("target", "expiry-past"),
];

/// The client scenario observe mode judges the tool by.
const CLIENT_FILE: (&str, &str) = shipped!("client", "publish-valid");

/// The situation a publish put the target in, as far as the relay saw it: which shipped
/// target scenario says what a conformant target does then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Situation {
    /// A valid collect by POST and the package served whole.
    ValidPost,
    /// The same by GET.
    ValidGet,
    /// The tool's staging answered 404 (or another 4xx): the receipt reports 1310.
    StagingNotFound,
    /// The tool's staging refused the credentials its collect carried (401, 403): 1312.
    StagingRefusedCredentials,
    /// The tool's staging failed (5xx): 1310 or 1301.
    StagingServerError,
    /// The tool's staging could not be reached at all: 1310, at once or in the receipt.
    StagingUnreachable,
    /// The tool's staging broke the package off: never reported imported.
    StagingTruncated,
    /// The package served is no package of its declared format: 1432.
    PackageNotImportable,
    /// The collect's package-url-expiry had passed: 1322.
    Expired,
}

impl Situation {
    /// The shipped target scenario that describes it.
    pub(crate) fn scenario_id(self) -> &'static str {
        match self {
            Situation::ValidPost => "collect-post-valid",
            Situation::ValidGet => "collect-get-valid",
            Situation::StagingNotFound => "staging-not-found",
            Situation::StagingRefusedCredentials => "staging-wrong-password",
            Situation::StagingServerError => "staging-server-error",
            Situation::StagingUnreachable => "package-url-unreachable",
            Situation::StagingTruncated => "staging-truncated",
            Situation::PackageNotImportable => "staging-corrupt-zip",
            Situation::Expired => "expiry-past",
        }
    }

    /// Whether the tool is at fault in it (its staging or package), so the target owes a
    /// failure report rather than success.
    pub(crate) fn client_defect(self) -> bool {
        !matches!(self, Situation::ValidPost | Situation::ValidGet)
    }
}

fn target_scenarios() -> &'static [Scenario] {
    static PARSED: OnceLock<Vec<Scenario>> = OnceLock::new();
    // The shipped files load in every test run (`every_borrowed_scenario_loads`): a file
    // that stopped loading leaves its situation without expectations, which `target_for`
    // reports as a harness error rather than a verdict.
    PARSED.get_or_init(|| {
        TARGET_FILES
            .iter()
            .filter_map(|(name, text)| pens_scenario::parse_scenario(PathBuf::from(name), text).ok())
            .collect()
    })
}

/// The file name the checks of `situation` point at.
pub(crate) fn source_of(situation: Situation) -> String {
    format!("<built-in>/target/{}.toml", situation.scenario_id())
}

/// The tool's expectations: `publish-valid`, what a conformant authoring tool does.
pub(crate) fn client_scenario() -> Option<&'static ClientScenario> {
    static PARSED: OnceLock<Option<ClientScenario>> = OnceLock::new();
    PARSED
        .get_or_init(|| pens_scenario::parse_client_scenario(PathBuf::from(CLIENT_FILE.0), CLIENT_FILE.1).ok())
        .as_ref()
}

/// The target's expectations in `situation`, rendered for the collect as forwarded
/// (`{{package_id}}` is its package-id), and the scenario's first requirement.
pub(crate) fn target_for(
    situation: Situation,
    package_id: &str,
    now: OffsetDateTime,
) -> Option<(Expectations, &'static pens_proto::Requirement)> {
    let scenario = target_scenarios().iter().find(|s| s.id.value == situation.scenario_id())?;
    let context = Forwarded { package_id: package_id.to_owned(), now };
    let main = scenario.requirements.first().map_or(&req::TARGET_ACCEPTS_POST, |r| r.value);
    Some((crate::from_scenario::expectations(scenario, &context), main))
}

/// The target's expectations for a collect the tool got wrong: the answer CMI010 assigns
/// to that collect (pens-proto's computed `expected`), and no fetch, as the shipped
/// `missing-*` scenarios expect. No shipped file fits every invalid collect; these two
/// sections are each scenario's own defaults.
pub(crate) fn target_for_invalid(expected: &ExpectedAnswer) -> (Expectations, &'static pens_proto::Requirement) {
    let common = ExpectSet {
        response: Some(ResponseExpect::default()),
        fetch: Some(FetchExpect { happens: false, protocol: None, credentials: Default::default() }),
        ..ExpectSet::default()
    };
    let main = expected.problems.first().map_or(&req::TARGET_ERROR_CODE, |p| p.requirement);
    (Expectations { common, any_of: Vec::new() }, main)
}

/// The template values of an observed publish: only `{{package_id}}` and `{{now}}` mean
/// anything in the borrowed expectations; the harness's own URLs are the relay's.
struct Forwarded {
    package_id: String,
    now: OffsetDateTime,
}

impl pens_scenario::TemplateContext for Forwarded {
    fn staging_http(&self) -> &str {
        ""
    }
    fn staging_https(&self) -> &str {
        ""
    }
    fn staging_ftp(&self) -> &str {
        ""
    }
    fn staging_ftps(&self) -> &str {
        ""
    }
    fn package_id(&self) -> &str {
        &self.package_id
    }
    fn receipt_url(&self) -> &str {
        ""
    }
    fn alerts_url(&self) -> &str {
        ""
    }
    fn receipt_mailbox(&self) -> &str {
        ""
    }
    fn alerts_mailbox(&self) -> &str {
        ""
    }
    fn secret(&self) -> &str {
        ""
    }
    fn internal_url(&self) -> &str {
        ""
    }
    fn internal_token(&self) -> &str {
        ""
    }
    fn collector(&self) -> &str {
        ""
    }
    fn key(&self) -> &str {
        ""
    }
    fn now(&self) -> OffsetDateTime {
        self.now
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_borrowed_scenario_loads() {
        assert_eq!(super::target_scenarios().len(), super::TARGET_FILES.len());
        assert!(super::client_scenario().is_some());
    }
}
