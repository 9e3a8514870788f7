//! How HTTP failures are sorted: retryable (5xx, 408, 429, timeouts,
//! connection errors, with `Retry-After`) or permanent (other 4xx, 3xx).

use std::time::{Duration, Instant};

use entitle_notify::{DeliveryError, Sink};
use serde_json::json;

use super::common::{KEY, delivery, sink, typed, weekend_payload};
use super::receiver::{Receiver, Reply};

fn hook(url: &str, timeout: u64) -> Sink {
    sink(
        &format!(
            "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_URL\"\ntimeout_seconds = {timeout}\n"
        ),
        &[("SLACK_URL", &format!("{url}/services/SECRET-PATH"))],
        "chat",
    )
}

async fn deliver(sink: &Sink) -> Result<serde_json::Value, DeliveryError> {
    let payload = weekend_payload("post-to-licensing-channel", "Post");
    sink.deliver(&delivery(&typed(&payload), &[])).await
}

#[tokio::test]
async fn a_500_is_retryable_and_the_retry_sends_the_same_idempotency_key() {
    let receiver = Receiver::scripted(vec![Reply::text(500, "boom")], Reply::ok("ok")).await;
    let sink = hook(&receiver.url, 5);

    let first = deliver(&sink).await.unwrap_err();
    assert_eq!(
        first,
        DeliveryError::Retryable {
            message: "HTTP 500 Internal Server Error: boom".into(),
            retry_after: None,
            response: Some(json!({"status": 500, "body": "boom"})),
        }
    );
    assert_eq!(
        deliver(&sink).await.unwrap(),
        json!({"status": 200, "body": "ok"})
    );
    let keys: Vec<_> = receiver
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys, [KEY, KEY]);
}

#[tokio::test]
async fn a_429_honours_retry_after_in_seconds_and_as_an_http_date() {
    let date = (chrono::Utc::now() + chrono::Duration::seconds(120))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let receiver = Receiver::scripted(
        vec![
            Reply::text(429, "slow down").header("retry-after", "7"),
            Reply::text(503, "").header("retry-after", date),
            Reply::text(408, ""),
        ],
        Reply::ok("ok"),
    )
    .await;
    let sink = hook(&receiver.url, 5);

    let retry_after = |e: DeliveryError| match e {
        DeliveryError::Retryable { retry_after, .. } => retry_after,
        other => panic!("not retryable: {other:?}"),
    };
    assert_eq!(
        retry_after(deliver(&sink).await.unwrap_err()),
        Some(Duration::from_secs(7))
    );
    let from_date = retry_after(deliver(&sink).await.unwrap_err()).unwrap();
    assert!((100..=120).contains(&from_date.as_secs()), "{from_date:?}");
    assert_eq!(
        retry_after(deliver(&sink).await.unwrap_err()),
        None,
        "408 is retryable, without a delay"
    );
}

#[tokio::test]
async fn other_4xx_and_redirects_are_permanent_with_the_response_kept() {
    let long = "x".repeat(40_000);
    let receiver = Receiver::scripted(
        vec![
            Reply::json(400, json!({"error": "invalid_payload"})),
            Reply::text(404, long),
            Reply::text(302, "").header("location", "http://127.0.0.1:1/elsewhere"),
        ],
        Reply::ok("ok"),
    )
    .await;
    let sink = hook(&receiver.url, 5);

    assert_eq!(
        deliver(&sink).await.unwrap_err(),
        DeliveryError::Permanent {
            message: "HTTP 400 Bad Request: {\"error\":\"invalid_payload\"}".into(),
            response: Some(json!({"status": 400, "body": {"error": "invalid_payload"}})),
        }
    );
    let DeliveryError::Permanent { message, response } = deliver(&sink).await.unwrap_err() else {
        panic!("permanent")
    };
    assert!(
        message.len() < 250,
        "the message quotes only the start of the body: {message}"
    );
    let kept = response.unwrap()["body"].as_str().unwrap().to_owned();
    assert!(
        kept.len() <= 16 * 1024 + 3 && kept.ends_with('…'),
        "{}",
        kept.len()
    );
    let redirect = deliver(&sink).await.unwrap_err();
    assert!(
        matches!(&redirect, DeliveryError::Permanent { message, .. } if message.starts_with("HTTP 302")),
        "{redirect:?}"
    );
    assert_eq!(receiver.requests().len(), 3, "the redirect is not followed");
}

#[tokio::test]
async fn a_receiver_that_hangs_times_out_at_the_sinks_timeout_and_is_retryable() {
    let receiver = Receiver::always(Reply::hang(Duration::from_secs(5))).await;
    let sink = hook(&receiver.url, 1);
    assert_eq!(sink.timeout(), Duration::from_secs(1));

    let started = Instant::now();
    let error = deliver(&sink).await.unwrap_err();

    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    let DeliveryError::Retryable { message, .. } = &error else {
        panic!("retryable: {error:?}")
    };
    assert!(message.starts_with("timed out"), "{message}");
    assert!(
        !message.contains("SECRET-PATH"),
        "the webhook URL is a secret: {message}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retryable_and_does_not_show_the_secret_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = hook(&format!("http://127.0.0.1:{port}"), 2);

    let error = deliver(&sink).await.unwrap_err();

    let DeliveryError::Retryable {
        message,
        response: None,
        ..
    } = &error
    else {
        panic!("retryable: {error:?}")
    };
    assert!(message.starts_with("could not connect"), "{message}");
    assert!(message.contains("refused"), "the cause is given: {message}");
    assert!(!message.contains("SECRET-PATH"), "{message}");
    assert!(!format!("{sink:?}").contains("SECRET-PATH"));
}

#[tokio::test]
async fn https_urls_go_through_tls() {
    // A plain-HTTP receiver behind an https URL: the client speaks TLS to it
    // (and fails the handshake) rather than refusing the scheme.
    let receiver = Receiver::ok().await;
    let sink = hook(&receiver.url.replace("http://", "https://"), 2);

    let error = deliver(&sink).await.unwrap_err();

    let DeliveryError::Retryable { message, .. } = &error else {
        panic!("retryable: {error:?}")
    };
    assert!(!message.contains("scheme"), "{message}");
    assert!(message.starts_with("could not connect: "), "{message}");
    assert!(
        message.contains("InvalidContentType") || message.to_lowercase().contains("tls"),
        "the TLS handshake's error: {message}"
    );
    assert!(
        receiver.requests().is_empty(),
        "no HTTP request reached the plain receiver"
    );
}
