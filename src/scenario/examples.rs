//! The policies' worked examples: the built-in scenarios of one policy with
//! their facts parsed into the policy's own facts type.
//!
//! A policy's examples are the scenarios of its file in the built-in corpus
//! (`crates/entitle-core/scenarios/<policy-id>.toml`), in file order. The
//! file is checked as any scenario file is (a date typo is a
//! [`ScenarioError`] naming the file, the scenario and the field, never a
//! default), and every scenario in it must be for that policy.
//! [`crate::examples`] shows, for each path of the graph, the first of them
//! that takes it under the default configuration.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{Expect, ScenarioError, ScenarioFormat, ScenarioProblem, load_str};
use crate::parse_facts;
use crate::policy::Registered;

/// A worked example of policy `P`: a built-in scenario with typed facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Example<F> {
    /// The scenario's name, unique within the policy's file.
    pub name: String,
    /// When the decision is made.
    pub now: DateTime<Utc>,
    /// The facts, in the policy's facts type.
    pub facts: F,
    /// Configuration keys the scenario overrides (usually none).
    pub config: Map<String, Value>,
    /// What the decision must be.
    pub expect: Expect,
}

/// The file name a policy's built-in scenarios are reported under.
pub(crate) fn corpus_file(policy: &str) -> String {
    format!("scenarios/{policy}.toml")
}

/// The worked examples of `P`, in the order of its scenario file.
///
/// An error names the file, the scenario and the field: a policy without a
/// scenario file, a scenario that does not load (a date typo included), one
/// for another policy, or facts the policy's type refuses.
pub fn examples<P: Registered>() -> Result<Vec<Example<P::Facts>>, ScenarioError> {
    examples_in::<P>(P::SCENARIOS, &corpus_file(P::ID))
}

/// The scenarios of `text` (TOML, a file named `file`) as examples of `P`:
/// what [`examples`] does with the built-in file of `P`. Every scenario must
/// be for `P`.
pub fn examples_in<P: Registered>(
    text: &str,
    file: &str,
) -> Result<Vec<Example<P::Facts>>, ScenarioError> {
    let error = |scenario: &str, field: &str, problem| ScenarioError {
        file: file.to_owned(),
        at: None,
        scenario: Some(scenario.to_owned()),
        field: Some(field.to_owned()),
        problem: Box::new(problem),
    };
    let mut examples = Vec::new();
    for scenario in load_str(text, ScenarioFormat::Toml, file)? {
        // An expected refusal has no facts of the policy's type.
        if scenario.expect.error.is_some() {
            continue;
        }
        if scenario.policy != P::ID {
            return Err(error(
                &scenario.name,
                "policy",
                ScenarioProblem::Shape(format!(
                    "a scenario of `{}` among the examples of `{}`",
                    scenario.policy,
                    P::ID
                )),
            ));
        }
        let bad_facts =
            |message: String| error(&scenario.name, "facts", ScenarioProblem::BadFacts(message));
        let bytes = serde_json::to_vec(&scenario.facts).map_err(|e| bad_facts(e.to_string()))?;
        let facts: P::Facts = parse_facts(&bytes).map_err(|e| bad_facts(e.to_string()))?;
        examples.push(Example {
            name: scenario.name,
            now: scenario.now,
            facts,
            config: scenario.config,
            expect: scenario.expect,
        });
    }
    Ok(examples)
}
