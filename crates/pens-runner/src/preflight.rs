//! The preflight: one valid collect before anything else. It tells "the LMS is wrong"
//! from "the LMS cannot reach us" from "this is not the LMS's PENS endpoint", so that a
//! wrong URL, a firewall or an SSRF guard yields one clear explanation instead of forty
//! failures.
//!
//! Five outcomes look alike from afar and must not be confused; each has its own
//! message, and only the last speaks of reachability:
//! - **nothing listens**: the connection is refused. The run stops at once: no deadline
//!   would change it. The message names the address.
//! - **not a PENS endpoint**: an answer came, but without the `error=` line every PENS
//!   answer starts with (CMI010 §6.3). With an HTTP error status or a redirect (a 404
//!   with an empty body: the URL's path is wrong) the run stops as soon as the answer is
//!   read, quoting its status and the start of its body. A `2xx` answer in another form
//!   may come from the right endpoint of an LMS that answers wrongly (an HTML page with
//!   "result code 0" in it): that is told apart by what follows, as below. If the
//!   target fetches or receipts, it works on collects and the scenarios fail its
//!   answers; if it does neither, the run stops saying that the URL answers but not in
//!   PENS form, never blaming the network.
//! - **never answered**: the target holds the connection and sends nothing, even long
//!   after the ack deadline. The run stops: no scenario could judge more than that.
//! - **answered late**: an answer after the ack deadline is a `target.ack.synchronous`
//!   failure (CMI010 §5) in every scenario it delays, not a reachability problem. The
//!   preflight waits for such an answer a bounded extra time ([`LATE_ANSWER_FACTOR`]),
//!   warns, and lets the scenarios judge it.
//! - **answered in PENS form but never fetched nor receipted**: the target cannot reach
//!   the harness (SSRF guard, firewall, advertise host). The run stops with that
//!   explanation.

use std::time::{Duration, Instant};

use pens_parties::{CollectClient, Endpoint, StagingPlan};

use crate::context::ScenarioContext;
use crate::options::RunOptions;
use crate::parties::Parties;
use crate::request::{CollectSpec, RunCredentials, build, default_pairs};

/// The key of the preflight's staging path and collector URLs.
const KEY: &str = "preflight";

/// How long the preflight waits for an answer, in ack deadlines: an answer within the
/// first one is on time, one within this many is late (the run goes on, the scenarios
/// fail its lateness), none by then is no answer at all (the run stops). Bounded, so that
/// a target that holds the connection forever costs a known time: 60 s at the default
/// 10 s deadline, enough for an LMS that imports before it answers.
pub(crate) const LATE_ANSWER_FACTOR: u32 = 6;

/// Runs the preflight with `package`, the default package fixture (zipped once per run:
/// the scenarios serve the same bytes), or why it could not be built. `Err` says why the
/// suite cannot run and what to change; `Ok` may carry a warning about something the
/// scenarios will then show in detail.
pub(crate) async fn run(
    parties: &Parties,
    client: &CollectClient,
    options: &RunOptions,
    run_id: &str,
    package: Result<pens_parties::PackageBody, String>,
) -> Result<Option<String>, String> {
    let package = package.map_err(|e| format!("harness error: cannot build the preflight package: {e}"))?;
    let mut context = ScenarioContext::new(parties, run_id, KEY);
    context.staged(parties.staging.stage(KEY, StagingPlan::new("scorm12-minimal.zip", package)));
    let credentials = RunCredentials {
        system_user_id: options.system_user_id.clone(),
        system_password: options.system_password.clone(),
    };
    let request = build(&options.target_url, &CollectSpec::default(), default_pairs(&context, None, &credentials));
    // Named in every message below: the password of its userinfo hidden.
    let target = &pens_proto::redact_userinfo(&options.target_url);
    // Kept out of every excerpt of the target's answers.
    let secrets = crate::secret::run_secrets(options);
    let ack = options.deadlines.ack;
    let patience = ack.saturating_mul(LATE_ANSWER_FACTOR);

    let exchange = client.send(&request, patience).await;
    // The fetch and the receipt follow the answer: their deadlines count from it.
    let answered_at = Instant::now();
    if let Some(breach) = &exchange.breach {
        // The target answered, but beyond a limit: whether it can reach the harness is
        // beside the point, every scenario fails on its answer.
        return Ok(Some(format!("the answer to a valid collect broke a limit: {breach}")));
    }
    let mut warnings = Vec::new();
    // A `2xx` answer not in PENS form, described: judged once the fetch deadline shows
    // whether the target works on the collect.
    let mut not_pens_answer = None;
    match &exchange.outcome {
        Err(error) if exchange.refused => {
            return Err(format!(
                "nothing listens at {target}: the connection was refused ({error}). Check the host and port of the URL \
                 (--url or the profile), and that the LMS is running."
            ));
        }
        Err(error) if !exchange.timed_out => {
            return Err(format!(
                "the target at {target} did not answer a valid collect ({error}). Check the URL (--url or the profile) and that this machine can reach it."
            ));
        }
        // No answer even long after the deadline: whether the run can go on depends on
        // whether the target did anything else (below).
        Err(_) => {}
        Ok(answer) => {
            let parsed = pens_proto::parse_response(&answer.body);
            if parsed.error_raw.is_none() {
                let shown = not_pens(target, answer, &secrets);
                if !(200..300).contains(&answer.status) {
                    // An HTTP error or a redirect, not in PENS form: no PENS endpoint
                    // answers a valid collect so. Said at once, without waiting for a
                    // fetch a wrong URL will never bring.
                    return Err(shown);
                }
                // A success status: the right endpoint answering wrongly, or a page that
                // is not the endpoint. What follows tells them apart (below).
                not_pens_answer = Some(shown);
            }
            let latency = exchange.latency_ms.map_or(Duration::ZERO, Duration::from_millis);
            if latency > ack {
                warnings.push(format!(
                    "the target answered a valid collect after {} ms, beyond the {} ms ack deadline ([deadlines] ack): \
                     the scenarios it delays fail target.ack.synchronous (CMI010 §5: the answer comes at once, before \
                     the package is fetched)",
                    latency.as_millis(),
                    ack.as_millis()
                ));
            }
            match parsed.error {
                _ if not_pens_answer.is_some() => {}
                Some(code) if code.is_success() => {}
                Some(code) => {
                    return Err(format!(
                        "the target refused a valid collect with {code} ({}). Check the profile's system-user-id and system-password, and the PENS settings of the LMS.",
                        code.describe().trim_end_matches('.')
                    ));
                }
                // An `error=` line whose value is no number: the target's own defect,
                // which the scenarios judge answer by answer.
                None => warnings.push(format!(
                    "the answer to a valid collect (HTTP {}) has an error value that is not a number ({:?}); \
                     every scenario judges its answers",
                    answer.status,
                    excerpt(parsed.error_raw.as_deref().unwrap_or_default().as_bytes(), &secrets)
                )),
            }
        }
    }
    let unanswered = exchange.outcome.is_err();
    let (fetched, receipted) = if unanswered {
        // It had the whole patience to fetch and receipt: look, do not wait again.
        (!parties.staging.events(KEY).is_empty(), has_receipt(&parties.collector.events(KEY)))
    } else {
        // A target may send its receipt before it fetches (a defect the scenarios
        // judge): each event gets its own deadline before concluding that it cannot
        // reach us.
        let deadlines = &options.deadlines;
        let (fetch, receipts) = tokio::join!(
            parties.staging.wait_for(KEY, answered_at + deadlines.fetch, |_| true),
            parties.collector.wait_for(KEY, answered_at + deadlines.receipt, has_receipt),
        );
        (fetch.is_some(), has_receipt(&receipts))
    };
    if unanswered {
        if !fetched && !receipted {
            return Err(format!(
                "the target at {target} took the connection but never answered a valid collect: nothing came in {} ms, \
                 {LATE_ANSWER_FACTOR} times the {} ms ack deadline, and it neither requested the package nor sent a receipt. \
                 Check that {target} is the PENS endpoint, and that the LMS is not stuck.",
                patience.as_millis(),
                ack.as_millis()
            ));
        }
        // It works on the collect, so it reaches the harness: the scenarios judge the
        // missing answer.
        warnings.push(format!(
            "the target never answered a valid collect (nothing in {} ms, the ack deadline is {} ms), though it {}; \
             the scenarios fail the missing answer",
            patience.as_millis(),
            ack.as_millis(),
            match (fetched, receipted) {
                (true, true) => "requested the package and sent a receipt",
                (true, false) => "requested the package",
                _ => "sent a receipt",
            }
        ));
        return Ok(Some(warnings.join("; ")));
    }
    if let Some(shown) = not_pens_answer {
        if !fetched && !receipted {
            return Err(format!(
                "{shown} It neither requested the package nor sent a receipt within {} ms: \
                 this is probably not the LMS's PENS endpoint. Check the URL (--url or the profile).",
                options.deadlines.fetch.max(options.deadlines.receipt).as_millis()
            ));
        }
        // It works on the collect: the right endpoint, answering wrongly. The scenarios
        // fail its answers (response.error.present), each with its evidence.
        warnings.push(format!(
            "{shown} It did act on the collect ({}), so this is taken as the PENS endpoint answering \
             in another form: every scenario judges its answers",
            match (fetched, receipted) {
                (true, true) => "requested the package and sent a receipt",
                (true, false) => "requested the package",
                _ => "sent a receipt",
            }
        ));
        return Ok(Some(warnings.join("; ")));
    }
    let advertised = options.advertised();
    // Any request shows that the target reaches staging; only a whole GET fetched.
    if fetched && !parties.staging.events(KEY).iter().any(pens_parties::StagingEvent::is_whole_download) {
        let requests: Vec<String> =
            parties.staging.events(KEY).iter().map(pens_parties::StagingEvent::describe).collect();
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

/// An answer without an `error=` line, described for the vendor: its HTTP status, its
/// body (empty, or a short excerpt with secrets hidden), where a redirect points, and a
/// question about the likeliest cause for that status.
fn not_pens(target: &str, answer: &pens_parties::HttpAnswer, secrets: &[String]) -> String {
    let status = answer.status;
    let body = if answer.body.iter().all(u8::is_ascii_whitespace) {
        "an empty body".to_owned()
    } else {
        format!("a body that is not a PENS response: {:?}", excerpt(&answer.body, secrets))
    };
    let hint = match status {
        300..=399 => match answer.header("location") {
            Some(location) => format!(
                "it redirects to {:?}, and the harness does not follow redirects: give that URL.",
                excerpt(location.as_bytes(), secrets)
            ),
            None => "it redirects without a Location: is the URL right?".to_owned(),
        },
        401 | 403 => "does the endpoint need other access? (the harness sends the profile's system-user-id and \
                     system-password as PENS elements, not as HTTP authentication)"
            .to_owned(),
        404 | 405 | 410 => "is the PENS endpoint path right?".to_owned(),
        500..=599 => "the server failed on a valid collect: its logs may say why; is it the PENS endpoint?".to_owned(),
        _ => "is it the LMS's PENS endpoint?".to_owned(),
    };
    format!(
        "the URL {target} answers a valid collect with HTTP {status} and {body}, not a PENS response (CMI010 §6.3: \
         every answer starts with an error= line): {hint}"
    )
}

/// The most of an answer quoted in a message, in characters.
const EXCERPT_CHARS: usize = 160;

/// A short, one-line quotation of `bytes` for a message: secret values (`name=value`
/// lines of secret elements, passwords in URLs, the run's own secrets) hidden,
/// runs of white space shown as one space, cut at [`EXCERPT_CHARS`].
fn excerpt(bytes: &[u8], secrets: &[String]) -> String {
    let text = pens_proto::redact_lines(&String::from_utf8_lossy(bytes));
    let text = crate::secret::scrub_all(&text, secrets);
    let words: Vec<&str> = text.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// Whether a receipt is among `events`.
fn has_receipt(events: &[pens_parties::NotificationEvent]) -> bool {
    events.iter().any(|e| e.endpoint == Endpoint::Receipt)
}
