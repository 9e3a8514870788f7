//! Reading the log page by page while the previous page is decided.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyPool, Row as _};

use super::decide::{Logged, Tally, parse_page, tally};
use super::{Change, Failure, PolicyReplay, ReplayError, ReplayOptions, ReplayReport};
use crate::store::mask_password;

/// The filtered, paged read of the log a replay and a save share.
pub(super) struct Pages<'a> {
    pool: &'a AnyPool,
    url: &'a str,
    sql: String,
    policy: Option<String>,
    since: Option<String>,
    until: Option<String>,
    page_size: i64,
    /// Entries per full page.
    pub(super) page_len: usize,
}

impl<'a> Pages<'a> {
    pub(super) fn new(
        pool: &'a AnyPool,
        postgres: bool,
        url: &'a str,
        options: &ReplayOptions,
    ) -> Pages<'a> {
        // `decided_at` is RFC 3339 text in UTC with as many fraction digits as
        // needed, which sorts as the instant does only to the second (and only
        // within the years 0001-9999, which the readers of `now` enforce): the
        // query narrows to a second either side, and each entry's parsed `now`
        // decides. A bound whose margin leaves those years narrows nothing
        // (`+10000-...` would sort before every entry).
        let stamp = |t: Option<DateTime<Utc>>| {
            t.filter(|t| (1..=9999).contains(&chrono::Datelike::year(t)))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        };
        let second = chrono::TimeDelta::seconds(1);
        let since = stamp(options.since.and_then(|t| t.checked_sub_signed(second)));
        let until = stamp(options.until.and_then(|t| t.checked_add_signed(second)));
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
        if since.is_some() {
            param(&mut sql, "decided_at >=");
        }
        if until.is_some() {
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
        let page_size = i64::from(options.page_size.clamp(1, 10_000));
        Pages {
            pool,
            url,
            sql,
            policy: options.policy.clone(),
            since,
            until,
            page_size,
            page_len: usize::try_from(page_size).unwrap_or(usize::MAX),
        }
    }

    /// The page of entries after decision id `after`, in id order.
    pub(super) async fn fetch(&self, after: String) -> Result<Vec<Logged>, ReplayError> {
        let mut query = sqlx::query(&self.sql).bind(after);
        for value in [&self.policy, &self.since, &self.until]
            .into_iter()
            .flatten()
        {
            query = query.bind(value.clone());
        }
        let read = |source| ReplayError::Read {
            url: mask_password(self.url),
            source,
        };
        let row = query
            .bind(self.page_size)
            .fetch_one(self.pool)
            .await
            .map_err(read)?;
        let page: Option<String> = row.try_get("page").map_err(read)?;
        parse_page(page.as_deref().unwrap_or("[]"))
    }
}

/// Whether an entry's `now` is within the bounds. An entry whose `now`
/// cannot be read has no place in time: whenever the query reads it, it
/// is kept (a replay reports it as failing).
pub(super) fn within(
    options: &ReplayOptions,
) -> impl Fn(&Result<DateTime<Utc>, String>) -> bool + Send + Copy + 'static {
    let (since_at, until_at) = (options.since, options.until);
    move |now: &Result<DateTime<Utc>, String>| match now {
        Ok(now) => since_at.is_none_or(|s| *now >= s) && until_at.is_none_or(|u| *now < u),
        Err(_) => true,
    }
}

pub(super) async fn replay_pool(
    pool: &AnyPool,
    postgres: bool,
    url: &str,
    options: &ReplayOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReplayReport, ReplayError> {
    let pages = Pages::new(pool, postgres, url, options);
    let page_len = pages.page_len;
    let fetch = |after: String| pages.fetch(after);
    // A pipeline: the next page is read while this one is decided on a
    // blocking thread; at most two pages are in memory.
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut page = fetch(String::new()).await?;
    let config = std::sync::Arc::new(options.config.clone());
    let k = options.examples;
    let wanted = within(options);
    let mut replayed: u64 = 0;
    while let Some(last) = page.last() {
        let more = page.len() >= page_len;
        let after = last.id.clone();
        replayed += page.iter().filter(|e| wanted(&e.now)).count() as u64;
        if let Some(limit) = options.max_decisions.filter(|&limit| replayed > limit) {
            return Err(ReplayError::TooMany { limit });
        }
        let config = std::sync::Arc::clone(&config);
        let work = tokio::task::spawn_blocking(move || {
            for entry in page.iter().filter(|e| wanted(&e.now)) {
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
        progress(replayed);
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
