//! Logged decisions as scenario files (`entitle replay --save-scenarios`):
//! each pins what was decided, with the facts and `now` as logged, so that
//! running them under a proposed configuration shows which real tickets
//! change and how.
//!
//! A saved scenario is named by its decision id and expects the logged
//! outcome, every logged detail (`actions` by ids, each action's text as
//! `expect.actions.text`) and every other detail key absent: what a replay
//! calls a change is exactly what fails it. `stable_until` is not pinned
//! (a replay does not count it either), nor is the logged configuration:
//! the run's `--config` is the one under test. The files are JSON, one per
//! policy and at most [`SAVED_PER_FILE`] scenarios each
//! (`license-status.json`, `license-status-2.json`, ...).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::DETAIL_KEYS;

/// The most scenarios one saved file holds.
pub const SAVED_PER_FILE: usize = 1000;

/// The scenario pinning one logged decision: `id`, `policy`, `now`, the
/// facts and details as logged (JSON text), the outcome id. The error says
/// why it cannot be pinned (facts or details that are not JSON objects).
pub fn pinned(
    id: &str,
    policy: &str,
    now: DateTime<Utc>,
    facts: &str,
    outcome: &str,
    details: &str,
) -> Result<Value, String> {
    let facts: Map<String, Value> = serde_json::from_str(facts)
        .map_err(|e| format!("decision {id}: its logged facts are not a JSON object: {e}"))?;
    let logged: Map<String, Value> = serde_json::from_str(details)
        .map_err(|e| format!("decision {id}: its logged details are not a JSON object: {e}"))?;
    let mut expected = Map::new();
    let mut texts = Map::new();
    for (key, value) in logged {
        if key == "actions" {
            let Value::Array(actions) = value else {
                continue;
            };
            if actions.is_empty() {
                continue;
            }
            let mut ids = Vec::new();
            for action in actions {
                if let (Some(Value::String(id)), Some(text)) =
                    (action.get("id"), action.get("text"))
                {
                    ids.push(Value::String(id.clone()));
                    texts.insert(id.clone(), text.clone());
                }
            }
            expected.insert(key, Value::Array(ids));
        } else if DETAIL_KEYS.contains(&key.as_str()) && !value.is_null() {
            expected.insert(key, value);
        }
    }
    let absent: Vec<&str> = DETAIL_KEYS
        .iter()
        .copied()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    let mut expect = json!({
        "outcome": outcome,
        "details": expected,
        "absent": absent,
    });
    if !texts.is_empty() {
        if let Value::Object(map) = &mut expect {
            map.insert("actions".into(), json!({ "text": texts }));
        }
    }
    Ok(json!({
        "name": id,
        "policy": policy,
        "now": super::rfc3339(now),
        "facts": facts,
        "expect": expect,
    }))
}

/// Writes pinned scenarios to a directory, one JSON file per policy (and
/// per [`SAVED_PER_FILE`] scenarios), holding at most one file's worth per
/// policy in memory.
#[derive(Debug)]
pub struct ScenarioWriter {
    dir: PathBuf,
    open: BTreeMap<String, (usize, Vec<Value>)>,
    written: Vec<PathBuf>,
    count: u64,
}

impl ScenarioWriter {
    /// A writer into `dir` (created if missing). A file of the same name
    /// there is replaced.
    pub fn new(dir: &Path) -> Result<ScenarioWriter, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create the directory: {e}", dir.display()))?;
        Ok(ScenarioWriter {
            dir: dir.to_owned(),
            open: BTreeMap::new(),
            written: Vec::new(),
            count: 0,
        })
    }

    /// Adds the scenario `scenario` of policy `policy`.
    pub fn add(&mut self, policy: &str, scenario: Value) -> Result<(), String> {
        let full = {
            let slot = self.open.entry(policy.to_owned()).or_default();
            slot.1.push(scenario);
            slot.1.len() >= SAVED_PER_FILE
        };
        self.count += 1;
        if full {
            self.flush(policy)?;
        }
        Ok(())
    }

    fn flush(&mut self, policy: &str) -> Result<(), String> {
        let Some((index, scenarios)) = self.open.get_mut(policy) else {
            return Ok(());
        };
        if scenarios.is_empty() {
            return Ok(());
        }
        *index += 1;
        // A policy id is kebab-case ASCII; anything else is not a file name.
        let safe: String = policy
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = if *index == 1 {
            format!("{safe}.json")
        } else {
            format!("{safe}-{index}.json")
        };
        let path = self.dir.join(name);
        let text = serde_json::to_string_pretty(&json!({ "scenario": scenarios }))
            .map_err(|e| e.to_string())?;
        std::fs::write(&path, text + "\n")
            .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        scenarios.clear();
        self.written.push(path);
        Ok(())
    }

    /// Writes what is left; returns the files written and the scenarios.
    pub fn finish(mut self) -> Result<(Vec<PathBuf>, u64), String> {
        let policies: Vec<String> = self.open.keys().cloned().collect();
        for policy in policies {
            self.flush(&policy)?;
        }
        Ok((self.written, self.count))
    }
}
