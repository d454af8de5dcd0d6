//! `pens-conform serve staging`: the harness's staging server on its own, serving one
//! package until Ctrl-C. A vendor stages a package by hand for an LMS with it; the
//! end-to-end benchmark (`scripts/bench-e2e.sh`) downloads a 1 GiB package from it.
//!
//! The package is a fixture, served as it is (a file from disk as it is sent) or grown
//! to `--size` bytes by a stored entry of zeros ([`pens_parties::sized_package`]): the
//! zeros are produced while the body is sent, so serving a gigabyte costs no more
//! memory than serving a kilobyte.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use pens_parties::{RunCa, StagingPlan, StagingServer};
use pens_scenario::{SIZE_HINT, parse_size};

use crate::error::{Classify, CommandResult};
use crate::exit;
use crate::output;

/// Arguments of `serve staging`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeStagingArgs {
    /// The IP address the four listeners (HTTP, HTTPS, FTP, FTPS) bind, each on a port
    /// the system picks; the URLs are printed.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1", visible_alias = "listen")]
    pub(crate) bind: IpAddr,
    /// Host name or address the URLs name (and the HTTPS certificate covers), when the
    /// LMS reaches this machine by another name than --bind.
    #[arg(long, value_name = "HOST")]
    pub(crate) advertise_host: Option<String>,
    /// The package fixture to serve (a folder under --packages, zipped, or a file there).
    #[arg(long, value_name = "NAME", default_value = pens_scenario::DEFAULT_PACKAGE)]
    pub(crate) package: String,
    /// The folder of package fixtures. Default: `fixtures/packages` when that folder
    /// exists under the current folder, else the fixtures built into pens-conform.
    #[arg(long, value_name = "DIR")]
    pub(crate) packages: Option<PathBuf>,
    /// Serve the package grown to exactly SIZE bytes (e.g. `1GiB`, below 4 GiB) by a
    /// stored entry of zeros, generated while it is sent and never held in memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_served_size)]
    pub(crate) size: Option<u64>,
    /// Require these basic credentials (HTTP) or this login (FTP); the password is read
    /// from the environment variable named by --password-env.
    #[arg(long, value_name = "USER", requires = "password_env")]
    pub(crate) user: Option<String>,
    /// The environment variable holding the password of --user (never printed).
    #[arg(long, value_name = "VAR", requires = "user")]
    pub(crate) password_env: Option<String>,
    /// Keep the harness's own certificate authority, which signs the HTTPS and FTPS
    /// listeners' certificates, in DIR across starts (`ca.pem`, `ca-key.pem`; created on
    /// first use), so a client can trust `DIR/ca.pem`. Without it every start makes a
    /// fresh CA that nobody can trust.
    #[arg(long, value_name = "DIR")]
    pub(crate) ca_dir: Option<PathBuf>,
}

/// The first size `--size` refuses: the grown archive is a plain zip, not zip64, whose
/// offsets and sizes are 32-bit.
const ZIP32_LIMIT: u64 = 4 << 30;

/// The key the package is staged under: its URL path is `/s/<key>/<file name>`.
const STAGING_KEY: &str = "manual";

/// Why a `--size` is refused (clap prints it, exit 2).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ServedSizeError {
    /// Not a size as the scenario language writes one.
    #[error("not a size: {SIZE_HINT}")]
    NotASize,
    /// 4 GiB or more: beyond what a zip without zip64 can hold.
    #[error("{0} bytes is 4 GiB or more; the grown package is no zip64 archive, stay below 4GiB")]
    NeedsZip64(u64),
}

/// Reads `--size`: a size as the scenario language writes it, below 4 GiB.
pub(crate) fn parse_served_size(text: &str) -> Result<u64, ServedSizeError> {
    let size = parse_size(text).ok_or(ServedSizeError::NotASize)?;
    if size >= ZIP32_LIMIT {
        return Err(ServedSizeError::NeedsZip64(size));
    }
    Ok(size)
}

pub(crate) fn run(args: ServeStagingArgs) -> CommandResult {
    let packages = crate::shipped::PackageSet::resolve(args.packages.as_deref())
        .context("cannot write the built-in package fixtures to a temporary folder")
        .harness()?;
    let fixture = pens_parties::fixture_package(packages.path(), &args.package)
        .with_context(|| format!("cannot read the package {} in {}", args.package, packages.label()))
        .usage()?;
    let package = match args.size {
        Some(size) => pens_parties::sized_package(&fixture, size)
            .map_err(|reason| anyhow::anyhow!("--size {size}: {}: {reason}", args.package))
            .usage()?,
        None => fixture,
    };
    let served_len = package.len();
    let mut plan = StagingPlan::new(file_name(&args.package), package);
    if let (Some(user), Some(variable)) = (&args.user, &args.password_env) {
        let password = std::env::var(variable)
            .with_context(|| format!("--password-env {variable}: the environment variable is not set"))
            .usage()?;
        plan = plan.credentials(user.clone(), password);
    }
    let hosts: Vec<String> = args.advertise_host.iter().cloned().collect();
    let ca = match &args.ca_dir {
        Some(dir) => RunCa::load_or_create(dir, &hosts)
            .with_context(|| format!("cannot use the certificate authority in {}", dir.display()))
            .usage()?,
        None => RunCa::generate(&hosts).context("cannot create the certificate authority").harness()?,
    };

    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime").harness()?;
    runtime.block_on(async {
        // SIGTERM (a service manager, `timeout`) and SIGHUP stop it as Ctrl-C does: a
        // clean end, exit 0, rather than 143 or 129. Installed first, so that one sent
        // as soon as it listens is caught.
        let mut stop_signals = crate::signals::StopSignals::install().harness()?;
        let advertise = args.advertise_host.as_deref().unwrap_or("");
        let server = StagingServer::start_with(args.bind, advertise, &ca, pens_parties::ListenerLimits::default())
            .await
            .with_context(|| format!("cannot start the staging server on {}", args.bind))
            .harness()?;
        let staged = server.stage(STAGING_KEY, plan);
        output::line(format!("http   {}", staged.http_url)).harness()?;
        output::line(format!("https  {}", staged.https_url)).harness()?;
        output::line(format!("ftp    {}", staged.ftp_url)).harness()?;
        output::line(format!("ftps   {}", staged.ftps_url)).harness()?;
        output::line(format!("size   {served_len} bytes ({})", human_size(served_len))).harness()?;
        if let Some(user) = &args.user {
            output::line(format!("login  {user} (HTTP basic credentials or FTP login; password not shown)"))
                .harness()?;
        }
        if let Some(dir) = &args.ca_dir {
            output::line(format!("ca     {}", dir.join("ca.pem").display())).harness()?;
        }
        output::line("press Ctrl-C to stop").harness()?;
        stop_signals.received().await;
        drop(server);
        Ok(exit::SUCCESS)
    })
}

/// The last path component of a fixture name: the file name in the URL.
fn file_name(package: &str) -> String {
    Path::new(package).file_name().map_or_else(|| package.to_owned(), |name| name.to_string_lossy().into_owned())
}

/// `1 GiB`, `5 MiB`, `1.5 KiB`, `512 B`: the largest unit with a whole part.
fn human_size(bytes: u64) -> String {
    let (unit, factor) =
        pens_scenario::SIZE_UNITS.iter().find(|(_, factor)| bytes >= *factor).copied().unwrap_or(("B", 1));
    if bytes.is_multiple_of(factor) {
        format!("{} {unit}", bytes / factor)
    } else {
        // Display only: a rounded figure beside the exact byte count.
        let value = bytes as f64 / factor as f64;
        format!("{value:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_below_4_gib_are_accepted_and_others_explained() {
        assert_eq!(parse_served_size("5MiB"), Ok(5 << 20));
        assert_eq!(parse_served_size("4194303KiB"), Ok((4 << 30) - 1024));
        let too_big = parse_served_size("4GiB").expect_err("4 GiB").to_string();
        assert!(too_big.contains("zip64"), "{too_big}");
        let unreadable = parse_served_size("1GB").expect_err("not a size").to_string();
        assert!(unreadable.contains(SIZE_HINT), "{unreadable}");
    }

    #[test]
    fn sizes_are_shown_in_the_largest_whole_unit() {
        let cases = [(1 << 30, "1 GiB"), (5 << 20, "5 MiB"), (1536, "1.5 KiB"), (512, "512 B"), (0, "0 B")];
        for (bytes, shown) in cases {
            assert_eq!(human_size(bytes), shown);
        }
    }

    #[test]
    fn the_url_names_the_fixture_file_only() {
        assert_eq!(file_name("scorm12-minimal.zip"), "scorm12-minimal.zip");
        assert_eq!(file_name("nested/course.zip"), "course.zip");
    }
}
