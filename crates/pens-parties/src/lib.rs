//! The parties pens-conform plays, on real sockets (see `docs/target-mode.md`): the
//! staging server that serves packages over HTTP, HTTPS, FTP and explicit FTPS (and
//! the hostile packages of the security scenarios), the collector that receives
//! receipts and alerts by HTTP and by mail, the collect client that sends collect
//! commands, the run's CA, and the [`MockTarget`], a PENS target with per-scenario
//! scripts whose behaviour is a [`TargetBehaviour`] (conformant by default): the target
//! client mode plays. Observe mode's relay (pens-relay) is built on these parties.
//!
//! The engine (pens-runner) depends on this crate and never on pens-reference, whose
//! reference target and client, with their seeded defects, are built on these parties.
//!
//! Every server binds a given address (port 0 in tests), reports where it listens,
//! records what happens, and shuts down when dropped.

// --- network parties (staging, collector, client, TLS) ---
mod answer;
mod answer_gate;
mod client;
mod collector;
mod descriptors;
mod error;
mod events;
mod head_tap;
mod internal;
mod limits;
mod mail_sink;
mod package;
pub mod path;
mod saturation;
mod server;
mod smtp;
mod staging;
mod tls;
mod unsolicited;

// --- the mock target ---
mod mock_target;

// --- plain HTTP listeners for parties built outside this crate ---
mod http;

// --- building blocks for observe mode's relay (pens-relay); no stable API ---
#[doc(hidden)]
pub mod internals;

// --- re-exports: network parties ---
pub use answer_gate::RECEIPT_HOLD;
pub use client::{CollectClient, CollectExchange, CollectRequest, HttpAnswer, Method, send_collect};
pub use collector::{
    ArrivedNotification, BasicAuth, Collector, CollectorOptions, CollectorUrls, Endpoint, MAX_NOTIFICATION_BYTES,
    NotificationEvent, NotificationRelay, RelayedAnswer,
};
pub use descriptors::{DescriptorExhaustion, exhaustion_between, exhaustion_since, is_exhaustion, open_file_limit};
pub use error::MockError;
pub use internal::{InternalRequest, InternalService, internal_body};
pub use limits::{AnswerLimits, DEFAULT_HEADER_READ_TIMEOUT, Limit, LimitBreach, ListenerLimits, Overflow, PeerLimits};
pub use mail_sink::{MAIL_DOMAIN, MailDetails};
pub use package::{
    IN_MEMORY_FOLDER_BYTES, REWRITABLE_PACKAGE_BYTES, SizedPackageError, ZIP_MAGIC, corrupt, fixture_package,
    sized_package, zip_directory,
};
// The bodies served and the hostile packages are built by pens-package (its `hostile`
// feature), the lowest crate that needs them; re-exported for the parties' users.
pub use pens_package::{
    BodyCursor, FILLER_ENTRY, PackageBody, ZIP_BOMB_ENTRIES, ZIP_BOMB_ENTRY_BYTES, ZIP_SLIP_ENTRIES, oversized_zip,
    zip_bomb, zip_slip,
};
pub use saturation::{Saturation, Window as SaturationWindow};
pub use server::TlsFailure;
pub use staging::{
    CredentialsPresented, DEFAULT_ANSWER_HOLD, FtpLoginFailure, FtpsMode, StagedPackage, StagingBehaviour,
    StagingEvent, StagingPlan, StagingServer,
};
pub use tls::{RunCa, crypto_provider};
pub use unsolicited::{MAX_UNSOLICITED_EXAMPLES, UnsolicitedCount};
// --- re-exports: the mock target ---
pub use mock_target::{
    AckTiming, AnswerRule, ArchiveCheck, BodyStyle, CONFORMANT_STEPS, CollectRefusal, DEFAULT_CLIENT_NAME,
    DEFAULT_FETCH_TIMEOUT, DEFAULT_MAX_PACKAGE_BYTES, Delivery, DeliveryMethod, KeptPackage, MAX_ANSWER_RAW_BYTES,
    MAX_COLLECT_BYTES, MAX_UNSOLICITED_COLLECT_BYTES, MINIMAL_NOTIFICATION_FIELDS, MockTarget, MockTargetError,
    MockTargetOptions, MockTargetOptionsBuilder, MockTargetState, NotificationContent, PackageReader, ReceiptPackageId,
    RefusedPart, Step, TargetBehaviour, TargetEvent, TargetEventKind, TargetScript, TargetScriptBuilder, app,
    full_capabilities, reference_capabilities,
};
// --- re-exports: HTTP listeners ---
pub use http::HttpListener;
