//! The checks [`GraphBuilder::build`](super::GraphBuilder::build) runs
//! before a graph is compiled: each problem is a [`GraphIssue`] naming the
//! node ids involved.

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;

use super::builder::{Pending, PendingEdge, PendingNode};
use super::{EdgeInfo, GraphIssue, NodeInfo, NodeKind};

/// Checks the nodes and edges added to a builder (with the problems already
/// found while adding them, `issues`) and returns the petgraph structure and
/// its root, or every problem found.
pub(super) fn validate<F, O, C>(
    nodes: &[PendingNode<F, O, C>],
    edges: &[PendingEdge],
    root: Option<&str>,
    mut issues: Vec<GraphIssue>,
) -> Result<(DiGraph<NodeInfo, EdgeInfo>, NodeIndex), Vec<GraphIssue>> {
    let Some(first) = nodes.first() else {
        issues.push(GraphIssue::NoRoot);
        return Err(issues);
    };

    let mut graph: DiGraph<NodeInfo, EdgeInfo> = DiGraph::with_capacity(nodes.len(), edges.len());
    let mut index_of: HashMap<String, NodeIndex> = HashMap::with_capacity(nodes.len());
    let mut reported_duplicates = BTreeSet::new();
    for node in nodes {
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
    check_answer_contracts(nodes, &mut issues);

    let root_id = root.map_or_else(|| first.info.id.clone(), str::to_owned);
    let root_index = index_of.get(&root_id).copied();
    if root_index.is_none() {
        issues.push(GraphIssue::UnknownRoot {
            id: root_id.clone(),
        });
    }

    // Edges: known endpoints, right answer type, at most one per answer.
    let mut taken: HashMap<(NodeIndex, usize), ()> = HashMap::new();
    let mut reported_dup_edges = BTreeSet::new();
    for edge in edges {
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
            NodeKind::Question { .. } | NodeKind::Subgraph { .. } => {}
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
            let mut nodes: Vec<String> = component.iter().map(|&n| graph[n].id.clone()).collect();
            nodes.sort();
            issues.push(GraphIssue::Cycle { nodes });
        }
    }

    if let Some(root) = root_index {
        let mut seen = HashSet::new();
        let mut dfs = Dfs::new(&graph, root);
        while let Some(n) = dfs.next(&graph) {
            seen.insert(n);
        }
        for index in graph.node_indices() {
            if !seen.contains(&index) {
                issues.push(GraphIssue::Unreachable {
                    node: graph[index].id.clone(),
                    root: root_id.clone(),
                });
            }
        }
    }

    match root_index {
        Some(root) if issues.is_empty() => Ok((graph, root)),
        _ => Err(issues),
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
