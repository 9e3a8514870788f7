//! Validation of decision graphs: one test per [`GraphIssue`], several
//! problems at once, and composition with [`GraphBuilder::subgraph`].
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::any::type_name;

use chrono::{DateTime, Duration, TimeZone, Utc};
use entitle_core::graph::{
    Answer, Context, DecisionGraph, GraphBuilder, GraphIssue, NodeKind, Timed,
};

use super::sneaky::Sneaky;

entitle_core::answers! {
    /// A three-valued answer used to type-check edges.
    enum Tier {
        Free => "free",
        Pro => "pro",
        Enterprise => "enterprise",
    }
}

/// The problems `build` reports, or a panic if the graph was accepted.
fn issues<F: 'static, O, C: 'static>(g: GraphBuilder<F, O, C>) -> Vec<GraphIssue> {
    match g.build() {
        Ok(_) => panic!("the graph was accepted but should have been rejected"),
        Err(e) => e.issues,
    }
}

fn s(x: &str) -> String {
    x.to_owned()
}

/// `q` (bool) with both answers leading to outcomes `a` and `b`: valid.
fn base() -> GraphBuilder<(), &'static str> {
    let mut g = GraphBuilder::new("base");
    g.question("q", "Q?", |_: &(), _| true).yes("a").no("b");
    g.outcome("a", "A", "a").outcome("b", "B", "b");
    g
}

#[test]
fn the_base_graph_is_valid() {
    let graph = base().build().unwrap();
    assert_eq!(graph.root_id(), "q");
    assert_eq!(
        graph
            .decide(&(), &Context::new(DateTime::UNIX_EPOCH, &()))
            .unwrap(),
        &"a"
    );
}

#[test]
fn an_empty_graph_has_no_root() {
    let err = GraphBuilder::<(), u8>::new("empty").build().unwrap_err();
    assert_eq!(err.graph, "empty");
    assert_eq!(err.issues, vec![GraphIssue::NoRoot]);
}

#[test]
fn an_unknown_root_is_reported() {
    let mut g = base();
    g.root("nope");
    assert_eq!(issues(g), vec![GraphIssue::UnknownRoot { id: s("nope") }]);
}

#[test]
fn an_explicit_root_is_used() {
    let mut g = base();
    g.question("first", "First?", |_: &(), _| false)
        .yes("q")
        .no("b");
    g.root("first");
    let graph = g.build().unwrap();
    assert_eq!(graph.root_id(), "first");
    assert_eq!(
        graph
            .decide(&(), &Context::new(DateTime::UNIX_EPOCH, &()))
            .unwrap(),
        &"b"
    );
}

#[test]
fn a_duplicate_id_is_reported_once() {
    let mut g = base();
    // `a` is now declared three times; edges attach to one of them, so the
    // others cannot be reached either.
    g.outcome("a", "A again", "a2")
        .outcome("a", "A thrice", "a3");
    let issues = issues(g);
    let duplicates: Vec<_> = issues
        .iter()
        .filter(|i| matches!(i, GraphIssue::DuplicateId { .. }))
        .collect();
    assert_eq!(duplicates, vec![&GraphIssue::DuplicateId { id: s("a") }]);
    assert!(
        issues.iter().all(|i| match i {
            GraphIssue::DuplicateId { id } | GraphIssue::Unreachable { node: id, .. } => id == "a",
            _ => false,
        }),
        "{issues:?}"
    );
}

#[test]
fn an_edge_to_an_unknown_node_is_reported() {
    let mut g = GraphBuilder::<(), u8>::new("g");
    g.question("q", "Q?", |_: &(), _| true)
        .yes("a")
        .no("nowhere");
    g.outcome("a", "A", 1);
    assert_eq!(
        issues(g),
        vec![
            GraphIssue::UnknownNode {
                from: s("q"),
                unknown: s("nowhere"),
            },
            // The dangling edge is not added, so `no` has no edge.
            GraphIssue::MissingEdge {
                node: s("q"),
                answer: s("no"),
            },
        ]
    );
}

#[test]
fn a_missing_edge_is_reported_per_answer() {
    let mut g = GraphBuilder::<(), u8>::new("g");
    g.question("tier", "Tier?", |_: &(), _| Tier::Free)
        .on(Tier::Pro, "a");
    g.outcome("a", "A", 1);
    assert_eq!(
        issues(g),
        vec![
            GraphIssue::MissingEdge {
                node: s("tier"),
                answer: s("free"),
            },
            GraphIssue::MissingEdge {
                node: s("tier"),
                answer: s("enterprise"),
            },
        ]
    );
}

#[test]
fn a_duplicate_edge_is_reported_once() {
    let mut g = GraphBuilder::<(), &str>::new("g");
    g.question("q", "Q?", |_: &(), _| true)
        .yes("a")
        .yes("a")
        .no("b");
    g.outcome("a", "A", "a").outcome("b", "B", "b");
    assert_eq!(
        issues(g),
        vec![GraphIssue::DuplicateEdge {
            node: s("q"),
            answer: s("yes"),
        }]
    );
}

#[test]
fn a_cycle_is_reported_with_its_nodes_sorted() {
    let mut g = GraphBuilder::<(), u8>::new("g");
    g.question("q1", "Q1?", |_: &(), _| true).yes("q2").no("a");
    g.question("q2", "Q2?", |_: &(), _| true).yes("q3").no("a");
    g.question("q3", "Q3?", |_: &(), _| true).yes("q2").no("a");
    g.outcome("a", "A", 1);
    assert_eq!(
        issues(g),
        vec![GraphIssue::Cycle {
            nodes: vec![s("q2"), s("q3")],
        }]
    );
}

#[test]
fn a_self_loop_is_a_cycle() {
    let mut g = GraphBuilder::<(), u8>::new("g");
    g.question("q", "Q?", |_: &(), _| true).yes("q").no("a");
    g.outcome("a", "A", 1);
    assert_eq!(
        issues(g),
        vec![GraphIssue::Cycle {
            nodes: vec![s("q")]
        }]
    );
}

#[test]
fn unreachable_nodes_are_reported_in_node_order() {
    let mut g = base();
    g.question("orphan", "Orphan?", |_: &(), _| true)
        .yes("lost")
        .no("a");
    g.outcome("lost", "Lost", "lost");
    assert_eq!(
        issues(g),
        vec![
            GraphIssue::Unreachable {
                node: s("orphan"),
                root: s("q"),
            },
            GraphIssue::Unreachable {
                node: s("lost"),
                root: s("q"),
            },
        ]
    );
}

/// An answer type that lists no answers at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Nothing;

impl Answer for Nothing {
    const ALL: &'static [Self] = &[];

    fn index(self) -> usize {
        0
    }

    fn label(self) -> &'static str {
        "nothing"
    }
}

#[test]
fn a_question_with_no_answers_is_a_dead_end() {
    let mut g = GraphBuilder::<(), &str>::new("g");
    g.question("q", "Q?", |_: &(), _| true).yes("void").no("b");
    g.question("void", "Void?", |_: &(), _| Nothing);
    g.outcome("b", "B", "b");
    assert_eq!(issues(g), vec![GraphIssue::DeadEnd { node: s("void") }]);
}

/// An answer type whose `index()` disagrees with its position in `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swapped {
    Left,
    Right,
}

impl Answer for Swapped {
    const ALL: &'static [Self] = &[Self::Left, Self::Right];

    fn index(self) -> usize {
        match self {
            Self::Left => 1,
            Self::Right => 0,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
        }
    }
}

/// An answer type with two answers labelled alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Twins {
    One,
    Two,
}

impl Answer for Twins {
    const ALL: &'static [Self] = &[Self::One, Self::Two];

    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        "same"
    }
}

/// An answer type with an empty label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blank {
    Named,
    Unnamed,
}

impl Answer for Blank {
    const ALL: &'static [Self] = &[Self::Named, Self::Unnamed];

    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        match self {
            Self::Named => "named",
            Self::Unnamed => "",
        }
    }
}

/// The one issue of a graph whose root question `q` answers `A`, with an
/// edge for every answer.
fn single_question_issue<A: Answer>(answer: A) -> Vec<GraphIssue> {
    let mut g = GraphBuilder::<(), u8>::new("g");
    let mut q = g.question("q", "Q?", move |_: &(), _| answer);
    for &a in A::ALL {
        q = q.on(a, "out");
    }
    g.outcome("out", "Out", 1);
    issues(g)
}

#[test]
fn a_broken_index_contract_is_an_invalid_answer_type() {
    let issues = single_question_issue(Swapped::Left);
    assert_eq!(issues.len(), 1, "{issues:?}");
    let GraphIssue::InvalidAnswerType {
        node,
        answer_type,
        reason,
    } = &issues[0]
    else {
        panic!("expected InvalidAnswerType, got {issues:?}");
    };
    assert_eq!(node, "q");
    assert_eq!(*answer_type, type_name::<Swapped>());
    assert!(reason.contains("`left`"), "{reason}");
    assert!(reason.contains("index"), "{reason}");
}

#[test]
fn duplicate_labels_are_an_invalid_answer_type() {
    let issues = single_question_issue(Twins::One);
    assert_eq!(issues.len(), 1, "{issues:?}");
    let GraphIssue::InvalidAnswerType {
        node,
        answer_type,
        reason,
    } = &issues[0]
    else {
        panic!("expected InvalidAnswerType, got {issues:?}");
    };
    assert_eq!(node, "q");
    assert_eq!(*answer_type, type_name::<Twins>());
    assert!(reason.contains("`same`"), "{reason}");
}

#[test]
fn an_empty_label_is_an_invalid_answer_type() {
    let issues = single_question_issue(Blank::Named);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(
        matches!(
            &issues[0],
            GraphIssue::InvalidAnswerType { node, answer_type, reason }
                if node == "q" && *answer_type == type_name::<Blank>() && reason.contains("empty")
        ),
        "{issues:?}"
    );
}

#[test]
fn several_problems_are_all_reported() {
    let mut g = GraphBuilder::<(), u8>::new("messy");
    g.question("q", "Q?", |_: &(), _| Tier::Free)
        .on(Tier::Free, "loop")
        .on(Tier::Pro, "a")
        .on(Tier::Pro, "b"); // duplicate edge; `enterprise` missing
    g.question("loop", "Loop?", |_: &(), _| true)
        .yes("loop")
        .no("nowhere");
    g.outcome("a", "A", 1).outcome("a", "A again", 2);
    g.outcome("b", "B", 3);
    g.question("island", "Island?", |_: &(), _| true)
        .yes("a")
        .no("a");
    let err = g.build().unwrap_err();
    assert_eq!(err.graph, "messy");
    let expected = [
        GraphIssue::DuplicateId { id: s("a") },
        GraphIssue::DuplicateEdge {
            node: s("q"),
            answer: s("pro"),
        },
        GraphIssue::UnknownNode {
            from: s("loop"),
            unknown: s("nowhere"),
        },
        GraphIssue::MissingEdge {
            node: s("q"),
            answer: s("enterprise"),
        },
        GraphIssue::MissingEdge {
            node: s("loop"),
            answer: s("no"),
        },
        GraphIssue::Cycle {
            nodes: vec![s("loop")],
        },
        GraphIssue::Unreachable {
            node: s("island"),
            root: s("q"),
        },
    ];
    for issue in &expected {
        assert!(
            err.issues.contains(issue),
            "missing {issue:?} in {:#?}",
            err.issues
        );
    }
    // The message names every problem.
    let message = err.to_string();
    assert!(
        message.starts_with("invalid decision graph `messy`"),
        "{message}"
    );
    for id in [
        "`q`",
        "`loop`",
        "`nowhere`",
        "`island`",
        "`a`",
        "`enterprise`",
    ] {
        assert!(message.contains(id), "{id} not in {message}");
    }
}

// ---------------------------------------------------------------------------
// Composition

/// The facts of the child graph.
struct Clock {
    weekend_until: Option<DateTime<Utc>>,
    weekend: bool,
}

/// The facts of the parent graph, which contain the child's.
struct Request {
    paid: bool,
    clock: Clock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hours {
    Closed,
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Sales,
    Later,
    Now,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

/// A child graph with one time-aware question.
fn hours_graph() -> DecisionGraph<Clock, Hours> {
    let mut g = GraphBuilder::new("opening-hours");
    g.timed_question("is-weekend", "Is it the weekend?", |c: &Clock, _, _| {
        Timed::new(c.weekend, c.weekend_until)
    })
    .yes("closed")
    .no("open");
    g.outcome("closed", "Closed", Hours::Closed)
        .outcome("open", "Open", Hours::Open);
    g.build().unwrap()
}

fn route(h: &Hours) -> Route {
    match h {
        Hours::Closed => Route::Later,
        Hours::Open => Route::Now,
    }
}

fn parent_builder(child: &DecisionGraph<Clock, Hours>) -> GraphBuilder<Request, Route> {
    let mut g = GraphBuilder::new("support");
    g.question("paid", "Is the customer paying?", |r: &Request, _| r.paid)
        .yes("hours")
        .no("sales");
    g.subgraph(
        "hours",
        "Check the opening hours",
        child,
        |r| &r.clock,
        route,
    );
    g.outcome("sales", "Hand over to Sales", Route::Sales);
    g
}

#[test]
fn a_subgraph_step_and_prefixed_child_nodes_appear_in_the_trace() {
    let child = hours_graph();
    let graph = parent_builder(&child).build().unwrap();
    let request = Request {
        paid: true,
        clock: Clock {
            weekend: true,
            weekend_until: Some(t0() + Duration::hours(36)),
        },
    };
    let cx = Context::new(t0(), &());
    let decision = graph.evaluate(&request, &cx).unwrap();
    assert_eq!(*decision.outcome, Route::Later);
    assert_eq!(decision.outcome_node, "hours/closed");
    let steps: Vec<_> = decision
        .trace
        .iter()
        .map(|s| (s.node, s.question, s.answer))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("paid", "Is the customer paying?", "yes"),
            ("hours", "Check the opening hours", "opening-hours"),
            ("hours/is-weekend", "Is it the weekend?", "yes"),
        ]
    );
    // The child's time-aware question still sets `stable_until`.
    assert_eq!(decision.stable_until, Some(t0() + Duration::hours(36)));
    assert_eq!(
        decision.trace[2].changes_at,
        Some(t0() + Duration::hours(36))
    );
    assert_eq!(graph.decide(&request, &cx).unwrap(), &Route::Later);

    // The child's answers are asked of the projected facts.
    let weekday = Request {
        paid: true,
        clock: Clock {
            weekend: false,
            weekend_until: None,
        },
    };
    let decision = graph.evaluate(&weekday, &cx).unwrap();
    assert_eq!(*decision.outcome, Route::Now);
    assert_eq!(decision.outcome_node, "hours/open");
    assert_eq!(decision.stable_until, None);
}

#[test]
fn embedded_nodes_are_prefixed_and_grouped() {
    let child = hours_graph();
    let graph = parent_builder(&child).build().unwrap();
    let pg = graph.petgraph();
    let nodes: Vec<_> = pg
        .node_indices()
        .map(|n| (pg[n].id.as_str(), pg[n].group.as_deref()))
        .collect();
    assert_eq!(
        nodes,
        vec![
            ("paid", None),
            ("hours", None),
            ("hours/is-weekend", Some("hours")),
            ("hours/closed", Some("hours")),
            ("hours/open", Some("hours")),
            ("sales", None),
        ]
    );
    let hours = pg.node_indices().find(|&n| pg[n].id == "hours").unwrap();
    assert_eq!(
        pg[hours].kind,
        NodeKind::Subgraph {
            graph: s("opening-hours")
        }
    );
    // The embedded graph itself is unchanged.
    assert_eq!(child.root_id(), "is-weekend");
    assert_eq!(child.petgraph().node_count(), 3);
}

#[test]
fn an_unreachable_subgraph_is_rejected_with_all_its_nodes() {
    let child = hours_graph();
    let mut g = GraphBuilder::<Request, Route>::new("support");
    g.question("paid", "Paying?", |r: &Request, _| r.paid)
        .yes("sales")
        .no("sales");
    g.subgraph(
        "hours",
        "Check the opening hours",
        &child,
        |r| &r.clock,
        route,
    );
    g.outcome("sales", "Hand over to Sales", Route::Sales);
    let unreachable = |node: &str| GraphIssue::Unreachable {
        node: s(node),
        root: s("paid"),
    };
    assert_eq!(
        issues(g),
        vec![
            unreachable("hours"),
            unreachable("hours/is-weekend"),
            unreachable("hours/closed"),
            unreachable("hours/open"),
        ]
    );
}

#[test]
fn an_edge_to_a_misspelled_subgraph_leads_nowhere() {
    let child = hours_graph();
    let mut g = GraphBuilder::<Request, Route>::new("support");
    g.question("paid", "Paying?", |r: &Request, _| r.paid)
        .yes("hour")
        .no("sales");
    g.subgraph(
        "hours",
        "Check the opening hours",
        &child,
        |r| &r.clock,
        route,
    );
    g.outcome("sales", "Hand over to Sales", Route::Sales);
    let issues = issues(g);
    assert_eq!(
        issues[..2],
        [
            GraphIssue::UnknownNode {
                from: s("paid"),
                unknown: s("hour"),
            },
            GraphIssue::MissingEdge {
                node: s("paid"),
                answer: s("yes"),
            },
        ]
    );
    assert!(issues.contains(&GraphIssue::Unreachable {
        node: s("hours/is-weekend"),
        root: s("paid"),
    }));
}

#[test]
fn embedded_ids_clash_with_parent_ids() {
    let child = hours_graph();
    let mut g = parent_builder(&child);
    g.outcome(
        "hours/open",
        "A parent node with an embedded id",
        Route::Now,
    );
    let issues = issues(g);
    assert!(
        issues.contains(&GraphIssue::DuplicateId {
            id: s("hours/open")
        }),
        "{issues:?}"
    );
}

/// The innermost graph: is it night?
fn night_graph() -> DecisionGraph<Clock, Hours> {
    let mut g = GraphBuilder::new("night");
    g.timed_question("is-night", "Is it night?", |c: &Clock, _, _| {
        Timed::new(c.weekend, c.weekend_until)
    })
    .yes("dark")
    .no("light");
    g.outcome("dark", "Dark", Hours::Closed)
        .outcome("light", "Light", Hours::Open);
    g.build().unwrap()
}

/// The middle graph: a weekday check that embeds the night graph.
fn week_graph(night: &DecisionGraph<Clock, Hours>) -> DecisionGraph<Clock, Hours> {
    let mut g = GraphBuilder::new("week");
    g.timed_question("holiday", "Is it a holiday?", |_: &Clock, cx, _| {
        Timed::new(false, Some(cx.now + Duration::days(10)))
    })
    .yes("shut")
    .no("night");
    g.subgraph("night", "Check for night", night, |c| c, |h| *h);
    g.outcome("shut", "Shut", Hours::Closed);
    g.build().unwrap()
}

#[test]
fn nested_composition_prefixes_twice_and_traces_every_step() {
    let night = night_graph();
    let week = week_graph(&night);
    let graph = parent_builder(&week).build().unwrap();
    let pg = graph.petgraph();
    let leaf = pg
        .node_indices()
        .find(|&n| pg[n].id == "hours/night/is-night")
        .unwrap();
    assert_eq!(pg[leaf].group.as_deref(), Some("hours/night"));
    let inner = pg
        .node_indices()
        .find(|&n| pg[n].id == "hours/night")
        .unwrap();
    assert_eq!(pg[inner].group.as_deref(), Some("hours"));

    let request = Request {
        paid: true,
        clock: Clock {
            weekend: false,
            weekend_until: Some(t0() + Duration::hours(5)),
        },
    };
    let cx = Context::new(t0(), &());
    let decision = graph.evaluate(&request, &cx).unwrap();
    let steps: Vec<_> = decision.trace.iter().map(|s| (s.node, s.answer)).collect();
    assert_eq!(
        steps,
        vec![
            ("paid", "yes"),
            ("hours", "week"),
            ("hours/holiday", "no"),
            ("hours/night", "night"),
            ("hours/night/is-night", "no"),
        ]
    );
    assert_eq!(decision.outcome_node, "hours/night/light");
    assert_eq!(*decision.outcome, Route::Now);
    // Earliest of the two time-aware questions, at two depths.
    assert_eq!(decision.stable_until, Some(t0() + Duration::hours(5)));
    assert_eq!(graph.decide(&request, &cx).unwrap(), &Route::Now);

    // Every path of the nested graph ends at a prefixed outcome of the
    // innermost graph, the middle graph's, or the parent's own.
    let mut outcomes: Vec<_> = graph.paths().iter().map(|p| p.outcome).collect();
    outcomes.sort_unstable();
    assert_eq!(
        outcomes,
        vec![
            "hours/night/dark",
            "hours/night/light",
            "hours/shut",
            "sales"
        ]
    );
}

/// A chain deeper than the threaded form's bound is still decided (by the
/// table walk), the same as the walk decides it.
#[test]
fn a_very_deep_graph_is_decided_by_the_walk() {
    let mut g = GraphBuilder::<u32, u32>::new("deep");
    let depth = 600;
    for k in 0..depth {
        let next = if k + 1 == depth {
            "end".to_owned()
        } else {
            format!("q{}", k + 1)
        };
        g.question(format!("q{k}"), "Below?", move |f: &u32, _| *f > k)
            .yes(next)
            .no("stop");
    }
    g.outcome("end", "Reached the end", 1)
        .outcome("stop", "Stopped", 0);
    let graph = g.build().unwrap();
    let cx = entitle_core::graph::Context::new(chrono::DateTime::UNIX_EPOCH, &());
    for f in [0, 5, 599, 600, 10_000] {
        let expected = u32::from(f >= 600);
        assert_eq!(*graph.decide(&f, &cx).unwrap(), expected, "{f}");
        assert_eq!(*graph.decide_walk(&f, &cx).unwrap(), expected, "{f}");
    }
}

#[test]
fn an_answer_outside_its_type_is_an_error_not_a_panic() {
    let mut g = GraphBuilder::<u8, u8>::new("sneaky");
    g.question("q", "Which?", |f: &u8, _| match f {
        0 => Sneaky::Listed,
        1 => Sneaky::AlsoListed,
        _ => Sneaky::Unlisted,
    })
    .on(Sneaky::Listed, "a")
    .on(Sneaky::AlsoListed, "b");
    g.outcome("a", "A", 0).outcome("b", "B", 1);
    let graph = g.build().unwrap();
    let cx = entitle_core::graph::Context::new(chrono::DateTime::UNIX_EPOCH, &());
    assert_eq!(*graph.decide(&1, &cx).unwrap(), 1);
    let expected = entitle_core::graph::EvalError::AnswerOutOfRange {
        node: "q".into(),
        index: 2,
        count: 2,
    };
    assert_eq!(graph.decide(&2, &cx).unwrap_err(), expected);
    assert_eq!(graph.decide_walk(&2, &cx).unwrap_err(), expected);
    assert_eq!(graph.evaluate(&2, &cx).unwrap_err(), expected);
    assert_eq!(graph.decide_closures(&2, &cx).unwrap_err(), expected);
    assert_eq!(
        graph.evaluate_walk(&2, &cx, Vec::new()).unwrap_err(),
        expected
    );
    // A listed answer is traced with its label.
    let d = graph.evaluate(&1, &cx).unwrap();
    assert_eq!((d.trace.len(), d.trace[0].answer), (1, "also-listed"));
}
