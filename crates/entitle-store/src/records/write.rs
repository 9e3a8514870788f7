//! Writing a batch of records, and the lookups the importer checks it with.

use sqlx::{Any, AnyConnection};

use super::StoredRecords;
use super::{RecordCounts, Records};
use crate::error::StoreError;

/// Runs one upsert of `entity` `id`, naming the record on failure (a
/// unique email or path another record holds is bad input).
pub(crate) async fn exec<'q>(
    tx: &mut AnyConnection,
    entity: &'static str,
    id: &str,
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
) -> Result<(), StoreError> {
    query.execute(&mut *tx).await.map_err(|e| {
        // The only unique columns besides the (upserted) keys: an account's
        // email and a namespace's path. Another record holds the value.
        let unique = e
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation());
        match (unique, entity) {
            (true, "account" | "namespace") => {
                let field = if entity == "account" { "email" } else { "path" };
                StoreError::InvalidRecord {
                    entity,
                    id: id.to_owned(),
                    field,
                    message: format!("another {entity} in the store already has this {field}"),
                }
            }
            _ => StoreError::Database {
                context: format!("storing {entity} `{id}`"),
                source: e,
            },
        }
    })?;
    Ok(())
}

impl StoredRecords<'_> {
    /// Validates and upserts every record of `records` in one transaction
    /// (parents before children; a record with an existing id replaces it).
    /// A reference to a record that exists neither in the batch nor in the
    /// store fails the whole batch, naming the record.
    pub async fn put(&self, records: &Records) -> Result<RecordCounts, StoreError> {
        if let Some(p) = records.validate().into_iter().next() {
            return Err(StoreError::InvalidRecord {
                entity: p.entity,
                id: format!("#{}", p.index + 1),
                field: p.field,
                message: p.message,
            });
        }
        let mut tx = self
            .store
            .pool()
            .begin()
            .await
            .map_err(StoreError::db("starting the import transaction"))?;
        records.upsert_all(&mut tx).await?;
        tx.commit()
            .await
            .map_err(StoreError::db("committing the import"))?;
        Ok(records.counts())
    }

    /// Whether a record of `entity` (`customer`, `account`, `subscription`,
    /// `license`, `namespace`, `ticket`) has the id `id`.
    pub async fn exists(&self, entity: &str, id: &str) -> Result<bool, StoreError> {
        let Some(sql) = crate::record_kinds::exists_sql(entity) else {
            return Ok(false);
        };
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.store.pool())
            .await
            .map_err(StoreError::db(format!("looking up {entity} `{id}`")))?;
        Ok(row.is_some())
    }

    /// The id of the stored record whose unique column holds `value`: an
    /// `account`'s `email` (compared lower-case) or a `namespace`'s `path`.
    /// `None` when no record holds it (or for any other column).
    pub async fn unique_holder(
        &self,
        entity: &str,
        field: &str,
        value: &str,
    ) -> Result<Option<String>, StoreError> {
        let (sql, value) = match (entity, field) {
            ("account", "email") => (
                "SELECT id FROM cdot_accounts WHERE email = $1",
                value.to_lowercase(),
            ),
            ("namespace", "path") => (
                "SELECT id FROM namespaces WHERE path = $1",
                value.to_owned(),
            ),
            _ => return Ok(None),
        };
        let row = sqlx::query(sql)
            .bind(value.as_str())
            .fetch_optional(self.store.pool())
            .await
            .map_err(StoreError::db(format!(
                "looking up the {entity} with {field} `{value}`"
            )))?;
        row.map(|r| sqlx::Row::try_get::<String, _>(&r, "id"))
            .transpose()
            .map_err(StoreError::db(format!(
                "reading the {entity} with {field} `{value}`"
            )))
    }
}
