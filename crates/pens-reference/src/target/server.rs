//! The reference target on a real socket: the mock target with its defect's behaviour.

use std::net::SocketAddr;
use std::ops::Deref;

use pens_parties::MockTarget;

use super::defect::Defect;
use super::error::ReferenceTargetError;
use super::options::ReferenceTargetOptions;

/// A running reference target: a [`MockTarget`] (everything it offers is reached
/// through `Deref`) started with the behaviour of its [`Defect`]. It listens until
/// dropped.
#[derive(Debug)]
pub struct ReferenceTarget {
    target: MockTarget,
    defect: Option<Defect>,
}

impl ReferenceTarget {
    /// Binds `bind` (port 0 picks a free port) and serves the target there. Must be
    /// called inside a Tokio runtime, which then runs the server.
    pub fn start(bind: SocketAddr, options: ReferenceTargetOptions) -> Result<ReferenceTarget, ReferenceTargetError> {
        let target = MockTarget::start(bind, options.mock_options())?;
        tracing::info!(addr = %target.addr(), defect = ?options.defect, "reference target listening");
        Ok(ReferenceTarget { target, defect: options.defect })
    }

    /// The defect it was started with, if any.
    pub fn defect(&self) -> Option<Defect> {
        self.defect
    }
}

impl Deref for ReferenceTarget {
    type Target = MockTarget;

    fn deref(&self) -> &MockTarget {
        &self.target
    }
}
