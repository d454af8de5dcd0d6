//! The "internal service": a listener on loopback, on a port of its own, that stands
//! for what sits behind an LMS's firewall (an admin API, a cloud metadata endpoint).
//! Scenario `security-ssrf-internal-url` points package-url at it: whether the LMS
//! fetches it is worth knowing; whether it then shows what it got in its answer,
//! receipt or alerts is a server-side request forgery that leaks (security best
//! practice, not a CMI010 requirement).
//!
//! Each scenario exposes its own path, `/i/<key>/package.zip`, answered with a short
//! text carrying the scenario's token, so the runner can tell an echo of *this*
//! answer from anything else. Every request is recorded, known key or not.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use crate::error::MockError;
use crate::events::EventLog;
use crate::path::{encode_segment, segments_after};
use crate::server::{self, ServerTask};

/// Where exposed paths live: `/i/<key>/package.zip`.
const INTERNAL_PREFIX: &str = "/i/";

/// The file name of an exposed path: a package URL names a file with an extension
/// (CMI010 §6.2), so the LMS has no reason to refuse the URL's shape.
const FILE_NAME: &str = "package.zip";

/// One request the internal service received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalRequest {
    /// The key its path names (empty for other paths).
    pub key: String,
    /// When it arrived.
    pub at: Instant,
    /// The request method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The status answered: 200 for an exposed key, 404 otherwise.
    pub status: u16,
}

/// The internal service; dropping it stops the listener.
pub struct InternalService {
    shared: Arc<Shared>,
    task: ServerTask,
}

struct Shared {
    base: String,
    tokens: Mutex<HashMap<String, String>>,
    log: EventLog<InternalRequest>,
}

impl InternalService {
    /// Binds `127.0.0.1` on a free port: loopback, whatever address the run's other
    /// parties use, because "internal" is the LMS's own loopback. An LMS on another
    /// machine then reaches its own 127.0.0.1, not us: the probe still stands, the
    /// request is just not seen.
    pub async fn start() -> Result<Self, MockError> {
        let bound = server::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)).await?;
        let shared = Arc::new(Shared {
            base: format!("http://{}", bound.addr),
            tokens: Mutex::new(HashMap::new()),
            log: EventLog::new(),
        });
        let task = server::spawn(
            bound,
            app(Arc::clone(&shared)),
            None,
            crate::limits::ListenerLimits::default(),
            "the internal service",
        );
        Ok(InternalService { shared, task })
    }

    /// `http://127.0.0.1:PORT`, without a final slash.
    pub fn base(&self) -> String {
        self.shared.base.clone()
    }

    /// The address the listener is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.task.local_addr()
    }

    /// Exposes `/i/<key>/package.zip`, answering with a text that carries `token`;
    /// returns its URL (`{{internal_url}}` in scenario files).
    pub fn expose(&self, key: &str, token: &str) -> String {
        self.shared.tokens.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_owned(), token.to_owned());
        format!("{}{INTERNAL_PREFIX}{}/{FILE_NAME}", self.shared.base, encode_segment(key))
    }

    /// Every request recorded for `key`, in arrival order.
    pub fn requests(&self, key: &str) -> Vec<InternalRequest> {
        self.shared.log.filtered(|r| r.key == key)
    }
}

impl fmt::Debug for InternalService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InternalService").field("base", &self.shared.base).finish_non_exhaustive()
    }
}

/// What an exposed path answers: the token first, so that an error message quoting the
/// first bytes of "the package" carries it.
pub fn internal_body(token: &str) -> String {
    format!("{token} pens-conform internal service: this text must never leave the LMS\n")
}

fn app(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let key = segments_after(&path, INTERNAL_PREFIX).and_then(|s| s.into_iter().next()).unwrap_or_default();
    let token = shared.tokens.lock().unwrap_or_else(PoisonError::into_inner).get(&key).cloned();
    let (status, body) = match token {
        Some(token) => (StatusCode::OK, internal_body(&token)),
        None => (StatusCode::NOT_FOUND, "nothing here\n".to_owned()),
    };
    shared.log.push(InternalRequest {
        key,
        at: Instant::now(),
        method: request.method().to_string(),
        path,
        status: status.as_u16(),
    });
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_exposed_key_answers_its_token_and_every_request_is_recorded() {
        let service = InternalService::start().await.expect("starts");
        assert!(service.base().starts_with("http://127.0.0.1:"));
        let url = service.expose("a b", "tok-1");
        assert_eq!(url, format!("{}/i/a%20b/package.zip", service.base()));
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        let answer = client.get(&url).send().await.expect("answers");
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.text().await.expect("text"), internal_body("tok-1"));
        assert!(internal_body("tok-1").starts_with("tok-1 "));
        let missing = client.get(format!("{}/i/other/package.zip", service.base())).send().await.expect("answers");
        assert_eq!(missing.status(), 404);
        let seen = service.requests("a b");
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].method.as_str(), seen[0].status), ("GET", 200));
        assert_eq!(service.requests("other").len(), 1);
    }
}
