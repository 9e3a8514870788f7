//! A generic JSON webhook signed with HMAC-SHA256 (Stripe's scheme):
//! `Entitle-Signature: t=<unix seconds>,v1=<hex HMAC of "{t}.{body}">`.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::http::HttpClient;
use crate::secret::Secret;

/// The header holding the signature.
pub const SIGNATURE_HEADER: &str = "Entitle-Signature";

/// Posts the whole step (payload and inputs) as JSON, signed.
#[derive(Debug)]
pub struct WebhookSink {
    url: reqwest::Url,
    secret: Secret,
    http: HttpClient,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url: String,
    secret_env: String,
    timeout_seconds: Option<u64>,
}

/// The hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`: the `v1`
/// value of [`SIGNATURE_HEADER`].
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: this never fails.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

impl WebhookSink {
    pub(crate) fn from_config(
        cx: &SinkContext<'_>,
        table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let keys: Keys = cx.keys(table)?;
        let url = cx.url("url", &keys.url, None)?;
        let secret = cx.secret("secret_env", &keys.secret_env)?;
        let http = HttpClient::new(cx, cx.timeout(keys.timeout_seconds)?)?;
        Ok(Self { url, secret, http })
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    pub(crate) async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        let inputs: Vec<Value> = d
            .inputs
            .iter()
            .map(|input| {
                json!({
                    "action": input.action_id, "sink": input.sink, "succeeded": input.succeeded,
                    "response": input.response, "last_error": input.last_error,
                })
            })
            .collect();
        let body = json!({
            "id": d.action_row_id,
            "decision_id": d.decision_id,
            "action": d.action_id,
            "idempotency_key": d.idempotency_key,
            "payload": d.payload,
            "inputs": inputs,
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| {
            DeliveryError::permanent(format!("cannot serialize the webhook body: {e}"))
        })?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = sign(self.secret.expose().as_bytes(), timestamp, &bytes);
        let request = self
            .http
            .client()
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, format!("t={timestamp},v1={signature}"))
            .body(bytes);
        let answer = self.http.send(request, d.idempotency_key).await?;
        Ok(answer.kept())
    }
}
