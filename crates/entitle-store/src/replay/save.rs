//! Reading the logged decisions themselves (for `entitle replay
//! --save-scenarios`): the same filters and pages as a replay, each entry
//! handed over as logged.

use chrono::{DateTime, Utc};

use super::open::open_read_only;
use super::pages::{Pages, within};
use super::{ReplayError, ReplayOptions};

/// A logged decision as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedDecision {
    /// The decision id.
    pub id: String,
    /// The policy id.
    pub policy: String,
    /// The decision's `now`, or why the logged text cannot be read.
    pub now: Result<DateTime<Utc>, String>,
    /// The facts, JSON text.
    pub facts: String,
    /// The outcome id.
    pub outcome: String,
    /// The details, JSON text.
    pub details: String,
}

/// Hands each logged decision of the store at `url` that `options` selects
/// (policy, since, until; `config` is not used) to `each`, oldest id first,
/// a page at a time; returns how many. The log is only read. `each`
/// returning an error stops the read with [`ReplayError::Save`].
pub async fn read_logged(
    url: &str,
    options: &ReplayOptions,
    mut each: impl FnMut(LoggedDecision) -> Result<(), String>,
) -> Result<u64, ReplayError> {
    let (pool, postgres) = open_read_only(url).await?;
    let result = async {
        let pages = Pages::new(&pool, postgres, url, options);
        let wanted = within(options);
        let mut count = 0_u64;
        let mut page = pages.fetch(String::new()).await?;
        while let Some(last) = page.last() {
            let more = page.len() >= pages.page_len;
            let after = last.id.clone();
            for entry in page.into_iter().filter(|e| wanted(&e.now)) {
                count += 1;
                each(LoggedDecision {
                    id: entry.id,
                    policy: entry.policy,
                    now: entry.now,
                    facts: entry.facts,
                    outcome: entry.outcome,
                    details: entry.details,
                })
                .map_err(ReplayError::Save)?;
            }
            page = if more {
                pages.fetch(after).await?
            } else {
                Vec::new()
            };
        }
        Ok(count)
    }
    .await;
    pool.close().await;
    result
}
