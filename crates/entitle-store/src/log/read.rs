//! Reading the decision log: one entry, and pages of entries by filter.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::DecisionLog;
use crate::error::StoreError;

use super::*;

pub(super) fn json_column(
    row: &AnyRow,
    id: &str,
    column: &'static str,
) -> Result<Value, StoreError> {
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

pub(super) fn record_from_row(row: &AnyRow) -> Result<DecisionRecord, StoreError> {
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

impl DecisionLog<'_> {
    /// The log entry `decision_id`, or [`StoreError::NotFound`].
    pub async fn decision(&self, decision_id: &str) -> Result<DecisionRecord, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM decision_log WHERE decision_id = $1");
        let row = sqlx::query(&sql)
            .bind(decision_id)
            .fetch_optional(self.store.pool())
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
        if filter.outcome.is_some() {
            sql.push_str(&format!(" AND outcome = ${}", next()));
        }
        // `decided_at` is RFC 3339 in UTC (`Z`) with as many fraction digits
        // as it needs; a bound written with all nine sorts against it as
        // the instants do (`…:00Z` after `…:00.000000000Z`, `…:00.5Z` after
        // it too).
        let instant = |t: &chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
        };
        let from = filter.decided_from.as_ref().map(instant);
        let until = filter.decided_before.as_ref().map(instant);
        if from.is_some() {
            sql.push_str(&format!(" AND decided_at >= ${}", next()));
        }
        if until.is_some() {
            sql.push_str(&format!(" AND decided_at < ${}", next()));
        }
        sql.push_str(&format!(" ORDER BY decision_id DESC LIMIT ${}", next()));
        let mut query = sqlx::query(&sql);
        for value in [
            &filter.ticket_id,
            &filter.policy,
            &filter.before,
            &filter.outcome,
            &from,
            &until,
        ]
        .into_iter()
        .flatten()
        {
            query = query.bind(value.as_str());
        }
        query = query.bind(i64::from(filter.limit.min(10_000)));
        let rows = query
            .fetch_all(self.store.pool())
            .await
            .map_err(StoreError::db("reading the decision log"))?;
        rows.iter().map(record_from_row).collect()
    }

    /// Counters of the log writer (entries, transactions) since opening.
    pub fn stats(&self) -> LogStats {
        self.store.inner.stats.snapshot()
    }
}
