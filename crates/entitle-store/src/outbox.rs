//! The actions outbox: what a decision's actions become once logged.
//!
//! Each action of a logged decision is routed ([`Routes`]) to one or more
//! sinks; each (action, sink) pair is one row of table `outbox`, a *step*,
//! written in the same transaction as the decision-log entry. A worker
//! claims runnable steps ([`Outbox::claim`]), delivers them and
//! completes or fails them; people list, retry, cancel and mark steps done
//! by hand. Every status change is a row of `outbox_events`.
//!
//! Flow, derived once at insert: a step runs only when every step with a
//! lower `seq` of its decision is settled, and every step it `requires` has
//! succeeded; a step that dies (or is cancelled) cancels the unsettled steps
//! requiring it, while steps that only *report* on it still run and see the
//! failure among their inputs.

mod for_people;
pub(crate) mod payload;
pub(crate) mod plan;
mod routes;
pub(crate) mod row;
mod transition;
mod worker;
pub(crate) mod write;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use for_people::ActionFilter;
pub use payload::{
    ByHand, FromDecision, Origin, StepActor, StepDetails, StepPayload, StepResult, StepTicket,
};
pub use routes::{ActionContext, MANUAL_SINK, NewAction, Routes};
pub use transition::HandMade;
pub use worker::{Delivered, Redelivery};

use crate::Store;

/// The outbox of a [`Store`] ([`Store::outbox`]): workers claim, complete
/// and fail steps; people list and read them, retry, cancel and mark them
/// done by hand. Steps are written with their decision
/// ([`crate::DecisionLog::append`]).
#[derive(Debug, Clone, Copy)]
pub struct Outbox<'s> {
    pub(crate) store: &'s Store,
}

/// The status of a step (`pending`, `in-flight`, ... in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ActionStatus {
    /// Waiting to run (or, for a manual task, for a person).
    Pending,
    /// Claimed by a worker, which holds a lease on it.
    InFlight,
    /// Carried out by its sink.
    Delivered,
    /// Failed, with retries left (`next_attempt_at`).
    Failed,
    /// Failed for good.
    Dead,
    /// Cancelled by a person, or because a step it requires failed.
    Cancelled,
    /// Carried out by a person, who marked it done.
    DoneByHand,
    /// Its last attempt may or may not have reached a service that does
    /// not deduplicate (its worker died before recording the answer): it
    /// waits for a person, who resends it (retry) or marks it done.
    InDoubt,
}

impl ActionStatus {
    /// Every status, in lifecycle order.
    pub const ALL: &'static [ActionStatus] = &[
        ActionStatus::Pending,
        ActionStatus::InFlight,
        ActionStatus::Delivered,
        ActionStatus::Failed,
        ActionStatus::Dead,
        ActionStatus::Cancelled,
        ActionStatus::DoneByHand,
        ActionStatus::InDoubt,
    ];

    /// The status as stored and shown (`in-flight`, `done-by-hand`).
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Pending => "pending",
            ActionStatus::InFlight => "in-flight",
            ActionStatus::Delivered => "delivered",
            ActionStatus::Failed => "failed",
            ActionStatus::Dead => "dead",
            ActionStatus::Cancelled => "cancelled",
            ActionStatus::DoneByHand => "done-by-hand",
            ActionStatus::InDoubt => "in-doubt",
        }
    }

    /// The status named `name` (as [`ActionStatus::as_str`] gives it).
    pub fn from_name(name: &str) -> Option<ActionStatus> {
        ActionStatus::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == name)
    }

    /// Settled: nothing more will happen to the step unless a person acts
    /// (`delivered`, `done-by-hand`, `dead`, `cancelled`). An `in-doubt`
    /// step waits for a person too, but is not settled: the steps after it
    /// wait with it.
    pub fn is_settled(self) -> bool {
        !matches!(
            self,
            ActionStatus::Pending
                | ActionStatus::InFlight
                | ActionStatus::Failed
                | ActionStatus::InDoubt
        )
    }

    /// Settled with success (`delivered` or `done-by-hand`).
    pub fn is_success(self) -> bool {
        matches!(self, ActionStatus::Delivered | ActionStatus::DoneByHand)
    }

    /// Settled with failure (`dead` or `cancelled`).
    pub fn is_failure(self) -> bool {
        matches!(self, ActionStatus::Dead | ActionStatus::Cancelled)
    }
}

impl std::fmt::Display for ActionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A change a person asks for (named in [`crate::StoreError::ActionTransition`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionChange {
    /// Run it again ([`Outbox::retry`]).
    Retry,
    /// Give it up ([`Outbox::cancel`]).
    Cancel,
    /// Mark it carried out by hand ([`Outbox::mark_done`]).
    MarkDone,
}

impl ActionChange {
    /// The change said of a step: `retry it`, `cancel it`, `mark it done`.
    pub fn of_it(self) -> &'static str {
        match self {
            ActionChange::Retry => "retry it",
            ActionChange::Cancel => "cancel it",
            ActionChange::MarkDone => "mark it done",
        }
    }
}

impl std::fmt::Display for ActionChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActionChange::Retry => "retry",
            ActionChange::Cancel => "cancel",
            ActionChange::MarkDone => "mark done",
        })
    }
}

/// One step of the outbox, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActionRecord {
    /// The step's public id (UUID v7).
    pub id: String,
    /// The decision that made it; `None` for a step about an intake event
    /// (`intake_id`).
    pub decision_id: Option<String>,
    /// The intake event (inbox row) the step is about, when no decision
    /// made it: the note on a refused tracker issue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intake_id: Option<String>,
    /// Its position among the decision's steps (0-based).
    pub seq: u32,
    /// The ticket it is about (the stored ticket id, or the ticket URL).
    pub ticket_id: Option<String>,
    /// The action's id (`email-license`); `action` in JSON, as in a
    /// decision's answer and a step's payload.
    #[serde(rename = "action")]
    pub action_id: String,
    /// The sink carrying it out (`manual` for a task for a person).
    pub sink: String,
    /// The step is a task for a person (sink `manual`).
    pub manual: bool,
    /// What the sink is given (see `docs/actions.md`).
    pub payload: Value,
    /// `seq`s of the steps that must have succeeded before this one runs.
    pub requires: Vec<u32>,
    /// `seq`s of the steps whose results this one receives.
    pub inputs: Vec<u32>,
    /// The ticket whose one license this step makes, if it does.
    pub license_ticket: Option<String>,
    /// How many times a person retried it (directly or through a step it
    /// depends on).
    pub retries: u32,
    /// The key the sink deduplicates on: `entitle-<id>`, `entitle-<id>-r<n>`
    /// after the n-th retry by a person.
    pub idempotency_key: String,
    /// The status.
    pub status: ActionStatus,
    /// Deliveries tried since it was created or last retried by a person.
    pub attempts: u32,
    /// When a failed step is tried again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Until when the worker that claimed it holds it (in flight).
    pub lease_until: Option<DateTime<Utc>>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// What the sink answered (the license made, the issue created).
    pub response: Option<Value>,
    /// The step whose failure cancelled this one, if that is why it is
    /// cancelled.
    pub cancelled_by: Option<String>,
    /// When the step was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl ActionRecord {
    /// Its payload as a type: what its sink is given.
    pub fn step_payload(&self) -> Result<StepPayload, serde_json::Error> {
        StepPayload::deserialize(&self.payload)
    }

    /// Its response as the steps after it read it (the license made, who
    /// did it by hand).
    pub fn result(&self) -> StepResult {
        self.response
            .as_ref()
            .map(StepResult::of)
            .unwrap_or_default()
    }
}

/// A change of status of a step, as recorded in `outbox_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActionEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it: a role or token id, `worker`, or `outbox` (a cascade).
    pub actor: String,
    /// The status before.
    pub from_status: ActionStatus,
    /// The status after.
    pub to_status: ActionStatus,
    /// Why (an error, a person's note, the step a cascade came from).
    pub note: Option<String>,
}

/// A step with its history, oldest event first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActionDetail {
    /// The step.
    #[serde(flatten)]
    pub action: ActionRecord,
    /// Every change of its status.
    pub events: Vec<ActionEvent>,
}

/// A step claimed by a worker: deliver it, then
/// [`complete`](crate::Outbox::complete) or
/// [`fail`](crate::Outbox::fail) it with `claim_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimedAction {
    /// The step, now `in-flight`.
    pub action: ActionRecord,
    /// Proves the claim; a newer claim (after the lease ran out) makes it
    /// stale.
    pub claim_token: String,
    /// The steps named in `action.inputs`, in `seq` order.
    pub inputs: Vec<ActionRecord>,
}
