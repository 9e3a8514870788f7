//! Renderings of a graph: Mermaid, Graphviz DOT and a serialisable
//! description. All are deterministic: the same graph gives the same bytes.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt::Write as _;

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};

use super::{DecisionGraph, NodeKind};

/// A node of a [`GraphDescription`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NodeDescription {
    /// The node's id.
    pub id: String,
    /// `question`, `outcome` or `subgraph`.
    pub kind: String,
    /// The question, the outcome's description, or the hand-over's.
    pub text: String,
    /// A question's answer labels, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// The embedded graph's name, for a subgraph node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
    /// The subgraph node this node was embedded through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// An edge of a [`GraphDescription`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EdgeDescription {
    /// The source id.
    pub from: String,
    /// The target id.
    pub to: String,
    /// The answer label; `null` for a subgraph node's edge.
    pub answer: Option<String>,
}

/// The structure of a graph as plain data, for JSON and other tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct GraphDescription {
    /// The graph's name.
    pub name: String,
    /// The root's id.
    pub root: String,
    /// Every node, in declaration order.
    pub nodes: Vec<NodeDescription>,
    /// Every edge, by source node and answer order.
    pub edges: Vec<EdgeDescription>,
}

/// The part of a graph one decision walked: the nodes it passed through
/// (the outcome reached included) and the edges it took, by node id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PathTaken {
    /// The ids of the nodes walked, the outcome last reached included.
    pub nodes: BTreeSet<String>,
    /// The edges taken, as `(from, to)` node ids.
    pub edges: BTreeSet<(String, String)>,
}

impl PathTaken {
    /// Whether the node `id` was walked.
    pub fn has_node(&self, id: &str) -> bool {
        self.nodes.contains(id)
    }

    /// Whether the edge `from -> to` was taken.
    pub fn has_edge(&self, from: &str, to: &str) -> bool {
        self.edges.iter().any(|(f, t)| f == from && t == to)
    }
}

impl GraphDescription {
    /// The path a trace took: each step is a node id and the label of the
    /// answer given there (for a sub-graph hand-over, the embedded graph's
    /// name). Steps that name no node of this graph are left out, so a
    /// trace logged under an older version never fails to render.
    pub fn path_of<'a>(&self, steps: impl IntoIterator<Item = (&'a str, &'a str)>) -> PathTaken {
        let mut path = PathTaken::default();
        for (node, answer) in steps {
            let Some(info) = self.nodes.iter().find(|n| n.id == node) else {
                continue;
            };
            path.nodes.insert(info.id.clone());
            let hand_over = info.kind == "subgraph";
            let edge = self.edges.iter().find(|e| {
                e.from == node
                    && match &e.answer {
                        Some(label) => !hand_over && label == answer,
                        None => hand_over,
                    }
            });
            if let Some(edge) = edge {
                path.nodes.insert(edge.to.clone());
                path.edges.insert((edge.from.clone(), edge.to.clone()));
            }
        }
        path
    }
}

/// The colour a walked node or edge is drawn in (a thicker amber line), in
/// every rendering of a path.
pub const TAKEN_COLOUR: &str = "#b45309";

impl<F, O, C> DecisionGraph<F, O, C> {
    /// Edges sorted by source node, then answer.
    fn sorted_edges(&self) -> Vec<(NodeIndex, NodeIndex, &'static str)> {
        let graph = self.petgraph();
        let mut edges: Vec<_> = graph
            .edge_references()
            .map(|e| {
                (
                    e.source(),
                    e.weight().answer_index,
                    e.target(),
                    e.weight().label,
                )
            })
            .collect();
        edges.sort_by_key(|&(s, a, _, _)| (s.index(), a));
        edges.into_iter().map(|(s, _, t, l)| (s, t, l)).collect()
    }

    /// The structure as plain, serialisable data.
    pub fn describe(&self) -> GraphDescription {
        let graph = self.petgraph();
        let nodes = graph
            .node_indices()
            .map(|n| {
                let info = &graph[n];
                let (answers, embedded) = match &info.kind {
                    NodeKind::Question { answers, .. } => {
                        (answers.iter().map(|a| (*a).to_owned()).collect(), None)
                    }
                    NodeKind::Subgraph { graph } => (Vec::new(), Some(graph.clone())),
                    NodeKind::Outcome => (Vec::new(), None),
                };
                NodeDescription {
                    id: info.id.clone(),
                    kind: info.kind_name().to_owned(),
                    text: info.text.clone(),
                    answers,
                    graph: embedded,
                    group: info.group.clone(),
                }
            })
            .collect();
        let edges = self
            .sorted_edges()
            .into_iter()
            .map(|(s, t, label)| EdgeDescription {
                from: graph[s].id.clone(),
                to: graph[t].id.clone(),
                answer: (!label.is_empty()).then(|| label.to_owned()),
            })
            .collect();
        GraphDescription {
            name: self.name().to_owned(),
            root: self.root_id().to_owned(),
            nodes,
            edges,
        }
    }

    /// A Mermaid flowchart: questions as diamonds, outcomes as stadiums,
    /// embedded graphs as subgraph blocks.
    pub fn to_mermaid(&self) -> String {
        self.to_mermaid_with(&PathTaken::default())
    }

    /// [`to_mermaid`](Self::to_mermaid) with the nodes and edges of `path`
    /// drawn in a thicker amber line (class `taken`, `linkStyle`).
    pub fn to_mermaid_with(&self, path: &PathTaken) -> String {
        let graph = self.petgraph();
        let ids = mermaid_ids(graph.node_indices().map(|n| graph[n].id.as_str()));
        let mut out = String::from("flowchart TD\n");
        let groups = self.groups();
        self.mermaid_group(None, &groups, &ids, 1, &mut out);
        let mut taken_links = Vec::new();
        let mut link = 0usize;
        for (s, t, label) in self.sorted_edges() {
            let taken = path.has_edge(&graph[s].id, &graph[t].id);
            // `ids` has one entry per node, in node order.
            let (Some(s), Some(t)) = (ids.get(s.index()), ids.get(t.index())) else {
                continue;
            };
            if label.is_empty() {
                let _ = writeln!(out, "    {s} --> {t}");
            } else {
                let _ = writeln!(out, "    {s} -->|{}| {t}", mermaid_text(label));
            }
            if taken {
                taken_links.push(link.to_string());
            }
            link += 1;
        }
        let taken_nodes: Vec<&str> = graph
            .node_indices()
            .filter(|n| path.has_node(&graph[*n].id))
            .filter_map(|n| ids.get(n.index()).map(String::as_str))
            .collect();
        if !taken_nodes.is_empty() {
            let _ = writeln!(
                out,
                "    classDef taken stroke:{TAKEN_COLOUR},stroke-width:3px;"
            );
            let _ = writeln!(out, "    class {} taken;", taken_nodes.join(","));
        }
        if !taken_links.is_empty() {
            let _ = writeln!(
                out,
                "    linkStyle {} stroke:{TAKEN_COLOUR},stroke-width:3px;",
                taken_links.join(",")
            );
        }
        out
    }

    /// Nodes by group, in node order.
    fn groups(&self) -> BTreeMap<Option<&str>, Vec<NodeIndex>> {
        let graph = self.petgraph();
        let mut groups: BTreeMap<Option<&str>, Vec<NodeIndex>> = BTreeMap::new();
        for n in graph.node_indices() {
            groups.entry(graph[n].group.as_deref()).or_default().push(n);
        }
        groups
    }

    fn mermaid_group(
        &self,
        group: Option<&str>,
        groups: &BTreeMap<Option<&str>, Vec<NodeIndex>>,
        ids: &[String],
        indent: usize,
        out: &mut String,
    ) {
        let graph = self.petgraph();
        let pad = "    ".repeat(indent);
        for &n in groups.get(&group).map(Vec::as_slice).unwrap_or_default() {
            let info = &graph[n];
            let Some(id) = ids.get(n.index()) else {
                continue;
            };
            let text = mermaid_text(&info.text);
            let _ = match info.kind {
                NodeKind::Question { .. } => writeln!(out, "{pad}{id}{{\"{text}\"}}"),
                NodeKind::Outcome => writeln!(out, "{pad}{id}([\"{text}\"])"),
                NodeKind::Subgraph { .. } => writeln!(out, "{pad}{id}[[\"{text}\"]]"),
            };
            if let NodeKind::Subgraph { graph: name } = &info.kind {
                if groups.contains_key(&Some(info.id.as_str())) {
                    // Node ids all start with `n_`, so a `g_` block id never clashes with one.
                    let block = id.replacen("n_", "g_", 1);
                    let _ = writeln!(out, "{pad}subgraph {block} [\"{}\"]", mermaid_text(name));
                    self.mermaid_group(Some(&info.id), groups, ids, indent + 1, out);
                    let _ = writeln!(out, "{pad}end");
                }
            }
        }
    }

    /// A Graphviz DOT digraph: questions as diamonds, outcomes as rounded
    /// boxes, embedded graphs as clusters.
    pub fn to_dot(&self) -> String {
        self.to_dot_with(&PathTaken::default())
    }

    /// [`to_dot`](Self::to_dot) with the nodes and edges of `path` drawn in
    /// a thicker amber line.
    pub fn to_dot_with(&self, path: &PathTaken) -> String {
        let mut out = format!("digraph {} {{\n    rankdir=TB;\n", dot_quote(self.name()));
        let groups = self.groups();
        self.dot_group(None, &groups, path, 1, &mut out);
        let graph = self.petgraph();
        for (s, t, label) in self.sorted_edges() {
            let taken = if path.has_edge(&graph[s].id, &graph[t].id) {
                format!(", color=\"{TAKEN_COLOUR}\", penwidth=3")
            } else {
                String::new()
            };
            let (s, t) = (dot_quote(&graph[s].id), dot_quote(&graph[t].id));
            if label.is_empty() && taken.is_empty() {
                let _ = writeln!(out, "    {s} -> {t};");
            } else if label.is_empty() {
                let _ = writeln!(out, "    {s} -> {t} [{}];", taken.trim_start_matches(", "));
            } else {
                let _ = writeln!(out, "    {s} -> {t} [label={}{taken}];", dot_quote(label));
            }
        }
        out.push_str("}\n");
        out
    }

    fn dot_group(
        &self,
        group: Option<&str>,
        groups: &BTreeMap<Option<&str>, Vec<NodeIndex>>,
        path: &PathTaken,
        indent: usize,
        out: &mut String,
    ) {
        let graph = self.petgraph();
        let pad = "    ".repeat(indent);
        for &n in groups.get(&group).map(Vec::as_slice).unwrap_or_default() {
            let info = &graph[n];
            let taken = if path.has_node(&info.id) {
                format!(", color=\"{TAKEN_COLOUR}\", penwidth=3")
            } else {
                String::new()
            };
            let shape = match info.kind {
                NodeKind::Question { .. } => "diamond",
                NodeKind::Outcome => "box, style=rounded",
                NodeKind::Subgraph { .. } => "box, peripheries=2",
            };
            let _ = writeln!(
                out,
                "{pad}{} [label={}, shape={shape}{taken}];",
                dot_quote(&info.id),
                dot_quote(&info.text)
            );
            if let NodeKind::Subgraph { graph: name } = &info.kind {
                if groups.contains_key(&Some(info.id.as_str())) {
                    let _ = writeln!(
                        out,
                        "{pad}subgraph {} {{",
                        dot_quote(&format!("cluster_{}", info.id))
                    );
                    let _ = writeln!(out, "{pad}    label={};", dot_quote(name));
                    self.dot_group(Some(&info.id), groups, path, indent + 1, out);
                    let _ = writeln!(out, "{pad}}}");
                }
            }
        }
    }
}

/// Mermaid-safe, unique identifiers: letters, digits and `_` only, and never
/// a bare keyword such as `end`.
fn mermaid_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut used = HashSet::new();
    ids.map(|id| {
        let base: String = id
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let base = format!("n_{base}");
        let mut candidate = base.clone();
        let mut k = 2;
        while !used.insert(candidate.clone()) {
            candidate = format!("{base}_{k}");
            k += 1;
        }
        candidate
    })
    .collect()
}

/// Text inside a quoted Mermaid label.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A DOT quoted string.
fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
