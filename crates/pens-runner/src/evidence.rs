//! What one scenario observed: the collect exchange and every event the parties
//! recorded for its key. Evaluation is a pure function of this.

use std::time::{Duration, Instant};

use pens_parties::{CollectExchange, Endpoint, NotificationEvent, StagingEvent};
use pens_proto::{CollectCommand, ExpectedAnswer};

/// Everything observed in one scenario.
pub(crate) struct Evidence {
    /// When the scenario started (before the collect was sent).
    pub(crate) started: Instant,
    /// When gathering ended (after the quiet window): how long the harness watched for
    /// what followed the collect, for messages ("no receipt came within N ms").
    pub(crate) ended: Instant,
    /// When the collect exchange ended (answer read, broken off, or at the ack
    /// deadline): how long the answer was watched for.
    pub(crate) answer_over: Instant,
    /// Why the harness stopped watching before the deadlines, when it did: a refused or
    /// broken answer to the collect means nothing follows, so nothing was waited for.
    /// Messages about what did not come say so ([`Evidence::watched`]).
    pub(crate) cut_short: Option<String>,
    /// The collect as sent (decoded back from the bytes), to compare receipts with.
    pub(crate) command: CollectCommand,
    /// The answer a conformant target owes the collect as sent.
    pub(crate) expected: ExpectedAnswer,
    /// The collect request and the target's answer.
    pub(crate) exchange: CollectExchange,
    /// The `error` of the answer, when it could be read.
    pub(crate) answered: Option<pens_proto::ErrorCode>,
    /// Requests the target made to the staging server for this scenario.
    pub(crate) staging: Vec<StagingEvent>,
    /// Receipts and alerts that arrived for this scenario.
    pub(crate) notifications: Vec<NotificationEvent>,
    /// TLS handshakes with the staging server that failed while the scenario ran, on the
    /// listener its package URL names (HTTPS, or FTPS: implicit, or explicit after AUTH
    /// TLS, see [`on_ftps_listener`]): the listener cannot tell whose they were, but they
    /// can be no plain HTTP scenario's (`gather::tls_failures_of`).
    pub(crate) tls_failures: Vec<String>,
    /// FTP logins the staging server refused for this scenario's staging user while it
    /// ran (a wrong `package-url-password`): the retrieval attempt, when no file was
    /// asked for.
    pub(crate) refused_logins: Vec<pens_parties::FtpLoginFailure>,
    /// Requests that reached the internal service under this scenario's key.
    pub(crate) internal: Vec<pens_parties::InternalRequest>,
    /// Receipts and alerts that arrived beyond the cap of the scenario's key
    /// ([`crate::Limits::notifications`]): counted, not in `notifications`.
    pub(crate) overflow: Option<pens_parties::Overflow>,
    /// The listeners that would have carried this scenario's evidence (the staging
    /// listener its package URL names, the collector when its receipt or alerts URL is
    /// there) that had every connection slot taken while it waited: what waited, was
    /// closed to make room or could not be accepted then ([`crate::Limits::connections`]).
    pub(crate) saturated: Vec<Saturated>,
}

/// Which party's listener was full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listener {
    /// The staging server's HTTP or HTTPS listener: the fetch.
    Staging,
    /// The collector's HTTP listener: receipts and alerts.
    Collector,
    /// Client mode's mock target: the collects.
    MockTarget,
}

/// A listener that was full during a scenario's wait, and what happened at its cap then.
#[derive(Clone, Debug)]
pub(crate) struct Saturated {
    pub(crate) listener: Listener,
    /// How a person names it: "the collector", "the staging server (https)".
    pub(crate) name: &'static str,
    /// Its cap ([`crate::Limits::connections`]).
    pub(crate) connections: usize,
    /// What happened while the scenario waited.
    pub(crate) during: pens_parties::SaturationWindow,
}

impl Evidence {
    /// Messages that arrived at the receipt URL.
    pub(crate) fn receipts(&self) -> Vec<&NotificationEvent> {
        self.notifications.iter().filter(|n| n.endpoint == Endpoint::Receipt).collect()
    }

    /// Messages that arrived at the alerts URL.
    pub(crate) fn alerts(&self) -> Vec<&NotificationEvent> {
        self.notifications.iter().filter(|n| n.endpoint == Endpoint::Alerts).collect()
    }

    /// The addresses of a `mailto:` receipt URL in the collect as sent; empty for any
    /// other receipt URL.
    pub(crate) fn receipt_mailboxes(&self) -> Vec<String> {
        mailboxes(self.command.receipt.as_deref())
    }

    /// The protocol the package URL of the collect names: what a 3-digit code in a
    /// receipt, alert or answer means when it stands in for a PENS code (CMI010 §6.3).
    pub(crate) fn retrieval_protocol(&self) -> Option<pens_proto::RetrievalProtocol> {
        self.command.package_url.as_deref().and_then(pens_proto::RetrievalProtocol::of_url)
    }

    /// The PENS code in `codes` that `code` stands in for as the underlying protocol's
    /// code, and the sentence saying so (CMI010 §6.3).
    pub(crate) fn stand_in(&self, code: u16, codes: &[u16]) -> Option<String> {
        let acceptable = codes.iter().map(|&c| pens_proto::ErrorCode(c));
        pens_proto::protocol_stand_in(pens_proto::ErrorCode(code), acceptable, self.retrieval_protocol())
            .map(|(pens, why)| pens_proto::stand_in_note(pens, &why))
    }

    /// What the harness watched after the collect for something with `deadline` (named
    /// as the profile names it): the whole gathering, from the collect to its end.
    pub(crate) fn watched<'a>(&'a self, deadline: Duration, deadline_name: &'a str) -> crate::watched::Watched<'a> {
        crate::watched::Watched {
            watched: self.ended.saturating_duration_since(self.started),
            deadline,
            deadline_name,
            since: "the collect",
            stopped_because: self.cut_short.as_deref(),
        }
    }

    /// What the harness watched for the answer to the collect: until the exchange
    /// ended, which a broken answer ends before the ack deadline.
    pub(crate) fn answer_watched<'a>(&'a self, ack: Duration, because: Option<&'a str>) -> crate::watched::Watched<'a> {
        crate::watched::Watched {
            watched: self.answer_over.saturating_duration_since(self.exchange.started),
            deadline: ack,
            deadline_name: "ack",
            since: "sending it",
            stopped_because: because,
        }
    }

    /// Milliseconds from the scenario start to `at`.
    pub(crate) fn offset_ms(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }
}

/// The addresses of `url` when it is a `mailto:` URL; empty otherwise.
pub(crate) fn mailboxes(url: Option<&str>) -> Vec<String> {
    match url.map(pens_proto::parse_ack_url) {
        Some(Ok(pens_proto::AckUrl::Mailto(mailto))) => mailto.addresses,
        _ => Vec::new(),
    }
}

/// Whether a recorded TLS failure happened on the staging server's FTPS listener: the
/// FTP server records them with the mode first (`implicit FTPS: …` for TLS from the
/// first byte, `explicit FTPS: …` after AUTH TLS); the HTTPS listener's carry no prefix.
pub(crate) fn on_ftps_listener(error: &str) -> bool {
    error.starts_with("implicit FTPS:") || error.starts_with("explicit FTPS:")
}
