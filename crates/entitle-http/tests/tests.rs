//! The HTTP service's integration tests, one binary (`cargo test -p
//! entitle-http --test integration`), one module per suite; `support` (the service on a free port),
//! `openapi_check`
//! (responses against the OpenAPI document) and `schemathesis` (the
//! document against generated requests) are their shared support.

mod openapi_check;
#[expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point (the expectation `http_api` gave it when it was its module)"
)]
mod schemathesis;
#[expect(
    clippy::expect_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]
mod support;

mod console;
mod http_api;
mod intake;
mod replay;
