//! Starting the parties a run needs: the run CA, the staging server (HTTP, HTTPS, FTP,
//! FTPS) and the collector (HTTP and its SMTP mail sink), all bound to the run's address
//! and advertised under the host the target can reach; and the internal service, on
//! loopback whatever the run's address, for the server-side request forgery probe.

use std::sync::Arc;

use pens_mock::{Collector, InternalService, RunCa, StagingServer};

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
        let staging = StagingServer::start(bind, &advertise_host, &ca).await.map_err(RunError::Parties)?;
        let collector = match (&options.collector, options.smtp_listen) {
            (Some(collector), _) => Arc::clone(collector),
            (None, Some(smtp)) => {
                Arc::new(Collector::start_with_smtp(bind, &advertise_host, smtp).await.map_err(RunError::Parties)?)
            }
            (None, None) => Arc::new(Collector::start(bind, &advertise_host).await.map_err(RunError::Parties)?),
        };
        let internal = InternalService::start().await.map_err(RunError::Parties)?;
        Ok(Parties { ca, staging, collector, internal })
    }
}
