//! A plain HTTP listener for a party built outside this crate (the reference client's
//! receipt listener in pens-reference): the same accept loop, connection cap and
//! drop-to-stop as the harness's own listeners, without opening up their internals.

use std::net::SocketAddr;

use axum::Router;

use crate::error::MockError;
use crate::limits::ListenerLimits;
use crate::server::{self, ServerTask};

/// A router served on a socket; the listener and its connections stop when dropped.
#[derive(Debug)]
pub struct HttpListener {
    task: ServerTask,
}

impl HttpListener {
    /// Binds `bind` (port 0 picks a free port) and serves `router` there within the
    /// default [`ListenerLimits`]. `name` says which listener this is in the warning
    /// about held-back connections ("the reference client's receipt listener"). Must
    /// be called inside a Tokio runtime.
    pub async fn serve(bind: SocketAddr, router: Router, name: &'static str) -> Result<HttpListener, MockError> {
        let bound = server::bind(bind).await?;
        Ok(HttpListener { task: server::spawn(bound, router, None, ListenerLimits::default(), name) })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.task.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use super::*;

    #[tokio::test]
    async fn serves_the_router_until_dropped() {
        let router = Router::new().route("/hello", get(|| async { "hi" }));
        let listener =
            HttpListener::serve(SocketAddr::from(([127, 0, 0, 1], 0)), router, "a test listener").await.expect("bound");
        let url = format!("http://{}/hello", listener.local_addr());
        let body = reqwest::get(&url).await.expect("answered").text().await.expect("body");
        assert_eq!(body, "hi");
        drop(listener);
        tokio::task::yield_now().await;
    }
}
