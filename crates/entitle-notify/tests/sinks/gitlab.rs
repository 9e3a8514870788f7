use serde_json::json;

use crate::common::{KEY, LICENSE, delivery, failed_input, license_input, sink, weekend_payload};
use crate::receiver::{Receiver, Reply};

fn config(url: &str, project: &str) -> String {
    format!(
        "[sinks.internal-requests]\nkind = \"gitlab\"\nbase_url = \"{url}\"\nproject_id = {project}\ntoken_env = \"GITLAB_TOKEN\"\nlabels = [\"internal-request\", \"licensing\"]\n"
    )
}

const RECORD: &str = "Record the internal request `[Success] - Created a license under ada@example.com for 134 users` (closed, with a copy of the license); if the tool failed, record an open internal request describing the failure instead: no license was created";

#[tokio::test]
async fn the_success_record_holds_the_license_and_is_closed() {
    let created = json!({"id": 901, "iid": 7, "state": "opened", "web_url": "https://gitlab.example.com/ir/-/issues/7"});
    let closed = json!({"id": 901, "iid": 7, "state": "closed", "web_url": "https://gitlab.example.com/ir/-/issues/7"});
    let receiver = Receiver::start(
        vec![Reply::json(201, created)],
        Reply::json(200, closed.clone()),
    )
    .await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let payload = weekend_payload("record-internal-request", RECORD);
    let inputs = [license_input()];

    let response = sink.deliver(&delivery(&payload, &inputs)).await.unwrap();

    assert_eq!(
        response,
        json!({"status": 200, "body": closed, "closed": true})
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let (create, close) = (&requests[0], &requests[1]);
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/api/v4/projects/42/issues")
    );
    assert_eq!(create.header("private-token"), Some("glpat-x"));
    assert_eq!(create.header("idempotency-key"), Some(KEY));
    let body = create.json();
    assert_eq!(
        body["title"],
        json!("[Success] - Created a license under ada@example.com for 134 users")
    );
    assert_eq!(body["labels"], json!("internal-request,licensing"));
    let description = body["description"].as_str().unwrap();
    assert!(
        description.contains(&format!("```\n{LICENSE}\n```")),
        "{description}"
    );
    assert!(
        description.contains("- `email-license` (mechanizer): done"),
        "{description}"
    );
    assert_eq!(
        (close.method.as_str(), close.path.as_str()),
        ("PUT", "/api/v4/projects/42/issues/7")
    );
    assert_eq!(close.header("private-token"), Some("glpat-x"));
    assert_eq!(
        close.header("idempotency-key"),
        Some(format!("{KEY}-close").as_str())
    );
    assert_eq!(close.json(), json!({"state_event": "close"}));
}

#[tokio::test]
async fn a_failed_license_makes_an_open_failure_record() {
    let receiver = Receiver::start(vec![], Reply::json(201, json!({"iid": 8}))).await;
    let sink = sink(
        &config(&receiver.url, "\"support/internal-requests\""),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let payload = weekend_payload("record-internal-request", RECORD);
    let inputs = [failed_input()];

    let response = sink.deliver(&delivery(&payload, &inputs)).await.unwrap();

    assert_eq!(response["closed"], json!(false));
    let request = receiver.only();
    assert_eq!(
        request.path,
        "/api/v4/projects/support%2Finternal-requests/issues"
    );
    let body = request.json();
    assert_eq!(
        body["title"],
        json!("[Failure] - Could not create a license under ada@example.com for 134 users")
    );
    let description = body["description"].as_str().unwrap();
    assert!(
        description.starts_with("`email-license` failed: no license was created."),
        "{description}"
    );
    assert!(
        description
            .contains("- `email-license` (mechanizer): failed: HTTP 503 Service Unavailable: down"),
        "{description}"
    );
    assert!(!description.contains("LINE-2-OF-THE-LICENSE"));
}

#[tokio::test]
async fn a_step_without_inputs_is_an_open_issue_with_the_actions_text() {
    let receiver = Receiver::start(vec![], Reply::json(201, json!({"iid": 9}))).await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let text = "Fulfillment submits the internal request form, type \"Provisioning failure\", for subscription A-S0001 (renewal)";
    let payload = weekend_payload("submit-internal-request", text);

    sink.deliver(&delivery(&payload, &[])).await.unwrap();

    let body = receiver.only().json();
    assert_eq!(body["title"], json!(text));
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{text}\n\nTicket: "))
    );
}
