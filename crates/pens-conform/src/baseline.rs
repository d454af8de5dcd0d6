//! `--baseline FILE`: reading the file, refusing it before anything runs when it is
//! malformed or an entry has expired, and applying it to each suite's report.
//! The logic lives in `pens_report::Baseline`; this module adds the file and the clock.

use std::path::Path;

use anyhow::Context;
use pens_report::{Baseline, RunReport};

use crate::args::BaselineArgs;

/// The baseline of a run, if any, and whether improvements are tolerated.
#[derive(Debug, Default)]
pub(crate) struct BaselinePolicy {
    baseline: Option<Baseline>,
    /// `--allow-improvements`: an expected failure that now passes does not fail the run.
    pub(crate) allow_improvements: bool,
}

impl BaselinePolicy {
    /// Reads `--baseline` (if given) and checks it against today's date (UTC). Any
    /// problem is a usage error (exit 2), naming the file, line and field; it is raised
    /// before any scenario runs, so no report folder is written.
    pub(crate) fn load(args: &BaselineArgs) -> anyhow::Result<BaselinePolicy> {
        let baseline = args.baseline.as_deref().map(read).transpose()?;
        if let Some(baseline) = &baseline {
            let expired = baseline.expired(time::OffsetDateTime::now_utc().date());
            if !expired.is_empty() {
                for error in &expired {
                    eprintln!("error: {error}");
                }
                let entries = if expired.len() == 1 { "entry" } else { "entries" };
                anyhow::bail!("{} expired baseline {entries} in {}; nothing was run", expired.len(), baseline.source);
            }
        }
        Ok(BaselinePolicy { baseline, allow_improvements: args.allow_improvements })
    }

    /// Records the baseline's verdicts on `report` (nothing without a baseline).
    pub(crate) fn apply(&self, report: &mut RunReport) {
        if let Some(baseline) = &self.baseline {
            baseline.apply(report);
        }
    }
}

fn read(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read baseline {}", path.display()))?;
    Ok(Baseline::parse(&path.display().to_string(), &text)?)
}
