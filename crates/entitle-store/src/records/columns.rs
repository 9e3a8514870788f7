//! Typed columns of one row, with errors naming the row and the column.

use chrono::NaiveDate;
use sqlx::Row;
use sqlx::any::AnyRow;

use entitle::graph::Answer;

use crate::error::StoreError;

/// Reads typed columns of one row, naming the row and column on error.
pub(super) struct Reader<'a> {
    row: &'a AnyRow,
    entity: &'static str,
    id: &'a str,
}

impl<'a> Reader<'a> {
    pub(super) fn new(row: &'a AnyRow, entity: &'static str, id: &'a str) -> Self {
        Self { row, entity, id }
    }

    pub(super) fn corrupt(&self, field: &'static str, message: String) -> StoreError {
        StoreError::Corrupt {
            entity: self.entity,
            id: self.id.to_owned(),
            field,
            message,
        }
    }

    pub(super) fn text(&self, column: &'static str) -> Result<String, StoreError> {
        self.row
            .try_get(column)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    pub(super) fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.row
            .try_get(column)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        self.row
            .try_get::<Option<i64>, _>(column)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    pub(super) fn flag(&self, column: &'static str) -> Result<bool, StoreError> {
        match self.int(column)? {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            other => Err(self.corrupt(column, format!("{other:?} is not 0 or 1"))),
        }
    }

    pub(super) fn u32(&self, column: &'static str) -> Result<u32, StoreError> {
        self.opt_u32(column)?
            .ok_or_else(|| self.corrupt(column, "is NULL".to_owned()))
    }

    pub(super) fn opt_u32(&self, column: &'static str) -> Result<Option<u32>, StoreError> {
        self.int(column)?
            .map(|v| {
                u32::try_from(v).map_err(|_| self.corrupt(column, format!("{v} is not a u32")))
            })
            .transpose()
    }

    pub(super) fn date(&self, column: &'static str) -> Result<NaiveDate, StoreError> {
        let text = self.text(column)?;
        text.parse()
            .map_err(|e| self.corrupt(column, format!("`{text}`: {e}")))
    }

    pub(super) fn answer<A: Answer>(&self, column: &'static str) -> Result<A, StoreError> {
        let text = self.text(column)?;
        A::ALL
            .iter()
            .copied()
            .find(|a| a.label() == text)
            .ok_or_else(|| self.corrupt(column, format!("unknown value `{text}`")))
    }
}
