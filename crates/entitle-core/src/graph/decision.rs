//! The result of an evaluation: outcome, `stable_until` and trace.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One step of a decision's path: the question asked and the answer given,
/// or the step into an embedded graph. A decision's trace (in `entitle
/// decide`, the decision log and the HTTP answer) is these steps from the
/// root to the outcome, each as `node`, `question`, `answer` and `detail`.
// The schema keeps the name the service's OpenAPI document has always used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "TraceEntry")
)]
pub struct Step<'g> {
    /// The node's id.
    pub node: &'g str,
    /// The question's text (for a subgraph node, its description).
    pub question: &'g str,
    /// The answer's label (for a subgraph node, the embedded graph's name).
    pub answer: &'g str,
    /// What the question saw, if it describes it.
    pub detail: Option<String>,
    /// When this question's answer would change for the same facts (not in
    /// the JSON form: the decision's `stable_until` is).
    #[serde(skip)]
    pub changes_at: Option<DateTime<Utc>>,
    /// The node's index in the graph.
    #[serde(skip)]
    pub node_index: usize,
    /// The answer's index in its answer type.
    #[serde(skip)]
    pub answer_index: usize,
}

/// A decision with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision<'g, O> {
    /// The outcome decided.
    pub outcome: &'g O,
    /// The id of the outcome node reached.
    pub outcome_node: &'g str,
    /// The description of the outcome node reached.
    pub outcome_text: &'g str,
    /// The earliest instant after `now` at which the same facts would take
    /// another path, or `None` if no question on the path depends on time.
    pub stable_until: Option<DateTime<Utc>>,
    /// Every step from the root to the outcome.
    pub trace: Vec<Step<'g>>,
}
