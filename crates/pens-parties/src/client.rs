//! The mock client: sends one collect command (CMI010 §5, §6.2) to the target and
//! records the exchange exactly, for the runner to judge the answer (§6.3).
//!
//! The body goes out verbatim: scenarios send deliberately mis-encoded bytes, so
//! nothing here re-encodes. A GET appends the body to the target URL's own query with
//! [`pens_proto::append_query`]; the URL parser then leaves existing `%` escapes (valid
//! or not) alone and only escapes what no request line may carry (spaces, controls,
//! non-ASCII).
//!
//! Sending never fails and never hangs: a timeout, a refused connection or a broken
//! answer is the exchange's `outcome`, as text a vendor can act on.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pens_proto::{FORM_CONTENT_TYPE, append_query, is_secret_name};
use reqwest::header::CONTENT_TYPE;

use crate::answer::{AnswerProblem, parser_breach, read_answer};
use crate::error::MockError;
use crate::limits::{AnswerLimits, LimitBreach};

/// How a collect travels (CMI010 §5): a form POST (best practice) or a GET query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `application/x-www-form-urlencoded` body.
    Post,
    /// Query string appended to the target URL.
    Get,
}

impl Method {
    /// `"POST"` or `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Get => "GET",
        }
    }
}

/// One collect to send.
#[derive(Clone, PartialEq, Eq)]
pub struct CollectRequest {
    /// POST or GET.
    pub method: Method,
    /// The target's PENS URL, possibly with a query of its own.
    pub url: String,
    /// The encoded pairs: the POST body, or the query appended for GET. Sent verbatim.
    pub body: String,
}

impl fmt::Debug for CollectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CollectRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("body", &redact_pairs(&self.body))
            .finish()
    }
}

/// The target's answer as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpAnswer {
    /// The HTTP status.
    pub status: u16,
    /// Every header in arrival order; values that are not UTF-8 with U+FFFD.
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    pub body: Bytes,
}

impl HttpAnswer {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One collect and what came of it.
#[derive(Clone)]
pub struct CollectExchange {
    /// `METHOD URL` as sent (for GET the URL carries the query).
    pub request_line: String,
    /// The POST body as sent; empty for GET.
    pub request_body: String,
    /// When sending began.
    pub started: Instant,
    /// Milliseconds until the whole answer was read; `None` when none was.
    pub latency_ms: Option<u64>,
    /// When the answer's status line and headers had been read: from here on the
    /// target had answered. `None` when no answer came.
    pub answer_started: Option<Instant>,
    /// When the answer's last byte had been read; `None` when the whole answer never
    /// came. Something the target sent between `answer_started` and this instant was
    /// sent while its answer was on the way: concurrent with it, not before it.
    pub answer_ended: Option<Instant>,
    /// The answer, or what went wrong on the way, in words.
    pub outcome: Result<HttpAnswer, String>,
    /// Whether the answer failed to arrive within the timeout (the target may be slow
    /// rather than unreachable).
    pub timed_out: bool,
    /// Whether the connection was refused: nothing listens at the address (a wrong host
    /// or port, or the LMS is down), which no deadline would change.
    pub refused: bool,
    /// The cap the answer broke ([`AnswerLimits`]), when it broke one: reading stopped
    /// there, and `outcome` holds the same words as an error.
    pub breach: Option<LimitBreach>,
}

impl fmt::Debug for CollectExchange {
    /// Secret values in the request (passwords, tokens) are redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request_line = match self.request_line.split_once('?') {
            Some((head, query)) => format!("{head}?{}", redact_pairs(query)),
            None => self.request_line.clone(),
        };
        f.debug_struct("CollectExchange")
            .field("request_line", &request_line)
            .field("request_body", &redact_pairs(&self.request_body))
            .field("latency_ms", &self.latency_ms)
            .field("outcome", &self.outcome)
            .field("breach", &self.breach)
            .finish()
    }
}

/// Sends collects; keeps one connection pool, the roots it trusts and the caps on the
/// answers it reads.
#[derive(Clone, Debug)]
pub struct CollectClient {
    http: reqwest::Client,
    limits: AnswerLimits,
}

impl CollectClient {
    /// A client trusting the usual web roots plus `extra_root` (for instance the run CA,
    /// [`crate::RunCa::reqwest_certificate`]). It never follows redirects (a redirect
    /// is an answer to judge) and never uses a proxy (only the target is contacted).
    pub fn new(extra_root: Option<reqwest::Certificate>) -> Result<Self, MockError> {
        Self::with_limits(extra_root, AnswerLimits::default())
    }

    /// Like [`CollectClient::new`], reading each answer within `limits`: a larger one
    /// is not read on (see [`CollectExchange::breach`]).
    pub fn with_limits(extra_root: Option<reqwest::Certificate>, limits: AnswerLimits) -> Result<Self, MockError> {
        Self::with_roots(extra_root.into_iter().collect(), limits)
    }

    /// Like [`CollectClient::with_limits`], trusting every root of `extra_roots`
    /// besides the usual web roots (observe mode's relay: the run CA and the
    /// certificates a vendor names).
    pub fn with_roots(extra_roots: Vec<reqwest::Certificate>, limits: AnswerLimits) -> Result<Self, MockError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("pens-conform/", env!("CARGO_PKG_VERSION")));
        for root in extra_roots {
            builder = builder.add_root_certificate(root);
        }
        Ok(CollectClient { http: builder.build()?, limits })
    }

    /// Sends `request` and reads the whole answer within the client's limits, giving up
    /// after `timeout`.
    pub async fn send(&self, request: &CollectRequest, timeout: Duration) -> CollectExchange {
        self.send_noting_head(request, timeout, || ()).await
    }

    /// Like [`CollectClient::send`], calling `on_head` the moment the answer's status
    /// line and headers have been read (at [`CollectExchange::answer_started`]), before
    /// its body: from then on the target has answered, and what waits on its answer (a
    /// package held by [`crate::StagingBehaviour::AfterAnswer`]) may go. Not called when
    /// no answer came.
    pub async fn send_noting_head(
        &self,
        request: &CollectRequest,
        timeout: Duration,
        on_head: impl FnOnce() + Send,
    ) -> CollectExchange {
        let body = Bytes::from(request.body.clone().into_bytes());
        let outgoing = Outgoing {
            method: request.method,
            target_url: &request.url,
            body,
            content_type: Some(FORM_CONTENT_TYPE),
            authorization: None,
        };
        self.send_typed(outgoing, timeout, on_head).await
    }

    /// Sends a collect whose bytes were chosen elsewhere: observe mode's relay passes a
    /// client's collect on as it came. A POST carries `body` byte for byte (UTF-8 or
    /// not) with `content_type` (none when `None`) instead of the form's, so a
    /// `multipart/form-data; boundary=…` body or a charset parameter goes out unchanged;
    /// a GET appends `body` (its query) to `url` as [`CollectClient::send`] does.
    /// `authorization` goes out as the request's `Authorization` header (the client's
    /// own credentials for the target); leave it out when `url` carries userinfo.
    pub async fn send_bytes(
        &self,
        method: Method,
        url: &str,
        body: Bytes,
        content_type: Option<&str>,
        authorization: Option<reqwest::header::HeaderValue>,
        timeout: Duration,
    ) -> CollectExchange {
        let outgoing = Outgoing { method, target_url: url, body, content_type, authorization };
        self.send_typed(outgoing, timeout, || ()).await
    }

    async fn send_typed(
        &self,
        outgoing: Outgoing<'_>,
        timeout: Duration,
        on_head: impl FnOnce() + Send,
    ) -> CollectExchange {
        let Outgoing { method, target_url, body, content_type, authorization } = outgoing;
        let started = Instant::now();
        let (url, request_body) = match method {
            Method::Post => (target_url.to_owned(), String::from_utf8_lossy(&body).into_owned()),
            Method::Get => (append_query(target_url, &String::from_utf8_lossy(&body)), String::new()),
        };
        let mut exchange = CollectExchange {
            // Replaced by the URL as built (without userinfo) once it builds.
            request_line: format!("{} {}", method.as_str(), pens_proto::redact_userinfo(&url)),
            request_body,
            started,
            latency_ms: None,
            answer_started: None,
            answer_ended: None,
            outcome: Err(String::new()),
            timed_out: false,
            refused: false,
            breach: None,
        };
        let built = match method {
            Method::Post => {
                let post = self.http.post(&url).body(body);
                match content_type {
                    Some(content_type) => post.header(CONTENT_TYPE, content_type),
                    None => post,
                }
            }
            Method::Get => self.http.get(&url),
        };
        let built = match authorization {
            Some(authorization) => built.header(reqwest::header::AUTHORIZATION, authorization),
            None => built,
        }
        .build();
        let built = match built {
            Ok(built) => built,
            Err(error) => {
                exchange.outcome =
                    Err(format!("invalid url `{}`: {}", pens_proto::redact_userinfo(&url), root_cause(&error)));
                return exchange;
            }
        };
        exchange.request_line = format!("{} {}", method.as_str(), built.url());
        let endpoint = endpoint_of(built.url());

        let mut answer_started = None;
        let mut refused = false;
        let mut on_head = Some(on_head);
        let answer = tokio::time::timeout(timeout, async {
            let response = match self.http.execute(built).await {
                Ok(response) => {
                    answer_started = Some(Instant::now());
                    if let Some(on_head) = on_head.take() {
                        on_head();
                    }
                    response
                }
                Err(error) => {
                    refused = is_refused(&error);
                    return Err(match parser_breach(&error) {
                        Some(breach) => AnswerProblem::Breach(breach),
                        None => AnswerProblem::Broken { what: describe(&error, &endpoint), partial: Bytes::new() },
                    });
                }
            };
            read_answer(response, &self.limits).await
        })
        .await;
        exchange.answer_started = answer_started;
        exchange.refused = refused;
        exchange.outcome = match answer {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(AnswerProblem::Broken { what, .. })) => Err(what),
            Ok(Err(AnswerProblem::Breach(breach))) => {
                let shown = breach.message.clone();
                exchange.breach = Some(breach);
                Err(shown)
            }
            Err(_) => {
                exchange.timed_out = true;
                Err(format!("no answer within {} ms", timeout.as_millis()))
            }
        };
        if exchange.outcome.is_ok() {
            let ended = Instant::now();
            exchange.answer_ended = Some(ended);
            exchange.latency_ms = Some(u64::try_from(ended.duration_since(started).as_millis()).unwrap_or(u64::MAX));
        }
        exchange
    }
}

/// One collect on its way out, whatever chose its bytes.
struct Outgoing<'a> {
    method: Method,
    target_url: &'a str,
    body: Bytes,
    content_type: Option<&'a str>,
    authorization: Option<reqwest::header::HeaderValue>,
}

/// Sends `request` with a client that trusts the usual web roots only. To reach a
/// server of the run CA (HTTPS staging, the reference target), use [`CollectClient`].
pub async fn send_collect(request: &CollectRequest, timeout: Duration) -> CollectExchange {
    match CollectClient::new(None) {
        Ok(client) => client.send(request, timeout).await,
        Err(error) => CollectExchange {
            request_line: format!("{} {}", request.method.as_str(), pens_proto::redact_userinfo(&request.url)),
            request_body: request.body.clone(),
            started: Instant::now(),
            latency_ms: None,
            answer_started: None,
            answer_ended: None,
            outcome: Err(error.to_string()),
            timed_out: false,
            refused: false,
            breach: None,
        },
    }
}

/// `host:port` of a URL, for messages.
fn endpoint_of(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// A transport error in words: what failed, and the innermost cause.
fn describe(error: &reqwest::Error, endpoint: &str) -> String {
    let cause = root_cause(error);
    if error.is_connect() {
        format!("cannot connect to {endpoint}: {cause}")
    } else if error.is_timeout() {
        format!("{endpoint} did not answer in time: {cause}")
    } else {
        format!("the exchange with {endpoint} failed: {cause}")
    }
}

/// Whether `error` is a refused connection: the operating system's own answer that
/// nothing listens there.
fn is_refused(error: &reqwest::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if error.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return true;
        }
        current = error.source();
    }
    false
}

/// The innermost error in the chain: usually the one that says what happened
/// ("Connection refused (os error 111)", "invalid peer certificate: UnknownIssuer").
pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// The pairs of a form body or query with secret values replaced, for Debug output;
/// the rest stays byte for byte.
fn redact_pairs(encoded: &str) -> String {
    encoded
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}={}", pens_proto::REDACTED),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secret_values() {
        let request = CollectRequest {
            method: Method::Post,
            url: "http://127.0.0.1:1/pens".into(),
            body: "command=collect&package-url-password=hunter2&system-password=swordfish&client=x".into(),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("swordfish"), "{shown}");
        assert!(shown.contains("command=collect") && shown.contains("client=x"), "{shown}");
    }

    #[test]
    fn endpoints_name_host_and_port() {
        let url = reqwest::Url::parse("https://lms.test/pens").expect("url");
        assert_eq!(endpoint_of(&url), "lms.test:443");
    }
}
