//! Embedding a built graph in another: [`GraphBuilder::subgraph`] and
//! [`GraphBuilder::subgraph_given`].

use std::any::{TypeId, type_name};
use std::collections::{HashMap, HashSet};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use super::builder::{GraphBuilder, Pending, PendingEdge, PendingNode};
use super::compiled::{self, DecisionGraph};
use super::{Answer, GraphIssue, NodeInfo, NodeKind};

/// An answer already known when a graph is embedded; see
/// [`GraphBuilder::subgraph_given`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    node: String,
    type_id: TypeId,
    type_name: &'static str,
    answer_index: usize,
    label: &'static str,
}

impl Given {
    /// The embedded graph's question `node` is known to answer `answer`.
    pub fn new<A: Answer>(node: impl Into<String>, answer: A) -> Self {
        Self {
            node: node.into(),
            type_id: TypeId::of::<A>(),
            type_name: type_name::<A>(),
            answer_index: answer.index(),
            label: answer.label(),
        }
    }
}

impl<F: 'static, O, C: 'static> GraphBuilder<F, O, C> {
    /// Adds a node `id` that hands the decision over to `child`, a validated
    /// graph over other facts `S`. `project` picks the child's facts out of
    /// this graph's facts, `map` turns each of the child's outcomes into one of
    /// this graph's. The child's nodes become part of this graph, their ids
    /// prefixed with `id/`, so rendering, analysis and traces show them. A
    /// graph can only embed graphs already built, so no cycle can run across
    /// graphs.
    pub fn subgraph<S: 'static, O2>(
        &mut self,
        id: impl Into<String>,
        text: impl Into<String>,
        child: &DecisionGraph<S, O2, C>,
        project: fn(&F) -> &S,
        map: impl Fn(&O2) -> O,
    ) -> &mut Self {
        self.subgraph_given(id, text, child, project, map, &[])
    }

    /// As [`subgraph`](Self::subgraph), with answers this graph already knows
    /// at that point. Each [`Given`] question of the child is not asked again:
    /// the embedded copy follows the given answer's edge, and the child's
    /// nodes only that question's other answers led to are left out. This
    /// keeps every path of the composed graph feasible, e.g. a router that
    /// asked "is it a weekend?" embeds the weekend page given `yes`.
    pub fn subgraph_given<S: 'static, O2>(
        &mut self,
        id: impl Into<String>,
        text: impl Into<String>,
        child: &DecisionGraph<S, O2, C>,
        project: fn(&F) -> &S,
        map: impl Fn(&O2) -> O,
        given: &[Given],
    ) -> &mut Self {
        let id = id.into();
        let prefix = |child_id: &str| format!("{id}/{child_id}");
        let structure = child.petgraph();

        // The answer each given question is fixed to, by child node.
        let mut fixed: HashMap<NodeIndex, usize> = HashMap::new();
        for g in given {
            let Some(node) = structure
                .node_indices()
                .find(|&n| structure[n].id == g.node)
            else {
                self.issues.push(GraphIssue::UnknownNode {
                    from: id.clone(),
                    unknown: prefix(&g.node),
                });
                continue;
            };
            match &structure[node].kind {
                NodeKind::Question {
                    type_id,
                    answer_type,
                    ..
                } if *type_id == g.type_id => {
                    fixed.insert(node, g.answer_index);
                }
                NodeKind::Question { answer_type, .. } => {
                    self.issues.push(GraphIssue::AnswerTypeMismatch {
                        node: prefix(&g.node),
                        answer: g.label.to_owned(),
                        expected: answer_type,
                        found: g.type_name,
                    })
                }
                _ => self.issues.push(GraphIssue::AnswerTypeMismatch {
                    node: prefix(&g.node),
                    answer: g.label.to_owned(),
                    expected: "(not a question)",
                    found: g.type_name,
                }),
            }
        }
        // Where a path into a child node really goes: past every given question.
        let resolve = |mut node: NodeIndex| {
            for _ in 0..=structure.node_count() {
                let Some(&answer) = fixed.get(&node) else {
                    return node;
                };
                match structure
                    .edges_directed(node, Direction::Outgoing)
                    .find(|e| e.weight().answer_index == answer)
                {
                    Some(edge) => node = edge.target(),
                    None => return node,
                }
            }
            node
        };
        let entry = resolve(child.root_index());
        let mut keep: HashSet<NodeIndex> = HashSet::new();
        let mut stack = vec![entry];
        while let Some(node) = stack.pop() {
            if !keep.insert(node) {
                continue;
            }
            stack.extend(
                structure
                    .neighbors_directed(node, Direction::Outgoing)
                    .map(resolve),
            );
        }

        self.nodes.push(PendingNode {
            info: NodeInfo {
                id: id.clone(),
                text: text.into(),
                kind: NodeKind::Subgraph {
                    graph: child.name().to_owned(),
                },
                group: None,
            },
            body: Pending::Subgraph,
        });
        self.edges.push(PendingEdge {
            from: id.clone(),
            to: prefix(&structure[entry].id),
            answer_index: 0,
            label: "",
        });
        for index in structure.node_indices().filter(|n| keep.contains(n)) {
            let info = &structure[index];
            let body = match compiled::parts(child, index) {
                compiled::Parts::Question(fns) => Pending::Question(fns.project(project)),
                compiled::Parts::Outcome(value) => Pending::Outcome(map(value)),
                compiled::Parts::Subgraph => Pending::Subgraph,
            };
            for edge in structure.edges_directed(index, Direction::Outgoing) {
                self.edges.push(PendingEdge {
                    from: prefix(&info.id),
                    to: prefix(&structure[resolve(edge.target())].id),
                    answer_index: edge.weight().answer_index,
                    label: edge.weight().label,
                });
            }
            self.nodes.push(PendingNode {
                info: NodeInfo {
                    id: prefix(&info.id),
                    text: info.text.clone(),
                    kind: info.kind.clone(),
                    group: Some(match &info.group {
                        Some(group) => prefix(group),
                        None => id.clone(),
                    }),
                },
                body,
            });
        }
        self
    }
}
