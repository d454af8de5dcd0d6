//! The preflight: one valid collect before anything else. It tells "the LMS is wrong"
//! from "the LMS cannot reach us", so that a firewall or an SSRF guard yields one clear
//! `inconclusive` explanation instead of forty failures.

use pens_mock::{CollectClient, StagingPlan};

use crate::context::ScenarioContext;
use crate::gather::{Probe, gather};
use crate::options::RunOptions;
use crate::parties::Parties;
use crate::plan::{ExpectSet, Expectations, ReceiptExpect};
use crate::request::{CollectSpec, RunCredentials, build, default_pairs};

/// The key of the preflight's staging path and collector URLs.
const KEY: &str = "preflight";

/// Runs the preflight with `package`, the default package fixture (zipped once per run:
/// the scenarios serve the same bytes), or why it could not be built. `Err` says why the
/// suite cannot run and what to change; `Ok` may carry a warning about something the
/// scenarios will then show in detail.
pub(crate) async fn run(
    parties: &Parties,
    client: &CollectClient,
    options: &RunOptions,
    run_id: &str,
    package: Result<pens_mock::PackageBody, String>,
) -> Result<Option<String>, String> {
    let package = package.map_err(|e| format!("harness error: cannot build the preflight package: {e}"))?;
    let mut context = ScenarioContext::new(parties, run_id, KEY);
    context.staged(parties.staging.stage(KEY, StagingPlan::new("scorm12-minimal.zip", package)));
    let credentials = RunCredentials {
        system_user_id: options.system_user_id.clone(),
        system_password: options.system_password.clone(),
    };
    let request = build(&options.target_url, &CollectSpec::default(), default_pairs(&context, None, &credentials));
    let expectations = Expectations {
        common: ExpectSet {
            receipt: Some(ReceiptExpect { count: Some(1), ..ReceiptExpect::default() }),
            ..ExpectSet::default()
        },
        any_of: vec![],
    };
    let mut deadlines = options.deadlines;
    deadlines.quiet = std::time::Duration::ZERO;
    let probe = Probe {
        key: KEY,
        request: &request,
        expectations: &expectations,
        deadlines: &deadlines,
        claims: &options.claims,
        now: context.now,
        staging_user: None,
        steps: &crate::step::Steps::new(),
    };
    let evidence = gather(parties, client, &probe).await;
    let target = &options.target_url;
    if let Some(breach) = &evidence.exchange.breach {
        // The target answered, but beyond a limit: whether it can reach the harness is
        // beside the point, every scenario fails on its answer.
        return Ok(Some(format!("the answer to a valid collect broke a limit: {breach}")));
    }
    let mut warnings = Vec::new();
    match &evidence.exchange.outcome {
        Err(error) if !evidence.exchange.timed_out => {
            return Err(format!(
                "the target at {target} did not answer a valid collect ({error}). Check the URL (--url or the profile) and that this machine can reach it."
            ));
        }
        // Slow rather than unreachable: the scenarios judge the acknowledgement deadline.
        Err(error) => warnings.push(format!("the target did not answer a valid collect in time ({error})")),
        Ok(answer) => match pens_proto::parse_response(&answer.body).error {
            Some(code) if code.is_success() => {}
            Some(code) => {
                return Err(format!(
                    "the target refused a valid collect with {code} ({}). Check the profile's system-user-id and system-password, and the PENS settings of the LMS.",
                    code.describe().trim_end_matches('.')
                ));
            }
            // Most often the wrong URL, but possibly the target's own defect: say so, and
            // let the scenarios judge the answers.
            None => warnings.push(format!(
                "the answer to a valid collect is not a PENS response (HTTP {}); if every scenario fails on it, check that {target} is the PENS endpoint",
                answer.status
            )),
        },
    }
    let advertised = options.advertised();
    // A target may send its receipt before it fetches (a defect the scenarios judge):
    // give the fetch its own deadline before concluding that it cannot reach us.
    let fetched = !evidence.staging.is_empty()
        || parties.staging.wait_for(KEY, std::time::Instant::now() + options.deadlines.fetch, |_| true).await.is_some();
    let receipted = !parties.collector.events(KEY).is_empty();
    // Any request shows that the target reaches staging; only a whole GET fetched.
    if fetched && !parties.staging.events(KEY).iter().any(pens_mock::StagingEvent::is_whole_download) {
        let requests: Vec<String> = parties.staging.events(KEY).iter().map(pens_mock::StagingEvent::describe).collect();
        warnings.push(format!(
            "the target requested the preflight package but never downloaded it whole ({})",
            requests.join("; ")
        ));
    }
    match (fetched, receipted) {
        (true, true) => {}
        // It reached the staging server, so the network path works: a missing receipt is
        // more likely the target's own fault, which the scenarios judge one by one.
        (true, false) => warnings.push(format!(
            "the target fetched the preflight package but no receipt reached the harness's collector at {} within {} ms; \
             if the LMS cannot reach that port, open it",
            parties.collector.base(),
            options.deadlines.receipt.as_millis()
        )),
        // It reached the collector, so it could have reached staging: not fetching is its own fault.
        (false, true) => warnings.push("the target sent a receipt without ever requesting the package".to_owned()),
        (false, false) => {
            return Err(format!(
                "the target accepted a valid collect but never requested the package from the harness's staging server at {}, \
                 nor sent a receipt to its collector at {}. It probably cannot reach {advertised}: LMSs often refuse loopback and \
                 private addresses (SSRF protection), or a firewall is in the way. Run the harness where the LMS can reach it \
                 (--bind 0.0.0.0 --advertise-host <a name the LMS resolves>) and open its ports.",
                parties.staging.http_base(),
                parties.collector.base()
            ));
        }
    }
    Ok(if warnings.is_empty() { None } else { Some(warnings.join("; ")) })
}
