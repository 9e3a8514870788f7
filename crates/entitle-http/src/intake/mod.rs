//! Intake: where work arrives. A Zendesk trigger's webhook
//! ([`zendesk`]) and a GitLab project's issue events ([`gitlab`]) start
//! decisions by themselves; the store's inbox keeps every delivery and what
//! became of it (see `entitle_store::Delivery`).
//!
//! The intake config (`entitle serve --intake FILE`) says which sources are
//! on, where their secrets are (environment variables, as for sinks), and
//! which Zendesk tags start which policy:
//!
//! ```toml
//! [zendesk]
//! secret_env = "ZENDESK_WEBHOOK_SECRET"
//!
//! [[zendesk.rules]]
//! tag = "license_emergency"
//! policy = "license-emergency"
//!
//! [gitlab]
//! token_env = "GITLAB_WEBHOOK_TOKEN"
//! ```

pub mod gitlab;
pub mod zendesk;

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use crate::auth::Role;

/// A secret read from the environment: its `Debug` is redacted and it has
/// no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct IntakeSecret(String);

impl IntakeSecret {
    /// The secret's bytes, for the one comparison that uses them.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// A secret for tests and embedding (not read from the environment).
    pub fn new(value: impl Into<String>) -> IntakeSecret {
        IntakeSecret(value.into())
    }
}

impl fmt::Debug for IntakeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntakeSecret(<redacted>)")
    }
}

/// The intake config, validated: every source it names is ready to use.
#[derive(Debug, Clone, Default)]
pub struct IntakeConfig {
    /// Zendesk ticket events (`POST /v1/intake/zendesk`), when on.
    pub zendesk: Option<zendesk::ZendeskIntake>,
    /// GitLab issue events (`POST /v1/intake/gitlab`), when on.
    pub gitlab: Option<gitlab::GitlabIntake>,
}

/// What is wrong with an intake config: one line, naming the key; never a
/// secret's value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IntakeConfigError {
    /// The TOML does not parse, or a key is unknown or of the wrong type.
    #[error("{0}")]
    Syntax(String),
    /// A key's value is wrong.
    #[error("{key}: {message}")]
    Invalid {
        /// The dotted key (`zendesk.rules[0].policy`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl IntakeConfigError {
    fn at(key: impl Into<String>, message: impl Into<String>) -> IntakeConfigError {
        IntakeConfigError::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    zendesk: Option<zendesk::RawZendesk>,
    gitlab: Option<gitlab::RawGitlab>,
}

impl IntakeConfig {
    /// Reads and validates an intake config; `env` looks up the variables
    /// its `*_env` keys name (use [`process_env`] in production).
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<IntakeConfig, IntakeConfigError> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| IntakeConfigError::Syntax(entitle::toml_error_line(text, &e)))?;
        if raw.zendesk.is_none() && raw.gitlab.is_none() {
            return Err(IntakeConfigError::Syntax(
                "no source: add a [zendesk] or a [gitlab] table".to_owned(),
            ));
        }
        Ok(IntakeConfig {
            zendesk: raw.zendesk.map(|raw| raw.validate(&env)).transpose()?,
            gitlab: raw.gitlab.map(|raw| raw.validate(&env)).transpose()?,
        })
    }
}

/// The process environment: what [`IntakeConfig::from_toml`] reads secrets
/// from in production.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The secret in the variable `key` names. The key's value is checked as a
/// variable name (and never quoted when it is not one: it may be the secret
/// itself, pasted where its variable's name belongs).
fn secret(
    key: &str,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<IntakeSecret, IntakeConfigError> {
    let is_name = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !is_name {
        return Err(IntakeConfigError::at(
            key,
            "must name an environment variable (letters, digits and `_`), not hold the secret itself",
        ));
    }
    match env(name) {
        Some(value) if !value.is_empty() => Ok(IntakeSecret(value)),
        Some(_) => Err(IntakeConfigError::at(
            key,
            format!("the environment variable `{name}` is empty"),
        )),
        None => Err(IntakeConfigError::at(
            key,
            format!("the environment variable `{name}` is not set"),
        )),
    }
}

/// The role decisions from a source are made as (default
/// `support-engineer`).
fn role(key: &str, role: Option<&str>) -> Result<Role, IntakeConfigError> {
    let Some(id) = role else {
        return Ok(Role::SupportEngineer);
    };
    match id.parse::<Role>().ok() {
        Some(role) if role.may_decide() => Ok(role),
        Some(_) => Err(IntakeConfigError::at(
            key,
            format!("the role `{id}` may not decide"),
        )),
        None => Err(IntakeConfigError::at(
            key,
            format!("unknown role `{}`", shown(id)),
        )),
    }
}

/// The top-level members of `policy`'s facts, from its JSON Schema.
fn fact_names(policy: &str) -> Vec<String> {
    entitle::schema(policy)
        .ok()
        .and_then(|schema| {
            schema
                .get("properties")
                .and_then(|p| p.as_object())
                .map(|p| p.keys().cloned().collect())
        })
        .unwrap_or_default()
}

/// The id of a known policy, or an error at `key`.
fn policy(key: &str, id: &str) -> Result<&'static str, IntakeConfigError> {
    entitle::policies::POLICIES
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.id)
        .ok_or_else(|| {
            let known: Vec<&str> = entitle::policies::POLICIES.iter().map(|p| p.id).collect();
            IntakeConfigError::at(
                key,
                format!(
                    "unknown policy `{}` (known: {})",
                    shown(id),
                    known.join(", ")
                ),
            )
        })
}

/// Field renames, checked against the names allowed.
fn renames(
    key: &str,
    map: BTreeMap<String, String>,
    allowed: &[&str],
) -> Result<BTreeMap<String, String>, IntakeConfigError> {
    for name in map.keys() {
        if !allowed.contains(&name.as_str()) {
            return Err(IntakeConfigError::at(
                format!("{key}.{}", shown(name)),
                format!("unknown field (expected one of {})", allowed.join(", ")),
            ));
        }
    }
    Ok(map)
}

/// `text` as it may be shown in one line of an error: at most 60
/// characters, control characters escaped, cut marked with `…`.
pub(crate) fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(60).flat_map(char::escape_debug).collect();
    if text.chars().nth(60).is_some() {
        out.push('…');
    }
    out
}

/// What kind of JSON value `value` is, in JSON's words.
pub(crate) fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A delivery's body as a JSON object, or the refusal saying why not.
pub(crate) fn body_object(
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, zendesk::Refusal> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        zendesk::Refusal::new(
            "body",
            format!("is not JSON: {}", entitle::without_position(&e.to_string())),
        )
    })?;
    match value {
        serde_json::Value::Object(root) => Ok(root),
        other => Err(zendesk::Refusal::new(
            "body",
            format!("must be an object, not {}", json_kind(&other)),
        )),
    }
}
