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

use std::collections::BTreeMap;
use std::str::FromStr as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use entitle::config::PolicyConfig;
use entitle::graph::Context;
use entitle::policy::{Outcome as _, PolicyVisitor, Registered, decide};
use serde::Serialize;
use serde_json::Value;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _, Row as _};
use thiserror::Error;

use crate::store::{Backend, Store, mask_password};

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

/// The sqlx URL of `url`, opened read-only.
fn read_only_url(url: &str) -> Result<(String, bool), ReplayError> {
    let invalid = |reason: &str| ReplayError::InvalidUrl {
        url: mask_password(url),
        reason: reason.to_owned(),
    };
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_owned(), true));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if url.contains("://") && !url.starts_with("sqlite://") {
        return Err(invalid(
            "expected sqlite:PATH, a file path, or postgres://...",
        ));
    }
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if path.is_empty() || path == ":memory:" {
        return Err(invalid("expected the path of a SQLite file"));
    }
    if path.contains('#') || path.contains('%') {
        return Err(invalid("a SQLite path may not contain `#` or `%`"));
    }
    let path = if path.starts_with('/') {
        format!("//{path}")
    } else {
        path.to_owned()
    };
    Ok((format!("sqlite:{path}?mode=ro"), false))
}

/// Opens `url` for reading only, and checks it holds an entitle log.
async fn open_read_only(url: &str) -> Result<(AnyPool, bool), ReplayError> {
    sqlx::any::install_default_drivers();
    let (sqlx_url, postgres) = read_only_url(url)?;
    let display = mask_password(url);
    let open = |source| ReplayError::Open {
        url: display.clone(),
        source,
    };
    let options = AnyConnectOptions::from_str(&sqlx_url).map_err(open)?;
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if postgres {
                    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(open)?;
    let check = sqlx::query("SELECT MAX(version) AS v FROM schema_version")
        .fetch_one(&pool)
        .await;
    let not_entitle = |reason: String| ReplayError::NotAnEntitleStore {
        url: display.clone(),
        reason,
    };
    if let Err(e) = check {
        return Err(not_entitle(format!("no `schema_version` table ({e})")));
    }
    if let Err(e) = sqlx::query(
        "SELECT decision_id, policy, decided_at, facts, outcome, details FROM decision_log LIMIT 1",
    )
    .fetch_optional(&pool)
    .await
    {
        return Err(not_entitle(format!(
            "no readable `decision_log` table ({e})"
        )));
    }
    Ok((pool, postgres))
}

/// One logged decision, as replay needs it.
struct Logged {
    id: String,
    policy: String,
    now: DateTime<Utc>,
    facts: String,
    outcome: String,
    details: String,
}

/// The entries of a page: `[[decision_id, policy, decided_at, facts,
/// outcome, details], ...]`, in `decision_id` order.
fn parse_page(page: &str) -> Result<Vec<Logged>, ReplayError> {
    type Entry = (String, String, String, String, String, String);
    let entries: Vec<Entry> = serde_json::from_str(page).map_err(|e| ReplayError::Corrupt {
        decision_id: "?".into(),
        column: "decision_log",
        message: format!("a page of the log is not readable: {e}"),
    })?;
    let mut page = entries
        .into_iter()
        .map(|(id, policy, now_text, facts, outcome, details)| {
            let now = DateTime::parse_from_rfc3339(&now_text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| ReplayError::Corrupt {
                    decision_id: id.clone(),
                    column: "decided_at",
                    message: format!("`{now_text}`: {e}"),
                })?;
            Ok(Logged {
                id,
                policy,
                now,
                facts,
                outcome,
                details,
            })
        })
        .collect::<Result<Vec<_>, ReplayError>>()?;
    page.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(page)
}

/// Decides `entry` again under `config`: the outcome id and the details as
/// JSON text. The fast path decides without a trace (outcome, then the
/// outcome's details, exactly as `evaluate` computes them); facts that do
/// not parse go through [`entitle::decide_json`] for its error message.
fn redecide(entry: &Logged, config: &PolicyConfig) -> Result<(&'static str, String), String> {
    struct Redecide<'a> {
        entry: &'a Logged,
        config: &'a PolicyConfig,
    }
    impl PolicyVisitor for Redecide<'_> {
        type Output = Option<Result<(&'static str, String), String>>;
        fn visit<P: Registered>(self) -> Self::Output {
            let facts: P::Facts = serde_json::from_str(&self.entry.facts).ok()?;
            let outcome = match decide::<P>(&facts, self.entry.now, self.config) {
                Ok(outcome) => outcome,
                Err(e) => return Some(Err(e.to_string())),
            };
            let details = P::details(outcome, &facts, &Context::new(self.entry.now, self.config));
            Some(
                serde_json::to_string(&details)
                    .map(|text| (outcome.id(), text))
                    .map_err(|e| e.to_string()),
            )
        }
    }
    let fast = entitle::policies::visit(&entry.policy, Redecide { entry, config });
    if let Ok(Some(result)) = fast {
        return result;
    }
    entitle::decide_json(&entry.policy, entry.facts.as_bytes(), entry.now, config)
        .map_err(|e| e.to_string())
        .and_then(|report| {
            serde_json::to_string(&report.details)
                .map(|text| (report.outcome, text))
                .map_err(|e| e.to_string())
        })
}

/// Two JSON texts hold the same value (equal text, the common case, or
/// equal once parsed).
fn same_json(a: &str, b: &str) -> bool {
    a == b
        || matches!(
            (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// Counts for one policy while replaying.
#[derive(Default)]
struct Tally {
    decisions: u64,
    changed: u64,
    failed: u64,
    changes: BTreeMap<(String, String), (u64, Vec<String>)>,
    failures: BTreeMap<String, (u64, Vec<String>)>,
}

fn note(entry: &mut (u64, Vec<String>), id: &str, k: usize) {
    entry.0 += 1;
    if entry.1.len() < k {
        entry.1.push(id.to_owned());
    }
}

/// Counts the replay of `entry` under `config` in `tallies`.
fn tally(tallies: &mut BTreeMap<String, Tally>, entry: &Logged, config: &PolicyConfig, k: usize) {
    let tally = match tallies.get_mut(&entry.policy) {
        Some(tally) => tally,
        None => tallies.entry(entry.policy.clone()).or_default(),
    };
    tally.decisions += 1;
    match redecide(entry, config) {
        Ok((outcome, details)) => {
            if outcome != entry.outcome || !same_json(&details, &entry.details) {
                tally.changed += 1;
                let key = (entry.outcome.clone(), outcome.to_owned());
                note(tally.changes.entry(key).or_default(), &entry.id, k);
            }
        }
        Err(error) => {
            tally.failed += 1;
            note(tally.failures.entry(error).or_default(), &entry.id, k);
        }
    }
}

/// Replays the decision log at `url` (see the module documentation).
pub async fn replay(url: &str, options: &ReplayOptions) -> Result<ReplayReport, ReplayError> {
    options.config.validate()?;
    let (pool, postgres) = open_read_only(url).await?;
    let result = replay_pool(&pool, postgres, url, options).await;
    pool.close().await;
    result
}

/// Replays the decision log of an open `store` (the service's own): the
/// same report as [`replay`], through the store's pool. It only reads; a
/// page's query holds a connection for that query alone, so decisions
/// being logged meanwhile are not held up. Dropping the future stops the
/// replay once the page being decided is done.
pub async fn replay_store(
    store: &Store,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    options.config.validate()?;
    let postgres = store.backend() == Backend::Postgres;
    replay_pool(&store.inner.pool, postgres, store.url(), options).await
}

/// A `since` or `until` bound: `DATE` (`YYYY-MM-DD`, UTC) or an RFC 3339
/// instant. A date means the start of that day, or with `end_of_day` the
/// start of the next (so `until = DATE` includes that day). The error says
/// what is wrong, in words.
pub fn parse_bound(text: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| {
        format!("`{text}` is neither a date (YYYY-MM-DD) nor an RFC 3339 instant ({e})")
    })?;
    let day = if end_of_day {
        date.succ_opt()
    } else {
        Some(date)
    };
    day.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is out of range"))
}

async fn replay_pool(
    pool: &AnyPool,
    postgres: bool,
    url: &str,
    options: &ReplayOptions,
) -> Result<ReplayReport, ReplayError> {
    let mut sql = String::from(
        "SELECT decision_id, policy, decided_at, facts, outcome, details FROM decision_log \
         WHERE decision_id > $1",
    );
    let mut n = 1;
    let mut param = |sql: &mut String, condition: &str| {
        n += 1;
        sql.push_str(&format!(" AND {condition} ${n}"));
    };
    if options.policy.is_some() {
        param(&mut sql, "policy =");
    }
    if options.since.is_some() {
        param(&mut sql, "decided_at >=");
    }
    if options.until.is_some() {
        param(&mut sql, "decided_at <");
    }
    n += 1;
    sql.push_str(&format!(" ORDER BY decision_id LIMIT ${n}"));
    // A page is one row: a JSON array of the entries, so the driver hands
    // over one value per page instead of one row per decision.
    let sql = if postgres {
        format!(
            "SELECT json_agg(json_build_array(decision_id, policy, decided_at, facts, outcome, \
             details) ORDER BY decision_id)::text AS page FROM ({sql}) AS p"
        )
    } else {
        format!(
            "SELECT json_group_array(json_array(decision_id, policy, decided_at, facts, \
             outcome, details)) AS page FROM ({sql})"
        )
    };
    // `decided_at` is RFC 3339 text with as many fraction digits as needed,
    // which sorts as the instant does only to the second: the query narrows
    // to a second either side, and each entry's parsed `now` decides.
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let second = chrono::TimeDelta::seconds(1);
    let since = options
        .since
        .map(|t| stamp(t.checked_sub_signed(second).unwrap_or(t)));
    let until = options
        .until
        .map(|t| stamp(t.checked_add_signed(second).unwrap_or(t)));
    let page_size = i64::from(options.page_size.clamp(1, 10_000));
    let page_len = usize::try_from(page_size).unwrap_or(usize::MAX);
    let fetch = |after: String| {
        let sql = &sql;
        let filters = [&options.policy, &since, &until];
        async move {
            let mut query = sqlx::query(sql).bind(after);
            for value in filters.into_iter().flatten() {
                query = query.bind(value.clone());
            }
            let read = |source| ReplayError::Read {
                url: mask_password(url),
                source,
            };
            let row = query.bind(page_size).fetch_one(pool).await.map_err(read)?;
            let page: Option<String> = row.try_get("page").map_err(read)?;
            parse_page(page.as_deref().unwrap_or("[]"))
        }
    };
    // A pipeline: the next page is read while this one is decided on a
    // blocking thread; at most two pages are in memory.
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut page = fetch(String::new()).await?;
    let config = std::sync::Arc::new(options.config.clone());
    let (since_at, until_at, k) = (options.since, options.until, options.examples);
    let wanted = move |now: DateTime<Utc>| {
        since_at.is_none_or(|s| now >= s) && until_at.is_none_or(|u| now < u)
    };
    let mut replayed: u64 = 0;
    while let Some(last) = page.last() {
        let more = page.len() >= page_len;
        let after = last.id.clone();
        replayed += page.iter().filter(|e| wanted(e.now)).count() as u64;
        if let Some(limit) = options.max_decisions.filter(|&limit| replayed > limit) {
            return Err(ReplayError::TooMany { limit });
        }
        let config = std::sync::Arc::clone(&config);
        let work = tokio::task::spawn_blocking(move || {
            for entry in page.iter().filter(|e| wanted(e.now)) {
                tally(&mut tallies, entry, &config, k);
            }
            tallies
        });
        let next = if more {
            fetch(after).await
        } else {
            Ok(Vec::new())
        };
        tallies = work.await.map_err(|e| ReplayError::Worker(e.to_string()))?;
        page = next?;
    }
    let policies: Vec<PolicyReplay> = tallies
        .into_iter()
        .map(|(policy, t)| PolicyReplay {
            policy,
            decisions: t.decisions,
            changed: t.changed,
            failed: t.failed,
            changes: t
                .changes
                .into_iter()
                .map(|((from, to), (count, examples))| Change {
                    from,
                    to,
                    count,
                    examples,
                })
                .collect(),
            failures: t
                .failures
                .into_iter()
                .map(|(error, (count, examples))| Failure {
                    error,
                    count,
                    examples,
                })
                .collect(),
        })
        .collect();
    Ok(ReplayReport {
        decisions: policies.iter().map(|p| p.decisions).sum(),
        changed: policies.iter().map(|p| p.changed).sum(),
        failed: policies.iter().map(|p| p.failed).sum(),
        policies,
    })
}

impl ReplayReport {
    /// The report as text: a line per policy, a line per change and per
    /// failure, and a summary line.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for p in &self.policies {
            let _ = writeln!(
                out,
                "{}: {} decisions, {} changed, {} now fail",
                p.policy, p.decisions, p.changed, p.failed
            );
            for c in &p.changes {
                let what = if c.from == c.to { " (details)" } else { "" };
                let _ = writeln!(
                    out,
                    "  {} -> {}{what}: {} (e.g. {})",
                    c.from,
                    c.to,
                    c.count,
                    c.examples.join(", ")
                );
            }
            for f in &p.failures {
                let _ = writeln!(
                    out,
                    "  now fails: {}: {} (e.g. {})",
                    f.error,
                    f.count,
                    f.examples.join(", ")
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
