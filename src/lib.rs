//! entitle: an embeddable rules engine for software-license policy.
pub use entitle_core::*;
