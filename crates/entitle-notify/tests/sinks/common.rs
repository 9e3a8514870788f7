//! Fixtures: a weekend-emergency payload, deliveries, sinks from TOML.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::HashMap;

use entitle_notify::{ActionsConfig, Delivery, Input, Sink};
use entitle_store::StepPayload;
use serde_json::{Value, json};

pub const KEY: &str = "entitle-0190c1d2-aaaa-7bbb-8ccc-000000000001";
pub const LICENSE: &str = "eyJsaWNlbnNlIjoiVUxUSU1BVEUtMTM0In0=\nLINE-2-OF-THE-LICENSE";

/// The payload of a weekend-emergency step (the store's shape).
pub fn weekend_payload(action: &str, text: &str) -> Value {
    json!({
        "action": action,
        "text": text,
        "policy": "weekend-emergency",
        "policy_version": 1,
        "outcome": "generate-temporary-license",
        "details": {
            "plan": "ultimate", "users": 134, "days": 5, "email": "ada@example.com",
            "expires_on": "2026-12-06",
            "internal_request": "[Success] - Created a license under ada@example.com for 134 users",
        },
        "facts": {"ticket_url": "https://support.example.com/agent/tickets/4711"},
        "ticket": {"id": "4711", "url": "https://support.example.com/agent/tickets/4711"},
        "requester_email": "ada@example.com",
        "actor": {"role": "support-engineer", "user": "tok-ada"},
    })
}

/// `payload` (the store's shape) as a sink reads it.
pub fn typed(payload: &Value) -> StepPayload {
    serde_json::from_value(payload.clone()).unwrap()
}

/// A step of `payload` with `inputs`.
pub fn delivery<'a>(payload: &'a StepPayload, inputs: &'a [Input]) -> Delivery<'a> {
    Delivery {
        action_row_id: "0190c1d2-aaaa-7bbb-8ccc-000000000001",
        decision_id: Some("0190c1d2-0000-7000-8000-00000000d001"),
        action_id: &payload.action,
        idempotency_key: KEY,
        payload,
        inputs,
        attempt: 1,
        previous: None,
    }
}

/// The generator's successful step, as an input.
pub fn license_input() -> Input {
    Input {
        action_id: "email-license".into(),
        sink: "mechanizer".into(),
        succeeded: true,
        response: Some(json!({"license": LICENSE})),
        last_error: None,
    }
}

/// The generator's dead step, as an input.
pub fn failed_input() -> Input {
    Input {
        action_id: "email-license".into(),
        sink: "mechanizer".into(),
        succeeded: false,
        response: Some(json!({"status": 503, "body": "down"})),
        last_error: Some("HTTP 503 Service Unavailable: down".into()),
    }
}

/// Looks variables up in `vars` only.
pub fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.get(name).cloned()
}

/// The sink `name` of a config.
pub fn sink(toml: &str, vars: &[(&str, &str)], name: &str) -> Sink {
    let mut config = ActionsConfig::from_toml(toml, env(vars)).unwrap();
    config.sinks.remove(name).unwrap()
}
