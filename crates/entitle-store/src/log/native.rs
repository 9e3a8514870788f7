//! The log writer's own SQLite connection, for a SQLite file: rusqlite,
//! called on the writer's thread.
//!
//! sqlx runs each SQLite connection on a thread of its own, so every
//! statement of a batch is a round trip between two threads (a wake-up and
//! a context switch each way). Here a batch is one `BEGIN IMMEDIATE`, its
//! statements and a `COMMIT`, each a plain call on the writer's thread,
//! prepared once and kept. The rows and the rules (which licenses stand,
//! which steps are written) are those of the sqlx path (see `writer` and
//! `outbox::write`), which stays for PostgreSQL, SQLite in memory, and the
//! rare batch holding a `Regenerate` (its retry is the outbox's own
//! transition, written with sqlx).

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use entitle::policy::LicenseEffect;
use rusqlite::{Connection, Transaction, TransactionBehavior, params_from_iter};

use super::writer::{LogJob, insert_sql};
use crate::error::StoreError;
use crate::outbox::ActionRecord;
use crate::outbox::row::{COLUMNS, FROM, record_from_row};
use crate::outbox::write::{
    ActionsJob, LICENSE_SUFFIX, Needs, Resolution, Standing, license_creates, other_steps, values,
};
use crate::store::{Backend, SqliteSynchronous};

/// `error` while `context`, as a [`StoreError::Sqlite`].
fn db(context: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        context: context.to_owned(),
        source,
    }
}

/// The statements the writer runs, one row each (a call, not a round trip,
/// so a row per statement costs nothing more).
struct Statements {
    log: String,
    license: String,
    step: String,
    standing: String,
}

/// The writer's connection to a SQLite file.
pub(crate) struct NativeWriter {
    conn: Connection,
    sql: Statements,
}

impl NativeWriter {
    /// Opens `path` (an existing, migrated database) for the writer, with
    /// the pool's settings.
    pub(crate) fn open(
        path: &Path,
        synchronous: SqliteSynchronous,
        busy_timeout: Duration,
    ) -> Result<NativeWriter, StoreError> {
        let context = format!("opening {} for the decision-log writer", path.display());
        let fail = |e| db(&context)(e);
        let conn = crate::sqlite_file::connect(path, busy_timeout).map_err(fail)?;
        conn.pragma_update(None, "synchronous", synchronous.name())
            .map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(fail)?;
        Ok(NativeWriter {
            conn,
            sql: Statements {
                log: insert_sql(Backend::Sqlite, 1),
                license: values(Backend::Sqlite, 1, LICENSE_SUFFIX),
                step: values(Backend::Sqlite, 1, ""),
                standing: format!("SELECT {COLUMNS} FROM {FROM} WHERE o.license_ticket = ?1"),
            },
        })
    }

    /// Whether this connection writes `jobs`: any batch but one holding a
    /// `Regenerate` or an intake delivery (written by the sqlx path).
    pub(crate) fn writes(jobs: &[&LogJob]) -> bool {
        !jobs.iter().any(|job| {
            job.inbox.is_some()
                || job
                    .plan
                    .license
                    .is_some_and(|license| license.effect == LicenseEffect::Regenerate)
        })
    }

    /// Writes `jobs` and their steps in one transaction, as the sqlx path
    /// does: with steps, one resolution per job.
    pub(crate) fn write(&mut self, jobs: &[&LogJob]) -> Result<Vec<Resolution>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("starting a decision-log transaction"))?;
        {
            let mut insert = tx
                .prepare_cached(&self.sql.log)
                .map_err(db("logging a decision"))?;
            for job in jobs {
                insert
                    .execute(params_from_iter(job.row.bound()))
                    .map_err(db("logging a decision"))?;
            }
        }
        let resolutions = if jobs.iter().all(|job| job.plan.steps.is_empty()) {
            Vec::new()
        } else {
            let actions: Vec<ActionsJob<'_>> = jobs.iter().map(|job| job.actions()).collect();
            write_actions(&tx, &self.sql, &actions)?
        };
        tx.commit()
            .map_err(db("committing a decision-log transaction"))?;
        Ok(resolutions)
    }
}

/// `outbox::write::write_actions` on this connection.
fn write_actions(
    tx: &Transaction<'_>,
    sql: &Statements,
    jobs: &[ActionsJob<'_>],
) -> Result<Vec<Resolution>, StoreError> {
    let mut created = HashSet::new();
    {
        let mut insert = tx
            .prepare_cached(&sql.license)
            .map_err(db("writing license actions"))?;
        for row in license_creates(jobs) {
            let mut ids = insert
                .query(params_from_iter(row.bound()))
                .map_err(db("writing license actions"))?;
            if let Some(id) = ids.next().map_err(db("writing license actions"))? {
                created.insert(
                    id.get::<_, String>(0)
                        .map_err(db("writing license actions"))?,
                );
            }
        }
    }
    let mut standing = Standing::default();
    let mut resolutions = Vec::with_capacity(jobs.len());
    for job in jobs {
        let resolution = match Needs::of(job, &created) {
            Needs::Known(resolution) => resolution,
            Needs::Standing(ticket) => Resolution::standing(match standing.get(ticket) {
                Some(record) => record,
                None => standing.keep(ticket, license_of(tx, sql, ticket)?),
            }),
            Needs::Regenerate(..) => {
                return Err(StoreError::WriterCannot {
                    what: "write a `Regenerate` action (the store writes those through sqlx)",
                });
            }
        };
        resolutions.push(resolution);
    }
    let mut insert = tx
        .prepare_cached(&sql.step)
        .map_err(db("writing a decision's actions"))?;
    for row in other_steps(jobs, &resolutions) {
        insert
            .execute(params_from_iter(row.bound()))
            .map_err(db("writing a decision's actions"))?;
    }
    drop(insert);
    Ok(resolutions)
}

/// The license step of `ticket`, which an insert just found there.
fn license_of(
    tx: &Transaction<'_>,
    sql: &Statements,
    ticket: &str,
) -> Result<ActionRecord, StoreError> {
    let context = format!("reading the license action of ticket `{ticket}`");
    let mut select = tx.prepare_cached(&sql.standing).map_err(db(&context))?;
    let mut rows = select.query([ticket]).map_err(db(&context))?;
    match rows.next().map_err(db(&context))? {
        Some(row) => record_from_row(row),
        None => Err(StoreError::Corrupt {
            entity: "ticket",
            id: ticket.to_owned(),
            field: "license action",
            message: "the license action conflicts but cannot be read".to_owned(),
        }),
    }
}
