//! The HTTP service's integration tests, one binary (`cargo test -p
//! entitle-http --test integration`), one module per suite; `openapi_check`
//! (responses against the OpenAPI document) and `schemathesis` (the
//! document against generated requests) are their shared support.

mod openapi_check;
mod schemathesis;

mod console;
mod http_api;
mod intake;
mod replay;
