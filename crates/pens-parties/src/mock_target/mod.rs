//! The mock target: a PENS target (an LMS stand-in) whose behaviour is a
//! [`TargetBehaviour`], conformant by default, and whose work per scenario is a
//! [`TargetScript`]: what client mode plays against an authoring tool, and what the
//! reference target of pens-reference is built on (it only chooses the behaviour, from
//! its seeded defect). It behaves as CMI010 asks of a target (see `docs/target-mode.md`,
//! "The reference target"):
//!
//! 1. a collect arrives by GET or POST at `/pens` (§5) and is judged by pens-proto;
//!    at `/pens/<key>` it follows the [`TargetScript`] registered for `key`
//!    ([`MockTarget::script`], [`MockTarget::url_for`]): client mode's way to
//!    make the target refuse, answer late, skip the fetch, report another outcome,
//!    send several alerts or deliver by GET, per scenario;
//! 2. the answer, the highest applicable code (§6.3) given the target's claims, leaves
//!    at once as a `text/plain`, CR LF PENS response. The claims switch transports:
//!    [`reference_capabilities`] is HTTP and HTTPS only (so 1304, 1306, 1510, 1520),
//!    [`full_capabilities`] adds FTP, explicit FTPS and `mailto:` receipts and alerts;
//! 3. after an answer of 0, in the background: fetch `package-url` (HTTP(S), or FTP(S)
//!    with suppaftp) with the collect's credentials, streaming a package beyond a MiB to
//!    a temp file rather than memory, check the archive against its
//!    `package-type` (entry names judged by pens-package), send exactly one receipt
//!    (0, 1310, 1312 or 1432) and, after a successful receipt, one alert (§5.1,
//!    App. A §2), unless the script says otherwise. Receipts and alerts go by HTTP, or by
//!    mail (lettre) through the SMTP relay ([`MockTarget::set_smtp_relay`]) to every
//!    address of a `mailto:` URL.
//!
//! In client mode ([`MockTargetOptions::scenario_keys_only`]) a collect of no
//! scenario in progress never reaches step 1: it is answered 404 and counted (`gate.rs`).
//!
//! Everything it does is recorded as [`TargetEvent`]s ([`MockTarget::activity`],
//! [`MockTarget::wait_for`]), each with the key of its URL: every collect byte for
//! byte and every answer of the client to a receipt or alert as it came, without
//! passwords.

pub(crate) mod activity;
mod answer;
mod archive;
mod behaviour;
pub(crate) mod collect;
mod error;
pub(crate) mod fetch;
mod ftp_fetch;
mod gate;
mod job;
pub(crate) mod mail;
pub(crate) mod notify;
mod options;
pub(crate) mod redaction;
pub(crate) mod refusal;
mod script;
mod server;
pub(crate) mod spool;
mod state;

pub use activity::{Delivery, MAX_ANSWER_RAW_BYTES, TargetEvent, TargetEventKind};
pub use behaviour::{
    AckTiming, AnswerRule, ArchiveCheck, BodyStyle, CONFORMANT_STEPS, ReceiptPackageId, Step, TargetBehaviour,
};
pub use error::MockTargetError;
pub use fetch::DEFAULT_MAX_PACKAGE_BYTES;
pub use gate::MAX_UNSOLICITED_COLLECT_BYTES;
pub use options::{
    DEFAULT_CLIENT_NAME, DEFAULT_FETCH_TIMEOUT, MockTargetOptions, MockTargetOptionsBuilder, full_capabilities,
    reference_capabilities,
};
pub(crate) use refusal::KEPT_START_BYTES;
pub use refusal::{CollectRefusal, MAX_COLLECT_BYTES, RefusedPart};
pub use script::{DeliveryMethod, MINIMAL_NOTIFICATION_FIELDS, NotificationContent, TargetScript, TargetScriptBuilder};
pub use server::MockTarget;
pub use spool::{KeptPackage, PackageReader};
pub use state::{MockTargetState, app};
