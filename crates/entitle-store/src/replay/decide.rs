//! Deciding logged entries again and counting what changed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entitle::config::PolicyConfig;
use entitle::graph::Context;
use entitle::policy::{Outcome as _, PolicyVisitor, Registered, decide};
use serde_json::Value;

use super::ReplayError;

/// One logged decision, as replay needs it.
pub(super) struct Logged {
    pub(super) id: String,
    pub(super) policy: String,
    /// The decision's `now`, or why the logged text is not one this
    /// version reads (an entry logged before `now` was checked, such as
    /// `+10000-01-01T11:59:59Z`): such an entry is reported as failing, and
    /// the replay goes on.
    pub(super) now: Result<DateTime<Utc>, String>,
    pub(super) facts: String,
    pub(super) outcome: String,
    pub(super) details: String,
}

/// The entries of a page: `[[decision_id, policy, decided_at, facts,
/// outcome, details], ...]`, in `decision_id` order.
pub(super) fn parse_page(page: &str) -> Result<Vec<Logged>, ReplayError> {
    type Entry = (String, String, String, String, String, String);
    let entries: Vec<Entry> = serde_json::from_str(page).map_err(|e| ReplayError::Corrupt {
        decision_id: "?".into(),
        column: "decision_log",
        message: format!("a page of the log is not readable: {e}"),
    })?;
    let mut page = entries
        .into_iter()
        .map(|(id, policy, now_text, facts, outcome, details)| {
            let now = entitle::input::parse_instant(&now_text).map_err(|e| {
                format!("its logged `now` cannot be read, so it cannot be decided again: {e}")
            });
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
    let now = entry.now.clone()?;
    struct Redecide<'a> {
        entry: &'a Logged,
        now: DateTime<Utc>,
        config: &'a PolicyConfig,
    }
    impl PolicyVisitor for Redecide<'_> {
        type Output = Option<Result<(&'static str, String), String>>;
        fn visit<P: Registered>(self) -> Self::Output {
            // As `decide_json` reads facts: an array is no object.
            let mut de = serde_json::Deserializer::from_str(&self.entry.facts);
            let facts: P::Facts =
                serde::Deserialize::deserialize(entitle::input::ObjectsOnly(&mut de)).ok()?;
            de.end().ok()?;
            let outcome = match decide::<P>(&facts, self.now, self.config) {
                Ok(outcome) => outcome,
                Err(e) => return Some(Err(e.to_string())),
            };
            let details = P::details(outcome, &facts, &Context::new(self.now, self.config));
            Some(
                serde_json::to_string(&details)
                    .map(|text| (outcome.id(), text))
                    .map_err(|e| e.to_string()),
            )
        }
    }
    let fast = entitle::policies::visit(&entry.policy, Redecide { entry, now, config });
    if let Ok(Some(result)) = fast {
        return result;
    }
    entitle::decide_json(&entry.policy, entry.facts.as_bytes(), now, config)
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
pub(super) struct Tally {
    pub(super) decisions: u64,
    pub(super) changed: u64,
    pub(super) failed: u64,
    pub(super) changes: BTreeMap<(String, String), (u64, Vec<String>)>,
    pub(super) failures: BTreeMap<String, (u64, Vec<String>)>,
}

fn note(entry: &mut (u64, Vec<String>), id: &str, k: usize) {
    entry.0 += 1;
    if entry.1.len() < k {
        entry.1.push(id.to_owned());
    }
}

/// Counts the replay of `entry` under `config` in `tallies`.
pub(super) fn tally(
    tallies: &mut BTreeMap<String, Tally>,
    entry: &Logged,
    config: &PolicyConfig,
    k: usize,
) {
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
