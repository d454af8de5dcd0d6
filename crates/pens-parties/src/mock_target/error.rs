//! Why the mock target could not start.
//!
//! Once running, the target never fails: what goes wrong with a collect, a fetch or a
//! receipt is PENS behaviour (an error code, a recorded event), not a Rust error.

use std::io;
use std::net::SocketAddr;

/// An error starting the mock target.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MockTargetError {
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The listener could not be handed to Tokio, or its address read.
    #[error("cannot set up the listener on {addr}")]
    Listener {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// `start` was called outside a Tokio runtime.
    #[error("the mock target must be started inside a tokio runtime")]
    NoRuntime,
    /// `extra_root_pem` holds no usable certificate.
    #[error("the extra root certificate is unusable: {reason}")]
    RootCertificate {
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for fetches and receipts could not be built.
    #[error("cannot build the http client for fetches and receipts")]
    HttpClient {
        /// What reqwest said.
        #[source]
        source: reqwest::Error,
    },
}
