//! What entitle's test binaries share, in one place instead of a copy per
//! crate: a skip that a person sees ([`skip`]) and, with the `postgres`
//! feature, a throwaway PostgreSQL database per test (`postgres`); with
//! `smtp`, the real SMTP server the email sink is tested against; with
//! `receiver`, the recording HTTP receiver that stands in for every HTTP
//! service the sinks and the outbox talk to (`receiver`).
//!
//! A dev-dependency only (`publish = false`). The core's tests use it
//! without features, so it brings no clock and no I/O crate to them.
#![allow(
    clippy::panic,
    reason = "test support: a failure here is the test's failure, reported by a panic"
)]

pub mod skip;

#[cfg(feature = "smtp")]
pub mod smtp;

#[cfg(feature = "receiver")]
pub mod receiver;

#[cfg(feature = "postgres")]
pub mod postgres;
