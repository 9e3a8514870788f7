//! Compiling a validated graph: the flat form (nodes and edge targets in
//! vectors) the table walks read, and the closures `decide` and `evaluate`
//! run, built leaves first.

use std::sync::Arc;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::closure_path::{self, FAILED, Next};
use super::compiled::{DecisionGraph, Flat, NodeText, QuestionFns};
use super::traced_path::{self, Traced};
use super::{EdgeInfo, NodeInfo, NodeKind};

/// What a pending node contributes to the compiled graph.
pub(crate) enum Body<F, O, C> {
    Question(QuestionFns<F, C>),
    Outcome(O),
    Subgraph,
}

/// The deepest graph `decide` runs through its closures: such a decision
/// recurses once per question on its path, so this bounds its stack use.
const MAX_CLOSURE_DEPTH: usize = 256;

/// Builds one closure per node, leaves first (each from the closures of the
/// nodes its answers lead to, in answer order; an embedded graph's entry
/// from its one successor's), and returns the root's. `make` gets the
/// node's index, its flat form and those successors.
fn leaves_first<F, C, T: Clone>(
    graph: &DiGraph<NodeInfo, EdgeInfo>,
    root: NodeIndex,
    flat: &[Flat<F, C>],
    edges: &[u32],
    make: impl Fn(u32, &Flat<F, C>, Vec<T>) -> Option<T>,
) -> Option<T> {
    let order = petgraph::algo::toposort(graph, None).ok()?;
    let mut built: Vec<Option<T>> = vec![None; flat.len()];
    for node in order.into_iter().rev() {
        let at = node.index();
        let node = flat.get(at)?;
        let targets: Vec<u32> = match node {
            Flat::Leaf { .. } => Vec::new(),
            Flat::Enter { next, .. } => vec![*next],
            Flat::Ask { first, count, .. } => {
                let first = *first as usize;
                edges.get(first..first + *count as usize)?.to_vec()
            }
        };
        let successors = targets
            .into_iter()
            .map(|to| built.get(to as usize)?.clone())
            .collect::<Option<Vec<T>>>()?;
        *built.get_mut(at)? = Some(make(to_u32(at), node, successors)?);
    }
    built.get(root.index())?.clone()
}

/// The closures `decide` runs: the root's.
fn build_closures<F: 'static, C: 'static>(
    graph: &DiGraph<NodeInfo, EdgeInfo>,
    root: NodeIndex,
    flat: &[Flat<F, C>],
    edges: &[u32],
) -> Option<Next<F, C>> {
    leaves_first(graph, root, flat, edges, |_, node, answers| match node {
        Flat::Leaf { outcome, .. } => Some(Next::Leaf(*outcome)),
        // An embedded graph's entry is no step of `decide`.
        Flat::Enter { .. } => answers.into_iter().next(),
        Flat::Ask { fns, .. } => Some(Next::Node(match &fns.closure {
            Some(factory) => factory(answers),
            None => closure_path::erased(Arc::clone(&fns.ask), answers),
        })),
    })
}

/// The traced closures `evaluate` runs: the root's.
fn build_traced<F: 'static, C: 'static>(
    graph: &DiGraph<NodeInfo, EdgeInfo>,
    root: NodeIndex,
    flat: &[Flat<F, C>],
    edges: &[u32],
) -> Option<Traced<F, C>> {
    leaves_first(graph, root, flat, edges, |at, node, answers| match node {
        Flat::Leaf { outcome, .. } => Some(Traced::Leaf(*outcome)),
        Flat::Enter { .. } => Some(Traced::Node(traced_path::enter(
            at,
            answers.into_iter().next()?,
        ))),
        Flat::Ask { fns, .. } => Some(Traced::Node(match &fns.traced {
            Some(factory) => factory(at, answers),
            None => traced_path::erased(fns, at, answers),
        })),
    })
}

pub(crate) fn compile<F: 'static, O, C: 'static>(
    name: String,
    graph: DiGraph<NodeInfo, EdgeInfo>,
    root: NodeIndex,
    bodies: impl Iterator<Item = Body<F, O, C>>,
) -> DecisionGraph<F, O, C> {
    let mut flat = Vec::with_capacity(graph.node_count());
    let mut edges = Vec::with_capacity(graph.edge_count());
    let mut outcomes = Vec::new();
    let mut outcome_nodes = Vec::new();
    for (index, body) in graph.node_indices().zip(bodies) {
        let mut targets: Vec<(usize, u32)> = graph
            .edges_directed(index, Direction::Outgoing)
            .map(|e| (e.weight().answer_index, to_u32(e.target().index())))
            .collect();
        targets.sort_unstable();
        let info = &graph[index];
        let text = NodeText::of(info);
        match body {
            Body::Question(fns) => {
                let labels = match &info.kind {
                    NodeKind::Question { answers, .. } => answers.as_slice().into(),
                    _ => Box::default(),
                };
                flat.push(Flat::Ask {
                    fns,
                    first: to_u32(edges.len()),
                    count: to_u32(targets.len()),
                    text,
                    labels,
                });
                edges.extend(targets.iter().map(|&(_, t)| t));
            }
            Body::Subgraph => {
                let name = match &info.kind {
                    NodeKind::Subgraph { graph } => graph.as_str(),
                    _ => "",
                };
                flat.push(Flat::Enter {
                    next: targets.first().map_or(0, |&(_, t)| t),
                    text,
                    graph: name.into(),
                });
            }
            Body::Outcome(value) => {
                flat.push(Flat::Leaf {
                    outcome: to_u32(outcomes.len()),
                    text,
                });
                outcomes.push(value);
                outcome_nodes.push(to_u32(index.index()));
            }
        }
    }
    let depth = longest_path(&graph);

    let entry = (depth <= MAX_CLOSURE_DEPTH)
        .then(|| build_closures(&graph, root, &flat, &edges))
        .flatten()
        .unwrap_or(Next::Leaf(FAILED));
    let traced = (depth <= MAX_CLOSURE_DEPTH)
        .then(|| build_traced(&graph, root, &flat, &edges))
        .flatten()
        .unwrap_or(Traced::Leaf(FAILED));
    DecisionGraph {
        traced,
        entry,
        generated: None,
        generated_trace: None,
        name,
        graph,
        root,
        flat,
        edges,
        outcomes,
        outcome_nodes,
        depth,
    }
}

/// Graph sizes are bounded by memory long before `u32::MAX` nodes; saturate
/// rather than panic if that were ever exceeded.
pub(super) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Steps on the longest root-to-leaf path of a DAG.
fn longest_path(graph: &DiGraph<NodeInfo, EdgeInfo>) -> usize {
    let Ok(order) = petgraph::algo::toposort(graph, None) else {
        return graph.node_count();
    };
    let mut longest = vec![0usize; graph.node_count()];
    for &node in order.iter().rev() {
        let steps = graph
            .neighbors_directed(node, Direction::Outgoing)
            .map(|n| longest.get(n.index()).map_or(1, |l| l + 1))
            .max()
            .unwrap_or(0);
        if let Some(l) = longest.get_mut(node.index()) {
            *l = steps;
        }
    }
    longest.into_iter().max().unwrap_or(0)
}
