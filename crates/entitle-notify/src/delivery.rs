//! What a sink is handed, and how a delivery fails.

use std::time::Duration;

use entitle_store::{StepPayload, StepResult};
use serde_json::Value;

/// One step of the outbox handed to a sink.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The step's row id (its public action id).
    pub action_row_id: &'a str,
    /// The decision the step belongs to; `None` for a step about an intake
    /// event (the note on a refused tracker issue).
    pub decision_id: Option<&'a str>,
    /// The policy action id (`email-license`, ...).
    pub action_id: &'a str,
    /// Sent as `Idempotency-Key` with every HTTP request of this delivery.
    pub idempotency_key: &'a str,
    /// The step's payload: its action, ticket, requester, actor and the
    /// decision it comes from (see `docs/actions.md`).
    pub payload: &'a StepPayload,
    /// The results of the step's input steps, in seq order.
    pub inputs: &'a [Input],
    /// Which attempt this is (1 for the first since the step was written or
    /// last retried by a person). A later attempt may follow one that
    /// reached the service without being recorded: a sink that can look
    /// up what it wrote does so before writing again.
    pub attempt: u32,
    /// What the step's sink answered the last time it was carried out,
    /// when a person's retry (or one of a step it reports on) runs it
    /// again: a record that said "failure" then, say.
    pub previous: Option<&'a Value>,
}

/// The result of an input step, as a sink receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// The input step's action id.
    pub action_id: String,
    /// The sink that carried it out (`manual` when done by hand).
    pub sink: String,
    /// Whether it succeeded (delivered or done by hand).
    pub succeeded: bool,
    /// Its sink's response (for the license generator: `{"license": ...}`).
    pub response: Option<Value>,
    /// Its last error, when it failed.
    pub last_error: Option<String>,
}

impl Input {
    /// Its response as a result: the license it made, who did it by hand.
    pub fn result(&self) -> StepResult {
        self.response
            .as_ref()
            .map(StepResult::of)
            .unwrap_or_default()
    }
}

/// A failed delivery, and what the worker should do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth trying again (5xx, 408, 429, timeout, connection error).
    #[error("{message}")]
    Retryable {
        /// What went wrong, one line, no secret.
        message: String,
        /// The receiver's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// What the receiver answered, when it answered.
        response: Option<Value>,
    },
    /// Trying again would fail the same way (4xx, a malformed answer, a
    /// payload the sink cannot use).
    #[error("{message}")]
    Permanent {
        /// What went wrong, one line, no secret.
        message: String,
        /// What the receiver answered, when it answered.
        response: Option<Value>,
    },
}

impl DeliveryError {
    /// A permanent failure without a response.
    pub(crate) fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent {
            message: message.into(),
            response: None,
        }
    }

    /// A retryable failure without a response.
    pub(crate) fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable {
            message: message.into(),
            retry_after: None,
            response: None,
        }
    }

    /// Whether the worker should try again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }

    /// What the receiver answered, if anything.
    pub fn response(&self) -> Option<&Value> {
        match self {
            Self::Retryable { response, .. } | Self::Permanent { response, .. } => {
                response.as_ref()
            }
        }
    }
}
