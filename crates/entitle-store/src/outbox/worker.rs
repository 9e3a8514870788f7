//! The worker's side of the outbox: claiming runnable steps under a lease,
//! completing and failing them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::Outbox;
use super::row::{COLUMNS, FROM, decision_of, event, records};
use super::transition::{OUTBOX_ACTOR, cascade};
use super::{ActionRecord, ActionStatus, ClaimedAction};
use crate::error::StoreError;
use crate::log::JsonText;
use crate::store::{Backend, timestamp};

/// A step a sink accepted, to be recorded by [`Outbox::complete_all`].
#[derive(Debug, Clone)]
pub struct Delivered<'a> {
    /// The step's id.
    pub id: &'a str,
    /// The token of the claim it was delivered under.
    pub claim_token: &'a str,
    /// What the sink answered.
    pub response: JsonText,
}

/// How the service behind a sink takes a step sent twice. A step whose
/// worker died between sending it and recording the answer (its lease ran
/// out) is claimed again; whether its attempt reached the service is not
/// known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Redelivery {
    /// The service deduplicates on the step's key, or the sink looks up
    /// what an earlier attempt wrote: sent again, safely.
    #[default]
    Safe,
    /// The service does not deduplicate: sent again; a duplicate is
    /// possible (and the step's history says it was in doubt).
    Resend,
    /// The service does not deduplicate: the step is held `in-doubt` for
    /// a person, who resends it or marks it done.
    Ask,
}

/// The actor of the worker's changes.
pub(crate) const WORKER_ACTOR: &str = "worker";

/// Most steps one claim takes.
const CLAIM_MAX: u32 = 1_000;

/// The candidates of a claim: non-manual steps that are due, whose lower
/// steps are all settled, oldest first. `$1` now, `$2` the limit.
fn candidates_sql(backend: Backend) -> String {
    let lock = match backend {
        // Several processes on one database never claim the same row.
        Backend::Postgres => " FOR UPDATE OF o SKIP LOCKED",
        Backend::Sqlite => "",
    };
    format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE o.sink <> 'manual'
           AND (o.status = 'pending'
                OR (o.status = 'failed' AND o.next_attempt_at <= $1)
                OR (o.status = 'in-flight' AND o.lease_until < $1))
           AND NOT EXISTS (SELECT 1 FROM outbox p
                           WHERE p.decision_id = o.decision_id AND p.seq < o.seq
                             AND p.status IN ('pending', 'in-flight', 'failed', 'in-doubt'))
         ORDER BY o.id
         LIMIT $2{lock}"
    )
}

/// The steps of decision `decision_id`, in `seq` order.
async fn steps_of(
    conn: &mut AnyConnection,
    decision_id: &str,
) -> Result<Vec<ActionRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE o.decision_id = $1 ORDER BY o.seq");
    let rows = sqlx::query(&sql)
        .bind(decision_id)
        .fetch_all(conn)
        .await
        .map_err(StoreError::db(format!(
            "reading the steps of decision `{decision_id}`"
        )))?;
    records(&rows)
}

impl Outbox<'_> {
    /// Claims up to `limit` runnable steps due at `now` (the worker's clock;
    /// events record the store's): each becomes
    /// `in-flight` with one more attempt, a new claim token and a lease until
    /// `now + lease`, and is returned with its input steps. Runnable: not
    /// manual; `pending`, `failed` and due, or `in-flight` with its lease run
    /// out (a crashed worker: retried with the same idempotency key); every
    /// lower step of its decision settled, every step it requires
    /// succeeded. On PostgreSQL rows are claimed with `FOR UPDATE SKIP
    /// LOCKED`: concurrent claimers, in any process, never get the same row.
    pub async fn claim(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedAction>, StoreError> {
        self.claim_with(now, limit, lease, &|_| Redelivery::Safe)
            .await
    }

    /// [`Outbox::claim`], with what `redelivery` says of each
    /// sink (by name) applied to a step found in flight with its lease run
    /// out: claimed again ([`Redelivery::Safe`], [`Redelivery::Resend`],
    /// the latter noted as in doubt in its history), or held `in-doubt`
    /// for a person ([`Redelivery::Ask`]) and not returned.
    pub async fn claim_with(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
        redelivery: &(dyn Fn(&str) -> Redelivery + Sync),
    ) -> Result<Vec<ClaimedAction>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        let lease_until = timestamp(
            now.checked_add_signed(lease)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
        let due = timestamp(now);
        // Events and `updated_at` record when things happened; `now` says
        // what is due and when leases end.
        let at = super::row::now_text();
        let mut tx = self.store.begin_write("claiming actions").await?;
        let rows = sqlx::query(&candidates_sql(self.store.backend()))
            .bind(due.as_str())
            .bind(i64::from(limit.min(CLAIM_MAX)))
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::db("finding runnable actions"))?;
        let candidates = records(&rows)?;
        let mut claimed = Vec::with_capacity(candidates.len());
        for mut action in candidates {
            // A step about an intake event is a decision's only step.
            let mut steps = match &action.decision_id {
                Some(decision) => steps_of(&mut tx, decision).await?,
                None => vec![action.clone()],
            };
            let blocked = steps
                .iter()
                .find(|s| action.requires.contains(&s.seq) && !s.status.is_success());
            if let Some(blocker) = blocked {
                // Only reachable if a cascade was missed: settle it now.
                let note = format!(
                    "cancelled: it needs step {} ({} via {}), which is {}",
                    blocker.seq, blocker.action_id, blocker.sink, blocker.status
                );
                sqlx::query(
                    "UPDATE outbox SET status = 'cancelled', cancelled_by = $1, claim_token = NULL,
                         lease_until = NULL, next_attempt_at = NULL, updated_at = $2
                     WHERE id = $3",
                )
                .bind(blocker.id.as_str())
                .bind(at.as_str())
                .bind(action.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(format!("cancelling action `{}`", action.id)))?;
                event(
                    &mut tx,
                    &action.id,
                    &at,
                    OUTBOX_ACTOR,
                    action.status,
                    ActionStatus::Cancelled,
                    Some(&note),
                )
                .await?;
                if let Some(step) = steps.iter_mut().find(|s| s.id == action.id) {
                    step.status = ActionStatus::Cancelled;
                }
                let id = action.id.clone();
                cascade(&mut tx, &mut steps, &id, &at).await?;
                continue;
            }
            let crashed = match (action.status, action.lease_until) {
                (ActionStatus::InFlight, Some(until)) => Some(timestamp(until)),
                _ => None,
            };
            let rule = redelivery(&action.sink);
            if let (Some(until), Redelivery::Ask) = (&crashed, rule) {
                let note = format!(
                    "in doubt: attempt {} may or may not have reached `{}`, which does not deduplicate (its worker stopped before recording the answer; lease ran out at {until}): resend it (retry) or mark it done",
                    action.attempts, action.sink
                );
                sqlx::query(
                    "UPDATE outbox SET status = 'in-doubt', claim_token = NULL, lease_until = NULL,
                         next_attempt_at = NULL, updated_at = $1
                     WHERE id = $2",
                )
                .bind(at.as_str())
                .bind(action.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::db(format!(
                    "holding action `{}` in doubt",
                    action.id
                )))?;
                event(
                    &mut tx,
                    &action.id,
                    &at,
                    WORKER_ACTOR,
                    action.status,
                    ActionStatus::InDoubt,
                    Some(&note),
                )
                .await?;
                continue;
            }
            let token = Uuid::new_v4().to_string();
            sqlx::query(
                "UPDATE outbox SET status = 'in-flight', attempts = attempts + 1,
                     claim_token = $1, lease_until = $2, updated_at = $3
                 WHERE id = $4",
            )
            .bind(token.as_str())
            .bind(lease_until.as_str())
            .bind(at.as_str())
            .bind(action.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(format!("claiming action `{}`", action.id)))?;
            let note = crashed.map(|until| match rule {
                Redelivery::Resend => format!(
                    "in doubt: lease ran out at {until}; sent again (on_doubt = resend): `{}` does not deduplicate, so a duplicate is possible",
                    action.sink
                ),
                _ => format!("lease ran out at {until}: claimed again, same idempotency key"),
            });
            event(
                &mut tx,
                &action.id,
                &at,
                WORKER_ACTOR,
                action.status,
                ActionStatus::InFlight,
                note.as_deref(),
            )
            .await?;
            action.status = ActionStatus::InFlight;
            action.attempts += 1;
            action.lease_until = super::row::parse_time(&lease_until);
            action.updated_at = super::row::parse_time(&at).unwrap_or(action.updated_at);
            let inputs = steps
                .into_iter()
                .filter(|s| action.inputs.contains(&s.seq))
                .collect();
            claimed.push(ClaimedAction {
                action,
                claim_token: token,
                inputs,
            });
        }
        tx.commit()
            .await
            .map_err(StoreError::db("committing the claim of actions"))?;
        Ok(claimed)
    }

    /// Marks step `id`, claimed with `claim_token`, `delivered` with the
    /// sink's `response`. `false` (and no change) if the claim is stale: the
    /// step was claimed again, cancelled, or is no longer in flight.
    pub async fn complete(
        &self,
        id: &str,
        claim_token: &str,
        response: JsonText,
    ) -> Result<bool, StoreError> {
        let done = self
            .complete_all(&[Delivered {
                id,
                claim_token,
                response,
            }])
            .await?;
        Ok(done.first().copied().unwrap_or(false))
    }

    /// [`complete`](Outbox::complete) for several steps in one
    /// transaction (one commit, one fsync, for a worker's whole pass): for
    /// each, in order, whether it was recorded (`false`: a stale claim).
    pub async fn complete_all(&self, delivered: &[Delivered<'_>]) -> Result<Vec<bool>, StoreError> {
        if delivered.is_empty() {
            return Ok(Vec::new());
        }
        let at = super::row::now_text();
        let mut tx = self.store.begin_write("completing actions").await?;
        let mut recorded = Vec::with_capacity(delivered.len());
        for Delivered {
            id,
            claim_token,
            response,
        } in delivered
        {
            let done = sqlx::query(
                "UPDATE outbox SET status = 'delivered', response = $1, claim_token = NULL,
                     lease_until = NULL, next_attempt_at = NULL, updated_at = $2
                 WHERE id = $3 AND claim_token = $4 AND status = 'in-flight'",
            )
            .bind(response.as_str())
            .bind(at.as_str())
            .bind(*id)
            .bind(*claim_token)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db(format!("completing action `{id}`")))?
            .rows_affected()
                == 1;
            if done {
                event(
                    &mut tx,
                    id,
                    &at,
                    WORKER_ACTOR,
                    ActionStatus::InFlight,
                    ActionStatus::Delivered,
                    None,
                )
                .await?;
            }
            recorded.push(done);
        }
        tx.commit()
            .await
            .map_err(StoreError::db("committing the delivery of actions"))?;
        Ok(recorded)
    }

    /// Records a failed delivery of step `id`, claimed with `claim_token`:
    /// `failed`, tried again at `retry_at`, or, with no `retry_at`, `dead`
    /// (cancelling the steps that require it). `error` and `response` are
    /// kept. `false` (and no change) if the claim is stale.
    pub async fn fail(
        &self,
        id: &str,
        claim_token: &str,
        error: &str,
        response: Option<JsonText>,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let at = super::row::now_text();
        let mut tx = self.store.begin_write("failing an action").await?;
        let mut steps = match decision_of(&mut tx, self.store.backend(), id).await {
            Ok(steps) => steps,
            Err(StoreError::UnknownAction { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let to = match retry_at {
            Some(_) => ActionStatus::Failed,
            None => ActionStatus::Dead,
        };
        let done = sqlx::query(
            "UPDATE outbox SET status = $1, last_error = $2,
                 response = COALESCE($3, response), next_attempt_at = $4,
                 claim_token = NULL, lease_until = NULL, updated_at = $5
             WHERE id = $6 AND claim_token = $7 AND status = 'in-flight'",
        )
        .bind(to.as_str())
        .bind(error)
        .bind(response.as_ref().map(JsonText::as_str))
        .bind(retry_at.map(timestamp))
        .bind(at.as_str())
        .bind(id)
        .bind(claim_token)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::db(format!("failing action `{id}`")))?
        .rows_affected()
            == 1;
        if done {
            event(
                &mut tx,
                id,
                &at,
                WORKER_ACTOR,
                ActionStatus::InFlight,
                to,
                Some(error),
            )
            .await?;
            if to == ActionStatus::Dead {
                if let Some(step) = steps.iter_mut().find(|s| s.id == id) {
                    step.status = ActionStatus::Dead;
                }
                cascade(&mut tx, &mut steps, id, &at).await?;
            }
        }
        tx.commit()
            .await
            .map_err(StoreError::db(format!("committing the failure of `{id}`")))?;
        Ok(done)
    }
}
