//! What a scenario is checked against: a policy's outcomes, its edges
//! (`node=answer`) and its facts type.

use crate::facts::{FactsError, parse_facts};
use crate::policy::{Outcome, PolicyError, PolicyVisitor, Registered};

/// The parts of a registered policy a scenario can name.
#[derive(Debug, Clone)]
pub struct PolicyShape {
    /// The policy id.
    pub id: &'static str,
    /// The ids of the outcomes its graph can reach, in declaration order.
    pub outcomes: Vec<&'static str>,
    /// Every edge as a `node=answer` step, in path order, each once.
    pub edges: Vec<String>,
    /// Every outcome as each sub-graph reaches it (`weekend/not-lapsed`;
    /// an outcome of the top graph is its bare id), in path order, each
    /// once (see [`qualified_outcome`]).
    pub qualified_outcomes: Vec<String>,
    /// Parses a facts document with the policy's facts type.
    check_facts: fn(&[u8]) -> Result<(), FactsError>,
}

impl PolicyShape {
    /// Checks `facts` (JSON) against the policy's facts type.
    pub fn check_facts(&self, facts: &[u8]) -> Result<(), FactsError> {
        (self.check_facts)(facts)
    }
}

fn check<P: Registered>(facts: &[u8]) -> Result<(), FactsError> {
    parse_facts::<P::Facts>(facts).map(|_| ())
}

/// The shape of the policy `id`.
pub fn policy_shape(id: &str) -> Result<PolicyShape, PolicyError> {
    struct Shape;
    impl PolicyVisitor for Shape {
        type Output = Result<PolicyShape, PolicyError>;
        fn visit<P: Registered>(self) -> Self::Output {
            let graph = P::graph()?;
            let mut edges: Vec<String> = Vec::new();
            let mut qualified_outcomes: Vec<String> = Vec::new();
            for path in graph.paths() {
                let steps: Vec<String> = path
                    .steps
                    .iter()
                    .map(|s| format!("{}={}", s.node, s.answer))
                    .collect();
                let qualified = qualified_outcome(&steps, path.outcome);
                if !qualified_outcomes.contains(&qualified) {
                    qualified_outcomes.push(qualified);
                }
                for step in path.steps {
                    let edge = format!("{}={}", step.node, step.answer);
                    if !edges.contains(&edge) {
                        edges.push(edge);
                    }
                }
            }
            let outcomes: Vec<&'static str> = P::Outcome::ALL
                .iter()
                .map(|o| o.id())
                .filter(|id| graph.outcomes().any(|(_, o)| o.id() == *id))
                .collect();
            // In declaration order of the bare ids, then path order.
            qualified_outcomes.sort_by_key(|q| {
                let bare = q.rsplit('/').next().unwrap_or(q);
                outcomes.iter().position(|o| *o == bare)
            });
            Ok(PolicyShape {
                id: P::ID,
                outcomes,
                edges,
                qualified_outcomes,
                check_facts: check::<P>,
            })
        }
    }
    crate::policies::visit(id, Shape)?
}

/// `outcome` named by the sub-graph that reached it: the prefix of the
/// last step's node (`weekend/` of `weekend/license-active-or-in-grace`),
/// so `weekend/not-lapsed`; the bare id when the top graph decided.
pub fn qualified_outcome(path: &[String], outcome: &str) -> String {
    if outcome.contains('/') {
        return outcome.to_owned();
    }
    let node = path
        .last()
        .and_then(|step| step.split_once('=').map(|(node, _)| node))
        .unwrap_or("");
    match node.rfind('/') {
        Some(at) => format!("{}/{outcome}", node.get(..at).unwrap_or("")),
        None => outcome.to_owned(),
    }
}
