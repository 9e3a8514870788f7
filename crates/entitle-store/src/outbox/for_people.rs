//! The people's side of the outbox: listing and reading steps, retrying,
//! cancelling and marking them done; and what the outbox says about a
//! ticket's license.

use entitle::policies::InternalRequest;
use sqlx::AnyConnection;

use super::Outbox;
use super::row::{COLUMNS, FROM, event_from_row, fetch, now_text, records};
use super::{ActionDetail, ActionRecord, ActionStatus, HandMade, transition};
use crate::error::StoreError;

/// Which steps [`Outbox::actions`] returns: all that match every filter
/// given, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionFilter {
    /// Only steps with this status.
    pub status: Option<ActionStatus>,
    /// Only steps about this ticket.
    pub ticket: Option<String>,
    /// Only what waits for a person (`Some(true)`: manual tasks and steps
    /// held `in-doubt`) or only the worker's (`Some(false)`).
    pub manual: Option<bool>,
    /// Only steps of this decision.
    pub decision: Option<String>,
    /// At most this many steps (default 100; capped at 10,000).
    pub limit: u32,
    /// Only steps older than this step id (for paging: pass the last id of
    /// the previous page).
    pub before: Option<String>,
}

impl Default for ActionFilter {
    fn default() -> Self {
        Self {
            status: None,
            ticket: None,
            manual: None,
            decision: None,
            limit: 100,
            before: None,
        }
    }
}

/// The `internal_request` fact a ticket's license step stands for:
/// delivered or done by hand is a success, dead or cancelled a failure,
/// anything still under way none (a `regenerate` then changes nothing).
fn internal_request(status: ActionStatus) -> InternalRequest {
    match status {
        ActionStatus::Delivered | ActionStatus::DoneByHand => InternalRequest::Success,
        ActionStatus::Dead | ActionStatus::Cancelled => InternalRequest::Failure,
        ActionStatus::Pending
        | ActionStatus::InFlight
        | ActionStatus::Failed
        | ActionStatus::InDoubt => InternalRequest::None,
    }
}

/// The license step of `ticket`, read on `conn`.
pub(crate) async fn license_of(
    conn: &mut AnyConnection,
    ticket: &str,
) -> Result<Option<ActionRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE o.license_ticket = $1");
    let rows = sqlx::query(&sql)
        .bind(ticket)
        .fetch_all(conn)
        .await
        .map_err(StoreError::db(format!(
            "reading the license action of ticket `{ticket}`"
        )))?;
    Ok(records(&rows)?.into_iter().next())
}

impl Outbox<'_> {
    /// Steps matching `filter`, newest first.
    pub async fn actions(&self, filter: &ActionFilter) -> Result<Vec<ActionRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE 1 = 1");
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        let mut binds: Vec<&str> = Vec::new();
        if let Some(status) = filter.status {
            sql.push_str(&format!(" AND o.status = ${}", next()));
            binds.push(status.as_str());
        }
        if let Some(ticket) = &filter.ticket {
            sql.push_str(&format!(" AND o.ticket_id = ${}", next()));
            binds.push(ticket);
        }
        match filter.manual {
            Some(true) => sql.push_str(" AND (o.sink = 'manual' OR o.status = 'in-doubt')"),
            Some(false) => sql.push_str(" AND o.sink <> 'manual' AND o.status <> 'in-doubt'"),
            None => {}
        }
        if let Some(decision) = &filter.decision {
            sql.push_str(&format!(" AND o.decision_id = ${}", next()));
            binds.push(decision);
        }
        if let Some(before) = &filter.before {
            sql.push_str(&format!(" AND o.id < ${}", next()));
            binds.push(before);
        }
        sql.push_str(&format!(" ORDER BY o.id DESC LIMIT ${}", next()));
        let mut query = sqlx::query(&sql);
        for value in binds {
            query = query.bind(value);
        }
        let rows = query
            .bind(i64::from(filter.limit.min(10_000)))
            .fetch_all(self.store.pool())
            .await
            .map_err(StoreError::db("listing actions"))?;
        records(&rows)
    }

    /// Step `id` with its history, or [`StoreError::UnknownAction`].
    pub async fn action(&self, id: &str) -> Result<ActionDetail, StoreError> {
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::db(format!("reading action `{id}`")))?;
        let action = fetch(&mut conn, id).await?;
        let rows = sqlx::query(
            "SELECT at, actor, from_status, to_status, note FROM outbox_events
             WHERE action_row_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::db(format!(
            "reading the history of action `{id}`"
        )))?;
        let events = rows
            .iter()
            .map(|row| event_from_row(row, id))
            .collect::<Result<_, _>>()?;
        Ok(ActionDetail { action, events })
    }

    /// The steps of decision `decision_id`, in `seq` order (none for a
    /// decision without actions, or an unknown one).
    pub async fn of_decision(&self, decision_id: &str) -> Result<Vec<ActionRecord>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE o.decision_id = $1 ORDER BY o.seq");
        let rows = sqlx::query(&sql)
            .bind(decision_id)
            .fetch_all(self.store.pool())
            .await
            .map_err(StoreError::db(format!(
                "reading the actions of decision `{decision_id}`"
            )))?;
        records(&rows)
    }

    /// The license step of `ticket` (a stored ticket id, or the ticket URL
    /// of decisions made without a stored ticket), if it has one.
    pub async fn license_of_ticket(
        &self,
        ticket: &str,
    ) -> Result<Option<ActionRecord>, StoreError> {
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::db(format!(
                "reading the license action of ticket `{ticket}`"
            )))?;
        license_of(&mut conn, ticket).await
    }

    /// The `internal_request` fact of `ticket` from its license step, or
    /// `None` when the outbox has no license step for it.
    pub(crate) async fn outbox_internal_request(
        &self,
        ticket: &str,
    ) -> Result<Option<InternalRequest>, StoreError> {
        Ok(self
            .license_of_ticket(ticket)
            .await?
            .map(|row| internal_request(row.status)))
    }

    /// Retries step `id` for `actor`: `dead`, `cancelled` or `failed` ->
    /// `pending`, no attempts, a new idempotency key. The steps cancelled
    /// because of it are re-opened, and so are the delivered steps reporting
    /// on it (the record is made again). Errors:
    /// [`StoreError::UnknownAction`], [`StoreError::ActionTransition`], and
    /// [`StoreError::ActionBlocked`] while a step it requires is dead or
    /// cancelled (retry that one).
    pub async fn retry(&self, id: &str, actor: &str) -> Result<ActionRecord, StoreError> {
        let mut tx = self.store.begin_write("retrying an action").await?;
        transition::retry(&mut tx, self.store.backend(), id, actor, &now_text()).await?;
        let action = fetch(&mut tx, id).await?;
        tx.commit()
            .await
            .map_err(StoreError::db(format!("committing the retry of `{id}`")))?;
        Ok(action)
    }

    /// Cancels step `id` for `actor` (`pending`, `failed` or `in-flight` ->
    /// `cancelled`; a worker holding it loses its claim), and in cascade the
    /// unsettled steps that require it. Errors: [`StoreError::UnknownAction`],
    /// [`StoreError::ActionTransition`] for a settled step.
    pub async fn cancel(
        &self,
        id: &str,
        actor: &str,
        note: Option<&str>,
    ) -> Result<ActionRecord, StoreError> {
        check_change(note, None)?;
        let mut tx = self.store.begin_write("cancelling an action").await?;
        transition::cancel(&mut tx, self.store.backend(), id, actor, note, &now_text()).await?;
        let action = fetch(&mut tx, id).await?;
        tx.commit().await.map_err(StoreError::db(format!(
            "committing the cancellation of `{id}`"
        )))?;
        Ok(action)
    }

    /// Marks step `id` carried out by hand by `actor` (`pending`, `failed`,
    /// `dead` or `in-doubt` -> `done-by-hand`, a success), and carries on
    /// from it: the later steps of its action are done with it, the steps
    /// its failure cancelled are re-opened, and a record that reported the
    /// failure is made again. Errors: [`StoreError::UnknownAction`],
    /// [`StoreError::ActionTransition`].
    pub async fn mark_done(
        &self,
        id: &str,
        actor: &str,
        note: Option<&str>,
    ) -> Result<ActionRecord, StoreError> {
        self.mark_done_with(id, actor, note, None).await
    }

    /// [`Outbox::mark_done`], with what the person made (the license they
    /// generated by hand): kept as the step's result, the later steps of
    /// its action (the email after the generator) run with it instead of
    /// being done by hand too.
    pub async fn mark_done_with(
        &self,
        id: &str,
        actor: &str,
        note: Option<&str>,
        made: Option<HandMade<'_>>,
    ) -> Result<ActionRecord, StoreError> {
        check_change(note, made)?;
        let mut tx = self.store.begin_write("marking an action done").await?;
        transition::mark_done(
            &mut tx,
            self.store.backend(),
            id,
            actor,
            note,
            made,
            &now_text(),
        )
        .await?;
        let action = fetch(&mut tx, id).await?;
        tx.commit()
            .await
            .map_err(StoreError::db(format!("committing `{id}` done by hand")))?;
        Ok(action)
    }
}

/// Refuses a note or license the store cannot keep on every backend: a NUL
/// character (PostgreSQL's `text` and `jsonb` refuse it, SQLite keeps it),
/// so a change is accepted or refused alike on both (#20).
fn check_change(note: Option<&str>, made: Option<HandMade<'_>>) -> Result<(), StoreError> {
    const NUL: &str = "holds a NUL character (\\u0000), which the store cannot keep";
    if note.is_some_and(|n| n.contains('\0')) {
        return Err(StoreError::InvalidChange {
            field: "note",
            reason: NUL,
        });
    }
    if let Some(made) = made {
        if made.license.contains('\0') {
            return Err(StoreError::InvalidChange {
                field: "license",
                reason: NUL,
            });
        }
        if made.filename.is_some_and(|f| f.contains('\0')) {
            return Err(StoreError::InvalidChange {
                field: "filename",
                reason: NUL,
            });
        }
    }
    Ok(())
}
