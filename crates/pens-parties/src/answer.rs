//! Reading an HTTP answer from the implementation within [`AnswerLimits`]: the target's
//! answer to a collect (the mock client), the client's answer to a receipt or alert
//! (the reference target in client mode).
//!
//! A PENS answer is four short lines (CMI010 §6.3). Whatever the peer announces or
//! sends, the head is judged against the header caps before the body is touched, a
//! `Content-Length` above the body cap is refused before a byte of the body is read,
//! and a body without one is read chunk by chunk and dropped as soon as it passes the
//! cap, so memory never grows past the cap.

use bytes::BytesMut;

use crate::client::HttpAnswer;
use crate::limits::{AnswerLimits, Limit, LimitBreach, bytes_text};

/// Why no answer could be kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerProblem {
    /// A cap was reached.
    Breach(LimitBreach),
    /// The body broke off: what says after how much and why, `partial` is what came.
    Broken {
        /// In words.
        what: String,
        /// The body as far as it came.
        partial: bytes::Bytes,
    },
}

/// Reads `response` within `limits`.
pub async fn read_answer(mut response: reqwest::Response, limits: &AnswerLimits) -> Result<HttpAnswer, AnswerProblem> {
    let status = response.status().as_u16();
    if let Some(breach) = head_breach(response.headers(), limits) {
        return Err(AnswerProblem::Breach(breach));
    }
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let announced = response.content_length();
    let said = |announced: Option<u64>| match announced {
        Some(length) => format!("Content-Length said {length}"),
        None => "it had no Content-Length".to_owned(),
    };
    let over = |read: Option<u64>| {
        let after = read.map(|n| format!(", after {n} bytes")).unwrap_or_default();
        AnswerProblem::Breach(LimitBreach::new(
            Limit::AnswerBytes,
            format!(
                "the answer was larger than the {} limit ([limits] {}); reading stopped there{after}; {}",
                bytes_text(limits.bytes),
                Limit::AnswerBytes.key(),
                said(announced)
            ),
        ))
    };
    if announced.is_some_and(|length| length > limits.bytes) {
        return Err(over(None));
    }
    let mut body = BytesMut::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let read = body.len() as u64 + chunk.len() as u64;
                if read > limits.bytes {
                    return Err(over(Some(read)));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) => {
                let what = format!(
                    "status {status}, but the body broke off after {} bytes: {}",
                    body.len(),
                    crate::client::root_cause(&error)
                );
                return Err(AnswerProblem::Broken { what, partial: body.freeze() });
            }
        }
    }
    Ok(HttpAnswer { status, headers, body: body.freeze() })
}

/// The breach of a header cap by `headers`, if any. Each line counts its name, value,
/// `: ` and CR LF.
pub(crate) fn head_breach(headers: &reqwest::header::HeaderMap, limits: &AnswerLimits) -> Option<LimitBreach> {
    let count = headers.len();
    if count > limits.header_count {
        return Some(LimitBreach::new(
            Limit::HeaderCount,
            format!(
                "the answer carried {count} header lines, more than the {} allowed ([limits] {})",
                limits.header_count,
                Limit::HeaderCount.key()
            ),
        ));
    }
    let bytes: u64 = headers.iter().map(|(name, value)| (name.as_str().len() + value.len() + 4) as u64).sum();
    (bytes > limits.header_bytes).then(|| {
        LimitBreach::new(
            Limit::HeaderBytes,
            format!(
                "the answer's header lines took {bytes} bytes, more than the {} limit ([limits] {})",
                bytes_text(limits.header_bytes),
                Limit::HeaderBytes.key()
            ),
        )
    })
}

/// The breach behind a request error whose cause is a head the HTTP parser refused as
/// too large (more than 100 header lines, or more than about 400 KiB of head): hyper's
/// own caps, which stand in front of ours.
pub fn parser_breach(error: &reqwest::Error) -> Option<LimitBreach> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.downcast_ref::<hyper::Error>().is_some_and(hyper::Error::is_parse_too_large) {
            return Some(LimitBreach::new(
                Limit::HeaderCount,
                format!(
                    "the answer's head was larger than the HTTP parser accepts (more than 100 header lines, or about \
                     400 KiB of headers), so none of it was read ([limits] {}, {})",
                    Limit::HeaderCount.key(),
                    Limit::HeaderBytes.key()
                ),
            ));
        }
        source = current.source();
    }
    None
}
