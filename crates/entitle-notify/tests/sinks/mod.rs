//! The sinks against real local receivers (axum) and a real SMTP server
//! (aiosmtpd), and the actions config's validation.

mod common;
mod config;
mod email;
mod failures;
mod gitlab;
mod license;
use entitle_test_support::receiver;
use entitle_test_support::skip;
mod slack;
use entitle_test_support::smtp;
mod webhook;
mod worker;
mod zendesk;
