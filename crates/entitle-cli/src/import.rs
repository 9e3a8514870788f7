//! `entitle import`: load customers, CustomersDot accounts, subscriptions,
//! licenses, Seat Link reports, namespaces and tickets from JSON or CSV
//! files into the store, so a team can try entitle on its own data.
//!
//! ```text
//! entitle import [--db PATH|URL] [--kind KIND] FILE...
//! entitle import examples/data/support.json
//! entitle import --db entitle.db examples/data/csv/*.csv
//! entitle import --kind licenses export-2026-11.csv
//! ```
//!
//! Formats (by extension): a JSON object with one array per entity, a JSON
//! array of one entity, or a CSV file of one entity with a header row. The
//! entity of an array or CSV file is `--kind`, else the file's name
//! (`licenses.csv`). Every row is checked first; an error names the file,
//! the row (CSV line or JSON element) and the field, and nothing is written.
//! All files go in one transaction. A record whose id exists replaces it.

use std::path::PathBuf;

use clap::Args;
use entitle_store::Store;
use entitle_store::StoreError;
pub use entitle_store::import::{ImportError, ImportKind, ImportSummary};

/// The arguments of `entitle import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The store: a SQLite file (created on first use), `sqlite::memory:`,
    /// or `postgres://user:password@host/db`. Default: the SQLite file
    /// `entitle.db` in the current directory.
    #[arg(long, value_name = "PATH|URL", default_value = "entitle.db")]
    pub db: String,
    /// What JSON arrays and CSV files hold, when their names do not say:
    /// customers, accounts, subscriptions, account-subscriptions, licenses,
    /// seat-link-reports, namespaces, namespace-trials, tickets.
    #[arg(long, value_name = "KIND", value_parser = parse_kind)]
    pub kind: Option<ImportKind>,
    /// The files to import (`.json` or `.csv`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

fn parse_kind(s: &str) -> Result<ImportKind, String> {
    s.parse()
}

/// Imports `files` into `store` (see the module documentation).
pub async fn run(
    store: &Store,
    files: &[PathBuf],
    kind: Option<ImportKind>,
) -> Result<ImportSummary, ImportError> {
    let progress = crate::progress::Progress::on_stderr();
    let summary = entitle_store::import::import_with(store, files, kind, &progress).await;
    progress.finish();
    summary
}

/// Why `entitle import` failed, split by whose fault it is.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The files or the arguments are wrong (exit 2): the message names the
    /// file, the row and the field.
    #[error("{0}")]
    BadInput(String),
    /// The environment failed: the database could not be opened or written
    /// (exit 1).
    #[error("{0}")]
    Runtime(String),
}

impl From<ImportError> for ImportFailure {
    fn from(e: ImportError) -> Self {
        match &e {
            ImportError::Store(
                StoreError::Database { .. }
                | StoreError::Sqlite { .. }
                | StoreError::Start { .. }
                | StoreError::WriterCannot { .. }
                | StoreError::Migration { .. }
                | StoreError::SchemaTooNew { .. }
                | StoreError::Closed,
            ) => ImportFailure::Runtime(e.to_string()),
            _ => ImportFailure::BadInput(e.to_string()),
        }
    }
}

/// Runs `entitle import` with `args` on its own tokio runtime: opens the
/// store, imports, closes it. Print the summary (`Display`) on success.
pub fn execute(args: &ImportArgs) -> Result<ImportSummary, ImportFailure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ImportFailure::Runtime(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let store = Store::open(&args.db).await.map_err(|e| {
            if e.is_bad_target() {
                ImportFailure::BadInput(format!("--db: {e}"))
            } else {
                ImportFailure::Runtime(e.to_string())
            }
        })?;
        let result = run(&store, &args.files, args.kind).await;
        store.close().await;
        Ok(result?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_the_sample_data_and_reports_bad_rows() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = std::env::temp_dir().join(format!("entitle-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("store.db");
        let args = ImportArgs {
            db: db.display().to_string(),
            kind: None,
            files: vec![root.join("examples/data/support.json")],
        };
        let summary = execute(&args).unwrap();
        assert_eq!(summary.counts.tickets, 7);
        assert!(
            summary
                .to_string()
                .starts_with("imported 40 records from 1 file")
        );

        let bad = dir.join("licenses.csv");
        std::fs::write(
            &bad,
            "id,subscription_id,plan,trial,starts_on,expires_on,users\nL-1,A-S00010001,gold,false,2026-01-01,2027-01-01,5\n",
        )
        .unwrap();
        let args = ImportArgs {
            files: vec![bad],
            ..args
        };
        let err = execute(&args).unwrap_err();
        assert!(matches!(err, ImportFailure::BadInput(_)));
        assert!(
            err.to_string()
                .contains("licenses.csv: line 2, field `plan`"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
