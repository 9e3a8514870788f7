//! The `weekday-emergency` graph has the shape of the seed page's flowchart
//! (spec 3.3: "same questions, same yes/no branches, same ends").
//!
//! The test reads `weekday-emergency-license.md`, parses its Mermaid block
//! into questions, yes/no edges and ends (the page's look-up steps between two
//! questions are followed through), and compares it, through an explicit
//! table from page node names to our node ids, with our graph after its scope
//! checks. If the seed file is absent, the test says so and passes.
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::{BTreeMap, BTreeSet};

use entitle_core::graph::GraphDescription;
use entitle_core::policies::WeekdayEmergency;
use entitle_core::policy::Registered;

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/seeds/weekday-emergency-license.md"
);

/// Page node name -> our node id, for every question and end of the page.
const PAGE_TO_OURS: &[(&str, &str)] = &[
    ("cdot", "cdot-account"),
    ("sub", "subscription-access"),
    ("sub_status", "seat-link-entry-today"),
    ("l&r", "engage-lr-sme"),
    ("all_good", "likely-resolved"),
];

/// Our questions before the flowchart: the page's Scope and Out of Scope
/// sections (and the weekday/weekend split of spec 3.3 step 1).
const SCOPE_CHECKS: &[&str] = &[
    "is-weekend",
    "customer-status",
    "license-active-or-in-grace",
    "grace-ended-outside-window",
];

// ---------------------------------------------------------------------------
// A small Mermaid flowchart parser
// ---------------------------------------------------------------------------

/// A flowchart as written: node texts and edges (with optional edge labels).
#[derive(Debug, Default)]
struct Flowchart {
    text: BTreeMap<String, String>,
    edges: Vec<(String, Option<String>, String)>,
}

/// The first ```` ```mermaid ```` block of a Markdown page.
fn mermaid_block(markdown: &str) -> &str {
    let start = markdown.find("```mermaid").expect("a mermaid block") + "```mermaid".len();
    let len = markdown[start..].find("```").expect("the block's end");
    &markdown[start..start + len]
}

/// Splits `id(text)`, `id[text]`, `id{text}`, `id("text")` or a bare `id`.
/// The page names a node `l&r`; `&` is taken as part of the name, as the page
/// means it.
fn node_ref(part: &str) -> (String, Option<String>) {
    let part = part.trim();
    let end = part.find(['(', '[', '{', '>']).unwrap_or(part.len());
    let id = part[..end].trim().to_owned();
    let shape = part[end..].trim();
    if shape.is_empty() {
        return (id, None);
    }
    let inner = shape
        .trim_start_matches(['(', '[', '{', '>'])
        .trim_end_matches([')', ']', '}'])
        .trim()
        .trim_matches('"');
    (id, Some(strip_tags(inner)))
}

fn strip_tags(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn parse(block: &str) -> Flowchart {
    let mut chart = Flowchart::default();
    let define = |chart: &mut Flowchart, part: &str| {
        let (id, text) = node_ref(part);
        if let Some(text) = text {
            chart.text.insert(id.clone(), text);
        }
        id
    };
    for line in block.lines().map(str::trim) {
        if line.is_empty()
            || line.starts_with("%%")
            || line.starts_with("flowchart")
            || line.starts_with("graph")
        {
            continue;
        }
        let mut parts = line.split("-->");
        let first = parts.next().unwrap_or_default();
        let mut from = define(&mut chart, first);
        for part in parts {
            // `-->|label| target`
            let (label, target) = match part.trim_start().strip_prefix('|') {
                Some(rest) => {
                    let close = rest.find('|').expect("an edge label's end");
                    (Some(rest[..close].trim().to_owned()), &rest[close + 1..])
                }
                None => (None, part),
            };
            let to = define(&mut chart, target);
            chart.edges.push((from, label, to.clone()));
            from = to;
        }
    }
    chart
}

/// The flowchart reduced to decisions: for each question, its yes and no
/// targets, each the next question or an end (look-up steps followed through).
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    /// Question -> (answer -> target), answers `yes`/`no`.
    questions: BTreeMap<String, BTreeMap<String, String>>,
    ends: BTreeSet<String>,
    /// The question no other question leads to.
    first: String,
    /// Look-up steps passed through, by the question or end they lead to.
    steps_before: BTreeMap<String, Vec<String>>,
}

fn shape(chart: &Flowchart) -> Shape {
    let answer_of = |id: &str| {
        chart
            .text
            .get(id)
            .map(|t| t.to_lowercase())
            .filter(|t| t == "yes" || t == "no")
    };
    let out = |id: &str| -> Vec<&(String, Option<String>, String)> {
        chart.edges.iter().filter(|(f, _, _)| f == id).collect()
    };
    // A question's answers: edges to a Yes/No node, or labelled edges.
    let mut raw: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (from, label, to) in &chart.edges {
        let answer = match (label, answer_of(to)) {
            (Some(label), _) => Some((label.to_lowercase(), to.clone())),
            (None, Some(answer)) => {
                let next = out(to);
                assert_eq!(next.len(), 1, "the answer node `{to}` leads to one node");
                Some((answer, next[0].2.clone()))
            }
            (None, None) => None,
        };
        if let Some((answer, target)) = answer {
            raw.entry(from.clone()).or_default().insert(answer, target);
        }
    }
    let mut steps_before: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut resolve = |mut at: String| {
        let mut steps = Vec::new();
        while !raw.contains_key(&at) {
            let next = out(&at);
            if next.is_empty() {
                break;
            }
            assert_eq!(next.len(), 1, "the step `{at}` leads to one node");
            steps.push(at.clone());
            at = next[0].2.clone();
        }
        if !steps.is_empty() {
            steps_before.insert(at.clone(), steps);
        }
        at
    };
    let questions: BTreeMap<String, BTreeMap<String, String>> = raw
        .iter()
        .map(|(q, answers)| {
            let answers = answers
                .iter()
                .map(|(a, t)| (a.clone(), resolve(t.clone())))
                .collect();
            (q.clone(), answers)
        })
        .collect();
    let targets: BTreeSet<&String> = questions.values().flat_map(|a| a.values()).collect();
    let ends = targets
        .iter()
        .filter(|t| !questions.contains_key(**t))
        .map(|t| (*t).clone())
        .collect();
    let first: Vec<&String> = questions.keys().filter(|q| !targets.contains(q)).collect();
    assert_eq!(first.len(), 1, "one first question: {first:?}");
    Shape {
        first: first[0].clone(),
        questions,
        ends,
        steps_before,
    }
}

// ---------------------------------------------------------------------------
// Our graph's part after the scope checks
// ---------------------------------------------------------------------------

/// Our questions reachable from `first`, with their answers' targets, and
/// the outcomes reached.
fn our_shape(
    graph: &GraphDescription,
    first: &str,
) -> (BTreeMap<String, BTreeMap<String, String>>, BTreeSet<String>) {
    let kind: BTreeMap<&str, &str> = graph
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.kind.as_str()))
        .collect();
    let mut questions = BTreeMap::new();
    let mut ends = BTreeSet::new();
    let mut todo = vec![first.to_owned()];
    while let Some(at) = todo.pop() {
        if kind[at.as_str()] == "outcome" {
            ends.insert(at);
            continue;
        }
        if questions.contains_key(&at) {
            continue;
        }
        let answers: BTreeMap<String, String> = graph
            .edges
            .iter()
            .filter(|e| e.from == at)
            .map(|e| (e.answer.clone().unwrap_or_default(), e.to.clone()))
            .collect();
        todo.extend(answers.values().cloned());
        questions.insert(at, answers);
    }
    (questions, ends)
}

fn ours(page: &str) -> String {
    PAGE_TO_OURS
        .iter()
        .find(|(p, _)| *p == page)
        .map(|(_, o)| (*o).to_owned())
        .unwrap_or_else(|| panic!("the page's node `{page}` is not in PAGE_TO_OURS"))
}

fn normalise(text: &str) -> String {
    text.to_lowercase().trim_end_matches(['?', '.']).to_owned()
}

#[test]
fn the_graph_has_the_shape_of_the_page_flowchart() {
    let Ok(markdown) = std::fs::read_to_string(SEED) else {
        super::skip::skip(
            &format!("the seed page {SEED} is absent"),
            "it is in the project's shared docs, next to the repository: `ls ../shared/seeds`",
        );
        return;
    };
    let chart = parse(mermaid_block(&markdown));
    let page = shape(&chart);

    // The page itself, as read: three yes/no questions and two ends.
    assert_eq!(page.first, "cdot");
    assert_eq!(
        page.questions.keys().collect::<Vec<_>>(),
        ["cdot", "sub", "sub_status"]
    );
    for answers in page.questions.values() {
        assert_eq!(answers.keys().collect::<Vec<_>>(), ["no", "yes"]);
    }
    assert_eq!(page.ends.iter().collect::<Vec<_>>(), ["all_good", "l&r"]);

    // The table maps every question and end of the page, and nothing else.
    let mapped: BTreeSet<&str> = PAGE_TO_OURS.iter().map(|(p, _)| *p).collect();
    let on_page: BTreeSet<&str> = page
        .questions
        .keys()
        .chain(&page.ends)
        .map(String::as_str)
        .collect();
    assert_eq!(mapped, on_page);

    let graph = WeekdayEmergency::graph().unwrap().describe();
    let (questions, ends) = our_shape(&graph, &ours(&page.first));

    // Same questions, same yes/no branches, same ends.
    let expected: BTreeMap<String, BTreeMap<String, String>> = page
        .questions
        .iter()
        .map(|(q, answers)| {
            let answers = answers.iter().map(|(a, t)| (a.clone(), ours(t))).collect();
            (ours(q), answers)
        })
        .collect();
    assert_eq!(questions, expected);
    assert_eq!(ends, page.ends.iter().map(|e| ours(e)).collect());

    // Asked as the page asks them; the ends say what the page says.
    let text: BTreeMap<&str, &str> = graph
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.text.as_str()))
        .collect();
    for (page_id, our_id) in PAGE_TO_OURS {
        let page_text = normalise(&chart.text[*page_id]);
        let our_text = normalise(text[our_id]);
        assert!(
            our_text.contains(&page_text),
            "`{our_id}` ({our_text:?}) does not ask/say the page's `{page_id}` ({page_text:?})"
        );
    }
    // The page's look-up steps before the Seat Link question are part of it.
    assert_eq!(
        page.steps_before.get("sub_status"),
        Some(&vec!["license".to_owned(), "seat_link".to_owned()])
    );
    let seat = text[ours("sub_status").as_str()];
    assert!(seat.contains("subscription number") && seat.contains("Seat Link"));

    // Before the flowchart: only the scope checks, which lead into its first
    // question when the ticket is in scope.
    let before: BTreeSet<&str> = graph
        .nodes
        .iter()
        .filter(|n| n.kind == "question" && !questions.contains_key(&n.id))
        .map(|n| n.id.as_str())
        .collect();
    assert_eq!(before, SCOPE_CHECKS.iter().copied().collect());
    let into_first: Vec<(&str, Option<&str>)> = graph
        .edges
        .iter()
        .filter(|e| e.to == ours(&page.first))
        .map(|e| (e.from.as_str(), e.answer.as_deref()))
        .collect();
    assert_eq!(into_first, [("grace-ended-outside-window", Some("no"))]);
}

#[test]
fn the_parser_reads_labelled_edges_and_chains() {
    let chart =
        parse("flowchart TD\n  a{Is it?} -->|Yes| b(Step)\n  b --> c[Done]\n  a -->|No| d[Stop]\n");
    let page = shape(&chart);
    assert_eq!(page.first, "a");
    assert_eq!(page.questions["a"]["yes"], "c");
    assert_eq!(page.questions["a"]["no"], "d");
    assert_eq!(page.steps_before["c"], ["b"]);
    assert_eq!(chart.text["a"], "Is it?");
}
