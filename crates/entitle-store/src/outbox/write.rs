//! Writing a decision's steps in the log writer's transaction, after its
//! decision-log entry: the ticket's one license, `Regenerate`, and one
//! multi-row INSERT for the rest.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entitle::policy::LicenseEffect;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::for_people::license_of;
use super::payload::DecisionPart;
use super::plan::{LicenseStep, Plan, Step, idempotency_key, seqs_json};
use super::row::parse_time;
use super::{ActionRecord, ActionStatus, MANUAL_SINK, transition};
use crate::bind_values::{Bound, bind_sqlx};
use crate::error::StoreError;
use crate::store::Backend;

/// Columns of an inserted step, in bind order; `generation`, `status`,
/// `attempts` and `payload_form` (the step's own part: see `payload`) are
/// constants.
const INSERT_COLUMNS: &str = "id, decision_id, seq, ticket_id, action_id, sink, payload, \
     requires, inputs, license_ticket, idempotency_key, created_at, updated_at, \
     generation, status, attempts, payload_form";
const BINDS: usize = 13;
/// Statement sizes (rows) the steps of a batch are cut into: powers of two,
/// so any count up to 127 takes at most seven statements (one per bit) and
/// the fourteen shapes (steps and licenses) fit in the writer's
/// prepared-statement cache beside the decision log's 64.
const CHUNKS: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];
/// Inserts a license step unless its ticket has one.
pub(crate) const LICENSE_SUFFIX: &str =
    " ON CONFLICT (license_ticket) WHERE license_ticket IS NOT NULL DO NOTHING RETURNING id";

/// A decision whose steps are to be written.
pub(crate) struct ActionsJob<'a> {
    pub(crate) decision_id: &'a str,
    /// The decision's role: the actor of a `Regenerate` retry.
    pub(crate) role: &'a str,
    /// When the decision was logged.
    pub(crate) at: &'a str,
    pub(crate) plan: &'a Plan,
    /// The ticket of the steps (and of its license).
    pub(crate) ticket: Option<&'a str>,
}

/// Which of a decision's planned steps were written.
#[derive(Debug)]
pub(crate) enum Kept {
    /// All of them.
    All,
    /// None (the ticket already has its license).
    Nothing,
    /// These, renumbered (the `Regenerate` action's steps left out).
    Replanned(Plan),
}

/// What was written for one decision.
#[derive(Debug)]
pub(crate) struct Resolution {
    pub(crate) kept: Kept,
    /// Index (in the written plan) of the step holding the ticket's license.
    pub(crate) license_step: Option<usize>,
    /// The ticket's license step, when it already had one (one record for
    /// every decision of the batch about that ticket).
    pub(crate) existing_license: Option<Arc<ActionRecord>>,
    /// The decision was left out: its intake delivery had been received
    /// before.
    pub(crate) duplicate: bool,
}

impl Resolution {
    /// All steps written, none of them a license step.
    fn all() -> Resolution {
        Resolution {
            kept: Kept::All,
            license_step: None,
            existing_license: None,
            duplicate: false,
        }
    }

    /// Nothing written: the decision's intake delivery is a redelivery.
    pub(crate) fn duplicate() -> Resolution {
        Resolution {
            kept: Kept::Nothing,
            license_step: None,
            existing_license: None,
            duplicate: true,
        }
    }
}

/// `INSERT INTO outbox ... VALUES` with `rows` rows, then `suffix`.
pub(crate) fn values(backend: Backend, rows: usize, suffix: &str) -> String {
    let mut sql = format!("INSERT INTO outbox ({INSERT_COLUMNS}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..BINDS {
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * BINDS + c + 1).to_string());
                }
            }
            sql.push_str(", ");
        }
        sql.push_str("0, 'pending', 0, 'own')");
    }
    sql.push_str(suffix);
    sql
}

/// A step with what it is written with.
pub(crate) struct Insert<'a> {
    pub(crate) step: &'a Step,
    pub(crate) job: &'a ActionsJob<'a>,
    /// Whether it is written as its ticket's license step.
    pub(crate) license: bool,
}

impl<'a> Insert<'a> {
    /// The values of the row, in [`INSERT_COLUMNS`] order.
    pub(crate) fn bound(&self) -> [Bound<'a>; BINDS] {
        let step = self.step;
        let job = self.job;
        [
            Bound::Text(&step.id),
            Bound::Text(job.decision_id),
            Bound::Integer(i64::from(step.seq)),
            Bound::MaybeText(job.ticket),
            Bound::Text(&step.action_id),
            Bound::Text(&step.sink),
            Bound::Text(&step.payload),
            Bound::Owned(seqs_json(&step.requires)),
            Bound::Owned(seqs_json(&step.inputs)),
            Bound::MaybeText(if self.license { job.ticket } else { None }),
            Bound::Owned(idempotency_key(&step.id, 0)),
            Bound::Text(job.at),
            Bound::Text(job.at),
        ]
    }
}

fn bind_all<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    rows: &'q [Insert<'q>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    bind_sqlx(query, rows.iter().flat_map(Insert::bound))
}

/// The size of the next chunk of `rows` rows.
fn chunk_len(rows: usize) -> usize {
    CHUNKS.iter().copied().find(|&n| n <= rows).unwrap_or(1)
}

/// Inserts the license steps `rows`, each unless its ticket has one (in the
/// database, or earlier in `rows`): the ids of those inserted.
async fn insert_licenses(
    conn: &mut AnyConnection,
    backend: Backend,
    rows: &[Insert<'_>],
) -> Result<HashSet<String>, StoreError> {
    let mut inserted = HashSet::with_capacity(rows.len());
    let mut rest = rows;
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(chunk_len(rest.len()));
        let sql = values(backend, chunk.len(), LICENSE_SUFFIX);
        let ids = bind_all(sqlx::query(&sql), chunk)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db("writing license actions"))?;
        for row in &ids {
            let id: String = row
                .try_get("id")
                .map_err(StoreError::db("writing license actions"))?;
            inserted.insert(id);
        }
        rest = tail;
    }
    Ok(inserted)
}

/// The license step of `ticket`, which an insert just found there.
pub(crate) async fn conflicting(
    conn: &mut AnyConnection,
    ticket: &str,
) -> Result<ActionRecord, StoreError> {
    license_of(conn, ticket)
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            entity: "ticket",
            id: ticket.to_owned(),
            field: "license action",
            message: "the license action conflicts but cannot be read".to_owned(),
        })
}

/// The steps of `job`, whose action `license` regenerates the license of
/// `ticket`: the ticket's license step stands (re-run if it failed for
/// good) and the action writes none of its own; a ticket with no license
/// step yet gets the action's as its license.
async fn regenerate(
    conn: &mut AnyConnection,
    backend: Backend,
    job: &ActionsJob<'_>,
    ticket: &str,
    license: LicenseStep,
) -> Result<Resolution, StoreError> {
    let Some(step) = job.plan.steps.get(license.step) else {
        return Ok(Resolution::all());
    };
    let existing = match license_of(conn, ticket).await? {
        Some(row) => row,
        None => {
            // The ticket's license, unless another decision made it first.
            let row = Insert {
                step,
                job,
                license: true,
            };
            if !insert_licenses(conn, backend, &[row]).await?.is_empty() {
                return Ok(Resolution {
                    kept: Kept::All,
                    license_step: Some(license.step),
                    existing_license: None,
                    duplicate: false,
                });
            }
            conflicting(conn, ticket).await?
        }
    };
    let existing = if existing.status.is_failure() {
        transition::retry(conn, backend, &existing.id, job.role, job.at).await?;
        super::row::fetch(conn, &existing.id).await?
    } else {
        existing
    };
    Ok(Resolution {
        kept: Kept::Replanned(job.plan.clone().without_action(license.action)),
        license_step: None,
        existing_license: Some(Arc::new(existing)),
        duplicate: false,
    })
}

/// The batch's new licenses, to insert first in as few statements as can
/// be: one per ticket, the first decision's (a later one about the same
/// ticket would only conflict with it).
pub(crate) fn license_creates<'a>(jobs: &'a [ActionsJob<'a>]) -> Vec<Insert<'a>> {
    let mut tickets: HashSet<&str> = HashSet::new();
    jobs.iter()
        .filter_map(|job| {
            let license = job.plan.license?;
            (license.effect == LicenseEffect::Create).then_some(())?;
            let step = job.plan.steps.get(license.step)?;
            tickets.insert(job.ticket?).then_some(())?;
            Some(Insert {
                step,
                job,
                license: true,
            })
        })
        .collect()
}

/// What a decision's steps come to once the batch's new licenses (the ids
/// in `created`) are written, or what must be read to know.
pub(crate) enum Needs<'a> {
    /// Known: nothing more to read.
    Known(Resolution),
    /// The license standing for this ticket, which the batch did not make.
    Standing(&'a str),
    /// A `Regenerate` of this ticket's license by this action: the
    /// ticket's license step, perhaps retried.
    Regenerate(&'a str, LicenseStep),
}

impl Needs<'_> {
    /// What `job`'s steps need, `created` holding the ids of the license
    /// steps the batch inserted.
    pub(crate) fn of<'a>(job: &ActionsJob<'a>, created: &HashSet<String>) -> Needs<'a> {
        let (Some(license), Some(ticket)) = (job.plan.license, job.ticket) else {
            return Needs::Known(Resolution::all());
        };
        if job.plan.steps.is_empty() {
            return Needs::Known(Resolution::all());
        }
        match license.effect {
            LicenseEffect::None => Needs::Known(Resolution::all()),
            LicenseEffect::Regenerate => Needs::Regenerate(ticket, license),
            LicenseEffect::Create => match job.plan.steps.get(license.step) {
                Some(step) if created.contains(&step.id) => Needs::Known(Resolution {
                    kept: Kept::All,
                    license_step: Some(license.step),
                    existing_license: None,
                    duplicate: false,
                }),
                _ => Needs::Standing(ticket),
            },
        }
    }
}

impl Resolution {
    /// No steps written: `existing` is the ticket's license.
    pub(crate) fn standing(existing: Arc<ActionRecord>) -> Resolution {
        Resolution {
            kept: Kept::Nothing,
            license_step: None,
            existing_license: Some(existing),
            duplicate: false,
        }
    }
}

/// The license steps standing for tickets whose license a batch did not
/// make, each read once per batch (decisions about one ticket arrive
/// together) and shared by those decisions' answers.
#[derive(Default)]
pub(crate) struct Standing<'a>(HashMap<&'a str, Arc<ActionRecord>>);

impl<'a> Standing<'a> {
    /// The license step of `ticket`, if read already.
    pub(crate) fn get(&self, ticket: &str) -> Option<Arc<ActionRecord>> {
        self.0.get(ticket).cloned()
    }

    /// Keeps `record`, just read, as the license step of `ticket`.
    pub(crate) fn keep(&mut self, ticket: &'a str, record: ActionRecord) -> Arc<ActionRecord> {
        let record = Arc::new(record);
        self.0.insert(ticket, Arc::clone(&record));
        record
    }

    /// Forgets the license step of `ticket` (it may change).
    pub(crate) fn forget(&mut self, ticket: &str) {
        self.0.remove(ticket);
    }
}

/// The steps to insert after the licenses: every step each resolution
/// keeps but its license step (written already).
pub(crate) fn other_steps<'a>(
    jobs: &'a [ActionsJob<'a>],
    resolutions: &'a [Resolution],
) -> Vec<Insert<'a>> {
    let mut rows: Vec<Insert<'_>> = Vec::new();
    for (job, resolution) in jobs.iter().zip(resolutions) {
        let steps = match &resolution.kept {
            Kept::All => &job.plan.steps[..],
            Kept::Nothing => &[][..],
            Kept::Replanned(plan) => &plan.steps[..],
        };
        for (i, step) in steps.iter().enumerate() {
            if resolution.license_step != Some(i) {
                rows.push(Insert {
                    step,
                    job,
                    license: false,
                });
            }
        }
    }
    rows
}

/// Writes the steps of `jobs` (their decision-log entries are already
/// written on `conn`, in the same transaction): the new licenses of the
/// batch, then each `Regenerate`, then the other steps.
pub(crate) async fn write_actions(
    conn: &mut AnyConnection,
    backend: Backend,
    jobs: &[ActionsJob<'_>],
) -> Result<Vec<Resolution>, StoreError> {
    let created = insert_licenses(conn, backend, &license_creates(jobs)).await?;
    let mut standing = Standing::default();
    let mut resolutions = Vec::with_capacity(jobs.len());
    for job in jobs {
        let resolution = match Needs::of(job, &created) {
            Needs::Known(resolution) => resolution,
            Needs::Standing(ticket) => Resolution::standing(match standing.get(ticket) {
                Some(record) => record,
                None => standing.keep(ticket, conflicting(conn, ticket).await?),
            }),
            Needs::Regenerate(ticket, license) => {
                // A `Regenerate` may retry the license step: read it afresh
                // after.
                standing.forget(ticket);
                regenerate(conn, backend, job, ticket, license).await?
            }
        };
        resolutions.push(resolution);
    }
    let rows = other_steps(jobs, &resolutions);
    let mut rest = &rows[..];
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(chunk_len(rest.len()));
        let sql = values(backend, chunk.len(), "");
        bind_all(sqlx::query(&sql), chunk)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db("writing a decision's actions"))?;
        rest = tail;
    }
    drop(rows);
    Ok(resolutions)
}

/// The record of a step just written.
pub(crate) fn written_record(
    step: Step,
    decision: &DecisionPart,
    decision_id: &str,
    ticket: Option<&str>,
    license: bool,
    at: &str,
) -> Result<ActionRecord, StoreError> {
    let at = parse_time(at).ok_or_else(|| StoreError::Corrupt {
        entity: "action",
        id: step.id.clone(),
        field: "created_at",
        message: format!("`{at}` is not an RFC 3339 instant"),
    })?;
    let own: Value = serde_json::from_str(&step.payload).map_err(|source| StoreError::Json {
        context: "an action's payload",
        source,
    })?;
    let payload = decision.join(own);
    Ok(ActionRecord {
        idempotency_key: idempotency_key(&step.id, 0),
        id: step.id,
        decision_id: Some(decision_id.to_owned()),
        intake_id: None,
        seq: step.seq,
        ticket_id: ticket.map(str::to_owned),
        action_id: step.action_id,
        manual: step.sink == MANUAL_SINK,
        sink: step.sink,
        payload,
        requires: step.requires,
        inputs: step.inputs,
        license_ticket: if license {
            ticket.map(str::to_owned)
        } else {
            None
        },
        retries: 0,
        status: ActionStatus::Pending,
        attempts: 0,
        next_attempt_at: None,
        lease_until: None,
        last_error: None,
        response: None,
        cancelled_by: None,
        created_at: at,
        updated_at: at,
    })
}
