//! Checks both modes make, written once.
//!
//! Target mode judges an LMS's answer to our collect; client mode judges an authoring
//! tool's answer to our receipts and alerts: both are PENS answers (CMI010 §6.3), held
//! to one [`answer`] judge. Both modes cap what a peer may send per scenario and say so
//! the same way when it sent more ([`flood`]). A new check that both modes share goes
//! here, as a pure function over what the evidence of either mode holds.

pub(crate) mod answer;
pub(crate) mod flood;
