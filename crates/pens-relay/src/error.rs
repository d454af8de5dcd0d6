//! What can stop a relay from starting. Once it runs, nothing either side does is an
//! error: it is recorded in the publish's [`super::PublishRecord`].

use pens_parties::MockError;

/// A relay could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// A listener, the CA or an HTTP client could not be set up.
    #[error(transparent)]
    Party(#[from] MockError),
    /// The target URL is no http(s) URL the relay can forward to (shown without its
    /// password).
    #[error("cannot forward collects to `{url}`: {reason}")]
    TargetUrl {
        /// The URL, password hidden.
        url: String,
        /// Why not.
        reason: String,
    },
    /// A certificate of `trust_pem` is unusable.
    #[error("a certificate to trust is unusable: {reason}")]
    Trust {
        /// What was wrong.
        reason: String,
    },
}
