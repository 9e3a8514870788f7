//! The notify crate's integration tests, one binary (`cargo test -p
//! entitle-notify --test integration`), one module per suite.

mod sinks;
