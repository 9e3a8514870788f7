//! Checking one scenario entry (templates applied) into a [`Scenario`]:
//! everything that does not need a decision, each problem a
//! [`ScenarioError`] at the line and column of the user's file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path};
use std::sync::OnceLock;

use serde_json::Value;

use super::raw::{RawExpect, RawScenario};
use super::shape::{PolicyShape, policy_shape};
use super::source::{Position, Source, join};
use super::{
    ActionsExpect, DETAIL_KEYS, Expect, Refusal, Scenario, ScenarioError, ScenarioProblem, Skipped,
    StableUntil,
};
use crate::config::PolicyConfig;

/// One entry checked: a scenario, or one marked skipped.
pub(crate) enum Loaded {
    /// A scenario to run.
    Scenario(Box<Scenario>),
    /// A scenario marked `skip`.
    Skipped(Skipped),
}

/// Where an entry's values are in the file: its own path first
/// (`scenario[2]`, `table[0].rows[1]`), then the table it is a row of and
/// the templates it extends (`template.paid`).
pub(crate) struct Place<'s, 't> {
    pub(crate) file: &'s str,
    pub(crate) source: &'s Source<'t>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) label: String,
}

impl Place<'_, '_> {
    /// Where `field` (a path inside the scenario) was written: in the entry
    /// itself, else in its table or a template, else the nearest enclosing
    /// value of the entry.
    pub(crate) fn locate(&self, field: &str) -> Option<Position> {
        for prefix in &self.prefixes {
            let path = join(prefix, field);
            if self.source.has(&path) {
                return self.source.position(&path);
            }
        }
        self.prefixes
            .first()
            .and_then(|p| self.source.position(&join(p, field)))
    }

    /// The text of `field` as written, where the entry or a base has it.
    fn literal(&self, field: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .find_map(|p| self.source.literal(&join(p, field)))
    }

    /// Where the entry starts.
    pub(crate) fn start(&self) -> Option<Position> {
        self.prefixes.first().and_then(|p| self.source.position(p))
    }

    /// An error of this entry at `field`.
    pub(crate) fn fail(&self, field: Option<String>, problem: ScenarioProblem) -> ScenarioError {
        let at = match &field {
            Some(field) => self.locate(field),
            None => self.start(),
        };
        ScenarioError {
            file: self.file.to_owned(),
            at,
            scenario: Some(self.label.clone()),
            field,
            problem: Box::new(problem),
        }
    }
}

/// The action ids the built-in policies declare.
fn known_actions() -> &'static BTreeSet<&'static str> {
    static KNOWN: OnceLock<BTreeSet<&'static str>> = OnceLock::new();
    KNOWN.get_or_init(crate::action_ids::action_ids)
}

/// Resolves the relative dates of `doc` (see [`super::relative`]) against
/// its `now`, when that is an instant (else `now` is reported later).
fn resolve_relative(doc: &mut Value, place: &Place<'_, '_>) -> Result<(), ScenarioError> {
    let Some(now) = doc
        .get("now")
        .and_then(Value::as_str)
        .and_then(|t| crate::input::parse_instant(t).ok())
    else {
        return Ok(());
    };
    for (parent, key) in [
        (None, "facts"),
        (Some("expect"), "details"),
        (Some("expect"), "sets"),
        (Some("expect"), "stable_until"),
    ] {
        let slot = match parent {
            None => doc.get_mut(key),
            Some(parent) => doc.get_mut(parent).and_then(|p| p.get_mut(key)),
        };
        let path = parent.map_or_else(|| key.to_owned(), |p| format!("{p}.{key}"));
        if let Some(value) = slot {
            super::relative::resolve_all(value, now, &path).map_err(|(field, message)| {
                place.fail(Some(field), ScenarioProblem::Relative(message))
            })?;
        }
    }
    Ok(())
}

/// Reads a `facts_file`: a plain relative path inside the scenario file's
/// directory (no `..`, not absolute, not a link), a regular file of at
/// most [`super::MAX_SCENARIO_FILE`] bytes. A scenario directory cannot
/// make the run read (and quote) a file elsewhere.
fn read_facts_file(file: &str, name: &str) -> Result<Vec<u8>, String> {
    let relative = Path::new(name);
    if name.is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(
            "expected a file name relative to the scenario file's directory, without `..`".into(),
        );
    }
    let path = Path::new(file)
        .parent()
        .unwrap_or(Path::new("."))
        .join(relative);
    let metadata = std::fs::symlink_metadata(&path).map_err(|e| format!("cannot read: {e}"))?;
    if !metadata.is_file() {
        return Err("not a regular file: only regular files are read (no links)".into());
    }
    if metadata.len() > super::MAX_SCENARIO_FILE {
        return Err("larger than 16 MiB".into());
    }
    std::fs::read(&path).map_err(|e| format!("cannot read: {e}"))
}

/// Checks one entry (`doc`, templates already applied).
pub(crate) fn check_entry(
    mut doc: Value,
    place: &Place<'_, '_>,
    shapes: &mut HashMap<String, PolicyShape>,
) -> Result<Loaded, ScenarioError> {
    resolve_relative(&mut doc, place)?;
    // An array is no scenario: not read positionally.
    let entry = crate::input::ObjectsOnly(doc);
    let raw: RawScenario = serde_path_to_error::deserialize(entry).map_err(|e| {
        let path = e.path().to_string();
        place.fail(
            (path != ".").then_some(path),
            ScenarioProblem::Shape(e.into_inner().to_string()),
        )
    })?;
    for (field, value) in [("policy", &raw.policy), ("now", &raw.now)] {
        if value.is_empty() {
            return Err(place.fail(
                Some(field.into()),
                ScenarioProblem::Shape(format!(
                    "missing field `{field}` (in the scenario, its table or the template it extends)"
                )),
            ));
        }
    }
    if let Some(reason) = raw.skip {
        return Ok(Loaded::Skipped(Skipped {
            file: place.file.to_owned(),
            name: raw.name,
            reason,
        }));
    }
    if !shapes.contains_key(&raw.policy) {
        let shape = policy_shape(&raw.policy).map_err(|e| match e {
            crate::policy::PolicyError::UnknownPolicy(id) => {
                place.fail(Some("policy".into()), ScenarioProblem::UnknownPolicy(id))
            }
            other => place.fail(
                Some("policy".into()),
                ScenarioProblem::Decide(other.to_string()),
            ),
        })?;
        shapes.insert(raw.policy.clone(), shape);
    }
    let Some(shape) = shapes.get(&raw.policy) else {
        return Err(place.fail(
            Some("policy".into()),
            ScenarioProblem::UnknownPolicy(raw.policy),
        ));
    };
    check(raw, shape, place).map(|s| Loaded::Scenario(Box::new(s)))
}

fn check(
    raw: RawScenario,
    shape: &PolicyShape,
    place: &Place<'_, '_>,
) -> Result<Scenario, ScenarioError> {
    let fail = |field: &str, problem| place.fail(Some(field.to_owned()), problem);
    let now = parse_instant(&raw.now).map_err(|p| fail("now", p))?;
    let (facts, raw_facts, facts_field) = match (raw.facts, raw.raw_facts, raw.facts_file) {
        (Some(facts), None, None) => (Value::Object(facts), None, "facts"),
        (None, Some(text), None) => (Value::Null, Some(text.into_bytes()), "raw_facts"),
        (None, None, Some(name)) => {
            let bytes = read_facts_file(place.file, &name)
                .map_err(|e| fail("facts_file", ScenarioProblem::Io(e)))?;
            (Value::Null, Some(bytes), "facts_file")
        }
        _ => return Err(fail("facts", ScenarioProblem::FactsOneWay)),
    };
    merge_config_checked(&raw.config, place)?;
    let expect = match (raw.expect.outcome.is_some(), raw.expect.error.is_some()) {
        (true, false) => {
            let bytes = match &raw_facts {
                Some(bytes) => bytes.clone(),
                None => facts.to_string().into_bytes(),
            };
            check_facts(shape, &bytes, facts_field, place)?;
            check_decision(raw.expect, shape, place)?
        }
        (false, true) => check_refusal(raw.expect, place)?,
        _ => return Err(fail("expect", ScenarioProblem::OutcomeOrError)),
    };
    Ok(Scenario {
        file: place.file.to_owned(),
        name: raw.name,
        policy: shape.id,
        now,
        facts,
        raw_facts,
        config: raw.config,
        expect,
    })
}

/// The facts against the policy's facts type; an error at the field, with
/// an out-of-range whole number said as such (from the literal written).
fn check_facts(
    shape: &PolicyShape,
    bytes: &[u8],
    facts_field: &str,
    place: &Place<'_, '_>,
) -> Result<(), ScenarioError> {
    shape.check_facts(bytes).map_err(|e| {
        let field = e.field();
        match (e, facts_field) {
            (
                crate::FactsError::Invalid {
                    path: Some(_),
                    message,
                },
                "facts",
            ) => {
                let field = field.map(|f| format!("facts.{f}"));
                // The position is in the facts as re-encoded, not in the file.
                let message = crate::without_position(&message).to_owned();
                let message = field
                    .as_deref()
                    .and_then(|f| place.literal(f))
                    .and_then(|literal| crate::facts::out_of_range(&message, literal))
                    .unwrap_or(message);
                place.fail(
                    Some(field.unwrap_or_else(|| "facts".into())),
                    ScenarioProblem::BadFacts(message),
                )
            }
            (other, field) => place.fail(
                Some(field.to_owned()),
                ScenarioProblem::BadFacts(other.to_string()),
            ),
        }
    })
}

fn merge_config_checked(
    config: &serde_json::Map<String, Value>,
    place: &Place<'_, '_>,
) -> Result<(), ScenarioError> {
    super::load::merge_config(&PolicyConfig::default(), config)
        .map(|_| ())
        .map_err(|(key, message)| {
            place.fail(
                Some(key.map_or_else(|| "config".to_owned(), |k| format!("config.{k}"))),
                ScenarioProblem::BadConfig(message),
            )
        })
}

fn check_refusal(expect: RawExpect, place: &Place<'_, '_>) -> Result<Expect, ScenarioError> {
    let decision_checks = !expect.details.is_empty()
        || !expect.absent.is_empty()
        || !expect.contains.is_empty()
        || !expect.sets.is_empty()
        || expect.actions.is_some()
        || expect.stable_until.is_some()
        || expect.path.is_some();
    if decision_checks {
        return Err(place.fail(
            Some("expect".into()),
            ScenarioProblem::Shape(
                "an expected refusal has no decision to check: only `expect.error`".into(),
            ),
        ));
    }
    let Some(error) = expect.error else {
        return Err(place.fail(Some("expect".into()), ScenarioProblem::OutcomeOrError));
    };
    if error.message.is_empty() {
        return Err(place.fail(
            Some("expect.error.message".into()),
            ScenarioProblem::Shape("expected a fragment of the refusal's message".into()),
        ));
    }
    Ok(Expect {
        error: Some(Refusal {
            field: error.field,
            message: error.message,
        }),
        ..Expect::default()
    })
}

fn detail_key(key: &str, field: String, place: &Place<'_, '_>) -> Result<(), ScenarioError> {
    if DETAIL_KEYS.contains(&key) {
        Ok(())
    } else {
        Err(place.fail(
            Some(field),
            ScenarioProblem::UnknownDetailKey {
                key: key.to_owned(),
            },
        ))
    }
}

fn check_decision(
    expect: RawExpect,
    shape: &PolicyShape,
    place: &Place<'_, '_>,
) -> Result<Expect, ScenarioError> {
    let outcome = expect.outcome.unwrap_or_default();
    if !shape.outcomes.contains(&outcome.as_str()) {
        return Err(place.fail(
            Some("expect.outcome".into()),
            ScenarioProblem::UnknownOutcome {
                policy: shape.id,
                outcome,
                known: shape.outcomes.join(", "),
            },
        ));
    }
    let mut details = BTreeMap::new();
    for (key, value) in expect.details {
        detail_key(&key, format!("expect.details.{key}"), place)?;
        details.insert(key, value);
    }
    for (i, key) in expect.absent.iter().enumerate() {
        detail_key(key, format!("expect.absent[{i}]"), place)?;
        if details.contains_key(key) {
            return Err(place.fail(
                Some(format!("expect.absent[{i}]")),
                ScenarioProblem::Shape(format!(
                    "`{key}` is expected both present (in expect.details) and absent"
                )),
            ));
        }
    }
    for key in expect.contains.keys() {
        detail_key(key, format!("expect.contains.{key}"), place)?;
    }
    for key in expect.sets.keys() {
        detail_key(key, format!("expect.sets.{key}"), place)?;
    }
    let actions = match expect.actions {
        None => ActionsExpect::default(),
        Some(actions) => {
            let named = actions
                .include
                .iter()
                .enumerate()
                .map(|(i, id)| (format!("expect.actions.include[{i}]"), id))
                .chain(
                    actions
                        .exclude
                        .iter()
                        .enumerate()
                        .map(|(i, id)| (format!("expect.actions.exclude[{i}]"), id)),
                )
                .chain(
                    actions
                        .text
                        .keys()
                        .map(|id| (format!("expect.actions.text.{id}"), id)),
                );
            {
                let known = known_actions();
                for (field, id) in named {
                    if !known.contains(id.as_str()) {
                        let list: Vec<&str> = known.iter().copied().collect();
                        return Err(place.fail(
                            Some(field),
                            ScenarioProblem::UnknownAction(
                                crate::input::short_quotes(&format!("`{id}`"))
                                    .trim_matches('`')
                                    .to_owned(),
                                list.join(", "),
                            ),
                        ));
                    }
                }
            }
            ActionsExpect {
                include: actions.include,
                exclude: actions.exclude,
                text: actions.text,
            }
        }
    };
    let stable_until = match expect.stable_until.as_deref() {
        None => None,
        Some("never") => Some(StableUntil::Never),
        Some(text) => {
            Some(StableUntil::At(parse_instant(text).map_err(|p| {
                place.fail(Some("expect.stable_until".into()), p)
            })?))
        }
    };
    if let Some(path) = &expect.path {
        for (i, step) in path.iter().enumerate() {
            if !shape.edges.contains(step) {
                return Err(place.fail(
                    Some(format!("expect.path[{i}]")),
                    ScenarioProblem::ImpossibleStep {
                        policy: shape.id,
                        step: step.clone(),
                    },
                ));
            }
        }
    }
    Ok(Expect {
        outcome: Some(outcome),
        error: None,
        details,
        absent: expect.absent,
        contains: expect.contains,
        sets: expect.sets,
        actions,
        stable_until,
        path: expect.path,
    })
}

/// `now` or `stable_until`, read by the one strict instant reader every
/// adapter uses ([`crate::input::parse_instant`]).
fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, ScenarioProblem> {
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
