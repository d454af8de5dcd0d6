//! From what the relay recorded of one publish ([`PublishRecord`]) to the evidence the
//! judges read ([`PublishEvidence`]): no waiting, no I/O, so a handcrafted record is
//! judged exactly as a live one.

use std::time::{Duration, Instant};

use pens_proto::{CheckContext, CollectCommand, DecodedCollect, TargetCapabilities, assess_decoded_collect};
use pens_relay::{FetchEnd, Leg, PublishRecord, RelayedCollect};
use time::OffsetDateTime;

use super::evidence::{Carried, PublishEvidence, Upstream};
use crate::client::ClientEvidence;
use crate::evidence::Evidence;

/// What the run adds to a record.
pub(crate) struct Context<'a> {
    /// What the target claims (profile `[claims]`), for the answer CMI010 assigns.
    pub(crate) claims: &'a TargetCapabilities,
    /// When the publish's collect arrived, in UTC (expiry checks, dates).
    pub(crate) started_utc: OffsetDateTime,
    /// When gathering ended.
    pub(crate) ended: Instant,
    /// TLS handshakes with the relay's HTTPS staging that failed while the publish ran:
    /// most often a target that does not trust the run's CA (target mode's rule then
    /// makes what depends on the download inconclusive, saying so).
    pub(crate) tls_failures: Vec<String>,
    /// The profile's `ack` deadline: an answer that began later is judged as none.
    pub(crate) ack: Duration,
}

/// The evidence of one publish.
pub(crate) fn gather(record: &PublishRecord, context: &Context<'_>) -> PublishEvidence {
    let started = record.started;
    let client = ClientEvidence {
        started,
        started_utc: context.started_utc,
        events: record.client_side.clone(),
        package: record.package.clone(),
        // Whether the target fetched is its own business; when it did, the tool's
        // staging is judged.
        script_fetches: true,
        collect_deadline: Duration::ZERO,
        collect_watched: Duration::ZERO,
        unowned_refusals: 0,
        background_timed_out: false,
        collect_overflow: None,
        saturated: None,
    };
    let carried = carried(record);
    PublishEvidence {
        client,
        target: target(record, context),
        relay_failures: record.not_relayed.iter().map(|n| format!("{}: {}", leg(n.leg), n.reason)).collect(),
        carried,
        upstream: upstream(record),
    }
}

/// Whether the collect advertised credentials for its package (`package-url-user-id`,
/// or a password in the package URL).
fn advertised(record: &PublishRecord) -> bool {
    let command = decode(record.forwarded.as_ref().unwrap_or(&record.received)).command;
    command.package_url_user_id.is_some_and(|u| !u.is_empty())
        || command.package_url.as_deref().is_some_and(|url| pens_proto::userinfo_of(url).is_some())
}

/// A collect the relay recorded, read as its method says (a GET's query, a POST's body).
pub(super) fn decode(collect: &RelayedCollect) -> DecodedCollect {
    if collect.method.eq_ignore_ascii_case("GET") {
        CollectCommand::decode(&collect.raw)
    } else {
        CollectCommand::decode_post(collect.content_type.as_deref(), &collect.raw)
    }
}

fn leg(leg: Leg) -> &'static str {
    match leg {
        Leg::Collect => "the collect",
        Leg::Package => "the package",
        Leg::Receipt => "a receipt",
        Leg::Alert => "an alert",
        Leg::OtherPath => "a request at another path of the collector",
        _ => "a message",
    }
}

/// Which of `package-url`, `receipt` and `alerts` the relay pointed at itself.
fn carried(record: &PublishRecord) -> Carried {
    let rewritten = |element: &str| record.rewrites.iter().any(|r| r.element == element && r.rewritten.is_some());
    Carried { package: rewritten("package-url"), receipt: rewritten("receipt"), alerts: rewritten("alerts") }
}

/// What the tool's staging did for the last download the target asked for.
///
/// A `206` answers the target's `Range` (a resumed download, a segment, the zip's
/// central directory read after the full GET): it says nothing of the package whole, so
/// the last download that was not one decides. When ranges are all there was, the
/// package was never seen whole.
fn upstream(record: &PublishRecord) -> Upstream {
    let downloads = || record.fetches.iter().rev().filter(|f| !f.method.eq_ignore_ascii_case("HEAD"));
    let Some(fetch) = downloads().find(|f| f.upstream_status != Some(206)) else {
        return match downloads().next() {
            Some(_) => Upstream::RangesOnly,
            None => Upstream::NotFetched,
        };
    };
    let success = fetch.upstream_status.is_some_and(|s| (200..300).contains(&s));
    // The relay passes on what the target presents: a refusal of the tool's staging
    // after the target withheld the advertised credentials is the target's doing.
    let presented = record
        .staging
        .iter()
        .find(|e| e.at == fetch.at)
        .or_else(|| record.staging.iter().rev().find(|e| e.method != "HEAD"))
        .map(|e| &e.credentials);
    if let Some(status @ (401 | 403)) = fetch.upstream_status
        && advertised(record)
        && !matches!(presented, Some(pens_parties::CredentialsPresented::Valid))
    {
        return Upstream::CredentialsWithheld(status);
    }
    match (&fetch.end, fetch.upstream_status) {
        (FetchEnd::Complete, Some(_)) if success => Upstream::Served,
        (FetchEnd::Complete | FetchEnd::ClientSide(_), Some(status)) if !success => Upstream::Status(status),
        (FetchEnd::ClientSide(why), Some(_)) => Upstream::Truncated(why.clone()),
        (FetchEnd::ClientSide(why), None) => Upstream::NoAnswer(why.clone()),
        (FetchEnd::TargetLeft, _) => {
            Upstream::BrokenOff("the target left before the whole package had reached it".to_owned())
        }
        (FetchEnd::NotRelayed(why), _) => Upstream::BrokenOff(format!("the relay does not carry the package: {why}")),
        _ => Upstream::BrokenOff("the relayed download ended without an answer of the tool's staging".to_owned()),
    }
}

/// The target's side as target mode reads it: `None` when the collect never went out.
fn target(record: &PublishRecord, context: &Context<'_>) -> Option<Evidence> {
    let exchange = within_ack(record.collect.clone()?, context.ack);
    // The collect as the target got it (secret values redacted, which changes nothing
    // the judges read of it).
    let decoded = match &record.forwarded {
        Some(sent) => decode(sent),
        None => CollectCommand::decode(exchange.request_body.as_bytes()),
    };
    let decoded_https = decoded.command.package_url.as_deref().is_some_and(|url| url.starts_with("https:"));
    let check = CheckContext { now: context.started_utc, target: context.claims.clone() };
    let expected = assess_decoded_collect(&decoded, &check).expected;
    let answered = exchange.outcome.as_ref().ok().and_then(|a| pens_proto::parse_response(&a.body).error);
    let unreachable = exchange.outcome.is_err() && !exchange.timed_out;
    // As target mode says it: after a refusal or no answer nothing follows, and nothing
    // was waited for.
    let cut_short = match (&exchange.outcome, answered) {
        (Err(error), _) if unreachable => {
            Some(format!("the publish ended early because the collect got no answer ({error}), so nothing was awaited"))
        }
        (_, Some(code)) if !code.is_success() => Some(format!(
            "the publish ended early because the target refused the collect with error={code}, after which nothing \
             follows"
        )),
        _ => None,
    };
    Some(Evidence {
        started: record.started,
        ended: context.ended,
        answer_over: exchange.answer_ended.unwrap_or(context.ended),
        cut_short,
        command: decoded.command,
        expected,
        answered,
        staging: record.staging.iter().cloned().map(refusal_read_on_its_status).collect(),
        notifications: record.notifications.clone(),
        exchange,
        // Only a package staged over HTTPS can have met them.
        tls_failures: if decoded_https { context.tls_failures.clone() } else { Vec::new() },
        refused_logins: Vec::new(),
        internal: Vec::new(),
        overflow: None,
        saturated: Vec::new(),
    })
}

/// The exchange as target mode would have recorded it: its own collect client gives up
/// at `ack`, so an answer that began later counts as none ("no answer within the
/// deadline"). The relay waits longer so that the tool still gets that answer, as it
/// would without the harness; the words say both.
fn within_ack(exchange: pens_parties::CollectExchange, ack: Duration) -> pens_parties::CollectExchange {
    let Some(answer_started) = exchange.answer_started else { return exchange };
    let took = answer_started.saturating_duration_since(exchange.started);
    if took <= ack {
        return exchange;
    }
    pens_parties::CollectExchange {
        outcome: Err(format!(
            "no answer within the ack deadline of {} ms: the target began its answer after {} ms (the relay \
             waited longer and passed it on to the tool)",
            ack.as_millis(),
            took.as_millis()
        )),
        timed_out: true,
        latency_ms: None,
        answer_started: None,
        answer_ended: None,
        ..exchange
    }
}

/// A refusal the target met at the relay's staging counts as read once its status went
/// out. Target mode's staging server writes a short refusal in one piece, and so does
/// the relay when the tool's refusal has a `Content-Length` of at most 64 KiB; a longer
/// one, or one of unknown length, it streams after its status line, and a target may
/// close the connection on the status alone (the reference target does, after a 401),
/// which would otherwise read as a download the target broke off: the target failed
/// for the tool's refusal. Successful answers keep their record as it is.
fn refusal_read_on_its_status(mut event: pens_parties::StagingEvent) -> pens_parties::StagingEvent {
    if event.status >= 400 {
        event.completed = true;
    }
    event
}
