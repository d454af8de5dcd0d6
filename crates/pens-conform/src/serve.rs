//! `pens-conform serve target`: the reference target on its own, until Ctrl-C.

use anyhow::Context;
use pens_mock::{Defect, ReferenceTarget, ReferenceTargetOptions};

use crate::cli::ServeTargetArgs;
use crate::exit;
use crate::output;

/// The `--defect NAME` of `serve target` and `selftest`.
pub(crate) fn parse_defect(name: Option<&str>) -> anyhow::Result<Option<Defect>> {
    name.map(|name| name.parse::<Defect>().map_err(|e| anyhow::anyhow!("--defect: {e}"))).transpose()
}

pub(crate) fn target(args: ServeTargetArgs) -> anyhow::Result<u8> {
    let defect = parse_defect(args.defect.as_deref())?;
    let mut options = ReferenceTargetOptions::builder().defect(defect);
    if let Some(path) = &args.trust_ca {
        let pem = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        options = options.extra_root_pem(pem);
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let target = ReferenceTarget::start(args.listen, options.build())
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        output::line(format!("reference target listening: {}", target.url()))?;
        if let Some(defect) = defect {
            output::line(format!("seeded defect: {} ({})", defect.name(), defect.description()))?;
        }
        output::line("press Ctrl-C to stop")?;
        tokio::signal::ctrl_c().await.context("cannot wait for Ctrl-C")?;
        Ok(exit::SUCCESS)
    })
}
