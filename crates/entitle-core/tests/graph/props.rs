//! Property tests over randomly generated decision graphs.
//!
//! A random DAG of bool and three-valued questions and outcomes is generated
//! as a plain [`Plan`]; every question answers from one byte of a facts
//! array. The plan is turned into a [`GraphBuilder`], and the compiled graph
//! is checked against the plan and against a plain recursive interpreter of
//! the petgraph structure (the reference walk). Broken plans (a random
//! mutation of a valid one) must be rejected with the expected issue.
#![expect(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unreachable,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::{BTreeSet, HashMap};

use chrono::{TimeZone, Utc};
use entitle_core::graph::{
    Answer, Context, Decision, DecisionGraph, GraphBuilder, GraphIssue, NodeKind, PathStep,
};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use proptest::prelude::*;
use proptest::sample::Index;

entitle_core::answers! {
    /// The three-valued answer of the generated questions.
    enum Level {
        Low => "low",
        Mid => "mid",
        High => "high",
    }
}

/// What every generated question reads.
type Facts = [u8; 8];

/// The most questions a plan has (one facts byte each in slot mode).
const MAX_QUESTIONS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Level,
}

impl Kind {
    fn arity(self) -> usize {
        match self {
            Kind::Bool => bool::ALL.len(),
            Kind::Level => Level::ALL.len(),
        }
    }

    fn label(self, index: usize) -> &'static str {
        match self {
            Kind::Bool => bool::ALL[index].label(),
            Kind::Level => Level::ALL[index].label(),
        }
    }
}

/// A generated question: answer index = `(facts[fact] + offset) % arity`.
#[derive(Debug, Clone)]
struct Question {
    id: String,
    kind: Kind,
    fact: usize,
    offset: u8,
}

impl Question {
    fn answer_index(&self, facts: &Facts) -> usize {
        (usize::from(facts[self.fact]) + usize::from(self.offset)) % self.kind.arity()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    from: String,
    kind: Kind,
    answer: usize,
    to: String,
}

/// A graph as plain data: what the builder is given.
#[derive(Debug, Clone)]
struct Plan {
    /// The root is the first question.
    questions: Vec<Question>,
    /// Outcome ids `o<k>`; the outcome value is `k`.
    outcomes: Vec<usize>,
    edges: Vec<Edge>,
}

impl Plan {
    fn question(&self, id: &str) -> &Question {
        self.questions
            .iter()
            .find(|q| q.id == id)
            .unwrap_or_else(|| panic!("no question {id}"))
    }

    fn target(&self, from: &str, answer: usize) -> &str {
        &self
            .edges
            .iter()
            .find(|e| e.from == from && e.answer == answer)
            .unwrap_or_else(|| panic!("no edge {from} --{answer}-->"))
            .to
    }

    /// The outcome id the plan reaches for `facts`, walking the plan itself.
    fn walk(&self, facts: &Facts) -> String {
        let mut at = self.questions[0].id.clone();
        while let Some(q) = self.questions.iter().find(|q| q.id == at) {
            at = self.target(&q.id, q.answer_index(facts)).to_owned();
        }
        at
    }

    /// Questions reachable from `from` (including itself).
    fn descendants(&self, from: &str) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(id) = stack.pop() {
            if self.questions.iter().any(|q| q.id == id) && seen.insert(id.clone()) {
                stack.extend(
                    self.edges
                        .iter()
                        .filter(|e| e.from == id)
                        .map(|e| e.to.clone()),
                );
            }
        }
        seen.into_iter().collect()
    }

    fn builder(&self) -> GraphBuilder<Facts, usize> {
        let mut g = GraphBuilder::new("random");
        for q in &self.questions {
            let text = format!("What does byte {} say?", q.fact);
            let q2 = q.clone();
            // Each question's edges, in the plan's order.
            let edges = self.edges.iter().filter(|e| e.from == q.id);
            match q.kind {
                Kind::Bool => {
                    let mut question = g.question(q.id.clone(), text, move |f: &Facts, _| {
                        bool::ALL[q2.answer_index(f)]
                    });
                    for e in edges {
                        question = question.on(bool::ALL[e.answer], e.to.clone());
                    }
                }
                Kind::Level => {
                    let mut question = g.question(q.id.clone(), text, move |f: &Facts, _| {
                        Level::ALL[q2.answer_index(f)]
                    });
                    for e in edges {
                        question = question.on(Level::ALL[e.answer], e.to.clone());
                    }
                }
            }
        }
        for &k in &self.outcomes {
            g.outcome(format!("o{k}"), format!("Outcome {k}"), k);
        }
        g
    }
}

/// One raw question: its kind, its byte, its offset and a pick of target
/// for each possible answer.
type RawQuestion = (bool, usize, u8, [u16; 3]);

/// Turns raw picks into a valid plan: question `k`'s answers lead to a later
/// question or an outcome, so the graph is a DAG; only the nodes reachable
/// from `q0` are kept, so none is unreachable. In slot mode question `k`
/// reads byte `k` with no offset, so every path can be driven by the facts.
fn plan_from(raw: &[RawQuestion], outcomes: usize, slot: bool) -> Plan {
    let n = raw.len();
    let mut targets = Vec::with_capacity(n);
    for (k, &(_, _, _, picks)) in raw.iter().enumerate() {
        let later = n - k - 1;
        targets.push(
            picks
                .iter()
                .map(|&p| {
                    let p = usize::from(p) % (later + outcomes);
                    if p < later {
                        format!("q{}", k + 1 + p)
                    } else {
                        format!("o{}", p - later)
                    }
                })
                .collect::<Vec<_>>(),
        );
    }
    let all: Vec<Question> = raw
        .iter()
        .enumerate()
        .map(|(k, &(tri, fact, offset, _))| Question {
            id: format!("q{k}"),
            kind: if tri { Kind::Level } else { Kind::Bool },
            fact: if slot { k } else { fact },
            offset: if slot { 0 } else { offset },
        })
        .collect();
    // Keep what the root reaches.
    let mut reached = BTreeSet::new();
    let mut stack = vec![0usize];
    while let Some(k) = stack.pop() {
        if reached.insert(k) {
            for t in &targets[k][..all[k].kind.arity()] {
                if let Some(j) = t.strip_prefix('q') {
                    stack.push(j.parse().unwrap());
                }
            }
        }
    }
    let mut plan = Plan {
        questions: Vec::new(),
        outcomes: Vec::new(),
        edges: Vec::new(),
    };
    let mut outcome_set = BTreeSet::new();
    for &k in &reached {
        let q = &all[k];
        for (answer, to) in targets[k][..q.kind.arity()].iter().enumerate() {
            if let Some(o) = to.strip_prefix('o') {
                outcome_set.insert(o.parse::<usize>().unwrap());
            }
            plan.edges.push(Edge {
                from: q.id.clone(),
                kind: q.kind,
                answer,
                to: to.clone(),
            });
        }
        plan.questions.push(q.clone());
    }
    plan.outcomes = outcome_set.into_iter().collect();
    plan
}

fn plan_strategy(slot: bool) -> impl Strategy<Value = Plan> {
    (
        prop::collection::vec(
            (any::<bool>(), 0..8usize, any::<u8>(), any::<[u16; 3]>()),
            1..=MAX_QUESTIONS,
        ),
        1..=4usize,
    )
        .prop_map(move |(raw, outcomes)| plan_from(&raw, outcomes, slot))
}

fn facts_strategy() -> impl Strategy<Value = Vec<Facts>> {
    prop::collection::vec(any::<Facts>(), 1..24)
}

fn cx() -> Context<'static, ()> {
    Context::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(), &())
}

/// The reference walk: a plain recursive interpreter over the petgraph
/// structure and the generated question semantics. Returns the outcome id.
/// Ids of embedded nodes are looked up without their `prefix/`.
fn reference(
    graph: &DecisionGraph<Facts, usize>,
    at: NodeIndex,
    plan: &Plan,
    facts: &Facts,
    gate: &dyn Fn(&Facts) -> usize,
) -> String {
    let pg = graph.petgraph();
    let info = &pg[at];
    let outgoing: Vec<_> = pg.edges_directed(at, Direction::Outgoing).collect();
    let answer = match &info.kind {
        NodeKind::Outcome => return info.id.clone(),
        NodeKind::Subgraph { .. } => 0,
        NodeKind::Question { .. } if info.id == "gate" => gate(facts),
        NodeKind::Question { .. } => {
            let local = info.id.rsplit('/').next().unwrap();
            plan.question(local).answer_index(facts)
        }
    };
    let next = outgoing
        .iter()
        .find(|e| e.weight().answer_index == answer)
        .unwrap_or_else(|| panic!("no edge for answer {answer} at {}", info.id));
    reference(graph, next.target(), plan, facts, gate)
}

fn no_gate(_: &Facts) -> usize {
    unreachable!("the plain graph has no gate")
}

/// Checks that the trace is a real path of the plan for these facts: it
/// starts at the root, each step's answer is the question's answer and its
/// edge leads to the next step, and the last edge leads to the outcome.
fn assert_real_path(plan: &Plan, facts: &Facts, d: &Decision<'_, usize>) {
    assert!(!d.trace.is_empty());
    assert_eq!(d.trace[0].node, plan.questions[0].id);
    let mut at = plan.questions[0].id.as_str();
    for step in &d.trace {
        assert_eq!(step.node, at);
        let q = plan.question(at);
        let answer = q.answer_index(facts);
        assert_eq!(step.answer_index, answer);
        assert_eq!(step.answer, q.kind.label(answer));
        at = plan.target(at, answer);
    }
    assert_eq!(d.outcome_node, at);
    assert_eq!(format!("o{}", d.outcome), at);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_graphs_decide_an_outcome_for_any_facts(plan in plan_strategy(false), facts in facts_strategy()) {
        let graph = plan.builder().build().unwrap();
        prop_assert_eq!(graph.root_id(), "q0");
        prop_assert_eq!(graph.petgraph().node_count(), plan.questions.len() + plan.outcomes.len());
        let cx = cx();
        for f in &facts {
            let decided = *graph.decide(f, &cx).unwrap();
            // The threaded fast path and the table walk it is checked against.
            prop_assert_eq!(*graph.decide_walk(f, &cx).unwrap(), decided);
            let d = graph.evaluate(f, &cx).unwrap();
            prop_assert_eq!(&d, &graph.evaluate_walk(f, &cx, Vec::new()).unwrap());
            prop_assert_eq!(*d.outcome, decided);
            prop_assert_eq!(format!("o{decided}"), plan.walk(f));
            prop_assert_eq!(d.stable_until, None);
            prop_assert!(d.trace.len() <= graph.depth());
            assert_real_path(&plan, f, &d);

            // `evaluate_with` reusing an old trace gives the same decision.
            let again = graph.evaluate_with(f, &cx, graph.evaluate(&facts[0], &cx).unwrap().trace).unwrap();
            prop_assert_eq!(&again, &d);
        }
    }

    #[test]
    fn the_trace_is_the_path_listed_for_it(plan in plan_strategy(false), facts in facts_strategy()) {
        let graph = plan.builder().build().unwrap();
        let paths = graph.paths();
        let cx = cx();
        for f in &facts {
            let d = graph.evaluate(f, &cx).unwrap();
            let steps: Vec<PathStep<'_>> = d
                .trace
                .iter()
                .map(|s| PathStep { node: s.node, answer: s.answer })
                .collect();
            let matching = paths
                .iter()
                .filter(|p| p.steps == steps && p.outcome == d.outcome_node)
                .count();
            prop_assert_eq!(matching, 1, "trace {:?} not listed once in {:?}", steps, paths);
        }
    }

    #[test]
    fn paths_are_distinct_and_end_at_outcomes(plan in plan_strategy(false)) {
        let graph = plan.builder().build().unwrap();
        let paths = graph.paths();
        let distinct: BTreeSet<_> = paths
            .iter()
            .map(|p| (p.steps.iter().map(|s| (s.node, s.answer)).collect::<Vec<_>>(), p.outcome))
            .collect();
        prop_assert_eq!(distinct.len(), paths.len());
        let outcomes: BTreeSet<_> = plan.outcomes.iter().map(|k| format!("o{k}")).collect();
        for p in &paths {
            prop_assert!(outcomes.contains(p.outcome));
            prop_assert_eq!(p.steps[0].node, "q0");
        }
        // Every outcome of the plan ends some path.
        let ends: BTreeSet<_> = paths.iter().map(|p| p.outcome.to_owned()).collect();
        prop_assert_eq!(ends, outcomes);
    }

    #[test]
    fn driving_every_path_covers_the_graph(plan in plan_strategy(true)) {
        let graph = plan.builder().build().unwrap();
        let paths = graph.paths();
        let cx = cx();
        let mut decisions = Vec::with_capacity(paths.len());
        for p in &paths {
            // Slot mode: question `qk` answers byte k, so set it to the
            // answer index the path takes.
            let mut facts = [0u8; 8];
            for step in &p.steps {
                let q = plan.question(step.node);
                let answer = (0..q.kind.arity())
                    .find(|&a| q.kind.label(a) == step.answer)
                    .unwrap();
                facts[q.fact] = u8::try_from(answer).unwrap();
            }
            let d = graph.evaluate(&facts, &cx).unwrap();
            prop_assert_eq!(d.outcome_node, p.outcome);
            let steps: Vec<_> = d.trace.iter().map(|s| (s.node, s.answer)).collect();
            let expected: Vec<_> = p.steps.iter().map(|s| (s.node, s.answer)).collect();
            prop_assert_eq!(steps, expected);
            decisions.push(d);
        }
        let coverage = graph.coverage(&decisions);
        prop_assert!(coverage.is_complete(), "{:?}", coverage);
        prop_assert_eq!(coverage.node_count, plan.questions.len() + plan.outcomes.len());
        prop_assert_eq!(coverage.edge_count, plan.edges.len());

        // One path alone leaves exactly the other nodes and edges uncovered.
        let first = &decisions[..1];
        let partial = graph.coverage(first);
        let on_path: BTreeSet<&str> = paths[0]
            .steps
            .iter()
            .map(|s| s.node)
            .chain([paths[0].outcome])
            .collect();
        let not_taken: BTreeSet<&str> = partial.nodes_not_taken.iter().copied().collect();
        let pg = graph.petgraph();
        let others: BTreeSet<&str> = pg
            .node_indices()
            .map(|n| pg[n].id.as_str())
            .filter(|id| !on_path.contains(id))
            .collect();
        prop_assert_eq!(not_taken, others);
        prop_assert_eq!(partial.edges_not_taken.len(), plan.edges.len() - paths[0].steps.len());

        // No decisions: nothing is covered.
        let none: Vec<Decision<'_, usize>> = Vec::new();
        let empty = graph.coverage(&none);
        prop_assert_eq!(empty.nodes_not_taken.len(), coverage.node_count);
        prop_assert_eq!(empty.edges_not_taken.len(), coverage.edge_count);
    }

    #[test]
    fn decide_agrees_with_the_reference_walk(plan in plan_strategy(false), facts in facts_strategy()) {
        let graph = plan.builder().build().unwrap();
        let cx = cx();
        for f in &facts {
            let expected = reference(&graph, graph.root_index(), &plan, f, &no_gate);
            let decided = graph.decide(f, &cx).unwrap();
            prop_assert_eq!(format!("o{decided}"), expected);
            prop_assert_eq!(graph.decide_closures(f, &cx), Ok(decided));
            // The traced closures `evaluate` runs and the table walk give
            // the same decision, trace and all.
            let evaluated = graph.evaluate(f, &cx).unwrap();
            prop_assert_eq!(*evaluated.outcome, *decided);
            prop_assert_eq!(&evaluated, &graph.evaluate_walk(f, &cx, Vec::new()).unwrap());
        }
    }

    #[test]
    fn an_embedded_graph_agrees_with_the_reference_walk(
        plan in plan_strategy(false),
        facts in facts_strategy(),
        gate_byte in 0..8usize,
    ) {
        let child = plan.builder().build().unwrap();
        let mut g = GraphBuilder::<Facts, usize>::new("parent");
        let gate = move |f: &Facts| usize::from(f[gate_byte] % 2);
        g.question("gate", "Gate?", move |f: &Facts, _| bool::ALL[gate(f)])
            .yes("sub")
            .no("direct");
        g.subgraph("sub", "The random graph", &child, |f| f, |o| o + 100);
        g.outcome("direct", "Direct", 99);
        let graph = g.build().unwrap();
        let cx = cx();
        for f in &facts {
            let expected = reference(&graph, graph.root_index(), &plan, f, &gate);
            let decided = *graph.decide(f, &cx).unwrap();
            // Embedded questions run threaded through their erased form.
            prop_assert_eq!(*graph.decide_walk(f, &cx).unwrap(), decided);
            let d = graph.evaluate(f, &cx).unwrap();
            prop_assert_eq!(&d, &graph.evaluate_walk(f, &cx, Vec::new()).unwrap());
            prop_assert_eq!(*d.outcome, decided);
            prop_assert_eq!(d.outcome_node, expected.as_str());
            if gate(f) == 0 {
                prop_assert_eq!(format!("sub/o{}", decided - 100), expected);
                prop_assert_eq!(decided - 100, *child.decide(f, &cx).unwrap());
                prop_assert_eq!((d.trace[1].node, d.trace[1].answer), ("sub", "random"));
                prop_assert_eq!(d.trace.len(), child.evaluate(f, &cx).unwrap().trace.len() + 2);
            } else {
                prop_assert_eq!(decided, 99);
                prop_assert_eq!(expected, "direct");
            }
        }
    }
}

/// A random way to break a valid plan, and the issue it must cause.
#[derive(Debug, Clone)]
enum Mutation {
    DropEdge(Index),
    DuplicateEdge(Index),
    BackEdge(Index, Index, Index),
    OrphanOutcome,
    OrphanQuestion,
    RetargetToUnknown(Index),
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::DropEdge),
        any::<Index>().prop_map(Mutation::DuplicateEdge),
        (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Mutation::BackEdge(a, b, c)),
        Just(Mutation::OrphanOutcome),
        Just(Mutation::OrphanQuestion),
        any::<Index>().prop_map(Mutation::RetargetToUnknown),
    ]
}

/// Checks that a list of issues holds the one a mutation must cause.
type IssueCheck = Box<dyn Fn(&[GraphIssue]) -> bool>;

/// Applies the mutation; returns a check of the issues it must cause.
fn mutate(plan: &mut Plan, mutation: &Mutation) -> IssueCheck {
    match mutation {
        Mutation::DropEdge(i) => {
            let e = plan.edges.remove(i.index(plan.edges.len()));
            let expected = GraphIssue::MissingEdge {
                node: e.from.clone(),
                answer: e.kind.label(e.answer).to_owned(),
            };
            Box::new(move |issues| issues.contains(&expected))
        }
        Mutation::DuplicateEdge(i) => {
            let e = plan.edges[i.index(plan.edges.len())].clone();
            let expected = GraphIssue::DuplicateEdge {
                node: e.from.clone(),
                answer: e.kind.label(e.answer).to_owned(),
            };
            plan.edges.push(e);
            Box::new(move |issues| issues.contains(&expected))
        }
        Mutation::BackEdge(u, w, a) => {
            let u = plan.questions[u.index(plan.questions.len())].id.clone();
            let below = plan.descendants(&u);
            let w = below[w.index(below.len())].clone();
            let arity = plan.question(&w).kind.arity();
            let answer = a.index(arity);
            let edge = plan
                .edges
                .iter_mut()
                .find(|e| e.from == w && e.answer == answer)
                .unwrap();
            edge.to = u.clone();
            Box::new(move |issues| {
                issues.iter().any(|i| match i {
                    GraphIssue::Cycle { nodes } => nodes.contains(&u) && nodes.contains(&w),
                    _ => false,
                })
            })
        }
        Mutation::OrphanOutcome => {
            plan.outcomes.push(1000);
            let expected = GraphIssue::Unreachable {
                node: "o1000".to_owned(),
                root: "q0".to_owned(),
            };
            Box::new(move |issues| issues.contains(&expected))
        }
        Mutation::OrphanQuestion => {
            plan.questions.push(Question {
                id: "orphan".to_owned(),
                kind: Kind::Level,
                fact: 0,
                offset: 0,
            });
            let to = plan.edges[0].to.clone();
            for answer in 0..Kind::Level.arity() {
                plan.edges.push(Edge {
                    from: "orphan".to_owned(),
                    kind: Kind::Level,
                    answer,
                    to: to.clone(),
                });
            }
            let expected = GraphIssue::Unreachable {
                node: "orphan".to_owned(),
                root: "q0".to_owned(),
            };
            Box::new(move |issues| issues.contains(&expected))
        }
        Mutation::RetargetToUnknown(i) => {
            let n = plan.edges.len();
            let e = &mut plan.edges[i.index(n)];
            e.to = "ghost".to_owned();
            let expected = GraphIssue::UnknownNode {
                from: e.from.clone(),
                unknown: "ghost".to_owned(),
            };
            Box::new(move |issues| issues.contains(&expected))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn broken_graphs_are_rejected_with_the_expected_issue(
        plan in plan_strategy(false),
        mutation in mutation_strategy(),
    ) {
        let mut broken = plan.clone();
        let check = mutate(&mut broken, &mutation);
        match broken.builder().build() {
            Ok(_) => prop_assert!(false, "{:?} was accepted: {:?}", mutation, broken),
            Err(err) => prop_assert!(check(&err.issues), "{:?} gave {:?}", mutation, err.issues),
        }
        // The unmutated plan is still fine.
        prop_assert!(plan.builder().build().is_ok());
    }
}

#[test]
fn the_generator_makes_varied_graphs() {
    // Guard against a generator that only ever makes trivial graphs.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = plan_strategy(false);
    let mut sizes = HashMap::new();
    let mut level_questions = 0;
    for _ in 0..200 {
        let plan = strategy.new_tree(&mut runner).unwrap().current();
        *sizes.entry(plan.questions.len()).or_insert(0) += 1;
        level_questions += plan
            .questions
            .iter()
            .filter(|q| q.kind == Kind::Level)
            .count();
    }
    assert!(sizes.keys().any(|&n| n >= 4), "{sizes:?}");
    assert!(sizes.len() >= 4, "{sizes:?}");
    assert!(level_questions > 50, "{level_questions}");
}
