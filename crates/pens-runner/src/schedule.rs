//! The order scenarios start in: the longest deliberate wait first.
//!
//! A run lasts about as long as its last scenario to end. Most scenarios take the same
//! time (the answer, the fetch, the receipt, then the quiet window), but a few wait by
//! design: a staging server that holds back its first byte for two seconds, one that
//! dribbles the package, a client scenario whose mock target answers late. Started in
//! the last wave of `--jobs`, such a scenario stretches the run by its whole wait;
//! started first, it waits while the others run. Only the start order changes: results
//! and reports stay in id order ([`crate::ReportBuilder`] sorts them).

use std::time::Duration;

use pens_scenario::{ClientScenario, Scenario, StagingBehaviour};

/// `items` in the order to start them: the longest `wait` first, items of equal wait in
/// their given order (so a set with no deliberate waits starts in file order, as before).
pub(crate) fn longest_first<T>(mut items: Vec<T>, wait: impl Fn(&T) -> Duration) -> Vec<T> {
    // Stable: equal waits keep their relative order. Each wait is computed once.
    items.sort_by_cached_key(|item| std::cmp::Reverse(wait(item)));
    items
}

/// How long a target scenario waits by design, beyond the exchange itself: what its
/// `[staging] behaviour` holds the package back for. `package_len` gives the size of a
/// package fixture in bytes, when it is known, to count a dribble's pauses.
pub(crate) fn target_wait(scenario: &Scenario, package_len: impl Fn(&str) -> Option<u64>) -> Duration {
    let staging = &scenario.staging.value;
    match &staging.behaviour.value {
        StagingBehaviour::Delay { delay_ms } => Duration::from_millis(delay_ms.value),
        StagingBehaviour::Dribble { delay_ms, chunk_bytes } => {
            // A pause after every chunk but the last; an unknown size counts as one pause.
            let chunks =
                package_len(&staging.package.value).map_or(2, |len| len.div_ceil(chunk_bytes.value.max(1))).max(1);
            Duration::from_millis(delay_ms.value).saturating_mul(u32::try_from(chunks - 1).unwrap_or(u32::MAX))
        }
        // Never answers: the scenario waits out its fetch and receipt deadlines, longer
        // than any other wait here, so it starts first.
        StagingBehaviour::Silent => Duration::MAX,
        _ => Duration::ZERO,
    }
}

/// How long a client scenario waits by design: the mock target holding back its answer
/// (`[target] answer_delay_ms`). Publishes overlap that delay (the next one starts once
/// the collect has arrived, not once it is answered), so it counts once.
pub(crate) fn client_wait(scenario: &ClientScenario) -> Duration {
    Duration::from_millis(scenario.target.value.answer_delay_ms.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(id: &str, staging: &str) -> Scenario {
        let text = format!(
            "id = \"{id}\"\ntitle = \"t\"\nrequirements = [\"target.receipt.outcome\"]\n\n[staging]\n{staging}\n\n\
             [expect.response]\nerror = [0]\n"
        );
        pens_scenario::parse_scenario(format!("{id}.toml"), &text).unwrap_or_else(|e| panic!("{id}: {e:?}"))
    }

    fn client(id: &str, target: &str) -> ClientScenario {
        let text = format!(
            "id = \"{id}\"\ntitle = \"t\"\nrequirements = [\"client.staging.available\"]\n\n[target]\n{target}\n\n\
             [expect.package]\navailable = true\n"
        );
        pens_scenario::parse_client_scenario(format!("{id}.toml"), &text).unwrap_or_else(|e| panic!("{id}: {e:?}"))
    }

    /// Items to start: (name, wait in ms).
    type Items = &'static [(&'static str, u64)];

    #[test]
    fn longest_first_is_descending_and_stable() {
        // The items, and the expected start order by name.
        let table: [(Items, &[&str]); 5] = [
            (&[], &[]),
            (&[("a", 0), ("b", 0), ("c", 0)], &["a", "b", "c"]),
            (&[("a", 0), ("b", 2000), ("c", 0), ("d", 100)], &["b", "d", "a", "c"]),
            (&[("a", 5), ("b", 5), ("c", 9), ("d", 5)], &["c", "a", "b", "d"]),
            (&[("a", 1), ("b", 2), ("c", 3)], &["c", "b", "a"]),
        ];
        for (items, expected) in table {
            let order = longest_first(items.to_vec(), |(_, ms)| Duration::from_millis(*ms));
            let names: Vec<&str> = order.iter().map(|(name, _)| *name).collect();
            assert_eq!(names, expected, "{items:?}");
        }
    }

    #[test]
    fn target_waits_come_from_the_staging_behaviour() {
        let known = |name: &str| (name == "scorm12-minimal.zip").then_some(1000);
        let table = [
            ("serve", "behaviour = \"serve\"", 0),
            ("status", "behaviour = \"status\"\nstatus = 500", 0),
            ("truncate", "behaviour = \"truncate\"", 0),
            ("delay", "behaviour = \"delay\"\ndelay_ms = 2000", 2000),
            // 1000 bytes in chunks of 256: four chunks, three pauses.
            ("dribble", "behaviour = \"dribble\"\ndelay_ms = 50", 150),
            ("dribble-big-chunks", "behaviour = \"dribble\"\ndelay_ms = 50\nchunk_bytes = 4096", 0),
            ("dribble-unknown", "package = \"other.zip\"\nbehaviour = \"dribble\"\ndelay_ms = 50", 50),
        ];
        for (id, staging, expected_ms) in table {
            let wait = target_wait(&target(id, staging), known);
            assert_eq!(wait, Duration::from_millis(expected_ms), "{id}");
        }
    }

    #[test]
    fn the_delayed_target_scenario_starts_first_and_the_rest_keep_file_order() {
        let scenarios = [
            target("alerts", "behaviour = \"serve\""),
            target("missing", "behaviour = \"serve\""),
            target("slow", "behaviour = \"delay\"\ndelay_ms = 2000"),
            target("slower-by-dribble", "behaviour = \"dribble\"\ndelay_ms = 1000"),
            target("truncated", "behaviour = \"truncate\""),
        ];
        let order = longest_first(scenarios.to_vec(), |s| target_wait(s, |_| Some(1000)));
        let ids: Vec<&str> = order.iter().map(|s| s.id.value.as_str()).collect();
        assert_eq!(ids, ["slower-by-dribble", "slow", "alerts", "missing", "truncated"]);
    }

    #[test]
    fn a_late_answering_mock_target_starts_its_client_scenario_first() {
        let scenarios = [
            client("answers", "answer_delay_ms = 0"),
            client("late", "answer_delay_ms = 1500"),
            client("publish", "fetch = true"),
        ];
        let order = longest_first(scenarios.to_vec(), client_wait);
        let ids: Vec<&str> = order.iter().map(|s| s.id.value.as_str()).collect();
        assert_eq!(ids, ["late", "answers", "publish"]);
    }
}
