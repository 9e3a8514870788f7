//! Status changes of steps, inside a caller's transaction: the cascade of a
//! failure, and the changes a person asks for (retry, cancel, done).
//!
//! Each function first reads (on PostgreSQL: locks, in `seq` order) every
//! step of the decision, then changes rows and records an event for each.

use sqlx::AnyConnection;

use super::plan::idempotency_key;
use super::row::{decision_of, event};
use super::{ActionChange, ActionRecord, ActionStatus};
use crate::error::StoreError;
use crate::store::Backend;

/// The actor of changes the outbox makes by itself.
pub(crate) const OUTBOX_ACTOR: &str = "outbox";

/// `step N (action via sink)`, for notes.
fn describe(step: &ActionRecord) -> String {
    format!("step {} ({} via {})", step.seq, step.action_id, step.sink)
}

fn find<'a>(steps: &'a mut [ActionRecord], id: &str) -> Result<&'a mut ActionRecord, StoreError> {
    steps
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or_else(|| StoreError::UnknownAction { id: id.to_owned() })
}

fn refuse(step: &ActionRecord, change: ActionChange) -> StoreError {
    StoreError::ActionTransition {
        id: step.id.clone(),
        status: step.status,
        change,
    }
}

/// Cancels every unsettled step of `steps` (one decision, in `seq` order)
/// that requires `cause` (now dead or cancelled), or a step cancelled by
/// this cascade; each is marked as cancelled by `cause`.
pub(crate) async fn cascade(
    conn: &mut AnyConnection,
    steps: &mut [ActionRecord],
    cause: &str,
    at: &str,
) -> Result<(), StoreError> {
    let Some(root) = steps.iter().find(|s| s.id == cause).cloned() else {
        return Ok(());
    };
    let mut failed: Vec<u32> = vec![root.seq];
    for i in 0..steps.len() {
        let Some(step) = steps.get(i) else {
            continue;
        };
        if step.status.is_settled() {
            continue;
        }
        let Some(&needed) = step.requires.iter().find(|r| failed.contains(r)) else {
            continue;
        };
        let Some(needed) = steps.iter().find(|s| s.seq == needed) else {
            continue;
        };
        let note = format!(
            "cancelled: it needs {}, which is {}",
            describe(needed),
            if needed.seq == root.seq {
                root.status
            } else {
                ActionStatus::Cancelled
            }
        );
        let Some(step) = steps.get_mut(i) else {
            continue;
        };
        sqlx::query(
            "UPDATE outbox SET status = 'cancelled', cancelled_by = $1, claim_token = NULL,
                 lease_until = NULL, next_attempt_at = NULL, updated_at = $2
             WHERE id = $3",
        )
        .bind(cause)
        .bind(at)
        .bind(step.id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::db(format!("cancelling action `{}`", step.id)))?;
        event(
            conn,
            &step.id,
            at,
            OUTBOX_ACTOR,
            step.status,
            ActionStatus::Cancelled,
            Some(&note),
        )
        .await?;
        step.status = ActionStatus::Cancelled;
        step.cancelled_by = Some(cause.to_owned());
        failed.push(step.seq);
    }
    Ok(())
}

/// Sets step `step` back to `pending` with no attempts; with `new_key`, in
/// a new generation (a new idempotency key).
async fn reopen(
    conn: &mut AnyConnection,
    step: &mut ActionRecord,
    new_key: bool,
    actor: &str,
    note: &str,
    at: &str,
) -> Result<(), StoreError> {
    if new_key {
        step.retries += 1;
        step.idempotency_key = idempotency_key(&step.id, step.retries);
    }
    sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, generation = $1,
             idempotency_key = $2, next_attempt_at = NULL, lease_until = NULL,
             claim_token = NULL, cancelled_by = NULL, updated_at = $3
         WHERE id = $4",
    )
    .bind(i64::from(step.retries))
    .bind(step.idempotency_key.as_str())
    .bind(at)
    .bind(step.id.as_str())
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db(format!("re-opening action `{}`", step.id)))?;
    let note = if new_key {
        format!("{note} (idempotency key {})", step.idempotency_key)
    } else {
        note.to_owned()
    };
    event(
        conn,
        &step.id,
        at,
        actor,
        step.status,
        ActionStatus::Pending,
        Some(&note),
    )
    .await?;
    step.status = ActionStatus::Pending;
    step.attempts = 0;
    step.cancelled_by = None;
    Ok(())
}

/// Retries step `id` (`dead`, `cancelled` or `failed` -> `pending`, no
/// attempts, a new idempotency key); re-opens the steps cancelled because
/// of it, and the delivered steps that report on (or require) a re-opened
/// one, so their record is made again. Refused while a step it requires is
/// dead or cancelled.
pub(crate) async fn retry(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
    actor: &str,
    at: &str,
) -> Result<(), StoreError> {
    let mut steps = decision_of(conn, backend, id).await?;
    let target = find(&mut steps, id)?;
    if !matches!(
        target.status,
        ActionStatus::Dead | ActionStatus::Cancelled | ActionStatus::Failed | ActionStatus::InDoubt
    ) {
        return Err(refuse(target, ActionChange::Retry));
    }
    let target_seq = target.seq;
    let requires = target.requires.clone();
    if let Some(blocker) = steps
        .iter()
        .find(|s| requires.contains(&s.seq) && s.status.is_failure())
    {
        return Err(StoreError::ActionBlocked {
            id: id.to_owned(),
            requires: blocker.id.clone(),
            requires_action: blocker.action_id.clone(),
            status: blocker.status,
        });
    }
    let target = find(&mut steps, id)?;
    let name = describe(target);
    reopen(conn, target, true, actor, "retried", at).await?;
    let mut reopened = vec![target_seq];
    for step in steps.iter_mut() {
        if step.status == ActionStatus::Cancelled && step.cancelled_by.as_deref() == Some(id) {
            let note = format!("re-opened: {name}, which cancelled it, was retried");
            reopen(conn, step, false, OUTBOX_ACTOR, &note, at).await?;
            reopened.push(step.seq);
        }
    }
    // In seq order: a delivered step depending on a re-opened one runs again.
    for step in steps.iter_mut() {
        if step.status != ActionStatus::Delivered {
            continue;
        }
        let Some(&on) = step
            .inputs
            .iter()
            .chain(step.requires.iter())
            .find(|s| reopened.contains(s))
        else {
            continue;
        };
        let note = format!("re-opened: it reports on step {on}, which runs again");
        reopen(conn, step, true, OUTBOX_ACTOR, &note, at).await?;
        reopened.push(step.seq);
    }
    Ok(())
}

/// Cancels step `id` (unsettled -> `cancelled`; a worker holding it loses
/// its claim) and, in cascade, the steps requiring it.
pub(crate) async fn cancel(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
    actor: &str,
    note: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    let mut steps = decision_of(conn, backend, id).await?;
    let target = find(&mut steps, id)?;
    if target.status.is_settled() {
        return Err(refuse(target, ActionChange::Cancel));
    }
    settle_by_hand(conn, target, ActionStatus::Cancelled, actor, note, at).await?;
    cascade(conn, &mut steps, id, at).await
}

/// What a person made when they carried a step out by hand: the license
/// (its text, and the file name to send it under), kept as the step's
/// result for the steps after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandMade<'a> {
    /// The license, as the tool gave it.
    pub license: &'a str,
    /// Its file name (default `license.txt` where it is attached).
    pub filename: Option<&'a str>,
}

/// The result kept for a step done by hand: who, their note, and what they
/// made.
fn by_hand_response(actor: &str, note: Option<&str>, made: Option<HandMade<'_>>) -> String {
    let result = super::StepResult {
        by_hand: Some(super::ByHand {
            by: actor.to_owned(),
            note: note.map(str::to_owned),
        }),
        license: made.map(|m| m.license.to_owned()),
        filename: made.and_then(|m| m.filename).map(str::to_owned),
    };
    // Strings and options only: it always serialises.
    serde_json::to_string(&result).unwrap_or_default()
}

/// Marks step `id` carried out by hand (`pending`, `failed`, `dead` or
/// `in-doubt` -> `done-by-hand`), a success, and carries on from it:
/// - the later steps of its action (a route's next sinks: the email after
///   the generator) run with what the person made, or, when they made
///   nothing the steps can use, are done by hand with it;
/// - the steps cancelled because it had failed are re-opened;
/// - the delivered steps that report on (or require) any of these run
///   again, so the record says what is now true.
pub(crate) async fn mark_done(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
    actor: &str,
    note: Option<&str>,
    made: Option<HandMade<'_>>,
    at: &str,
) -> Result<(), StoreError> {
    let mut steps = decision_of(conn, backend, id).await?;
    let target = find(&mut steps, id)?;
    if !matches!(
        target.status,
        ActionStatus::Pending | ActionStatus::Failed | ActionStatus::Dead | ActionStatus::InDoubt
    ) {
        return Err(refuse(target, ActionChange::MarkDone));
    }
    let (target_seq, action_id) = (target.seq, target.action_id.clone());
    let name = describe(target);
    settle_by_hand(conn, target, ActionStatus::DoneByHand, actor, note, at).await?;
    set_response(conn, id, &by_hand_response(actor, note, made)).await?;
    let mut changed = vec![target_seq];
    // The rest of its route.
    for step in steps.iter_mut() {
        let continues = step.action_id == action_id
            && step.seq > target_seq
            && (!step.status.is_settled()
                || (step.status == ActionStatus::Cancelled
                    && step.cancelled_by.as_deref() == Some(id)));
        if !continues {
            continue;
        }
        if made.is_some() {
            if step.status == ActionStatus::Cancelled {
                let note = format!("re-opened: {name} was done by hand, with its result");
                reopen(conn, step, false, OUTBOX_ACTOR, &note, at).await?;
            }
        } else {
            let with = format!("done by hand with {name}, by {actor}");
            settle_by_hand(
                conn,
                step,
                ActionStatus::DoneByHand,
                OUTBOX_ACTOR,
                Some(&with),
                at,
            )
            .await?;
            set_response(conn, &step.id, &by_hand_response(actor, note, None)).await?;
        }
        changed.push(step.seq);
    }
    // The steps its failure had cancelled.
    for step in steps.iter_mut() {
        if step.status == ActionStatus::Cancelled && step.cancelled_by.as_deref() == Some(id) {
            let note = format!("re-opened: {name}, which cancelled it, was done by hand");
            reopen(conn, step, false, OUTBOX_ACTOR, &note, at).await?;
            changed.push(step.seq);
        }
    }
    // In seq order: a delivered step depending on a changed one runs again.
    for step in steps.iter_mut() {
        if step.status != ActionStatus::Delivered {
            continue;
        }
        let Some(&on) = step
            .inputs
            .iter()
            .chain(step.requires.iter())
            .find(|s| changed.contains(s))
        else {
            continue;
        };
        let note = format!("re-opened: it reports on step {on}, which is now done");
        reopen(conn, step, true, OUTBOX_ACTOR, &note, at).await?;
        changed.push(step.seq);
    }
    Ok(())
}

/// Keeps `response` as step `id`'s result.
async fn set_response(
    conn: &mut AnyConnection,
    id: &str,
    response: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET response = $1 WHERE id = $2")
        .bind(response)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::db(format!(
            "recording the result of action `{id}`"
        )))?;
    Ok(())
}

/// Settles `target` as a person asked (`cancelled` or `done-by-hand`): its
/// claim, lease and retry time cleared, the change recorded as an event.
async fn settle_by_hand(
    conn: &mut AnyConnection,
    target: &mut ActionRecord,
    to: ActionStatus,
    actor: &str,
    note: Option<&str>,
    at: &str,
) -> Result<(), StoreError> {
    let id = target.id.clone();
    sqlx::query(
        "UPDATE outbox SET status = $1, cancelled_by = NULL, claim_token = NULL,
             lease_until = NULL, next_attempt_at = NULL, updated_at = $2
         WHERE id = $3",
    )
    .bind(to.as_str())
    .bind(at)
    .bind(id.as_str())
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db(format!("marking action `{id}` {to}")))?;
    event(conn, &id, at, actor, target.status, to, note).await?;
    target.status = to;
    target.cancelled_by = None;
    Ok(())
}
