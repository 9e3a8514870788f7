//! Reading and writing outbox rows: columns, typed reads, events, and the
//! transactions the outbox writes in.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::payload::{DecisionPart, PayloadForm};
use super::{ActionEvent, ActionRecord, ActionStatus};
use crate::error::StoreError;
use crate::store::{Backend, Store, timestamp};

/// Columns read into an [`ActionRecord`]: the step's (`outbox o`) and its
/// decision's part of the payload (`decision_log d`); select them
/// `FROM` [`FROM`].
pub(crate) const COLUMNS: &str = "o.id AS id, o.decision_id AS decision_id, \
     o.intake_id AS intake_id, o.seq AS seq, \
     o.ticket_id AS ticket_id, o.action_id AS action_id, o.sink AS sink, o.payload AS payload, \
     o.payload_form AS payload_form, o.requires AS requires, o.inputs AS inputs, \
     o.license_ticket AS license_ticket, o.generation AS generation, \
     o.idempotency_key AS idempotency_key, o.status AS status, o.attempts AS attempts, \
     o.next_attempt_at AS next_attempt_at, o.lease_until AS lease_until, \
     o.last_error AS last_error, o.response AS response, o.cancelled_by AS cancelled_by, \
     o.created_at AS created_at, o.updated_at AS updated_at, \
     d.policy AS decision_policy, d.policy_version AS decision_policy_version, \
     d.outcome AS decision_outcome, d.details AS decision_details, d.facts AS decision_facts";

/// The tables [`COLUMNS`] are read from: each step with its decision (none
/// for a step about an intake event).
pub(crate) const FROM: &str = "outbox o LEFT JOIN decision_log d ON d.decision_id = o.decision_id";

fn corrupt(id: &str, field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        entity: "action",
        id: id.to_owned(),
        field,
        message: message.into(),
    }
}

/// A row selected with [`COLUMNS`], whichever driver read it: sqlx's, or
/// rusqlite's on the log writer's own SQLite connection.
pub(crate) trait Columns {
    /// The text in `column` (`None` for NULL), or why it cannot be read.
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, String>;
    /// The integer in `column`, or why it cannot be read.
    fn integer(&self, column: &'static str) -> Result<i64, String>;
}

impl Columns for AnyRow {
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, String> {
        self.try_get(column).map_err(|e| e.to_string())
    }

    fn integer(&self, column: &'static str) -> Result<i64, String> {
        self.try_get(column).map_err(|e| e.to_string())
    }
}

impl Columns for rusqlite::Row<'_> {
    fn opt_text(&self, column: &'static str) -> Result<Option<String>, String> {
        self.get(column).map_err(|e| e.to_string())
    }

    fn integer(&self, column: &'static str) -> Result<i64, String> {
        self.get(column).map_err(|e| e.to_string())
    }
}

/// Typed reads of one `outbox` row.
struct Reader<'a, R: Columns + ?Sized> {
    row: &'a R,
    id: String,
}

impl<R: Columns + ?Sized> Reader<'_, R> {
    fn text(&self, column: &'static str) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| corrupt(&self.id, column, "is NULL"))
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.row
            .opt_text(column)
            .map_err(|e| corrupt(&self.id, column, e))
    }

    fn u32(&self, column: &'static str) -> Result<u32, StoreError> {
        let n = self
            .row
            .integer(column)
            .map_err(|e| corrupt(&self.id, column, e))?;
        u32::try_from(n).map_err(|_| corrupt(&self.id, column, format!("{n} is out of range")))
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        column: &'static str,
        text: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|e| corrupt(&self.id, column, e.to_string()))
    }

    fn time(&self, column: &'static str, text: &str) -> Result<DateTime<Utc>, StoreError> {
        parse_time(text).ok_or_else(|| corrupt(&self.id, column, format!("`{text}` is no instant")))
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.opt_text(column)?
            .map(|t| self.time(column, &t))
            .transpose()
    }

    /// The whole payload: as stored, or the step's own part joined with its
    /// decision's (parsed once for consecutive rows of one decision: `last`
    /// keeps the previous row's).
    fn payload(&self, last: &mut Option<(String, DecisionPart)>) -> Result<Value, StoreError> {
        let form = self.text("payload_form")?;
        let form = PayloadForm::from_name(&form)
            .ok_or_else(|| corrupt(&self.id, "payload_form", format!("unknown form `{form}`")))?;
        let stored: Value = self.json("payload", &self.text("payload")?)?;
        match form {
            PayloadForm::Whole => Ok(stored),
            PayloadForm::Own => {
                let decision_id = self.text("decision_id")?;
                if let Some((id, part)) = last.as_ref() {
                    if *id == decision_id {
                        return Ok(part.join(stored));
                    }
                }
                let version = self
                    .row
                    .integer("decision_policy_version")
                    .map_err(|e| corrupt(&self.id, "decision policy_version", e))?;
                let decision = DecisionPart::parse(
                    self.text("decision_policy")?,
                    version,
                    self.text("decision_outcome")?,
                    &self.text("decision_details")?,
                    &self.text("decision_facts")?,
                )
                .map_err(|(column, e)| corrupt(&self.id, column, e.to_string()))?;
                let whole = decision.join(stored);
                *last = Some((decision_id, decision));
                Ok(whole)
            }
        }
    }

    fn status(&self, column: &'static str) -> Result<ActionStatus, StoreError> {
        let text = self.text(column)?;
        ActionStatus::from_name(&text)
            .ok_or_else(|| corrupt(&self.id, column, format!("unknown status `{text}`")))
    }
}

/// An instant as stored (RFC 3339).
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The step in `row` (selected with [`COLUMNS`]).
pub(crate) fn record_from_row<R: Columns + ?Sized>(row: &R) -> Result<ActionRecord, StoreError> {
    record_after(row, &mut None)
}

/// The step in `row`, `last` holding the decision part of the row read
/// before it (see [`Reader::payload`]).
fn record_after<R: Columns + ?Sized>(
    row: &R,
    last: &mut Option<(String, DecisionPart)>,
) -> Result<ActionRecord, StoreError> {
    let id = row
        .opt_text("id")
        .map_err(|e| corrupt("?", "id", e))?
        .ok_or_else(|| corrupt("?", "id", "is NULL"))?;
    let r = Reader { row, id };
    let sink = r.text("sink")?;
    let payload = r.payload(last)?;
    let requires = r.text("requires")?;
    let inputs = r.text("inputs")?;
    let response = r.opt_text("response")?;
    let created_at = r.text("created_at")?;
    let updated_at = r.text("updated_at")?;
    Ok(ActionRecord {
        decision_id: r.opt_text("decision_id")?,
        intake_id: r.opt_text("intake_id")?,
        seq: r.u32("seq")?,
        ticket_id: r.opt_text("ticket_id")?,
        action_id: r.text("action_id")?,
        manual: sink == super::MANUAL_SINK,
        sink,
        payload,
        requires: r.json("requires", &requires)?,
        inputs: r.json("inputs", &inputs)?,
        license_ticket: r.opt_text("license_ticket")?,
        idempotency_key: r.text("idempotency_key")?,
        status: r.status("status")?,
        attempts: r.u32("attempts")?,
        next_attempt_at: r.opt_time("next_attempt_at")?,
        lease_until: r.opt_time("lease_until")?,
        last_error: r.opt_text("last_error")?,
        response: response.map(|text| r.json("response", &text)).transpose()?,
        cancelled_by: r.opt_text("cancelled_by")?,
        created_at: r.time("created_at", &created_at)?,
        updated_at: r.time("updated_at", &updated_at)?,
        retries: r.u32("generation")?,
        id: r.id.clone(),
    })
}

/// The steps in `rows`.
pub(crate) fn records(rows: &[AnyRow]) -> Result<Vec<ActionRecord>, StoreError> {
    let mut last = None;
    rows.iter()
        .map(|row| record_after(row, &mut last))
        .collect()
}

/// The event in `row` (`at, actor, from_status, to_status, note`).
pub(crate) fn event_from_row(row: &AnyRow, id: &str) -> Result<ActionEvent, StoreError> {
    let r = Reader {
        row,
        id: id.to_owned(),
    };
    let at = r.text("at")?;
    Ok(ActionEvent {
        at: r.time("at", &at)?,
        actor: r.text("actor")?,
        from_status: r.status("from_status")?,
        to_status: r.status("to_status")?,
        note: r.opt_text("note")?,
    })
}

/// Records that step `id` went `from` -> `to` at `at`, done by `actor`.
pub(crate) async fn event(
    conn: &mut AnyConnection,
    id: &str,
    at: &str,
    actor: &str,
    from: ActionStatus,
    to: ActionStatus,
    note: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox_events (action_row_id, at, actor, from_status, to_status, note)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(note)
    .execute(conn)
    .await
    .map_err(StoreError::db(format!(
        "recording a status change of action `{id}`"
    )))?;
    Ok(())
}

/// Every step of the decision of step `id`, in `seq` order, locked for
/// update on PostgreSQL (in that order, so transitions never deadlock).
/// (A step about an intake event has no decision: it is alone.)
pub(crate) async fn decision_of(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
) -> Result<Vec<ActionRecord>, StoreError> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE OF o",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM}
         WHERE o.id = $1 OR o.decision_id = (SELECT decision_id FROM outbox WHERE id = $1)
         ORDER BY o.seq{lock}"
    );
    let rows = sqlx::query(&sql)
        .bind(id)
        .fetch_all(conn)
        .await
        .map_err(StoreError::db(format!(
            "reading the steps of action `{id}`"
        )))?;
    let steps = records(&rows)?;
    if steps.iter().any(|s| s.id == id) {
        Ok(steps)
    } else {
        Err(StoreError::UnknownAction { id: id.to_owned() })
    }
}

/// Step `id`, or [`StoreError::UnknownAction`].
pub(crate) async fn fetch(conn: &mut AnyConnection, id: &str) -> Result<ActionRecord, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE o.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(StoreError::db(format!("reading action `{id}`")))?;
    match row {
        Some(row) => record_from_row(&row),
        None => Err(StoreError::UnknownAction { id: id.to_owned() }),
    }
}

/// Now, as stored.
pub(crate) fn now_text() -> String {
    timestamp(Utc::now())
}

impl Store {
    /// A write transaction: `BEGIN IMMEDIATE` on SQLite (it takes the write
    /// lock at once, so its reads stay valid), `BEGIN` on PostgreSQL (rows
    /// are locked as read).
    pub(crate) async fn begin_write(
        &self,
        context: &str,
    ) -> Result<Transaction<'static, Any>, StoreError> {
        let begun = match self.backend() {
            Backend::Sqlite => self.pool().begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool().begin().await,
        };
        begun.map_err(StoreError::db(format!(
            "starting a transaction for {context}"
        )))
    }
}
