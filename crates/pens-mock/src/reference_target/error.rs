//! Why the reference target could not start (or a defect name could not be read).
//!
//! Once running, the target never fails: what goes wrong with a collect, a fetch or a
//! receipt is PENS behaviour (an error code, a recorded event), not a Rust error.

use std::io;
use std::net::SocketAddr;

use super::defect::Defect;

/// An error starting the reference target or reading its options.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceTargetError {
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
    #[error("the reference target must be started inside a tokio runtime")]
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
    /// A `--defect` name that is not one of [`Defect::ALL`].
    #[error("unknown defect `{name}`; known defects: {}", known_defects())]
    UnknownDefect {
        /// The name given.
        name: String,
    },
}

fn known_defects() -> String {
    Defect::ALL.map(Defect::name).join(", ")
}
