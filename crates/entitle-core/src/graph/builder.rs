//! Building and validating a decision graph.

use std::any::{TypeId, type_name};
use std::collections::{BTreeSet, HashMap};
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, EdgeRef};

use super::compiled::{self, DecisionGraph, QuestionFns};
use super::threaded;
use super::{Answer, BuildError, Context, EdgeInfo, GraphIssue, NodeInfo, NodeKind, Timed, Want};

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

enum Pending<F, O, C> {
    Question(QuestionFns<F, C>),
    Outcome(O),
    Subgraph,
}

struct PendingNode<F, O, C> {
    info: NodeInfo,
    body: Pending<F, O, C>,
}

struct PendingEdge {
    from: String,
    to: String,
    type_id: TypeId,
    type_name: &'static str,
    answer_index: usize,
    label: &'static str,
}

/// Collects questions, outcomes and edges, then [`build`](Self::build)s a
/// validated [`DecisionGraph`].
///
/// The first node added is the root unless [`root`](Self::root) names another.
/// Edges name their endpoints by id, so nodes can be declared in the order a
/// handbook page reads; every reference is checked by `build`.
pub struct GraphBuilder<F, O, C = ()> {
    name: String,
    nodes: Vec<PendingNode<F, O, C>>,
    edges: Vec<PendingEdge>,
    root: Option<String>,
    /// Problems found while adding nodes (reported by `build`).
    issues: Vec<GraphIssue>,
}

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
    /// An empty builder for a graph called `name` (used in errors and renderings).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            nodes: Vec::new(),
            edges: Vec::new(),
            root: None,
            issues: Vec::new(),
        }
    }

    /// Names the root explicitly (by default, the first node added).
    pub fn root(&mut self, id: impl Into<String>) -> &mut Self {
        self.root = Some(id.into());
        self
    }

    /// Adds a question `id` asking `text`, answered by `ask`. The returned
    /// handle adds its edges, a trace detail and its time dependence.
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
        let fns = QuestionFns {
            ask: Arc::new(move |f: &F, cx: &Context<'_, C>| ask(f, cx).index()),
            thread: Some(threaded::factory(typed)),
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

    /// Adds the edge `from --answer--> to`. The answer's type must be the
    /// question's answer type; `build` checks it.
    pub fn edge<A: Answer>(
        &mut self,
        from: impl Into<String>,
        answer: A,
        to: impl Into<String>,
    ) -> &mut Self {
        self.edges.push(PendingEdge {
            from: from.into(),
            to: to.into(),
            type_id: TypeId::of::<A>(),
            type_name: type_name::<A>(),
            answer_index: answer.index(),
            label: answer.label(),
        });
        self
    }

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
        let mut keep = vec![false; structure.node_count()];
        let mut stack = vec![entry];
        while let Some(node) = stack.pop() {
            if std::mem::replace(&mut keep[node.index()], true) {
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
            type_id: TypeId::of::<()>(),
            type_name: "()",
            answer_index: 0,
            label: "",
        });
        for index in structure.node_indices().filter(|n| keep[n.index()]) {
            let info = &structure[index];
            let body = match compiled::parts(child, index) {
                compiled::Parts::Question(fns) => Pending::Question(fns.project(project)),
                compiled::Parts::Outcome(value) => Pending::Outcome(map(value)),
                compiled::Parts::Subgraph => Pending::Subgraph,
            };
            let (type_id, type_name) = match &info.kind {
                NodeKind::Question {
                    type_id,
                    answer_type,
                    ..
                } => (*type_id, *answer_type),
                _ => (TypeId::of::<()>(), "()"),
            };
            for edge in structure.edges_directed(index, Direction::Outgoing) {
                self.edges.push(PendingEdge {
                    from: prefix(&info.id),
                    to: prefix(&structure[resolve(edge.target())].id),
                    type_id,
                    type_name,
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

    /// Validates the graph and compiles it for evaluation.
    ///
    /// Every problem is reported, each naming the node ids involved: no root,
    /// an unknown root, duplicate ids, edges from or to unknown nodes, edges
    /// from outcomes, answers of the wrong type, answers with no edge or with
    /// two, cycles, unreachable nodes, and paths that end anywhere but at an
    /// outcome.
    pub fn build(mut self) -> Result<DecisionGraph<F, O, C>, BuildError> {
        let mut issues = std::mem::take(&mut self.issues);
        if self.nodes.is_empty() {
            issues.push(GraphIssue::NoRoot);
            return Err(self.fail(issues));
        }

        let mut graph: DiGraph<NodeInfo, EdgeInfo> =
            DiGraph::with_capacity(self.nodes.len(), self.edges.len());
        let mut index_of: HashMap<String, NodeIndex> = HashMap::with_capacity(self.nodes.len());
        let mut reported_duplicates = BTreeSet::new();
        for node in &self.nodes {
            let index = graph.add_node(node.info.clone());
            if index_of.insert(node.info.id.clone(), index).is_some()
                && reported_duplicates.insert(node.info.id.clone())
            {
                issues.push(GraphIssue::DuplicateId {
                    id: node.info.id.clone(),
                });
            }
            if let NodeKind::Question {
                answer_type,
                answers,
                ..
            } = &node.info.kind
            {
                check_answer_labels(&node.info.id, answer_type, answers, &mut issues);
            }
        }
        check_answer_contracts(&self.nodes, &mut issues);

        let root_id = self
            .root
            .clone()
            .unwrap_or_else(|| self.nodes[0].info.id.clone());
        let root = index_of.get(&root_id).copied();
        if root.is_none() {
            issues.push(GraphIssue::UnknownRoot {
                id: root_id.clone(),
            });
        }

        // Edges: known endpoints, right answer type, at most one per answer.
        let mut taken: HashMap<(NodeIndex, usize), ()> = HashMap::new();
        let mut reported_dup_edges = BTreeSet::new();
        for edge in &self.edges {
            let Some(&from) = index_of.get(&edge.from) else {
                issues.push(GraphIssue::UnknownNode {
                    from: edge.from.clone(),
                    unknown: edge.from.clone(),
                });
                continue;
            };
            let Some(&to) = index_of.get(&edge.to) else {
                issues.push(GraphIssue::UnknownNode {
                    from: edge.from.clone(),
                    unknown: edge.to.clone(),
                });
                continue;
            };
            match &graph[from].kind {
                NodeKind::Outcome => {
                    issues.push(GraphIssue::EdgeFromOutcome {
                        node: edge.from.clone(),
                        to: edge.to.clone(),
                    });
                    continue;
                }
                NodeKind::Question {
                    type_id,
                    answer_type,
                    ..
                } if *type_id != edge.type_id => {
                    issues.push(GraphIssue::AnswerTypeMismatch {
                        node: edge.from.clone(),
                        answer: edge.label.to_owned(),
                        expected: answer_type,
                        found: edge.type_name,
                    });
                    continue;
                }
                NodeKind::Subgraph { .. } if edge.type_id != TypeId::of::<()>() => {
                    issues.push(GraphIssue::AnswerTypeMismatch {
                        node: edge.from.clone(),
                        answer: edge.label.to_owned(),
                        expected: "() (a subgraph node has one edge, into its graph)",
                        found: edge.type_name,
                    });
                    continue;
                }
                _ => {}
            }
            // An embedded graph is entered only through its subgraph node.
            if let Some(group) = &graph[to].group {
                let inside = graph[from].group.as_ref() == Some(group) || &graph[from].id == group;
                if !inside {
                    issues.push(GraphIssue::EdgeIntoSubgraph {
                        from: edge.from.clone(),
                        to: edge.to.clone(),
                        subgraph: group.clone(),
                    });
                    continue;
                }
            }
            if taken.insert((from, edge.answer_index), ()).is_some() {
                if reported_dup_edges.insert((edge.from.clone(), edge.answer_index)) {
                    issues.push(GraphIssue::DuplicateEdge {
                        node: edge.from.clone(),
                        answer: display_label(edge.label),
                    });
                }
                continue;
            }
            graph.add_edge(
                from,
                to,
                EdgeInfo {
                    answer_index: edge.answer_index,
                    label: edge.label,
                },
            );
        }

        // Every answer has an edge; no path ends anywhere but an outcome.
        for index in graph.node_indices() {
            let info = &graph[index];
            match &info.kind {
                NodeKind::Question { answers, .. } if answers.is_empty() => {
                    issues.push(GraphIssue::DeadEnd {
                        node: info.id.clone(),
                    });
                }
                NodeKind::Question { answers, .. } => {
                    for (answer_index, label) in answers.iter().enumerate() {
                        if !taken.contains_key(&(index, answer_index)) {
                            issues.push(GraphIssue::MissingEdge {
                                node: info.id.clone(),
                                answer: (*label).to_owned(),
                            });
                        }
                    }
                }
                NodeKind::Subgraph { .. } => {
                    if !taken.contains_key(&(index, 0)) {
                        issues.push(GraphIssue::DeadEnd {
                            node: info.id.clone(),
                        });
                    }
                }
                NodeKind::Outcome => {}
            }
        }

        // Cycles: every strongly connected component with more than one
        // node, or a node with an edge to itself.
        for component in petgraph::algo::tarjan_scc(&graph) {
            let is_cycle = component.len() > 1
                || component
                    .first()
                    .is_some_and(|&n| graph.find_edge(n, n).is_some());
            if is_cycle {
                let mut nodes: Vec<String> =
                    component.iter().map(|&n| graph[n].id.clone()).collect();
                nodes.sort();
                issues.push(GraphIssue::Cycle { nodes });
            }
        }

        if let Some(root) = root {
            let mut seen = vec![false; graph.node_count()];
            let mut dfs = Dfs::new(&graph, root);
            while let Some(n) = dfs.next(&graph) {
                seen[n.index()] = true;
            }
            for index in graph.node_indices() {
                if !seen[index.index()] {
                    issues.push(GraphIssue::Unreachable {
                        node: graph[index].id.clone(),
                        root: root_id.clone(),
                    });
                }
            }
        }

        match (root, issues.is_empty()) {
            (Some(root), true) => {
                let bodies = self.nodes.into_iter().map(|n| match n.body {
                    Pending::Question(fns) => compiled::Body::Question(fns),
                    Pending::Outcome(value) => compiled::Body::Outcome(value),
                    Pending::Subgraph => compiled::Body::Subgraph,
                });
                Ok(compiled::compile(self.name, graph, root, bodies))
            }
            _ => Err(BuildError {
                graph: self.name,
                issues,
            }),
        }
    }

    fn fail(self, issues: Vec<GraphIssue>) -> BuildError {
        BuildError {
            graph: self.name,
            issues,
        }
    }
}

fn display_label(label: &str) -> String {
    if label.is_empty() {
        "(enter)".to_owned()
    } else {
        label.to_owned()
    }
}

fn check_answer_labels(
    node: &str,
    answer_type: &'static str,
    answers: &[&'static str],
    issues: &mut Vec<GraphIssue>,
) {
    let mut seen = BTreeSet::new();
    for label in answers {
        if label.is_empty() {
            issues.push(GraphIssue::InvalidAnswerType {
                node: node.to_owned(),
                answer_type,
                reason: "an answer has an empty label".to_owned(),
            });
        } else if !seen.insert(*label) {
            issues.push(GraphIssue::InvalidAnswerType {
                node: node.to_owned(),
                answer_type,
                reason: format!("the label `{label}` is used by two answers"),
            });
        }
    }
}

/// Checks `ALL[i].index() == i` for every question's answer type. The index
/// contract can only be checked through the typed answers, which the pending
/// node remembers in its `contract` function.
fn check_answer_contracts<F, O, C>(nodes: &[PendingNode<F, O, C>], issues: &mut Vec<GraphIssue>) {
    for node in nodes {
        if let (Pending::Question(fns), NodeKind::Question { answer_type, .. }) =
            (&node.body, &node.info.kind)
        {
            if let Some(reason) = fns.contract_violation() {
                issues.push(GraphIssue::InvalidAnswerType {
                    node: node.info.id.clone(),
                    answer_type,
                    reason,
                });
            }
        }
    }
}

/// Adds a question's edges, trace detail and time dependence. Returned by
/// [`GraphBuilder::question`]; every call records at once.
pub struct QuestionBuilder<'b, F, O, C, A> {
    builder: &'b mut GraphBuilder<F, O, C>,
    node: usize,
    answer: PhantomData<fn() -> A>,
}

impl<F: 'static, O, C: 'static, A: Answer> QuestionBuilder<'_, F, O, C, A> {
    fn id(&self) -> String {
        self.builder
            .nodes
            .get(self.node)
            .map(|n| n.info.id.clone())
            .unwrap_or_default()
    }

    fn fns(&mut self) -> Option<&mut QuestionFns<F, C>> {
        match self.builder.nodes.get_mut(self.node).map(|n| &mut n.body) {
            Some(Pending::Question(fns)) => Some(fns),
            _ => None,
        }
    }

    /// Adds the edge taken when the question answers `answer`.
    pub fn on(self, answer: A, to: impl Into<String>) -> Self {
        let from = self.id();
        self.builder.edge(from, answer, to);
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

    /// Declares the question time-aware: `until` returns the earliest instant
    /// after `now` at which its answer would change for the same facts, or
    /// `None` if it never will. Decisions report the earliest such instant on
    /// their path as `stable_until`. (A rule that yields both at once is
    /// better declared with [`GraphBuilder::timed_question`].)
    pub fn changes_at(
        mut self,
        until: impl Fn(&F, &Context<'_, C>) -> Option<DateTime<Utc>> + Send + Sync + 'static,
    ) -> Self {
        if let Some(fns) = self.fns() {
            let ask = Arc::clone(&fns.ask);
            fns.timed = Some(Arc::new(move |f: &F, cx: &Context<'_, C>| {
                (ask(f, cx), until(f, cx))
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
