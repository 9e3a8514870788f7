//! The facade's integration tests, one binary (`cargo test --test
//! integration`), one module per suite: `cargo test --test integration
//! docs_sync::` runs one of them.
//!
//! `graph_svg` needs the `svg` feature (`--features svg`; a workspace build
//! has it, the CLI and the HTTP service turn it on).

mod docs_sync;
mod facts_input;
#[cfg(feature = "svg")]
mod graph_svg;
mod policy_snapshots_emergency;
mod policy_snapshots_star;
mod schedule_files;
mod test_layout;
