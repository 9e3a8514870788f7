//! The outbox end to end: the real `entitle` binary (`entitle serve
//! --actions`, `entitle actions ...`) delivering decisions' actions to real
//! local receivers (axum servers that record what they get, the real
//! aiosmtpd SMTP server, PostgreSQL when `ENTITLE_TEST_POSTGRES_URL` is set).

/// Evaluates `check` (a block returning bool, which may `.await`) every
/// 50 ms until it is true or `limit` has passed; whether it became true.
macro_rules! wait_until {
    ($limit:expr, $check:expr) => {{
        let limit: std::time::Duration = $limit;
        let started = std::time::Instant::now();
        loop {
            if $check {
                break true;
            }
            if started.elapsed() > limit {
                break false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }};
}

mod bad_input;
mod common;
mod console;
mod crash;
mod intake;
mod once;
mod postgres;
mod provision;
use entitle_test_support::receiver;
mod sequences;
mod services;
use entitle_test_support::skip;
use entitle_test_support::smtp;
mod weekend;
