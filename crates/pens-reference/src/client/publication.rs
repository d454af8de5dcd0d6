//! One publication: the collect as sent, the target's answer, and a view of the
//! client's activity that holds only what concerns this publication.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use pens_proto::{CollectCommand, ErrorCode, ParsedResponse, parse_response};

use super::activity::{ClientEvent, ClientEventKind, ReceivedNotification};
use super::receipts::Shared;
use pens_parties::CollectExchange;
use pens_parties::Endpoint;

/// The handle [`super::ReferenceClient::publish`] returns. It stays usable after the
/// client is dropped (the log is shared), though nothing new arrives then.
pub struct Publication {
    pub(crate) number: u64,
    pub(crate) command: CollectCommand,
    pub(crate) exchange: CollectExchange,
    pub(crate) package_url: String,
    pub(crate) receipt_url: String,
    pub(crate) alerts_url: String,
    pub(crate) shared: Arc<Shared>,
}

impl Publication {
    /// Which publication of the client this is: 1 for the first, and so on.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The collect exactly as built, credentials included (its `Debug` redacts them).
    pub fn command(&self) -> &CollectCommand {
        &self.command
    }

    /// The `package-id` sent (absent only if a defect ever removed it; none does).
    pub fn package_id(&self) -> Option<&str> {
        self.command.package_id.as_deref()
    }

    /// The collect as it went over the wire and what came back: the exact request
    /// line and body, the answer byte for byte, or the transport failure.
    pub fn exchange(&self) -> &CollectExchange {
        &self.exchange
    }

    /// The target's answer read as a PENS response, when an answer came.
    pub fn answer(&self) -> Option<ParsedResponse> {
        self.exchange.outcome.as_ref().ok().map(|answer| parse_response(&answer.body))
    }

    /// The `error` of the target's answer, when one could be read.
    pub fn answer_code(&self) -> Option<ErrorCode> {
        self.answer().and_then(|parsed| parsed.error)
    }

    /// Where the package was staged (fully qualified, whatever the collect says).
    pub fn package_url(&self) -> &str {
        &self.package_url
    }

    /// This publication's receipt URL (also when a defect left it out of the collect).
    pub fn receipt_url(&self) -> &str {
        &self.receipt_url
    }

    /// This publication's alerts URL.
    pub fn alerts_url(&self) -> &str {
        &self.alerts_url
    }

    fn ours(&self) -> impl Fn(&ClientEvent) -> bool + use<> {
        let number = self.number;
        move |event| event.publication == Some(number)
    }

    /// This publication's events so far, in the order they happened.
    pub fn activity(&self) -> Vec<ClientEvent> {
        self.shared.log.snapshot(self.ours())
    }

    /// Waits until `pred` holds for this publication's events (checked at once and
    /// after every new event), or `deadline` passes; `None` on the deadline.
    pub async fn wait_for(&self, pred: impl Fn(&[ClientEvent]) -> bool, deadline: Instant) -> Option<Vec<ClientEvent>> {
        self.shared.log.wait_for(self.ours(), pred, deadline).await
    }

    /// The receipts and alerts received so far at this publication's URLs.
    pub fn notifications(&self) -> Vec<ReceivedNotification> {
        notifications(&self.activity(), None)
    }

    /// Waits for the first message at this publication's receipt URL; `None` when
    /// none came before `deadline`.
    pub async fn wait_for_receipt(&self, deadline: Instant) -> Option<ReceivedNotification> {
        let arrived = |events: &[ClientEvent]| !notifications(events, Some(Endpoint::Receipt)).is_empty();
        let events = self.wait_for(arrived, deadline).await?;
        notifications(&events, Some(Endpoint::Receipt)).into_iter().next()
    }

    /// Waits until `count` messages have arrived at this publication's alerts URL;
    /// `None` when fewer came before `deadline`.
    pub async fn wait_for_alerts(&self, count: usize, deadline: Instant) -> Option<Vec<ReceivedNotification>> {
        let arrived = |events: &[ClientEvent]| notifications(events, Some(Endpoint::Alerts)).len() >= count;
        let events = self.wait_for(arrived, deadline).await?;
        Some(notifications(&events, Some(Endpoint::Alerts)))
    }
}

/// The notifications among `events`, those at `endpoint` only when one is given.
fn notifications(events: &[ClientEvent], endpoint: Option<Endpoint>) -> Vec<ReceivedNotification> {
    events
        .iter()
        .filter_map(|event| match &event.kind {
            ClientEventKind::NotificationReceived(received)
                if endpoint.is_none_or(|wanted| received.endpoint == wanted) =>
            {
                Some((**received).clone())
            }
            _ => None,
        })
        .collect()
}

impl fmt::Debug for Publication {
    /// The collect and the exchange with their secrets redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publication")
            .field("number", &self.number)
            .field("command", &self.command)
            .field("exchange", &self.exchange)
            .field("package_url", &self.package_url)
            .field("receipt_url", &self.receipt_url)
            .field("alerts_url", &self.alerts_url)
            .finish_non_exhaustive()
    }
}
