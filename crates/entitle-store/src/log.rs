//! The append-only decision log, written by one background task with group
//! commit.
//!
//! [`Store::log_decision`] queues the entry on a bounded channel and waits
//! for a oneshot acknowledgement. The writer task takes every entry waiting
//! (up to `log_batch_max`), inserts them in one transaction, commits, and
//! only then acknowledges each caller. It keeps a connection of its own
//! (replaced only after an error) so its statements stay prepared; a batch
//! of up to 64 entries is a single INSERT (its own transaction). Under
//! load, batches grow and the cost of a commit (an fsync) is shared; nothing
//! is ever dropped: a full queue makes callers wait. If a batch fails, its
//! entries are retried one transaction each, so one bad entry cannot fail
//! the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Connection, Row};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::{Backend, Store, timestamp};

/// Columns of `decision_log`, in insert order.
const COLUMNS: &str = "decision_id, policy, policy_version, decided_at, facts, config, outcome, \
                       details, stable_until, trace, role, request_id, ticket_id, logged_at";
const COLUMN_COUNT: usize = 14;
/// Most rows in one INSERT statement (14 parameters each).
const ROWS_PER_STATEMENT: usize = 64;

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

/// A decision to log. Its JSON columns come as [`JsonText`], serialised
/// once by the caller ([`NewDecision::from_report`] does it for a report).
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision {
    /// The policy id.
    pub policy: String,
    /// The policy's behaviour version.
    pub policy_version: u32,
    /// When the decision was made (the `now` it was decided at).
    pub now: DateTime<Utc>,
    /// The full facts, as decided on.
    pub facts: JsonText,
    /// The configuration used.
    pub config: JsonText,
    /// The outcome id.
    pub outcome: String,
    /// The data the outcome carries.
    pub details: JsonText,
    /// When the same facts would next be decided differently.
    pub stable_until: Option<DateTime<Utc>>,
    /// The trace, every step from the root to the outcome.
    pub trace: JsonText,
    /// The caller's role (`support-engineer`, ...).
    pub role: String,
    /// The request id the caller was given.
    pub request_id: String,
    /// The ticket the decision was about, if any.
    pub ticket_id: Option<String>,
}

impl NewDecision {
    /// The entry for `report`, decided on `facts` (a [`Value`], or the
    /// [`JsonText`] the report was decided on), by a caller with `role` in
    /// request `request_id`, about `ticket_id` if any. The report's config,
    /// details and trace are serialised straight to text.
    pub fn from_report(
        report: &entitle::DecisionReport,
        facts: impl Into<JsonText>,
        role: impl Into<String>,
        request_id: impl Into<String>,
        ticket_id: Option<String>,
    ) -> Result<NewDecision, StoreError> {
        let json = |context, value: Result<JsonText, serde_json::Error>| {
            value.map_err(|source| StoreError::Json { context, source })
        };
        Ok(NewDecision {
            policy: report.policy.to_owned(),
            policy_version: report.version,
            now: report.now,
            facts: facts.into(),
            config: json("the decision's config", JsonText::serialize(&report.config))?,
            outcome: report.outcome.to_owned(),
            details: json(
                "the decision's details",
                JsonText::serialize(&report.details),
            )?,
            stable_until: report.stable_until,
            trace: json("the decision's trace", JsonText::serialize(&report.trace))?,
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

impl LogRow {
    fn new(entry: NewDecision) -> LogRow {
        LogRow {
            decision_id: Uuid::now_v7().to_string(),
            policy: entry.policy,
            policy_version: i64::from(entry.policy_version),
            decided_at: entry.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            facts: entry.facts.into_string(),
            config: entry.config.into_string(),
            outcome: entry.outcome,
            details: entry.details.into_string(),
            stable_until: entry
                .stable_until
                .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            trace: entry.trace.into_string(),
            role: entry.role,
            request_id: entry.request_id,
            ticket_id: entry.ticket_id,
            logged_at: timestamp(Utc::now()),
        }
    }
}

/// The INSERT statements of the writer, built once: one SQL text per number
/// of rows (1 to [`ROWS_PER_STATEMENT`]), so no SQL is formatted per batch
/// and each shape is prepared once on the writer's connection (sqlx caches
/// prepared statements by SQL text; its default cache of 100 statements
/// holds all 64).
///
/// Exact shapes rather than a few fixed chunk sizes (1, 8, 64): a batch of
/// up to 64 entries is then one statement, one round trip to the database,
/// and needs no `BEGIN`/`COMMIT` of its own. Cutting batches into fixed
/// chunks measured half the throughput (each statement is a round trip);
/// padding to powers of two with filtered-out NULL rows was a little slower
/// than exact shapes.
struct InsertSql {
    /// `by_rows[n - 1]` inserts `n` rows.
    by_rows: Vec<String>,
}

impl InsertSql {
    fn new(backend: Backend) -> InsertSql {
        InsertSql {
            by_rows: (1..=ROWS_PER_STATEMENT)
                .map(|rows| insert_sql(backend, rows))
                .collect(),
        }
    }

    /// The statement inserting `rows` rows (1 to [`ROWS_PER_STATEMENT`]).
    fn get(&self, rows: usize) -> Result<&str, sqlx::Error> {
        rows.checked_sub(1)
            .and_then(|i| self.by_rows.get(i))
            .map(String::as_str)
            .ok_or_else(|| sqlx::Error::Protocol(format!("no INSERT statement of {rows} rows")))
    }
}

/// `INSERT INTO decision_log (...) VALUES (...), ...` with `rows` tuples.
/// SQLite gets anonymous `?` parameters (numbered ones make the driver look
/// each name up); PostgreSQL needs `$n`.
fn insert_sql(backend: Backend, rows: usize) -> String {
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
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * COLUMN_COUNT + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// Inserts `rows` with one statement of exactly that many rows.
async fn insert(conn: &mut AnyConnection, sql: &str, rows: &[&LogRow]) -> Result<(), sqlx::Error> {
    let mut query = sqlx::query(sql);
    for row in rows {
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
    query.execute(conn).await?;
    Ok(())
}

/// Inserts `rows` atomically and commits: up to [`ROWS_PER_STATEMENT`] rows
/// are one statement on its own (a single statement is its own transaction,
/// committed before it returns), more are several statements in one
/// transaction.
async fn write_batch(
    conn: &mut AnyConnection,
    sql: &InsertSql,
    rows: &[&LogRow],
) -> Result<(), sqlx::Error> {
    if rows.len() <= ROWS_PER_STATEMENT {
        return insert(conn, sql.get(rows.len())?, rows).await;
    }
    let mut tx = conn.begin().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        insert(&mut tx, sql.get(chunk.len())?, chunk).await?;
    }
    tx.commit().await
}

/// The writer's connection.
struct WriterConn {
    pool: AnyPool,
    /// Whether the writer keeps a connection of its own (taken out of the
    /// pool once, replaced only after an error). Not for SQLite in memory,
    /// where the pool's single connection is the database: there each batch
    /// borrows it.
    dedicated: bool,
    conn: Option<AnyConnection>,
    sql: InsertSql,
}

impl WriterConn {
    async fn write(&mut self, rows: &[&LogRow]) -> Result<(), sqlx::Error> {
        if !self.dedicated {
            let mut conn = self.pool.acquire().await?;
            return write_batch(&mut conn, &self.sql, rows).await;
        }
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?.detach(),
        };
        let result = write_batch(&mut conn, &self.sql, rows).await;
        if result.is_ok() {
            // After an error the connection is dropped (closed, rolling back
            // anything open) and the next batch opens a fresh one.
            self.conn = Some(conn);
        }
        result
    }

    async fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
        }
    }
}

/// The writer task: batches queued entries, one transaction per batch.
pub(crate) async fn writer(
    pool: AnyPool,
    backend: Backend,
    dedicated: bool,
    mut rx: mpsc::Receiver<LogMessage>,
    batch_max: usize,
    stats: Arc<LogStatsCounters>,
) {
    let mut conn = WriterConn {
        pool,
        dedicated,
        conn: None,
        sql: InsertSql::new(backend),
    };
    let mut shutdown: Vec<oneshot::Sender<()>> = Vec::new();
    let mut batch: Vec<LogJob> = Vec::new();
    while let Some(first) = rx.recv().await {
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
        let result = conn.write(&rows).await;
        drop(rows);
        match result {
            Ok(()) => {
                stats.committed(batch.len());
                for job in batch.drain(..) {
                    let _ = job.ack.send(Ok(()));
                }
            }
            Err(_) if batch.len() > 1 => {
                // Find the bad entry: one transaction each.
                for job in batch.drain(..) {
                    let result = conn.write(&[&job.row]).await;
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
                for job in batch.drain(..) {
                    let _ = job.ack.send(Err(StoreError::Database {
                        context: "logging a decision".to_owned(),
                        source: clone_error(&error),
                    }));
                }
            }
        }
    }
    conn.close().await;
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
        let row = LogRow::new(entry);
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
