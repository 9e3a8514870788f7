//! The provisioning-failure page (spec 3.8 v2): `request-lr-support`
//! submits the internal request (GitLab) and then opens a ticket on behalf
//! of the customer (Zendesk), theirs and written to them, the internal
//! context a private note; `keep-with-fulfillment` creates no ticket, its
//! action is a manual task.

use std::time::Duration;

use serde_json::{Value, json};

use super::common::{MONDAY, Server, Site, provision_facts, run, statuses};
use super::services::{GitLab, Zendesk};

/// The actions config routing provision-failure to the two stand-ins.
pub fn provision_config(gitlab: &str, zendesk: &str) -> String {
    format!(
        r#"
[routes]
"submit-internal-request" = "gitlab"
"open-ticket-for-customer" = "zendesk"

[sinks.gitlab]
kind = "gitlab"
base_url = "{gitlab}"
project_id = "support/internal-requests"
token_env = "GITLAB_TOKEN"

[sinks.zendesk]
kind = "zendesk"
base_url = "{zendesk}"
token_env = "ZENDESK_API_TOKEN"

[worker]
poll_interval_ms = 50
"#
    )
}

pub fn provision_env() -> Vec<(&'static str, String)> {
    vec![
        ("GITLAB_TOKEN", "glpat-test".to_owned()),
        ("ZENDESK_API_TOKEN", "zd-token".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_lr_support_opens_the_request_then_the_customers_ticket() {
    let gitlab = GitLab::start(Duration::ZERO).await;
    let zendesk = Zendesk::start(Duration::ZERO).await;
    let site = Site::new();
    let actions = site.actions_file(&provision_config(
        &gitlab.receiver.url,
        &zendesk.receiver.url,
    ));
    let server = Server::start(&site, "entitle.db", &actions, &provision_env()).await;

    // keep-with-fulfillment: a manual task, nothing sent anywhere.
    let keep = server
        .decide(
            &site.engineer,
            "provision-failure",
            &provision_facts(false, "A-S00012345"),
            MONDAY,
        )
        .await;
    assert_eq!(keep["outcome"], "keep-with-fulfillment", "{keep:#}");
    let keep_steps = statuses(keep["actions"].as_array().unwrap());
    assert_eq!(
        keep_steps,
        [(
            "keep-with-fulfillment".to_owned(),
            "manual".to_owned(),
            "pending".to_owned()
        )]
    );
    let keep_id = keep["actions"][0]["id"].as_str().unwrap().to_owned();

    // request-lr-support: the internal request, then the customer's ticket.
    let lr = server
        .decide(
            &site.engineer,
            "provision-failure",
            &provision_facts(true, "A-S00012345"),
            MONDAY,
        )
        .await;
    assert_eq!(lr["outcome"], "request-lr-support", "{lr:#}");
    assert_eq!(lr["version"], 2, "{lr:#}");
    let steps: Vec<(String, String)> = statuses(lr["actions"].as_array().unwrap())
        .into_iter()
        .map(|(action, sink, _)| (action, sink))
        .collect();
    assert_eq!(
        steps,
        [
            ("submit-internal-request", "gitlab"),
            ("open-ticket-for-customer", "zendesk"),
            ("manage-product-issue", "manual"),
        ]
        .map(|(a, s)| (a.to_owned(), s.to_owned()))
    );
    let decision = lr["decision_id"].as_str().unwrap();
    let mut actions: Vec<Value>;
    let delivered = wait_until!(Duration::from_secs(20), {
        actions = server.decision_actions(&site.engineer, decision).await;
        actions[0]["status"] == "delivered" && actions[1]["status"] == "delivered"
    });
    assert!(delivered, "{actions:#?}\n{}", server.log());
    assert_eq!(
        actions[2]["status"], "pending",
        "the manual task waits for a person"
    );

    // The internal request: a record of the failure, not an instruction.
    let issues = gitlab.issues();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let issue = &issues[0];
    assert_eq!(
        issue.title,
        "Report a provision failure: A-S00012345 (cloud-license-activation)"
    );
    assert!(
        issue.description.starts_with(
            "Provisioning of subscription A-S00012345 failed: cloud-license-activation."
        ),
        "{}",
        issue.description
    );
    assert!(issue.description.contains("billing@customer.example"));
    assert!(!issue.closed);
    let created = &gitlab.receiver.requests()[0];
    assert_eq!(created.header("private-token"), Some("glpat-test"));

    // The customer's ticket: theirs, about their subscription, public
    // text for them; the internal context a private note.
    let tickets = zendesk.tickets();
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    let ticket = &tickets[0];
    assert_eq!(
        ticket.requester.as_deref(),
        Some("billing@customer.example")
    );
    assert_eq!(
        ticket.subject,
        "Provisioning of your subscription A-S00012345 failed"
    );
    assert_eq!(ticket.comments.len(), 2, "{ticket:#?}");
    let (public, is_public) = &ticket.comments[0];
    assert!(is_public, "the first comment is the customer's");
    assert!(public.starts_with("Hello,"), "{public}");
    assert!(public.contains("A-S00012345"), "{public}");
    let issue_url = "https://gitlab.example.com/support/internal-requests/-/issues/1";
    for internal in [issue_url, decision, "entitle-ref", "L&R"] {
        assert!(
            !public.contains(internal),
            "{internal} reaches the customer: {public}"
        );
    }
    let (note, note_public) = &ticket.comments[1];
    assert!(!note_public, "the internal context is private");
    assert!(
        note.contains(issue_url),
        "the note links the internal request: {note}"
    );
    assert!(note.contains(decision), "{note}");
    let requests = zendesk.receiver.requests();
    assert_eq!(requests[0].header("authorization"), Some("Bearer zd-token"));
    assert_eq!(
        requests[0].header("idempotency-key"),
        Some(format!("entitle-{}", actions[1]["id"].as_str().unwrap()).as_str())
    );
    assert!(ticket.tags.contains(&"entitle".to_owned()));
    // In that order.
    assert!(
        gitlab.receiver.requests()[0].seq < requests[0].seq,
        "the internal request comes first"
    );

    // keep-with-fulfillment stays a manual task, listed as one.
    let out = run(
        site.path(),
        &["actions", "list", "--manual", "--db", "entitle.db"],
    );
    assert!(out.status.success(), "{out:?}");
    let list = String::from_utf8(out.stdout).unwrap();
    assert!(
        list.lines()
            .any(|line| line.starts_with(&keep_id) && line.contains("keep-with-fulfillment")),
        "{list}"
    );
    assert!(list.contains("manage-product-issue"), "{list}");
    assert!(!list.contains("submit-internal-request"), "{list}");
    let (_, detail) = server
        .call("GET", &format!("/v1/actions/{keep_id}"), &site.reader, None)
        .await;
    assert_eq!(
        detail["action"], "keep-with-fulfillment",
        "one name for the action id: {detail:#}"
    );
    assert!(detail.get("action_id").is_none(), "{detail:#}");
    assert_eq!(detail["status"], "pending", "{detail:#}");
    assert_eq!(gitlab.issues().len(), 1);
    assert_eq!(zendesk.tickets().len(), 1);

    // v1 facts (no customer_email) are refused, naming the field.
    let mut v1 = provision_facts(true, "A-S00012345");
    v1.as_object_mut().unwrap().remove("customer_email");
    let (status, problem) = server
        .call(
            "POST",
            "/v1/decisions/provision-failure",
            &site.engineer,
            Some(json!({"facts": v1, "now": MONDAY})),
        )
        .await;
    assert_eq!(status, 422, "{problem:#}");
    assert!(
        problem.to_string().contains("customer_email"),
        "{problem:#}"
    );
    server.stop().await;
}
