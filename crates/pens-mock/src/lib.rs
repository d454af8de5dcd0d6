//! The parties pens-conform plays, on real sockets (see `docs/target-mode.md`): the
//! staging server that serves packages over HTTP, HTTPS, FTP and explicit FTPS, the
//! collector that receives receipts and alerts by HTTP and by mail, the mock client that
//! sends collect commands, the reference target, a correct PENS target with switchable
//! defects and per-scenario scripts (the target client mode plays), and the reference
//! client.
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
mod hostile_package;
mod internal;
mod limits;
mod mail_sink;
mod package;
mod package_body;
mod path;
mod saturation;
mod server;
mod smtp;
mod staging;
mod tls;
mod unsolicited;

// --- the reference target ---
mod reference_target;

// --- the reference client ---
mod reference_client;

// --- re-exports: network parties ---
pub use answer_gate::RECEIPT_HOLD;
pub use client::{CollectClient, CollectExchange, CollectRequest, HttpAnswer, Method, send_collect};
pub use collector::{
    BasicAuth, Collector, CollectorOptions, CollectorUrls, Endpoint, MAX_NOTIFICATION_BYTES, NotificationEvent,
};
pub use descriptors::{DescriptorExhaustion, exhaustion_between, exhaustion_since, is_exhaustion, open_file_limit};
pub use error::MockError;
pub use hostile_package::{
    FILLER_ENTRY, ZIP_BOMB_ENTRIES, ZIP_BOMB_ENTRY_BYTES, ZIP_SLIP_ENTRIES, oversized_zip, zip_bomb, zip_slip,
};
pub use internal::{InternalRequest, InternalService, internal_body};
pub use limits::{AnswerLimits, DEFAULT_HEADER_READ_TIMEOUT, Limit, LimitBreach, ListenerLimits, Overflow, PeerLimits};
pub use mail_sink::{MAIL_DOMAIN, MailDetails};
pub use package::{
    IN_MEMORY_FOLDER_BYTES, REWRITABLE_PACKAGE_BYTES, ZIP_MAGIC, corrupt, fixture_package, sized_package, zip_directory,
};
pub use package_body::PackageBody;
pub use saturation::{Saturation, Window as SaturationWindow};
pub use server::TlsFailure;
pub use staging::{
    CredentialsPresented, FtpLoginFailure, FtpsMode, StagedPackage, StagingBehaviour, StagingEvent, StagingPlan,
    StagingServer,
};
pub use tls::RunCa;
pub use unsolicited::{MAX_UNSOLICITED_EXAMPLES, UnsolicitedCount};
// --- re-exports: reference target ---
pub use reference_target::{
    CollectRefusal, DEFAULT_CLIENT_NAME, DEFAULT_FETCH_TIMEOUT, DEFAULT_MAX_PACKAGE_BYTES, Defect, Delivery,
    DeliveryMethod, KeptPackage, MAX_ANSWER_RAW_BYTES, MAX_COLLECT_BYTES, MAX_UNSOLICITED_COLLECT_BYTES,
    MINIMAL_NOTIFICATION_FIELDS, NotificationContent, PackageReader, ReferenceTarget, ReferenceTargetError,
    ReferenceTargetOptions, ReferenceTargetOptionsBuilder, ReferenceTargetState, RefusedPart, TargetEvent,
    TargetEventKind, TargetScript, TargetScriptBuilder, app, full_capabilities, reference_capabilities,
};
// --- re-exports: reference client ---
pub use reference_client::{
    ClientDefect, ClientEvent, ClientEventKind, CollectAnswer, DEFAULT_COLLECT_TIMEOUT, PACKAGE_ID_NAMESPACE,
    PackageRequest, Publication, PublishRequest, REFERENCE_CLIENT_NAME, ReceivedNotification, ReferenceClient,
    ReferenceClientError, ReferenceClientOptions, ReferenceClientOptionsBuilder, StagingProtocol,
};
