//! Transitional: the old `pens_mock::` paths over pens-parties and pens-reference, so
//! that every commit builds until the users' imports are renamed (removed then).

pub use pens_parties::*;
pub use pens_reference::*;
