//! entitle-core: the pure heart of entitle.
//!
//! - [`graph`]: the typed decision-graph engine.
//! - [`domain`], [`time`], [`config`]: licenses and customers, the time
//!   rules of the handbook, and the thresholds they use.
//! - [`policy`] and [`policies`]: the handbook pages as decision graphs.
//! - [`explain`]: the words of traces and actions.
//! - [`fact_source`]: typed facts assembled from a store's records.
//! - [`input`]: the strict readers of dates, instants, emails, URLs and text.
//! - [`schedule`]: the provision-failure monitoring schedule: built from the
//!   engineers' availability, checked after people edit it.
//! - `testing` (feature `testing`): proptest strategies and the spec's
//!   invariants as callable checks.
//!
//! The core does no I/O: no clock, no environment, no files. `now` and the
//! configuration are inputs; the same inputs always give the same decision.
#![doc = include_str!("../README.md")]

pub mod config;
pub mod domain;
pub mod explain;
pub mod fact_source;
pub mod graph;
pub mod input;
pub mod policies;
pub mod policy;
pub mod schedule;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
