//! Why the reference target could not start, or a defect name could not be read.

use pens_parties::MockTargetError;

use super::defect::Defect;

/// An error starting the reference target or reading its options.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceTargetError {
    /// The mock target it runs on could not start.
    #[error(transparent)]
    Target(#[from] MockTargetError),
    /// A `--defect` name that is not one of [`Defect::ALL`].
    #[error("unknown defect `{name}`; known defects: {}", known_defects())]
    UnknownDefect {
        /// The name given.
        name: String,
    },
}

fn known_defects() -> String {
    Defect::ALL.map(Defect::name).join(", ")
}
