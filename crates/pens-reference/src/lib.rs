//! The built-in reference implementations: stand-ins for an implementation under test,
//! each correct unless told to make one known deviation, so that every check of the
//! harness can be seen to pass and to fail.
//!
//! - [`ReferenceTarget`]: the mock target of pens-parties ([`pens_parties::MockTarget`])
//!   with a [`Defect`] turned into its [`pens_parties::TargetBehaviour`] (`serve
//!   target`, the target suite of `selftest`);
//! - [`ReferenceClient`]: an authoring-tool stand-in with its [`ClientDefect`]s (`serve
//!   client`, the client suite of `selftest`).
//!
//! The engine (pens-runner) never depends on this crate: client mode plays the mock
//! target of pens-parties, without defects. Only the binary (`selftest`, `serve`) and
//! tests use it.

mod client;
mod target;

pub use client::{
    ClientDefect, ClientEvent, ClientEventKind, CollectAnswer, DEFAULT_COLLECT_TIMEOUT, PACKAGE_ID_NAMESPACE,
    PackageRequest, Publication, PublishRequest, REFERENCE_CLIENT_NAME, ReceivedNotification, ReferenceClient,
    ReferenceClientError, ReferenceClientOptions, ReferenceClientOptionsBuilder, StagingProtocol,
};
pub use target::{
    Defect, ReferenceTarget, ReferenceTargetError, ReferenceTargetOptions, ReferenceTargetOptionsBuilder, behaviour_of,
};
