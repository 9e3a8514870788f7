//! Renderings of a small graph with a subgraph and awkward texts: Mermaid,
//! DOT and the `describe()` JSON as reviewed snapshots, their determinism,
//! and the paths the graph lists.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::BTreeSet;
use std::process::Command;

use entitle_test_support::skip;

use entitle_core::graph::{DecisionGraph, GraphBuilder, GraphDescription};

entitle_core::answers! {
    /// The customer's plan.
    enum Plan {
        Free => "free",
        Pro => "pro",
        Enterprise => "enterprise",
    }
}

struct Clock {
    weekend: bool,
}

struct Customer {
    plan: Plan,
    clock: Clock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Sales,
    Later,
    Now,
    Escalate,
}

fn hours() -> DecisionGraph<Clock, bool> {
    let mut g = GraphBuilder::new("opening-hours");
    g.question(
        "is-weekend",
        r#"Is it Sat/Sun? (a "weekend")"#,
        |c: &Clock, _| c.weekend,
    )
    .yes("closed")
    .no("open");
    g.outcome("closed", "Closed: try again {Monday}", false)
        .outcome("open", "Open | call #1 now,\nor queue C:\\desk", true);
    g.build().unwrap()
}

fn support(hours: &DecisionGraph<Clock, bool>) -> DecisionGraph<Customer, Route> {
    let mut g = GraphBuilder::new(r#"support "desk""#);
    g.question(
        "plan",
        r#"Which plan? ("Pro" & <Enterprise>)"#,
        |c: &Customer, _| c.plan,
    )
    .on(Plan::Free, "sales")
    .on(Plan::Pro, "hours")
    .on(Plan::Enterprise, "escalate");
    g.subgraph(
        "hours",
        "Check the desk's hours [UTC]",
        hours,
        |c| &c.clock,
        |open| if *open { Route::Now } else { Route::Later },
    );
    g.outcome("sales", r#"Hand over to "Sales""#, Route::Sales)
        .outcome("escalate", "Escalate (P1) ; now", Route::Escalate);
    g.build().unwrap()
}

fn example() -> DecisionGraph<Customer, Route> {
    support(&hours())
}

#[test]
fn mermaid_snapshot() {
    insta::assert_snapshot!("support_mermaid", example().to_mermaid());
}

#[test]
fn dot_snapshot() {
    insta::assert_snapshot!("support_dot", example().to_dot());
}

#[test]
fn describe_snapshot() {
    let json = serde_json::to_string_pretty(&example().describe()).unwrap();
    insta::assert_snapshot!("support_describe", json);
}

#[test]
fn paths_snapshot() {
    let graph = example();
    let lines: Vec<String> = graph
        .paths()
        .iter()
        .map(|p| {
            let mut line = String::new();
            for step in &p.steps {
                line.push_str(&format!("{} --{}--> ", step.node, step.answer));
            }
            line.push_str(p.outcome);
            line
        })
        .collect();
    insta::assert_snapshot!("support_paths", lines.join("\n"));
}

#[test]
fn renderings_are_deterministic() {
    let (a, b) = (example(), example());
    assert_eq!(a.to_mermaid().as_bytes(), b.to_mermaid().as_bytes());
    assert_eq!(a.to_dot().as_bytes(), b.to_dot().as_bytes());
    let json = |g: &DecisionGraph<Customer, Route>| serde_json::to_vec(&g.describe()).unwrap();
    assert_eq!(json(&a), json(&b));
    assert_eq!(a.paths(), b.paths());
    // Rendering twice from the same graph gives the same bytes, too.
    assert_eq!(a.to_mermaid(), a.to_mermaid());
}

#[test]
fn describe_round_trips_through_json() {
    let description = example().describe();
    let json = serde_json::to_string(&description).unwrap();
    let back: GraphDescription = serde_json::from_str(&json).unwrap();
    assert_eq!(back, description);
    assert_eq!(back.root, "plan");
    assert_eq!(back.nodes.len(), 7);
    assert_eq!(back.edges.len(), 6);
}

/// The identifiers a Mermaid flowchart declares: nodes and subgraphs.
fn mermaid_declarations(mermaid: &str) -> Vec<String> {
    mermaid
        .lines()
        .map(str::trim)
        .filter(|l| !l.contains("-->") && *l != "end" && !l.starts_with("flowchart"))
        .map(|l| {
            let l = l.strip_prefix("subgraph ").unwrap_or(l);
            l.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn mermaid_declares_every_node_once() {
    let graph = example();
    let mermaid = graph.to_mermaid();
    let declared = mermaid_declarations(&mermaid);
    let unique: BTreeSet<_> = declared.iter().collect();
    assert_eq!(unique.len(), declared.len(), "{declared:?}");
    // Seven nodes and one subgraph block.
    assert_eq!(declared.len(), 8, "{declared:?}");
}

#[test]
fn mermaid_subgraph_blocks_do_not_collide_with_node_ids() {
    // The block of subgraph node `hours` is named `n_hours_graph`, which is
    // also what a node with id `hours-graph` is given.
    let hours = hours();
    let mut g = GraphBuilder::<Customer, Route>::new("clash");
    g.question("plan", "Plan?", |c: &Customer, _| c.plan)
        .on(Plan::Free, "hours-graph")
        .on(Plan::Pro, "hours")
        .on(Plan::Enterprise, "hours-graph");
    g.subgraph("hours", "Hours", &hours, |c| &c.clock, |_| Route::Now);
    g.outcome("hours-graph", "An outcome with an unlucky id", Route::Sales);
    let mermaid = g.build().unwrap().to_mermaid();
    let declared = mermaid_declarations(&mermaid);
    let unique: BTreeSet<_> = declared.iter().collect();
    assert_eq!(unique.len(), declared.len(), "{mermaid}");
}

#[test]
fn mermaid_labels_escape_angle_brackets() {
    // Mermaid sanitises labels as HTML, so `<Enterprise>` would vanish from
    // the rendered diagram; entity codes keep it.
    let mermaid = example().to_mermaid();
    assert!(
        mermaid.contains(r#"n_plan{"Which plan? (#quot;Pro#quot; & #lt;Enterprise#gt;)"}"#),
        "{mermaid}"
    );
}

#[test]
fn nested_subgraphs_render_as_nested_blocks() {
    let hours = hours();
    let mut g = GraphBuilder::<Clock, bool>::new("week");
    g.question("holiday", "Holiday?", |_: &Clock, _| false)
        .yes("shut")
        .no("hours");
    g.subgraph("hours", "Hours", &hours, |c| c, |open| *open);
    g.outcome("shut", "Shut", false);
    let week = g.build().unwrap();
    let graph = support(&week);
    insta::assert_snapshot!("nested_mermaid", graph.to_mermaid());
    insta::assert_snapshot!("nested_dot", graph.to_dot());
}

/// Runs Graphviz on the DOT text if it is installed; skipped otherwise.
#[test]
fn dot_is_accepted_by_graphviz_when_installed() {
    let Ok(mut child) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        skip::skip(
            "graphviz `dot` is not installed, so the DOT text's syntax is not checked",
            "to run it: `apt-get install -y graphviz`",
        );
        return;
    };
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(example().to_dot().as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dot rejected the graph: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
