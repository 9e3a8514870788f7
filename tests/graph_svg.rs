//! The graph drawn for a decision highlights exactly the path it took: for
//! every policy and every built-in example, the SVG's walked nodes are the
//! example's path plus the outcome it reached, and its walked edges join
//! them in order. One snapshot per policy pins the paths as drawn.

use std::fmt::Write as _;

use entitle::svg::{SvgTarget, graph_svg};

/// The values of `attribute` on the elements whose class starts `class`.
fn marked(svg: &str, class: &str, attributes: &[&str]) -> Vec<Vec<String>> {
    let needle = format!("class=\"{class}");
    svg.match_indices(&needle)
        .map(|(at, _)| {
            let rest = svg.get(at..).unwrap_or_default();
            let tag = rest.split('>').next().unwrap_or_default();
            attributes
                .iter()
                .map(|name| {
                    let key = format!("{name}=\"");
                    tag.split(&key)
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_policys_graph_highlights_each_examples_path() {
    let config = entitle::config::PolicyConfig::default();
    for policy in entitle::policies::POLICIES {
        let description = entitle::describe(policy.id).unwrap();
        let mut snapshot = String::new();
        for example in entitle::examples(policy.id).unwrap().unwrap() {
            let now = example.now.parse().unwrap();
            let facts = serde_json::to_vec(&example.facts).unwrap();
            let report = entitle::decide_json(policy.id, &facts, now, &config).unwrap();
            let path = description.path_of(report.trace.iter().map(|s| (s.node, s.answer)));
            let svg = graph_svg(&description, &path, SvgTarget::Inline);
            assert!(svg.starts_with("<svg"), "{svg:.80}");
            assert!(!svg.contains("<style"), "no style element inline");

            let nodes: Vec<String> = marked(&svg, "node taken", &["data-node"])
                .into_iter()
                .flatten()
                .collect();
            // An edge with a label is drawn in two segments (to the label,
            // from it), both marked with the edge's ends.
            let mut edges: Vec<(String, String)> =
                marked(&svg, "edge taken", &["data-from", "data-to"])
                    .into_iter()
                    .map(|pair| (pair[0].clone(), pair[1].clone()))
                    .collect();
            edges.dedup();

            // The example's own path (`node=answer` steps) names the
            // questions walked; one more node, the outcome, ends it.
            let asked: Vec<&str> = example
                .path
                .iter()
                .map(|step| step.split_once('=').unwrap().0)
                .collect();
            for node in &asked {
                assert!(
                    nodes.iter().any(|n| n == node),
                    "{}: {node} not highlighted",
                    policy.id
                );
            }
            assert_eq!(nodes.len(), asked.len() + 1, "{}: {nodes:?}", policy.id);
            let outcome = nodes.iter().find(|n| !asked.contains(&n.as_str())).unwrap();
            assert!(
                outcome == example.outcome || outcome.ends_with(&format!("/{}", example.outcome)),
                "{}: reached {outcome}, the example says {}",
                policy.id,
                example.outcome
            );
            // One edge per step, each from a step's node to the next one.
            assert_eq!(edges.len(), asked.len(), "{}: {edges:?}", policy.id);
            for (i, node) in asked.iter().enumerate() {
                let next = asked.get(i + 1).copied().unwrap_or(outcome);
                assert!(
                    edges.iter().any(|(f, t)| f == node && t == next),
                    "{}: no highlighted edge {node} -> {next}: {edges:?}",
                    policy.id
                );
            }
            let _ = writeln!(snapshot, "{}:", example.outcome);
            let _ = writeln!(snapshot, "  nodes: {}", nodes.join(", "));
            let edges: Vec<String> = edges.iter().map(|(f, t)| format!("{f} -> {t}")).collect();
            let _ = writeln!(snapshot, "  edges: {}", edges.join(", "));
        }
        insta::assert_snapshot!(format!("graph_svg_path_{}", policy.id), snapshot);
    }
}
