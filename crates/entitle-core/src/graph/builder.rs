//! Building a decision graph: questions, outcomes and their edges. The
//! checks `build` runs are in `validate`, embedding another graph in
//! `embed`.

use std::any::{TypeId, type_name};
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::closure_path;
use super::compile;
use super::compiled::{self, DecisionGraph, QuestionFns};
use super::generated::GeneratedCode;
use super::traced_path;
use super::validate;
use super::{Answer, BuildError, Context, GraphIssue, NodeInfo, NodeKind, Timed, Want};

/// Asks a question of the facts; returns the answer's index.
pub(crate) type AskFn<F, C> = Arc<dyn Fn(&F, &Context<'_, C>) -> usize + Send + Sync>;
/// Asks a time-aware question once for its answer's index and the instant
/// that answer would next change for the same facts.
pub(crate) type TimedFn<F, C> =
    Arc<dyn Fn(&F, &Context<'_, C>) -> (usize, Option<DateTime<Utc>>) + Send + Sync>;
/// Describes, for the trace, what a question saw, given the answer's index
/// and change instant it gave (so the detail never asks it again).
pub(crate) type DetailFn<F, C> =
    Arc<dyn Fn(&F, &Context<'_, C>, usize, Option<DateTime<Utc>>) -> String + Send + Sync>;

/// What a node added to the builder will contribute to the compiled graph.
pub(super) enum Pending<F, O, C> {
    Question(QuestionFns<F, C>),
    Outcome(O),
    Subgraph,
}

/// A node added to the builder.
pub(super) struct PendingNode<F, O, C> {
    pub(super) info: NodeInfo,
    pub(super) body: Pending<F, O, C>,
}

/// An edge added to the builder, by the ids of its endpoints. Its answer is
/// of its source's answer type by construction (`QuestionBuilder::on` is
/// typed, and an embedded graph's edges are copied from a built graph).
pub(super) struct PendingEdge {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) answer_index: usize,
    pub(super) label: &'static str,
}

/// Collects questions, outcomes and edges, then [`build`](Self::build)s a
/// validated [`DecisionGraph`].
///
/// The first node added is the root unless [`root`](Self::root) names another.
/// Edges name their targets by id, so nodes can be declared in the order a
/// handbook page reads; every reference is checked by `build`.
pub struct GraphBuilder<F, O, C = ()> {
    pub(super) name: String,
    pub(super) nodes: Vec<PendingNode<F, O, C>>,
    pub(super) edges: Vec<PendingEdge>,
    root: Option<String>,
    /// Problems found while adding nodes (reported by `build`).
    pub(super) issues: Vec<GraphIssue>,
    /// The decision function generated for this graph, if any.
    generated: Option<GeneratedCode<F, C>>,
}

impl<F: 'static, O, C: 'static> GraphBuilder<F, O, C> {
    /// An empty builder for a graph called `name` (used in errors and renderings).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            nodes: Vec::new(),
            edges: Vec::new(),
            root: None,
            issues: Vec::new(),
            generated: None,
        }
    }

    /// Names the root explicitly (by default, the first node added).
    pub fn root(&mut self, id: impl Into<String>) -> &mut Self {
        self.root = Some(id.into());
        self
    }

    /// Adds a question `id` asking `text`, answered by `ask`. The returned
    /// handle adds its edges and a trace detail. A question whose answer
    /// depends on `now` is a [`timed_question`](Self::timed_question).
    pub fn question<A, Q>(
        &mut self,
        id: impl Into<String>,
        text: impl Into<String>,
        ask: Q,
    ) -> QuestionBuilder<'_, F, O, C, A>
    where
        A: Answer,
        Q: Fn(&F, &Context<'_, C>) -> A + Send + Sync + 'static,
    {
        let info = NodeInfo {
            id: id.into(),
            text: text.into(),
            kind: NodeKind::Question {
                answer_type: type_name::<A>(),
                answers: A::ALL.iter().map(|a| a.label()).collect(),
                type_id: TypeId::of::<A>(),
            },
            group: None,
        };
        let ask = Arc::new(ask);
        let typed = Arc::clone(&ask);
        let traced = traced_path::factory(Arc::clone(&ask));
        let fns = QuestionFns {
            ask: Arc::new(move |f: &F, cx: &Context<'_, C>| ask(f, cx).index()),
            closure: Some(closure_path::factory(typed)),
            traced: Some(traced),
            timed: None,
            detail: None,
            contract: compiled::contract_of::<A>,
        };
        self.nodes.push(PendingNode {
            info,
            body: Pending::Question(fns),
        });
        let node = self.nodes.len() - 1;
        QuestionBuilder {
            builder: self,
            node,
            answer: PhantomData,
        }
    }

    /// Adds a time-aware question: `ask` returns the answer together with the
    /// instant it would next change for the same facts ([`Timed`]), so the
    /// two come from one rule and can never disagree.
    ///
    /// `ask` is told what is wanted ([`Want`]): `decide` asks for the answer
    /// alone, and the rule may skip finding its change instant (the time
    /// rules return a [`LazyTimed`](super::LazyTimed), whose
    /// [`get`](super::LazyTimed::get) does just that); `evaluate` asks once
    /// for both and uses them for the path, `stable_until`, the trace and
    /// its detail ([`QuestionBuilder::detail_with`]). Decisions report the
    /// earliest such instant on their path as `stable_until`.
    pub fn timed_question<A, Q>(
        &mut self,
        id: impl Into<String>,
        text: impl Into<String>,
        ask: Q,
    ) -> QuestionBuilder<'_, F, O, C, A>
    where
        A: Answer,
        Q: Fn(&F, &Context<'_, C>, Want) -> Timed<A> + Send + Sync + 'static,
    {
        let ask = Arc::new(ask);
        let timed = Arc::clone(&ask);
        let mut question = self.question(id, text, move |f: &F, cx: &Context<'_, C>| {
            ask(f, cx, Want::Answer).value
        });
        if let Some(fns) = question.fns() {
            fns.traced = Some(traced_path::timed_factory(Arc::clone(&timed)));
            fns.timed = Some(Arc::new(move |f: &F, cx: &Context<'_, C>| {
                let answer = timed(f, cx, Want::Until);
                (answer.value.index(), answer.until)
            }));
        }
        question
    }

    /// Adds an outcome leaf `id`, described by `text`, deciding `value`.
    pub fn outcome(
        &mut self,
        id: impl Into<String>,
        text: impl Into<String>,
        value: O,
    ) -> &mut Self {
        self.nodes.push(PendingNode {
            info: NodeInfo {
                id: id.into(),
                text: text.into(),
                kind: NodeKind::Outcome,
                group: None,
            },
            body: Pending::Outcome(value),
        });
        self
    }

    /// Hands over the decision functions generated for this graph, which
    /// [`DecisionGraph::decide`] and [`DecisionGraph::evaluate`] then run
    /// instead of the closures built at `build()`. Written by [`decision_graph!`](crate::decision_graph),
    /// which generates the function and this graph's builder calls from
    /// one declaration; prefer it to calling this by hand. `build()`
    /// checks the structure `code` was generated from against the graph
    /// ([`GraphIssue::GeneratedMismatch`]).
    pub fn generated(&mut self, code: GeneratedCode<F, C>) -> &mut Self {
        self.generated = Some(code);
        self
    }

    /// Validates the graph and compiles it for evaluation.
    ///
    /// Every problem is reported, each naming the node ids involved: no root,
    /// an unknown root, duplicate ids, edges to unknown nodes, edges from
    /// outcomes, answers with no edge or with two, cycles, unreachable
    /// nodes, paths that end anywhere but at an outcome, and answer types
    /// that break their contract, and [generated code](Self::generated)
    /// that does not match the graph.
    pub fn build(mut self) -> Result<DecisionGraph<F, O, C>, BuildError> {
        let issues = std::mem::take(&mut self.issues);
        match validate::validate(&self.nodes, &self.edges, self.root.as_deref(), issues) {
            Ok((graph, root)) => {
                let bodies = self.nodes.into_iter().map(|n| match n.body {
                    Pending::Question(fns) => compile::Body::Question(fns),
                    Pending::Outcome(value) => compile::Body::Outcome(value),
                    Pending::Subgraph => compile::Body::Subgraph,
                });
                let mut graph = compile::compile(self.name, graph, root, bodies);
                if let Some(code) = self.generated {
                    if let Some(issue) = code.check(&graph) {
                        return Err(BuildError {
                            graph: graph.name,
                            issues: vec![issue],
                        });
                    }
                    graph.generated = Some(code.decide);
                    graph.generated_trace = Some(code.trace);
                }
                Ok(graph)
            }
            Err(issues) => Err(BuildError {
                graph: self.name,
                issues,
            }),
        }
    }
}

/// Adds a question's edges and trace detail. Returned by
/// [`GraphBuilder::question`] and [`GraphBuilder::timed_question`]; every
/// call records at once.
pub struct QuestionBuilder<'b, F, O, C, A> {
    builder: &'b mut GraphBuilder<F, O, C>,
    node: usize,
    answer: PhantomData<fn() -> A>,
}

impl<F: 'static, O, C: 'static, A: Answer> QuestionBuilder<'_, F, O, C, A> {
    fn fns(&mut self) -> Option<&mut QuestionFns<F, C>> {
        match self.builder.nodes.get_mut(self.node).map(|n| &mut n.body) {
            Some(Pending::Question(fns)) => Some(fns),
            _ => None,
        }
    }

    /// Adds the edge taken when the question answers `answer`: the one way
    /// to add an edge. The answer is of the question's answer type, so an
    /// edge with another type's answer does not compile:
    ///
    /// ```compile_fail
    /// # use entitle_core::graph::GraphBuilder;
    /// entitle_core::answers! { enum Tier { Free => "free", Pro => "pro" } }
    /// let mut g = GraphBuilder::<(), u8>::new("g");
    /// g.question("q", "Paid?", |_: &(), _| true).on(Tier::Pro, "a");
    /// ```
    pub fn on(self, answer: A, to: impl Into<String>) -> Self {
        if let Some(node) = self.builder.nodes.get(self.node) {
            let edge = PendingEdge {
                from: node.info.id.clone(),
                to: to.into(),
                answer_index: answer.index(),
                label: answer.label(),
            };
            self.builder.edges.push(edge);
        }
        self
    }
    /// Adds a trace detail: what the question saw (`grace ends 2026-11-25, in 12 h`).
    /// Only computed when a trace is built.
    pub fn detail(
        mut self,
        detail: impl Fn(&F, &Context<'_, C>) -> String + Send + Sync + 'static,
    ) -> Self {
        if let Some(fns) = self.fns() {
            fns.detail = Some(Arc::new(move |f, cx, _, _| detail(f, cx)));
        }
        self
    }

    /// Adds a trace detail computed from the answer the question gave and
    /// when it changes (`today is Saturday ...; the weekend ends in 38 h`),
    /// so the detail never asks the question again. Only computed when a
    /// trace is built.
    pub fn detail_with(
        mut self,
        detail: impl Fn(&F, &Context<'_, C>, Timed<A>) -> String + Send + Sync + 'static,
    ) -> Self {
        if let Some(fns) = self.fns() {
            fns.detail = Some(Arc::new(move |f, cx, index, until| {
                // The index came from this question's own typed answer.
                match A::ALL.get(index) {
                    Some(&answer) => detail(f, cx, Timed::new(answer, until)),
                    None => String::new(),
                }
            }));
        }
        self
    }
}

impl<F: 'static, O, C: 'static> QuestionBuilder<'_, F, O, C, bool> {
    /// The edge taken when the answer is yes.
    pub fn yes(self, to: impl Into<String>) -> Self {
        self.on(true, to)
    }

    /// The edge taken when the answer is no.
    pub fn no(self, to: impl Into<String>) -> Self {
        self.on(false, to)
    }
}
