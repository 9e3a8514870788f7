//! Zendesk ticket events: a trigger's webhook posts the body
//! `docs/intake.md` gives (Zendesk placeholders rendered), signed as
//! Zendesk signs every webhook request: the base64 HMAC-SHA256, keyed by
//! the webhook's signing secret, of the `X-Zendesk-Webhook-Signature-Timestamp`
//! header's value followed by the raw body.
//!
//! The body names the ticket (id, URL, requester, tags) and the custom
//! fields the engineer fills in; the first rule whose tag the ticket has
//! names the policy. The ticket is upserted into the store and decided as a
//! stored ticket.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Sha256;

use super::{
    IntakeConfigError, IntakeSecret, fact_names, json_kind, policy, renames, role, secret, shown,
};
use crate::auth::Role;

/// The header holding the signature.
pub const SIGNATURE_HEADER: &str = "x-zendesk-webhook-signature";
/// The header holding the signed timestamp.
pub const TIMESTAMP_HEADER: &str = "x-zendesk-webhook-signature-timestamp";
/// The header holding the delivery's id, the same on every retry.
pub const INVOCATION_HEADER: &str = "x-zendesk-webhook-invocation-id";

/// Default largest difference between the signed timestamp and the
/// server's clock: 5 minutes.
pub const DEFAULT_MAX_SKEW_SECONDS: u32 = 300;

/// The ticket fields a body's `ticket.fields` may fill, by the name the
/// store gives them.
pub const TICKET_FIELDS: &[&str] = &[
    "subscription_id",
    "namespace_id",
    "admin_dashboard_screenshot",
    "license_page_screenshot",
    "screenshot_user_count",
];

/// A rule: tickets with `tag` start `policy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZendeskRule {
    /// The Zendesk tag.
    pub tag: String,
    /// The policy it starts.
    pub policy: &'static str,
    /// Facts no record holds, each from a member of `ticket.fields`
    /// (fact name → member name).
    pub facts: BTreeMap<String, String>,
}

/// The Zendesk source, validated.
#[derive(Debug, Clone)]
pub struct ZendeskIntake {
    /// The webhook's signing secret.
    pub secret: IntakeSecret,
    /// Largest accepted difference between the signed timestamp and now.
    pub max_skew: TimeDelta,
    /// The role its decisions are made as.
    pub role: Role,
    /// Rules, in order: the first whose tag the ticket has applies.
    pub rules: Vec<ZendeskRule>,
    /// Member of `ticket.fields` for each ticket field (store name →
    /// member); a field not listed is read from the member of its own name.
    pub ticket_fields: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawZendesk {
    secret_env: String,
    max_skew_seconds: Option<u32>,
    role: Option<String>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(default)]
    ticket_fields: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    tag: String,
    policy: String,
    #[serde(default)]
    facts: BTreeMap<String, String>,
}

impl RawZendesk {
    pub(super) fn validate(
        self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ZendeskIntake, IntakeConfigError> {
        let secret = secret("zendesk.secret_env", &self.secret_env, env)?;
        let skew = self.max_skew_seconds.unwrap_or(DEFAULT_MAX_SKEW_SECONDS);
        if !(1..=3600).contains(&skew) {
            return Err(IntakeConfigError::at(
                "zendesk.max_skew_seconds",
                format!("must be between 1 and 3600, not {skew}"),
            ));
        }
        if self.rules.is_empty() {
            return Err(IntakeConfigError::at(
                "zendesk.rules",
                "no rule: add a [[zendesk.rules]] with `tag` and `policy`",
            ));
        }
        let stored = entitle::fact_source::stored_policy_ids();
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.into_iter().enumerate() {
            let key = format!("zendesk.rules[{i}]");
            if rule.tag.is_empty()
                || rule.tag.len() > 100
                || rule
                    .tag
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(IntakeConfigError::at(
                    format!("{key}.tag"),
                    "must be one Zendesk tag: 1 to 100 characters, no spaces",
                ));
            }
            let policy = policy(&format!("{key}.policy"), &rule.policy)?;
            if !stored.contains(&policy) {
                return Err(IntakeConfigError::at(
                    format!("{key}.policy"),
                    format!(
                        "`{policy}` is not decided from a ticket's records (those that are: {})",
                        stored.join(", ")
                    ),
                ));
            }
            let names = fact_names(policy);
            for fact in rule.facts.keys() {
                if !names.contains(fact) {
                    return Err(IntakeConfigError::at(
                        format!("{key}.facts.{}", shown(fact)),
                        format!(
                            "`{policy}` has no fact of that name (its facts: {})",
                            names.join(", ")
                        ),
                    ));
                }
            }
            rules.push(ZendeskRule {
                tag: rule.tag,
                policy,
                facts: rule.facts,
            });
        }
        Ok(ZendeskIntake {
            secret,
            max_skew: TimeDelta::seconds(i64::from(skew)),
            role: role("zendesk.role", self.role.as_deref())?,
            rules,
            ticket_fields: renames("zendesk.ticket_fields", self.ticket_fields, TICKET_FIELDS)?,
        })
    }
}

/// Why a request is not Zendesk's (401; nothing is recorded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A signature header is missing.
    #[error("the `{0}` header is missing")]
    Missing(&'static str),
    /// The timestamp header is not an RFC 3339 instant.
    #[error("the `{TIMESTAMP_HEADER}` header is not an RFC 3339 instant")]
    BadTimestamp,
    /// The timestamp is too far from the server's clock.
    #[error(
        "the signed timestamp is {seconds} s from the server's clock (at most {max} s): a replayed or delayed request"
    )]
    Stale {
        /// How far, in seconds.
        seconds: i64,
        /// The limit.
        max: i64,
    },
    /// The signature does not match.
    #[error(
        "the signature does not match the body and timestamp (wrong signing secret, or the body was changed)"
    )]
    Mismatch,
}

/// The signature Zendesk sends for `body` at `timestamp` with `secret`:
/// base64 of HMAC-SHA256(secret, timestamp followed by body).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, timestamp, body).finalize().into_bytes())
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// Checks a request's signature and timestamp against `secret` at `now`;
/// the comparison takes the same time wherever the signatures differ.
pub fn verify(
    secret: &IntakeSecret,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
    max_skew: TimeDelta,
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let timestamp = timestamp.ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
    let signed_at = DateTime::parse_from_rfc3339(timestamp.trim())
        .map_err(|_| SignatureError::BadTimestamp)?
        .with_timezone(&Utc);
    let skew = (now - signed_at).abs();
    if skew > max_skew {
        return Err(SignatureError::Stale {
            seconds: skew.num_seconds(),
            max: max_skew.num_seconds(),
        });
    }
    let presented = STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    mac(secret.bytes(), timestamp, body)
        .verify_slice(&presented)
        .map_err(|_| SignatureError::Mismatch)
}

/// Why a body cannot start a decision: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The dotted path of the member (`ticket.fields.screenshot_user_count`).
    pub field: String,
    /// What is wrong (values shown escaped and cut).
    pub message: String,
}

impl Refusal {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A ticket event, read from a body.
#[derive(Debug, Clone, PartialEq)]
pub struct ZendeskEvent {
    /// The Zendesk ticket id.
    pub ticket_id: String,
    /// The ticket's URL.
    pub url: String,
    /// The requester's email.
    pub requester_email: String,
    /// The ticket's tags.
    pub tags: Vec<String>,
    /// The ticket fields the body fills (store name → value; `null` for a
    /// field left empty).
    pub fields: Map<String, Value>,
    /// The rule that applies, if any.
    pub rule: Option<ZendeskRule>,
    /// Facts no record holds, from the rule's `facts`.
    pub supplied: Map<String, Value>,
}

/// A text member of `object`, rendered (no `{{placeholder}}` left).
fn text(object: &Map<String, Value>, path: &str, name: &str) -> Result<Option<String>, Refusal> {
    let field = format!("{path}.{name}");
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => rendered(&field, s).map(|s| Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(Refusal::new(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

fn required(object: &Map<String, Value>, path: &str, name: &str) -> Result<String, Refusal> {
    match text(object, path, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(Refusal::new(
            format!("{path}.{name}"),
            "is missing or empty (see the body docs/intake.md gives)",
        )),
    }
}

/// `value` if Zendesk rendered every placeholder in it.
fn rendered<'a>(field: &str, value: &'a str) -> Result<&'a str, Refusal> {
    if value.contains("{{") && value.contains("}}") {
        return Err(Refusal::new(
            field,
            format!(
                "holds `{}`, a placeholder Zendesk did not render (check its name in the trigger's body)",
                shown(value)
            ),
        ));
    }
    Ok(value)
}

/// A checkbox as Zendesk renders it (`true`/`false`, `yes`/`no`, `1`/`0`,
/// empty for unchecked) or a JSON boolean.
fn checkbox(field: &str, value: &Value) -> Result<Value, Refusal> {
    let flag = match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => match rendered(field, s)?.trim().to_ascii_lowercase().as_str() {
            "" | "false" | "no" | "0" => false,
            "true" | "yes" | "1" => true,
            _ => {
                return Err(Refusal::new(
                    field,
                    format!(
                        "must be a checkbox value (true or false), not `{}`",
                        shown(s)
                    ),
                ));
            }
        },
        other => {
            return Err(Refusal::new(
                field,
                format!(
                    "must be a checkbox value (true or false), not {}",
                    json_kind(other)
                ),
            ));
        }
    };
    Ok(Value::Bool(flag))
}

/// A count: digits, or empty (`null`: not read yet).
fn count(field: &str, value: &Value) -> Result<Value, Refusal> {
    let text = match value {
        Value::Null => return Ok(Value::Null),
        Value::Number(n) => n.to_string(),
        Value::String(s) => rendered(field, s)?.trim().to_owned(),
        other => {
            return Err(Refusal::new(
                field,
                format!("must be a whole number, not {}", json_kind(other)),
            ));
        }
    };
    if text.is_empty() {
        return Ok(Value::Null);
    }
    text.parse::<u32>().map(Value::from).map_err(|_| {
        Refusal::new(
            field,
            format!("must be a whole number of users, not `{}`", shown(&text)),
        )
    })
}

/// An id: text, or empty (`null`).
fn id(field: &str, value: &Value) -> Result<Value, Refusal> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::String(s) => {
            let s = rendered(field, s)?.trim();
            Ok(if s.is_empty() {
                Value::Null
            } else {
                Value::String(s.to_owned())
            })
        }
        other => Err(Refusal::new(
            field,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

/// A supplied fact from a field's text: JSON `true`, `false` and numbers
/// as such, anything else as text.
fn supplied_value(field: &str, value: &Value) -> Result<Value, Refusal> {
    match value {
        Value::String(s) => {
            let s = rendered(field, s)?.trim();
            Ok(match serde_json::from_str::<Value>(s) {
                Ok(v @ (Value::Bool(_) | Value::Number(_))) => v,
                _ => Value::String(s.to_owned()),
            })
        }
        other => Ok(other.clone()),
    }
}

impl ZendeskIntake {
    /// Reads a ticket event from `body`, or says which member is wrong.
    pub fn event(&self, body: &[u8]) -> Result<ZendeskEvent, Refusal> {
        let root = super::body_object(body)?;
        let ticket = match root.get("ticket") {
            Some(Value::Object(ticket)) => ticket,
            Some(other) => {
                return Err(Refusal::new(
                    "ticket",
                    format!("must be an object, not {}", json_kind(other)),
                ));
            }
            None => return Err(Refusal::new("ticket", "is missing")),
        };
        let ticket_id = required(ticket, "ticket", "id")?;
        // Zendesk's ticket ids are whole numbers.
        if ticket_id.len() > 20 || !ticket_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Refusal::new(
                "ticket.id",
                format!(
                    "must be a Zendesk ticket number, not `{}`",
                    shown(&ticket_id)
                ),
            ));
        }
        let url = required(ticket, "ticket", "url")?;
        entitle::input::check_http_url(&url)
            .map_err(|e| Refusal::new("ticket.url", e.to_string()))?;
        let requester_email = required(ticket, "ticket", "requester_email")?;
        entitle::input::check_email(&requester_email)
            .map_err(|e| Refusal::new("ticket.requester_email", e.to_string()))?;
        let tags: Vec<String> = match ticket.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => rendered("ticket.tags", s)?
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(Refusal::new(
                        format!("ticket.tags[{i}]"),
                        format!("must be a string, not {}", json_kind(other)),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(Refusal::new(
                    "ticket.tags",
                    format!("must be a string of tags, not {}", json_kind(other)),
                ));
            }
        };
        let empty = Map::new();
        let members = match ticket.get("fields") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(fields)) => fields,
            Some(other) => {
                return Err(Refusal::new(
                    "ticket.fields",
                    format!("must be an object, not {}", json_kind(other)),
                ));
            }
        };
        let mut fields = Map::new();
        for name in TICKET_FIELDS {
            let member = self.ticket_fields.get(*name).map_or(*name, String::as_str);
            let Some(value) = members.get(member) else {
                continue;
            };
            let path = format!("ticket.fields.{member}");
            let value = match *name {
                "admin_dashboard_screenshot" | "license_page_screenshot" => checkbox(&path, value)?,
                "screenshot_user_count" => count(&path, value)?,
                _ => id(&path, value)?,
            };
            fields.insert((*name).to_owned(), value);
        }
        let rule = self
            .rules
            .iter()
            .find(|rule| tags.contains(&rule.tag))
            .cloned();
        let mut supplied = Map::new();
        if let Some(rule) = &rule {
            for (fact, member) in &rule.facts {
                if let Some(value) = members.get(member) {
                    let path = format!("ticket.fields.{member}");
                    supplied.insert(fact.clone(), supplied_value(&path, value)?);
                }
            }
        }
        Ok(ZendeskEvent {
            ticket_id,
            url,
            requester_email,
            tags,
            fields,
            rule,
            supplied,
        })
    }
}
