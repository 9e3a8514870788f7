//! The node and edge weights of the petgraph structure, the source of truth
//! for validation, analysis and rendering.

use std::any::TypeId;

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A question with a finite set of answers, one outgoing edge each.
    Question {
        /// The Rust type of its answers (for error messages).
        answer_type: &'static str,
        /// The answer labels, in the order of [`Answer::ALL`](super::Answer::ALL).
        answers: Vec<&'static str>,
        /// Identity of the answer type, to type-check edges given by id.
        type_id: TypeId,
    },
    /// A leaf: the decision.
    Outcome,
    /// A step into another graph (a sub-policy); its one edge leads to that
    /// graph's root, whose nodes are part of this graph.
    Subgraph {
        /// The name of the embedded graph.
        graph: String,
    },
}

/// A node of the decision graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Stable, public id (kebab-case). Nodes of an embedded graph are
    /// prefixed with the id of the subgraph node: `weekend/is-weekend`.
    pub id: String,
    /// The question as a person would ask it, or the outcome's description.
    pub text: String,
    /// Question, outcome or subgraph.
    pub kind: NodeKind,
    /// The id of the subgraph node this node was embedded through, if any.
    pub group: Option<String>,
}

impl NodeInfo {
    /// A short name of the node's kind: `question`, `outcome` or `subgraph`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Question { .. } => "question",
            NodeKind::Outcome => "outcome",
            NodeKind::Subgraph { .. } => "subgraph",
        }
    }
}

/// An edge: the answer that leads along it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeInfo {
    /// The answer's index in its type's [`Answer::ALL`](super::Answer::ALL)
    /// (0 for the single edge of a subgraph node).
    pub answer_index: usize,
    /// The answer's label; empty for the edge of a subgraph node.
    pub label: &'static str,
}
