//! The built-in reference client: a correct PENS client (our own authoring-tool stand-in)
//! with switchable defects.
//!
//! It publishes one package at a time to a target URL, as CMI010 asks of a client
//! (App. A §2):
//!
//! 1. the package is staged on the client's own staging server, under a path of its
//!    own, over HTTP or HTTPS (the client mints its own CA: [`ReferenceClient::ca_pem`]),
//!    behind HTTP basic credentials if configured;
//! 2. the collect (§6.2) goes to the target by form POST: `pens-version=1.0.0`, the
//!    package's type, version and format, a `package-id` in the client's namespace
//!    ([`PACKAGE_ID_NAMESPACE`] plus the course id), the fully qualified package URL,
//!    an expiry an hour ahead in UTC with `Z`, the client's name, the staging
//!    credentials, and receipt and alerts URLs unique to the publication;
//! 3. receipts and alerts arriving there are answered with the PENS response of §6.3
//!    (`error=0`, `text/plain`, CR LF lines).
//!
//! Everything it does and sees is recorded as [`ClientEvent`]s, without passwords
//! ([`ReferenceClient::activity`], [`Publication::wait_for`]). A [`ClientDefect`] seeds
//! exactly one deviation, so that the checks of the harness's client mode can be seen
//! to fail; the rest of the client reads the knobs one decision function sets.

mod activity;
mod collect;
mod defect;
mod error;
mod options;
mod publication;
mod receipts;
mod request;
mod server;

pub use activity::{ClientEvent, ClientEventKind, CollectAnswer, PackageRequest, ReceivedNotification};
pub use defect::ClientDefect;
pub use error::ReferenceClientError;
pub use options::{
    DEFAULT_COLLECT_TIMEOUT, PACKAGE_ID_NAMESPACE, REFERENCE_CLIENT_NAME, ReferenceClientOptions,
    ReferenceClientOptionsBuilder, StagingProtocol,
};
pub use publication::Publication;
pub use request::PublishRequest;
pub use server::ReferenceClient;
