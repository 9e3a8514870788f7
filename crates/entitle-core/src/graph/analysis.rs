//! Analysis of a graph's structure: every path, and coverage of a set of
//! decisions.

use std::collections::{HashMap, HashSet};

use petgraph::Direction;
use petgraph::graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::{Decision, DecisionGraph};

/// One step of a path: a node and the answer taken from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathStep<'g> {
    /// The node's id.
    pub node: &'g str,
    /// The answer's label (for a subgraph node, the embedded graph's name).
    pub answer: &'g str,
}

/// A root-to-outcome path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Path<'g> {
    /// The steps, from the root.
    pub steps: Vec<PathStep<'g>>,
    /// The id of the outcome the path ends at.
    pub outcome: &'g str,
}

/// An edge named by its ends and answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeName<'g> {
    /// The source id.
    pub from: &'g str,
    /// The answer label (empty for a subgraph node's edge).
    pub answer: &'g str,
    /// The target id.
    pub to: &'g str,
}

/// Which parts of a graph a set of decisions never took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage<'g> {
    /// Nodes no decision passed through, in node order.
    pub nodes_not_taken: Vec<&'g str>,
    /// Edges no decision followed, in node and answer order.
    pub edges_not_taken: Vec<EdgeName<'g>>,
    /// How many nodes the graph has.
    pub node_count: usize,
    /// How many edges the graph has.
    pub edge_count: usize,
}

impl Coverage<'_> {
    /// True when every node and edge was taken.
    pub fn is_complete(&self) -> bool {
        self.nodes_not_taken.is_empty() && self.edges_not_taken.is_empty()
    }
}

impl<F, O, C> DecisionGraph<F, O, C> {
    /// Every root-to-outcome path, in a deterministic order (depth first,
    /// answers in their declared order).
    pub fn paths(&self) -> Vec<Path<'_>> {
        let mut paths = Vec::new();
        let mut steps = Vec::new();
        self.collect_paths(self.root_index(), &mut steps, &mut paths);
        paths
    }

    fn collect_paths<'g>(
        &'g self,
        at: NodeIndex,
        steps: &mut Vec<PathStep<'g>>,
        paths: &mut Vec<Path<'g>>,
    ) {
        let graph = self.petgraph();
        let info = &graph[at];
        let mut out: Vec<_> = graph.edges_directed(at, Direction::Outgoing).collect();
        if out.is_empty() {
            paths.push(Path {
                steps: steps.clone(),
                outcome: &info.id,
            });
            return;
        }
        out.sort_by_key(|e| e.weight().answer_index);
        for edge in out {
            let answer = match &info.kind {
                super::NodeKind::Subgraph { graph } => graph.as_str(),
                _ => edge.weight().label,
            };
            steps.push(PathStep {
                node: &info.id,
                answer,
            });
            self.collect_paths(edge.target(), steps, paths);
            steps.pop();
        }
    }

    /// The nodes and edges that none of `decisions` took: policy coverage
    /// for a test suite. Steps naming nodes of another graph are ignored.
    pub fn coverage<'d, 'g: 'd, I>(&'g self, decisions: I) -> Coverage<'g>
    where
        I: IntoIterator<Item = &'d Decision<'d, O>>,
        O: 'd,
    {
        let graph = self.petgraph();
        let by_id: HashMap<&str, NodeIndex> = graph
            .node_indices()
            .map(|n| (graph[n].id.as_str(), n))
            .collect();
        let mut node_taken: HashSet<NodeIndex> = HashSet::new();
        let mut edge_taken: HashSet<EdgeIndex> = HashSet::new();
        for decision in decisions {
            for step in &decision.trace {
                let Some(&from) = by_id.get(step.node) else {
                    continue;
                };
                node_taken.insert(from);
                if let Some(edge) = graph
                    .edges_directed(from, Direction::Outgoing)
                    .find(|e| e.weight().answer_index == step.answer_index)
                {
                    edge_taken.insert(edge.id());
                }
            }
            if let Some(&leaf) = by_id.get(decision.outcome_node) {
                node_taken.insert(leaf);
            }
        }
        let nodes_not_taken = graph
            .node_indices()
            .filter(|n| !node_taken.contains(n))
            .map(|n| graph[n].id.as_str())
            .collect();
        let mut edges: Vec<_> = graph
            .edge_references()
            .filter(|e| !edge_taken.contains(&e.id()))
            .collect();
        edges.sort_by_key(|e| (e.source().index(), e.weight().answer_index));
        let edges_not_taken = edges
            .into_iter()
            .map(|e| EdgeName {
                from: &graph[e.source()].id,
                answer: e.weight().label,
                to: &graph[e.target()].id,
            })
            .collect();
        Coverage {
            nodes_not_taken,
            edges_not_taken,
            node_count: graph.node_count(),
            edge_count: graph.edge_count(),
        }
    }
}
