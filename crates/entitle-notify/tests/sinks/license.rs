use entitle_notify::DeliveryError;
use serde_json::json;

use super::common::{KEY, LICENSE, delivery, sink, typed, weekend_payload};
use super::receiver::{Receiver, Reply};

const CONFIG: &str = r#"
[sinks.mechanizer]
kind = "license-generator"
url = "URL/licenses"
token_env = "MECHANIZER_TOKEN"
"#;

#[tokio::test]
async fn the_generator_is_asked_for_the_decisions_license_and_its_answer_kept() {
    let answer = json!({"license": LICENSE, "filename": "ultimate.gitlab-license"});
    let receiver = Receiver::always(Reply::json(201, answer.clone())).await;
    let sink = sink(
        &CONFIG.replace("URL", &receiver.url),
        &[("MECHANIZER_TOKEN", "mech-token")],
        "mechanizer",
    );
    let payload = weekend_payload("email-license", "Generate a 5-day Ultimate license");

    let response = sink
        .deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap();

    assert_eq!(response, answer);
    let request = receiver.only();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/licenses")
    );
    assert_eq!(request.header("authorization"), Some("Bearer mech-token"));
    assert_eq!(request.header("idempotency-key"), Some(KEY));
    assert_eq!(
        request.json(),
        json!({
            "action": "email-license",
            "decision_id": "0190c1d2-0000-7000-8000-00000000d001",
            "users": 134, "plan": "ultimate", "days": 5,
            "starts_on": null, "expires_on": "2026-12-06",
            "email": "ada@example.com", "username": "tok-ada",
            "ticket": {"id": "4711", "url": "https://support.example.com/agent/tickets/4711"},
        })
    );
}

#[tokio::test]
async fn an_answer_without_a_license_is_a_permanent_failure_with_the_answer_kept() {
    let receiver = Receiver::always(Reply::json(200, json!({"queued": true}))).await;
    let sink = sink(
        &CONFIG.replace("URL", &receiver.url),
        &[("MECHANIZER_TOKEN", "t")],
        "mechanizer",
    );
    let payload = weekend_payload("email-license", "Generate");

    let error = sink
        .deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap_err();

    assert_eq!(
        error,
        DeliveryError::Permanent {
            message: "the license generator answered HTTP 200 without a `license`".into(),
            response: Some(json!({"status": 200, "body": {"queued": true}})),
        }
    );
}
