//! The Zendesk Tickets API: a ticket opened on behalf of the customer, or an
//! internal comment on the decision's ticket.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::http::HttpClient;
use crate::payload::{context, inputs_summary, marker, shorten, ticket_number};
use crate::secret::Secret;

/// How the sink authenticates to Zendesk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZendeskAuth {
    /// `Authorization: Bearer <token>` (an OAuth access token).
    Bearer,
    /// An API token: basic auth as `<email>/token:<token>`.
    Basic {
        /// The agent's email address.
        email: String,
    },
}

/// Actions whose id starts with `open-ticket` create a ticket
/// (`POST /api/v2/tickets.json`); any other adds an internal comment to the
/// decision's ticket (`PUT /api/v2/tickets/{id}.json`).
#[derive(Debug)]
pub struct ZendeskSink {
    base_url: reqwest::Url,
    token: Secret,
    auth: ZendeskAuth,
    http: HttpClient,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    base_url: String,
    token_env: String,
    #[serde(default)]
    auth: AuthKind,
    email: Option<String>,
    timeout_seconds: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "lowercase")]
enum AuthKind {
    #[default]
    Bearer,
    Basic,
}

/// The longest subject of a created ticket.
const SUBJECT_CHARS: usize = 120;

impl ZendeskSink {
    pub(crate) fn from_config(
        cx: &SinkContext<'_>,
        table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let keys: Keys = cx.keys(table)?;
        let base_url = cx.url("base_url", &keys.base_url, None)?;
        let auth = match (keys.auth, keys.email) {
            (AuthKind::Bearer, None) => ZendeskAuth::Bearer,
            (AuthKind::Bearer, Some(_)) => {
                return Err(ConfigError::invalid(
                    cx.key("email"),
                    "only used with auth = \"basic\"",
                ));
            }
            (AuthKind::Basic, Some(email)) if email.contains('@') => ZendeskAuth::Basic { email },
            (AuthKind::Basic, Some(email)) => {
                return Err(ConfigError::invalid(
                    cx.key("email"),
                    format!("`{email}` is not an email address"),
                ));
            }
            (AuthKind::Basic, None) => {
                return Err(ConfigError::invalid(
                    cx.key("email"),
                    "required with auth = \"basic\"",
                ));
            }
        };
        let token = cx.header_secret("token_env", &keys.token_env)?;
        let http = HttpClient::new(cx, cx.timeout(keys.timeout_seconds)?)?;
        Ok(Self {
            base_url,
            token,
            auth,
            http,
        })
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    pub(crate) async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        if d.action_id.starts_with("open-ticket") {
            return self.open_ticket(d).await;
        }
        let p = d.payload;
        let id = ticket_number(p).ok_or_else(|| {
            DeliveryError::permanent(format!(
                "action `{}` comments on the decision's ticket, but the decision has no Zendesk ticket id",
                d.action_id
            ))
        })?;
        let text = p
            .message
            .as_ref()
            .map_or_else(|| p.text.clone(), |m| m.body.clone());
        self.private_note(d, &id, &body(d, &text), d.idempotency_key)
            .await
    }

    /// Opens a ticket on behalf of the customer (keyed: Zendesk honours
    /// `Idempotency-Key` on ticket creation), then adds the internal
    /// context as a private note (looked up before it is written again).
    /// With a message the first comment is public and the customer's;
    /// without one it is the internal context, private.
    async fn open_ticket(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        let p = d.payload;
        let message = p.message.as_ref();
        let requester = message
            .and_then(|m| m.to.as_deref())
            .or_else(|| p.requester());
        let (subject, comment, note) = match message {
            Some(m) => (
                shorten(&m.subject, SUBJECT_CHARS),
                json!({"body": m.body, "public": true}),
                Some(m.note.clone().unwrap_or_default()),
            ),
            None => (
                shorten(&p.text, SUBJECT_CHARS),
                json!({"body": body(d, &p.text), "public": false}),
                None,
            ),
        };
        let mut ticket = json!({"subject": subject, "comment": comment, "tags": tags(d)});
        if let (Some(email), Some(fields)) = (requester, ticket.as_object_mut()) {
            fields.insert("requester".to_owned(), json!({"email": email}));
        }
        let url = self.endpoint("api/v2/tickets.json")?;
        let request = self.authorized(
            self.http
                .client()
                .post(url)
                .json(&json!({"ticket": ticket})),
        );
        let created = self.http.send(request, d.idempotency_key).await?;
        let Some(note) = note else {
            return Ok(created.kept());
        };
        let id = created
            .body
            .pointer("/ticket/id")
            .and_then(|id| match id {
                Value::Number(n) => Some(n.to_string()),
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .ok_or_else(|| DeliveryError::Permanent {
                message: "Zendesk created the ticket but its answer has no `ticket.id`: cannot add the internal note".to_owned(),
                response: Some(created.kept()),
            })?;
        let note = body(d, &note);
        let noted = self
            .private_note(
                d,
                &id,
                note.trim_start(),
                &format!("{}-note", d.idempotency_key),
            )
            .await?;
        Ok(
            json!({"status": created.status, "body": crate::http::cap(&created.body), "note": noted}),
        )
    }

    /// Adds `text` as a private comment to ticket `id`, marked with `key`;
    /// on a later attempt, the ticket's comments are listed first and a
    /// comment holding the mark is not written again (Zendesk does not
    /// deduplicate comments).
    async fn private_note(
        &self,
        d: &Delivery<'_>,
        id: &str,
        text: &str,
        key: &str,
    ) -> Result<Value, DeliveryError> {
        let mark = marker(key);
        if d.attempt > 1 && self.has_comment(id, &mark, key).await? {
            return Ok(json!({"status": 200, "found": mark}));
        }
        let url = self.endpoint(&format!("api/v2/tickets/{id}.json"))?;
        let body = format!("{text}\n\n{mark}");
        let comment = json!({"ticket": {"comment": {"body": body, "public": false}}});
        let request = self.authorized(self.http.client().put(url).json(&comment));
        Ok(self.http.send(request, key).await?.kept())
    }

    /// Whether a comment of ticket `id` holds `mark`.
    async fn has_comment(&self, id: &str, mark: &str, key: &str) -> Result<bool, DeliveryError> {
        let url = self.endpoint(&format!("api/v2/tickets/{id}/comments.json"))?;
        let request = self.authorized(self.http.client().get(url));
        let listed = self.http.send(request, &format!("{key}-lookup")).await?;
        let found = listed
            .body
            .get("comments")
            .and_then(Value::as_array)
            .is_some_and(|comments| {
                comments.iter().any(|c| {
                    c.get("body")
                        .and_then(Value::as_str)
                        .is_some_and(|b| b.contains(mark))
                })
            });
        Ok(found)
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.auth {
            ZendeskAuth::Bearer => request.bearer_auth(self.token.expose()),
            ZendeskAuth::Basic { email } => {
                request.basic_auth(format!("{email}/token"), Some(self.token.expose()))
            }
        }
    }

    fn endpoint(&self, path: &str) -> Result<reqwest::Url, DeliveryError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        reqwest::Url::parse(&format!("{base}/{path}")).map_err(|e| {
            DeliveryError::permanent(format!("cannot build the Zendesk URL for `{path}`: {e}"))
        })
    }
}

/// An internal comment: `text`, the steps before it, and where it comes
/// from.
fn body(d: &Delivery<'_>, text: &str) -> String {
    let mut body = text.to_owned();
    let inputs = inputs_summary(d.inputs);
    if !inputs.is_empty() {
        body.push_str("\n\nSteps before this one:\n");
        body.push_str(&inputs);
    }
    body.push_str("\n\n");
    body.push_str(&context(d));
    body
}

/// Zendesk tags: `entitle`, the policy and the action (lowercase, no spaces).
fn tags(d: &Delivery<'_>) -> Vec<String> {
    ["entitle", d.payload.decision.policy.as_str(), d.action_id]
        .iter()
        .filter(|tag| !tag.is_empty())
        .map(|tag| tag.to_lowercase().replace(|c: char| c.is_whitespace(), "_"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_to_comment_on_comes_from_the_id_or_the_url() {
        let by_id =
            json!({"ticket": {"id": "4711", "url": "https://x.zendesk.com/agent/tickets/9"}});
        let number = |value| ticket_number(&serde_json::from_value(value).unwrap());
        assert_eq!(number(by_id).as_deref(), Some("4711"));
        let by_url =
            json!({"ticket": {"id": "not/plain", "url": "https://x.zendesk.com/agent/tickets/9/"}});
        assert_eq!(number(by_url).as_deref(), Some("9"));
        let none =
            json!({"ticket": {"id": null, "url": "https://x.zendesk.com/agent/tickets/new"}});
        assert_eq!(number(none), None);
        let query = json!({"ticket": {"url": "https://x.zendesk.com/agent/tickets/4711?tab=1#c"}});
        assert_eq!(number(query).as_deref(), Some("4711"));
    }
}
