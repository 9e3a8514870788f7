//! The intake inbox: every delivery received from a place where work
//! arrives (a Zendesk trigger's webhook, a GitLab project's issue events),
//! and what became of it.
//!
//! A delivery that starts a decision is written in the decision's own
//! transaction ([`Inbox::log_decision`]): the inbox row and the log
//! entry (with its outbox steps) are committed together or not at all. The
//! first row of a delivery id holds the event's outcome; a unique index
//! keeps it the only one, so a redelivery (sent again by the service, five
//! times at once, or after a crash) starts nothing and is kept as a row of
//! status `duplicate` pointing at the first.

use chrono::Utc;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::Records;
use crate::error::StoreError;
use crate::log::{LoggedDecision, NewDecision};
use crate::store::{Store, timestamp};

/// The intake inbox of a [`Store`] ([`Store::inbox`]): every delivery a
/// webhook receives, kept once per delivery id, with the decision it
/// started or why it started none.
#[derive(Debug, Clone, Copy)]
pub struct Inbox<'s> {
    pub(crate) store: &'s Store,
}

/// The most bytes of a delivery's body the inbox keeps (the rest is cut,
/// at a character boundary, and marked).
pub const MAX_KEPT_PAYLOAD: usize = 16 * 1024;

/// What became of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum IntakeStatus {
    /// It started a decision (`decision_id`).
    Decided,
    /// A redelivery of an event already received (`first_id`): nothing
    /// started.
    Duplicate,
    /// It could not start a decision (`reason` says why, naming the field).
    Refused,
    /// Nothing to decide (an event entitle caused itself, a tag no rule
    /// names): `reason` says which.
    Ignored,
}

impl IntakeStatus {
    /// The status as stored and shown.
    pub fn label(self) -> &'static str {
        match self {
            IntakeStatus::Decided => "decided",
            IntakeStatus::Duplicate => "duplicate",
            IntakeStatus::Refused => "refused",
            IntakeStatus::Ignored => "ignored",
        }
    }

    fn parse(text: &str) -> Option<IntakeStatus> {
        [
            IntakeStatus::Decided,
            IntakeStatus::Duplicate,
            IntakeStatus::Refused,
            IntakeStatus::Ignored,
        ]
        .into_iter()
        .find(|status| status.label() == text)
    }
}

impl std::fmt::Display for IntakeStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A delivery as received, before it is written.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Where it came from (`zendesk`, `gitlab`).
    pub source: String,
    /// The id the service gives the delivery, the same on each retry.
    pub delivery_id: String,
    /// What the event is about: the ticket id, or the URL.
    pub subject: Option<String>,
    /// The policy it starts, when known.
    pub policy: Option<String>,
    /// The body as received (kept up to [`MAX_KEPT_PAYLOAD`] bytes; the
    /// services' signatures and tokens are headers, never in it).
    pub payload: String,
    /// Records the delivery brings (the ticket it names, as it now is):
    /// upserted in the transaction of the decision it starts, and only
    /// then. Validate them first ([`Records::validate`]); the records they
    /// link must be stored already.
    pub records: Option<Records>,
}

/// A row of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct IntakeEvent {
    /// The row's id (a UUID v7: later rows sort after).
    pub id: String,
    /// Where it came from.
    pub source: String,
    /// The service's delivery id.
    pub delivery_id: String,
    /// When it was received (RFC 3339, UTC).
    pub received_at: String,
    /// What became of it.
    pub status: IntakeStatus,
    /// The ticket id or issue URL it is about, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The policy it started or would have started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The decision it started (`decided`; for a `duplicate`, the first
    /// delivery's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<String>,
    /// For a `duplicate`: the row of the first delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_id: Option<String>,
    /// Why it was refused or ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a delivery that would start a decision did.
#[derive(Debug)]
pub enum Intake {
    /// It was the first: the decision is logged (with its steps) and its
    /// inbox row written, in one transaction.
    Decided {
        /// The inbox row.
        event: IntakeEvent,
        /// The logged decision.
        logged: LoggedDecision,
    },
    /// A delivery of this id was received before: nothing was started.
    /// The row of this redelivery (`first_id` and `decision_id` are the
    /// first delivery's).
    Duplicate(IntakeEvent),
}

/// Which rows [`Inbox::list`] returns, newest first.
#[derive(Debug, Clone, Default)]
pub struct IntakeFilter {
    /// Only rows about this ticket id or issue URL.
    pub subject: Option<String>,
    /// Only rows from this source.
    pub source: Option<String>,
    /// Most rows (1 to 1000; 0 means 100).
    pub limit: u32,
    /// Only rows older than this row id (the previous page's last).
    pub before: Option<String>,
}

/// The action of the note on a refused tracker issue: route it (to a
/// `gitlab` sink) to have intake say on the issue what is missing.
pub const REFUSED_REQUEST_NOTE: &str = "note-refused-request";

/// The step of a refused delivery: a note on its tracker issue saying what
/// is missing, carried out by the sink its action is routed to.
#[derive(Debug, Clone)]
pub struct RefusalNote {
    /// The action id (`note-refused-request`).
    pub action_id: String,
    /// The sink that posts it.
    pub sink: String,
    /// The issue it is about (its URL): the step's ticket.
    pub ticket: Option<String>,
    /// What the sink is given: the text and the `origin` issue.
    pub payload: serde_json::Value,
}

impl RefusalNote {
    /// Inserts the step for inbox row `intake_id`; its id.
    async fn insert(
        &self,
        conn: &mut sqlx::AnyConnection,
        intake_id: &str,
    ) -> Result<String, StoreError> {
        let id = Uuid::now_v7().to_string();
        let at = timestamp(Utc::now());
        let payload = serde_json::to_string(&self.payload).map_err(|e| StoreError::Corrupt {
            entity: "action",
            id: id.clone(),
            field: "payload",
            message: e.to_string(),
        })?;
        sqlx::query(
            "INSERT INTO outbox (id, decision_id, intake_id, seq, ticket_id, action_id, sink, payload, \
                 requires, inputs, license_ticket, idempotency_key, created_at, updated_at, \
                 generation, status, attempts, payload_form) \
             VALUES ($1, NULL, $2, 0, $3, $4, $5, $6, '[]', '[]', NULL, $7, $8, $8, 0, 'pending', 0, 'whole')",
        )
        .bind(id.as_str())
        .bind(intake_id)
        .bind(self.ticket.as_deref())
        .bind(self.action_id.as_str())
        .bind(self.sink.as_str())
        .bind(payload.as_str())
        .bind(crate::outbox::plan::idempotency_key(&id, 0))
        .bind(at.as_str())
        .execute(conn)
        .await
        .map_err(StoreError::db("writing the note of a refused delivery"))?;
        Ok(id)
    }
}

/// An inbox row to insert: the writer inserts it in the transaction of its
/// decision, first, and leaves the decision out if it conflicts.
#[derive(Debug, Clone)]
pub(crate) struct InboxRow {
    pub(crate) id: String,
    pub(crate) delivery: Delivery,
    pub(crate) received_at: String,
}

/// `INSERT` of an inbox row that does nothing when the delivery id has its
/// row already (the partial unique index `intake_delivery`).
pub(crate) const INSERT_FIRST: &str = "INSERT INTO intake (id, source, delivery_id, received_at, status, subject, policy, decision_id, first_id, reason, payload) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING";

const SELECT: &str = "SELECT id, source, delivery_id, received_at, status, subject, policy, decision_id, first_id, reason FROM intake";

/// `payload` cut to [`MAX_KEPT_PAYLOAD`] bytes at a character boundary.
fn bounded(payload: &str) -> String {
    if payload.len() <= MAX_KEPT_PAYLOAD {
        return payload.to_owned();
    }
    let mut end = MAX_KEPT_PAYLOAD;
    while !payload.is_char_boundary(end) {
        end -= 1;
    }
    let kept = payload.get(..end).unwrap_or_default();
    format!("{kept}…[cut at {MAX_KEPT_PAYLOAD} bytes]")
}

impl InboxRow {
    pub(crate) fn new(delivery: Delivery) -> InboxRow {
        InboxRow {
            id: Uuid::now_v7().to_string(),
            delivery,
            received_at: timestamp(Utc::now()),
        }
    }

    /// Inserts the row as the event's first, of `status`; false when the
    /// delivery id already has its row (nothing written).
    pub(crate) async fn insert_first(
        &self,
        conn: &mut sqlx::AnyConnection,
        status: IntakeStatus,
        decision_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let d = &self.delivery;
        let done = sqlx::query(INSERT_FIRST)
            .bind(self.id.as_str())
            .bind(d.source.as_str())
            .bind(d.delivery_id.as_str())
            .bind(self.received_at.as_str())
            .bind(status.label())
            .bind(d.subject.as_deref())
            .bind(d.policy.as_deref())
            .bind(decision_id)
            .bind(None::<&str>)
            .bind(reason)
            .bind(bounded(&d.payload))
            .execute(conn)
            .await
            .map_err(StoreError::db("writing a delivery to the intake inbox"))?;
        Ok(done.rows_affected() == 1)
    }

    /// The row as read back, with `status`, `decision_id` and `reason`.
    pub(crate) fn event(
        &self,
        status: IntakeStatus,
        decision_id: Option<String>,
        first_id: Option<String>,
        reason: Option<String>,
    ) -> IntakeEvent {
        let d = &self.delivery;
        IntakeEvent {
            id: self.id.clone(),
            source: d.source.clone(),
            delivery_id: d.delivery_id.clone(),
            received_at: self.received_at.clone(),
            status,
            subject: d.subject.clone(),
            policy: d.policy.clone(),
            decision_id,
            first_id,
            reason,
        }
    }
}

fn event_of(row: &AnyRow) -> Result<IntakeEvent, StoreError> {
    let read = || StoreError::db("reading the intake inbox");
    let text = |name: &str| row.try_get::<String, _>(name).map_err(read());
    let optional = |name: &str| row.try_get::<Option<String>, _>(name).map_err(read());
    let status = text("status")?;
    Ok(IntakeEvent {
        id: text("id")?,
        source: text("source")?,
        delivery_id: text("delivery_id")?,
        received_at: text("received_at")?,
        status: IntakeStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            entity: "intake",
            id: row.try_get::<String, _>("id").unwrap_or_default(),
            field: "status",
            message: format!("`{status}` is no intake status"),
        })?,
        subject: optional("subject")?,
        policy: optional("policy")?,
        decision_id: optional("decision_id")?,
        first_id: optional("first_id")?,
        reason: optional("reason")?,
    })
}

impl Inbox<'_> {
    /// Logs `entry` as the decision `delivery` starts: the inbox row and the
    /// decision (with its outbox steps) in one transaction. When the
    /// delivery id has its row already, nothing is logged and the
    /// redelivery is kept as a `duplicate` row.
    pub async fn log_decision(
        &self,
        entry: NewDecision,
        delivery: Delivery,
    ) -> Result<Intake, StoreError> {
        let row = InboxRow::new(delivery);
        let (row, logged) = self.store.log().log_decision_inboxed(entry, row).await?;
        match logged {
            Some(logged) => Ok(Intake::Decided {
                event: row.event(
                    IntakeStatus::Decided,
                    Some(logged.decision_id.clone()),
                    None,
                    None,
                ),
                logged,
            }),
            None => self.record_duplicate(row).await.map(Intake::Duplicate),
        }
    }

    /// Records `delivery` as an event that starts nothing (`refused` or
    /// `ignored`, with `reason`), unless its delivery id has its row
    /// already: then it is kept as a `duplicate` of that row. The row
    /// written (its `status` says which).
    pub async fn record(
        &self,
        delivery: Delivery,
        status: IntakeStatus,
        reason: &str,
    ) -> Result<IntakeEvent, StoreError> {
        let row = InboxRow::new(delivery);
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(StoreError::db("writing a delivery to the intake inbox"))?;
        if row
            .insert_first(&mut conn, status, None, Some(reason))
            .await?
        {
            return Ok(row.event(status, None, None, Some(reason.to_owned())));
        }
        drop(conn);
        self.record_duplicate(row).await
    }

    /// Records `delivery` as `refused` (with `reason`) and writes the steps
    /// of `notes` (the note on the refused issue saying what is missing,
    /// one per sink it is routed to) in the same transaction: steps that
    /// belong to the inbox row (`intake_id`), not to a decision. A
    /// redelivery is kept as a `duplicate` and writes no step. The row
    /// written, and the ids of the steps written.
    pub async fn record_refusal(
        &self,
        delivery: Delivery,
        reason: &str,
        notes: Vec<RefusalNote>,
    ) -> Result<(IntakeEvent, Vec<String>), StoreError> {
        let row = InboxRow::new(delivery);
        let mut tx = self
            .store
            .begin_write("writing a refused delivery to the intake inbox")
            .await?;
        if !row
            .insert_first(&mut tx, IntakeStatus::Refused, None, Some(reason))
            .await?
        {
            drop(tx);
            return self
                .record_duplicate(row)
                .await
                .map(|event| (event, Vec::new()));
        }
        let mut steps = Vec::with_capacity(notes.len());
        for note in &notes {
            steps.push(note.insert(&mut tx, &row.id).await?);
        }
        tx.commit()
            .await
            .map_err(StoreError::db("committing a refused delivery"))?;
        let event = row.event(IntakeStatus::Refused, None, None, Some(reason.to_owned()));
        Ok((event, steps))
    }

    /// The first row of delivery `delivery_id` from `source`, if any.
    pub async fn first_delivery(
        &self,
        source: &str,
        delivery_id: &str,
    ) -> Result<Option<IntakeEvent>, StoreError> {
        let sql =
            format!("{SELECT} WHERE source = $1 AND delivery_id = $2 AND status <> 'duplicate'");
        let row = sqlx::query(&sql)
            .bind(source)
            .bind(delivery_id)
            .fetch_optional(self.store.pool())
            .await
            .map_err(StoreError::db("reading the intake inbox"))?;
        row.as_ref().map(event_of).transpose()
    }

    /// The latest `decided` row from `source` about `subject`, if any.
    pub async fn last_decided(
        &self,
        source: &str,
        subject: &str,
    ) -> Result<Option<IntakeEvent>, StoreError> {
        let sql = format!(
            "{SELECT} WHERE source = $1 AND subject = $2 AND status = 'decided' ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(source)
            .bind(subject)
            .fetch_optional(self.store.pool())
            .await
            .map_err(StoreError::db("reading the intake inbox"))?;
        row.as_ref().map(event_of).transpose()
    }

    /// Keeps `row` as a redelivery of the event its delivery id names.
    async fn record_duplicate(&self, row: InboxRow) -> Result<IntakeEvent, StoreError> {
        let d = &row.delivery;
        let first = self
            .first_delivery(&d.source, &d.delivery_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt {
                entity: "intake",
                id: row.id.clone(),
                field: "delivery_id",
                message: format!(
                    "delivery `{}` from {} conflicted with no first row",
                    d.delivery_id, d.source
                ),
            })?;
        sqlx::query(
            "INSERT INTO intake (id, source, delivery_id, received_at, status, subject, policy, decision_id, first_id, reason, payload) \
             VALUES ($1, $2, $3, $4, 'duplicate', $5, $6, $7, $8, NULL, $9)",
        )
        .bind(row.id.as_str())
        .bind(d.source.as_str())
        .bind(d.delivery_id.as_str())
        .bind(row.received_at.as_str())
        .bind(first.subject.as_deref())
        .bind(first.policy.as_deref())
        .bind(first.decision_id.as_deref())
        .bind(first.id.as_str())
        .bind(bounded(&d.payload))
        .execute(self.store.pool())
        .await
        .map_err(StoreError::db("writing a delivery to the intake inbox"))?;
        let mut event = row.event(
            IntakeStatus::Duplicate,
            first.decision_id.clone(),
            Some(first.id.clone()),
            None,
        );
        event.subject.clone_from(&first.subject);
        event.policy.clone_from(&first.policy);
        Ok(event)
    }

    /// Rows of the inbox, newest first, as `filter` says.
    pub async fn list(&self, filter: &IntakeFilter) -> Result<Vec<IntakeEvent>, StoreError> {
        let mut sql = format!("{SELECT} WHERE 1 = 1");
        let mut binds: Vec<&str> = Vec::new();
        for (column, value) in [("subject", &filter.subject), ("source", &filter.source)] {
            if let Some(value) = value {
                binds.push(value);
                sql.push_str(&format!(" AND {column} = ${}", binds.len()));
            }
        }
        if let Some(before) = &filter.before {
            binds.push(before);
            sql.push_str(&format!(" AND id < ${}", binds.len()));
        }
        let limit = match filter.limit {
            0 => 100,
            n => n.min(1000),
        };
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        let mut query = sqlx::query(&sql);
        for value in binds {
            query = query.bind(value);
        }
        let rows = query
            .fetch_all(self.store.pool())
            .await
            .map_err(StoreError::db("reading the intake inbox"))?;
        rows.iter().map(event_of).collect()
    }
}
