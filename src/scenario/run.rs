//! Deciding a scenario and comparing the decision with its expectation.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{
    Refusal, Scenario, ScenarioError, ScenarioProblem, StableUntil, merge_config, rfc3339,
};
use crate::config::PolicyConfig;
use crate::report::{DecideError, DecisionReport, decide_json};

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
    /// Each action's id and text, in order.
    #[serde(skip)]
    pub action_texts: Vec<(&'static str, String)>,
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
            action_texts: report
                .details
                .actions
                .iter()
                .map(|a| (a.id, a.text.clone()))
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
    /// A detail's value, as text, lacks the fragment.
    Contains {
        /// The detail key.
        key: String,
        /// The fragment.
        fragment: String,
        /// The decided value, if the decision has the key.
        got: Option<Value>,
    },
    /// A list detail holds other members (order ignored).
    Set {
        /// The detail key.
        key: String,
        /// Expected members missing from the decision.
        missing: Vec<Value>,
        /// Members of the decision not expected.
        unexpected: Vec<Value>,
    },
    /// An action expected among the actions is not.
    ActionMissing {
        /// The action id.
        id: String,
        /// The decided action ids.
        got: Vec<String>,
    },
    /// An action expected not among the actions is.
    ActionPresent {
        /// The action id.
        id: String,
    },
    /// An action's text lacks the fragment (`got: None`: no such action).
    ActionText {
        /// The action id.
        id: String,
        /// The fragment.
        fragment: String,
        /// The action's text.
        got: Option<String>,
    },
    /// A refusal was expected and the input was decided.
    Decided {
        /// The refusal expected.
        expected: Refusal,
        /// The outcome decided.
        got: String,
    },
    /// A decision was expected and the input was refused.
    Refused {
        /// The outcome expected.
        expected: String,
        /// The refusal's text.
        got: String,
    },
    /// The input was refused for another reason than the expected one.
    OtherRefusal {
        /// The refusal expected.
        expected: Refusal,
        /// The refused field, if any.
        got_field: Option<String>,
        /// The refusal's text.
        got: String,
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
            Mismatch::Contains { key, fragment, got } => write!(
                f,
                "details.{key}: expected to contain {fragment:?}, got {}",
                got.as_ref()
                    .map_or_else(|| "(absent)".into(), Value::to_string)
            ),
            Mismatch::Set {
                key,
                missing,
                unexpected,
            } => {
                let list = |v: &[Value]| {
                    if v.is_empty() {
                        "none".to_owned()
                    } else {
                        v.iter()
                            .map(Value::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                write!(
                    f,
                    "details.{key} (as a set): missing {}, unexpected {}",
                    list(missing),
                    list(unexpected)
                )
            }
            Mismatch::ActionMissing { id, got } => write!(
                f,
                "actions: expected {id} among them, got [{}]",
                got.join(", ")
            ),
            Mismatch::ActionPresent { id } => {
                write!(f, "actions: expected {id} not among them, got it")
            }
            Mismatch::ActionText { id, fragment, got } => match got {
                Some(text) => write!(
                    f,
                    "actions.{id}.text: expected to contain {fragment:?}, got {text:?}"
                ),
                None => write!(
                    f,
                    "actions.{id}.text: expected to contain {fragment:?}, got no such action"
                ),
            },
            Mismatch::Decided { expected, got } => {
                write!(f, "expected {expected}, got a decision: {got}")
            }
            Mismatch::Refused { expected, got } => {
                write!(f, "outcome: expected {expected}, got a refusal: {got}")
            }
            Mismatch::OtherRefusal {
                expected,
                got_field,
                got,
            } => match got_field {
                Some(field) => write!(f, "expected {expected}, got refused at `{field}`: {got}"),
                None => write!(f, "expected {expected}, got refused: {got}"),
            },
        }
    }
}

/// A scenario with its decision (or refusal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioRun {
    /// The file of the scenario.
    pub file: String,
    /// The scenario's name.
    pub name: String,
    /// The policy id.
    pub policy: &'static str,
    /// What was decided (`None`: the input was refused).
    pub got: Option<Got>,
    /// The refusal's text, when the input was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
    /// How it differs from the expectation; empty when the scenario passed.
    pub mismatches: Vec<Mismatch>,
}

impl ScenarioRun {
    /// True when the decision is as expected.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// The differences, joined by `; `.
    pub fn differences(&self) -> String {
        let diffs: Vec<String> = self.mismatches.iter().map(ToString::to_string).collect();
        diffs.join("; ")
    }

    /// One line: `FAIL file: "name" (policy): mismatch; mismatch`.
    pub fn failure_line(&self) -> String {
        format!(
            "FAIL {}: {:?} ({}): {}",
            crate::input::escape_for_terminal(&self.file),
            self.name,
            self.policy,
            crate::input::escape_for_terminal(&self.differences())
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
        at: None,
        field: Some(key.map_or_else(|| "config".to_owned(), |k| format!("config.{k}"))),
        problem: Box::new(ScenarioProblem::BadConfig(message)),
    })
}

/// Decides `scenario` through the JSON boundary ([`decide_json`]) under
/// `base` with the scenario's overrides, and compares. A refusal is a
/// result when the scenario expects one (or expected a decision: a
/// mismatch); an error only when the configuration cannot be used.
pub fn run(scenario: &Scenario, base: &PolicyConfig) -> Result<ScenarioRun, ScenarioError> {
    let config = scenario_config(scenario, base)?;
    let facts = scenario.facts_bytes();
    let decided = decide_json(scenario.policy, &facts, scenario.now, &config);
    let (got, refused, mismatches) = match (decided, &scenario.expect.error) {
        (Ok(report), None) => {
            let got = Got::of(&report);
            let mismatches = compare(scenario, &got);
            (Some(got), None, mismatches)
        }
        (Ok(report), Some(expected)) => {
            let got = Got::of(&report);
            let mismatch = Mismatch::Decided {
                expected: expected.clone(),
                got: got.outcome.to_owned(),
            };
            (Some(got), None, vec![mismatch])
        }
        (Err(DecideError::Policy(e)), _) if !matches!(e.fault(), crate::policy::Fault::Request) => {
            return Err(ScenarioError {
                file: scenario.file.clone(),
                at: None,
                scenario: Some(scenario.name.clone()),
                field: None,
                problem: Box::new(ScenarioProblem::Decide(e.to_string())),
            });
        }
        (Err(e), expected) => {
            let (field, text) = match &e {
                // The message alone: the field is said apart.
                DecideError::Facts(facts @ crate::FactsError::Invalid { message, .. }) => {
                    (facts.field(), message.clone())
                }
                DecideError::Facts(facts) => (facts.field(), facts.to_string()),
                DecideError::Policy(policy) => (None, policy.to_string()),
            };
            let mismatches = match expected {
                None => vec![Mismatch::Refused {
                    expected: scenario.expect.outcome.clone().unwrap_or_default(),
                    got: text.clone(),
                }],
                Some(expected) => {
                    if expected.field == field && text.contains(&expected.message) {
                        Vec::new()
                    } else {
                        vec![Mismatch::OtherRefusal {
                            expected: expected.clone(),
                            got_field: field,
                            got: text.clone(),
                        }]
                    }
                }
            };
            (None, Some(text), mismatches)
        }
    };
    Ok(ScenarioRun {
        file: scenario.file.clone(),
        name: scenario.name.clone(),
        policy: scenario.policy,
        got,
        refused,
        mismatches,
    })
}

/// How `got` differs from the expectation of `scenario`: outcome, each
/// differing detail key, `stable_until`, and the first differing path step.
pub fn compare(scenario: &Scenario, got: &Got) -> Vec<Mismatch> {
    let expect = &scenario.expect;
    let mut mismatches = Vec::new();
    if let Some(outcome) = expect.outcome.as_ref().filter(|o| *o != got.outcome) {
        mismatches.push(Mismatch::Outcome {
            expected: outcome.clone(),
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
    for (key, fragment) in &expect.contains {
        let actual = got.details.get(key);
        let text = actual.map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if !text.is_some_and(|t| t.contains(fragment.as_str())) {
            mismatches.push(Mismatch::Contains {
                key: key.clone(),
                fragment: fragment.clone(),
                got: actual.cloned(),
            });
        }
    }
    for (key, expected) in &expect.sets {
        let actual: Vec<Value> = match got.details.get(key) {
            Some(Value::Array(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        };
        let missing: Vec<Value> = expected
            .iter()
            .filter(|v| !actual.contains(v))
            .cloned()
            .collect();
        let unexpected: Vec<Value> = actual
            .iter()
            .filter(|v| !expected.contains(v))
            .cloned()
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            mismatches.push(Mismatch::Set {
                key: key.clone(),
                missing,
                unexpected,
            });
        }
    }
    let ids: Vec<String> = got
        .action_texts
        .iter()
        .map(|(id, _)| (*id).to_owned())
        .collect();
    for id in &expect.actions.include {
        if !ids.contains(id) {
            mismatches.push(Mismatch::ActionMissing {
                id: id.clone(),
                got: ids.clone(),
            });
        }
    }
    for id in &expect.actions.exclude {
        if ids.contains(id) {
            mismatches.push(Mismatch::ActionPresent { id: id.clone() });
        }
    }
    for (id, fragment) in &expect.actions.text {
        let text = got
            .action_texts
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, t)| t.clone());
        if !text
            .as_deref()
            .is_some_and(|t| t.contains(fragment.as_str()))
        {
            mismatches.push(Mismatch::ActionText {
                id: id.clone(),
                fragment: fragment.clone(),
                got: text,
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
