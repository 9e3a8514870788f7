#![expect(
    clippy::indexing_slicing,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]
use base64::Engine as _;
use entitle_notify::{DeliveryError, Input};
use serde_json::json;

use super::common::{KEY, delivery, sink, typed, weekend_payload};
use super::receiver::{Receiver, Reply};

fn provision_payload(action: &str, text: &str) -> serde_json::Value {
    let mut payload = weekend_payload(action, text);
    payload["policy"] = json!("provision-failure");
    payload["outcome"] = json!("request-lr-support");
    payload["details"] = json!({});
    payload
}

#[tokio::test]
async fn open_ticket_creates_a_ticket_on_behalf_of_the_customer_with_a_bearer_token() {
    let created = json!({"ticket": {"id": 35436, "url": "https://acme.zendesk.com/api/v2/tickets/35436.json"}});
    let receiver = Receiver::always(Reply::json(201, created.clone())).await;
    let sink = sink(
        &format!(
            "[sinks.tickets]\nkind = \"zendesk\"\nbase_url = \"{}/\"\ntoken_env = \"ZD_TOKEN\"\n",
            receiver.url
        ),
        &[("ZD_TOKEN", "zd-oauth")],
        "tickets",
    );
    let text = "Support opens a ticket on behalf of the customer to inform them of the issue, offering a fix or workaround if one is available";
    let payload = provision_payload("open-ticket-for-customer", text);
    let inputs = [Input {
        action_id: "submit-internal-request".into(),
        sink: "internal-requests".into(),
        succeeded: true,
        response: Some(
            json!({"status": 201, "body": {"iid": 12, "web_url": "https://gitlab.example.com/ir/-/issues/12"}, "closed": false}),
        ),
        last_error: None,
    }];

    let response = sink
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap();

    assert_eq!(response, json!({"status": 201, "body": created}));
    let request = receiver.only();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/v2/tickets.json")
    );
    assert_eq!(request.header("authorization"), Some("Bearer zd-oauth"));
    assert_eq!(request.header("idempotency-key"), Some(KEY));
    let body = request.json();
    let ticket = &body["ticket"];
    assert_eq!(ticket.as_object().unwrap().len(), 4, "{body}");
    assert_eq!(
        ticket["subject"],
        json!(
            "Support opens a ticket on behalf of the customer to inform them of the issue, offering a fix or workaround if one is…"
        )
    );
    assert_eq!(ticket["requester"], json!({"email": "ada@example.com"}));
    assert_eq!(
        ticket["tags"],
        json!(["entitle", "provision-failure", "open-ticket-for-customer"])
    );
    // Without a message written for the customer, nothing internal is
    // made public: the one comment is private.
    assert_eq!(ticket["comment"]["public"], json!(false));
    let comment = ticket["comment"]["body"].as_str().unwrap();
    assert!(comment.starts_with(text), "{comment}");
    assert!(comment.contains("- `submit-internal-request` via internal-requests: done, https://gitlab.example.com/ir/-/issues/12"), "{comment}");
    assert!(
        comment.contains("Ticket: https://support.example.com/agent/tickets/4711"),
        "{comment}"
    );
}

#[tokio::test]
async fn other_actions_add_an_internal_comment_with_an_api_token() {
    let receiver = Receiver::always(Reply::json(200, json!({"ticket": {"id": 4711}}))).await;
    let sink = sink(
        &format!(
            "[sinks.tickets]\nkind = \"zendesk\"\nbase_url = \"{}\"\ntoken_env = \"ZD_TOKEN\"\nauth = \"basic\"\nemail = \"agent@example.com\"\n",
            receiver.url
        ),
        &[("ZD_TOKEN", "zd-api-token")],
        "tickets",
    );
    let payload = provision_payload("manage-product-issue", "If required, submit a bug issue");

    sink.deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap();

    let request = receiver.only();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("PUT", "/api/v2/tickets/4711.json")
    );
    let expected =
        base64::engine::general_purpose::STANDARD.encode("agent@example.com/token:zd-api-token");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Basic {expected}").as_str())
    );
    assert_eq!(request.header("idempotency-key"), Some(KEY));
    let body = request.json();
    assert_eq!(body["ticket"].as_object().unwrap().len(), 1, "{body}");
    assert_eq!(body["ticket"]["comment"]["public"], json!(false));
    let comment = body["ticket"]["comment"]["body"].as_str().unwrap();
    assert!(
        comment.starts_with("If required, submit a bug issue\n\nTicket: "),
        "{comment}"
    );
    assert!(
        comment.ends_with(&format!("entitle-ref: {KEY}")),
        "{comment}"
    );
}

/// Spec 3.8 v2: with a message written for the customer, the ticket's
/// requester is the customer, its first comment is public and holds no
/// internal link or id, and the internal context (the internal request,
/// the decision) is a private note on the same ticket.
#[tokio::test]
async fn open_ticket_with_a_message_is_public_to_the_customer_with_a_private_note() {
    let created = json!({"ticket": {"id": 35436}});
    let receiver = Receiver::scripted(
        vec![Reply::json(201, created.clone())],
        Reply::json(200, json!({"ticket": {"id": 35436}})),
    )
    .await;
    let sink = sink(
        &format!(
            "[sinks.tickets]\nkind = \"zendesk\"\nbase_url = \"{}\"\ntoken_env = \"ZD_TOKEN\"\n",
            receiver.url
        ),
        &[("ZD_TOKEN", "zd-oauth")],
        "tickets",
    );
    let mut payload = provision_payload("open-ticket-for-customer", "Support opens a ticket");
    payload["message"] = json!({
        "to": "billing@customer.example",
        "subject": "Provisioning of your subscription A-S1 failed",
        "body": "Hello,\n\nThe provisioning of your subscription A-S1 did not complete.",
        "note": "Opened on behalf of the customer for A-S1."
    });
    let issue = "https://gitlab.example.com/ir/-/issues/12";
    let inputs = [Input {
        action_id: "submit-internal-request".into(),
        sink: "internal-requests".into(),
        succeeded: true,
        response: Some(json!({"status": 201, "body": {"iid": 12, "web_url": issue}})),
        last_error: None,
    }];

    let response = sink
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:#?}");
    let ticket = requests[0].json()["ticket"].clone();
    assert_eq!(
        ticket["requester"],
        json!({"email": "billing@customer.example"})
    );
    assert_eq!(
        ticket["subject"],
        json!("Provisioning of your subscription A-S1 failed")
    );
    assert_eq!(ticket["comment"]["public"], json!(true));
    let public = ticket["comment"]["body"].as_str().unwrap();
    assert!(public.starts_with("Hello,"), "{public}");
    for internal in [issue, "0190c1d2", "entitle-ref", "Decided by entitle"] {
        assert!(!public.contains(internal), "{internal} in {public}");
    }
    let (method, path) = (requests[1].method.as_str(), requests[1].path.as_str());
    assert_eq!((method, path), ("PUT", "/api/v2/tickets/35436.json"));
    assert_eq!(
        requests[1].header("idempotency-key"),
        Some(format!("{KEY}-note").as_str())
    );
    let note = requests[1].json()["ticket"]["comment"].clone();
    assert_eq!(note["public"], json!(false));
    let note = note["body"].as_str().unwrap();
    assert!(
        note.starts_with("Opened on behalf of the customer for A-S1."),
        "{note}"
    );
    assert!(
        note.contains(issue),
        "the private note links the internal request: {note}"
    );
    assert!(note.contains("Decided by entitle"), "{note}");
    assert_eq!(response["body"], created);
}

/// Zendesk does not deduplicate comments: a later attempt lists the
/// ticket's comments and does not write one that holds its mark.
#[tokio::test]
async fn a_later_attempt_finds_its_comment_instead_of_writing_it_twice() {
    let listed =
        json!({"comments": [{"body": format!("the note\n\nentitle-ref: {KEY}"), "public": false}]});
    let receiver =
        Receiver::scripted(vec![Reply::json(200, listed)], Reply::json(200, json!({}))).await;
    let sink = sink(
        &format!(
            "[sinks.tickets]\nkind = \"zendesk\"\nbase_url = \"{}\"\ntoken_env = \"ZD_TOKEN\"\n",
            receiver.url
        ),
        &[("ZD_TOKEN", "t")],
        "tickets",
    );
    let payload = provision_payload("manage-product-issue", "If required, submit a bug issue");
    let payload = typed(&payload);
    let mut second = delivery(&payload, &[]);
    second.attempt = 2;

    sink.deliver(&second).await.unwrap();

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "only the look-up: {requests:#?}");
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("GET", "/api/v2/tickets/4711/comments.json")
    );
    // A first attempt does not look.
    sink.deliver(&delivery(&payload, &[])).await.unwrap();
    assert_eq!(receiver.requests()[1].method.as_str(), "PUT");
}

#[tokio::test]
async fn a_comment_without_a_ticket_is_a_permanent_failure_and_sends_nothing() {
    let receiver = Receiver::ok().await;
    let sink = sink(
        &format!(
            "[sinks.tickets]\nkind = \"zendesk\"\nbase_url = \"{}\"\ntoken_env = \"ZD_TOKEN\"\n",
            receiver.url
        ),
        &[("ZD_TOKEN", "t")],
        "tickets",
    );
    let mut payload = provision_payload("manage-product-issue", "Submit a bug issue");
    payload["ticket"] = json!({"id": null, "url": null});

    let error = sink
        .deliver(&delivery(&typed(&payload), &[]))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, DeliveryError::Permanent { message, response: None } if message.contains("no Zendesk ticket id")),
        "{error:?}"
    );
    assert!(receiver.requests().is_empty());
}
