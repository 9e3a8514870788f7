//! The `star-validity` graph has the shape of the page's flowchart
//! (`star-plan-license.md`, `graph TD ...`): the same questions, the same
//! yes/no branches, the same ends. The flowchart text is read from the seed
//! page at test time and parsed; a small explicit table maps the page's node
//! names to our node ids.
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{License, Plan};
use entitle_core::policies::{StarCategory, StarValidity, StarValidityFacts};
use entitle_core::policy::{Registered, evaluate};

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/seeds/star-plan-license.md"
);

/// A node of the page's flowchart: its name, and its text if given.
#[derive(Debug, Default)]
struct PageNode {
    text: Option<String>,
    /// `{...}` (a rhombus) rather than `[...]`.
    rhombus: bool,
}

/// An edge of the page's flowchart.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PageEdge {
    from: String,
    label: Option<String>,
    to: String,
}

#[derive(Debug, Default)]
struct Flowchart {
    nodes: BTreeMap<String, PageNode>,
    edges: Vec<PageEdge>,
}

/// Parses Mermaid's `graph TD` statements `A{text}-->|label|B[text]`, with
/// chains (`A-->B-->C`), arrows of any length (`--->`) and the statements
/// run together on one line as the page has them.
fn parse_flowchart(source: &str) -> Flowchart {
    let start = source.find("graph TD").expect("no `graph TD` in the page") + "graph TD".len();
    let line = source[start..].lines().next().unwrap_or_default();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut chart = Flowchart::default();
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    let node = |i: &mut usize, chart: &mut Flowchart| -> String {
        let begin = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        let name: String = chars[begin..*i].iter().collect();
        assert!(
            !name.is_empty(),
            "expected a node name at column {begin} of {line:?}"
        );
        let entry = chart.nodes.entry(name.clone()).or_default();
        if let Some(&open) = chars.get(*i) {
            let close = match open {
                '[' => Some(']'),
                '{' => Some('}'),
                _ => None,
            };
            if let Some(close) = close {
                let from = *i + 1;
                let len = chars[from..]
                    .iter()
                    .position(|&c| c == close)
                    .expect("unclosed node text");
                entry.text = Some(
                    chars[from..from + len]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_owned(),
                );
                entry.rhombus = open == '{';
                *i = from + len + 1;
            }
        }
        name
    };
    skip_ws(&mut i);
    let mut from = node(&mut i, &mut chart);
    loop {
        skip_ws(&mut i);
        if i >= chars.len() {
            break;
        }
        if chars[i] == '-' {
            let begin = i;
            while i < chars.len() && chars[i] == '-' {
                i += 1;
            }
            assert!(
                i - begin >= 2 && chars.get(i) == Some(&'>'),
                "bad arrow at column {begin}"
            );
            i += 1;
            skip_ws(&mut i);
            let mut label = None;
            if chars.get(i) == Some(&'|') {
                let len = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '|')
                    .expect("unclosed label");
                label = Some(
                    chars[i + 1..i + 1 + len]
                        .iter()
                        .collect::<String>()
                        .trim()
                        .to_owned(),
                );
                i += len + 2;
                skip_ws(&mut i);
            }
            let to = node(&mut i, &mut chart);
            chart.edges.push(PageEdge {
                from,
                label,
                to: to.clone(),
            });
            from = to;
        } else {
            from = node(&mut i, &mut chart);
        }
    }
    chart
}

/// What a page node is in our graph.
#[derive(Debug, Clone, Copy)]
enum Ours {
    /// A question node; `true`: its text is the page's, verbatim.
    Question(&'static str, bool),
    /// An outcome node; `true`: its text is the page's, verbatim.
    Outcome(&'static str, bool),
    /// A branch box of the root: folded into the root question's edge with
    /// this answer.
    Branch(&'static str),
    /// A step after an outcome: an action the outcome carries.
    Action(&'static str, &'static str),
}

/// Page node name -> our node.
const MAP: &[(&str, Ours)] = &[
    ("A", Ours::Question("category", false)),
    ("C", Ours::Branch("plan-license")),
    ("WP", Ours::Question("sales-intervened", false)),
    ("FR", Ours::Branch("force-reassociate")),
    ("FR1", Ours::Question("edge-case", false)),
    ("T", Ours::Question("trial-request", true)),
    ("SA", Ours::Question("sales-assisted-trial", true)),
    ("G", Ours::Question("in-grace-period", true)),
    ("H", Ours::Question("grace-expiring-in-more-than-24h", true)),
    ("Exp", Ours::Question("expiring-in-more-than-24h", true)),
    ("No", Ours::Outcome("no-need-for-star", true)),
    ("Pass", Ours::Outcome("ok-to-star", true)),
    (
        "X",
        Ours::Action("no-need-for-star", "collect-feedback-and-label-star"),
    ),
];

/// The root's edges into nodes that are not branch boxes: their answer.
const ROOT_ANSWERS: &[(&str, &str)] = &[("WP", "wrong-product-sold")];

/// Page edge label -> our answer label.
const LABELS: &[(&str, &str)] = &[
    ("Yes", "yes"),
    ("No", "no"),
    ("After sales intervention", "yes"),
    ("Edge case", "yes"),
];

/// The ends the page leaves implicit: before sales intervention a wrong
/// product sold is not ok to STAR yet; a force reassociate that is not an
/// edge case ends at FR1 itself ("Use the docs to deflect").
const IMPLIED: &[(&str, &str, &str)] = &[
    ("sales-intervened", "no", "await-sales-intervention"),
    ("edge-case", "no", "deflect-with-docs"),
];

fn ours(name: &str) -> Ours {
    MAP.iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("page node `{name}` is not in the table"))
        .1
}

fn our_id(name: &str, chart: &Flowchart) -> &'static str {
    match ours(name) {
        Ours::Question(id, _) | Ours::Outcome(id, _) => id,
        // A branch box stands for the node it leads to.
        Ours::Branch(_) => {
            let next: Vec<_> = chart.edges.iter().filter(|e| e.from == name).collect();
            assert_eq!(next.len(), 1, "branch box `{name}` must lead to one node");
            assert_eq!(
                next[0].label, None,
                "branch box `{name}` has a labelled edge"
            );
            our_id(&next[0].to, chart)
        }
        Ours::Action(..) => panic!("`{name}` is an action, not a node"),
    }
}

fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && *w != "the" && *w != "to")
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn star_validity_has_the_shape_of_the_page_flowchart() {
    let Ok(page) = std::fs::read_to_string(SEED) else {
        super::skip::skip(
            &format!("the seed page {SEED} is absent"),
            "it is in the project's shared docs, next to the repository: `ls ../shared/seeds`",
        );
        return;
    };
    let chart = parse_flowchart(&page);
    // The parse found the whole chart (a guard against a silent misparse).
    assert_eq!(
        chart.nodes.len(),
        MAP.len(),
        "page nodes: {:?}",
        chart.nodes.keys()
    );
    assert_eq!(chart.edges.len(), 18, "page edges: {:#?}", chart.edges);

    let graph = StarValidity::graph().unwrap();
    let description = graph.describe();
    let our_nodes: BTreeMap<&str, _> = description
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n))
        .collect();
    let our_edges: BTreeSet<(String, String, String)> = description
        .edges
        .iter()
        .map(|e| {
            (
                e.from.clone(),
                e.answer.clone().unwrap_or_default(),
                e.to.clone(),
            )
        })
        .collect();
    assert_eq!(description.root, our_id("A", &chart));

    // Every page node exists in our graph as what the page makes it.
    for (name, node) in &chart.nodes {
        let text = node.text.as_deref().unwrap_or_default();
        match ours(name) {
            Ours::Question(id, verbatim) => {
                let ours = our_nodes
                    .get(id)
                    .unwrap_or_else(|| panic!("no node `{id}` for `{name}`"));
                assert_eq!(ours.kind, "question", "`{name}` ({text}) -> `{id}`");
                if verbatim {
                    assert_eq!(ours.text, text, "`{name}` -> `{id}`");
                }
            }
            Ours::Outcome(id, verbatim) => {
                let ours = our_nodes
                    .get(id)
                    .unwrap_or_else(|| panic!("no node `{id}` for `{name}`"));
                assert_eq!(ours.kind, "outcome", "`{name}` ({text}) -> `{id}`");
                if verbatim {
                    assert_eq!(ours.text, text, "`{name}` -> `{id}`");
                }
            }
            Ours::Branch(_) | Ours::Action(..) => {}
        }
        // A page question (its text asks) is a question of ours.
        if text.ends_with('?') || node.rhombus {
            assert!(
                matches!(ours(name), Ours::Question(..)),
                "page question `{name}` ({text})"
            );
        }
    }

    // Every page edge is an edge of ours; ours has no other edge than the
    // page's and the ends it implies.
    let mut expected: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut actions = Vec::new();
    for edge in &chart.edges {
        let answer = |label: &Option<String>| -> String {
            let label = label
                .as_deref()
                .unwrap_or_else(|| panic!("unlabelled edge {edge:?}"));
            LABELS
                .iter()
                .find(|(l, _)| *l == label)
                .unwrap_or_else(|| panic!("label `{label}` is not in the table"))
                .1
                .to_owned()
        };
        match (ours(&edge.from), ours(&edge.to)) {
            (_, Ours::Action(outcome, action)) => {
                assert!(
                    matches!(ours(&edge.from), Ours::Outcome(o, _) if o == outcome),
                    "{edge:?}"
                );
                let text = chart.nodes[&edge.to].text.clone().unwrap_or_default();
                actions.push((outcome, action, text));
            }
            // Folded into the root's edge.
            (Ours::Branch(_), _) => {}
            (Ours::Question(root, _), target) if edge.from == "A" => {
                assert_eq!(edge.label, None, "{edge:?}");
                let branch = match target {
                    Ours::Branch(answer) => answer,
                    _ => ROOT_ANSWERS.iter().find(|(n, _)| *n == edge.to).unwrap().1,
                };
                expected.insert((
                    root.to_owned(),
                    branch.to_owned(),
                    our_id(&edge.to, &chart).to_owned(),
                ));
            }
            (Ours::Question(from, _), _) => {
                expected.insert((
                    from.to_owned(),
                    answer(&edge.label),
                    our_id(&edge.to, &chart).to_owned(),
                ));
            }
            (Ours::Outcome(..) | Ours::Action(..), _) => panic!("edge out of an end: {edge:?}"),
        }
    }
    for (from, answer, to) in IMPLIED {
        assert!(our_nodes.contains_key(to), "implied end `{to}`");
        expected.insert(((*from).to_owned(), (*answer).to_owned(), (*to).to_owned()));
    }
    let missing: Vec<_> = expected.difference(&our_edges).collect();
    let extra: Vec<_> = our_edges.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "page edges missing from our graph: {missing:#?}"
    );
    assert!(
        extra.is_empty(),
        "edges of ours the page does not have: {extra:#?}"
    );

    // The step after "No need for STAR" is an action of that outcome.
    assert_eq!(actions.len(), 1);
    let facts = StarValidityFacts {
        category: StarCategory::PlanLicense,
        trial_request: true,
        sales_assisted_trial: false,
        license: License {
            plan: Plan::Premium,
            trial: true,
            starts_on: "2026-11-01".parse().unwrap(),
            expires_on: "2026-12-01".parse().unwrap(),
            users: 10,
        },
        sales_intervened: false,
        edge_case: false,
    };
    let now: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().unwrap();
    let decision = evaluate::<StarValidity>(&facts, now, &PolicyConfig::default()).unwrap();
    for (outcome, action, text) in actions {
        assert_eq!(graph_outcome_id(&decision), outcome);
        let ours = decision
            .details
            .actions
            .iter()
            .find(|a| a.id == action)
            .expect("action");
        assert_eq!(
            normalise(&ours.text),
            normalise(&text),
            "{} vs page {text}",
            ours.text
        );
    }
}

fn graph_outcome_id(
    decision: &entitle_core::policy::PolicyDecision<entitle_core::policies::StarValidityOutcome>,
) -> &'static str {
    entitle_core::policy::Outcome::id(decision.outcome)
}

#[test]
fn the_parser_reads_chains_labels_and_long_arrows() {
    let chart = parse_flowchart("x\ngraph TD A{Q?}-->|Yes| B[b] B--->C[c]-->|No|A\nrest");
    assert_eq!(chart.nodes["A"].text.as_deref(), Some("Q?"));
    assert!(chart.nodes["A"].rhombus);
    assert_eq!(
        chart.edges,
        [
            PageEdge {
                from: "A".into(),
                label: Some("Yes".into()),
                to: "B".into()
            },
            PageEdge {
                from: "B".into(),
                label: None,
                to: "C".into()
            },
            PageEdge {
                from: "C".into(),
                label: Some("No".into()),
                to: "A".into()
            },
        ]
    );
}
