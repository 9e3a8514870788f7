//! The provisioning-failure page: `request-lr-support` submits the internal
//! request (GitLab) and then opens a ticket on behalf of the customer
//! (Zendesk); `keep-with-fulfillment` creates no ticket, its action is a
//! manual task.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{MONDAY, Server, Site, provision_facts, run, statuses};
use crate::receiver::{Receiver, Reply};

const ISSUE_URL: &str = "https://gitlab.example.com/support/internal-requests/-/issues/12";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_lr_support_opens_the_request_then_the_ticket() {
    let gitlab = Receiver::start(|_| {
        Reply::json(
            201,
            json!({"id": 912, "iid": 12, "state": "opened", "web_url": ISSUE_URL}),
        )
    })
    .await;
    let zendesk =
        Receiver::start(|_| Reply::json(201, json!({"ticket": {"id": 35436, "status": "new"}})))
            .await;
    let site = Site::new();
    let config = format!(
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
"#,
        gitlab = gitlab.url,
        zendesk = zendesk.url,
    );
    let actions = site.actions_file(&config);
    let env = [
        ("GITLAB_TOKEN", "glpat-test".to_owned()),
        ("ZENDESK_API_TOKEN", "zd-token".to_owned()),
    ];
    let server = Server::start(&site, "entitle.db", &actions, &env).await;

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

    let issues = gitlab.requests();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    let issue = &issues[0];
    assert_eq!(
        (issue.method.as_str(), issue.path.as_str()),
        (
            "POST",
            "/api/v4/projects/support%2Finternal-requests/issues"
        )
    );
    assert_eq!(issue.header("private-token"), Some("glpat-test"));
    let title = issue.json()["title"].as_str().unwrap().to_owned();
    assert!(
        title.contains("Report a provision failure") && title.contains("A-S00012345"),
        "{title}"
    );

    let tickets = zendesk.requests();
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    let ticket = &tickets[0];
    assert_eq!(
        (ticket.method.as_str(), ticket.path.as_str()),
        ("POST", "/api/v2/tickets.json")
    );
    assert_eq!(ticket.header("authorization"), Some("Bearer zd-token"));
    assert_eq!(
        ticket.header("idempotency-key"),
        Some(format!("entitle-{}", actions[1]["id"].as_str().unwrap()).as_str())
    );
    let body = ticket.json();
    assert!(
        body["ticket"]["subject"]
            .as_str()
            .unwrap()
            .starts_with("Support opens a ticket on behalf of the customer"),
        "{body:#}"
    );
    assert!(
        body["ticket"]["comment"]["body"]
            .as_str()
            .unwrap()
            .contains(ISSUE_URL),
        "the ticket names the internal request: {body:#}"
    );
    assert!(
        body["ticket"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("entitle")),
        "{body:#}"
    );
    // In that order.
    assert!(issue.seq < ticket.seq, "the internal request comes first");

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
    assert!(detail.to_string().contains("pending"), "{detail:#}");
    assert_eq!(gitlab.requests().len(), 1);
    assert_eq!(zendesk.requests().len(), 1);
    server.stop().await;
}
