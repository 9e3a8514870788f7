//! The validated graph and its flat compiled form: `decide` and the table
//! walk (`evaluate`, with its trace, is in `evaluate`).

use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

use super::builder::{AskFn, DetailFn, TimedFn};
use super::closure_path::{Factory, Next};
use super::generated::{GeneratedFn, GeneratedTraceFn};
use super::traced_path::{Traced, TracedFactory};
use super::{Answer, Context, EdgeInfo, EvalError, NodeInfo};

/// The functions behind a question node.
pub(crate) struct QuestionFns<F, C> {
    pub(crate) ask: AskFn<F, C>,
    /// Builds the question's closure for the fast path from its typed
    /// closure; `None` for a question of an embedded graph (asked through
    /// `ask`).
    pub(crate) closure: Option<Factory<F, C>>,
    /// Builds the question's traced closure for `evaluate` from its typed
    /// closure; `None` for a question of an embedded graph.
    pub(crate) traced: Option<TracedFactory<F, C>>,
    /// Asks a time-aware question for its answer and change instant at once.
    pub(crate) timed: Option<TimedFn<F, C>>,
    pub(crate) detail: Option<DetailFn<F, C>>,
    /// Checks the answer type's index contract (see [`Answer`]).
    pub(crate) contract: fn() -> Option<String>,
}

impl<F, C> Clone for QuestionFns<F, C> {
    fn clone(&self) -> Self {
        Self {
            ask: Arc::clone(&self.ask),
            closure: self.closure.clone(),
            traced: self.traced.clone(),
            timed: self.timed.clone(),
            detail: self.detail.clone(),
            contract: self.contract,
        }
    }
}

impl<S: 'static, C: 'static> QuestionFns<S, C> {
    /// The same question asked of facts `F` that contain an `S`.
    pub(crate) fn project<F: 'static>(&self, project: fn(&F) -> &S) -> QuestionFns<F, C> {
        let ask = Arc::clone(&self.ask);
        QuestionFns {
            ask: Arc::new(move |f: &F, cx: &Context<'_, C>| ask(project(f), cx)),
            closure: None,
            traced: None,
            timed: self.timed.clone().map(|timed| -> TimedFn<F, C> {
                Arc::new(move |f: &F, cx: &Context<'_, C>| timed(project(f), cx))
            }),
            detail: self.detail.clone().map(|detail| -> DetailFn<F, C> {
                Arc::new(move |f: &F, cx: &Context<'_, C>, answer, until| {
                    detail(project(f), cx, answer, until)
                })
            }),
            contract: self.contract,
        }
    }
}

impl<F, C> QuestionFns<F, C> {
    pub(crate) fn contract_violation(&self) -> Option<String> {
        (self.contract)()
    }
}

/// Checks `A::ALL[i].index() == i` for every answer.
pub(crate) fn contract_of<A: Answer>() -> Option<String> {
    A::ALL.iter().enumerate().find_map(|(i, a)| {
        (a.index() != i).then(|| {
            format!(
                "the answer `{}` is at position {i} of ALL but its index() is {}",
                a.label(),
                a.index()
            )
        })
    })
}

/// A node's parts, for embedding a graph in another.
pub(crate) enum Parts<'g, F, O, C> {
    Question(&'g QuestionFns<F, C>),
    Outcome(&'g O),
    Subgraph,
}

/// One node of the flat form. Indices are petgraph node indices.
pub(super) enum Flat<F, C> {
    Ask {
        /// The question's functions (its `ask` is what the walk calls).
        fns: QuestionFns<F, C>,
        /// Index in `edges` of the target for answer 0.
        first: u32,
        /// How many answers the question has.
        count: u32,
        /// What a trace step of this node shows.
        text: NodeText,
        /// The answers' labels, in answer order.
        labels: Box<[&'static str]>,
    },
    Enter {
        next: u32,
        text: NodeText,
        /// The embedded graph's name (the step's answer).
        graph: Box<str>,
    },
    Leaf {
        outcome: u32,
        text: NodeText,
    },
}

/// A node's id and text, copied from the petgraph structure so `evaluate`
/// finds everything a step shows in the node it walks.
pub(super) struct NodeText {
    pub(super) id: Box<str>,
    pub(super) text: Box<str>,
}

impl NodeText {
    pub(super) fn of(info: &NodeInfo) -> Self {
        Self {
            id: info.id.as_str().into(),
            text: info.text.as_str().into(),
        }
    }
}

/// A validated, compiled decision graph over facts `F`, deciding outcomes
/// `O`, under a configuration `C`.
///
/// Built by [`GraphBuilder`](super::GraphBuilder); an invalid graph cannot
/// exist. The petgraph structure is kept for analysis and rendering; the flat
/// form (a vector of nodes and one of edge targets) is what evaluation walks.
pub struct DecisionGraph<F, O, C = ()> {
    pub(super) name: String,
    pub(super) graph: DiGraph<NodeInfo, EdgeInfo>,
    pub(super) root: NodeIndex,
    pub(super) flat: Vec<Flat<F, C>>,
    pub(super) edges: Vec<u32>,
    /// Outcome values, indexed by `Flat::Leaf::outcome`.
    pub(super) outcomes: Vec<O>,
    /// For each outcome value, its node index.
    pub(super) outcome_nodes: Vec<u32>,
    /// Number of steps on the longest path (trace capacity).
    pub(super) depth: usize,
    /// The closure form `decide` runs. For graphs deeper than
    /// `MAX_CLOSURE_DEPTH` (256) it is `Leaf(FAILED)`, and `decide` walks.
    pub(super) entry: Next<F, C>,
    /// The function generated by [`decision_graph!`](crate::decision_graph),
    /// which `decide` runs instead of `entry` when present.
    pub(super) generated: Option<GeneratedFn<F, C>>,
    /// Its traced twin, which `evaluate` runs instead of `traced`.
    pub(super) generated_trace: Option<GeneratedTraceFn<F, C>>,
    /// The traced closure form `evaluate` runs; `Leaf(FAILED)` for graphs
    /// deeper than `MAX_CLOSURE_DEPTH` (256), which `evaluate` walks.
    pub(super) traced: Traced<F, C>,
}

pub(crate) fn parts<F, O, C>(
    graph: &DecisionGraph<F, O, C>,
    index: NodeIndex,
) -> Parts<'_, F, O, C> {
    match graph.flat.get(index.index()) {
        Some(Flat::Leaf { outcome, .. }) => match graph.outcomes.get(*outcome as usize) {
            Some(value) => Parts::Outcome(value),
            None => Parts::Subgraph,
        },
        Some(Flat::Ask { fns, .. }) => Parts::Question(fns),
        _ => Parts::Subgraph,
    }
}

impl<F, O, C> DecisionGraph<F, O, C> {
    /// The graph's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The petgraph structure: the source of truth for analysis and rendering.
    pub fn petgraph(&self) -> &DiGraph<NodeInfo, EdgeInfo> {
        &self.graph
    }

    /// The root's node index.
    pub fn root_index(&self) -> NodeIndex {
        self.root
    }

    /// The root's id.
    pub fn root_id(&self) -> &str {
        &self.graph[self.root].id
    }

    /// Every outcome value with its node id, in node order.
    pub fn outcomes(&self) -> impl Iterator<Item = (&str, &O)> {
        self.outcome_nodes
            .iter()
            .zip(&self.outcomes)
            .map(|(&n, o)| (self.graph[NodeIndex::new(n as usize)].id.as_str(), o))
    }

    /// The number of steps on the longest path from the root.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Decides the outcome alone: no trace, no `stable_until`, no allocation.
    /// This is the hot path. A graph declared with
    /// [`decision_graph!`](crate::decision_graph) runs its generated
    /// function (one call per decision); any other graph runs the closures
    /// built at `build()` ([`decide_closures`](Self::decide_closures)). Both
    /// fall back to [`decide_walk`](Self::decide_walk) to report a broken
    /// [`Answer`] implementation, and the closures for graphs too deep for
    /// them.
    #[inline]
    pub fn decide(&self, facts: &F, cx: &Context<'_, C>) -> Result<&O, EvalError> {
        let decided = match self.generated {
            Some(generated) => generated(facts, cx),
            None => self.entry.run(facts, cx),
        };
        // `FAILED` is out of range, so one bounds check covers it.
        match self.outcomes.get(decided as usize) {
            Some(decided) => Ok(decided),
            None => self.decide_cold(facts, cx),
        }
    }

    /// Decides the outcome alone through the closures built at `build()`
    /// (one per question, see the `closure_path` module): what
    /// [`decide`](Self::decide) runs for a graph without generated code.
    /// Same result as `decide` and [`decide_walk`](Self::decide_walk)
    /// (property-tested). No allocation.
    #[inline]
    pub fn decide_closures(&self, facts: &F, cx: &Context<'_, C>) -> Result<&O, EvalError> {
        match self.outcomes.get(self.entry.run(facts, cx) as usize) {
            Some(decided) => Ok(decided),
            None => self.decide_cold(facts, cx),
        }
    }

    /// Whether [`decide`](Self::decide) runs a function generated by
    /// [`decision_graph!`](crate::decision_graph).
    pub fn has_generated(&self) -> bool {
        self.generated.is_some()
    }

    #[cold]
    #[inline(never)]
    fn decide_cold(&self, facts: &F, cx: &Context<'_, C>) -> Result<&O, EvalError> {
        self.decide_walk(facts, cx)
    }

    /// Decides the outcome alone by walking the compiled table: one question
    /// after another, each answer indexing the next. Same result as
    /// [`decide`](Self::decide) (property-tested); kept as its reference
    /// and for graphs too deep for the closure path. No allocation.
    pub fn decide_walk(&self, facts: &F, cx: &Context<'_, C>) -> Result<&O, EvalError> {
        let mut at = self.root.index();
        loop {
            match self.flat.get(at) {
                Some(Flat::Ask {
                    fns, first, count, ..
                }) => {
                    let answer = (fns.ask)(facts, cx);
                    at = self.next(at, answer, *first, *count)?;
                }
                Some(Flat::Enter { next, .. }) => at = *next as usize,
                Some(Flat::Leaf { outcome, .. }) => {
                    return self
                        .outcomes
                        .get(*outcome as usize)
                        .ok_or_else(|| self.corrupt(at, 0, 0));
                }
                None => return Err(self.corrupt(at, 0, 0)),
            }
        }
    }

    #[inline]
    pub(super) fn next(
        &self,
        at: usize,
        answer: usize,
        first: u32,
        count: u32,
    ) -> Result<usize, EvalError> {
        if answer < count as usize {
            if let Some(&target) = self.edges.get(first as usize + answer) {
                return Ok(target as usize);
            }
        }
        Err(self.corrupt(at, answer, count as usize))
    }

    #[cold]
    pub(super) fn corrupt(&self, at: usize, index: usize, count: usize) -> EvalError {
        EvalError::AnswerOutOfRange {
            node: self
                .graph
                .node_weight(NodeIndex::new(at))
                .map(|n| n.id.clone())
                .unwrap_or_default(),
            index,
            count,
        }
    }
}

impl<F, O: std::fmt::Debug, C> std::fmt::Debug for DecisionGraph<F, O, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecisionGraph")
            .field("name", &self.name)
            .field("root", &self.root_id())
            .field("nodes", &self.graph.node_count())
            .field("edges", &self.graph.edge_count())
            .finish_non_exhaustive()
    }
}
