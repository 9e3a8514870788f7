//! GitLab issue events from the internal-requests project: an issue opened
//! from the "Report a provision failure" description template starts
//! `provision-failure` (spec 3.8, v2).
//!
//! GitLab sends the project webhook's secret token as `X-Gitlab-Token`, the
//! event's kind as `X-Gitlab-Event` (`Issue Hook`), and an
//! `Idempotency-Key` that stays the same across retries of one delivery
//! (older GitLab: only `X-Gitlab-Event-UUID`, used when the key is absent).
//!
//! The template (`docs/intake.md`; `.gitlab/issue_templates/`) is a heading
//! and one `name: value` line per fact:
//!
//! ```text
//! ## Report a provision failure
//! - subscription: A-S00012345
//! - kind: Zuora callback failed
//! - occurred_at: 2026-11-21T10:15:00Z
//! - customer_email: ops@customer.example
//! - fulfillment_resolved: no
//! - needs_lr_intervention: yes
//! - root_cause: fixed
//! ```

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::zendesk::Refusal;
use super::{IntakeConfigError, IntakeSecret, json_kind, role, secret, shown};
use crate::auth::Role;

/// The header holding the webhook's secret token.
pub const TOKEN_HEADER: &str = "x-gitlab-token";
/// The header naming the event's kind.
pub const EVENT_HEADER: &str = "x-gitlab-event";
/// The header holding the delivery's key, the same on every retry.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The header holding the event's UUID (older GitLab versions' only id).
pub const EVENT_UUID_HEADER: &str = "x-gitlab-event-uuid";
/// The event kind intake takes.
pub const ISSUE_HOOK: &str = "Issue Hook";

/// The template's heading: an issue whose description has it (as a
/// heading line) is a report of a provision failure.
pub const TEMPLATE: &str = "Report a provision failure";
/// The policy a report starts.
pub const POLICY: &str = "provision-failure";
/// The mark entitle puts in the issues it opens (`entitle-notify`'s GitLab
/// sink): an event about one of them is entitle's own write, ignored.
pub const OWN_MARK: &str = "<!-- entitle-ref:";

/// The template's lines, in order, and the fact each fills.
const LINES: &[(&str, &str)] = &[
    ("subscription", "failure.subscription"),
    ("kind", "failure.kind"),
    ("occurred_at", "failure.occurred_at"),
    ("customer_email", "customer_email"),
    ("fulfillment_resolved", "fulfillment_resolved"),
    ("needs_lr_intervention", "needs_lr_intervention"),
    ("root_cause", "root_cause"),
];

/// The GitLab source, validated.
#[derive(Debug, Clone)]
pub struct GitlabIntake {
    /// The project webhook's secret token.
    pub token: IntakeSecret,
    /// The role its decisions are made as.
    pub role: Role,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGitlab {
    token_env: String,
    role: Option<String>,
}

impl RawGitlab {
    pub(super) fn validate(
        self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<GitlabIntake, IntakeConfigError> {
        Ok(GitlabIntake {
            token: secret("gitlab.token_env", &self.token_env, env)?,
            role: role("gitlab.role", self.role.as_deref())?,
        })
    }
}

impl GitlabIntake {
    /// Whether `presented` is the secret token, compared in constant time.
    pub fn token_matches(&self, presented: Option<&[u8]>) -> bool {
        let Some(presented) = presented else {
            return false;
        };
        // Compare digests: equal length, and no early exit on the bytes.
        use sha2::Digest as _;
        let a = sha2::Sha256::digest(presented);
        let b = sha2::Sha256::digest(self.token.bytes());
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

/// What happened to the issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueAction {
    /// It was opened.
    Open,
    /// It was edited or reopened (decided already, perhaps).
    Edited,
}

/// What an issue event is.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueEvent {
    /// A report of a provision failure: its facts.
    Report {
        /// The issue's URL.
        url: String,
        /// The issue's number in its project.
        iid: Option<u64>,
        /// Opened, or edited or reopened.
        action: IssueAction,
        /// The facts of `provision-failure`.
        facts: Value,
    },
    /// A report whose template is not filled in as it must be.
    Malformed {
        /// The issue's URL.
        url: String,
        /// The issue's number in its project (`iid`), for the note on it.
        iid: Option<u64>,
        /// The line that is wrong.
        refusal: Refusal,
    },
    /// Nothing to decide, and why.
    Ignored {
        /// The issue's URL, when the body has one.
        url: Option<String>,
        /// Why.
        reason: String,
    },
}

fn string<'a>(
    object: &'a Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<Option<&'a str>, Refusal> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Refusal::new(
            format!("{path}.{name}"),
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

/// Whether `description` has the template's heading line.
fn has_template(description: &str) -> bool {
    description.lines().any(|line| {
        let line = line.trim();
        line.starts_with('#')
            && line
                .trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case(TEMPLATE)
    })
}

/// A yes/no line as a boolean.
fn yes_no(line: &str, value: &str) -> Result<Value, Refusal> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(Value::Bool(true)),
        "no" | "false" => Ok(Value::Bool(false)),
        _ => Err(Refusal::new(
            format!("description.{line}"),
            format!("must be yes or no, not `{}`", shown(value)),
        )),
    }
}

/// `text` without its HTML comments (the template's guidance).
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(rest.get(..start).unwrap_or_default());
        rest = match rest.get(start..).and_then(|r| r.find("-->")) {
            Some(end) => rest.get(start + end + 3..).unwrap_or_default(),
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// The facts the template's lines give (its comments left out).
fn facts_of(description: &str) -> Result<Value, Refusal> {
    let mut values: Map<String, Value> = Map::new();
    for line in without_comments(description).lines() {
        let line = line.trim().trim_start_matches(['-', '*']).trim();
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().trim_matches('*').trim();
        if LINES.iter().any(|(line, _)| *line == name) {
            if values.contains_key(name) {
                return Err(Refusal::new(
                    format!("description.{name}"),
                    "is given twice: keep one line",
                ));
            }
            values.insert(name.to_owned(), Value::String(value.trim().to_owned()));
        }
    }
    let mut get = |name: &str| -> Result<String, Refusal> {
        match values.remove(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            _ => Err(Refusal::new(
                format!("description.{name}"),
                format!("is missing: the template's line `- {name}: ...` must be filled in"),
            )),
        }
    };
    let subscription = get("subscription")?;
    let kind = get("kind")?;
    let occurred_at = get("occurred_at")?;
    let customer_email = get("customer_email")?;
    let fulfillment_resolved = yes_no("fulfillment_resolved", &get("fulfillment_resolved")?)?;
    let needs_lr_intervention = yes_no("needs_lr_intervention", &get("needs_lr_intervention")?)?;
    let root_cause = get("root_cause")?;
    Ok(json!({
        "failure": {
            "subscription": subscription,
            "kind": kind,
            "occurred_at": occurred_at,
        },
        "fulfillment_resolved": fulfillment_resolved,
        "needs_lr_intervention": needs_lr_intervention,
        "root_cause": root_cause,
        "customer_email": customer_email,
    }))
}

/// The template line a `provision-failure` fact comes from
/// (`failure.occurred_at` → `description.occurred_at`).
pub fn line_of(fact_path: &str) -> String {
    let path = fact_path.strip_prefix("facts.").unwrap_or(fact_path);
    LINES.iter().find(|(_, fact)| *fact == path).map_or_else(
        || format!("description.{path}"),
        |(line, _)| format!("description.{line}"),
    )
}

/// Reads an issue event from `body`.
pub fn event(body: &[u8]) -> Result<IssueEvent, Refusal> {
    let root = super::body_object(body)?;
    if string(&root, "", "object_kind")? != Some("issue") {
        return Ok(IssueEvent::Ignored {
            url: None,
            reason: "not an issue event (`object_kind` is not `issue`)".to_owned(),
        });
    }
    let attributes = match root.get("object_attributes") {
        Some(Value::Object(a)) => a,
        Some(other) => {
            return Err(Refusal::new(
                "object_attributes",
                format!("must be an object, not {}", json_kind(other)),
            ));
        }
        None => return Err(Refusal::new("object_attributes", "is missing")),
    };
    let url = string(attributes, "object_attributes", "url")?
        .ok_or_else(|| Refusal::new("object_attributes.url", "is missing"))?;
    entitle::input::check_http_url(url)
        .map_err(|e| Refusal::new("object_attributes.url", e.to_string()))?;
    let url = url.to_owned();
    let action = string(attributes, "object_attributes", "action")?.unwrap_or("");
    let description = string(attributes, "object_attributes", "description")?.unwrap_or("");
    if description.contains(OWN_MARK) {
        return Ok(IssueEvent::Ignored {
            url: Some(url),
            reason: "an issue entitle opened itself".to_owned(),
        });
    }
    if !matches!(action, "open" | "reopen" | "update") {
        return Ok(IssueEvent::Ignored {
            url: Some(url),
            reason: format!(
                "the issue was not opened or edited (action `{}`)",
                shown(action)
            ),
        });
    }
    if !has_template(description) {
        return Ok(IssueEvent::Ignored {
            url: Some(url),
            reason: format!("not a \"{TEMPLATE}\" request (no `## {TEMPLATE}` heading)"),
        });
    }
    let iid = attributes.get("iid").and_then(Value::as_u64);
    Ok(match facts_of(description) {
        Ok(facts) => IssueEvent::Report {
            url,
            iid,
            action: if action == "open" {
                IssueAction::Open
            } else {
                IssueAction::Edited
            },
            facts,
        },
        Err(refusal) => IssueEvent::Malformed { url, iid, refusal },
    })
}
