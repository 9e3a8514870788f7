//! Embedding a graph given answers already known (`subgraph_given`), and the
//! rule that an embedded graph is entered only through its subgraph node.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{TimeZone, Utc};
use entitle_core::graph::{Context, DecisionGraph, Given, GraphBuilder, GraphIssue};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Out {
    Weekday,
    Closed,
    Open,
}

struct Day {
    weekend: bool,
    holiday: bool,
}

/// A page that asks "weekend?" itself, then "holiday?".
fn page() -> DecisionGraph<Day, Out> {
    let mut g = GraphBuilder::new("page");
    g.question("weekend", "Weekend?", |d: &Day, _| d.weekend)
        .yes("holiday")
        .no("weekday");
    g.question("holiday", "Holiday?", |d: &Day, _| d.holiday)
        .yes("closed")
        .no("open");
    g.outcome("weekday", "Use the weekday page", Out::Weekday)
        .outcome("closed", "Closed", Out::Closed)
        .outcome("open", "Open", Out::Open);
    g.build().unwrap()
}

struct Ticket {
    day: Day,
}

fn router(given: &[Given]) -> Result<DecisionGraph<Ticket, Out>, entitle_core::graph::BuildError> {
    let page = page();
    let mut g = GraphBuilder::new("router");
    g.question("weekend", "Weekend?", |t: &Ticket, _| t.day.weekend)
        .yes("weekend-page")
        .no("weekday");
    g.subgraph_given(
        "weekend-page",
        "Follow the page",
        &page,
        |t| &t.day,
        |o| *o,
        given,
    );
    g.outcome("weekday", "Weekday", Out::Weekday);
    g.build()
}

#[test]
fn a_given_question_is_not_asked_again_and_its_other_branches_are_left_out() {
    let plain = router(&[]).unwrap();
    // Without `given`, the page's own "weekend? no" branch is an infeasible path.
    let infeasible = plain
        .paths()
        .into_iter()
        .filter(|p| p.outcome == "weekend-page/weekday")
        .count();
    assert_eq!(infeasible, 1);

    let given = router(&[Given::new("weekend", true)]).unwrap();
    let ids: Vec<&str> = given
        .petgraph()
        .node_weights()
        .map(|n| n.id.as_str())
        .collect();
    assert!(!ids.contains(&"weekend-page/weekend"), "{ids:?}");
    assert!(!ids.contains(&"weekend-page/weekday"), "{ids:?}");
    assert!(ids.contains(&"weekend-page/holiday"));
    let outcomes: Vec<&str> = given.paths().iter().map(|p| p.outcome).collect();
    assert_eq!(
        outcomes,
        ["weekend-page/closed", "weekend-page/open", "weekday"]
    );

    let now = Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap();
    let t = Ticket {
        day: Day {
            weekend: true,
            holiday: true,
        },
    };
    let d = given.evaluate(&t, &Context::new(now, &())).unwrap();
    assert_eq!(*d.outcome, Out::Closed);
    let steps: Vec<(&str, &str)> = d.trace.iter().map(|s| (s.node, s.answer)).collect();
    assert_eq!(
        steps,
        [
            ("weekend", "yes"),
            ("weekend-page", "page"),
            ("weekend-page/holiday", "yes")
        ]
    );
    // Every path of the specialised graph is feasible: the plain and the
    // specialised graph decide alike for every input.
    for weekend in [true, false] {
        for holiday in [true, false] {
            let t = Ticket {
                day: Day { weekend, holiday },
            };
            let cx = Context::new(now, &());
            assert_eq!(
                given.decide(&t, &cx).unwrap(),
                plain.decide(&t, &cx).unwrap()
            );
        }
    }
}

#[test]
fn a_given_root_moves_the_entry() {
    let g = router(&[Given::new("weekend", true)]).unwrap();
    let edges: Vec<_> = g
        .describe()
        .edges
        .into_iter()
        .filter(|e| e.from == "weekend-page")
        .collect();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0].to, "weekend-page/holiday");
}

#[test]
fn a_given_unknown_node_or_wrong_type_is_rejected() {
    let err = router(&[Given::new("no-such", true)]).unwrap_err();
    assert!(err.issues.contains(&GraphIssue::UnknownNode {
        from: "weekend-page".into(),
        unknown: "weekend-page/no-such".into()
    }));
    let err = router(&[Given::new("weekend", true), Given::new("open", true)]).unwrap_err();
    assert!(
        err.issues
            .iter()
            .any(|i| matches!(i, GraphIssue::AnswerTypeMismatch { node, .. } if node == "weekend-page/open")),
        "{err}"
    );
}

#[test]
fn an_edge_into_the_middle_of_an_embedded_graph_is_rejected() {
    let page = page();
    let mut g = GraphBuilder::new("router");
    g.question("weekend", "Weekend?", |t: &Ticket, _| t.day.weekend)
        .yes("weekend-page")
        .no("weekend-page/holiday");
    g.subgraph("weekend-page", "Follow the page", &page, |t| &t.day, |o| *o);
    let err = g.build().unwrap_err();
    assert!(
        err.issues.contains(&GraphIssue::EdgeIntoSubgraph {
            from: "weekend".into(),
            to: "weekend-page/holiday".into(),
            subgraph: "weekend-page".into()
        }),
        "{err}"
    );
}
