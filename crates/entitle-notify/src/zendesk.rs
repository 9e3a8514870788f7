//! The Zendesk Tickets API: a ticket opened on behalf of the customer, or an
//! internal comment on the decision's ticket.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::http::HttpClient;
use crate::payload::{Payload, context, inputs_summary, shorten};
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
        let token = cx.secret("token_env", &keys.token_env)?;
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
        let p = Payload(d.payload);
        let body = body(d);
        let request = if d.action_id.starts_with("open-ticket") {
            let mut ticket = json!({
                "subject": shorten(p.text(), SUBJECT_CHARS),
                "comment": {"body": body},
                "tags": tags(d),
            });
            if let (Some(email), Some(fields)) = (p.requester_email(), ticket.as_object_mut()) {
                fields.insert("requester".to_owned(), json!({"email": email}));
            }
            let url = self.endpoint("api/v2/tickets.json")?;
            self.http
                .client()
                .post(url)
                .json(&json!({"ticket": ticket}))
        } else {
            let id = ticket_number(&p).ok_or_else(|| {
                DeliveryError::permanent(format!(
                    "action `{}` comments on the decision's ticket, but the decision has no Zendesk ticket id",
                    d.action_id
                ))
            })?;
            let url = self.endpoint(&format!("api/v2/tickets/{id}.json"))?;
            let comment = json!({"ticket": {"comment": {"body": body, "public": false}}});
            self.http.client().put(url).json(&comment)
        };
        let request = match &self.auth {
            ZendeskAuth::Bearer => request.bearer_auth(self.token.expose()),
            ZendeskAuth::Basic { email } => {
                request.basic_auth(format!("{email}/token"), Some(self.token.expose()))
            }
        };
        Ok(self.http.send(request, d.idempotency_key).await?.kept())
    }

    fn endpoint(&self, path: &str) -> Result<reqwest::Url, DeliveryError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        reqwest::Url::parse(&format!("{base}/{path}")).map_err(|e| {
            DeliveryError::permanent(format!("cannot build the Zendesk URL for `{path}`: {e}"))
        })
    }
}

/// The comment: the action's text, its inputs, and where it comes from.
fn body(d: &Delivery<'_>) -> String {
    let mut body = Payload(d.payload).text().to_owned();
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
    let p = Payload(d.payload);
    ["entitle", p.policy(), d.action_id]
        .iter()
        .filter(|tag| !tag.is_empty())
        .map(|tag| tag.to_lowercase().replace(|c: char| c.is_whitespace(), "_"))
        .collect()
}

/// The ticket to comment on: the payload's ticket id when it is a plain
/// token (digits, letters, `-`, `_`), else the number that ends its URL
/// (`.../tickets/123`).
fn ticket_number(p: &Payload<'_>) -> Option<String> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if let Some(id) = p.ticket_id().filter(|id| plain(id)) {
        return Some(id.to_owned());
    }
    let url = p.ticket_url()?;
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit())).then(|| last.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_to_comment_on_comes_from_the_id_or_the_url() {
        let by_id =
            json!({"ticket": {"id": "4711", "url": "https://x.zendesk.com/agent/tickets/9"}});
        assert_eq!(ticket_number(&Payload(&by_id)).as_deref(), Some("4711"));
        let by_url =
            json!({"ticket": {"id": "not/plain", "url": "https://x.zendesk.com/agent/tickets/9/"}});
        assert_eq!(ticket_number(&Payload(&by_url)).as_deref(), Some("9"));
        let none =
            json!({"ticket": {"id": null, "url": "https://x.zendesk.com/agent/tickets/new"}});
        assert_eq!(ticket_number(&Payload(&none)), None);
    }
}
