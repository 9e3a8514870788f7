//! Which edges (`node=answer`) and outcomes of each policy no scenario took.

use serde::Serialize;

use super::run::ScenarioRun;
use super::shape::{policy_shape, qualified_outcome};
use crate::policy::PolicyError;

/// The coverage of one policy by a set of decided scenarios.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyCoverage {
    /// The policy id.
    pub policy: &'static str,
    /// How many scenarios of the policy ran.
    pub scenarios: usize,
    /// How many edges the policy's graph has.
    pub edges: usize,
    /// How many of them some scenario took.
    pub edges_taken: usize,
    /// `edges_taken / edges` in percent (100 for a graph with no edge).
    pub edge_coverage_pct: f64,
    /// The edges no scenario took, as `node=answer`, in path order.
    pub edges_not_taken: Vec<String>,
    /// How many outcomes the policy has.
    pub outcomes: usize,
    /// The outcomes no scenario reached, each once, named by the sub-graph
    /// that reaches it when the policy has sub-graphs
    /// (`weekend/not-lapsed`), in path order.
    pub outcomes_not_taken: Vec<String>,
}

/// The coverage of every policy that at least one of `runs` decided, in
/// registry order. Coverage counts what was decided, whether or not the
/// scenario passed; a refused scenario took nothing.
pub fn coverage(runs: &[ScenarioRun]) -> Result<Vec<PolicyCoverage>, PolicyError> {
    let mut report = Vec::new();
    for info in crate::policies::POLICIES {
        let mine: Vec<&ScenarioRun> = runs.iter().filter(|r| r.policy == info.id).collect();
        let decided: Vec<&super::run::Got> = mine.iter().filter_map(|r| r.got.as_ref()).collect();
        if mine.is_empty() {
            continue;
        }
        let shape = policy_shape(info.id)?;
        let edges_not_taken: Vec<String> = shape
            .edges
            .iter()
            .filter(|edge| !decided.iter().any(|g| g.path.contains(edge)))
            .cloned()
            .collect();
        let taken: Vec<String> = decided
            .iter()
            .map(|g| qualified_outcome(&g.path, g.outcome))
            .collect();
        let outcomes_not_taken: Vec<String> = shape
            .qualified_outcomes
            .iter()
            .filter(|o| !taken.contains(o))
            .cloned()
            .collect();
        let edges = shape.edges.len();
        let edges_taken = edges - edges_not_taken.len();
        #[expect(clippy::cast_precision_loss, reason = "edge counts are far below 2^52")]
        let edge_coverage_pct = if edges == 0 {
            100.0
        } else {
            (edges_taken as f64) * 100.0 / (edges as f64)
        };
        report.push(PolicyCoverage {
            policy: info.id,
            scenarios: mine.len(),
            edges,
            edges_taken,
            edge_coverage_pct,
            edges_not_taken,
            outcomes: shape.qualified_outcomes.len(),
            outcomes_not_taken,
        });
    }
    Ok(report)
}
