//! Replay: re-decide logged decisions under a proposed configuration and
//! the policies as built now, and report what would change.
//!
//! Each logged decision is decided again with its own facts and its own
//! `now` ([`entitle::decide_json`]). A decision *changed* when its outcome
//! or its details differ from the logged ones (a details-only change is
//! reported as `X -> X`); it *now fails* when it can no longer be decided
//! (an unknown policy, facts a newer version refuses). `stable_until`
//! alone is not a change.
//!
//! The log is read in pages (keyset paging on `decision_id`, oldest first)
//! through a connection of its own that never writes: SQLite is opened
//! read-only (`mode=ro`) and without migrating, PostgreSQL sessions are set
//! read-only. A database without an entitle decision log is
//! [`ReplayError::NotAnEntitleStore`].

mod decide;
mod open;
mod pages;
mod save;

use chrono::{DateTime, Utc};
use entitle::config::PolicyConfig;
use serde::Serialize;
use thiserror::Error;

use crate::log::DecisionLog;
use crate::store::Backend;
use open::open_read_only;
use pages::replay_pool;
pub use save::{LoggedDecision, read_logged};

/// What to replay, and under what.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayOptions {
    /// The proposed configuration.
    pub config: PolicyConfig,
    /// Only decisions of this policy.
    pub policy: Option<String>,
    /// Only decisions made at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only decisions made before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Example decision ids kept per change (K).
    pub examples: usize,
    /// Decisions read per page.
    pub page_size: u32,
    /// Most decisions one replay may decide; past it the replay stops with
    /// [`ReplayError::TooMany`] (`None`: no limit, as `entitle replay`).
    pub max_decisions: Option<u64>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            config: PolicyConfig::default(),
            policy: None,
            since: None,
            until: None,
            examples: 5,
            page_size: 1000,
            max_decisions: None,
        }
    }
}

/// Decisions that changed the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Change {
    /// The logged outcome.
    pub from: String,
    /// The outcome now (equal to `from` for a details-only change).
    pub to: String,
    /// How many decisions.
    pub count: u64,
    /// Up to K of their decision ids, oldest first.
    pub examples: Vec<String>,
}

/// Decisions that now fail with the same error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Failure {
    /// The error.
    pub error: String,
    /// How many decisions.
    pub count: u64,
    /// Up to K of their decision ids, oldest first.
    pub examples: Vec<String>,
}

/// The replay of one policy's decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyReplay {
    /// The policy id.
    pub policy: String,
    /// Decisions replayed.
    pub decisions: u64,
    /// Decisions whose outcome or details changed.
    pub changed: u64,
    /// Decisions that now fail.
    pub failed: u64,
    /// The changes, by logged outcome then new outcome.
    pub changes: Vec<Change>,
    /// The failures, by error.
    pub failures: Vec<Failure>,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReplayReport {
    /// Decisions replayed.
    pub decisions: u64,
    /// Decisions whose outcome or details changed.
    pub changed: u64,
    /// Decisions that now fail.
    pub failed: u64,
    /// Per policy, by policy id.
    pub policies: Vec<PolicyReplay>,
}

impl ReplayReport {
    /// True when no decision changed or failed.
    pub fn is_unchanged(&self) -> bool {
        self.changed == 0 && self.failed == 0
    }
}

/// Why a replay could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The URL is not one the store understands.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL (a password masked).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened.
    #[error("cannot open {url}: {source}")]
    Open {
        /// The URL (a password masked).
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The PostgreSQL server cannot be reached, or refuses the connection,
    /// within the connect timeout (the store's words).
    #[error("{0}")]
    Unreachable(String),
    /// The database has no entitle decision log.
    #[error("{url} is not an entitle store: {reason}")]
    NotAnEntitleStore {
        /// The URL (a password masked).
        url: String,
        /// What is missing.
        reason: String,
    },
    /// Reading the log failed.
    #[error("reading the decision log of {url}: {source}")]
    Read {
        /// The URL (a password masked).
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The proposed configuration is invalid.
    #[error("the proposed configuration is invalid: {0}")]
    Config(#[from] entitle::config::ConfigError),
    /// What was done with a logged decision failed (writing a saved
    /// scenario).
    #[error("{0}")]
    Save(String),
    /// The thread deciding a page failed (a defect).
    #[error("replay worker failed: {0}")]
    Worker(String),
    /// More decisions match than [`ReplayOptions::max_decisions`] allows.
    #[error(
        "more than {limit} logged decisions match; narrow the replay with a policy, since or until (or run `entitle replay`, which has no limit)"
    )]
    TooMany {
        /// The limit.
        limit: u64,
    },
    /// A logged entry cannot be read.
    #[error("decision {decision_id}: column `{column}`: {message}")]
    Corrupt {
        /// The entry.
        decision_id: String,
        /// The column.
        column: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// Replays the decision log at `url` (see the module documentation).
pub async fn replay(url: &str, options: &ReplayOptions) -> Result<ReplayReport, ReplayError> {
    replay_with(url, options, &|_| {}).await
}

/// [`replay`], calling `progress` with the number of decisions read so far
/// after each page (a progress display).
pub async fn replay_with(
    url: &str,
    options: &ReplayOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReplayReport, ReplayError> {
    options.config.validate()?;
    let (pool, postgres) = open_read_only(url).await?;
    let result = replay_pool(&pool, postgres, url, options, progress).await;
    pool.close().await;
    result
}

impl DecisionLog<'_> {
    /// Replays this log (the service's own store): the same report as
    /// [`replay`], through the store's pool. It only reads; a page's query
    /// holds a connection for that query alone, so decisions being logged
    /// meanwhile are not held up. Dropping the future stops the replay once
    /// the page being decided is done.
    pub async fn replay(&self, options: &ReplayOptions) -> Result<ReplayReport, ReplayError> {
        options.config.validate()?;
        let store = self.store;
        let postgres = store.backend() == Backend::Postgres;
        replay_pool(&store.inner.pool, postgres, store.url(), options, &|_| {}).await
    }
}

/// A `since` or `until` bound: `DATE` (`YYYY-MM-DD`, UTC) or an RFC 3339
/// instant, read by the strict readers every adapter uses
/// ([`entitle::input::parse_date`], [`entitle::input::parse_instant`]: no
/// leap second, at most 9 fractional digits, years 0001-9999 in UTC). A
/// date means the start of that day, or with `end_of_day` the start of the
/// next (so `until = DATE` includes that day). The error says what is
/// wrong, in words.
pub fn parse_bound(text: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    // The shape says which it is meant to be: a date is exactly 10 bytes.
    if text.len() != 10 {
        return entitle::input::parse_instant(text).map_err(|e| e.to_string());
    }
    let date = entitle::input::parse_date(text)
        .map_err(|e| format!("{e}; a bound is a date (YYYY-MM-DD) or an RFC 3339 instant"))?;
    let day = if end_of_day {
        date.succ_opt()
    } else {
        Some(date)
    };
    day.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is out of range"))
}

impl ReplayReport {
    /// The report as text: a line per policy, a line per change and per
    /// failure, and a summary line.
    pub fn to_text(&self) -> String {
        use entitle::input::escape_for_terminal as shown;
        use std::fmt::Write as _;
        // Everything here comes from the log: escaped, so a logged value
        // cannot break a line or drive the terminal.
        let mut out = String::new();
        for p in &self.policies {
            let _ = writeln!(
                out,
                "{}: {} decisions, {} changed, {} now fail",
                shown(&p.policy),
                p.decisions,
                p.changed,
                p.failed
            );
            for c in &p.changes {
                let what = if c.from == c.to { " (details)" } else { "" };
                let _ = writeln!(
                    out,
                    "  {} -> {}{what}: {} (e.g. {})",
                    shown(&c.from),
                    shown(&c.to),
                    c.count,
                    shown(&c.examples.join(", "))
                );
            }
            for f in &p.failures {
                let _ = writeln!(
                    out,
                    "  now fails: {}: {} (e.g. {})",
                    shown(&f.error),
                    f.count,
                    shown(&f.examples.join(", "))
                );
            }
        }
        let _ = writeln!(
            out,
            "{} decisions replayed: {} changed, {} now fail",
            self.decisions, self.changed, self.failed
        );
        out
    }
}
