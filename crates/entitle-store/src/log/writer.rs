//! The writer task: batches of queued entries, each one transaction (with
//! the outbox steps of its decisions), acknowledged after the commit.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{SecondsFormat, Utc};
use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::DecisionLog;
use crate::bind_values::{Bound, bind_sqlx};
use crate::error::StoreError;
use crate::intake::{InboxRow, IntakeStatus};
use crate::outbox::ActionRecord;
use crate::outbox::payload::DecisionTexts;
use crate::outbox::plan::Plan;
use crate::outbox::write::{ActionsJob, Kept, Resolution, write_actions, written_record};
use crate::store::{Backend, timestamp};

use super::native::NativeWriter;
use super::*;

/// A row ready to insert: every column as text or integer.
pub(super) struct LogRow {
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
    pub(super) row: LogRow,
    /// The steps to write with the entry (empty for most decisions).
    pub(super) plan: Plan,
    action_ticket: Option<String>,
    /// The intake delivery that started the decision: written first, in the
    /// same transaction; the decision is left out if it is a redelivery.
    pub(super) inbox: Option<InboxRow>,
    ack: oneshot::Sender<Result<Written, StoreError>>,
}

impl LogJob {
    /// What the outbox writes for the job's steps.
    pub(super) fn actions(&self) -> ActionsJob<'_> {
        ActionsJob {
            decision_id: &self.row.decision_id,
            role: &self.row.role,
            at: &self.row.logged_at,
            plan: &self.plan,
            ticket: self.action_ticket.as_deref(),
        }
    }
}

/// What the writer wrote for one entry, sent back to its caller.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The steps written.
    plan: Plan,
    /// Index in `plan.steps` of the ticket's license step, if written.
    license_step: Option<usize>,
    existing_license: Option<Arc<ActionRecord>>,
    /// The entry's part of the steps' payloads, when steps were written.
    entry: Option<DecisionTexts>,
    /// Its intake delivery had been received before: nothing was written.
    duplicate: bool,
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
        let entry = (!plan.steps.is_empty()).then(|| job.row.take_decision_part());
        Written {
            plan,
            license_step: resolution.license_step,
            existing_license: resolution.existing_license,
            entry,
            duplicate: resolution.duplicate,
        }
    }
}

pub(crate) enum LogMessage {
    Entry(Box<LogJob>),
    Shutdown(oneshot::Sender<()>),
}

impl LogRow {
    /// The values of the row, in [`COLUMNS`] order.
    pub(super) fn bound(&self) -> [Bound<'_>; COLUMN_COUNT] {
        [
            Bound::Text(&self.decision_id),
            Bound::Text(&self.policy),
            Bound::Integer(self.policy_version),
            Bound::Text(&self.decided_at),
            Bound::Text(&self.facts),
            Bound::Text(&self.config),
            Bound::Text(&self.outcome),
            Bound::Text(&self.details),
            Bound::MaybeText(self.stable_until.as_deref()),
            Bound::Text(&self.trace),
            Bound::Text(&self.role),
            Bound::Text(&self.request_id),
            Bound::MaybeText(self.ticket_id.as_deref()),
            Bound::Text(&self.logged_at),
        ]
    }

    /// The columns its steps' payloads join, moved out of it (it is
    /// written by then).
    fn take_decision_part(&mut self) -> DecisionTexts {
        DecisionTexts {
            policy: std::mem::take(&mut self.policy),
            policy_version: self.policy_version,
            outcome: std::mem::take(&mut self.outcome),
            details: std::mem::take(&mut self.details),
            facts: std::mem::take(&mut self.facts),
        }
    }

    /// The row of `entry`: its report's JSON members serialised.
    fn new(entry: NewDecision) -> Result<LogRow, StoreError> {
        let report = &entry.report;
        let json = |context, value: Result<String, serde_json::Error>| {
            value.map_err(|source| StoreError::Json { context, source })
        };
        let instant = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        Ok(LogRow {
            decision_id: Uuid::now_v7().to_string(),
            policy: report.policy.to_owned(),
            policy_version: i64::from(report.version),
            decided_at: instant(report.now),
            facts: entry.facts.into_string(),
            config: json(
                "the decision's config",
                serde_json::to_string(&report.config),
            )?,
            outcome: report.outcome.to_owned(),
            details: json(
                "the decision's details",
                serde_json::to_string(&report.details),
            )?,
            stable_until: report.stable_until.map(instant),
            trace: json("the decision's trace", serde_json::to_string(&report.trace))?,
            role: entry.role,
            request_id: entry.request_id,
            ticket_id: entry.ticket_id,
            logged_at: timestamp(Utc::now()),
        })
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
pub(super) struct InsertSql {
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
pub(super) fn insert_sql(backend: Backend, rows: usize) -> String {
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
pub(super) async fn insert(
    conn: &mut AnyConnection,
    sql: &str,
    rows: &[&LogRow],
) -> Result<(), sqlx::Error> {
    bind_sqlx(sqlx::query(sql), rows.iter().flat_map(|row| row.bound()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts `rows` atomically and commits: up to [`ROWS_PER_STATEMENT`] rows
/// are one statement on its own (a single statement is its own transaction,
/// committed before it returns), more are several statements in one
/// transaction.
pub(super) async fn write_batch(
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
pub(super) async fn write_with_actions(
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
    // Intake deliveries first: a redelivery's decision is left out.
    let mut duplicate = vec![false; jobs.len()];
    for (job, duplicate) in jobs.iter().zip(duplicate.iter_mut()) {
        if let Some(inbox) = &job.inbox {
            let first = inbox
                .insert_first(
                    &mut tx,
                    IntakeStatus::Decided,
                    Some(&job.row.decision_id),
                    None,
                )
                .await?;
            *duplicate = !first;
            if let (true, Some(records)) = (first, &inbox.delivery.records) {
                records.upsert_all(&mut tx).await?;
            }
        }
    }
    let fresh: Vec<&LogJob> = jobs
        .iter()
        .zip(&duplicate)
        .filter(|(_, duplicate)| !**duplicate)
        .map(|(job, _)| *job)
        .collect();
    let resolutions = write_fresh(&mut tx, backend, sql, &fresh).await?;
    tx.commit()
        .await
        .map_err(fail("committing a decision-log transaction"))?;
    let mut resolutions = resolutions.into_iter();
    Ok(duplicate
        .into_iter()
        .map(|duplicate| {
            if duplicate {
                Resolution::duplicate()
            } else {
                resolutions.next().unwrap_or_else(Resolution::duplicate)
            }
        })
        .collect())
}

/// Writes the entries of `jobs` and their steps in `tx`.
async fn write_fresh(
    tx: &mut AnyConnection,
    backend: Backend,
    sql: &InsertSql,
    jobs: &[&LogJob],
) -> Result<Vec<Resolution>, StoreError> {
    let fail = StoreError::db;
    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<&LogRow> = chunk.iter().map(|job| &job.row).collect();
        insert(
            &mut *tx,
            sql.get(rows.len()).map_err(fail("logging a decision"))?,
            &rows,
        )
        .await
        .map_err(fail("logging a decision"))?;
    }
    let actions: Vec<ActionsJob<'_>> = jobs.iter().map(|job| job.actions()).collect();
    write_actions(tx, backend, &actions).await
}

/// The writer's connection.
pub(super) struct WriterConn {
    pool: AnyPool,
    backend: Backend,
    /// Whether the writer keeps a connection of its own (taken out of the
    /// pool once, replaced only after an error). Not for SQLite in memory,
    /// where the pool's single connection is the database: there each batch
    /// borrows it.
    dedicated: bool,
    conn: Option<AnyConnection>,
    sql: InsertSql,
    /// The writer's own connection to a SQLite file, which writes every
    /// batch it can (see `native`).
    native: Option<NativeWriter>,
}

impl WriterConn {
    /// Writes `jobs` in one transaction: the entries only (the path of
    /// decisions without actions), or the entries and their steps. With
    /// steps, one resolution per job.
    async fn write(&mut self, jobs: &[&LogJob]) -> Result<Vec<Resolution>, StoreError> {
        if let Some(native) = self.native.as_mut() {
            if NativeWriter::writes(jobs) {
                return native.write(jobs);
            }
        }
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
pub(super) async fn write_jobs(
    conn: &mut AnyConnection,
    backend: Backend,
    sql: &InsertSql,
    jobs: &[&LogJob],
) -> Result<Vec<Resolution>, StoreError> {
    if jobs
        .iter()
        .all(|job| job.plan.steps.is_empty() && job.inbox.is_none())
    {
        let rows: Vec<&LogRow> = jobs.iter().map(|job| &job.row).collect();
        write_batch(conn, sql, &rows)
            .await
            .map_err(StoreError::db("logging a decision"))?;
        return Ok(Vec::new());
    }
    write_with_actions(conn, backend, sql, jobs).await
}

/// Acknowledges `job` with what was written for it.
pub(super) fn acknowledge(mut job: LogJob, resolution: Option<Resolution>) {
    let written = Written::new(&mut job, resolution);
    let _ = job.ack.send(Ok(written));
}

/// The writer task: batches queued entries, one transaction per batch.
pub(crate) async fn writer(
    pool: AnyPool,
    backend: Backend,
    dedicated: bool,
    native: Option<NativeWriter>,
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
        native,
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

impl DecisionLog<'_> {
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
    ///
    /// For a SQLite file the writer has a connection of its own to it,
    /// outside the pool, and calls SQLite on its thread; a URL with any
    /// parameter but `mode=rwc` or `mode=rw` keeps it on the pool's driver.
    pub async fn append(&self, entry: NewDecision) -> Result<LoggedDecision, StoreError> {
        // Without a delivery, nothing can make the entry a redelivery.
        self.write(entry, None).await?.ok_or(StoreError::Closed)
    }

    /// [`DecisionLog::append`] with the intake delivery that started it,
    /// written first in the same transaction: `None` when the delivery had
    /// been received before (nothing written).
    pub(crate) async fn log_decision_inboxed(
        &self,
        entry: NewDecision,
        inbox: InboxRow,
    ) -> Result<(InboxRow, Option<LoggedDecision>), StoreError> {
        let logged = self.write(entry, Some(inbox.clone())).await?;
        Ok((inbox, logged))
    }

    async fn write(
        &self,
        mut entry: NewDecision,
        inbox: Option<InboxRow>,
    ) -> Result<Option<LoggedDecision>, StoreError> {
        let actions = std::mem::take(&mut entry.actions);
        let mut action_ticket = entry.action_ticket.take();
        // A license named by URL alone is the stored ticket's, when a
        // stored ticket has that URL: one ticket, one key.
        let license = actions
            .iter()
            .any(|a| a.license != entitle::policy::LicenseEffect::None);
        if let (true, None, Some(key)) = (license, &entry.ticket_id, &action_ticket) {
            if entitle::input::check_http_url(key).is_ok() {
                if let Some(id) = self.store.records().ticket_for_url(key).await? {
                    action_ticket = Some(id);
                }
            }
        }
        let plan = if actions.is_empty() {
            Plan::default()
        } else {
            Plan::new(&actions)
        };
        drop(actions);
        let row = LogRow::new(entry)?;
        let decision_id = row.decision_id.clone();
        let logged_at = row.logged_at.clone();
        let ticket = if plan.steps.is_empty() {
            None
        } else {
            action_ticket.clone()
        };
        let (ack, acked) = oneshot::channel();
        self.store
            .inner
            .log_tx
            .send(LogMessage::Entry(Box::new(LogJob {
                row,
                plan,
                action_ticket,
                inbox,
                ack,
            })))
            .await
            .map_err(|_| StoreError::Closed)?;
        let written = acked.await.map_err(|_| StoreError::Closed)??;
        if written.duplicate {
            return Ok(None);
        }
        let license_step = written.license_step;
        // Steps were written only if the writer handed the entry's part back.
        let actions = match written.entry {
            None => Vec::new(),
            Some(entry) => {
                let decision = entry.parse()?;
                written
                    .plan
                    .steps
                    .into_iter()
                    .enumerate()
                    .map(|(i, step)| {
                        written_record(
                            step,
                            &decision,
                            &decision_id,
                            ticket.as_deref(),
                            license_step == Some(i),
                            &logged_at,
                        )
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        Ok(Some(LoggedDecision {
            decision_id,
            logged_at,
            actions,
            existing_license: written.existing_license,
        }))
    }
}
