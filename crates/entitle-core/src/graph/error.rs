//! Typed errors of graph construction and evaluation.

use thiserror::Error;

/// One problem found while validating a graph. Every variant names the node
/// ids involved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GraphIssue {
    /// The graph has no nodes, so it has no root.
    #[error("the graph has no root: add a question or an outcome")]
    NoRoot,
    /// The root named with `root(...)` is not a node of the graph.
    #[error("the root `{id}` is not a node of the graph")]
    UnknownRoot {
        /// The id given as root.
        id: String,
    },
    /// Two nodes share an id.
    #[error("the id `{id}` is used by more than one node")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// An edge starts or ends at an id that is not a node.
    #[error("an edge from `{from}` refers to the unknown node `{unknown}`")]
    UnknownNode {
        /// The edge's source id.
        from: String,
        /// The id that names no node (the source itself or the target).
        unknown: String,
    },
    /// An edge starts at an outcome; outcomes are leaves.
    #[error("the outcome `{node}` has an outgoing edge to `{to}`; outcomes are leaves")]
    EdgeFromOutcome {
        /// The outcome id.
        node: String,
        /// The edge's target id.
        to: String,
    },
    /// An edge's answer is not of the question's answer type.
    #[error(
        "the edge `{node}` --{answer}--> uses an answer of type `{found}`, but the question answers `{expected}`"
    )]
    AnswerTypeMismatch {
        /// The question id.
        node: String,
        /// The answer label of the edge.
        answer: String,
        /// The question's answer type.
        expected: &'static str,
        /// The edge's answer type.
        found: &'static str,
    },
    /// An edge from outside an embedded graph leads into it; embedded graphs
    /// are entered only through their subgraph node.
    #[error(
        "the edge from `{from}` leads to `{to}` inside the embedded graph `{subgraph}`; enter it through `{subgraph}`"
    )]
    EdgeIntoSubgraph {
        /// The edge's source id.
        from: String,
        /// The edge's target id.
        to: String,
        /// The subgraph node whose graph the target belongs to.
        subgraph: String,
    },
    /// An answer of a question has no edge.
    #[error("the question `{node}` has no edge for the answer `{answer}`")]
    MissingEdge {
        /// The question id.
        node: String,
        /// The answer label without an edge.
        answer: String,
    },
    /// An answer of a question has more than one edge.
    #[error("the question `{node}` has more than one edge for the answer `{answer}`")]
    DuplicateEdge {
        /// The question id.
        node: String,
        /// The answer label with several edges.
        answer: String,
    },
    /// The nodes form a cycle.
    #[error("the nodes {} form a cycle", .nodes.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))]
    Cycle {
        /// The ids on the cycle, sorted.
        nodes: Vec<String>,
    },
    /// A node cannot be reached from the root.
    #[error("the node `{node}` cannot be reached from the root `{root}`")]
    Unreachable {
        /// The unreachable id.
        node: String,
        /// The root id.
        root: String,
    },
    /// A path ends at this node, which is not an outcome (a question whose
    /// answer type has no answers).
    #[error("a path ends at `{node}`, which is not an outcome")]
    DeadEnd {
        /// The id where the path ends.
        node: String,
    },
    /// The question's answer type breaks the [`Answer`](super::Answer) contract.
    #[error("the answer type `{answer_type}` of `{node}` is invalid: {reason}")]
    InvalidAnswerType {
        /// The question id.
        node: String,
        /// The answer type's name.
        answer_type: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The generated code handed to
    /// [`GraphBuilder::generated`](super::GraphBuilder::generated) was
    /// generated from another structure than the graph's (see
    /// [`decision_graph!`](crate::decision_graph)).
    #[error("the generated decision function does not match the graph: {what}")]
    GeneratedMismatch {
        /// The first difference found.
        what: String,
    },
}

/// A graph failed validation; it lists every problem found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid decision graph `{graph}`: {}", .issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct BuildError {
    /// The graph's name.
    pub graph: String,
    /// Every problem found, in a deterministic order.
    pub issues: Vec<GraphIssue>,
}

/// Evaluation failed. A validated graph only fails when an [`Answer`](super::Answer)
/// implementation breaks its contract at run time.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A question returned an answer index outside its answer set.
    #[error("the question `{node}` returned answer index {index}, but has only {count} answers")]
    AnswerOutOfRange {
        /// The question id.
        node: String,
        /// The index returned.
        index: usize,
        /// How many answers the question has.
        count: usize,
    },
}
