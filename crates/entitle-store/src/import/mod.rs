//! Reading records from JSON and CSV files (what `entitle import` does).
//!
//! Formats, chosen by the file's extension (`.json`, `.csv`):
//!
//! - **JSON, an object** with one array per entity (the [`Records`](crate::Records) form:
//!   `customers`, `accounts`, `account_subscriptions`, `subscriptions`,
//!   `licenses`, `seat_link_reports`, `namespaces`, `namespace_trials`,
//!   `tickets`; each optional);
//! - **JSON, an array** of one entity;
//! - **CSV** of one entity, with a header row naming the fields (an empty
//!   cell is an absent optional field; booleans are `true`/`false`).
//!
//! For an array or a CSV file the entity is the `kind` given, else the
//! file's name (`licenses.csv`, `seat-link-reports.json`). Every row is
//! checked before anything is written: field types, unknown fields, ids,
//! emails, URLs, date order, duplicate ids, and references to records that
//! exist neither in the files nor in the store. An error names the file, the
//! row (CSV: the line; JSON: the array element, 1-based) and the field. All
//! files are written in one transaction: either everything is imported or
//! nothing.

mod cell;
mod parse;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;
use thiserror::Error;

pub use crate::record_kinds::ImportKind;
pub(crate) use parse::csv_rows;
pub use parse::{ParsedRecords, parse_csv, parse_file, parse_json};

use crate::error::StoreError;
use crate::records::RecordCounts;
use crate::store::Store;

impl ImportKind {
    /// The kind named by a file, from its stem (`licenses`,
    /// `seat_link_reports`, `seat-link-reports`).
    pub fn from_path(path: &Path) -> Option<ImportKind> {
        let stem = path.file_stem()?.to_str()?;
        stem.parse().ok()
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ImportKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_lowercase().replace('_', "-");
        ImportKind::ALL
            .iter()
            .copied()
            .find(|k| k.id() == normal)
            .ok_or_else(|| {
                let ids: Vec<&str> = ImportKind::ALL.iter().map(|k| k.id()).collect();
                format!("unknown kind `{s}`; expected one of: {}", ids.join(", "))
            })
    }
}

/// Why an import failed. Every variant names the file; row-level variants
/// name the row and the field.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file's extension is neither `.json` nor `.csv`.
    #[error("{}: unknown format: expected a .json or .csv file", file.display())]
    UnknownFormat {
        /// The file.
        file: PathBuf,
    },
    /// The entity of an array or CSV file is not known.
    #[error(
        "{}: which records does it hold? name the file after the kind (e.g. licenses.csv) or pass --kind ({})",
        file.display(),
        ImportKind::ALL.iter().map(|k| k.id()).collect::<Vec<_>>().join(", ")
    )]
    UnknownKind {
        /// The file.
        file: PathBuf,
    },
    /// A JSON file does not parse or does not have the expected shape.
    #[error("{}: line {line}, column {column}{}: {message}", file.display(), at(path))]
    Json {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field path (`licenses[2].expires_on`), when inside a field.
        path: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A CSV row does not parse.
    #[error("{}: line {line}{}: {message}", file.display(), field.as_deref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
    Csv {
        /// The file.
        file: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column's header, when known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A row parses but a value is not valid.
    #[error("{}: {row}, field `{field}`: {message}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Where in the file (`line 4`, `licenses[3]`).
        row: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The store refused the records (or could not be reached).
    #[error("storing the records: {0}")]
    Store(#[from] StoreError),
}

fn at(path: &Option<String>) -> String {
    path.as_deref()
        .map(|p| format!(", at `{p}`"))
        .unwrap_or_default()
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Each file read, with how many records of each kind it held.
    pub files: Vec<(PathBuf, RecordCounts)>,
    /// Records written, by kind (a record with an existing id replaces it).
    pub counts: RecordCounts,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let listed: Vec<String> = ImportKind::ALL
            .iter()
            .filter(|kind| c.get(**kind) > 0)
            .map(|kind| format!("{} {}", c.get(*kind), kind.label()))
            .collect();
        write!(
            f,
            "imported {} records from {} file{}",
            c.total(),
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" }
        )?;
        if !listed.is_empty() {
            write!(f, ": {}", listed.join(", "))?;
        }
        Ok(())
    }
}
/// Reads `files` (each JSON or CSV; `kind` for arrays and CSV files not named
/// after their kind), checks every record, and writes them all to `store` in
/// one transaction.
pub async fn import(
    store: &Store,
    files: &[PathBuf],
    kind: Option<ImportKind>,
) -> Result<ImportSummary, ImportError> {
    import_with(store, files, kind, &()).await
}

/// What an import reports as it goes, for a progress display; `()`
/// reports nothing.
pub trait ImportProgress {
    /// A phase begins (`reading files`, `checking references`, `writing`),
    /// of `total` steps (0 when not counted).
    fn phase(&self, what: &'static str, total: u64) {
        let _ = (what, total);
    }

    /// `steps` more steps of the phase are done.
    fn advance(&self, steps: u64) {
        let _ = steps;
    }
}

impl ImportProgress for () {}

/// [`import`], reporting its phases to `progress`.
pub async fn import_with(
    store: &Store,
    files: &[PathBuf],
    kind: Option<ImportKind>,
    progress: &(dyn ImportProgress + Sync),
) -> Result<ImportSummary, ImportError> {
    let mut parsed = ParsedRecords::default();
    progress.phase("reading files", files.len() as u64);
    for file in files {
        parsed.append(parse_file(file, kind)?);
        progress.advance(1);
    }
    import_parsed_with(store, parsed, progress).await
}

/// Checks `parsed` (values, duplicates, references against the batch and
/// the store) and writes it to `store` in one transaction.
pub async fn import_parsed(
    store: &Store,
    parsed: ParsedRecords,
) -> Result<ImportSummary, ImportError> {
    import_parsed_with(store, parsed, &()).await
}

/// [`import_parsed`], reporting its phases to `progress`.
pub async fn import_parsed_with(
    store: &Store,
    parsed: ParsedRecords,
    progress: &(dyn ImportProgress + Sync),
) -> Result<ImportSummary, ImportError> {
    parsed.validate()?;
    let records = &parsed.records;
    let mut batch_ids: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut known: HashMap<(&str, &str), bool> = HashMap::new();
    let references = records.references();
    progress.phase("checking references", references.len() as u64);
    for (kind, index, field, entity, id) in references {
        progress.advance(1);
        let in_batch = batch_ids
            .entry(entity)
            .or_insert_with(|| records.ids_of(entity))
            .contains(id);
        if in_batch {
            continue;
        }
        let exists = match known.get(&(entity, id)) {
            Some(exists) => *exists,
            None => {
                let exists = store.records().exists(entity, id).await?;
                known.insert((entity, id), exists);
                exists
            }
        };
        if !exists {
            return Err(parsed.invalid(
                kind,
                index,
                field,
                format!("no {entity} `{id}` in the files or in the store"),
            ));
        }
    }
    check_unique_in_store(store, &parsed).await?;
    progress.phase("writing", 0);
    let counts = match store.records().put(records).await {
        Ok(counts) => counts,
        // A unique value the checks above let through (another record of
        // the batch frees it, but is written later): still bad input.
        Err(StoreError::InvalidRecord {
            entity,
            id,
            field,
            message,
        }) => {
            let kind = match entity {
                "account" => ImportKind::Accounts,
                _ => ImportKind::Namespaces,
            };
            let ids: Vec<&str> = match kind {
                ImportKind::Accounts => records.accounts.iter().map(|a| a.id.as_str()).collect(),
                _ => records.namespaces.iter().map(|n| n.id.as_str()).collect(),
            };
            let index = ids.iter().position(|x| *x == id).unwrap_or(0);
            return Err(parsed.invalid(
                kind,
                index,
                field,
                format!("{message} (when {entity} `{id}` is written)"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ImportSummary {
        files: parsed.files,
        counts,
    })
}

/// Refuses a record whose unique value (an account's email, a namespace's
/// path) belongs to another stored record that the batch does not replace.
async fn check_unique_in_store(store: &Store, parsed: &ParsedRecords) -> Result<(), ImportError> {
    let r = &parsed.records;
    let accounts: HashSet<&str> = r.accounts.iter().map(|a| a.id.as_str()).collect();
    for (i, a) in r.accounts.iter().enumerate() {
        if let Some(holder) = store
            .records()
            .unique_holder("account", "email", &a.email)
            .await?
            && holder != a.id
            && !accounts.contains(holder.as_str())
        {
            return Err(parsed.invalid(
                ImportKind::Accounts,
                i,
                "email",
                format!(
                    "`{}` is already the email of account `{holder}` in the store",
                    a.email
                ),
            ));
        }
    }
    let namespaces: HashSet<&str> = r.namespaces.iter().map(|n| n.id.as_str()).collect();
    for (i, n) in r.namespaces.iter().enumerate() {
        if let Some(holder) = store
            .records()
            .unique_holder("namespace", "path", &n.path)
            .await?
            && holder != n.id
            && !namespaces.contains(holder.as_str())
        {
            return Err(parsed.invalid(
                ImportKind::Namespaces,
                i,
                "path",
                format!(
                    "`{}` is already the path of namespace `{holder}` in the store",
                    n.path
                ),
            ));
        }
    }
    Ok(())
}
