//! Deciding a scenario and comparing the decision with its expectation.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{Scenario, ScenarioError, ScenarioProblem, StableUntil, merge_config, rfc3339};
use crate::config::PolicyConfig;
use crate::report::{DecisionReport, decide_json};

/// What a scenario's decision was.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Got {
    /// The outcome id.
    pub outcome: &'static str,
    /// The details as JSON, with `actions` as a list of action ids.
    pub details: serde_json::Map<String, Value>,
    /// When the decision changes.
    pub stable_until: Option<DateTime<Utc>>,
    /// The path as `node=answer` steps.
    pub path: Vec<String>,
}

impl Got {
    /// The comparable parts of a decision report.
    pub fn of(report: &DecisionReport) -> Got {
        let mut details = match serde_json::to_value(&report.details) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        if !report.details.actions.is_empty() {
            details.insert(
                "actions".into(),
                Value::Array(
                    report
                        .details
                        .actions
                        .iter()
                        .map(|a| Value::String(a.id.to_owned()))
                        .collect(),
                ),
            );
        }
        Got {
            outcome: report.outcome,
            details,
            stable_until: report.stable_until,
            path: report
                .trace
                .iter()
                .map(|s| format!("{}={}", s.node, s.answer))
                .collect(),
        }
    }
}

/// One way a decision differs from its scenario's expectation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Mismatch {
    /// Another outcome.
    Outcome {
        /// Expected outcome id.
        expected: String,
        /// Decided outcome id.
        got: String,
    },
    /// A detail differs or is absent (`None`).
    Detail {
        /// The detail key.
        key: String,
        /// The expected value.
        expected: Value,
        /// The decided value, if the decision has the key.
        got: Option<Value>,
    },
    /// A detail the scenario expects absent is present.
    Present {
        /// The detail key.
        key: String,
        /// The decided value.
        got: Value,
    },
    /// Another `stable_until`.
    StableUntil {
        /// Expected.
        expected: StableUntil,
        /// Decided (`None`: never changes).
        got: Option<DateTime<Utc>>,
    },
    /// The first step where the paths part (`None`: that path ended).
    Path {
        /// The step's position (0 is the root's answer).
        step: usize,
        /// The expected step.
        expected: Option<String>,
        /// The decided step.
        got: Option<String>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_end = |s: &Option<String>| s.clone().unwrap_or_else(|| "(end)".into());
        match self {
            Mismatch::Outcome { expected, got } => {
                write!(f, "outcome: expected {expected}, got {got}")
            }
            Mismatch::Detail { key, expected, got } => write!(
                f,
                "details.{key}: expected {expected}, got {}",
                got.as_ref()
                    .map_or_else(|| "(absent)".into(), Value::to_string)
            ),
            Mismatch::Present { key, got } => {
                write!(f, "details.{key}: expected absent, got {got}")
            }
            Mismatch::StableUntil { expected, got } => write!(
                f,
                "stable_until: expected {expected}, got {}",
                got.map_or_else(|| "never".into(), rfc3339)
            ),
            Mismatch::Path {
                step,
                expected,
                got,
            } => write!(
                f,
                "path step {}: expected {}, got {}",
                step + 1,
                or_end(expected),
                or_end(got)
            ),
        }
    }
}

/// A scenario with its decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRun {
    /// The file of the scenario.
    pub file: String,
    /// The scenario's name.
    pub name: String,
    /// The policy id.
    pub policy: &'static str,
    /// What was decided.
    pub got: Got,
    /// How it differs from the expectation; empty when the scenario passed.
    pub mismatches: Vec<Mismatch>,
}

impl ScenarioRun {
    /// True when the decision is as expected.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// One line: `FAIL file: "name" (policy): mismatch; mismatch`.
    pub fn failure_line(&self) -> String {
        let diffs: Vec<String> = self.mismatches.iter().map(ToString::to_string).collect();
        format!(
            "FAIL {}: {:?} ({}): {}",
            crate::input::escape_for_terminal(&self.file),
            self.name,
            self.policy,
            crate::input::escape_for_terminal(&diffs.join("; "))
        )
    }
}

/// The configuration a scenario runs under: `base` with its overrides.
pub fn scenario_config(
    scenario: &Scenario,
    base: &PolicyConfig,
) -> Result<PolicyConfig, ScenarioError> {
    merge_config(base, &scenario.config).map_err(|(key, message)| ScenarioError {
        file: scenario.file.clone(),
        scenario: Some(scenario.name.clone()),
        field: Some(key.map_or_else(|| "config".to_owned(), |k| format!("config.{k}"))),
        problem: Box::new(ScenarioProblem::BadConfig(message)),
    })
}

/// Decides `scenario` through the JSON boundary ([`decide_json`]) under
/// `base` with the scenario's overrides, and compares.
pub fn run(scenario: &Scenario, base: &PolicyConfig) -> Result<ScenarioRun, ScenarioError> {
    let config = scenario_config(scenario, base)?;
    // A `Value` always serialises (its keys are strings).
    let facts = scenario.facts.to_string().into_bytes();
    let report =
        decide_json(scenario.policy, &facts, scenario.now, &config).map_err(|e| ScenarioError {
            file: scenario.file.clone(),
            scenario: Some(scenario.name.clone()),
            field: None,
            problem: Box::new(ScenarioProblem::Decide(e.to_string())),
        })?;
    let got = Got::of(&report);
    let mismatches = compare(scenario, &got);
    Ok(ScenarioRun {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        policy: scenario.policy,
        got,
        mismatches,
    })
}

/// How `got` differs from the expectation of `scenario`: outcome, each
/// differing detail key, `stable_until`, and the first differing path step.
pub fn compare(scenario: &Scenario, got: &Got) -> Vec<Mismatch> {
    let expect = &scenario.expect;
    let mut mismatches = Vec::new();
    if expect.outcome != got.outcome {
        mismatches.push(Mismatch::Outcome {
            expected: expect.outcome.clone(),
            got: got.outcome.to_owned(),
        });
    }
    for (key, expected) in &expect.details {
        let actual = got.details.get(key);
        if actual != Some(expected) {
            mismatches.push(Mismatch::Detail {
                key: key.clone(),
                expected: expected.clone(),
                got: actual.cloned(),
            });
        }
    }
    for key in &expect.absent {
        if let Some(value) = got.details.get(key) {
            mismatches.push(Mismatch::Present {
                key: key.clone(),
                got: value.clone(),
            });
        }
    }
    if let Some(expected) = expect.stable_until {
        if expected.as_option() != got.stable_until {
            mismatches.push(Mismatch::StableUntil {
                expected,
                got: got.stable_until,
            });
        }
    }
    if let Some(path) = &expect.path {
        let len = path.len().max(got.path.len());
        if let Some(step) = (0..len).find(|&i| path.get(i) != got.path.get(i)) {
            mismatches.push(Mismatch::Path {
                step,
                expected: path.get(step).cloned(),
                got: got.path.get(step).cloned(),
            });
        }
    }
    mismatches
}
