//! The built-in reference target: the mock target of pens-parties, a correct PENS target
//! (our own LMS stand-in), with one switchable [`Defect`].
//!
//! `pens-conform serve target` runs it for people to point clients or the harness at,
//! and `selftest` runs the harness against it: once conformant, where every check must
//! pass, and once per [`Defect`], where the check watching for that deviation must
//! fail. What it does is the mock target's (see [`pens_parties::MockTarget`] and
//! `docs/target-mode.md`, "The reference target"); this module only names the defects
//! and turns each into the mock target's [`pens_parties::TargetBehaviour`]
//! ([`Defect::behaviour`]).

mod defect;
mod error;
mod options;
mod server;

pub use defect::{Defect, behaviour_of};
pub use error::ReferenceTargetError;
pub use options::{ReferenceTargetOptions, ReferenceTargetOptionsBuilder};
pub use server::ReferenceTarget;
