//! The pens-conform scenario language: one TOML file per check, loaded into a typed
//! model whose every node knows where it was written.
//!
//! A [`Scenario`] says which collect to send a target, how the staging server behaves,
//! and what the target must do ([`Expectations`]); `docs/target-mode.md` ("Scenario
//! files") specifies the language. [`load_dir`] reads a directory of them and reports
//! every problem of every file as a [`ScenarioError`]: a `miette` diagnostic with the
//! file, a labelled span and a "did you mean", which [`render_plain`] prints in rustc's
//! layout. Values may hold `{{placeholders}}` ([`Template`]), checked at load time and
//! filled in by the runner through [`TemplateContext`].
//!
//! Client scenarios (`scenarios/client/`, client mode: pens-conform plays the target for
//! an authoring tool) are a second, smaller language read by the same machinery: a
//! [`ClientScenario`] scripts our mock target ([`TargetScriptSpec`]) and says what the
//! client must do ([`ClientExpectations`]); [`load_client_dir`] and
//! [`parse_client_scenario`] load them with the same diagnostics.
//!
//! Every key and every closed vocabulary of both languages is written once, in a table
//! (the key tables of `keys.rs` and the [`Keyword`] enums) whose entries carry their
//! documentation: the converter reads keys through them, and the JSON Schemas
//! ([`target_scenario_schema`], [`client_scenario_schema`]) and the keyword lists of the
//! docs ([`fill_keyword_lists`]) are generated from them.
//!
//! Other hand-written TOML files of the harness get the same diagnostics from the same
//! code: the implementation profile (pens-runner) reads its text through
//! [`parse_toml_tree`], suggests with [`did_you_mean`], and reports each problem as a
//! [`ScenarioError`] made with [`ScenarioError::in_text`], which [`render_plain`] prints.
//!
//! The crate reads scenario files and nothing else: no network, no async. Requirement ids,
//! element names and error codes are checked against pens-proto.
//!
//! ```
//! use pens_scenario::{parse_scenario, render_plain_all};
//!
//! let text = r#"
//! id = "x"
//! title = "A misspelt section is an error, not a check that never runs"
//! requirements = ["target.receipt.sent"]
//!
//! [expect]
//! recipt = { count = 1 }
//! "#;
//! let errors = parse_scenario("scenarios/target/x.toml", text).unwrap_err();
//! assert_eq!(
//!     render_plain_all(&errors),
//!     "error: unknown key `recipt` in [expect]
//!  --> scenarios/target/x.toml:7:1
//!   |
//! 7 | recipt = { count = 1 }
//!   | ^^^^^^ did you mean `receipt`?
//!   |
//!   = help: valid keys in [expect]: response, fetch, receipt, alerts, internal, any_of
//! "
//! );
//! ```

mod client_convert;
mod client_model;
mod convert;
mod docs_lists;
mod error;
mod expect;
mod json;
mod keys;
mod keyword;
mod load;
mod model;
mod reader;
mod render;
mod schema;
mod size;
mod span;
mod staging_behaviour;
mod suggest;
mod template;
mod tree;
mod validate;

pub use client_model::{
    AnswersExpectation, ClientExpectations, ClientScenario, CollectExpectation, FindingsMode, MAX_ALERTS, MAX_COLLECTS,
    NamespaceExpectation, NotificationDelivery, NotificationShape, PackageExpectation, TargetScriptSpec,
};
pub use docs_lists::{KEYWORD_LISTS, KeywordListError, fill_keyword_lists};
pub use error::{Note, ScenarioError, ScenarioErrorKind};
pub use expect::{
    AlertsExpectation, CredentialsExpectation, Expectations, FetchExpectation, FieldExpectation, InternalExpectation,
    InternalRequested, MAX_RECEIPT_COUNT, MissingReceipt, OtherErrors, Protocol, ReceiptExpectation,
    ResponseExpectation, ResponseFormat,
};
pub use keyword::Keyword;
pub use load::{
    load_client_dir, load_client_file, load_client_file_all, load_dir, load_file, load_file_all, parse_client_scenario,
    parse_scenario,
};
pub use model::{
    BehaviourName, Capability, Collect, DEFAULT_DRIBBLE_CHUNK_BYTES, DEFAULT_OVER_BYTES, DEFAULT_PACKAGE,
    DEFAULT_TRUNCATE_AFTER_BYTES, MAX_COPIES, MAX_OVER_BYTES, MAX_PACKAGE_SIZE, MIN_PACKAGE_SIZE, Method, Order,
    Scenario, ScenarioLevel, SetElement, Staging, StagingCredentials,
};
pub use render::{render_plain, render_plain_all};
pub use schema::{client_scenario_schema, target_scenario_schema};
pub use size::{SIZE_HINT, SIZE_UNITS, parse_size};
pub use span::{Span, Spanned};
pub use staging_behaviour::StagingBehaviour;
pub use suggest::did_you_mean;
pub use template::{
    MAX_NOW_OFFSET_SECONDS, MAX_REPEAT, Part, Placeholder, Template, TemplateContext, TemplateError, TemplateErrorKind,
};
pub use tree::{Key as TomlKey, Node as TomlNode, NodeKind as TomlNodeKind, parse as parse_toml_tree};
