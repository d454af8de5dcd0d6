//! Why the reference client could not start (or a defect name could not be read).
//!
//! Once running, the client never fails: a target that cannot be reached, a refused
//! collect or a receipt that never comes is PENS behaviour (a recorded event, the
//! exchange's outcome), not a Rust error.

use super::defect::ClientDefect;
use pens_parties::MockError;

/// An error starting the reference client or reading its options.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceClientError {
    /// One of the client's parties (its CA, staging server, receipt listener or HTTP
    /// client) could not be set up.
    #[error("cannot start the reference client's {party}")]
    Start {
        /// `"run ca"`, `"staging server"`, `"receipt listener"` or `"http client"`.
        party: &'static str,
        /// Why.
        #[source]
        source: MockError,
    },
    /// `extra_root_pem` holds no usable certificate.
    #[error("the extra root certificate is unusable: {reason}")]
    RootCertificate {
        /// What is wrong with it.
        reason: String,
    },
    /// A `--defect` name that is not one of [`ClientDefect::ALL`].
    #[error("unknown client defect `{name}`; known defects: {}", known_defects())]
    UnknownDefect {
        /// The name given.
        name: String,
    },
}

fn known_defects() -> String {
    ClientDefect::ALL.map(ClientDefect::name).join(", ")
}
