//! What can be learnt about a policy without deciding: its structure, the
//! JSON Schema of its facts, and worked examples for every path (read from
//! the policy's built-in scenarios).

use chrono::SecondsFormat;
use serde::Serialize;

use crate::config::PolicyConfig;
use crate::graph::Context;
use crate::policy::{Outcome, PolicyError, PolicyVisitor, Registered};

/// A rendering of a policy's graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenderFormat {
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz DOT digraph.
    Dot,
    /// The structure as JSON (nodes, kinds, texts, edges with answers).
    Json,
}

/// Renders the graph of the policy `policy`.
pub fn render(policy: &str, format: RenderFormat) -> Result<String, PolicyError> {
    struct Render(RenderFormat);
    impl PolicyVisitor for Render {
        type Output = Result<String, PolicyError>;
        fn visit<P: Registered>(self) -> Self::Output {
            let graph = P::graph()?;
            Ok(match self.0 {
                RenderFormat::Mermaid => graph.to_mermaid(),
                RenderFormat::Dot => graph.to_dot(),
                // Cannot fail: a `GraphDescription` is strings, numbers
                // and lists (no map with non-string keys, no custom
                // `Serialize`); the `render_json` snapshots show every policy.
                RenderFormat::Json => {
                    serde_json::to_string_pretty(&graph.describe()).unwrap_or_default()
                }
            })
        }
    }
    crate::policies::visit(policy, Render(format))?
}

/// A rendering of a policy's graph with a decision's path drawn on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFormat {
    /// A Mermaid flowchart (`classDef taken`, `linkStyle`).
    Mermaid,
    /// A Graphviz DOT digraph (`color`, `penwidth`).
    Dot,
    /// A standalone SVG document, laid out by `layout-rs`.
    #[cfg(feature = "svg")]
    Svg,
}

/// The structure of the graph of the policy `policy`.
pub fn describe(policy: &str) -> Result<crate::graph::GraphDescription, PolicyError> {
    struct Describe;
    impl PolicyVisitor for Describe {
        type Output = Result<crate::graph::GraphDescription, PolicyError>;
        fn visit<P: Registered>(self) -> Self::Output {
            Ok(P::graph()?.describe())
        }
    }
    crate::policies::visit(policy, Describe)?
}

/// Renders the graph of the policy `policy` with the path `steps` took
/// (node id, answer label: a report's trace) highlighted.
pub fn render_path<'a>(
    policy: &str,
    format: PathFormat,
    steps: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String, PolicyError> {
    struct Render<I>(PathFormat, I);
    impl<'a, I: IntoIterator<Item = (&'a str, &'a str)>> PolicyVisitor for Render<I> {
        type Output = Result<String, PolicyError>;
        fn visit<P: Registered>(self) -> Self::Output {
            let graph = P::graph()?;
            let description = graph.describe();
            let path = description.path_of(self.1);
            Ok(match self.0 {
                PathFormat::Mermaid => graph.to_mermaid_with(&path),
                PathFormat::Dot => graph.to_dot_with(&path),
                #[cfg(feature = "svg")]
                PathFormat::Svg => {
                    crate::svg::graph_svg(&description, &path, crate::svg::SvgTarget::Document)
                }
            })
        }
    }
    crate::policies::visit(policy, Render(format, steps))?
}

/// The JSON Schema of the facts of the policy `policy`.
pub fn schema(policy: &str) -> Result<serde_json::Value, PolicyError> {
    struct Schema;
    impl PolicyVisitor for Schema {
        type Output = serde_json::Value;
        fn visit<P: Registered>(self) -> Self::Output {
            schemars::schema_for!(P::Facts).to_value()
        }
    }
    crate::policies::visit(policy, Schema)
}

/// A worked example that takes one root-to-outcome path.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ExampleReport {
    /// The path, as `node=answer` steps.
    pub path: Vec<String>,
    /// The outcome id the path ends at.
    pub outcome: &'static str,
    /// The instant to decide at (`--now`).
    pub now: String,
    /// The facts document.
    pub facts: serde_json::Value,
}

/// One example per root-to-outcome path of the policy `policy`, in the
/// order of [`DecisionGraph::paths`](crate::graph::DecisionGraph::paths):
/// for each path, the first scenario of the policy's built-in scenario file
/// (see [`scenario::examples`](crate::scenario::examples)) without
/// configuration overrides that takes it, evaluated under the default
/// configuration. The inner error lists what is wrong with the built-in
/// examples: the scenario file's error, or each path no example takes.
pub fn examples(policy: &str) -> Result<Result<Vec<ExampleReport>, Vec<String>>, PolicyError> {
    struct Examples;
    impl PolicyVisitor for Examples {
        type Output = Result<Result<Vec<ExampleReport>, Vec<String>>, PolicyError>;
        fn visit<P: Registered>(self) -> Self::Output {
            let graph = P::graph()?;
            let config = PolicyConfig::default();
            let examples = match crate::scenario::examples::<P>() {
                Ok(examples) => examples,
                Err(error) => return Ok(Err(vec![error.to_string()])),
            };
            let mut evaluated = Vec::new();
            for example in examples.iter().filter(|e| e.config.is_empty()) {
                let decision =
                    graph.evaluate(&example.facts, &Context::new(example.now, &config))?;
                let path: Vec<String> = decision
                    .trace
                    .iter()
                    .map(|s| format!("{}={}", s.node, s.answer))
                    .collect();
                evaluated.push((path, decision.outcome.id(), example));
            }
            let mut reports = Vec::new();
            let mut missing = Vec::new();
            for path in graph.paths() {
                let wanted: Vec<String> = path
                    .steps
                    .iter()
                    .map(|s| format!("{}={}", s.node, s.answer))
                    .collect();
                match evaluated.iter().find(|(p, _, _)| *p == wanted) {
                    Some((path, outcome, example)) => match serde_json::to_value(&example.facts) {
                        Ok(facts) => reports.push(ExampleReport {
                            path: path.clone(),
                            outcome,
                            now: example.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                            facts,
                        }),
                        Err(error) => missing.push(format!("{}: {error}", example.name)),
                    },
                    None => missing.push(format!("{} -> {}", wanted.join(", "), path.outcome)),
                }
            }
            Ok(if missing.is_empty() {
                Ok(reports)
            } else {
                Err(missing)
            })
        }
    }
    crate::policies::visit(policy, Examples)?
}
