//! Starting the parties a run needs: the run CA, the staging server and the collector,
//! all bound to the run's address and advertised under the host the target can reach.

use std::net::IpAddr;
use std::sync::Arc;

use pens_mock::{Collector, RunCa, StagingServer};

use crate::RunError;

/// The servers of one run. Dropping it stops them.
pub(crate) struct Parties {
    pub(crate) ca: Arc<RunCa>,
    pub(crate) staging: StagingServer,
    pub(crate) collector: Collector,
}

impl Parties {
    /// Starts every party on `bind` (port 0), advertised as `advertise_host`, with `ca`
    /// or a fresh certificate authority.
    pub(crate) async fn start(bind: IpAddr, advertise_host: &str, ca: Option<Arc<RunCa>>) -> Result<Parties, RunError> {
        let ca = match ca {
            Some(ca) => ca,
            None => Arc::new(RunCa::generate(&[advertise_host.to_owned()]).map_err(RunError::Parties)?),
        };
        let staging = StagingServer::start(bind, advertise_host, &ca).await.map_err(RunError::Parties)?;
        let collector = Collector::start(bind, advertise_host).await.map_err(RunError::Parties)?;
        Ok(Parties { ca, staging, collector })
    }
}
