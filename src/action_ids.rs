//! The ids of the actions the built-in policies ask for, so that a
//! configuration naming an action (the actions config's `[routes]`) can
//! refuse an id no policy makes, such as a misspelt one.
//!
//! An action id is a literal in a policy's outcome code; the set is read
//! from the decisions of the built-in scenarios (one or more for every path
//! of every graph, each under its own configuration). A property test
//! decides random facts at random instants for every policy and checks each
//! action it asks for is in the set.

use std::collections::BTreeSet;

use crate::config::PolicyConfig;
use crate::scenario::{ScenarioError, corpus::corpus, merge_config};

/// Every action id the built-in policies' scenarios ask for, in order.
pub fn action_ids() -> Result<BTreeSet<&'static str>, ScenarioError> {
    let base = PolicyConfig::default();
    let mut ids = BTreeSet::new();
    for scenario in corpus()? {
        let Ok(config) = merge_config(&base, &scenario.config) else {
            continue;
        };
        let Ok(facts) = serde_json::to_vec(&scenario.facts) else {
            continue;
        };
        if let Ok(report) = crate::decide_json(scenario.policy, &facts, scenario.now, &config) {
            ids.extend(report.details.actions.iter().map(|action| action.id));
        }
    }
    Ok(ids)
}
