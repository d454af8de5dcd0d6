//! What the client-mode tests share: the client scenarios, a reference client driven
//! in-process as the trigger, short deadlines.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use pens_reference::{ClientDefect, PublishRequest, ReferenceClient, ReferenceClientOptions};
use pens_report::RunReport;
use pens_runner::{ClientDeadlines, ClientRunOptions, Trigger, TriggerCall, run_client_suite};
use pens_scenario::ClientScenario;

use crate::support::{packages_dir, workspace};

/// Every scenario of `scenarios/client`; a load error fails the test that asked.
pub(crate) fn client_scenarios() -> Vec<ClientScenario> {
    let (scenarios, errors) = pens_scenario::load_client_dir(workspace().join("scenarios").join("client"));
    assert!(errors.is_empty(), "scenarios/client does not load: {}", pens_scenario::render_plain_all(&errors));
    assert!(!scenarios.is_empty(), "scenarios/client is empty");
    scenarios
}

/// Deadlines for runs against the reference client: it publishes and answers at once,
/// so these only bound a broken run.
pub(crate) fn deadlines() -> ClientDeadlines {
    ClientDeadlines {
        collect: Duration::from_secs(10),
        answers: Duration::from_secs(5),
        quiet: Duration::from_millis(200),
    }
}

/// Options for a run on loopback, trusting `trust_pem`.
pub(crate) fn options(trust_pem: Option<String>) -> ClientRunOptions {
    let mut options = ClientRunOptions::new(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    options.deadlines = deadlines();
    options.trust_pem = trust_pem;
    options
}

/// A reference client with `defect`, staging over HTTPS (the mock target must trust
/// its CA) behind basic credentials.
pub(crate) async fn reference_client(defect: Option<ClientDefect>) -> Arc<ReferenceClient> {
    let options = ReferenceClientOptions::builder()
        .defect(defect)
        .https(true)
        .credentials("pens-author", crate::client_suite::STAGING_PASSWORD)
        .build();
    Arc::new(
        ReferenceClient::start(IpAddr::V4(Ipv4Addr::LOCALHOST), options).await.expect("the reference client starts"),
    )
}

/// The trigger that makes `client` publish the SCORM 1.2 fixture, one course per
/// scenario and publish.
pub(crate) fn trigger_for(client: &Arc<ReferenceClient>) -> Trigger {
    let client = Arc::clone(client);
    Trigger::Callback(Arc::new(move |call: TriggerCall| {
        let client = Arc::clone(&client);
        Box::pin(async move {
            let course = format!("{}-{}", call.scenario_id, call.copy);
            let request = PublishRequest::from_fixture(&packages_dir(), "scorm12-minimal.zip", course)
                .expect("the scorm12-minimal fixture");
            client.publish(&call.target_url, request).await;
        })
    }))
}

/// The client suite against a reference client with `defect`.
pub(crate) async fn run_against(defect: Option<ClientDefect>) -> RunReport {
    let client = reference_client(defect).await;
    let options = options(Some(client.ca_pem().to_owned()));
    let trigger = trigger_for(&client);
    run_client_suite(&client_scenarios(), &options, &trigger, &mut |_| {}).await.expect("the harness starts").report
}
