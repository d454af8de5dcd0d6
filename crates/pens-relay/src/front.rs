//! The collect front of the relay: takes the client's collect (CMI010 §5: a GET query
//! or a POST body, at any path), records it as client mode's mock target records one,
//! rewrites it (`rewrite.rs`), passes it to the target, and hands the target's answer
//! back to the client unchanged (§6.3). What cannot be passed on is answered by the
//! relay in plain text (502, 504), never as a PENS response, and recorded as such.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{ALLOW, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use pens_proto::{
    AckUrl, CheckContext, CollectCommand, ErrorCode, append_query, assess_decoded_collect, is_multipart, parse_ack_url,
    parse_response, redact, redact_form, redact_userinfo, userinfo_of,
};
use time::OffsetDateTime;

use super::record::{AnswerToClient, Leg, PublishRecord, RelayedCollect, Rewrite};
use super::rewrite::{Replacement, file_name_of, rewrite_pairs};
use super::{Publish, Shared};
use pens_parties::internals::request_start;
use pens_parties::internals::{BodyProblem, read_bounded};
use pens_parties::internals::{MAX_REQUEST_HEAD_BYTES, RefusedHead};
use pens_parties::internals::{Secrets, redact_body};
use pens_parties::path::encode_segment;
use pens_parties::{CollectExchange, Method as CollectMethod};
use pens_parties::{CollectRefusal, MAX_COLLECT_BYTES, RefusedPart, TargetEventKind, full_capabilities};

/// The router of the collect front: every path and method to one handler.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    super::fallback_router(shared, collect)
}

async fn collect(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let via = match method {
        Method::GET => CollectMethod::Get,
        Method::POST => CollectMethod::Post,
        // As the mock target: a HEAD or another method is no collect (CMI010 §5).
        _ => return (StatusCode::METHOD_NOT_ALLOWED, [(ALLOW, HeaderValue::from_static("GET, POST"))]).into_response(),
    };
    let content_type = headers.get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let query = uri.query().map(str::to_owned);
    let body = match via {
        CollectMethod::Get => Bytes::new(),
        CollectMethod::Post => {
            let declared =
                headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
            match read_bounded(body, declared, MAX_COLLECT_BYTES).await {
                Ok(body) => body,
                Err(BodyProblem::TooLarge { seen }) => return too_large(&shared, &method, &uri, seen, declared),
                Err(BodyProblem::Broken) => return (StatusCode::BAD_REQUEST, "the body broke off\r\n").into_response(),
            }
        }
    };
    let input = match via {
        CollectMethod::Get => Bytes::from(query.clone().unwrap_or_default()),
        CollectMethod::Post => body,
    };
    let decoded = match via {
        CollectMethod::Get => CollectCommand::decode(&input),
        CollectMethod::Post => CollectCommand::decode_post(content_type.as_deref(), &input),
    };
    let secrets = secrets_of(&decoded);
    // The target's claims are unknown: every transport counts as supported, so the
    // code a conformant target owes is the lenient one.
    let context = CheckContext { now: OffsetDateTime::now_utc(), target: full_capabilities() };
    let expected = assess_decoded_collect(&decoded, &context).expected.code;
    let number = shared.next_number();
    let key = format!("p{number}");
    let shown = |raw: &[u8]| Bytes::from(secrets.scrub_bytes(&redact_body(&method, content_type.as_deref(), raw)));
    let received = RelayedCollect {
        method: method.to_string(),
        url: shown_request_target(uri.path(), query.as_deref(), &secrets),
        content_type: content_type.clone(),
        raw: shown(&input),
    };
    let mut record = PublishRecord::new(key.clone(), number, received.clone());
    record.package_id = decoded.command.package_id.clone();
    let pairs =
        decoded.command.redacted_pairs().into_iter().map(|(name, value)| (name, secrets.scrub(&value))).collect();
    record.client_event(
        shared.started,
        TargetEventKind::CollectReceived {
            method: method.to_string(),
            content_type: content_type.clone(),
            raw: received.raw.clone(),
            pairs,
            scripted: false,
            answer: expected,
            expected,
        },
    );
    if !shared.records.admit(record) {
        let text = format!(
            "pens-conform relay: {} publishes are recorded, no more are taken (the collect was not passed on)\r\n",
            shared.options.max_publishes
        );
        return plain(StatusCode::SERVICE_UNAVAILABLE, text);
    }
    // Planned once the publish is taken: planning hands its keys to the collector.
    let multipart = via == CollectMethod::Post && is_multipart(content_type.as_deref());
    let plan = if !shared.options.rewrite {
        Plan::untouched(
            &decoded.command,
            &secrets,
            "rewriting is off: the target fetches and notifies the client directly",
        )
    } else if multipart {
        Plan::untouched(
            &decoded.command,
            &secrets,
            "a multipart/form-data collect is passed on as it came: the relay rewrites form bodies and queries only",
        )
    } else {
        Plan::rewriting(&shared, &key, &decoded.command, &secrets)
    };

    let rewrites = plan.rewrites;
    shared.records.update(&key, |record| record.rewrites = rewrites);
    let relays_notifications = plan.publish.receipt.is_some()
        || plan.publish.alerts.is_some()
        || plan.publish.receipt_mail.is_some()
        || plan.publish.alerts_mail.is_some();
    shared.set_publish(&key, plan.publish);
    if relays_notifications {
        shared.collector.relay_for(&key, Arc::new(super::notify::NotifyRelay::new(&shared)));
    }

    let forwarded_bytes = Bytes::from(rewrite_pairs(&input, &plan.replacements));
    // The query the client's URL carried stays with the URL; what is recorded of it is
    // redacted as the received request target is.
    let (target_url, shown_target_url) = match (via, &query) {
        (CollectMethod::Post, Some(query)) => (
            append_query(&shared.options.target_url, query),
            secrets.scrub(&append_query(&redact_userinfo(&shared.options.target_url), &redact_form(query))),
        ),
        _ => (shared.options.target_url.clone(), redact_userinfo(&shared.options.target_url)),
    };
    let forwarded_type = (via == CollectMethod::Post).then(|| content_type.clone()).flatten();
    let forwarded = RelayedCollect {
        method: method.to_string(),
        url: shown_target_url,
        content_type: forwarded_type.clone(),
        raw: shown(&forwarded_bytes),
    };
    shared.records.update(&key, |record| record.forwarded = Some(forwarded));
    // The client's own credentials for the target go on with the collect, unless the
    // target URL the relay was given carries its own.
    let authorization = headers.get(AUTHORIZATION).filter(|_| userinfo_of(&shared.options.target_url).is_none());
    let exchange = shared
        .collect_client
        .send_bytes(
            via,
            &target_url,
            forwarded_bytes,
            forwarded_type.as_deref(),
            authorization.cloned(),
            shared.options.collect_timeout,
        )
        .await;
    answer_client(&shared, &key, &secrets, exchange, expected)
}

/// Hands the target's answer to the client as it came, or the relay's own 502/504
/// when there was none to hand on; records which.
fn answer_client(
    shared: &Shared,
    key: &str,
    secrets: &Secrets,
    exchange: CollectExchange,
    expected: ErrorCode,
) -> Response {
    let shown = shown_exchange(&exchange, secrets);
    let started = shared.started;
    match exchange.outcome {
        Ok(answer) => {
            let code = parse_response(&answer.body).error;
            let content_type = answer.header("content-type").map(str::to_owned);
            let body = Bytes::from(secrets.scrub_bytes(&answer.body));
            shared.records.update(key, |record| {
                set_collect_answer(record, code.unwrap_or(expected));
                record.collect = Some(shown);
                record.answer = Some(AnswerToClient {
                    at: std::time::Instant::now(),
                    status: answer.status,
                    content_type: content_type.clone(),
                    body,
                    from_target: true,
                });
                if let Some(code) = code {
                    record.client_event(started, TargetEventKind::CollectAnswered { answer: code });
                }
            });
            let mut response = Response::new(Body::from(answer.body));
            *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
            // Every header of the target's answer but the connection's (its
            // WWW-Authenticate, Location, Retry-After, Set-Cookie...): the client
            // must see what it would see without the relay.
            crate::headers::append(&mut response, &crate::headers::passed_on(&answer.headers));
            response
        }
        Err(reason) => {
            let status = if exchange.timed_out { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
            let reason = secrets.scrub(&redact_userinfo(&reason));
            let what = if exchange.timed_out {
                format!("the target did not answer the collect in time ({reason})")
            } else if exchange.breach.is_some() {
                format!("the target's answer is beyond what the relay reads ({reason})")
            } else {
                format!("the target could not be reached or broke off its answer ({reason})")
            };
            let text = format!("pens-conform relay: not relayed: {what}\r\n");
            shared.records.update(key, |record| {
                record.collect = Some(shown);
                record.answer = Some(AnswerToClient {
                    at: std::time::Instant::now(),
                    status: status.as_u16(),
                    content_type: Some("text/plain; charset=utf-8".to_owned()),
                    body: Bytes::from(text.clone()),
                    from_target: false,
                });
                record.not_relayed(Leg::Collect, Some(status.as_u16()), what);
            });
            plain(status, text)
        }
    }
}

/// The collect's secret values: its secret elements, and the password of any URL
/// element's userinfo (as written, and decoded).
fn secrets_of(decoded: &pens_proto::DecodedCollect) -> Secrets {
    let mut secrets = Secrets::of(decoded);
    let command = &decoded.command;
    for url in [&command.package_url, &command.receipt, &command.alerts].into_iter().flatten() {
        if let Some((_, password)) = pens_proto::userinfo_of(url) {
            secrets.also(password);
            secrets.also(&percent_encoding::percent_decode_str(password).decode_utf8_lossy());
        }
    }
    secrets
}

/// The client-side record of the collect carries the code the target answered.
fn set_collect_answer(record: &mut PublishRecord, code: ErrorCode) {
    for event in &mut record.client_side {
        if let TargetEventKind::CollectReceived { answer, .. } = &mut event.kind {
            *answer = code;
        }
    }
}

/// The exchange as it may be shown: the request's secret values redacted, the
/// collect's secrets blanked in the answer.
fn shown_exchange(exchange: &CollectExchange, secrets: &Secrets) -> CollectExchange {
    let mut shown = exchange.clone();
    shown.request_line = match exchange.request_line.split_once('?') {
        Some((head, query)) => format!("{}?{}", redact_userinfo(head), redact_form(query)),
        None => redact_userinfo(&exchange.request_line),
    };
    shown.request_line = secrets.scrub(&shown.request_line);
    shown.request_body = secrets.scrub(&redact_form(&exchange.request_body));
    shown.outcome = match &exchange.outcome {
        Ok(answer) => {
            let mut answer = answer.clone();
            answer.body = Bytes::from(secrets.scrub_bytes(&answer.body));
            Ok(answer)
        }
        Err(reason) => Err(secrets.scrub(&redact_userinfo(reason))),
    };
    shown
}

/// `path?query` of the client's request, secret values redacted.
fn shown_request_target(path: &str, query: Option<&str>, secrets: &Secrets) -> String {
    match query {
        Some(query) => secrets.scrub(&format!("{path}?{}", redact_form(query))),
        None => path.to_owned(),
    }
}

/// A collect too large to read: refused (413) as the mock target refuses one, recorded
/// as a publish the relay could not pass on.
fn too_large(shared: &Shared, method: &Method, uri: &Uri, seen: u64, declared: Option<u64>) -> Response {
    let number = shared.next_number();
    let key = format!("p{number}");
    let received = RelayedCollect {
        method: method.to_string(),
        url: uri.path().chars().take(300).collect(),
        content_type: None,
        raw: Bytes::new(),
    };
    let mut record = PublishRecord::new(key, number, received);
    let refusal = CollectRefusal::body_too_large(method.as_str(), uri.path(), seen, declared);
    record.client_event(shared.started, TargetEventKind::CollectRefused { refusal });
    let reason = format!("the collect is larger than the {MAX_COLLECT_BYTES} bytes the relay reads");
    record.not_relayed(Leg::Collect, Some(StatusCode::PAYLOAD_TOO_LARGE.as_u16()), reason);
    shared.records.admit(record);
    let mut response = plain(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("pens-conform relay: a collect is at most {MAX_COLLECT_BYTES} bytes\r\n"),
    );
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A request head too large for the HTTP layer, refused (431) before any handler saw
/// it: recorded as the refused collect it was, as the mock target records one, when
/// it is a request line at all.
pub(crate) fn refused_head(shared: &Shared, head: RefusedHead) {
    let Some((method, path, _)) = request_start(&head.start) else {
        tracing::debug!(bytes = head.seen, "the relay refused a request head that is no request line");
        return;
    };
    let number = shared.next_number();
    let key = format!("p{number}");
    let received = RelayedCollect { method: method.clone(), url: path.clone(), content_type: None, raw: Bytes::new() };
    let mut record = PublishRecord::new(key, number, received);
    let limit = MAX_REQUEST_HEAD_BYTES as u64;
    let refusal =
        CollectRefusal { method, path, part: RefusedPart::Head, seen: head.seen, declared: None, limit, status: 431 };
    record.client_event(shared.started, TargetEventKind::CollectRefused { refusal });
    let reason = format!("the collect's request head is larger than the {limit} bytes the relay reads");
    record.not_relayed(Leg::Collect, Some(431), reason);
    shared.records.admit(record);
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// What the relay does with one collect's URLs.
struct Plan {
    replacements: Vec<Replacement>,
    rewrites: Vec<Rewrite>,
    publish: Publish,
}

impl Plan {
    /// Nothing rewritten, for `why`.
    fn untouched(command: &CollectCommand, secrets: &Secrets, why: &str) -> Plan {
        let rewrites =
            [("package-url", &command.package_url), ("receipt", &command.receipt), ("alerts", &command.alerts)]
                .into_iter()
                .filter_map(|(element, value)| {
                    value.as_deref().map(|value| Rewrite {
                        element,
                        original: secrets.scrub(&redact(value)),
                        rewritten: None,
                        note: Some(why.to_owned()),
                    })
                })
                .collect();
        Plan { replacements: Vec::new(), rewrites, publish: Publish { secrets: secrets.clone(), ..Publish::default() } }
    }

    /// `package-url`, `receipt` and `alerts` pointed at the relay, where it can carry
    /// them.
    fn rewriting(shared: &Shared, key: &str, command: &CollectCommand, secrets: &Secrets) -> Plan {
        let mut plan = Plan {
            replacements: Vec::new(),
            rewrites: Vec::new(),
            publish: Publish { secrets: secrets.clone(), credentials: credentials_of(command), ..Publish::default() },
        };
        if let Some(original) = command.package_url.as_deref() {
            plan.package(shared, key, original, secrets);
        }
        let receipt = (command.receipt.as_deref(), "receipt");
        let alerts = (command.alerts.as_deref(), "alerts");
        for (value, element) in [receipt, alerts] {
            if let Some(original) = value {
                plan.notification(shared, key, element, original, secrets);
            }
        }
        plan
    }

    fn package(&mut self, shared: &Shared, key: &str, original: &str, secrets: &Secrets) {
        let shown = secrets.scrub(&redact(original));
        let url = match reqwest::Url::parse(original.trim()) {
            Ok(url) => url,
            Err(error) => {
                let note = format!("not a URL the relay can fetch ({error}): passed on as it came");
                self.rewrites.push(Rewrite {
                    element: "package-url",
                    original: shown,
                    rewritten: None,
                    note: Some(note),
                });
                return;
            }
        };
        if !matches!(url.scheme(), "http" | "https") {
            // The relay stages over http and https only. Pointing an ftp, ftps or sftp
            // package at an http relay would change what the target is asked to do, and
            // answering its fetch 502 would break a pair that works without the relay:
            // the URL goes on untouched, and that fetch is not observed.
            let note = format!(
                "the relay passes packages on over http and https only: this {} package URL went on as it came, \
                 so the target fetched it from the tool's server directly and the fetch was not observed",
                url.scheme()
            );
            self.rewrites.push(Rewrite { element: "package-url", original: shown, rewritten: None, note: Some(note) });
            return;
        }
        let base = if url.scheme() == "https" { &shared.staging_https_base } else { &shared.staging_http_base };
        let mut rewritten = format!("{base}/s/{}/{}", encode_segment(key), file_name_of(&url));
        if let Some(query) = url.query() {
            rewritten.push('?');
            rewritten.push_str(query);
        }
        let rewritten = with_userinfo_of(&rewritten, &url);
        if self.publish.credentials.is_none() && !url.username().is_empty() {
            let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
            self.publish.credentials = Some((decode(url.username()), decode(url.password().unwrap_or_default())));
        }
        self.publish.package_url = Some(original.trim().to_owned());
        self.replacements.push(Replacement { element: "package-url", value: rewritten.clone() });
        self.rewrites.push(Rewrite {
            element: "package-url",
            original: shown,
            rewritten: Some(secrets.scrub(&redact_userinfo(&rewritten))),
            note: None,
        });
    }

    fn notification(&mut self, shared: &Shared, key: &str, element: &'static str, original: &str, secrets: &Secrets) {
        let shown = secrets.scrub(&redact(original));
        let receipt = element == "receipt";
        let (rewritten, note) = match parse_ack_url(original) {
            Ok(AckUrl::Http(_)) => {
                let urls = shared.collector.urls(key);
                let ours = if receipt { urls.receipt } else { urls.alerts };
                // The client's query rides along: the relay passes on the query the
                // target sends back, so a target that mangles it is seen doing so.
                let ours = match reqwest::Url::parse(original.trim()) {
                    Ok(url) => {
                        let ours = match url.query() {
                            Some(query) => format!("{ours}?{query}"),
                            None => ours,
                        };
                        with_userinfo_of(&ours, &url)
                    }
                    Err(_) => ours,
                };
                if receipt {
                    self.publish.receipt = Some(original.trim().to_owned());
                } else {
                    self.publish.alerts = Some(original.trim().to_owned());
                }
                (Some(ours), None)
            }
            Ok(AckUrl::Mailto(mailto)) if shared.options.smtp_listen.is_some() => {
                let urls = shared.collector.mailto(key);
                let note = shared.options.smtp_relay.is_none().then(|| {
                    "no SMTP relay toward the client is set: the target's mail is recorded, not passed on".to_owned()
                });
                if receipt {
                    self.publish.receipt_mail = Some(mailto);
                    (Some(urls.receipt), note)
                } else {
                    self.publish.alerts_mail = Some(mailto);
                    (Some(urls.alerts), note)
                }
            }
            Ok(AckUrl::Mailto(_)) => (
                None,
                Some(
                    "a mailto: URL, left alone: the relay has no SMTP listener the target's mail is pointed at \
                     (smtp_listen), so it does not see this mail"
                        .to_owned(),
                ),
            ),
            Err(error) => (None, Some(format!("unusable ({error}): passed on as it came"))),
        };
        if let Some(value) = &rewritten {
            self.replacements.push(Replacement { element, value: value.clone() });
        }
        self.rewrites.push(Rewrite {
            element,
            original: shown,
            rewritten: rewritten.map(|value| secrets.scrub(&redact_userinfo(&value))),
            note,
        });
    }
}

/// The credentials the collect names for its package: `package-url-user-id` and
/// `-password` when either is given (CMI010 §6.2).
fn credentials_of(command: &CollectCommand) -> Option<(String, String)> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
    (given(&command.package_url_user_id) || given(&command.package_url_password)).then(|| {
        (
            command.package_url_user_id.clone().unwrap_or_default(),
            command.package_url_password.clone().unwrap_or_default(),
        )
    })
}

/// `ours` with the userinfo of `original`, as written: a target that presents a URL's
/// userinfo as credentials does the same with the relay's URL, and the relay passes
/// them on.
fn with_userinfo_of(ours: &str, original: &reqwest::Url) -> String {
    if original.username().is_empty() && original.password().is_none() {
        return ours.to_owned();
    }
    let Ok(mut url) = reqwest::Url::parse(ours) else { return ours.to_owned() };
    if url.set_username(original.username()).is_err() || url.set_password(original.password()).is_err() {
        return ours.to_owned();
    }
    url.to_string()
}
