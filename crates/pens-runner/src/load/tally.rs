//! What the cycles of a load run add up to: counts, answers and receipts by code, and
//! one HdrHistogram per stage (microseconds, three significant digits). One set for
//! the whole run behind a lock, taken once per cycle: a histogram of this range is a
//! few hundred kilobytes, too much to keep one per worker.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use pens_report::{LatencySummary, LoadLatencies};

/// The significant digits every histogram keeps.
const SIGNIFICANT_DIGITS: u8 = 3;

/// How one cycle ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CycleOutcome {
    /// Send to the whole answer read, when an answer came.
    pub(crate) ack: Option<Duration>,
    /// The answer by code: `"0"`, `"1310"`, or a [`pens_report::NO_ANSWER`] word.
    pub(crate) answer: String,
    /// Send to the first staging request, when one was seen.
    pub(crate) fetch_start: Option<Duration>,
    /// What the receipt did.
    pub(crate) receipt: ReceiptOutcome,
}

/// The receipt part of a cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReceiptOutcome {
    /// None was due: the collect was refused or never answered.
    NotDue,
    /// It came after this long, carrying this `error` (or the missing-word).
    Came(Duration, String),
    /// It did not come before the cycle's deadline.
    Lost,
}

/// The counts so far, for progress lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) ended: u64,
    pub(crate) completed: u64,
    pub(crate) lost: u64,
    /// Refused or unanswered collects.
    pub(crate) failed: u64,
}

struct Sums {
    counts: Counts,
    fetch_missing: u64,
    answers: BTreeMap<String, u64>,
    receipts: BTreeMap<String, u64>,
    ack: Histogram<u64>,
    fetch_start: Histogram<u64>,
    receipt: Histogram<u64>,
}

/// The run's sums, shared by every worker.
pub(crate) struct Tally {
    sums: Mutex<Sums>,
}

/// Everything the tally tells the report.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Totals {
    pub(crate) counts: Counts,
    pub(crate) fetch_missing: u64,
    pub(crate) answers: BTreeMap<String, u64>,
    pub(crate) receipts: BTreeMap<String, u64>,
    pub(crate) latency: LoadLatencies,
}

impl Tally {
    /// Histograms that track up to `longest` (longer samples are recorded as `longest`).
    pub(crate) fn new(longest: Duration) -> Self {
        let high = micros(longest).max(2);
        let histogram = || {
            Histogram::new_with_bounds(1, high, SIGNIFICANT_DIGITS)
                .expect("1 ≤ 2 ≤ high with three significant digits is a valid histogram range")
        };
        Tally {
            sums: Mutex::new(Sums {
                counts: Counts::default(),
                fetch_missing: 0,
                answers: BTreeMap::new(),
                receipts: BTreeMap::new(),
                ack: histogram(),
                fetch_start: histogram(),
                receipt: histogram(),
            }),
        }
    }

    fn sums(&self) -> MutexGuard<'_, Sums> {
        self.sums.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds one ended cycle.
    pub(crate) fn add(&self, outcome: CycleOutcome) {
        let mut sums = self.sums();
        sums.counts.ended += 1;
        if let Some(ack) = outcome.ack {
            sums.ack.saturating_record(micros(ack));
        }
        if let Some(fetch) = outcome.fetch_start {
            sums.fetch_start.saturating_record(micros(fetch));
        }
        *sums.answers.entry(outcome.answer).or_default() += 1;
        match outcome.receipt {
            ReceiptOutcome::NotDue => sums.counts.failed += 1,
            ReceiptOutcome::Lost => sums.counts.lost += 1,
            ReceiptOutcome::Came(after, code) => {
                sums.counts.completed += 1;
                if outcome.fetch_start.is_none() {
                    sums.fetch_missing += 1;
                }
                sums.receipt.saturating_record(micros(after));
                *sums.receipts.entry(code).or_default() += 1;
            }
        }
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> Counts {
        self.sums().counts
    }

    /// Everything, summarised.
    pub(crate) fn totals(&self) -> Totals {
        let sums = self.sums();
        Totals {
            counts: sums.counts,
            fetch_missing: sums.fetch_missing,
            answers: sums.answers.clone(),
            receipts: sums.receipts.clone(),
            latency: LoadLatencies {
                ack: summary(&sums.ack),
                fetch_start: summary(&sums.fetch_start),
                receipt: summary(&sums.receipt),
            },
        }
    }
}

fn summary(histogram: &Histogram<u64>) -> LatencySummary {
    LatencySummary {
        samples: histogram.len(),
        p50_us: histogram.value_at_quantile(0.5),
        p90_us: histogram.value_at_quantile(0.9),
        p99_us: histogram.value_at_quantile(0.99),
        p999_us: histogram.value_at_quantile(0.999),
        max_us: histogram.max(),
    }
}

/// Whole microseconds, saturating.
pub(crate) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn cycles_add_up_by_outcome_with_percentiles_per_stage() {
        let tally = Tally::new(Duration::from_secs(30));
        for n in 1..=100 {
            tally.add(CycleOutcome {
                ack: Some(ms(n)),
                answer: "0".into(),
                fetch_start: Some(ms(n + 1)),
                receipt: ReceiptOutcome::Came(ms(n + 2), "0".into()),
            });
        }
        tally.add(CycleOutcome {
            ack: Some(ms(1)),
            answer: "0".into(),
            fetch_start: None,
            receipt: ReceiptOutcome::Lost,
        });
        tally.add(CycleOutcome {
            ack: None,
            answer: pens_report::NO_ANSWER.into(),
            fetch_start: None,
            receipt: ReceiptOutcome::NotDue,
        });
        tally.add(CycleOutcome {
            ack: Some(ms(1)),
            answer: "0".into(),
            fetch_start: None,
            receipt: ReceiptOutcome::Came(ms(400), "1310".into()),
        });
        let totals = tally.totals();
        assert_eq!(totals.counts, Counts { ended: 103, completed: 101, lost: 1, failed: 1 });
        assert_eq!(totals.fetch_missing, 1);
        assert_eq!(totals.answers, BTreeMap::from([("0".into(), 102), (pens_report::NO_ANSWER.into(), 1)]));
        assert_eq!(totals.receipts, BTreeMap::from([("0".into(), 100), ("1310".into(), 1)]));
        let ack = totals.latency.ack;
        assert_eq!(ack.samples, 102);
        // Three significant digits: 50 ms is 50 000 µs give or take 0.1 %.
        assert!(ack.p50_us.abs_diff(49_000) <= 1_000, "{ack:?}");
        assert!(ack.max_us.abs_diff(100_000) <= 100, "{ack:?}");
        assert_eq!(totals.latency.fetch_start.samples, 100);
        let receipt = totals.latency.receipt;
        assert_eq!(receipt.samples, 101);
        assert!(receipt.max_us.abs_diff(400_000) <= 400, "{receipt:?}");
    }

    #[test]
    fn samples_beyond_the_range_count_at_its_end() {
        let tally = Tally::new(ms(100));
        tally.add(CycleOutcome {
            ack: Some(Duration::from_secs(5)),
            answer: "0".into(),
            fetch_start: None,
            receipt: ReceiptOutcome::NotDue,
        });
        let ack = tally.totals().latency.ack;
        assert_eq!(ack.samples, 1);
        assert!(ack.max_us.abs_diff(100_000) <= 100, "{ack:?}");
    }

    #[test]
    fn an_empty_tally_reports_zeros() {
        let totals = Tally::new(ms(100)).totals();
        assert_eq!(totals.latency, LoadLatencies::default());
        assert_eq!(totals.counts, Counts::default());
    }
}
