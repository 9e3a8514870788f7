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
//!
//! A decision with actions has its outbox steps written in the same
//! transaction as its entry (both or neither). A batch holding any such
//! decision is one explicit transaction (`BEGIN IMMEDIATE` on SQLite):
//! the entries, then each decision's license step, then one multi-row
//! INSERT per chunk of the other steps. A batch without actions takes the
//! path it always took.

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
use crate::outbox::plan::Plan;
use crate::outbox::write::{ActionsJob, Kept, Resolution, write_actions, written_record};
use crate::outbox::{ActionRecord, NewAction};
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
    /// The decision's actions, routed, written to the outbox with the
    /// entry (empty: nothing to carry out; [`NewDecision::with_actions`]).
    pub actions: Vec<NewAction>,
    /// The ticket the actions are about, and whose one license a `Create`
    /// action makes: the stored ticket id, else the facts' `ticket_url`.
    /// Without one, a license action is an ordinary step.
    pub action_ticket: Option<String>,
}

impl NewDecision {
    /// The entry for `report`, decided on `facts` (a [`Value`], or the
    /// [`JsonText`] the report was decided on), by a caller with `role` in
    /// request `request_id`, about `ticket_id` if any. The report's config,
    /// details and trace are serialised straight to text. No actions are
    /// routed: add them with [`NewDecision::with_actions`].
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
            action_ticket: ticket_id.clone(),
            ticket_id,
            actions: Vec::new(),
        })
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
    /// (and retried this step if it was dead or cancelled).
    pub existing_license: Option<ActionRecord>,
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
    /// The steps to write with the entry (empty for most decisions).
    plan: Plan,
    action_ticket: Option<String>,
    ack: oneshot::Sender<Result<Written, StoreError>>,
}

/// What the writer wrote for one entry, sent back to its caller.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The steps written.
    plan: Plan,
    /// Index in `plan.steps` of the ticket's license step, if written.
    license_step: Option<usize>,
    existing_license: Option<ActionRecord>,
}

impl Written {
    /// What was written for `job` as `resolution` says.
    fn new(job: &mut LogJob, resolution: Option<Resolution>) -> Written {
        let Some(resolution) = resolution else {
            return Written::default();
        };
        let plan = match resolution.kept {
            Kept::All => std::mem::take(&mut job.plan),
            Kept::Nothing => Plan::default(),
            Kept::Replanned(plan) => plan,
        };
        Written {
            plan,
            license_step: resolution.license_step,
            existing_license: resolution.existing_license,
        }
    }
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

/// Writes `jobs` (some with actions) and their steps in one transaction.
async fn write_with_actions(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &InsertSql,
    jobs: &[&LogJob],
) -> Result<Vec<Resolution>, StoreError> {
    let fail = StoreError::db;
    let mut tx = match backend {
        // Take the write lock first: the license checks read in it.
        Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => conn.begin().await,
    }
    .map_err(fail("starting a decision-log transaction"))?;
    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<&LogRow> = chunk.iter().map(|job| &job.row).collect();
        insert(
            &mut tx,
            sql.get(rows.len()).map_err(fail("logging a decision"))?,
            &rows,
        )
        .await
        .map_err(fail("logging a decision"))?;
    }
    let actions: Vec<ActionsJob<'_>> = jobs
        .iter()
        .map(|job| ActionsJob {
            decision_id: &job.row.decision_id,
            role: &job.row.role,
            at: &job.row.logged_at,
            plan: &job.plan,
            ticket: job.action_ticket.as_deref(),
        })
        .collect();
    let resolutions = write_actions(&mut tx, backend, &actions).await?;
    tx.commit()
        .await
        .map_err(fail("committing a decision-log transaction"))?;
    Ok(resolutions)
}

/// The writer's connection.
struct WriterConn {
    pool: AnyPool,
    backend: Backend,
    /// Whether the writer keeps a connection of its own (taken out of the
    /// pool once, replaced only after an error). Not for SQLite in memory,
    /// where the pool's single connection is the database: there each batch
    /// borrows it.
    dedicated: bool,
    conn: Option<AnyConnection>,
    sql: InsertSql,
}

impl WriterConn {
    /// Writes `jobs` in one transaction: the entries only (the path of
    /// decisions without actions), or the entries and their steps. With
    /// steps, one resolution per job.
    async fn write(&mut self, jobs: &[&LogJob]) -> Result<Vec<Resolution>, StoreError> {
        let acquire = StoreError::db("logging a decision");
        if !self.dedicated {
            let mut conn = self.pool.acquire().await.map_err(acquire)?;
            return write_jobs(&mut conn, self.backend, &self.sql, jobs).await;
        }
        let mut conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await.map_err(acquire)?.detach(),
        };
        let result = write_jobs(&mut conn, self.backend, &self.sql, jobs).await;
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

/// [`write_batch`] for jobs without actions (no resolutions), else
/// [`write_with_actions`].
async fn write_jobs(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &InsertSql,
    jobs: &[&LogJob],
) -> Result<Vec<Resolution>, StoreError> {
    if jobs.iter().all(|job| job.plan.steps.is_empty()) {
        let rows: Vec<&LogRow> = jobs.iter().map(|job| &job.row).collect();
        write_batch(conn, sql, &rows)
            .await
            .map_err(StoreError::db("logging a decision"))?;
        return Ok(Vec::new());
    }
    write_with_actions(conn, backend, sql, jobs).await
}

/// Acknowledges `job` with what was written for it.
fn acknowledge(mut job: LogJob, resolution: Option<Resolution>) {
    let written = Written::new(&mut job, resolution);
    let _ = job.ack.send(Ok(written));
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
        backend,
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
        let jobs: Vec<&LogJob> = batch.iter().collect();
        let result = conn.write(&jobs).await;
        drop(jobs);
        match result {
            Ok(resolutions) => {
                stats.committed(batch.len());
                let mut resolutions = resolutions.into_iter();
                for job in batch.drain(..) {
                    acknowledge(job, resolutions.next());
                }
            }
            Err(_) if batch.len() > 1 => {
                // Find the bad entry: one transaction each.
                for job in batch.drain(..) {
                    match conn.write(&[&job]).await {
                        Ok(resolutions) => {
                            stats.committed(1);
                            acknowledge(job, resolutions.into_iter().next());
                        }
                        Err(error) => {
                            stats.failed.fetch_add(1, Ordering::Relaxed);
                            let _ = job.ack.send(Err(error));
                        }
                    }
                }
            }
            Err(error) => {
                stats
                    .failed
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                if let Some(job) = batch.pop() {
                    let _ = job.ack.send(Err(error));
                }
                batch.clear();
            }
        }
    }
    conn.close().await;
    for done in shutdown {
        let _ = done.send(());
    }
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
    ///
    /// The entry's actions are written to the outbox in the same
    /// transaction: both are committed or neither. A `Create` action for a
    /// ticket that already has its license step writes no steps and returns
    /// that step in [`LoggedDecision::existing_license`]; so does a
    /// `Regenerate` action, which also retries the license step (for the
    /// entry's role) if it is dead or cancelled.
    pub async fn log_decision(&self, mut entry: NewDecision) -> Result<LoggedDecision, StoreError> {
        let actions = std::mem::take(&mut entry.actions);
        let action_ticket = entry.action_ticket.take();
        let plan = if actions.is_empty() {
            Plan::default()
        } else {
            Plan::new(&actions)
        };
        drop(actions);
        let row = LogRow::new(entry);
        let decision_id = row.decision_id.clone();
        let logged_at = row.logged_at.clone();
        let ticket = if plan.steps.is_empty() {
            None
        } else {
            action_ticket.clone()
        };
        let (ack, acked) = oneshot::channel();
        self.inner
            .log_tx
            .send(LogMessage::Entry(Box::new(LogJob {
                row,
                plan,
                action_ticket,
                ack,
            })))
            .await
            .map_err(|_| StoreError::Closed)?;
        let written = acked.await.map_err(|_| StoreError::Closed)??;
        let license_step = written.license_step;
        let actions = written
            .plan
            .steps
            .into_iter()
            .enumerate()
            .map(|(i, step)| {
                written_record(
                    step,
                    &decision_id,
                    ticket.as_deref(),
                    license_step == Some(i),
                    &logged_at,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LoggedDecision {
            decision_id,
            logged_at,
            actions,
            existing_license: written.existing_license,
        })
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
