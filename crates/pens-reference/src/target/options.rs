//! How the reference target is set up: its defect, and everything else the mock target
//! it runs on takes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pens_parties::{MockTargetOptions, MockTargetOptionsBuilder, PeerLimits};
use pens_proto::TargetCapabilities;

use super::defect::{Defect, behaviour_of};

/// The options of [`super::ReferenceTarget`]: a defect, and the mock target's options.
/// Build with [`ReferenceTargetOptions::builder`] or struct update syntax over `Default`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferenceTargetOptions {
    /// The one deviation to make, or `None` for a conformant target.
    pub defect: Option<Defect>,
    /// Everything else: claims, trust, deadlines, limits, downloads. Its `behaviour` is
    /// not read: the defect decides it ([`ReferenceTargetOptions::mock_options`]).
    pub target: MockTargetOptions,
}

impl ReferenceTargetOptions {
    /// A builder starting from the defaults.
    pub fn builder() -> ReferenceTargetOptionsBuilder {
        ReferenceTargetOptionsBuilder { defect: None, target: MockTargetOptions::builder() }
    }

    /// The options the mock target runs with: [`ReferenceTargetOptions::target`] with
    /// the behaviour of [`ReferenceTargetOptions::defect`].
    pub fn mock_options(&self) -> MockTargetOptions {
        MockTargetOptions { behaviour: behaviour_of(self.defect), ..self.target.clone() }
    }
}

/// Builds [`ReferenceTargetOptions`]; every method but [`ReferenceTargetOptionsBuilder::defect`]
/// is the mock target's ([`MockTargetOptionsBuilder`]).
#[derive(Clone, Debug)]
#[must_use]
pub struct ReferenceTargetOptionsBuilder {
    defect: Option<Defect>,
    target: MockTargetOptionsBuilder,
}

/// Hands a builder method on to the mock target's builder.
macro_rules! mock_target_option {
    ($( $(#[$doc:meta])* $name:ident($arg:ident: $ty:ty); )*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.target = self.target.$name($arg);
                self
            }
        )*
    };
}

impl ReferenceTargetOptionsBuilder {
    /// Seeds one defect (see [`Defect`]); `None` for a conformant target.
    pub fn defect(mut self, defect: impl Into<Option<Defect>>) -> Self {
        self.defect = defect.into();
        self
    }

    mock_target_option! {
        /// Trusts this PEM certificate for HTTPS.
        extra_root_pem(pem: impl Into<String>);
        /// Claims these capabilities.
        capabilities(capabilities: TargetCapabilities);
        /// Gives up a fetch after this long.
        fetch_timeout(timeout: Duration);
        /// Signs receipts and alerts with this `client` name.
        client_name(name: impl Into<String>);
        /// With [`Defect::SlowAck`], waits this much longer before answering.
        slow_ack_extra_delay(delay: Duration);
        /// Hands `mailto:` receipts and alerts to this SMTP server.
        smtp_relay(relay: SocketAddr);
        /// Takes no more from the client than `limits` allow.
        limits(limits: PeerLimits);
        /// Accepts packages of at most `bytes` (see
        /// [`MockTargetOptionsBuilder::max_package_bytes`]); [`Defect::NoPackageSizeLimit`]
        /// ignores it.
        max_package_bytes(bytes: u64);
        /// Serves at most `connections` connections at once.
        connections(connections: usize);
        /// Keeps the last package fetched for each key, or none.
        keep_packages(keep: bool);
        /// Acts only on collects of a scenario in progress.
        scenario_keys_only(only: bool);
        /// Keeps at most `limit` activity events, the most recent ones.
        activity_limit(limit: usize);
        /// Downloads packages larger than a MiB to temp files in `dir`.
        download_dir(dir: impl Into<PathBuf>);
    }

    /// The options.
    pub fn build(self) -> ReferenceTargetOptions {
        ReferenceTargetOptions { defect: self.defect, target: self.target.build() }
    }
}

#[cfg(test)]
mod tests {
    use pens_parties::{BodyStyle, TargetBehaviour};

    use super::*;

    #[test]
    fn the_defect_decides_the_mock_targets_behaviour() {
        let conformant = ReferenceTargetOptions::builder().fetch_timeout(Duration::from_secs(3)).build();
        assert_eq!(conformant.mock_options().behaviour, TargetBehaviour::conformant());
        assert_eq!(conformant.mock_options().fetch_timeout, Duration::from_secs(3));
        let lf = ReferenceTargetOptions::builder().defect(Defect::LfLineEndings).build();
        assert_eq!(lf.mock_options().behaviour.body, BodyStyle::PensLfOnly);
        // A behaviour set on the mock options is not the reference target's to take.
        let overridden = ReferenceTargetOptions {
            target: MockTargetOptions {
                behaviour: TargetBehaviour { body: BodyStyle::Html, ..TargetBehaviour::conformant() },
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(overridden.mock_options().behaviour, TargetBehaviour::conformant());
    }
}
