//! The core's integration tests, one binary (`cargo test -p entitle-core
//! --test integration`), one module per suite: `cargo test -p entitle-core
//! --test integration policies::` runs one of them.
//!
//! `testing_feature` needs the `testing` feature (`--features testing`; a
//! workspace build has it, the CLI turns it on).

mod config;
mod graph;
mod graph_render;
mod input;
mod pages;
mod policies;
mod schedule;
#[cfg(feature = "testing")]
mod testing_feature;
mod time_rules;
