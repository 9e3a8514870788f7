//! Slack-compatible incoming webhooks: `POST {"text": ...}`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::http::HttpClient;
use crate::secret::Secret;
use crate::sink::OnDoubt;
use entitle_store::{Redelivery, StepPayload};

/// Posts the action's text to a Slack incoming webhook, the ticket URL as a
/// link. The webhook URL is a secret (anyone holding it can post).
#[derive(Debug)]
pub struct SlackSink {
    url: Secret,
    http: HttpClient,
    on_doubt: OnDoubt,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    url_env: String,
    timeout_seconds: Option<u64>,
    on_doubt: Option<OnDoubt>,
}

impl SlackSink {
    pub(crate) fn from_config(
        cx: &SinkContext<'_>,
        table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let keys: Keys = cx.keys(table)?;
        let url = cx.secret("url_env", &keys.url_env)?;
        cx.url("url_env", url.expose(), Some(&keys.url_env))?;
        let http = HttpClient::new(cx, cx.timeout(keys.timeout_seconds)?)?;
        // A duplicate channel post is harmless; a lost one is not.
        let on_doubt = keys.on_doubt.unwrap_or(OnDoubt::Resend);
        Ok(Self {
            url,
            http,
            on_doubt,
        })
    }

    pub(crate) fn on_doubt(&self) -> Redelivery {
        self.on_doubt.redelivery()
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    pub(crate) async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        let body = json!({ "text": message(d.payload) });
        let request = self.http.client().post(self.url.expose()).json(&body);
        let answer = self.http.send(request, d.idempotency_key).await?;
        Ok(answer.kept())
    }
}

/// The message: the policy's message for the channel (else the action's
/// text) in Slack's escaping, the ticket URL in it (or after it) as
/// `<url|ticket>`.
fn message(p: &StepPayload) -> String {
    let text = match &p.message {
        Some(message) => escape(&message.body),
        None => escape(&p.text),
    };
    let Some(url) = p.ticket_url() else {
        return text;
    };
    let url = escape(url).replace('|', "%7C");
    let link = format!("<{url}|ticket>");
    if text.contains(&url) {
        text.replace(&url, &link)
    } else {
        format!("{text} ({link})")
    }
}

/// Slack's control characters: `&`, `<`, `>`.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(value: Value) -> StepPayload {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_ticket_url_becomes_a_link_in_place_or_after_the_text() {
        let in_text = json!({"text": "Post <now> with the ticket URL https://t.example/1", "ticket": {"url": "https://t.example/1"}});
        assert_eq!(
            message(&payload(in_text)),
            "Post &lt;now&gt; with the ticket URL <https://t.example/1|ticket>"
        );
        let after = json!({"text": "Done", "ticket": {"url": "https://t.example/1?a=1&b=2"}});
        assert_eq!(
            message(&payload(after)),
            "Done (<https://t.example/1?a=1&amp;b=2|ticket>)"
        );
        let none = json!({"text": "A & B"});
        assert_eq!(message(&payload(none)), "A &amp; B");
        let written = json!({"text": "Post in #channel that ...", "ticket": {"url": "https://t.example/1"},
            "message": {"subject": "Generated", "body": "License generated for https://t.example/1: 5 days"}});
        assert_eq!(
            message(&payload(written)),
            "License generated for <https://t.example/1|ticket>: 5 days"
        );
    }
}
