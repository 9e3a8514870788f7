//! entitle's action sinks and the actions config.
//!
//! A decision's actions are written to the outbox (in `entitle-store`); a
//! worker hands each step to the [`Sink`] its route names. This crate holds the
//! sinks (one module per service, each speaking that service's wire format)
//! and the parsing and validation of the actions config (`docs/actions.md`).
//! The [`Worker`] joins the two: it claims steps from the store and
//! delivers them.

mod config;
mod delivery;
mod email;
mod gitlab;
mod http;
mod license;
mod payload;
mod secret;
mod sink;
mod slack;
mod webhook;
mod worker;
mod zendesk;

pub use config::{
    ActionsConfig, ConfigError, MANUAL, MAX_POLL_INTERVAL_MS, MAX_RETRY_DELAY_SECONDS,
    WorkerConfig, process_env,
};
pub use delivery::{Delivery, DeliveryError, Input};
pub use email::{EmailSink, SmtpTls};
pub use gitlab::GitLabSink;
pub use license::LicenseGeneratorSink;
pub use secret::Secret;
pub use sink::Sink;
pub use slack::SlackSink;
pub use webhook::{SIGNATURE_HEADER, WebhookSink, sign};
pub use worker::{RunStats, Worker, retry_delay};
pub use zendesk::{ZendeskAuth, ZendeskSink};
