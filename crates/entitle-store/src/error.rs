//! The store's errors: each names what failed and where.

use entitle::fact_source::FactSourceError;
use thiserror::Error;

use crate::outbox::{ActionChange, ActionStatus};

/// Why a store operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one the store understands.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given (a PostgreSQL password is masked).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite file the URL names cannot hold the store: it is a
    /// directory, not a database, or not readable and writable (with its
    /// `-wal` and `-shm` files) by this user.
    #[error("cannot open the SQLite file {path}: {reason}")]
    CannotOpen {
        /// The file's path, as given.
        path: String,
        /// What is wrong with it, in the operating system's or SQLite's words.
        reason: String,
    },
    /// [`Store::open_existing`](crate::Store::open_existing): there is no
    /// store at the URL (no such SQLite file, or a database without
    /// entitle's schema); nothing was created.
    #[error("no entitle store at {url}: {reason}; `entitle serve` or `entitle import` creates one")]
    NoStore {
        /// The URL as given (a PostgreSQL password is masked).
        url: String,
        /// What is missing.
        reason: String,
    },
    /// A decision whose action makes (or re-runs) a license does not say
    /// which ticket it is for: neither decided on a stored ticket nor with a
    /// `ticket_url` in its facts, so the one-license guard could not apply.
    #[error(
        "outcome `{outcome}` of `{policy}` has action `{action}`, which generates the ticket's one license: say which ticket it is for (decide on a stored ticket, or give `ticket_url` in the facts)"
    )]
    LicenseWithoutTicket {
        /// The policy id.
        policy: String,
        /// The outcome id.
        outcome: String,
        /// The license action.
        action: String,
    },
    /// The PostgreSQL server cannot be reached, or refuses the connection
    /// (credentials, database), within the connect timeout.
    #[error("cannot connect to {url}: {reason}")]
    Unreachable {
        /// The URL as given (the password masked).
        url: String,
        /// The driver's words.
        reason: String,
    },
    /// A database operation failed.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the store was doing (`opening sqlite:/tmp/x.db`, `logging a decision`).
        context: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The decision-log writer's own SQLite connection failed: on a SQLite
    /// file the log is written through `rusqlite` for speed, everything
    /// else through `sqlx` ([`StoreError::Database`]).
    #[error("database error while {context}: {source}")]
    Sqlite {
        /// What the writer was doing (`logging a decision`).
        context: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The decision-log writer was handed work it does not do (a store
    /// bug, never the caller's input).
    #[error("the decision-log writer cannot {what}")]
    WriterCannot {
        /// What it was asked to do.
        what: &'static str,
    },
    /// The store could not start a thread or task it needs (the log
    /// writer).
    #[error("cannot start {what}: {source}")]
    Start {
        /// What (`the decision-log writer`).
        what: &'static str,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A schema migration failed.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The database's schema is newer than this build knows.
    #[error(
        "the database has schema version {found}, newer than this build's {supported}; upgrade entitle"
    )]
    SchemaTooNew {
        /// The version found in `schema_version`.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A record does not exist.
    #[error("no {entity} with id `{id}`")]
    NotFound {
        /// What kind of record (`ticket`, `subscription`, `customer`, `namespace`, `decision`).
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The records lack something the policy's facts need: a link (a
    /// ticket with no subscription), a field (no license contact on record)
    /// or a license. Says which, and which policy needs it.
    #[error("{source}, which policy `{policy}` needs")]
    RecordsLack {
        /// The policy whose facts were asked for.
        policy: String,
        /// What is missing, as the fact source says it.
        source: FactSourceError,
    },
    /// The policy's facts cannot come from the store (e.g. `provision-failure`).
    #[error(
        "the facts of policy `{policy}` are not kept in the store; send them in the request instead"
    )]
    FactsNotStored {
        /// The policy id.
        policy: String,
    },
    /// No policy has this id.
    #[error("unknown policy `{policy}`")]
    UnknownPolicy {
        /// The id asked for.
        policy: String,
    },
    /// The facts the caller supplies besides the records are invalid.
    #[error("policy `{policy}`: supplied facts{}: {message}", path.as_deref().map(|p| format!(" at `{p}`")).unwrap_or_default())]
    InvalidSupplied {
        /// The policy id.
        policy: String,
        /// The field path, when the problem is inside a field.
        path: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A record to store is invalid.
    #[error("invalid {entity} `{id}`: field `{field}`: {message}")]
    InvalidRecord {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A row read from the database does not hold what the schema promises
    /// (written by something else, or corrupted).
    #[error("corrupt {entity} row `{id}`: field `{field}`: {message}")]
    Corrupt {
        /// The table's entity.
        entity: &'static str,
        /// The row's id.
        id: String,
        /// The column.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A value could not be converted to or from JSON.
    #[error("JSON error in {context}: {source}")]
    Json {
        /// What was converted.
        context: &'static str,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A person's change to a step carries a value the store cannot keep
    /// (a note or a license holding a NUL character, which PostgreSQL
    /// refuses and SQLite would keep): refused on every backend alike.
    #[error("`{field}` {reason}")]
    InvalidChange {
        /// The member of the change (`note`, `license`, `filename`).
        field: &'static str,
        /// What is wrong, without quoting the value.
        reason: &'static str,
    },
    /// No outbox step has this id.
    #[error("no action with id `{id}`")]
    UnknownAction {
        /// The id asked for.
        id: String,
    },
    /// A person asked for a change the step's status does not allow (e.g.
    /// retrying a delivered step).
    #[error("action `{id}` is {status}: cannot {}", change.of_it())]
    ActionTransition {
        /// The step's id.
        id: String,
        /// Its status.
        status: ActionStatus,
        /// The change asked for.
        change: ActionChange,
    },
    /// A step cannot be retried while a step it requires failed for good:
    /// retrying that one re-opens this one.
    #[error(
        "action `{id}` cannot be retried: it needs action `{requires}` ({requires_action}), which is {status}; retry that one"
    )]
    ActionBlocked {
        /// The step's id.
        id: String,
        /// The step it requires.
        requires: String,
        /// That step's action id.
        requires_action: String,
        /// That step's status (`dead` or `cancelled`).
        status: ActionStatus,
    },
    /// The store was closed (or its log writer stopped) before the entry
    /// could be logged.
    #[error("the decision log is closed")]
    Closed,
}

/// The integrity rule a refused write broke, whichever driver wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A unique key (or primary key) already has the value.
    Unique,
    /// A foreign key names no row.
    ForeignKey,
    /// A column that must have a value has none.
    NotNull,
    /// A `CHECK` constraint refused the value.
    Check,
}

impl StoreError {
    /// The integrity rule the database refused a write for, if that is what
    /// failed: the same on PostgreSQL, on SQLite through `sqlx`, and on the
    /// log writer's own SQLite connection.
    pub fn violation(&self) -> Option<Violation> {
        match self {
            StoreError::Database { source, .. } => {
                use sqlx::error::ErrorKind;
                match source.as_database_error()?.kind() {
                    ErrorKind::UniqueViolation => Some(Violation::Unique),
                    ErrorKind::ForeignKeyViolation => Some(Violation::ForeignKey),
                    ErrorKind::NotNullViolation => Some(Violation::NotNull),
                    ErrorKind::CheckViolation => Some(Violation::Check),
                    _ => None,
                }
            }
            StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(error, _),
                ..
            } => match error.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Some(Violation::Unique),
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Some(Violation::ForeignKey),
                rusqlite::ffi::SQLITE_CONSTRAINT_NOTNULL => Some(Violation::NotNull),
                rusqlite::ffi::SQLITE_CONSTRAINT_CHECK => Some(Violation::Check),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
        let context = context.into();
        move |source| StoreError::Database { context, source }
    }

    pub(crate) fn from_fact_source(policy: &str, error: FactSourceError) -> StoreError {
        match error {
            FactSourceError::NotFound { entity, id } => StoreError::NotFound { entity, id },
            source => StoreError::RecordsLack {
                policy: policy.to_owned(),
                source,
            },
        }
    }

    /// True when the URL, or the SQLite file it names, cannot be a store
    /// (`InvalidUrl`, `CannotOpen`), or holds none to open (`NoStore`): the
    /// caller's input is wrong, not the database.
    pub fn is_bad_target(&self) -> bool {
        matches!(
            self,
            StoreError::InvalidUrl { .. }
                | StoreError::CannotOpen { .. }
                | StoreError::NoStore { .. }
                | StoreError::Unreachable { .. }
        )
    }

    /// True for errors that mean "no such record": `NotFound`,
    /// `UnknownAction` (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound { .. } | StoreError::UnknownAction { .. }
        )
    }

    /// True when a person's change carries a value the store cannot keep
    /// ([`StoreError::InvalidChange`]): the caller's input (HTTP 422).
    pub fn is_invalid_change(&self) -> bool {
        matches!(self, StoreError::InvalidChange { .. })
    }

    /// True for a change a step's state does not allow now:
    /// `ActionTransition`, `ActionBlocked` (HTTP 409).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            StoreError::ActionTransition { .. } | StoreError::ActionBlocked { .. }
        )
    }
}
