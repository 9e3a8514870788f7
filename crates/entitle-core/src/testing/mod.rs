//! Property testing of the policies under a configuration (feature
//! `testing`): proptest strategies for every policy's facts and for
//! [`PolicyConfig`](crate::config::PolicyConfig), and the spec's invariants as callable checks.
//!
//! - [`facts`] generates the typed facts of any registered policy from the
//!   JSON Schema of its facts type (dates and instants near a base day, the
//!   enums' values, small counts), so it follows the facts as they evolve.
//!   [`instant`] generates a `now` in the same range, [`policy_config`] a
//!   valid configuration.
//! - [`check_case`] runs every invariant on one input; the single checks
//!   ([`check_temporary_license_cap`], [`check_trial_only`],
//!   [`check_single_license`], [`check_status_monotone`], ...) work on
//!   decisions a wrapper made, so another crate's CI can check its own
//!   wrappers and configuration.
//! - [`check_policy`] and [`check_all`] run the invariants for `cases`
//!   random inputs from a seed and return a shrunk [`Counterexample`]
//!   (`now` and facts as JSON, ready for `entitle decide`).
//!
//! ```
//! use entitle_core::config::PolicyConfig;
//! use entitle_core::policies::LicenseStatus;
//! use entitle_core::testing::check_policy;
//!
//! let report = check_policy::<LicenseStatus>(&PolicyConfig::default(), 64, 7);
//! assert!(report.is_ok());
//! ```

mod checks;
mod run;
mod strategies;

pub use checks::*;
pub use run::*;
pub use strategies::*;
