//! The evaluation context: the instant of the decision and the configuration.

use chrono::{DateTime, Utc};

/// What a question may know besides the facts: `now` and the configuration.
///
/// The engine never reads a clock; `now` is always an input, so the same facts,
/// context and graph always give the same decision.
#[derive(Debug)]
pub struct Context<'a, C> {
    /// The instant at which the decision is made.
    pub now: DateTime<Utc>,
    /// The configuration the decision uses (thresholds, time zone, ...).
    pub config: &'a C,
}

impl<'a, C> Context<'a, C> {
    /// A context for a decision made at `now` under `config`.
    pub fn new(now: DateTime<Utc>, config: &'a C) -> Self {
        Self { now, config }
    }
}

impl<C> Clone for Context<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Context<'_, C> {}
