//! The CLI's integration tests, one binary (`cargo test -p entitle-cli
//! --test integration`), one module per suite: `cargo test -p entitle-cli
//! --test integration outbox::` runs one of them. `support` runs the
//! `entitle` binary for several of them.

mod support;

mod adding_a_policy;
mod check;
mod cli;
mod docs_readme;
mod docs_schedule;
mod docs_testing;
mod outbox;
mod rebuilds;
mod replay;
mod save_scenarios;
mod scenarios_v2;
mod schedule;
mod serve;
mod suite;
