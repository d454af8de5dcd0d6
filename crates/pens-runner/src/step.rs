//! Where a scenario is, and the deadline over the whole of it: every scenario is
//! wrapped in a timeout of the sum of its step deadlines plus
//! [`crate::Limits::scenario_grace`]. Each step already ends at its own deadline, so
//! the timeout is a backstop; when it fires, the scenario is abandoned with an
//! `inconclusive` result naming the step it was in ([`Steps`]), and the run goes on.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pens_report::{CheckResult, ScenarioResult, Verdict};

/// The step a scenario is in, shared between the scenario and its watchdog. Cheap to
/// clone.
#[derive(Clone, Debug)]
pub(crate) struct Steps(Arc<Mutex<&'static str>>);

impl Steps {
    /// A scenario that has not started its first step.
    pub(crate) fn new() -> Self {
        Steps(Arc::new(Mutex::new("getting ready")))
    }

    /// Marks the start of `step` ("waiting for the receipt").
    pub(crate) fn enter(&self, step: &'static str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = step;
    }

    /// The step the scenario is in.
    pub(crate) fn current(&self) -> &'static str {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Runs `scenario` for at most `budget`; when it has not ended by then, drops it (its
/// guards clean up what it staged) and returns `abandoned` with an `inconclusive` check
/// citing `requirement` and naming the step it was in.
pub(crate) async fn within_budget(
    budget: Duration,
    steps: &Steps,
    requirement: &'static pens_proto::Requirement,
    scenario: impl Future<Output = ScenarioResult>,
    mut abandoned: ScenarioResult,
) -> ScenarioResult {
    let clock = std::time::Instant::now();
    match tokio::time::timeout(budget, scenario).await {
        Ok(result) => result,
        Err(_) => {
            let step = steps.current();
            let message = format!(
                "the scenario had not ended {} ms after it started, the sum of its step deadlines plus the grace \
                 ([limits] scenario-grace): it was abandoned while {step}",
                budget.as_millis()
            );
            tracing::warn!(scenario = %abandoned.id, "{message}");
            abandoned.checks.push(CheckResult::new(Verdict::Inconclusive, requirement, message));
            abandoned.note = Some(format!("abandoned while {step}"));
            abandoned.settle_verdict();
            abandoned.duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
            abandoned
        }
    }
}

/// The instant `wait` after `start`, for a step's deadline: `start + wait` where that is
/// a time the clock can hold, else a year after `start`. Deadlines are held to an hour
/// where they are read (profile, command line), so this is defence in depth for a caller
/// of the library that builds [`crate::Deadlines`] itself: `Instant + Duration` panics
/// on overflow, and no step should wait longer than the run could last anyway.
pub(crate) fn deadline_after(start: std::time::Instant, wait: Duration) -> std::time::Instant {
    const FAR: Duration = Duration::from_secs(365 * 24 * 60 * 60);
    start.checked_add(wait.min(FAR)).or_else(|| start.checked_add(Duration::from_secs(3600))).unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_beyond_what_the_clock_holds_is_a_year_away_not_a_panic() {
        let start = std::time::Instant::now();
        assert_eq!(deadline_after(start, Duration::from_millis(5)), start + Duration::from_millis(5));
        let far = deadline_after(start, Duration::MAX);
        assert_eq!(far, start + Duration::from_secs(365 * 24 * 60 * 60));
        let from_i64_max_ms = deadline_after(start, Duration::from_millis(i64::MAX as u64));
        assert_eq!(from_i64_max_ms, far);
    }

    /// Dropped when the future holding it is: stands for a scenario's clean-up guard.
    struct Guard(Arc<std::sync::atomic::AtomicBool>);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_scenario_whose_step_hangs_is_abandoned_naming_the_step() {
        let steps = Steps::new();
        let cleaned = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let hanging = {
            let (steps, guard) = (steps.clone(), Guard(Arc::clone(&cleaned)));
            async move {
                let _guard = guard;
                steps.enter("waiting for the receipt");
                std::future::pending::<()>().await;
                unreachable!("a pending future never ends")
            }
        };
        let abandoned = ScenarioResult::new("hangs", "t", "hangs.toml", Verdict::Pass);
        let requirement = &pens_proto::req::TARGET_RECEIPT_SENT;
        let result = within_budget(Duration::from_millis(250), &steps, requirement, hanging, abandoned).await;
        assert_eq!(result.verdict, Verdict::Inconclusive);
        assert_eq!(result.note.as_deref(), Some("abandoned while waiting for the receipt"));
        let check = &result.checks[0];
        assert_eq!((check.verdict, check.requirement.as_str()), (Verdict::Inconclusive, "target.receipt.sent"));
        assert!(check.message.contains("250 ms") && check.message.contains("scenario-grace"), "{}", check.message);
        assert!(cleaned.load(std::sync::atomic::Ordering::SeqCst), "the abandoned scenario was not dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_scenario_that_ends_in_time_keeps_its_result() {
        let finished = ScenarioResult::new("quick", "t", "quick.toml", Verdict::Fail);
        let abandoned = ScenarioResult::new("quick", "t", "quick.toml", Verdict::Pass);
        let requirement = &pens_proto::req::TARGET_RECEIPT_SENT;
        let result =
            within_budget(Duration::from_secs(1), &Steps::new(), requirement, async { finished }, abandoned).await;
        assert_eq!((result.verdict, result.checks.len()), (Verdict::Fail, 0));
    }
}
