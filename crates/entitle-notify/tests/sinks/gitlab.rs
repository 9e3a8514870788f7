use serde_json::json;

use super::common::{
    KEY, LICENSE, delivery, failed_input, license_input, sink, typed, weekend_payload,
};
use super::receiver::{Receiver, Reply};

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
    let receiver = Receiver::scripted(
        vec![Reply::json(201, created.clone())],
        Reply::json(200, closed),
    )
    .await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let payload = weekend_payload("record-internal-request", RECORD);
    let inputs = [license_input()];

    let response = sink
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap();

    assert_eq!(
        response,
        json!({"record": "success", "status": 201, "body": created, "closed": true})
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
        description.contains("- `email-license` via mechanizer: done"),
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
    let receiver = Receiver::always(Reply::json(201, json!({"iid": 8}))).await;
    let sink = sink(
        &config(&receiver.url, "\"support/internal-requests\""),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let mut payload = weekend_payload("record-internal-request", RECORD);
    payload["message"] = json!({
        "subject": "[Success] - Created a license under ada@example.com for 134 users",
        "body": "A 5-day temporary Ultimate license for 134 users was created under ada@example.com."
    });
    let inputs = [failed_input()];

    let response = sink
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap();

    assert_eq!(response["closed"], json!(false));
    assert_eq!(response["record"], json!("failure"));
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
        description.starts_with(
            "`email-license` via mechanizer failed: HTTP 503 Service Unavailable: down\nNo license was created.\n"
        ),
        "{description}"
    );
    assert!(
        description.contains(
            "- `email-license` via mechanizer: failed: HTTP 503 Service Unavailable: down"
        ),
        "{description}"
    );
    // What the record would have said is the record, not an instruction.
    assert!(
        !description.contains("Record the internal request"),
        "{description}"
    );
    assert!(!description.contains("LINE-2-OF-THE-LICENSE"));
}

#[tokio::test]
async fn a_step_without_inputs_is_an_open_issue_with_the_actions_text() {
    let receiver = Receiver::always(Reply::json(201, json!({"iid": 9}))).await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let text = "Fulfillment submits the internal request form, type \"Provisioning failure\", for subscription A-S0001 (renewal)";
    let payload = weekend_payload("submit-internal-request", text);

    sink.deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap();

    let body = receiver.only().json();
    assert_eq!(body["title"], json!(text));
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{text}\n\nTicket: "))
    );
}

/// GitLab does not deduplicate on `Idempotency-Key`: a later attempt
/// searches for the issue an earlier one made (by the mark in its
/// description) and does not create it again.
#[tokio::test]
async fn a_later_attempt_finds_the_issue_an_earlier_one_made() {
    let earlier = json!([{"iid": 5, "web_url": "https://gitlab.example.com/ir/-/issues/5",
        "description": format!("the request\n\n<!-- entitle-ref: {KEY} -->")}]);
    let receiver = Receiver::scripted(
        vec![Reply::json(200, earlier)],
        Reply::json(201, json!({"iid": 6})),
    )
    .await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let payload = weekend_payload("submit-internal-request", "Submit the request");
    let payload = typed(&payload);
    let mut second = delivery(&payload, &[]);
    second.attempt = 2;

    let response = sink.deliver(&second).await.unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].method.as_str(), "GET");
    assert!(
        requests[0]
            .path
            .starts_with("/api/v4/projects/42/issues?search=")
            && requests[0].path.contains("in=description"),
        "{}",
        requests[0].path
    );
    assert_eq!(response["body"]["iid"], json!(5));

    // Nothing found: created, with the mark in its description.
    let receiver = Receiver::scripted(
        vec![Reply::json(200, json!([]))],
        Reply::json(201, json!({"iid": 6})),
    )
    .await;
    let sink = super::common::sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    sink.deliver(&second).await.unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let description = requests[1].json()["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        description.ends_with(&format!("<!-- entitle-ref: {KEY} -->")),
        "{description}"
    );
}

/// The record made again after a failure (a retry or a person succeeded):
/// the `[Success]` issue, then the `[Failure]` one it supersedes gets a
/// note linking it and is closed.
#[tokio::test]
async fn a_success_after_a_failure_record_closes_the_failure_record() {
    let created = json!({"iid": 9, "web_url": "https://gitlab.example.com/ir/-/issues/9"});
    let receiver =
        Receiver::scripted(vec![Reply::json(201, created)], Reply::json(200, json!({}))).await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let payload = weekend_payload("record-internal-request", RECORD);
    let by_hand = entitle_notify::Input {
        action_id: "email-license".into(),
        sink: "mechanizer".into(),
        succeeded: true,
        response: Some(
            json!({"by_hand": {"by": "cli:ada", "note": "generated in Mechanizer"}, "license": LICENSE}),
        ),
        last_error: None,
    };
    let inputs = [by_hand];
    let previous = json!({"record": "failure", "status": 201, "body": {"iid": 8}, "closed": false});
    let payload = typed(&payload);
    let mut again = delivery(&payload, &inputs);
    again.previous = Some(&previous);

    let response = sink.deliver(&again).await.unwrap();

    assert_eq!(response["superseded"], json!(8));
    let requests = receiver.requests();
    let calls: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        calls,
        [
            ("POST", "/api/v4/projects/42/issues"),
            ("PUT", "/api/v4/projects/42/issues/9"),
            ("POST", "/api/v4/projects/42/issues/8/notes"),
            ("PUT", "/api/v4/projects/42/issues/8"),
        ]
    );
    let description = requests[0].json()["description"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        description.contains("Done by hand by cli:ada: generated in Mechanizer."),
        "{description}"
    );
    assert!(description.contains(LICENSE), "{description}");
    let note = requests[2].json()["body"].as_str().unwrap().to_owned();
    assert!(
        note.starts_with("Superseded by https://gitlab.example.com/ir/-/issues/9"),
        "{note}"
    );
    assert_eq!(requests[3].json(), json!({"state_event": "close"}));
}

/// A record made again that fails again adds a note to the `[Failure]`
/// issue it made before instead of opening a twin.
#[tokio::test]
async fn a_failure_made_again_notes_the_open_failure_record() {
    let receiver = Receiver::always(Reply::json(201, json!({"id": 1}))).await;
    let sink = sink(
        &config(&receiver.url, "42"),
        &[("GITLAB_TOKEN", "glpat-x")],
        "internal-requests",
    );
    let payload = weekend_payload("record-internal-request", RECORD);
    let inputs = [failed_input()];
    let previous = json!({"record": "failure", "status": 201, "body": {"iid": 8, "web_url": "https://g/8"}, "closed": false});
    let payload = typed(&payload);
    let mut again = delivery(&payload, &inputs);
    again.previous = Some(&previous);

    let response = sink.deliver(&again).await.unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/api/v4/projects/42/issues/8/notes")
    );
    assert!(
        requests[0].json()["body"]
            .as_str()
            .unwrap()
            .starts_with("Failed again.")
    );
    assert_eq!(response["body"]["iid"], json!(8));
    assert_eq!(response["record"], json!("failure"));
}
