//! Starting the parties a run needs: the run CA, the staging server (HTTP, HTTPS, FTP,
//! FTPS) and the collector (HTTP and its SMTP mail sink), all bound to the run's address,
//! advertised under the host the target can reach, and held to the run's limits; and the
//! internal service, on loopback whatever the run's address, for the server-side request
//! forgery probe.

use std::sync::Arc;
use std::time::Instant;

use pens_parties::{Collector, CollectorOptions, InternalService, RunCa, StagingServer};

use crate::{RunError, RunOptions};

/// The servers of one run. Dropping it stops them (a collector handed in by the caller
/// lives on with the caller).
pub(crate) struct Parties {
    pub(crate) ca: Arc<RunCa>,
    pub(crate) staging: StagingServer,
    pub(crate) collector: Arc<Collector>,
    pub(crate) internal: InternalService,
}

impl Parties {
    /// Starts every party on the run's bind address (port 0; the mail sink on
    /// `smtp_listen` when given), advertised under the run's host, with the run's CA and
    /// collector or fresh ones.
    pub(crate) async fn start(options: &RunOptions) -> Result<Parties, RunError> {
        let (bind, advertise_host) = (options.bind, options.advertised());
        let ca = match &options.ca {
            Some(ca) => Arc::clone(ca),
            None => Arc::new(RunCa::generate(std::slice::from_ref(&advertise_host)).map_err(RunError::Parties)?),
        };
        let peer = options.limits.peer();
        // The header-read deadline stays pens-parties' 30 s whatever the profile's
        // deadlines: it also closes kept-alive connections between requests, and an
        // honest client that reuses one just as it closes sees its request fail ("connection
        // closed before message completed": the reference target's fetch did, with a
        // deadline of 3 s). A flood of idle connections is met by closing the oldest idle
        // one when the listener is full, not by a shorter deadline.
        let listener = peer.listener();
        let staging = StagingServer::start_limited(bind, &advertise_host, &ca, listener, peer.passive_listeners)
            .await
            .map_err(RunError::Parties)?;
        let collector = match &options.collector {
            Some(collector) => Arc::clone(collector),
            None => {
                let collector_options =
                    CollectorOptions { smtp: options.smtp_listen, notifications: peer.notifications, listener };
                Arc::new(
                    Collector::start_with(bind, &advertise_host, collector_options).await.map_err(RunError::Parties)?,
                )
            }
        };
        let internal = InternalService::start().await.map_err(RunError::Parties)?;
        Ok(Parties { ca, staging, collector, internal })
    }

    /// Everything the run's parties met, for the report's harness notes: the listeners'
    /// connection caps (queued, refused, idle connections closed; also logged as
    /// warnings), file descriptors that ran out since `since` and capped FTP passive
    /// listeners (of `passive_cap`), and traffic to keys of no scenario.
    pub(crate) fn harness_notes(&self, since: Instant, passive_cap: usize) -> Vec<pens_report::HarnessNote> {
        let [http, https] = self.staging.saturation();
        let mut notes = crate::saturation::notes("collector", "the collector", &self.collector.saturation());
        notes.extend(crate::saturation::notes("staging", "the staging server (http)", &http));
        notes.extend(crate::saturation::notes("staging", "the staging server (https)", &https));
        crate::saturation::log(&notes);
        let passive = (self.staging.passive_listeners_capped(), passive_cap);
        notes.extend(crate::descriptors::notes(since, Some(passive)));
        notes.extend(crate::unsolicited::collector_notes(&self.collector));
        notes.extend(crate::unsolicited::staging_note(self.staging.unsolicited()));
        notes
    }
}
