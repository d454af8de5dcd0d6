//! Writing the answer to a collect (CMI010 §6.3, App. A table A-2), and knowing when
//! it has left.
//!
//! CMI010 §5 makes the acknowledgement synchronous: the target answers, then fetches.
//! A handler that merely spawns the fetch before returning races its own answer on a
//! busy machine. The answer body therefore carries a signal that fires when the HTTP
//! server is done with it (written to the connection, or dropped); the background job
//! waits for that signal, so "answered before fetching" holds by construction.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};
use pens_proto::{ErrorCode, PensResponse, RESPONSE_CONTENT_TYPE};
use tokio::sync::oneshot;

use super::behaviour::BodyStyle;

/// The `error-text` of an answer: the spec example's wording for 0, the registry's
/// meaning for any other code.
pub(crate) fn answer_text(code: ErrorCode) -> String {
    if code.is_success() {
        "collect command received and understood".to_owned()
    } else {
        code.describe().trim_end_matches('.').to_owned()
    }
}

/// The answer to a collect with `code`, written in `style`; `browser` holds what a
/// GET collect carried for [`BodyStyle::EchoingHtml`] to show. `answered` fires once
/// the server has finished with the body.
pub(crate) fn render(
    code: ErrorCode,
    style: BodyStyle,
    browser: Option<&BrowserEcho>,
    answered: oneshot::Sender<()>,
) -> Response {
    let (content_type, text) = match (style, browser) {
        (BodyStyle::Pens, _) | (BodyStyle::EchoingHtml, None) => (RESPONSE_CONTENT_TYPE, pens_body(code)),
        (BodyStyle::PensLfOnly, _) => (RESPONSE_CONTENT_TYPE, pens_body(code).replace("\r\n", "\n")),
        (BodyStyle::Html, _) => ("text/html; charset=utf-8", html_body(code)),
        (BodyStyle::EchoingHtml, Some(echo)) => ("text/html; charset=utf-8", echoing_body(code, echo)),
    };
    let body = Body::new(SignalWhenSent { inner: Body::from(text), answered: Some(answered) });
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn pens_body(code: ErrorCode) -> String {
    PensResponse::error(code, answer_text(code)).encode()
}

/// The values of a GET collect a browser-friendly answer would show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BrowserEcho {
    pub(crate) client: String,
    pub(crate) vendor_data: String,
}

/// The PENS response with a page in pens-data that shows the collect's values as they
/// came, unescaped: what a template that forgot to escape produces.
fn echoing_body(code: ErrorCode, echo: &BrowserEcho) -> String {
    let mut response = PensResponse::error(code, answer_text(code));
    response.pens_data =
        format!("<p>Package received from {}.</p><p>Vendor data: {}</p>", echo.client, echo.vendor_data);
    response.encode()
}

/// What a web application that forgot PENS answers: a friendly page. It says the code
/// in words only, so no `error=` line can be read from it.
fn html_body(code: ErrorCode) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>Package submission</title></head>\n\
         <body><h1>Package submission</h1><p>Result code {code}: {}.</p></body></html>\n",
        answer_text(code)
    )
}

/// A body that fires its signal when it has been read to the end or dropped.
struct SignalWhenSent {
    inner: Body,
    answered: Option<oneshot::Sender<()>>,
}

impl SignalWhenSent {
    fn fire(&mut self) {
        if let Some(answered) = self.answered.take() {
            // The receiver may be gone (target shutting down): nothing to tell then.
            let _ = answered.send(());
        }
    }
}

impl HttpBody for SignalWhenSent {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            this.fire();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for SignalWhenSent {
    fn drop(&mut self) {
        self.fire();
    }
}

#[cfg(test)]
mod tests {
    use pens_proto::parse_response;

    use super::*;

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn the_pens_body_is_exact_and_the_signal_fires_once_it_is_read() {
        let (tx, mut rx) = oneshot::channel();
        let response = render(ErrorCode(1304), BodyStyle::Pens, None, tx);
        assert_eq!(response.headers()[CONTENT_TYPE], "text/plain");
        assert!(rx.try_recv().is_err(), "fired before the body was sent");
        let body = body_of(response).await;
        assert_eq!(rx.try_recv(), Ok(()));
        let parsed = parse_response(body.as_bytes());
        assert!(parsed.findings.is_empty(), "{:?}", parsed.findings);
        assert_eq!(parsed.error, Some(ErrorCode(1304)));
        assert!(body.starts_with("error=1304\r\nerror-text=FTP not supported"), "{body}");
    }

    #[tokio::test]
    async fn defective_styles_differ_from_the_pens_body() {
        let (tx, _rx) = oneshot::channel();
        let lf = body_of(render(ErrorCode(0), BodyStyle::PensLfOnly, None, tx)).await;
        assert!(lf.contains('\n') && !lf.contains('\r'), "{lf:?}");
        let (tx, _rx) = oneshot::channel();
        let html = render(ErrorCode(0), BodyStyle::Html, None, tx);
        assert_eq!(html.status(), StatusCode::OK);
        assert!(html.headers()[CONTENT_TYPE].to_str().unwrap_or_default().starts_with("text/html"));
        let body = body_of(html).await;
        assert_eq!(parse_response(body.as_bytes()).error, None, "{body}");
    }

    #[tokio::test]
    async fn an_echoing_answer_shows_a_get_collect_s_values_unescaped_as_html() {
        let echo = BrowserEcho { client: "<b>tool</b>".into(), vendor_data: "\"><i>x".into() };
        let (tx, _rx) = oneshot::channel();
        let page = render(ErrorCode(0), BodyStyle::EchoingHtml, Some(&echo), tx);
        assert!(page.headers()[CONTENT_TYPE].to_str().unwrap_or_default().starts_with("text/html"));
        let body = body_of(page).await;
        assert!(body.contains("from <b>tool</b>.") && body.contains("\"><i>x"), "{body}");
        assert_eq!(parse_response(body.as_bytes()).error, Some(ErrorCode(0)));
        // A POST collect (no values to show) gets the plain answer.
        let (tx, _rx) = oneshot::channel();
        let plain = render(ErrorCode(0), BodyStyle::EchoingHtml, None, tx);
        assert_eq!(plain.headers()[CONTENT_TYPE], "text/plain");
    }

    #[test]
    fn a_dropped_answer_still_fires() {
        let (tx, mut rx) = oneshot::channel();
        drop(render(ErrorCode(0), BodyStyle::Pens, None, tx));
        assert_eq!(rx.try_recv(), Ok(()));
    }
}
