//! The closure fast path `decide` runs: one closure per question, built at
//! `build()` from the question's own typed closure, that asks the question
//! and calls the closure of the node its answer leads to.
//!
//! Compared with walking a table, the question's code is inlined into its
//! node's closure, the answer is an ordinary branch (so the branch predictor
//! learns from it, as it does for hand-written `if`/`match`), and each node
//! calls its successors from call sites of its own, each with one target.
//! The table walk ([`DecisionGraph::decide_walk`](super::DecisionGraph::decide_walk))
//! stays as the reference; property tests check that the two agree.

use std::sync::Arc;

use super::builder::AskFn;
use super::{Answer, Context};

/// Returned by a node's closure when a question's answer has no edge (an
/// [`Answer`] implementation broke its contract); `decide` then walks the
/// table to report which question.
pub(crate) const FAILED: u32 = u32::MAX;

/// A node's closure: decides from that node on, returning the index of the
/// outcome reached.
pub(crate) type NodeFn<F, C> = Arc<dyn Fn(&F, &Context<'_, C>) -> u32 + Send + Sync>;

/// Where an answer leads: an outcome, or the next question's closure.
pub(crate) enum Next<F, C> {
    Leaf(u32),
    Node(NodeFn<F, C>),
}

impl<F, C> Clone for Next<F, C> {
    fn clone(&self) -> Self {
        match self {
            Next::Leaf(outcome) => Next::Leaf(*outcome),
            Next::Node(node) => Next::Node(Arc::clone(node)),
        }
    }
}

impl<F, C> Next<F, C> {
    #[inline(always)]
    pub(crate) fn run(&self, facts: &F, cx: &Context<'_, C>) -> u32 {
        match self {
            Next::Leaf(outcome) => *outcome,
            Next::Node(node) => node(facts, cx),
        }
    }
}

/// Builds a question's closure given where each of its answers leads (in
/// answer order).
pub(crate) type Factory<F, C> = Arc<dyn Fn(Vec<Next<F, C>>) -> NodeFn<F, C> + Send + Sync>;

/// The factory of a question asked by the typed closure `ask`.
pub(crate) fn factory<F, C, A, Q>(ask: Arc<Q>) -> Factory<F, C>
where
    F: 'static,
    C: 'static,
    A: Answer,
    Q: Fn(&F, &Context<'_, C>) -> A + Send + Sync + 'static,
{
    Arc::new(move |next: Vec<Next<F, C>>| {
        let ask = Arc::clone(&ask);
        node_fn(next, move |f, cx| ask(f, cx).index())
    })
}

/// The closure of a question known only by its type-erased `ask` (a question
/// of an embedded graph, asked of projected facts).
pub(crate) fn erased<F: 'static, C: 'static>(
    ask: AskFn<F, C>,
    next: Vec<Next<F, C>>,
) -> NodeFn<F, C> {
    node_fn(next, move |f, cx| ask(f, cx))
}

/// A node's closure: `answer` gives the answer's index, `next` where each
/// answer leads.
///
/// A question whose answers all lead to outcomes (the last question of a
/// path) looks its outcome up in a table by the answer's index instead of
/// branching on it: no branch to mispredict on the last step.
fn node_fn<F, C, Q>(next: Vec<Next<F, C>>, answer: Q) -> NodeFn<F, C>
where
    F: 'static,
    C: 'static,
    Q: Fn(&F, &Context<'_, C>) -> usize + Send + Sync + 'static,
{
    let leaves: Option<Vec<u32>> = next
        .iter()
        .map(|n| match n {
            Next::Leaf(outcome) => Some(*outcome),
            Next::Node(_) => None,
        })
        .collect();
    if let Some(leaves) = leaves {
        let leaves: Box<[u32]> = leaves.into_boxed_slice();
        return Arc::new(move |f: &F, cx: &Context<'_, C>| {
            leaves.get(answer(f, cx)).copied().unwrap_or(FAILED)
        });
    }
    let mut next = next.into_iter();
    let first = next.next().unwrap_or(Next::Leaf(FAILED));
    let second = next.next().unwrap_or(Next::Leaf(FAILED));
    let rest: Vec<Next<F, C>> = next.collect();
    Arc::new(move |f: &F, cx: &Context<'_, C>| match answer(f, cx) {
        0 => first.run(f, cx),
        1 => second.run(f, cx),
        i => rest.get(i - 2).map_or(FAILED, |n| n.run(f, cx)),
    })
}
