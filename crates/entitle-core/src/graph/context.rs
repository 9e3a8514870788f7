//! The evaluation context: the instant of the decision and the configuration.

use std::cell::Cell;

use chrono::{DateTime, Utc};

use crate::time::LocalNow;

/// What a question may know besides the facts: `now` and the configuration.
///
/// The engine never reads a clock; `now` is always an input, so the same facts,
/// context and graph always give the same decision.
///
/// A context also remembers the wall clock at `now` in the configuration's
/// time zone once a time rule has looked it up (see [`crate::time`]), so the
/// questions of a decision share a single time-zone lookup. The memo is
/// keyed by `now` and the zone, so changing either field afterwards is safe.
#[derive(Debug)]
pub struct Context<'a, C> {
    /// The instant at which the decision is made.
    pub now: DateTime<Utc>,
    /// The configuration the decision uses (thresholds, time zone, ...).
    pub config: &'a C,
    /// The local wall clock at `now`, filled by the first time rule asked.
    pub(crate) local: Cell<Option<LocalNow>>,
}

impl<'a, C> Context<'a, C> {
    /// A context for a decision made at `now` under `config`.
    pub fn new(now: DateTime<Utc>, config: &'a C) -> Self {
        Self {
            now,
            config,
            local: Cell::new(None),
        }
    }
}

impl<C> Clone for Context<'_, C> {
    fn clone(&self) -> Self {
        Self {
            now: self.now,
            config: self.config,
            local: self.local.clone(),
        }
    }
}
