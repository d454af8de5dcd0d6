//! Sending a scenario's collect and collecting what follows, with deadlines: every wait
//! ends on the awaited event or at its deadline, so a fast target makes a fast run.

use std::time::Instant;

use pens_parties::{CollectClient, CollectRequest, Endpoint, TlsFailure};
use pens_proto::{CheckContext, CollectCommand, TargetCapabilities, assess_decoded_collect, query_of};

use crate::Deadlines;
use crate::evidence::Evidence;
use crate::parties::Parties;
use crate::plan::Expectations;
use crate::step::Steps;

/// What to send and how to watch for its consequences.
pub(crate) struct Probe<'a> {
    /// The key of the scenario's staging path and collector URLs.
    pub(crate) key: &'a str,
    /// The collect to send.
    pub(crate) request: &'a CollectRequest,
    /// What will be judged: decides what to wait for.
    pub(crate) expectations: &'a Expectations,
    /// How long to wait.
    pub(crate) deadlines: &'a Deadlines,
    /// The target's claims, for the expected answer.
    pub(crate) claims: &'a TargetCapabilities,
    /// The scenario's `{{now}}`, for the expected answer's expiry check.
    pub(crate) now: time::OffsetDateTime,
    /// The staging user, when staging asks for credentials: an FTP login refused for
    /// this user is this scenario's retrieval attempt (FTP logs in before it names the
    /// file, so the refusal cannot carry the scenario's key).
    pub(crate) staging_user: Option<&'a str>,
    /// Where the scenario is, for its watchdog.
    pub(crate) steps: &'a Steps,
}

/// Holds what waits for the answer to the collect of `key` (pens_parties' answer gates):
/// the collector's answers to its receipts, and the package of an `after-answer` plan.
/// Dropped, whatever happened to the collect, it lets both go.
struct AnswerGate<'a> {
    parties: &'a Parties,
    key: &'a str,
}

impl<'a> AnswerGate<'a> {
    fn new(parties: &'a Parties, key: &'a str) -> Self {
        parties.collector.awaiting_answer(key);
        AnswerGate { parties, key }
    }
}

impl Drop for AnswerGate<'_> {
    fn drop(&mut self) {
        self.parties.collector.answer_read(self.key);
        self.parties.staging.collect_answered(self.key);
    }
}

/// Sends the probe's collect and gathers the evidence for its key.
pub(crate) async fn gather(parties: &Parties, client: &CollectClient, probe: &Probe<'_>) -> Evidence {
    let Probe { key, request, expectations, deadlines, claims, now, staging_user, steps } = *probe;
    let sent = match request.method {
        pens_parties::Method::Post => request.body.as_bytes().to_vec(),
        pens_parties::Method::Get => {
            query_of(&pens_proto::append_query(&request.url, &request.body)).as_bytes().to_vec()
        }
    };
    let decoded = CollectCommand::decode(&sent);
    let expected = assess_decoded_collect(&decoded, &CheckContext { now, target: claims.clone() }).expected;

    let started = Instant::now();
    steps.enter("sending the collect and reading the answer");
    // A receipt that comes before the answer is answered only once the answer is read
    // (pens_parties::RECEIPT_HOLD): a target waiting on it shows its order beyond doubt.
    // A package staged `after-answer` is let go as soon as the answer's head is read, or
    // when the exchange has ended without one (error, timeout at the ack deadline).
    let gate = AnswerGate::new(parties, key);
    let answered_now = || parties.staging.collect_answered(key);
    let exchange = client.send_noting_head(request, deadlines.ack, answered_now).await;
    let answer_over = Instant::now();
    drop(gate);
    let answered = exchange.outcome.as_ref().ok().and_then(|a| pens_proto::parse_response(&a.body).error);
    // A refusal, or no connection at all (nothing was delivered): no receipt will come.
    // An answer that broke a limit counts as one: it fails at once, nothing else is judged.
    let refused = answered.is_some_and(|code| !code.is_success());
    let unreachable = exchange.outcome.is_err() && !exchange.timed_out;
    let refused = refused || unreachable;
    // Said in every message about what then did not come: nothing was waited for.
    let mut cut_short = match (&exchange.outcome, answered) {
        (Err(error), _) if unreachable => Some(format!(
            "the scenario ended early because the collect got no answer ({error}), so nothing was awaited"
        )),
        (_, Some(code)) if !code.is_success() => Some(format!(
            "the scenario ended early because the target refused the collect with error={code}, after which nothing \
             follows"
        )),
        _ => None,
    };

    if expectations.waits_for_receipt() && !refused {
        steps.enter("waiting for the receipt");
        let deadline = crate::step::deadline_after(started, deadlines.receipt);
        // A mailto: receipt with several addresses is one delivery per address.
        let wanted = crate::evidence::mailboxes(decoded.command.receipt.as_deref()).len().max(1);
        parties
            .collector
            .wait_for(key, deadline, |events| {
                events.iter().filter(|e| e.endpoint == Endpoint::Receipt).count() >= wanted
            })
            .await;
    }
    // Alerts follow a successful receipt while the package is processed; after a failed
    // one the exchange is over and there is nothing to wait for.
    let failed_receipt = parties
        .collector
        .events(key)
        .iter()
        .any(|e| e.endpoint == Endpoint::Receipt && e.notification.error_code().is_some_and(|c| !c.is_success()));
    if failed_receipt && cut_short.is_none() {
        cut_short = Some(
            "the scenario ended early because the receipt reported a failure, after which no alert follows".to_owned(),
        );
    }
    if expectations.waits_for_alert() && !refused && !failed_receipt {
        steps.enter("waiting for an alert");
        let deadline = crate::step::deadline_after(started, deadlines.receipt);
        parties.collector.wait_for(key, deadline, |events| events.iter().any(|e| e.endpoint == Endpoint::Alerts)).await;
    }
    // Staging records a request once it has ended, so a receipt sent before (or during)
    // the download is only judged right once that request is on record.
    let staged_here = decoded.command.package_url.as_deref().is_some_and(|url| {
        [
            parties.staging.http_base(),
            parties.staging.https_base(),
            parties.staging.ftp_base(),
            parties.staging.ftps_base(),
        ]
        .iter()
        .any(|base| url.starts_with(base.as_str()))
    });
    // Only an FTP package URL logs in; other scenarios may share the user name.
    let over_ftp = decoded.command.package_url.as_deref().is_some_and(|url| {
        url.starts_with(&parties.staging.ftp_base()) || url.starts_with(&parties.staging.ftps_base())
    });
    let refused_logins: Vec<pens_parties::FtpLoginFailure> = match staging_user.filter(|_| over_ftp) {
        Some(user) => {
            parties.staging.ftp_login_failures_since(started).into_iter().filter(|f| f.user == user).collect()
        }
        None => Vec::new(),
    };
    // A refused FTP login ends the retrieval attempt before any file is asked for: no
    // staging record will come.
    let attempt_over = !refused_logins.is_empty() && parties.staging.events(key).is_empty();
    if (expectations.waits_for_fetch() || expectations.waits_for_receipt()) && staged_here && !refused && !attempt_over
    {
        steps.enter("waiting for the package to be fetched");
        // A HEAD fetches nothing: wait for a GET (RETR), whatever it got.
        parties
            .staging
            .wait_for(key, crate::step::deadline_after(Instant::now(), deadlines.fetch), |e| e.method != "HEAD")
            .await;
    }
    // An observation window, not a wait for an event: what must *not* happen (a fetch
    // after a refusal, a second receipt, a late alert) can only be seen by watching.
    // None at all (the preflight's) is skipped: even a zero sleep waits for the timer's
    // next millisecond tick.
    if !deadlines.quiet.is_zero() {
        steps.enter("watching for what must not happen (the quiet window)");
        tokio::time::sleep(deadlines.quiet).await;
    }

    let tls_failures = tls_failures_of(
        decoded.command.package_url.as_deref(),
        &TlsListeners { https: parties.staging.https_base(), ftps: parties.staging.ftps_base() },
        parties.staging.tls_failures_since(started),
    );
    let ended = Instant::now();
    let saturated = saturated_listeners(parties, &decoded.command, started, ended);
    Evidence {
        started,
        ended,
        answer_over,
        cut_short,
        command: decoded.command,
        expected,
        exchange,
        answered,
        staging: parties.staging.events(key),
        notifications: parties.collector.events(key),
        tls_failures,
        refused_logins,
        internal: parties.internal.requests(key),
        overflow: parties.collector.overflow(key),
        saturated,
    }
}

/// The listeners that would have carried this scenario's evidence and were full at
/// some moment between `started` and `ended`: the staging listener its package URL
/// names (HTTP or HTTPS; the FTP listeners keep libunftp's own limits), and the
/// collector when its receipt or alerts URL is an HTTP URL there. The runner's one rule
/// for evidence lost to saturation (`evaluate::saturation`) reads them.
fn saturated_listeners(
    parties: &Parties,
    command: &CollectCommand,
    started: Instant,
    ended: Instant,
) -> Vec<crate::evidence::Saturated> {
    use crate::evidence::{Listener, Saturated};
    let on = |url: Option<&str>, base: &str| {
        url.is_some_and(|url| url.starts_with(base) && url[base.len()..].starts_with('/'))
    };
    let package_url = command.package_url.as_deref();
    let [http, https] = parties.staging.saturation();
    let collector_base = parties.collector.base();
    let mut listeners = Vec::new();
    if on(package_url, &parties.staging.http_base()) {
        listeners.push((Listener::Staging, "the staging server (http)", http));
    } else if on(package_url, &parties.staging.https_base()) {
        listeners.push((Listener::Staging, "the staging server (https)", https));
    }
    if on(command.receipt.as_deref(), &collector_base) || on(command.alerts.as_deref(), &collector_base) {
        listeners.push((Listener::Collector, "the collector", parties.collector.saturation()));
    }
    listeners
        .into_iter()
        .filter_map(|(listener, name, saturation)| {
            let during = saturation.during(started, ended)?;
            Some(Saturated { listener, name, connections: saturation.connections, during })
        })
        .collect()
}

/// The bases of the staging listeners that speak TLS from the first byte.
struct TlsListeners {
    /// `https://host:port`: its handshake failures are recorded as they come.
    https: String,
    /// `ftps://host:port`: FTPS handshake failures, implicit or explicit (after `AUTH
    /// TLS`), recorded with an error starting `implicit FTPS:` or `explicit FTPS:`.
    ftps: String,
}

/// The TLS handshake failures that may be this scenario's: those on the listener its
/// package URL names, and none for a package URL on any other (plain HTTP or FTP, or
/// not staged here).
///
/// A failed handshake carries no request path, so no scenario key: the staging server
/// only knows when it happened and on which listener. Scenarios run concurrently
/// (`--jobs`), so "while this scenario ran" alone once pinned an HTTPS scenario's
/// `UnknownCA` on package-large, whose own fetch was plain HTTP, and made its download
/// checks inconclusive with a note its evidence did not support. A scenario whose
/// package URL is on the TLS listener, and which saw no fetch over it
/// ([`crate::evaluate`] checks that), is the only one such a failure can explain.
fn tls_failures_of(package_url: Option<&str>, listeners: &TlsListeners, failures: Vec<TlsFailure>) -> Vec<String> {
    let on = |base: &str| package_url.is_some_and(|url| url.starts_with(base) && url[base.len()..].starts_with('/'));
    let over_https = on(&listeners.https);
    let over_ftps = on(&listeners.ftps);
    failures
        .into_iter()
        .map(|f| f.error)
        .filter(|error| if crate::evidence::on_ftps_listener(error) { over_ftps } else { over_https })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use pens_parties::TlsFailure;

    use super::{TlsListeners, tls_failures_of};

    fn listeners() -> TlsListeners {
        TlsListeners { https: "https://127.0.0.1:4443".into(), ftps: "ftps://127.0.0.1:4990".into() }
    }

    fn failure(error: &str) -> TlsFailure {
        TlsFailure { at: Instant::now(), peer: "127.0.0.1:50000".parse().expect("an address"), error: error.into() }
    }

    fn failures() -> Vec<TlsFailure> {
        vec![
            failure("received fatal alert: UnknownCA"),
            failure("implicit FTPS: received fatal alert: UnknownCA"),
            failure("explicit FTPS: the client ended the TLS handshake after AUTH TLS with the fatal alert unknown_ca"),
        ]
    }

    /// A handshake failure goes only to a scenario whose package URL is on that
    /// listener: never to a plain HTTP (or FTP) one, nor to a package staged elsewhere.
    #[test]
    fn a_handshake_failure_is_attributed_only_to_a_package_url_on_its_listener() {
        let cases: [(Option<&str>, &[&str]); 7] = [
            (Some("https://127.0.0.1:4443/s/k/p.zip"), &["received fatal alert: UnknownCA"]),
            (
                Some("ftps://127.0.0.1:4990/s/k/p.zip"),
                &[
                    "implicit FTPS: received fatal alert: UnknownCA",
                    "explicit FTPS: the client ended the TLS handshake after AUTH TLS with the fatal alert unknown_ca",
                ],
            ),
            (Some("http://127.0.0.1:4080/s/k/p.zip"), &[]),
            (Some("ftp://127.0.0.1:4021/s/k/p.zip"), &[]),
            (Some("https://127.0.0.1:44430/s/k/p.zip"), &[]),
            (Some("https://elsewhere.example/p.zip"), &[]),
            (None, &[]),
        ];
        for (url, expected) in cases {
            assert_eq!(tls_failures_of(url, &listeners(), failures()), expected, "{url:?}");
        }
    }
}
