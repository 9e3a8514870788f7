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
            for path in graph.paths() {
                for step in path.steps {
                    let edge = format!("{}={}", step.node, step.answer);
                    if !edges.contains(&edge) {
                        edges.push(edge);
                    }
                }
            }
            Ok(PolicyShape {
                id: P::ID,
                outcomes: P::Outcome::ALL
                    .iter()
                    .map(|o| o.id())
                    .filter(|id| graph.outcomes().any(|(_, o)| o.id() == *id))
                    .collect(),
                edges,
                check_facts: check::<P>,
            })
        }
    }
    crate::policies::visit(id, Shape)?
}
