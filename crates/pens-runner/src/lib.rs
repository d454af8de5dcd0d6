//! Runs pens-conform scenarios against a PENS implementation.
//!
//! The runner starts the parties pens-conform plays (`pens-parties`), turns each scenario
//! (`pens-scenario`) into a collect and expectations, gathers what the target does with
//! deadlines instead of sleeps, judges it with pure functions, and reports every
//! scenario's result as it finishes. It knows nothing of the command line: the binary
//! hands it [`RunOptions`] (or reads them from an implementation profile,
//! [`profile::Profile`]) and receives a [`pens_report::RunReport`]. Whatever the
//! implementation sends is held to [`Limits`]: a breach is a verdict, never a hang or
//! an exhausted harness. Load mode ([`run_load`]) runs many publish cycles against one
//! target and measures them.
//!
//! Every mode runs on one engine (`engine`), generic over the mode: target mode
//! ([`run_target_suite`]), client mode ([`run_client_suite`]) and observe mode
//! ([`run_observe`], a relay between a real tool and a real LMS judging both) are impls
//! of its `Mode` trait. The engine owns scheduling, budgets, the rules every result obeys and
//! the events ([`RunEvent`]); the report is built from the events alone
//! ([`ReportBuilder`]). Checks both modes make are written once (`checks`). See
//! `docs/architecture.md`.

mod account;
mod advisory;
mod checks;
mod client;
mod context;
mod copies;
mod descriptors;
mod discovery;
mod endpoint;
mod engine;
mod evaluate;
mod evidence;
mod exchanges;
mod from_scenario;
mod gather;
#[cfg(test)]
mod layering;
mod limits;
mod load;
mod location;
mod observe;
mod options;
mod parties;
mod plan;
mod preflight;
pub mod profile;
pub mod profile_ranges;
mod profile_reader;
mod request;
mod saturation;
mod schedule;
mod secret;
mod sighting;
mod step;
mod target;
mod unsolicited;
mod watched;

pub use advisory::SECURITY_TAG;
pub use client::{
    ClientDeadlines, ClientRunOptions, TERM_GRACE, Trigger, TriggerCall, TriggerCallback, end_trigger_groups,
    run_client_suite,
};
pub use endpoint::{EndpointError, check_endpoint};
pub use engine::{ReportBuilder, RunError, RunEvent, RunOutput};
pub use limits::Limits;
pub use load::{LoadError, LoadEvent, LoadOptions, LoadProgress, run_load};
pub use observe::{JudgedPublish, ObserveOptions, judge_publish, run_observe};
pub use options::{Deadlines, RunOptions, matches_pattern};
pub use target::run_target_suite;
