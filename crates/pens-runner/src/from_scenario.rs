//! Turning a loaded scenario into what the runner executes: applicability, the staging
//! plan, the collect spec and the expectations, templates rendered for this run.

use pens_parties::{PackageBody, StagingPlan};
use pens_proto::{Support, TargetCapabilities};
use pens_report::Verdict;
use pens_scenario::{
    Expectations as ScenarioExpectations, InternalRequested, Method, Order, ResponseFormat, Scenario, StagingBehaviour,
    TemplateContext,
};

use crate::plan::{
    AlertsExpect, ExpectSet, Expectations, FetchExpect, InternalExpect, Probe, ReceiptExpect, ResponseExpect,
};
use crate::request::CollectSpec;
use crate::sighting::claim;

/// Why a scenario does not apply to a target with these claims (and this declared
/// package limit), if it does not.
pub(crate) fn not_applicable(
    scenario: &Scenario,
    claims: &TargetCapabilities,
    declared_max_package_bytes: Option<u64>,
) -> Option<String> {
    if matches!(scenario.staging.value.behaviour.value, StagingBehaviour::Oversized { .. })
        && declared_max_package_bytes.is_none()
    {
        return Some(
            "needs the largest package the LMS accepts: declare it with --max-package-bytes N (bytes)".to_owned(),
        );
    }
    if let (Some(size), Some(limit)) = (&scenario.staging.value.size, declared_max_package_bytes)
        && size.value > limit
    {
        return Some(format!(
            "stages a package of {} bytes, beyond the {limit} bytes the run declares the LMS accepts \
             (--max-package-bytes)",
            size.value
        ));
    }
    // A claim left unknown runs both kinds: what the target does decides afterwards
    // (crate::discovery).
    for need in &scenario.needs {
        if claim(claims, need.value) == Support::No {
            return Some(format!("needs {}, which the profile does not claim", need.value.name()));
        }
    }
    for unless in &scenario.unless {
        if claim(claims, unless.value) == Support::Yes {
            return Some(format!("checks a target without {0}; the profile claims {0}", unless.value.name()));
        }
    }
    None
}

/// The staging plan: the package, credentials (rendered) and behaviour; an oversized
/// package goes `over_bytes` beyond `declared_max_package_bytes`, and a package held
/// until the answer (`after-answer`) is held at most `ack` plus [`ANSWER_HOLD_MARGIN`].
pub(crate) fn staging_plan(
    scenario: &Scenario,
    package: PackageBody,
    context: &dyn TemplateContext,
    declared_max_package_bytes: Option<u64>,
    ack: std::time::Duration,
) -> StagingPlan {
    let staging = &scenario.staging.value;
    let file_name = file_name_of(&staging.package.value);
    // The staging server speaks the scenario's own vocabulary: the values without spans.
    let mut plan = StagingPlan::new(file_name, package)
        .behaviour(staging.behaviour.value.map(|n| n.value))
        .package_limit(declared_max_package_bytes.unwrap_or_default())
        .answer_hold(ack + ANSWER_HOLD_MARGIN);
    if let Some(credentials) = &staging.credentials {
        plan = plan.credentials(credentials.user.value.render(context), credentials.password.value.render(context));
    }
    plan
}

/// How much longer than the ack deadline staging holds an `after-answer` package when
/// nobody opens its gate. The runner opens it once the collect exchange has ended, which
/// is at the ack deadline at the latest ([`crate::gather`]); staging's own limit is only
/// the backstop, and it must not come first: a synchronous importer let go just before
/// the harness gives up could slip its answer in under the deadline, and the verdict
/// would depend on a race.
pub(crate) const ANSWER_HOLD_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the staging behaviour rewrites the package (reads its entries into memory
/// and writes them again), rather than serving it as it is.
pub(crate) fn rewrites_package(behaviour: &StagingBehaviour) -> bool {
    matches!(
        behaviour,
        StagingBehaviour::Corrupt
            | StagingBehaviour::ZipSlip
            | StagingBehaviour::ZipBomb
            | StagingBehaviour::Oversized { .. }
    )
}

/// The file name the package is served under: the last path segment of `package`.
pub(crate) fn file_name_of(package: &str) -> String {
    let name = package.rsplit('/').next().unwrap_or(package);
    if name.contains('.') { name.to_owned() } else { format!("{name}.zip") }
}

/// The staging credentials, rendered, when the scenario asks for them.
pub(crate) fn staging_credentials(scenario: &Scenario, context: &dyn TemplateContext) -> Option<(String, String)> {
    scenario
        .staging
        .value
        .credentials
        .as_ref()
        .map(|c| (c.user.value.render(context), c.password.value.render(context)))
}

/// The collect spec, rendered.
pub(crate) fn collect_spec(scenario: &Scenario, context: &dyn TemplateContext) -> CollectSpec {
    let collect = &scenario.collect.value;
    CollectSpec {
        get: collect.method.value == Method::Get,
        target_query: collect.target_query.as_ref().map(|t| t.value.render(context)),
        reverse: collect.order.value == Order::Reverse,
        remove: collect.remove.iter().map(|e| e.value.name().to_owned()).collect(),
        set: collect.set.iter().map(|s| (s.name.value.clone(), s.value.value.render(context))).collect(),
        raw: collect.raw.as_ref().map(|t| t.value.render(context)),
    }
}

/// The expectations, rendered.
/// When no section anywhere mentions the response, it is still judged: the code
/// pens-proto expects, strict format (docs/target-mode.md).
pub(crate) fn expectations(scenario: &Scenario, context: &dyn TemplateContext) -> Expectations {
    let main = scenario.requirements.first().map_or(&pens_proto::req::TARGET_ACCEPTS_POST, |r| r.value);
    let located = |expect: &ScenarioExpectations| ExpectSet {
        at: crate::location::target_set(&scenario.source, expect, main),
        ..expect_set(expect, context)
    };
    let mut common = located(&scenario.expect);
    if !scenario.has_explicit_response() {
        common.response = Some(ResponseExpect::default());
    }
    Expectations { common, any_of: scenario.any_of.iter().map(|alternative| located(&alternative.value)).collect() }
}

fn codes(list: &[pens_scenario::Spanned<pens_proto::ErrorCode>]) -> Vec<u16> {
    list.iter().map(|c| c.value.0).collect()
}

/// Probes rendered for this run, named as written.
fn probes(list: &[pens_scenario::Spanned<pens_scenario::Template>], context: &dyn TemplateContext) -> Vec<Probe> {
    list.iter().map(|t| Probe::new(t.value.render(context), t.value.source())).collect()
}

fn expect_set(expect: &ScenarioExpectations, context: &dyn TemplateContext) -> ExpectSet {
    ExpectSet {
        response: expect.response.as_ref().map(|r| {
            let r = &r.value;
            ResponseExpect {
                error: r.error.as_deref().map(codes),
                warn: codes(&r.warn),
                other_errors: match r.other_errors.value {
                    pens_scenario::OtherErrors::Fail => Verdict::Fail,
                    pens_scenario::OtherErrors::Warn => Verdict::Warn,
                },
                strict: r.format.value == ResponseFormat::Strict,
                does_not_contain: probes(&r.does_not_contain, context),
                escapes: probes(&r.escapes, context),
            }
        }),
        fetch: expect.fetch.as_ref().map(|f| {
            let f = &f.value;
            FetchExpect {
                happens: f.happens.value,
                protocol: f.protocol.as_ref().map(|p| p.value),
                credentials: f.credentials.value,
            }
        }),
        receipt: expect.receipt.as_ref().map(|r| {
            let r = &r.value;
            ReceiptExpect {
                count: r.count.as_ref().map(|c| c.value as usize),
                error: r.error.as_deref().map(codes),
                warn: codes(&r.warn),
                after_fetch: r.after_fetch.value,
                never_success: r.never_success.value,
                fields: r.fields.iter().map(|f| (f.name.value.clone(), f.value.value.render(context))).collect(),
                does_not_contain: probes(&r.does_not_contain, context),
                credentials: r.credentials.value,
                missing_warns: r.missing.value == pens_scenario::MissingReceipt::Warn,
            }
        }),
        alerts: expect.alerts.as_ref().map(|a| AlertsExpect {
            after_receipt: a.value.after_receipt.value,
            well_formed: a.value.well_formed.value,
            at_least: a.value.at_least.value as usize,
            error: a.value.error.as_deref().map(codes),
            does_not_contain: probes(&a.value.does_not_contain, context),
        }),
        internal: expect
            .internal
            .as_ref()
            .map(|i| InternalExpect { never: i.value.requested.value == InternalRequested::Never }),
        at: crate::location::SetLocations::default(),
    }
}
