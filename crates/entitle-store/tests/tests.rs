//! The store's integration tests, one binary (`cargo test -p entitle-store
//! --test integration`), one module per suite; `common` is their shared
//! support.

mod common;

mod crash;
mod outbox;
mod replay;
mod store;
