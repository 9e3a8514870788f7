//! Records: what `entitle import` writes, and how the facts of a ticket are
//! loaded.
//!
//! Every input type ([`inputs`]) deserialises from JSON and from a CSV row
//! (same field names), rejects unknown fields, and is checked by
//! [`Records::validate`] before anything is written. The kinds are listed
//! once, in `record_kinds.rs`; what differs between them is in [`rows`].

mod columns;
mod inputs;
mod per_kind;
mod read;
mod write;

pub use crate::record_kinds::{RecordCounts, Records};
pub use inputs::*;
pub(crate) use write::exec;

/// The records of a [`Store`](crate::Store) ([`Store::records`](crate::Store::records)): write a batch
/// (`entitle import`), read records back, and assemble a policy's facts
/// from them.
#[derive(Debug, Clone, Copy)]
pub struct StoredRecords<'s> {
    pub(crate) store: &'s crate::Store,
}

/// A field of a record that does not validate: `(entity, index, id, field, message)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// The array the record is in (`licenses`).
    pub entity: &'static str,
    /// Its position in that array (0-based).
    pub index: usize,
    /// The field.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn check_id(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else if value.len() > 200 {
        Err("is longer than 200 characters".to_owned())
    } else if let Some(c) = value
        .chars()
        .find(|c| entitle::input::is_unsafe_to_show(*c))
    {
        // Refused as facts refuse them: an id or a name is printed (`entitle
        // actions list`), and a control character would drive the terminal
        // (`T-\x1b]0;PWNED\x07`); a NUL failed on PostgreSQL.
        Err(format!(
            "`{}` holds the control or formatting character U+{:04X}; ids and names take none",
            entitle::input::escaped(value),
            u32::from(c)
        ))
    } else if value.trim() != value {
        Err(format!(
            "`{}` has leading or trailing white space",
            entitle::input::escaped(value)
        ))
    } else {
        Ok(())
    }
}

/// The identity of a ticket's URL ([`entitle::input::ticket_url_key`]), or
/// the URL as it is when it is no `http`/`https` URL (a row written by
/// something else): what `tickets.url_key` and the one-license guard hold.
pub(crate) fn url_key(url: &str) -> String {
    entitle::input::ticket_url_key(url).unwrap_or_else(|_| url.to_owned())
}

fn check_email(value: &str) -> Result<(), String> {
    entitle::input::check_email(value).map_err(|e| e.to_string())
}

impl Records {
    /// Checks every record's fields that serde cannot (ids, emails, URLs,
    /// date order, deployments). Returns every problem, in order.
    pub fn validate(&self) -> Vec<RecordProblem> {
        let mut problems = Vec::new();
        self.check_each(&mut |entity, index, field, result| {
            if let Err(message) = result {
                problems.push(RecordProblem {
                    entity,
                    index,
                    field,
                    message,
                });
            }
        });
        problems
    }

    /// True when the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
