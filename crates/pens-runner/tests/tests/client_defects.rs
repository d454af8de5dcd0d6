//! The client defect matrix: the client suite against the reference client once per
//! [`ClientDefect`], concurrently. Every defect must make some client scenario fail (or
//! warn, for a `should`), and every client scenario must be caught by some defect.

use std::collections::{BTreeMap, BTreeSet};

use pens_reference::ClientDefect;
use pens_report::Verdict;
use tokio::task::JoinSet;

use crate::client_support::{client_scenarios, run_against};

#[tokio::test(flavor = "multi_thread")]
async fn every_client_defect_is_caught_and_every_client_scenario_catches_one() {
    let mut runs = JoinSet::new();
    for defect in ClientDefect::ALL {
        runs.spawn(async move { (defect, run_against(Some(defect)).await) });
    }
    let mut caught: BTreeMap<ClientDefect, BTreeSet<String>> = BTreeMap::new();
    let mut catchers: BTreeMap<String, BTreeSet<ClientDefect>> =
        client_scenarios().into_iter().map(|s| (s.id.value, BTreeSet::new())).collect();
    while let Some(joined) = runs.join_next().await {
        let (defect, report) = joined.expect("a defect run");
        crate::support::assert_every_check_located(&report);
        for scenario in &report.scenarios {
            assert_ne!(scenario.verdict, Verdict::Error, "{defect}: {} errored: {:?}", scenario.id, scenario.note);
            if matches!(scenario.verdict, Verdict::Fail | Verdict::Warn) {
                caught.entry(defect).or_default().insert(scenario.id.clone());
                catchers.entry(scenario.id.clone()).or_default().insert(defect);
            }
        }
    }
    let mut table = String::new();
    for defect in ClientDefect::ALL {
        let ids: Vec<&str> = caught.get(&defect).map(|s| s.iter().map(String::as_str).collect()).unwrap_or_default();
        table.push_str(&format!("{defect:<22} {}\n", ids.join(", ")));
    }
    println!("{table}");
    let uncaught_defects: Vec<ClientDefect> =
        ClientDefect::ALL.into_iter().filter(|d| caught.get(d).is_none_or(BTreeSet::is_empty)).collect();
    assert!(uncaught_defects.is_empty(), "defects no client scenario catches: {uncaught_defects:?}\n{table}");
    let uncaught_scenarios: Vec<&String> = catchers.iter().filter(|(_, d)| d.is_empty()).map(|(id, _)| id).collect();
    assert!(uncaught_scenarios.is_empty(), "client scenarios no defect catches: {uncaught_scenarios:?}\n{table}");

    // The defects each scenario family exists for.
    let catches = |defect: ClientDefect, id: &str| caught.get(&defect).is_some_and(|ids| ids.contains(id));
    assert!(catches(ClientDefect::PackageNotStaged, "package-available"), "{table}");
    assert!(catches(ClientDefect::WrongCredentials, "package-available"), "{table}");
    assert!(catches(ClientDefect::WrongPackageType, "package-contents-fit-type"), "{table}");
    assert!(catches(ClientDefect::GetInsteadOfPost, "publish-post-not-get"), "{table}");
    for id in ["answers-alerts", "answers-get-delivery", "answers-receipt-error", "answers-minimal-notifications"] {
        assert!(catches(ClientDefect::BadReceiptAnswer, id), "{id}\n{table}");
    }
    // A client that wants the collect's data in every receipt is caught by the minimal
    // one alone, and only warned about (CMI010 §5.1 leaves the contents open).
    let strict = caught.get(&ClientDefect::StrictNotifications).cloned().unwrap_or_default();
    assert_eq!(strict.into_iter().collect::<Vec<_>>(), ["answers-minimal-notifications"], "{table}");
}
