//! Scenarios: a policy decision written down as data, with what it must be.
//!
//! A scenario names a policy, the instant `now`, the facts, optional
//! configuration overrides, and the expectation: the outcome and, if given, a
//! subset of the outcome's `details`, `stable_until` (an instant, or
//! `"never"`) and the whole path as `node=answer` steps; or the refusal
//! (`expect.error`). Files hold many named scenarios, in TOML or JSON (the
//! same shape, see [`json_schema`]):
//!
//! ```toml
//! [template.premium]                          # a base scenarios extend
//! policy = "license-status"
//! now = 2026-11-23T10:00:00Z
//! facts = { license = { plan = "premium", trial = false, starts_on = "now - 52 weeks", expires_on = "now + 30 days", users = 50 } }
//!
//! [[scenario]]
//! name = "a renewal that starts next week"
//! extends = "premium"                         # deep merge, then `remove`
//! config = { timezone = "Europe/Berlin" }     # optional overrides
//! facts = { license = { starts_on = 2026-12-01, expires_on = 2027-12-01 } }
//!
//! [scenario.expect]
//! outcome = "not-started"
//! stable_until = "2026-11-30T23:00:00Z"      # optional; or "never"
//! path = ["has-started=no"]                  # optional: every step
//! details = { days_remaining = 8 }           # optional subset, each exact
//! absent = ["reviewer"]                      # optional: detail keys not there
//! # also: contains, sets, actions = { include, exclude, text }
//!
//! [[scenario]]
//! name = "a date that does not exist"
//! extends = "premium"
//! facts = { license = { expires_on = "2026-11-31" } }
//! expect.error = { field = "license.expires_on", message = "no such day" }
//!
//! [[table]]                                   # one base, a test per row
//! name = "grace period"
//! extends = "premium"
//! rows = [{ name = "expired 14 days ago", facts = { license = { expires_on = "now - 14 days" } }, expect = { outcome = "grace-ended-recently" } }]
//! ```
//!
//! A configuration override may carry a monitoring schedule
//! (`config.monitoring_schedule`, a table of `YYYY-MM-DD = "engineer"`),
//! for the `reviewer` of `provision-failure`.
//!
//! Loading checks everything that does not need a decision: the shape, the
//! policy id, the instant, the facts against the policy's facts type (a date
//! typo is an error naming `facts.license.expires_on`), the overrides
//! against [`PolicyConfig`](crate::config::PolicyConfig), the outcome id,
//! the detail keys and every path step against the policy's graph. Any of
//! these is a [`ScenarioError`] naming the file, the line and column in the
//! file as written, the scenario and the field, never a failed scenario;
//! [`load_paths_all`] goes on past it, a [`LoadedFile`] per file.
//! [`run`](run::run) then decides a scenario through the JSON boundary
//! ([`crate::decide_json`]) and lists the [`Mismatch`](run::Mismatch)es;
//! [`coverage`](coverage::coverage) reports the edges and outcomes of each
//! policy that no scenario took; [`save`] turns logged decisions into
//! scenarios.
//!
//! The policies' own worked examples are the built-in [`corpus`]: one file
//! per policy; [`examples`] reads one policy's file with typed facts.

mod check;
pub mod corpus;
pub mod coverage;
mod examples;
mod load;
mod raw;
mod relative;
pub mod run;
pub mod save;
mod shape;
mod source;
mod template;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

pub use examples::{Example, examples, examples_in};
pub(crate) use load::merge_config;
pub use load::{
    MAX_SCENARIO_FILE, MAX_SCENARIO_FILES, MAX_WALK_DEPTH, ScenarioFormat, json_schema, load_file,
    load_file_all, load_paths, load_paths_all, load_str, load_str_all, scenario_files,
};
pub use shape::{PolicyShape, policy_shape, qualified_outcome};
pub use source::Position;

/// The keys of [`Details`](crate::policy::Details) a scenario may expect, as
/// they appear in a decision's JSON. `actions` is compared by the actions'
/// ids (`actions = ["email-license"]`).
pub const DETAIL_KEYS: &[&str] = &[
    "plan",
    "users",
    "days",
    "email",
    "starts_on",
    "expires_on",
    "grace_ends_on",
    "days_remaining",
    "days_since",
    "review_on",
    "reviewer",
    "missing",
    "internal_request",
    "actions",
];

/// One checked scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it was read from (as given to the loader).
    pub file: String,
    /// Its name, unique within the file (`TABLE: ROW` for a table's row).
    pub name: String,
    /// The policy id.
    pub policy: &'static str,
    /// The instant to decide at.
    pub now: DateTime<Utc>,
    /// The facts document (checked against the policy's facts type unless
    /// the scenario expects a refusal); `Null` when the facts are raw.
    pub facts: Value,
    /// The facts as raw bytes (`raw_facts`, `facts_file`), decided as
    /// they are.
    pub raw_facts: Option<Vec<u8>>,
    /// Configuration keys that override the base configuration.
    pub config: Map<String, Value>,
    /// What the decision must be.
    pub expect: Expect,
}

impl Scenario {
    /// The name that is unique across a run: the file's stem and the
    /// scenario's name (`team/Saturday emergency`).
    pub fn id(&self) -> String {
        format!("{}/{}", file_stem(&self.file), self.name)
    }

    /// The facts as `entitle decide` reads them: the raw bytes, or the
    /// document as JSON.
    pub fn facts_bytes(&self) -> Vec<u8> {
        match &self.raw_facts {
            Some(raw) => raw.clone(),
            // A `Value` always serialises (its keys are strings).
            None => self.facts.to_string().into_bytes(),
        }
    }
}

/// The stem of a scenario file's name (`team` for `a/team.toml`).
pub(crate) fn file_stem(file: &str) -> &str {
    std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
}

/// A scenario marked `skip = "reason"`: read, not checked, not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// The scenario's name.
    pub name: String,
    /// Why it is skipped.
    pub reason: String,
}

/// Everything one scenario file gave: its scenarios, the ones marked
/// skipped, and an error for each scenario that cannot be used (or one for
/// the whole file, when it cannot be read).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadedFile {
    /// The file.
    pub file: String,
    /// The scenarios that loaded.
    pub scenarios: Vec<Scenario>,
    /// The scenarios marked skipped.
    pub skipped: Vec<Skipped>,
    /// One per scenario that cannot be used.
    pub errors: Vec<ScenarioError>,
}

/// What a scenario expects: a decision (`outcome` and optional checks) or
/// a refusal (`error`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expect {
    /// The outcome id (`None` when a refusal is expected).
    pub outcome: Option<String>,
    /// The refusal expected instead of a decision.
    pub error: Option<Refusal>,
    /// A subset of the details, by key (see [`DETAIL_KEYS`]), each equal.
    pub details: BTreeMap<String, Value>,
    /// Detail keys the decision must not have.
    pub absent: Vec<String>,
    /// Detail keys whose value, as text, must contain a fragment.
    pub contains: BTreeMap<String, String>,
    /// List details that must equal a set (order ignored).
    pub sets: BTreeMap<String, Vec<Value>>,
    /// Partial expectations on the actions.
    pub actions: ActionsExpect,
    /// `stable_until`, if the scenario states it.
    pub stable_until: Option<StableUntil>,
    /// The whole path as `node=answer` steps, if the scenario states it.
    pub path: Option<Vec<String>>,
}

/// An expected refusal: the field (as `entitle decide` names it) and a
/// fragment of the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The refused field's dotted path; `None` for input refused whole.
    pub field: Option<String>,
    /// A fragment the refusal's message contains.
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "refused at `{field}` with {:?}", self.message),
            None => write!(f, "refused with {:?}", self.message),
        }
    }
}

/// Partial expectations on a decision's actions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionsExpect {
    /// Ids that must be among the actions.
    pub include: Vec<String>,
    /// Ids that must not be.
    pub exclude: Vec<String>,
    /// Id to a fragment that action's text must contain.
    pub text: BTreeMap<String, String>,
}

/// An expected `stable_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StableUntil {
    /// The decision does not change with time (`"never"`).
    Never,
    /// The decision changes at this instant.
    At(DateTime<Utc>),
}

impl StableUntil {
    /// As a decision reports it.
    pub fn as_option(self) -> Option<DateTime<Utc>> {
        match self {
            StableUntil::Never => None,
            StableUntil::At(t) => Some(t),
        }
    }
}

impl std::fmt::Display for StableUntil {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StableUntil::Never => f.write_str("never"),
            StableUntil::At(t) => f.write_str(&rfc3339(*t)),
        }
    }
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A scenario file, or a scenario in it, that cannot be used.
///
/// Displays as one line: `FILE:LINE:COLUMN: scenario "NAME": field
/// `FIELD`: PROBLEM` (the line and column in the file as written, when
/// known).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}{}: {}{}{problem}",
    at.map(|p| format!(":{p}")).unwrap_or_default(),
    scenario.as_deref().map(|s| format!("scenario {s:?}: ")).unwrap_or_default(),
    field.as_deref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// Where in the file, when known.
    pub at: Option<Position>,
    /// The scenario's name (or `#N`, its position, when it has no name).
    pub scenario: Option<String>,
    /// The field path inside the scenario (`facts.license.expires_on`).
    pub field: Option<String>,
    /// What is wrong.
    pub problem: Box<ScenarioProblem>,
}

/// What is wrong with a scenario file or scenario.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ScenarioProblem {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// Not valid TOML or JSON.
    #[error("not valid {format}: {message}")]
    Syntax {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// Where and what.
        message: String,
    },
    /// A missing or unknown field, or a value of the wrong type.
    #[error("{0}")]
    Shape(String),
    /// The file holds no scenario.
    #[error("no scenarios: expected one or more `[[scenario]]` entries")]
    Empty,
    /// Two scenarios of the file have the same name.
    #[error("a second scenario has this name; names must be unique within a file")]
    DuplicateName,
    /// Two scenarios of a run have the same file stem and name.
    #[error(
        "`{0}` is already the name of a scenario in {1}; a file's stem and a scenario's name are unique across a run"
    )]
    DuplicateId(String, String),
    /// A template cannot be applied, or a table is malformed.
    #[error("{0}")]
    Template(String),
    /// A relative date (`now - 17 days`) cannot be read.
    #[error("{0}")]
    Relative(String),
    /// No policy has this id.
    #[error("unknown policy `{0}`; `entitle policies` lists them")]
    UnknownPolicy(String),
    /// The expectation names neither an outcome nor an error, or both.
    #[error("expected exactly one of `expect.outcome` (a decision) and `expect.error` (a refusal)")]
    OutcomeOrError,
    /// Facts given more than one way, or not at all.
    #[error("expected exactly one of `facts`, `raw_facts` and `facts_file`")]
    FactsOneWay,
    /// A partial expectation names an action id no policy makes.
    #[error("no policy makes an action `{0}` (known: {1})")]
    UnknownAction(String, String),
    /// `now` or `stable_until` is not an RFC 3339 instant.
    #[error("`{value}` is not an RFC 3339 instant ({reason}); e.g. 2026-11-21T10:00:00Z")]
    BadInstant {
        /// The value given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The facts are not valid for the policy.
    #[error("{0}")]
    BadFacts(String),
    /// The configuration (base plus overrides) is not valid.
    #[error("{0}")]
    BadConfig(String),
    /// The policy has no outcome with this id.
    #[error("policy `{policy}` has no outcome `{outcome}` (its outcomes: {known})")]
    UnknownOutcome {
        /// The policy id.
        policy: &'static str,
        /// The outcome given.
        outcome: String,
        /// The policy's outcome ids, comma-separated.
        known: String,
    },
    /// Not a key of a decision's details.
    #[error("unknown detail key `{key}` (known: {})", DETAIL_KEYS.join(", "))]
    UnknownDetailKey {
        /// The key given.
        key: String,
    },
    /// A path step that is no edge of the policy's graph.
    #[error(
        "policy `{policy}` has no edge `{step}` (a step is `node=answer`; `entitle render {policy}` shows the graph)"
    )]
    ImpossibleStep {
        /// The policy id.
        policy: &'static str,
        /// The step given.
        step: String,
    },
    /// The policy could not decide the scenario (an error, not a mismatch).
    #[error("cannot decide: {0}")]
    Decide(String),
}
