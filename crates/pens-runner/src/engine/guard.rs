//! Clean-up that runs however a scenario ends.

/// Runs its closure when dropped: at the end of a scenario, or when the scenario is
/// abandoned at its budget ([`crate::step::within_budget`] drops its future), so
/// nothing a scenario set up at a party (a staged package, a mock target's script)
/// outlives it.
pub(crate) struct OnDrop<F: FnMut()>(pub(crate) F);

impl<F: FnMut()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        (self.0)();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn the_clean_up_runs_once_when_the_guard_is_dropped() {
        let runs = AtomicUsize::new(0);
        {
            let _guard = OnDrop(|| {
                runs.fetch_add(1, Ordering::SeqCst);
            });
            assert_eq!(runs.load(Ordering::SeqCst), 0);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
