//! The reference target on a real socket: bind, serve [`super::app`], shut down on drop.

use std::net::SocketAddr;
use std::time::Instant;

use super::activity::TargetEvent;
use super::error::MockTargetError;
use super::options::MockTargetOptions;
use super::script::TargetScript;
use super::state::{COLLECT_PATH, MockTargetState, app};
use crate::path::encode_segment;
use crate::server::{self, Bound, ServerTask};

/// A running reference target. It listens until dropped; dropping it also aborts the
/// background work of every exchange, so no receipt leaves a target that is gone. It
/// serves at most [`crate::PeerLimits::connections`] connections at once.
#[derive(Debug)]
pub struct MockTarget {
    addr: SocketAddr,
    state: MockTargetState,
    server: ServerTask,
}

impl MockTarget {
    /// Binds `bind` (port 0 picks a free port) and serves the target there. Must be
    /// called inside a Tokio runtime, which then runs the server.
    pub fn start(bind: SocketAddr, options: MockTargetOptions) -> Result<MockTarget, MockTargetError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| MockTargetError::NoRuntime)?;
        let state = MockTargetState::new(options)?;
        let _entered = runtime.enter();
        // Our listen backlog (server::BACKLOG), not the standard library's 128.
        let listener = server::listen(bind).map_err(|source| MockTargetError::Bind { addr: bind, source })?;
        let listener_error = |source| MockTargetError::Listener { addr: bind, source };
        let addr = listener.local_addr().map_err(listener_error)?;
        let router = app(state.clone());
        let limits = state.options().limits.listener();
        // A request head too large for the HTTP layer is refused (431) before the
        // router sees it: the hook records it as the refused collect it was.
        let watched = state.clone();
        let hook: crate::head_tap::HeadHook = std::sync::Arc::new(move |head| watched.inner.refused_head(head));
        let server =
            server::spawn_watching_heads(Bound { listener, addr }, router, None, limits, "the mock target", Some(hook));
        tracing::info!(%addr, behaviour = ?state.options().behaviour, "mock target listening");
        Ok(MockTarget { addr, state, server })
    }

    /// How many connections found every slot taken and waited for one to free.
    pub fn held_back_connections(&self) -> u64 {
        self.server.held_back()
    }

    /// The listener's account of its connection cap so far: what waited, what was
    /// closed to make room or for sending no request, and when.
    pub fn saturation(&self) -> crate::Saturation {
        self.server.saturation()
    }

    /// The collect URL of the default script: `http://ADDR/pens`.
    pub fn url(&self) -> String {
        format!("http://{}{COLLECT_PATH}", self.addr)
    }

    /// The collect URL of `key`: `http://ADDR/pens/<key>`, the key percent-encoded as
    /// one path segment. Collects there follow the script registered for `key`
    /// ([`MockTarget::script`]), or the default one, and their events carry `key`.
    pub fn url_for(&self, key: &str) -> String {
        format!("http://{}{COLLECT_PATH}/{}", self.addr, encode_segment(key))
    }

    /// Registers `script` for `key` (see [`MockTargetState::script`]).
    pub fn script(&self, key: &str, script: TargetScript) {
        self.state.script(key, script);
    }

    /// The address the target listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Hands `mailto:` receipts and alerts to `relay` from now on.
    pub fn set_smtp_relay(&self, relay: SocketAddr) {
        self.state().set_smtp_relay(relay);
    }

    /// The shared state (options, activity).
    pub fn state(&self) -> &MockTargetState {
        &self.state
    }

    /// The last package fetched in full for `key`, read back whole (see
    /// [`MockTargetState::fetched_package`]; for a package of any size, see
    /// [`MockTarget::kept_package`]).
    pub fn fetched_package(&self, key: &str) -> Option<bytes::Bytes> {
        self.state.fetched_package(key)
    }

    /// The last package fetched in full for `key`, unread (see
    /// [`MockTargetState::kept_package`]).
    pub fn kept_package(&self, key: &str) -> Option<super::KeptPackage> {
        self.state.kept_package(key)
    }

    /// Every event so far, oldest first.
    pub fn activity(&self) -> Vec<TargetEvent> {
        self.state.activity()
    }

    /// Waits until `pred` holds for the events so far, or `deadline` passes; `None` on
    /// the deadline.
    pub async fn wait_for(&self, pred: impl Fn(&[TargetEvent]) -> bool, deadline: Instant) -> Option<Vec<TargetEvent>> {
        self.state.wait_for(pred, deadline).await
    }
}

impl Drop for MockTarget {
    /// The listener and its connections stop with `server`; the background work here.
    fn drop(&mut self) {
        self.state.abort_jobs();
    }
}
