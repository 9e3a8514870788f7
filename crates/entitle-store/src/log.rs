//! The append-only decision log, written by one background task with group
//! commit.
//!
//! [`Store::log_decision`] queues the entry on a bounded channel and waits
//! for a oneshot acknowledgement. The writer task takes every entry waiting
//! (up to `log_batch_max`), inserts them in one transaction, commits, and
//! only then acknowledges each caller. Under load, batches grow and the cost
//! of a commit (an fsync) is shared; nothing is ever dropped: a full queue
//! makes callers wait. If a batch fails, its entries are retried one
//! transaction each, so one bad entry cannot fail the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::{Store, timestamp};

/// Columns of `decision_log`, in insert order.
const COLUMNS: &str = "decision_id, policy, policy_version, decided_at, facts, config, outcome, \
                       details, stable_until, trace, role, request_id, ticket_id, logged_at";
const COLUMN_COUNT: usize = 14;
/// Most rows in one INSERT statement (14 parameters each).
const ROWS_PER_STATEMENT: usize = 64;

/// A decision to log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// The policy id.
    pub policy: String,
    /// The policy's behaviour version.
    pub policy_version: u32,
    /// When the decision was made (the `now` it was decided at).
    pub now: DateTime<Utc>,
    /// The full facts, as decided on.
    pub facts: Value,
    /// The configuration used.
    pub config: Value,
    /// The outcome id.
    pub outcome: String,
    /// The data the outcome carries.
    pub details: Value,
    /// When the same facts would next be decided differently.
    pub stable_until: Option<DateTime<Utc>>,
    /// The trace, every step from the root to the outcome.
    pub trace: Value,
    /// The caller's role (`support-engineer`, ...).
    pub role: String,
    /// The request id the caller was given.
    pub request_id: String,
    /// The ticket the decision was about, if any.
    pub ticket_id: Option<String>,
}

impl NewDecision {
    /// The entry for `report`, decided on `facts`, by a caller with `role`
    /// in request `request_id`, about `ticket_id` if any.
    pub fn from_report(
        report: &entitle::DecisionReport,
        facts: Value,
        role: impl Into<String>,
        request_id: impl Into<String>,
        ticket_id: Option<String>,
    ) -> Result<NewDecision, StoreError> {
        let json = |context, value: Result<Value, serde_json::Error>| {
            value.map_err(|source| StoreError::Json { context, source })
        };
        Ok(NewDecision {
            policy: report.policy.to_owned(),
            policy_version: report.version,
            now: report.now,
            facts,
            config: json(
                "the decision's config",
                serde_json::to_value(&report.config),
            )?,
            outcome: report.outcome.to_owned(),
            details: json(
                "the decision's details",
                serde_json::to_value(&report.details),
            )?,
            stable_until: report.stable_until,
            trace: json("the decision's trace", serde_json::to_value(&report.trace))?,
            role: role.into(),
            request_id: request_id.into(),
            ticket_id,
        })
    }
}

/// A logged entry's id and when it was committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedDecision {
    /// The entry's id: a UUID v7 (time-ordered), as text.
    pub decision_id: String,
    /// When the store received the entry (RFC 3339, UTC).
    pub logged_at: String,
}

/// An entry of the decision log, as read back. Its JSON form (`Serialize`)
/// is the decision report plus `decision_id`, `facts`, `role`, `request_id`,
/// `ticket_id` and `logged_at`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    /// The entry's id.
    pub decision_id: String,
    /// The policy id.
    pub policy: String,
    /// The policy's behaviour version.
    pub version: u32,
    /// When the decision was made (RFC 3339, as decided).
    pub now: String,
    /// The outcome id.
    pub outcome: String,
    /// The data the outcome carries.
    pub details: Value,
    /// When the same facts would next be decided differently (RFC 3339).
    pub stable_until: Option<String>,
    /// The configuration used.
    pub config: Value,
    /// The trace.
    pub trace: Value,
    /// The full facts.
    pub facts: Value,
    /// The caller's role.
    pub role: String,
    /// The request id.
    pub request_id: String,
    /// The ticket, if any.
    pub ticket_id: Option<String>,
    /// When the store received the entry.
    pub logged_at: String,
}

/// Which entries [`Store::decisions`] returns: all that match every filter
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
}

impl Default for DecisionFilter {
    fn default() -> Self {
        Self {
            ticket_id: None,
            policy: None,
            limit: 100,
            before: None,
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

/// A row ready to insert: every column as text or integer.
struct LogRow {
    decision_id: String,
    policy: String,
    policy_version: i64,
    decided_at: String,
    facts: String,
    config: String,
    outcome: String,
    details: String,
    stable_until: Option<String>,
    trace: String,
    role: String,
    request_id: String,
    ticket_id: Option<String>,
    logged_at: String,
}

pub(crate) struct LogJob {
    row: LogRow,
    ack: oneshot::Sender<Result<(), StoreError>>,
}

pub(crate) enum LogMessage {
    Entry(Box<LogJob>),
    Shutdown(oneshot::Sender<()>),
}

fn to_text(context: &'static str, value: &Value) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|source| StoreError::Json { context, source })
}

impl LogRow {
    fn new(entry: &NewDecision) -> Result<LogRow, StoreError> {
        Ok(LogRow {
            decision_id: Uuid::now_v7().to_string(),
            policy: entry.policy.clone(),
            policy_version: i64::from(entry.policy_version),
            decided_at: entry.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            facts: to_text("the decision's facts", &entry.facts)?,
            config: to_text("the decision's config", &entry.config)?,
            outcome: entry.outcome.clone(),
            details: to_text("the decision's details", &entry.details)?,
            stable_until: entry
                .stable_until
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            trace: to_text("the decision's trace", &entry.trace)?,
            role: entry.role.clone(),
            request_id: entry.request_id.clone(),
            ticket_id: entry.ticket_id.clone(),
            logged_at: timestamp(Utc::now()),
        })
    }
}

fn insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO decision_log ({COLUMNS}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..COLUMN_COUNT {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * COLUMN_COUNT + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Inserts `rows` in one transaction and commits.
async fn write_batch(pool: &AnyPool, rows: &[&LogRow]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = insert_sql(chunk.len());
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.decision_id.as_str())
                .bind(row.policy.as_str())
                .bind(row.policy_version)
                .bind(row.decided_at.as_str())
                .bind(row.facts.as_str())
                .bind(row.config.as_str())
                .bind(row.outcome.as_str())
                .bind(row.details.as_str())
                .bind(row.stable_until.as_deref())
                .bind(row.trace.as_str())
                .bind(row.role.as_str())
                .bind(row.request_id.as_str())
                .bind(row.ticket_id.as_deref())
                .bind(row.logged_at.as_str());
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// The writer task: batches queued entries, one transaction per batch.
pub(crate) async fn writer(
    pool: AnyPool,
    mut rx: mpsc::Receiver<LogMessage>,
    batch_max: usize,
    stats: Arc<LogStatsCounters>,
) {
    let mut shutdown: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut batch: Vec<LogJob> = Vec::new();
        let mut push = |message: LogMessage, batch: &mut Vec<LogJob>| match message {
            LogMessage::Entry(job) => batch.push(*job),
            LogMessage::Shutdown(done) => {
                shutdown.push(done);
            }
        };
        push(first, &mut batch);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(message) => push(message, &mut batch),
                Err(_) => break,
            }
        }
        if !shutdown.is_empty() {
            // Refuse new entries; those already queued are still written.
            rx.close();
        }
        if batch.is_empty() {
            continue;
        }
        let rows: Vec<&LogRow> = batch.iter().map(|job| &job.row).collect();
        match write_batch(&pool, &rows).await {
            Ok(()) => {
                stats.committed(batch.len());
                for job in batch {
                    let _ = job.ack.send(Ok(()));
                }
            }
            Err(_) if batch.len() > 1 => {
                // Find the bad entry: one transaction each.
                for job in batch {
                    let result = write_batch(&pool, &[&job.row]).await;
                    match result {
                        Ok(()) => stats.committed(1),
                        Err(_) => {
                            stats.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    let _ = job
                        .ack
                        .send(result.map_err(StoreError::db("logging a decision")));
                }
            }
            Err(error) => {
                stats
                    .failed
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                for job in batch {
                    let _ = job.ack.send(Err(StoreError::Database {
                        context: "logging a decision".to_owned(),
                        source: clone_error(&error),
                    }));
                }
            }
        }
    }
    for done in shutdown {
        let _ = done.send(());
    }
}

/// sqlx errors are not `Clone`; keep the message.
fn clone_error(error: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Protocol(error.to_string())
}

fn json_column(row: &AnyRow, id: &str, column: &'static str) -> Result<Value, StoreError> {
    let text: String = row
        .try_get(column)
        .map_err(StoreError::db("reading the decision log"))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        entity: "decision",
        id: id.to_owned(),
        field: column,
        message: e.to_string(),
    })
}

fn record_from_row(row: &AnyRow) -> Result<DecisionRecord, StoreError> {
    let get = |column: &str| -> Result<String, StoreError> {
        row.try_get(column)
            .map_err(StoreError::db("reading the decision log"))
    };
    let get_opt = |column: &str| -> Result<Option<String>, StoreError> {
        row.try_get(column)
            .map_err(StoreError::db("reading the decision log"))
    };
    let id = get("decision_id")?;
    let version: i64 = row
        .try_get("policy_version")
        .map_err(StoreError::db("reading the decision log"))?;
    Ok(DecisionRecord {
        version: u32::try_from(version).map_err(|_| StoreError::Corrupt {
            entity: "decision",
            id: id.clone(),
            field: "policy_version",
            message: format!("{version} is not a version"),
        })?,
        policy: get("policy")?,
        now: get("decided_at")?,
        outcome: get("outcome")?,
        details: json_column(row, &id, "details")?,
        stable_until: get_opt("stable_until")?,
        config: json_column(row, &id, "config")?,
        trace: json_column(row, &id, "trace")?,
        facts: json_column(row, &id, "facts")?,
        role: get("role")?,
        request_id: get("request_id")?,
        ticket_id: get_opt("ticket_id")?,
        logged_at: get("logged_at")?,
        decision_id: id,
    })
}

impl Store {
    /// Appends `entry` to the decision log and returns its id once the entry
    /// is committed (durable). Concurrent calls share transactions (group
    /// commit). Waits while the writer's queue is full; never drops.
    pub async fn log_decision(&self, entry: NewDecision) -> Result<LoggedDecision, StoreError> {
        let row = LogRow::new(&entry)?;
        let logged = LoggedDecision {
            decision_id: row.decision_id.clone(),
            logged_at: row.logged_at.clone(),
        };
        let (ack, acked) = oneshot::channel();
        self.inner
            .log_tx
            .send(LogMessage::Entry(Box::new(LogJob { row, ack })))
            .await
            .map_err(|_| StoreError::Closed)?;
        acked.await.map_err(|_| StoreError::Closed)??;
        Ok(logged)
    }

    /// The log entry `decision_id`, or [`StoreError::NotFound`].
    pub async fn decision(&self, decision_id: &str) -> Result<DecisionRecord, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM decision_log WHERE decision_id = $1");
        let row = sqlx::query(&sql)
            .bind(decision_id)
            .fetch_optional(self.pool())
            .await
            .map_err(StoreError::db("reading the decision log"))?;
        match row {
            Some(row) => record_from_row(&row),
            None => Err(StoreError::NotFound {
                entity: "decision",
                id: decision_id.to_owned(),
            }),
        }
    }

    /// Log entries matching `filter`, newest first.
    pub async fn decisions(
        &self,
        filter: &DecisionFilter,
    ) -> Result<Vec<DecisionRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM decision_log WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        if filter.ticket_id.is_some() {
            sql.push_str(&format!(" AND ticket_id = ${}", next()));
        }
        if filter.policy.is_some() {
            sql.push_str(&format!(" AND policy = ${}", next()));
        }
        if filter.before.is_some() {
            sql.push_str(&format!(" AND decision_id < ${}", next()));
        }
        sql.push_str(&format!(" ORDER BY decision_id DESC LIMIT ${}", next()));
        let mut query = sqlx::query(&sql);
        for value in [&filter.ticket_id, &filter.policy, &filter.before]
            .into_iter()
            .flatten()
        {
            query = query.bind(value.as_str());
        }
        query = query.bind(i64::from(filter.limit.min(10_000)));
        let rows = query
            .fetch_all(self.pool())
            .await
            .map_err(StoreError::db("reading the decision log"))?;
        rows.iter().map(record_from_row).collect()
    }

    /// Counters of the log writer (entries, transactions) since opening.
    pub fn log_stats(&self) -> LogStats {
        self.inner.stats.snapshot()
    }
}
