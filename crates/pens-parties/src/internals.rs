//! Building blocks of the parties for observe mode's relay (pens-relay), which is built
//! on them in a crate of its own: the relay is a job of its own, and pens-runner's
//! layering test holds that no crate does several. Not a stable API, hidden from the
//! documentation; pens-relay is its only user.

pub use crate::answer::{AnswerProblem, parser_breach, read_answer};
pub use crate::head_tap::{HeadHook, MAX_REQUEST_HEAD_BYTES, RefusedHead};
pub use crate::limits::bytes_text;
pub use crate::mock_target::collect::{BodyProblem, read_bounded};
pub use crate::mock_target::fetch::{FetchFailure, chain, redirect_breach, redirect_policy, root_certificates};
pub use crate::mock_target::redaction::{Secrets, redact_body};
pub use crate::mock_target::refusal::request_start;
pub use crate::mock_target::spool::{Spool, SpooledPackage};
pub use crate::server::{
    Bound, Scheme, ServerTask, Tls, TlsFailureLog, TlsFailures, bind, spawn, spawn_watching_heads,
};
pub use crate::staging::judge_credentials;
pub use crate::unsolicited::Unsolicited;
