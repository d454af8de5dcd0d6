//! Integration tests of pens-runner: the whole engine on real sockets (port 0) against
//! the reference target, with and without defects, against misbehaving targets, and
//! the report it builds; load mode's publish cycles.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tests/alternatives.rs"]
mod alternatives;
#[path = "tests/client_defects.rs"]
mod client_defects;
#[path = "tests/client_limits.rs"]
mod client_limits;
#[path = "tests/client_messages.rs"]
mod client_messages;
#[path = "tests/client_suite.rs"]
mod client_suite;
#[path = "tests/client_support.rs"]
mod client_support;
#[path = "tests/conformant.rs"]
mod conformant;
#[path = "tests/curl_target.rs"]
mod curl_target;
#[path = "tests/defects.rs"]
mod defects;
#[path = "tests/discovery.rs"]
mod discovery;
#[path = "tests/large.rs"]
mod large;
#[path = "tests/limits.rs"]
mod limits;
#[path = "tests/load.rs"]
mod load;
#[path = "tests/misbehaving.rs"]
mod misbehaving;
#[path = "tests/observe.rs"]
mod observe;
#[path = "tests/observe_judging.rs"]
mod observe_judging;
#[path = "tests/order.rs"]
mod order;
#[path = "tests/raw_http.rs"]
mod raw_http;
#[path = "tests/redact.rs"]
mod redact;
#[path = "tests/security.rs"]
mod security;
#[path = "tests/snapshots.rs"]
mod snapshots;
#[path = "tests/support.rs"]
mod support;
#[path = "tests/tls_attribution.rs"]
mod tls_attribution;
#[path = "tests/transports.rs"]
mod transports;
