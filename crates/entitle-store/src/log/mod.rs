//! The append-only decision log, written by one background task with group
//! commit.
//!
//! [`DecisionLog::append`] queues the entry on a bounded channel and waits
//! for a oneshot acknowledgement. The writer task takes every entry waiting
//! (up to `log_batch_max`), inserts them in one transaction, commits, and
//! only then acknowledges each caller. Under load, batches grow and the cost
//! of a commit (an fsync) is shared; nothing is ever dropped: a full queue
//! makes callers wait. If a batch fails, its entries are retried one
//! transaction each, so one bad entry cannot fail the others.
//!
//! A decision with actions has its outbox steps written in the same
//! transaction as its entry (both or neither): the entries, then each
//! decision's license step, then the other steps.
//!
//! For a SQLite file the writer calls SQLite itself (`native`: rusqlite, on
//! the writer's thread, each statement prepared once), so a batch costs no
//! round trip between threads. Everywhere else (PostgreSQL, SQLite in
//! memory, and any batch holding a `Regenerate`) it writes through sqlx
//! (`writer`): it keeps a connection of its own (replaced only after an
//! error) so its statements stay prepared; a batch of up to 64 entries
//! without actions is a single INSERT (its own transaction), one with
//! actions an explicit transaction (`BEGIN IMMEDIATE` on SQLite). Both
//! paths write the same rows (a property test runs one sequence through
//! each).

mod native;
mod read;
mod writer;

pub(crate) use native::NativeWriter;

pub(crate) use writer::{LogMessage, writer};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::outbox::{ActionRecord, NewAction};

/// The decision log of a [`crate::Store`] ([`crate::Store::log`]): append an
/// entry with its outbox steps, read entries back, replay them.
#[derive(Debug, Clone, Copy)]
pub struct DecisionLog<'s> {
    pub(crate) store: &'s crate::Store,
}

/// Columns of `decision_log`, in insert order.
pub(super) const COLUMNS: &str = "decision_id, policy, policy_version, decided_at, facts, config, outcome, \
                       details, stable_until, trace, role, request_id, ticket_id, logged_at";
pub(super) const COLUMN_COUNT: usize = 14;
/// Most rows in one INSERT statement (14 parameters each).
pub(super) const ROWS_PER_STATEMENT: usize = 64;

/// JSON text, known to be valid JSON: what the log stores in its JSON
/// columns, serialised once by whoever has the value (or the raw bytes).
///
/// Build it from a [`Value`] (`From`), from any `Serialize` value
/// ([`JsonText::serialize`]), from a [`RawValue`] (`From`, no copy of the
/// check), or from text checked here ([`JsonText::parse`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsonText(String);

impl JsonText {
    /// `value` serialised (compact).
    pub fn serialize<T: Serialize + ?Sized>(value: &T) -> Result<JsonText, serde_json::Error> {
        serde_json::to_string(value).map(JsonText)
    }

    /// `text` if it is one valid JSON value (surrounding whitespace allowed).
    pub fn parse(text: impl Into<String>) -> Result<JsonText, serde_json::Error> {
        let text = text.into();
        serde_json::from_str::<serde::de::IgnoredAny>(&text)?;
        Ok(JsonText(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The text parsed back into a [`Value`].
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> JsonText {
        // A `Value` always serialises (its keys are strings).
        JsonText(value.to_string())
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> JsonText {
        JsonText::from(&value)
    }
}

impl From<&RawValue> for JsonText {
    fn from(raw: &RawValue) -> JsonText {
        JsonText(raw.get().to_owned())
    }
}

impl From<Box<RawValue>> for JsonText {
    fn from(raw: Box<RawValue>) -> JsonText {
        JsonText(String::from(Box::<str>::from(raw)))
    }
}

impl std::fmt::Display for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A decision to log: the report itself, with what the log keeps beside
/// it (the facts decided on, who asked, in which request, about which
/// ticket) and the outbox steps to write with it. The report's JSON
/// members (config, details, trace) are serialised once, when the entry is
/// queued.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// The decision: its policy, version, instant (`now`), outcome,
    /// details, `stable_until`, config and trace are the entry's.
    pub report: Arc<entitle::DecisionReport>,
    /// The full facts, as decided on.
    pub facts: JsonText,
    /// The caller's role (`support-engineer`, ...).
    pub role: String,
    /// The request id the caller was given.
    pub request_id: String,
    /// The ticket the decision was about, if any.
    pub ticket_id: Option<String>,
    /// The decision's actions, routed, written to the outbox with the
    /// entry (empty: nothing to carry out; [`NewDecision::with_actions`]).
    pub actions: Vec<NewAction>,
    /// The ticket the actions are about, and whose one license a `Create`
    /// action makes: the stored ticket id, else the identity of the ticket
    /// URL the report's subject names ([`entitle::input::ticket_url_key`]),
    /// which [`DecisionLog::append`] maps to the
    /// stored ticket that has that URL. Without one, a license action is an
    /// ordinary step ([`NewDecision::with_actions`] refuses to build such an
    /// entry).
    pub action_ticket: Option<String>,
}

impl NewDecision {
    /// The entry for `report`, decided on `facts` (a [`Value`], or the
    /// [`JsonText`] the report was decided on), by a caller with `role` in
    /// request `request_id`, about `ticket_id` if any. No actions are
    /// routed: add them with [`NewDecision::with_actions`].
    pub fn from_report(
        report: impl Into<Arc<entitle::DecisionReport>>,
        facts: impl Into<JsonText>,
        role: impl Into<String>,
        request_id: impl Into<String>,
        ticket_id: Option<String>,
    ) -> NewDecision {
        NewDecision {
            report: report.into(),
            facts: facts.into(),
            role: role.into(),
            request_id: request_id.into(),
            action_ticket: ticket_id.clone(),
            ticket_id,
            actions: Vec::new(),
        }
    }
}

/// A logged entry's id and when it was committed, with the outbox steps
/// written with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedDecision {
    /// The entry's id: a UUID v7 (time-ordered), as text.
    pub decision_id: String,
    /// When the store received the entry (RFC 3339, UTC).
    pub logged_at: String,
    /// The steps written, in `seq` order (none when the ticket already had
    /// its license: see `existing_license`).
    pub actions: Vec<ActionRecord>,
    /// The ticket's license step when it already had one: a `Create` action
    /// wrote no steps at all, a `Regenerate` action wrote none of its own
    /// (and retried this step if it was dead or cancelled). One record,
    /// shared by every decision of a commit about the ticket.
    pub existing_license: Option<Arc<ActionRecord>>,
}

/// An entry of the decision log, as read back. Its JSON form (`Serialize`)
/// is the decision report plus `decision_id`, `facts`, `role`, `request_id`,
/// `ticket_id` and `logged_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DecisionRecord {
    /// The entry's id.
    pub decision_id: String,
    /// The policy id.
    pub policy: String,
    /// The policy's behaviour version.
    pub version: u32,
    /// When the decision was made (RFC 3339, as decided).
    #[cfg_attr(feature = "schema", schemars(with = "chrono::DateTime<chrono::Utc>"))]
    pub now: String,
    /// The outcome id.
    pub outcome: String,
    /// The data the outcome carries.
    #[cfg_attr(feature = "schema", schemars(with = "entitle::policy::Details"))]
    pub details: Value,
    /// When the same facts would next be decided differently (RFC 3339).
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Option<chrono::DateTime<chrono::Utc>>")
    )]
    pub stable_until: Option<String>,
    /// The configuration used.
    #[cfg_attr(feature = "schema", schemars(with = "entitle::config::PolicyConfig"))]
    pub config: Value,
    /// The trace.
    #[cfg_attr(
        feature = "schema",
        schemars(with = "Vec<entitle::graph::Step<'static>>")
    )]
    pub trace: Value,
    /// The full facts.
    #[cfg_attr(feature = "schema", schemars(with = "serde_json::Map<String, Value>"))]
    pub facts: Value,
    /// The caller's role.
    pub role: String,
    /// The request id.
    pub request_id: String,
    /// The ticket, if any.
    pub ticket_id: Option<String>,
    /// When the store received the entry.
    #[cfg_attr(feature = "schema", schemars(with = "chrono::DateTime<chrono::Utc>"))]
    pub logged_at: String,
}

/// Which entries [`DecisionLog::decisions`] returns: all that match every filter
/// given, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionFilter {
    /// Only entries about this ticket.
    pub ticket_id: Option<String>,
    /// Only entries of this policy.
    pub policy: Option<String>,
    /// At most this many entries (default 100; capped at 10,000).
    pub limit: u32,
    /// Only entries older than this decision id (for paging: pass the last
    /// id of the previous page).
    pub before: Option<String>,
    /// Only entries with this outcome id.
    pub outcome: Option<String>,
    /// Only entries decided at or after this instant.
    pub decided_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries decided before this instant.
    pub decided_before: Option<chrono::DateTime<chrono::Utc>>,
}

impl Default for DecisionFilter {
    fn default() -> Self {
        Self {
            ticket_id: None,
            policy: None,
            limit: 100,
            before: None,
            outcome: None,
            decided_from: None,
            decided_before: None,
        }
    }
}

/// Counters of the log writer since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LogStats {
    /// Entries committed.
    pub entries: u64,
    /// Transactions committed (each holds one batch).
    pub transactions: u64,
    /// Largest batch committed in one transaction.
    pub largest_batch: u64,
    /// Entries that failed to be logged (their callers got the error).
    pub failed: u64,
}

#[derive(Debug, Default)]
pub(crate) struct LogStatsCounters {
    entries: AtomicU64,
    transactions: AtomicU64,
    largest_batch: AtomicU64,
    failed: AtomicU64,
}

impl LogStatsCounters {
    fn committed(&self, entries: usize) {
        let n = u64::try_from(entries).unwrap_or(u64::MAX);
        self.entries.fetch_add(n, Ordering::Relaxed);
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.largest_batch.fetch_max(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> LogStats {
        LogStats {
            entries: self.entries.load(Ordering::Relaxed),
            transactions: self.transactions.load(Ordering::Relaxed),
            largest_batch: self.largest_batch.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}
