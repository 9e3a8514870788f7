//! The traced closure path `evaluate` runs: as the closure path `decide`
//! runs (module `closure_path`), one closure per node built at `build()`,
//! but each question is asked once for its answer and change instant and
//! records its step before calling the closure its answer leads to.
//!
//! A step's content comes from the flat node (its id, text, labels and
//! detail function), exactly as in the table walk
//! ([`DecisionGraph::evaluate_walk`](super::DecisionGraph::evaluate_walk)),
//! which stays the reference; property tests check that the two give the
//! same decision.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::closure_path::FAILED;
use super::compiled::Flat;
use super::{Answer, Context, Step, Timed, Want};

/// Records the steps of one traced decision: what the traced closures and
/// the traced function [`decision_graph!`](crate::decision_graph) generates
/// call at every question. Not a stable API.
pub struct Tracer<'r, 'g, F, C> {
    /// The flat form whose nodes the steps describe.
    pub(super) flat: &'g [Flat<F, C>],
    /// The trace written, with room for the longest path.
    pub(super) trace: &'r mut Vec<Step<'g>>,
    /// The earliest change instant of the questions recorded so far.
    pub(super) stable_until: Option<DateTime<Utc>>,
}

impl<'r, 'g, F, C> Tracer<'r, 'g, F, C> {
    /// A tracer writing into `trace`, cleared and with room for `depth`
    /// steps.
    pub(super) fn new(flat: &'g [Flat<F, C>], trace: &'r mut Vec<Step<'g>>, depth: usize) -> Self {
        trace.clear();
        trace.reserve(depth);
        Tracer {
            flat,
            trace,
            stable_until: None,
        }
    }

    /// Records that the question at node `at` answered `answer`, which
    /// holds until `changes_at`.
    #[inline(always)]
    pub fn question(
        &mut self,
        at: u32,
        answer: usize,
        changes_at: Option<DateTime<Utc>>,
        facts: &F,
        cx: &Context<'_, C>,
    ) {
        if let Some(t) = changes_at {
            self.stable_until = Some(self.stable_until.map_or(t, |s| s.min(t)));
        }
        if let Some(Flat::Ask {
            fns, text, labels, ..
        }) = self.flat.get(at as usize)
        {
            push(
                self.trace,
                Step {
                    node: &text.id,
                    question: &text.text,
                    answer: labels.get(answer).copied().unwrap_or(""),
                    detail: fns
                        .detail
                        .as_ref()
                        .map(|detail| detail(facts, cx, answer, changes_at)),
                    changes_at,
                    node_index: at as usize,
                    answer_index: answer,
                },
            );
        }
    }

    /// Records the step into the embedded graph at node `at`.
    #[inline(always)]
    pub(super) fn enter(&mut self, at: u32) {
        if let Some(Flat::Enter { text, graph, .. }) = self.flat.get(at as usize) {
            push(
                self.trace,
                Step {
                    node: &text.id,
                    question: &text.text,
                    answer: graph,
                    detail: None,
                    changes_at: None,
                    node_index: at as usize,
                    answer_index: 0,
                },
            );
        }
    }
}

/// Pushes `step`. The trace has room for the longest path (reserved once per
/// decision), so the check here holds and the step is written straight into
/// the trace: no growth path for the compiler to keep the step aside for.
#[inline(always)]
fn push<'g>(trace: &mut Vec<Step<'g>>, step: Step<'g>) {
    if trace.len() < trace.capacity() {
        trace.push(step);
    } else {
        push_cold(trace, step);
    }
}

#[cold]
#[inline(never)]
fn push_cold<'g>(trace: &mut Vec<Step<'g>>, step: Step<'g>) {
    trace.push(step);
}

/// A node's traced closure: decides from that node on, recording its steps,
/// and returns the index of the outcome reached (`FAILED` if an answer had
/// no edge).
pub(crate) type TracedFn<F, C> =
    Arc<dyn for<'r, 'g> Fn(&F, &Context<'_, C>, &mut Tracer<'r, 'g, F, C>) -> u32 + Send + Sync>;

/// Where an answer leads on the traced path.
pub(crate) enum Traced<F, C> {
    Leaf(u32),
    Node(TracedFn<F, C>),
}

impl<F, C> Clone for Traced<F, C> {
    fn clone(&self) -> Self {
        match self {
            Traced::Leaf(outcome) => Traced::Leaf(*outcome),
            Traced::Node(node) => Traced::Node(Arc::clone(node)),
        }
    }
}

impl<F, C> Traced<F, C> {
    #[inline(always)]
    pub(crate) fn run(
        &self,
        facts: &F,
        cx: &Context<'_, C>,
        tracer: &mut Tracer<'_, '_, F, C>,
    ) -> u32 {
        match self {
            Traced::Leaf(outcome) => *outcome,
            Traced::Node(node) => node(facts, cx, tracer),
        }
    }
}

/// Builds a question's traced closure given its node index and where each
/// of its answers leads (in answer order).
pub(crate) type TracedFactory<F, C> =
    Arc<dyn Fn(u32, Vec<Traced<F, C>>) -> TracedFn<F, C> + Send + Sync>;

/// The traced factory of a question asked by the typed closure `ask`.
pub(crate) fn factory<F, C, A, Q>(ask: Arc<Q>) -> TracedFactory<F, C>
where
    F: 'static,
    C: 'static,
    A: Answer,
    Q: Fn(&F, &Context<'_, C>) -> A + Send + Sync + 'static,
{
    Arc::new(move |at, next: Vec<Traced<F, C>>| {
        let ask = Arc::clone(&ask);
        node_fn(at, next, move |f, cx| (ask(f, cx).index(), None))
    })
}

/// The traced factory of a time-aware question asked by the typed closure
/// `ask`, once for its answer and change instant.
pub(crate) fn timed_factory<F, C, A, Q>(ask: Arc<Q>) -> TracedFactory<F, C>
where
    F: 'static,
    C: 'static,
    A: Answer,
    Q: Fn(&F, &Context<'_, C>, Want) -> Timed<A> + Send + Sync + 'static,
{
    Arc::new(move |at, next: Vec<Traced<F, C>>| {
        let ask = Arc::clone(&ask);
        node_fn(at, next, move |f, cx| {
            let answer = ask(f, cx, Want::Until);
            (answer.value.index(), answer.until)
        })
    })
}

/// The traced closure of a question known only by its type-erased
/// functions (a question of an embedded graph, asked of projected facts).
pub(crate) fn erased<F: 'static, C: 'static>(
    fns: &super::compiled::QuestionFns<F, C>,
    at: u32,
    next: Vec<Traced<F, C>>,
) -> TracedFn<F, C> {
    match &fns.timed {
        Some(timed) => {
            let timed = Arc::clone(timed);
            node_fn(at, next, move |f, cx| timed(f, cx))
        }
        None => {
            let ask = Arc::clone(&fns.ask);
            node_fn(at, next, move |f, cx| (ask(f, cx), None))
        }
    }
}

/// The traced closure of the subgraph node `at`, whose one edge leads to `next`.
pub(crate) fn enter<F: 'static, C: 'static>(at: u32, next: Traced<F, C>) -> TracedFn<F, C> {
    Arc::new(
        move |f: &F, cx: &Context<'_, C>, tracer: &mut Tracer<'_, '_, F, C>| {
            tracer.enter(at);
            next.run(f, cx, tracer)
        },
    )
}

/// A question's traced closure: `answer` gives the answer's index and
/// change instant, `next` where each answer leads. As on the closure path,
/// a question whose answers all lead to outcomes looks its outcome up.
fn node_fn<F, C, Q>(at: u32, next: Vec<Traced<F, C>>, answer: Q) -> TracedFn<F, C>
where
    F: 'static,
    C: 'static,
    Q: Fn(&F, &Context<'_, C>) -> (usize, Option<DateTime<Utc>>) + Send + Sync + 'static,
{
    let leaves: Option<Vec<u32>> = next
        .iter()
        .map(|n| match n {
            Traced::Leaf(outcome) => Some(*outcome),
            Traced::Node(_) => None,
        })
        .collect();
    if let Some(leaves) = leaves {
        let leaves: Box<[u32]> = leaves.into_boxed_slice();
        return Arc::new(
            move |f: &F, cx: &Context<'_, C>, tracer: &mut Tracer<'_, '_, F, C>| {
                let (index, until) = answer(f, cx);
                tracer.question(at, index, until, f, cx);
                leaves.get(index).copied().unwrap_or(FAILED)
            },
        );
    }
    let mut next = next.into_iter();
    let first = next.next().unwrap_or(Traced::Leaf(FAILED));
    let second = next.next().unwrap_or(Traced::Leaf(FAILED));
    let rest: Vec<Traced<F, C>> = next.collect();
    Arc::new(
        move |f: &F, cx: &Context<'_, C>, tracer: &mut Tracer<'_, '_, F, C>| {
            let (index, until) = answer(f, cx);
            tracer.question(at, index, until, f, cx);
            match index {
                0 => first.run(f, cx, tracer),
                1 => second.run(f, cx, tracer),
                i => rest.get(i - 2).map_or(FAILED, |n| n.run(f, cx, tracer)),
            }
        },
    )
}
