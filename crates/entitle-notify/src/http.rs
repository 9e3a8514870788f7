//! What every HTTP sink shares: the client, the `Idempotency-Key`, reading
//! the answer, and sorting failures into retryable and permanent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::DeliveryError;

/// The header every HTTP delivery carries.
pub(crate) const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The most of an answer's body read at all.
const READ_CAP: usize = 1 << 20;
/// The most of an answer's body kept with a response (longer bodies are kept
/// as a truncated string).
pub(crate) const BODY_CAP: usize = 16 * 1024;
/// The most of an answer's body quoted in an error message.
const MESSAGE_CAP: usize = 200;

/// An HTTP client with the sink's timeout.
#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
}

/// A receiver's answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The body: JSON when it parses, else the text.
    pub(crate) body: Value,
}

impl Answer {
    /// What the outbox keeps: `{"status": ..., "body": ...}`, the body capped.
    pub(crate) fn kept(&self) -> Value {
        json!({"status": self.status, "body": cap(&self.body)})
    }
}

impl HttpClient {
    /// A client for the sink in `cx`, timing out after `timeout`.
    pub(crate) fn new(cx: &SinkContext<'_>, timeout: Duration) -> Result<Self, ConfigError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("entitle/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ConfigError::invalid(
                    cx.key("kind"),
                    format!("cannot build the HTTP client: {}", e.without_url()),
                )
            })?;
        Ok(Self { client, timeout })
    }

    /// The underlying client, to build requests with.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The sink's timeout.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` with the idempotency key; a 2xx answer is `Ok`, any
    /// other outcome is sorted into retryable and permanent.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        key: &str,
    ) -> Result<Answer, DeliveryError> {
        let response = request
            .header(IDEMPOTENCY_KEY, key)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers(), Utc::now());
        let body = read_body(response).await?;
        let answer = Answer {
            status: status.as_u16(),
            body,
        };
        if status.is_success() {
            return Ok(answer);
        }
        let message = status_message(status, &answer.body);
        let response = Some(answer.kept());
        if status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
        {
            Err(DeliveryError::Retryable {
                message,
                retry_after,
                response,
            })
        } else {
            Err(DeliveryError::Permanent { message, response })
        }
    }
}

/// A request that got no answer: always worth another try. The URL is left
/// out (a Slack webhook URL is a secret).
fn transport_error(error: reqwest::Error) -> DeliveryError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let error = error.without_url();
    let mut message = format!("{what}: {}", one_line(&error));
    // reqwest's message is generic ("error sending request"): the causes say
    // what happened (refused, a certificate, ...). None holds the URL.
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = one_line(cause);
        if !message.ends_with(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    DeliveryError::retryable(message)
}

/// Reads at most [`READ_CAP`] bytes of the body; JSON when it parses.
async fn read_body(mut response: reqwest::Response) -> Result<Value, DeliveryError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        let room = READ_CAP.saturating_sub(bytes.len());
        bytes.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if bytes.len() >= READ_CAP {
            break;
        }
    }
    Ok(match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(_) => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
    })
}

/// `HTTP 400 Bad Request: <start of the body>`.
fn status_message(status: StatusCode, body: &Value) -> String {
    let text = match body {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let text = one_line(&text);
    let mut message = format!("HTTP {status}");
    if !text.is_empty() {
        message.push_str(": ");
        message.push_str(truncate(&text, MESSAGE_CAP));
        if text.len() > MESSAGE_CAP {
            message.push('…');
        }
    }
    message
}

/// A body no longer than [`BODY_CAP`] when serialized: a longer one becomes
/// its truncated text.
pub(crate) fn cap(body: &Value) -> Value {
    let text = match body {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.len() <= BODY_CAP {
        return body.clone();
    }
    Value::String(format!("{}…", truncate(&text, BODY_CAP)))
}

/// The longest prefix of `text` of at most `max` bytes, cut at a character.
pub(crate) fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

fn one_line(text: &dyn std::fmt::Display) -> String {
    text.to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (a date in the
/// past is no delay).
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    let delay = at.with_timezone(&Utc) - now;
    Some(delay.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            retry_after(&headers("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:29:30 GMT"), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("hello", 10), "hello");
        let long = Value::String("x".repeat(BODY_CAP + 10));
        let Value::String(kept) = cap(&long) else {
            panic!("a string")
        };
        assert!(kept.len() <= BODY_CAP + '…'.len_utf8());
    }
}
