//! entitle: an embeddable rules engine for software-license policy.
//!
//! This crate is the public face of the workspace. It re-exports the pure
//! core ([`entitle_core`]: domain, time rules, decision graphs, policies) and
//! adds the boundary every adapter shares: facts and configuration parsed
//! from JSON and TOML with errors that name the field path, and decisions as
//! JSON reports and readable explanations.
//!
//! ```
//! let facts = br#"{"internal_request": "success"}"#;
//! let config = entitle::config::PolicyConfig::default();
//! let now = "2026-11-21T10:00:00Z".parse().unwrap();
//! let report = entitle::decide_json("emergency-license-follow-up", facts, now, &config).unwrap();
//! assert_eq!(report.outcome, "resend-from-success-record");
//! ```

pub use entitle_core::*;

mod action_ids;
mod catalog;
mod config_file;
mod facts;
mod report;
pub mod scenario;
pub mod schedule_file;
#[cfg(feature = "svg")]
pub mod svg;
pub mod xml;

pub use action_ids::action_ids;
pub use catalog::{
    ExampleReport, PathFormat, RenderFormat, describe, examples, render, render_path, schema,
};
pub use config_file::{ConfigFileError, config_from_toml, config_from_toml_in, toml_error_line};
pub use facts::{FactsError, out_of_range, parse_facts, without_position};
pub use report::{DecideError, DecisionReport, decide_json, report_for};
