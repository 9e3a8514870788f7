//! The organisation's license generator (the handbook's Mechanizer): a JSON
//! webhook whose answer carries the license.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::http::HttpClient;
use crate::payload::ticket_number;
use crate::secret::Secret;
use entitle_store::StepResult;

/// Asks the license generator for a license: `POST url` with the license's
/// terms; the answer must be a JSON object with a non-empty `license`.
#[derive(Debug)]
pub struct LicenseGeneratorSink {
    url: reqwest::Url,
    token: Option<Secret>,
    http: HttpClient,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url: String,
    token_env: Option<String>,
    timeout_seconds: Option<u64>,
}

impl LicenseGeneratorSink {
    pub(crate) fn from_config(
        cx: &SinkContext<'_>,
        table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let keys: Keys = cx.keys(table)?;
        let url = cx.url("url", &keys.url, None)?;
        let token = match &keys.token_env {
            Some(var) => Some(cx.header_secret("token_env", var)?),
            None => None,
        };
        let http = HttpClient::new(cx, cx.timeout(keys.timeout_seconds)?)?;
        Ok(Self { url, token, http })
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    pub(crate) async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        let body = request_body(d);
        let mut request = self.http.client().post(self.url.clone()).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let answer = self.http.send(request, d.idempotency_key).await?;
        if StepResult::of(&answer.body).license().is_none() {
            return Err(DeliveryError::Permanent {
                message: format!(
                    "the license generator answered HTTP {} without a `license`",
                    answer.status
                ),
                response: Some(answer.kept()),
            });
        }
        Ok(answer.body)
    }
}

/// What the generator is asked for: the decision's license terms, who asks,
/// for which ticket.
fn request_body(d: &Delivery<'_>) -> Value {
    let p = d.payload;
    let terms = &p.decision.details;
    json!({
        "action": d.action_id,
        "decision_id": d.decision_id,
        "users": terms.users,
        "plan": terms.plan,
        "days": terms.days,
        "starts_on": terms.starts_on,
        "expires_on": terms.expires_on,
        "email": p.requester(),
        "username": p.actor_user(),
        "ticket": {"id": ticket_number(p), "url": p.ticket_url()},
    })
}
