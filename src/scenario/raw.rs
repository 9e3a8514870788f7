//! The scenario file format as written: what `entitle schema --scenario`
//! describes, and what the loader reads each entry as.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// A scenario file as written (the JSON Schema is derived from it).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "entitle scenario file")]
#[expect(
    dead_code,
    reason = "read only through the derived JSON Schema; the loader reads each entry by itself"
)]
pub(crate) struct RawFile {
    /// The scenarios, each with a name unique within the file.
    #[serde(default)]
    pub scenario: Vec<RawScenario>,
    /// Named bases a scenario or a table `extends`: any keys of a scenario
    /// but `name`, `expect` and `skip` (`policy`, `now`, `facts`,
    /// `config`), and `extends`/`remove` themselves.
    #[serde(default)]
    pub template: BTreeMap<String, RawTemplate>,
    /// Tables: one base, many rows of (changes, expectation), each row a
    /// test named `TABLE: ROW`.
    #[serde(default)]
    pub table: Vec<RawTable>,
}

/// A named base of scenarios.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "read only through the derived JSON Schema")]
pub(crate) struct RawTemplate {
    /// Another template this one changes.
    pub extends: Option<String>,
    /// Dotted key paths to delete after merging (`facts.license.trial`).
    #[serde(default)]
    pub remove: Vec<String>,
    /// The policy id.
    pub policy: Option<String>,
    /// The instant to decide at.
    pub now: Option<String>,
    /// Facts (deep-merged over the template's).
    #[serde(default)]
    pub facts: Map<String, Value>,
    /// Configuration overrides (deep-merged over the template's).
    #[serde(default)]
    pub config: Map<String, Value>,
}

/// A table: a base and its rows.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "read only through the derived JSON Schema")]
pub(crate) struct RawTable {
    /// The table's name, the first half of each row's test name.
    pub name: String,
    /// The template the base extends.
    pub extends: Option<String>,
    /// Dotted key paths the base deletes.
    #[serde(default)]
    pub remove: Vec<String>,
    /// The policy id, for every row.
    pub policy: Option<String>,
    /// The instant, for every row (a row may give its own).
    pub now: Option<String>,
    /// Facts every row starts from.
    #[serde(default)]
    pub facts: Map<String, Value>,
    /// Configuration overrides every row starts from.
    #[serde(default)]
    pub config: Map<String, Value>,
    /// Skip every row, with this reason.
    pub skip: Option<String>,
    /// The rows: each any keys of a scenario (its changes to the base) and
    /// its `expect`; `name` (else `row N`) is the second half of the
    /// test's name.
    pub rows: Vec<Map<String, Value>>,
}

/// One scenario as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    /// A name, unique within the file, shown when the scenario fails.
    pub name: String,
    /// A template (`[template.NAME]`) this scenario changes: the template
    /// deep-merged with the scenario's keys.
    #[serde(default)]
    #[expect(dead_code, reason = "applied before the entry is read")]
    pub extends: Option<String>,
    /// Dotted key paths to delete after merging the template
    /// (`["facts.screenshots.license_page"]`).
    #[serde(default)]
    #[expect(dead_code, reason = "applied before the entry is read")]
    pub remove: Vec<String>,
    /// Do not run the scenario; the reason is reported.
    #[serde(default)]
    pub skip: Option<String>,
    /// The policy id (`entitle policies` lists them); required, here or
    /// in the template the scenario extends.
    #[serde(default)]
    pub policy: String,
    /// The instant to decide at, RFC 3339 (`2026-11-23T10:00:00Z`);
    /// required, here or in the template the scenario extends.
    #[serde(default)]
    pub now: String,
    /// The facts, as `entitle decide` reads them (`entitle schema POLICY`).
    /// A string value `now - 17 days` (days or weeks: a date; hours,
    /// minutes or seconds: an instant) is relative to `now`.
    #[serde(default)]
    pub facts: Option<Map<String, Value>>,
    /// The facts as raw text instead (for input that is no table: invalid
    /// JSON, for an expected refusal).
    #[serde(default)]
    pub raw_facts: Option<String>,
    /// The facts as a file next to the scenario file, read as bytes (for
    /// input that is not even UTF-8).
    #[serde(default)]
    pub facts_file: Option<String>,
    /// Configuration keys that override the base configuration
    /// (`grace_period_days`, `timezone`, ...).
    #[serde(default)]
    pub config: Map<String, Value>,
    /// What the decision must be.
    pub expect: RawExpect,
}

/// The expectation as written: an `outcome` (with optional checks of the
/// decision), or an `error` (the input must be refused).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    /// The outcome id.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The input must be refused: at this field, with a message holding
    /// this fragment.
    #[serde(default)]
    pub error: Option<RawRefusal>,
    /// A subset of the outcome's details by key, each equal (`actions` by
    /// action ids, in order).
    #[serde(default)]
    pub details: Map<String, Value>,
    /// Detail keys the decision must not have (`["reviewer"]`).
    #[serde(default)]
    pub absent: Vec<String>,
    /// Detail keys whose value, as text, must contain a fragment
    /// (`{ email = "@example.com" }`).
    #[serde(default)]
    pub contains: BTreeMap<String, String>,
    /// List details equal to a set: the same members, order ignored
    /// (`{ missing = ["license_page", "admin_dashboard"] }`).
    #[serde(default)]
    pub sets: BTreeMap<String, Vec<Value>>,
    /// The actions, partly: ids among them, ids not among them, and
    /// fragments of an action's text.
    #[serde(default)]
    pub actions: Option<RawActions>,
    /// When the decision changes (RFC 3339), or `"never"`.
    #[serde(default)]
    pub stable_until: Option<String>,
    /// The whole path from the root, as `node=answer` steps.
    #[serde(default)]
    pub path: Option<Vec<String>>,
}

/// An expected refusal.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRefusal {
    /// The dotted path of the refused field, as `entitle decide` names it
    /// (`license.expires_on`); leave it out for input refused as a whole
    /// (not JSON, not an object).
    #[serde(default)]
    pub field: Option<String>,
    /// A fragment of the refusal's message (`no such day`).
    pub message: String,
}

/// Partial expectations on the actions.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawActions {
    /// Action ids that must be among the decision's actions.
    #[serde(default)]
    pub include: Vec<String>,
    /// Action ids that must not be among them.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Action id to a fragment its text must contain.
    #[serde(default)]
    pub text: BTreeMap<String, String>,
}
