//! `pens-conform selftest`: the target suite against the built-in reference target.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use pens_mock::{ReferenceTarget, ReferenceTargetOptions, RunCa, reference_capabilities};
use pens_runner::{Deadlines, RunOptions};

use crate::cli::SelftestArgs;
use crate::run_output::{apply_run_args, load_scenarios, run_and_report};

/// Deadlines for a target on the same machine: short, so a broken one fails fast.
pub(crate) fn local_deadlines() -> Deadlines {
    Deadlines {
        ack: Duration::from_secs(5),
        fetch: Duration::from_secs(5),
        receipt: Duration::from_secs(10),
        quiet: Duration::from_millis(400),
    }
}

pub(crate) fn run(args: SelftestArgs) -> anyhow::Result<u8> {
    let defect = crate::serve::parse_defect(args.defect.as_deref())?;
    let scenarios = load_scenarios(&args.run.scenarios)?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let ca = RunCa::generate(&[]).context("cannot create the run's certificate authority")?;
        let deadlines = local_deadlines();
        // A slow acknowledgement is only a defect once it misses the ack deadline.
        let target_options = ReferenceTargetOptions::builder()
            .defect(defect)
            .extra_root_pem(ca.ca_pem())
            .slow_ack_extra_delay(deadlines.ack + Duration::from_millis(500))
            .build();
        let target = ReferenceTarget::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), target_options)
            .context("cannot start the reference target")?;
        let mut options = RunOptions::new(target.url(), args.run.packages.clone());
        options.target_name = Some(match defect {
            Some(defect) => format!("pens-conform reference target (defect: {})", defect.name()),
            None => "pens-conform reference target".to_owned(),
        });
        options.claims = reference_capabilities();
        options.deadlines = deadlines;
        options.ca = Some(std::sync::Arc::new(ca));
        apply_run_args(&mut options, &args.run);
        run_and_report(&scenarios, &options, &args.run).await
    })
}
