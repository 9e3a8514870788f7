//! Reading scenario files: TOML or JSON to checked [`Scenario`]s.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::shape::{PolicyShape, policy_shape};
use super::{DETAIL_KEYS, Expect, Scenario, ScenarioError, ScenarioProblem, StableUntil};
use crate::config::PolicyConfig;

/// The syntax of a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioFormat {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl ScenarioFormat {
    /// The format of a file, by its extension.
    pub fn of(path: &Path) -> Option<ScenarioFormat> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Some(ScenarioFormat::Toml),
            Some("json") => Some(ScenarioFormat::Json),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ScenarioFormat::Toml => "TOML",
            ScenarioFormat::Json => "JSON",
        }
    }
}

/// A scenario file as written (the JSON Schema is derived from it).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "entitle scenario file")]
pub(crate) struct RawFile {
    /// The scenarios, each with a name unique within the file.
    #[expect(
        dead_code,
        reason = "read only through the derived JSON Schema; the loader reads each scenario by itself"
    )]
    pub scenario: Vec<RawScenario>,
}

/// One scenario as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    /// A name, unique within the file, shown when the scenario fails.
    pub name: String,
    /// The policy id (`entitle policies` lists them).
    pub policy: String,
    /// The instant to decide at, RFC 3339 (`2026-11-23T10:00:00Z`).
    pub now: String,
    /// The facts, as `entitle decide` reads them (`entitle schema POLICY`).
    pub facts: Map<String, Value>,
    /// Configuration keys that override the base configuration
    /// (`grace_period_days`, `timezone`, ...).
    #[serde(default)]
    pub config: Map<String, Value>,
    /// What the decision must be.
    pub expect: RawExpect,
}

/// The expectation as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    /// The outcome id.
    pub outcome: String,
    /// A subset of the outcome's details by key (`actions` by action ids).
    #[serde(default)]
    pub details: Map<String, Value>,
    /// Detail keys the decision must not have (`["reviewer"]`).
    #[serde(default)]
    pub absent: Vec<String>,
    /// When the decision changes (RFC 3339), or `"never"`.
    #[serde(default)]
    pub stable_until: Option<String>,
    /// The whole path from the root, as `node=answer` steps.
    #[serde(default)]
    pub path: Option<Vec<String>>,
}

/// The JSON Schema of a scenario file (`entitle schema --scenario`).
pub fn json_schema() -> Value {
    schemars::schema_for!(RawFile).to_value()
}

/// Reads and checks the scenarios of `text`, a file named `file` in
/// `format`.
pub fn load_str(
    text: &str,
    format: ScenarioFormat,
    file: &str,
) -> Result<Vec<Scenario>, ScenarioError> {
    let error = |scenario: Option<String>, field: Option<String>, problem| ScenarioError {
        file: file.to_owned(),
        scenario,
        field,
        problem: Box::new(problem),
    };
    let document = match format {
        ScenarioFormat::Json => serde_json::from_str::<Value>(text).map_err(|e| {
            error(
                None,
                None,
                ScenarioProblem::Syntax {
                    format: format.name(),
                    message: crate::input::short_quotes(&e.to_string()),
                },
            )
        })?,
        ScenarioFormat::Toml => toml::from_str::<toml::Table>(text)
            .map(|t| toml_to_json(toml::Value::Table(t)))
            .map_err(|e| {
                let (scenario, field) = toml_place(text, &e);
                error(
                    scenario,
                    field,
                    ScenarioProblem::Syntax {
                        format: format.name(),
                        message: toml_message(text, &e),
                    },
                )
            })?,
    };
    let Value::Object(mut top) = document else {
        return Err(error(
            None,
            None,
            ScenarioProblem::Shape("expected a table/object with a `scenario` array".into()),
        ));
    };
    if let Some(key) = top.keys().find(|k| *k != "scenario") {
        return Err(error(
            None,
            Some(key.clone()),
            ScenarioProblem::Shape("unknown top-level key; expected only `scenario`".into()),
        ));
    }
    let entries = match top.remove("scenario") {
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(error(
                None,
                Some("scenario".into()),
                ScenarioProblem::Shape("expected an array of scenarios (`[[scenario]]`)".into()),
            ));
        }
        None => Vec::new(),
    };
    if entries.is_empty() {
        return Err(error(None, None, ScenarioProblem::Empty));
    }
    let mut shapes: HashMap<String, PolicyShape> = HashMap::new();
    let mut names = HashSet::new();
    let mut scenarios = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let label = entry
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{}", index + 1), str::to_owned);
        let fail = |field: Option<String>, problem| error(Some(label.clone()), field, problem);
        // An array is no scenario: not read positionally.
        let entry = crate::input::ObjectsOnly(entry);
        let raw: RawScenario = serde_path_to_error::deserialize(entry).map_err(|e| {
            let path = e.path().to_string();
            fail(
                (path != ".").then_some(path),
                ScenarioProblem::Shape(e.into_inner().to_string()),
            )
        })?;
        if !names.insert(raw.name.clone()) {
            return Err(fail(Some("name".into()), ScenarioProblem::DuplicateName));
        }
        if !shapes.contains_key(&raw.policy) {
            let shape = policy_shape(&raw.policy).map_err(|e| match e {
                crate::policy::PolicyError::UnknownPolicy(id) => {
                    fail(Some("policy".into()), ScenarioProblem::UnknownPolicy(id))
                }
                other => fail(
                    Some("policy".into()),
                    ScenarioProblem::Decide(other.to_string()),
                ),
            })?;
            shapes.insert(raw.policy.clone(), shape);
        }
        let Some(shape) = shapes.get(&raw.policy) else {
            return Err(fail(
                Some("policy".into()),
                ScenarioProblem::UnknownPolicy(raw.policy),
            ));
        };
        scenarios.push(check(raw, shape, file, &fail)?);
    }
    Ok(scenarios)
}

fn check(
    raw: RawScenario,
    shape: &PolicyShape,
    file: &str,
    fail: &dyn Fn(Option<String>, ScenarioProblem) -> ScenarioError,
) -> Result<Scenario, ScenarioError> {
    let now = parse_instant(&raw.now).map_err(|p| fail(Some("now".into()), p))?;
    let facts = Value::Object(raw.facts);
    // A `Value` always serialises (its keys are strings).
    let bytes = facts.to_string().into_bytes();
    shape.check_facts(&bytes).map_err(|e| match e {
        crate::FactsError::Invalid {
            path: Some(path),
            message,
        } => fail(
            Some(format!("facts.{path}")),
            // The position is in the facts as re-encoded, not in the file.
            ScenarioProblem::BadFacts(crate::without_position(&message).to_owned()),
        ),
        other => fail(
            Some("facts".into()),
            ScenarioProblem::BadFacts(other.to_string()),
        ),
    })?;
    merge_config(&PolicyConfig::default(), &raw.config).map_err(|(key, message)| {
        fail(
            Some(key.map_or_else(|| "config".to_owned(), |k| format!("config.{k}"))),
            ScenarioProblem::BadConfig(message),
        )
    })?;
    let expect = raw.expect;
    if !shape.outcomes.contains(&expect.outcome.as_str()) {
        return Err(fail(
            Some("expect.outcome".into()),
            ScenarioProblem::UnknownOutcome {
                policy: shape.id,
                outcome: expect.outcome,
                known: shape.outcomes.join(", "),
            },
        ));
    }
    let mut details = BTreeMap::new();
    for (key, value) in expect.details {
        if !DETAIL_KEYS.contains(&key.as_str()) {
            return Err(fail(
                Some(format!("expect.details.{key}")),
                ScenarioProblem::UnknownDetailKey { key },
            ));
        }
        details.insert(key, value);
    }
    for (i, key) in expect.absent.iter().enumerate() {
        if !DETAIL_KEYS.contains(&key.as_str()) {
            return Err(fail(
                Some(format!("expect.absent[{i}]")),
                ScenarioProblem::UnknownDetailKey { key: key.clone() },
            ));
        }
        if details.contains_key(key) {
            return Err(fail(
                Some(format!("expect.absent[{i}]")),
                ScenarioProblem::Shape(format!(
                    "`{key}` is expected both present (in expect.details) and absent"
                )),
            ));
        }
    }
    let stable_until = match expect.stable_until.as_deref() {
        None => None,
        Some("never") => Some(StableUntil::Never),
        Some(text) => Some(StableUntil::At(
            parse_instant(text).map_err(|p| fail(Some("expect.stable_until".into()), p))?,
        )),
    };
    if let Some(path) = &expect.path {
        for (i, step) in path.iter().enumerate() {
            if !shape.edges.contains(step) {
                return Err(fail(
                    Some(format!("expect.path[{i}]")),
                    ScenarioProblem::ImpossibleStep {
                        policy: shape.id,
                        step: step.clone(),
                    },
                ));
            }
        }
    }
    Ok(Scenario {
        file: file.to_owned(),
        name: raw.name,
        policy: shape.id,
        now,
        facts,
        config: raw.config,
        expect: Expect {
            outcome: expect.outcome,
            details,
            absent: expect.absent,
            stable_until,
            path: expect.path,
        },
    })
}

/// `base` with the keys of `overrides` replaced, validated. On error: the
/// key at fault (if known) and the message.
pub(crate) fn merge_config(
    base: &PolicyConfig,
    overrides: &Map<String, Value>,
) -> Result<PolicyConfig, (Option<String>, String)> {
    if overrides.is_empty() {
        return Ok(base.clone());
    }
    let mut value = serde_json::to_value(base).map_err(|e| (None, e.to_string()))?;
    if let Value::Object(map) = &mut value {
        for (key, v) in overrides {
            map.insert(key.clone(), v.clone());
        }
    }
    let value = crate::input::ObjectsOnly(value);
    let config: PolicyConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ((path != ".").then_some(path), e.into_inner().to_string())
    })?;
    config.validate().map_err(|e| (None, e.to_string()))?;
    Ok(config)
}

/// `now` or `stable_until`, read by the one strict instant reader every
/// adapter uses ([`crate::input::parse_instant`]).
fn parse_instant(text: &str) -> Result<DateTime<Utc>, ScenarioProblem> {
    crate::input::parse_instant(text).map_err(|e| match e {
        crate::input::InputError::Instant { value, reason } => {
            ScenarioProblem::BadInstant { value, reason }
        }
        other => ScenarioProblem::BadInstant {
            value: text.to_owned(),
            reason: other.to_string(),
        },
    })
}

/// TOML to JSON: dates and instants become their RFC 3339 strings.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

/// A TOML error on one line ([`crate::toml_error_line`]).
fn toml_message(text: &str, error: &toml::de::Error) -> String {
    crate::toml_error_line(text, error)
}

/// Where a TOML error is, in the file's terms: the scenario whose
/// `[[scenario]]` table holds it (its `name`, else `#N`) and the key on its
/// line, under the `[scenario.x]` table it is in (`now`, `facts.license`).
/// A value TOML refuses (`now = 2026-02-30T10:00:00Z`, a day that does not
/// exist) fails the whole document, before any scenario is read: without
/// this the error named neither.
fn toml_place(text: &str, error: &toml::de::Error) -> (Option<String>, Option<String>) {
    let Some(at) = error.span().map(|span| span.start.min(text.len())) else {
        return (None, None);
    };
    let mut index = 0;
    let mut name = None;
    let mut table: Option<String> = None;
    let mut field = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if offset > at && trimmed == "[[scenario]]" {
            break;
        }
        if trimmed == "[[scenario]]" {
            index += 1;
            name = None;
            table = None;
        } else if let Some(header) = trimmed
            .strip_prefix("[scenario.")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            table = Some(header.trim().to_owned());
        } else if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim();
            if key == "name" && table.is_none() {
                name = toml::from_str::<toml::Table>(trimmed)
                    .ok()
                    .and_then(|t| t.get("name").and_then(|v| v.as_str().map(str::to_owned)));
            }
            let on_this_line = offset <= at && at < offset + line.len();
            let bare = key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if on_this_line && bare && !key.is_empty() {
                field = Some(match &table {
                    Some(table) => format!("{table}.{key}"),
                    None => key.to_owned(),
                });
            }
        }
        offset += line.len();
    }
    if index == 0 {
        return (None, None);
    }
    (Some(name.unwrap_or_else(|| format!("#{index}"))), field)
}

/// The largest scenario file read, in bytes (16 MiB).
pub const MAX_SCENARIO_FILE: u64 = 16 * 1024 * 1024;

/// The deepest directory [`scenario_files`] searches, below a path given.
pub const MAX_WALK_DEPTH: usize = 32;

/// The most files [`scenario_files`] returns.
pub const MAX_SCENARIO_FILES: usize = 10_000;

/// Reads and checks one scenario file (`.toml` or `.json`): a regular file
/// (a symbolic link to one is followed) of at most [`MAX_SCENARIO_FILE`]
/// bytes. A FIFO, a socket or a device is refused before it is opened
/// (reading a FIFO named `x.toml` waited for a writer for ever).
pub fn load_file(path: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let file = path.display().to_string();
    let error = |problem| ScenarioError {
        file: file.clone(),
        scenario: None,
        field: None,
        problem: Box::new(problem),
    };
    let metadata = match std::fs::metadata(path) {
        // A path that is not there says so, whatever its extension.
        Err(e) => return Err(error(ScenarioProblem::Io(e.to_string()))),
        Ok(metadata) => metadata,
    };
    let Some(format) = ScenarioFormat::of(path) else {
        return Err(error(ScenarioProblem::Io(
            "not a scenario file: expected a `.toml` or `.json` extension".into(),
        )));
    };
    if !metadata.is_file() {
        return Err(error(ScenarioProblem::Io(
            "not a regular file (a FIFO, a socket or a device?): only regular files are read"
                .into(),
        )));
    }
    if metadata.len() > MAX_SCENARIO_FILE {
        return Err(error(ScenarioProblem::Io(format!(
            "larger than {} MiB: not a scenario file",
            MAX_SCENARIO_FILE / (1024 * 1024)
        ))));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| error(ScenarioProblem::Io(e.to_string())))?;
    load_str(&text, format, &file)
}

/// The scenario files named by `paths`: files as given, directories searched
/// recursively for `.toml` and `.json` files, in name order. The search
/// does not follow a symbolic link to a directory (a link to its own
/// directory made each scenario run 41 times, two such links never ended);
/// a link to a file is followed. It goes at most [`MAX_WALK_DEPTH`]
/// directories deep and returns at most [`MAX_SCENARIO_FILES`] files; past
/// either it is an error naming the directory.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, 0, &mut files)?;
        } else {
            files.push(path.clone());
        }
        if files.len() > MAX_SCENARIO_FILES {
            return Err(walk_error(
                path,
                format!("more than {MAX_SCENARIO_FILES} scenario files: name fewer"),
            ));
        }
    }
    Ok(files)
}

fn walk_error(dir: &Path, message: String) -> ScenarioError {
    ScenarioError {
        file: dir.display().to_string(),
        scenario: None,
        field: None,
        problem: Box::new(ScenarioProblem::Io(message)),
    }
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    if depth > MAX_WALK_DEPTH {
        return Err(walk_error(
            dir,
            format!(
                "more than {MAX_WALK_DEPTH} directories deep: name a directory nearer the scenarios"
            ),
        ));
    }
    let io = |e: std::io::Error| walk_error(dir, e.to_string());
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (entry, kind) in entries {
        // `file_type` does not follow a link: a link to a directory is
        // not searched (no cycle, no tree twice), a link to anything else
        // is read as the file it names (`load_file` checks it is one).
        if kind.is_dir() {
            collect(&entry, depth + 1, files)?;
        } else if kind.is_symlink() && entry.is_dir() {
            continue;
        } else if ScenarioFormat::of(&entry).is_some() {
            files.push(entry);
            if files.len() > MAX_SCENARIO_FILES {
                return Err(walk_error(
                    dir,
                    format!("more than {MAX_SCENARIO_FILES} scenario files: name fewer"),
                ));
            }
        }
    }
    Ok(())
}

/// Reads and checks every scenario file named by `paths` (see
/// [`scenario_files`]); the first bad file is the error.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios = Vec::new();
    for file in scenario_files(paths)? {
        scenarios.extend(load_file(&file)?);
    }
    Ok(scenarios)
}
