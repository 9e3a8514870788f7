//! The weekend-emergency page end to end over HTTP: the license generator,
//! the email with the license attached, the channel post and the internal
//! request record; the success flow, a second decision for the same ticket,
//! and the failure flow with a retry by a person.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::time::Duration;

use serde_json::{Value, json};

use super::common::run;
use super::common::{SATURDAY, Server, Site, statuses, weekend_facts};
use super::receiver::{Receiver, Recorded, Reply};
use super::services::GitLab;
use super::smtp::{self, SmtpServer};

const LICENSE: &str = "eyJsaWNlbnNlIjoiZW50aXRsZS10ZXN0In0=";
const FILENAME: &str = "admin-example-com.gitlab-license";
const SUCCESS_TITLE: &str = "[Success] - Created a license under admin@example.com for 118 users";

/// The four receivers of the weekend page.
struct Services {
    generator: Receiver,
    slack: Receiver,
    gitlab: GitLab,
    smtp: SmtpServer,
}

fn license_answer(_: &Recorded) -> Reply {
    Reply::json(200, json!({"license": LICENSE, "filename": FILENAME}))
}

fn unavailable(_: &Recorded) -> Reply {
    Reply::text(503, "the license tool is down")
}

impl Services {
    async fn start(generator: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Option<Self> {
        let smtp = SmtpServer::start().await?;
        Some(Self {
            generator: Receiver::start(generator).await,
            slack: Receiver::start(|_| Reply::text(200, "ok")).await,
            gitlab: GitLab::start(Duration::ZERO).await,
            smtp,
        })
    }

    fn config(&self) -> String {
        format!(
            r#"
[routes]
"email-license" = ["license-generator", "email"]
"post-to-licensing-channel" = "slack"
"record-internal-request" = "gitlab"

[sinks.license-generator]
kind = "license-generator"
url = "{generator}/api/licenses"
token_env = "MECHANIZER_TOKEN"
timeout_seconds = 5

[sinks.email]
kind = "email"
host = "127.0.0.1"
port = {port}
tls = "none"
username = "{user}"
password_env = "SMTP_PASSWORD"
from = "Acme Licensing <licensing@acme.example>"
subject = "Your temporary license"
timeout_seconds = 5

[sinks.slack]
kind = "slack"
url_env = "SLACK_WEBHOOK_URL"
timeout_seconds = 5

[sinks.gitlab]
kind = "gitlab"
base_url = "{gitlab}"
project_id = 42
token_env = "GITLAB_TOKEN"
labels = ["internal-request", "licensing"]
timeout_seconds = 5

[worker]
max_attempts = 2
base_delay_seconds = 1
max_delay_seconds = 1
concurrency = 4
poll_interval_ms = 50
"#,
            generator = self.generator.url,
            port = self.smtp.port,
            user = smtp::USER,
            gitlab = self.gitlab.receiver.url,
        )
    }

    /// The secrets, as environment variables of the server.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("MECHANIZER_TOKEN", "mech-secret".to_owned()),
            ("SMTP_PASSWORD", smtp::PASSWORD.to_owned()),
            (
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T000/B000/XXXX", self.slack.url),
            ),
            ("GITLAB_TOKEN", "glpat-test".to_owned()),
        ]
    }

    async fn serve(&self, site: &Site) -> Server {
        let actions = site.actions_file(&self.config());
        Server::start(site, "entitle.db", &actions, &self.env()).await
    }
}

fn all_delivered(actions: &[Value]) -> bool {
    actions.iter().all(|a| a["status"] == "delivered")
}

/// The four steps a weekend decision writes, in order.
fn assert_steps(actions: &[Value]) {
    let steps: Vec<(String, String)> = statuses(actions)
        .into_iter()
        .map(|(action, sink, _)| (action, sink))
        .collect();
    let expected = [
        ("email-license", "license-generator"),
        ("email-license", "email"),
        ("post-to-licensing-channel", "slack"),
        ("record-internal-request", "gitlab"),
    ];
    assert_eq!(
        steps,
        expected.map(|(a, s)| (a.to_owned(), s.to_owned())),
        "{actions:#?}"
    );
}

fn assert_generator_request(request: &Recorded, site: &Site, ticket: &str, key: &str) {
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/licenses")
    );
    assert_eq!(request.header("authorization"), Some("Bearer mech-secret"));
    assert_eq!(request.header("idempotency-key"), Some(key));
    let body = request.json();
    assert_eq!(body["action"], "email-license", "{body:#}");
    assert_eq!(body["users"], 118, "{body:#}");
    assert_eq!(body["plan"], "ultimate", "{body:#}");
    assert_eq!(body["days"], 5, "{body:#}");
    assert_eq!(body["expires_on"], "2026-11-26", "{body:#}");
    assert_eq!(body["email"], "admin@example.com", "{body:#}");
    assert_eq!(body["username"], site.engineer_id.as_str(), "{body:#}");
    assert_eq!(body["ticket"]["url"], ticket, "{body:#}");
}

fn assert_license_email(message: &Value) {
    assert_eq!(
        message["rcpt_tos"],
        json!(["admin@example.com"]),
        "{message:#}"
    );
    assert_eq!(message["authenticated"], true, "{message:#}");
    assert_eq!(message["subject"], "Your temporary license", "{message:#}");
    // A letter to the customer, not the engineer's instruction.
    let text = message["text"].as_str().unwrap();
    assert!(text.starts_with("Hello,"), "{text}");
    assert!(
        text.contains("118 users") && text.contains("2026-11-26"),
        "{text}"
    );
    assert!(!text.contains("Mechanizer"), "{text}");
    let attachments = message["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{message:#}");
    assert_eq!(attachments[0]["filename"], FILENAME, "{message:#}");
    assert_eq!(
        attachments[0]["content"].as_str().unwrap().trim(),
        LICENSE,
        "{message:#}"
    );
}

fn assert_success_record(create: &Recorded, close: &Recorded, iid: u64) {
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/api/v4/projects/42/issues")
    );
    assert_eq!(create.header("private-token"), Some("glpat-test"));
    let issue = create.json();
    assert_eq!(issue["title"], SUCCESS_TITLE, "{issue:#}");
    assert!(
        issue["description"].as_str().unwrap().contains(LICENSE),
        "the success record holds the license: {issue:#}"
    );
    assert_eq!(
        (close.method.as_str(), close.path.as_str()),
        ("PUT", format!("/api/v4/projects/42/issues/{iid}").as_str())
    );
    assert_eq!(close.json(), json!({"state_event": "close"}));
    assert_eq!(
        close.header("idempotency-key"),
        Some(format!("{}-close", create.key()).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekend_success_end_to_end_and_no_second_license() {
    let Some(services) = Services::start(license_answer).await else {
        return;
    };
    let site = Site::new();
    let server = services.serve(&site).await;
    let ticket = "https://support.example.com/tickets/4711";

    let decided = server
        .decide(
            &site.engineer,
            "weekend-emergency",
            &weekend_facts(ticket),
            SATURDAY,
        )
        .await;
    assert_eq!(
        decided["outcome"], "generate-temporary-license",
        "{decided:#}"
    );
    assert!(decided.get("existing_license").is_none(), "{decided:#}");
    let steps = decided["actions"].as_array().unwrap().clone();
    assert_steps(&steps);
    let decision = decided["decision_id"].as_str().unwrap();

    let actions = server
        .settled(&site.engineer, decision, Duration::from_secs(20))
        .await;
    assert!(all_delivered(&actions), "{actions:#?}\n{}", server.log());

    // The license generator: asked once, with the decision's terms.
    let license_key = format!("entitle-{}", steps[0]["id"].as_str().unwrap());
    let generated = services.generator.requests();
    assert_eq!(generated.len(), 1, "{generated:#?}");
    assert_generator_request(&generated[0], &site, ticket, &license_key);

    // The email, with the license attached.
    let messages = services.smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_license_email(&messages[0]);

    // The channel post carries the ticket URL.
    let posts = services.slack.requests();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(posts[0].path, "/services/T000/B000/XXXX");
    let text = posts[0].json()["text"].as_str().unwrap().to_owned();
    assert!(text.contains(ticket), "{text}");
    // What happened, for the channel: never the license, never an
    // instruction.
    assert!(
        text.starts_with("Weekend emergency license generated for"),
        "{text}"
    );
    assert!(text.contains("118 users"), "{text}");
    assert!(!text.contains(LICENSE), "{text}");

    // The closed success record holds the license.
    let issues = services.gitlab.receiver.requests();
    assert_eq!(issues.len(), 2, "a create and a close: {issues:#?}");
    assert_success_record(&issues[0], &issues[1], 1);
    let record = &services.gitlab.issues()[0];
    assert!(record.closed);
    assert!(
        record.description.starts_with(
            "A 5-day temporary Ultimate license for 118 users was created under admin@example.com"
        ),
        "the record is the record: {}",
        record.description
    );
    // The record came after the license was made.
    assert!(generated[0].seq < issues[0].seq);

    // The same ticket decided again: no second license.
    let again = server
        .decide(
            &site.engineer,
            "weekend-emergency",
            &weekend_facts(ticket),
            SATURDAY,
        )
        .await;
    assert_eq!(again["outcome"], "generate-temporary-license");
    assert_eq!(again["actions"], json!([]), "{again:#}");
    let existing = &again["existing_license"];
    assert_eq!(existing["id"], steps[0]["id"], "{again:#}");
    assert_eq!(existing["decision_id"], decision, "{again:#}");
    assert_eq!(existing["status"], "delivered", "{again:#}");
    let second = again["decision_id"].as_str().unwrap();
    assert!(
        server
            .decision_actions(&site.engineer, second)
            .await
            .is_empty(),
        "the second decision wrote no action"
    );
    // Give a (wrong) worker time to act on anything new, then look.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        services.generator.requests().len(),
        1,
        "no second license request"
    );
    assert_eq!(services.smtp.messages().len(), 1);
    assert_eq!(services.slack.requests().len(), 1);
    assert_eq!(services.gitlab.receiver.requests().len(), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weekend_failure_flow_then_a_retry_by_a_person() {
    let Some(services) = Services::start(unavailable).await else {
        return;
    };
    let site = Site::new();
    let server = services.serve(&site).await;
    let ticket = "https://support.example.com/tickets/4712";

    let decided = server
        .decide(
            &site.engineer,
            "weekend-emergency",
            &weekend_facts(ticket),
            SATURDAY,
        )
        .await;
    let steps = decided["actions"].as_array().unwrap().clone();
    assert_steps(&steps);
    let decision = decided["decision_id"].as_str().unwrap();
    let license_step = steps[0]["id"].as_str().unwrap().to_owned();

    let actions = server
        .settled(&site.engineer, decision, Duration::from_secs(20))
        .await;
    let got: Vec<String> = statuses(&actions).into_iter().map(|(_, _, s)| s).collect();
    assert_eq!(
        got,
        ["dead", "cancelled", "cancelled", "delivered"],
        "{actions:#?}"
    );
    assert_eq!(actions[0]["attempts"], 2, "max_attempts = 2: {actions:#?}");
    assert!(
        actions[0]["last_error"].as_str().unwrap().contains("503"),
        "{actions:#?}"
    );
    // Both attempts used the same key.
    let attempts = services.generator.requests();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    let key = format!("entitle-{license_step}");
    assert!(attempts.iter().all(|r| r.key() == key), "{attempts:#?}");
    // No license, no email, no channel post; an open failure record.
    assert!(services.smtp.messages().is_empty());
    assert!(services.slack.requests().is_empty(), "no success post");
    let issues = services.gitlab.receiver.requests();
    assert_eq!(issues.len(), 1, "a create and no close: {issues:#?}");
    assert_eq!(issues[0].method.as_str(), "POST");
    let failure = issues[0].json();
    assert_eq!(
        failure["title"],
        "[Failure] - Could not create a license under admin@example.com for 118 users",
        "{failure:#}"
    );
    assert!(!failure["description"].as_str().unwrap().contains(LICENSE));

    // A reader may look but not change.
    let path = |change: &str| format!("/v1/actions/{license_step}/{change}");
    for change in ["retry", "cancel", "done"] {
        let (status, body) = server
            .call(
                "POST",
                &path(change),
                &site.reader,
                Some(json!({"note": "x"})),
            )
            .await;
        assert_eq!(status, 403, "{change}: {body:#}");
    }
    let (status, detail) = server
        .call(
            "GET",
            &format!("/v1/actions/{license_step}"),
            &site.reader,
            None,
        )
        .await;
    assert_eq!(status, 200, "{detail:#}");
    assert!(detail.to_string().contains("dead"), "{detail:#}");
    let (status, list) = server
        .call("GET", "/v1/actions?status=dead", &site.reader, None)
        .await;
    assert_eq!(status, 200, "{list:#}");
    assert_eq!(list["actions"].as_array().unwrap().len(), 1, "{list:#}");

    // The tool is back; a support engineer retries the license step.
    services.generator.answer_with(license_answer);
    let (status, retried) = server
        .call(
            "POST",
            &path("retry"),
            &site.engineer,
            Some(json!({"note": "the tool is back"})),
        )
        .await;
    assert_eq!(status, 200, "{retried:#}");
    assert_eq!(retried["status"], "pending", "{retried:#}");
    let new_key = format!("{key}-r1");
    assert_eq!(retried["idempotency_key"], new_key.as_str(), "{retried:#}");

    let mut actions: Vec<Value>;
    let delivered = wait_until!(Duration::from_secs(20), {
        actions = server.decision_actions(&site.engineer, decision).await;
        all_delivered(&actions)
    });
    assert!(delivered, "{actions:#?}\n{}", server.log());

    // The history says who retried it.
    let (_, detail) = server
        .call(
            "GET",
            &format!("/v1/actions/{license_step}"),
            &site.reader,
            None,
        )
        .await;
    let events = detail["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["from_status"] == "dead"
            && e["to_status"] == "pending"
            && e["actor"].as_str().unwrap().contains(&site.engineer_id)),
        "{detail:#}"
    );
    assert_eq!(
        events.last().unwrap()["to_status"],
        "delivered",
        "{detail:#}"
    );

    let attempts = services.generator.requests();
    assert_eq!(attempts.len(), 3, "{attempts:#?}");
    assert_generator_request(&attempts[2], &site, ticket, &new_key);
    let messages = services.smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_license_email(&messages[0]);
    let posts = services.slack.requests();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert!(posts[0].json()["text"].as_str().unwrap().contains(ticket));
    // The success record follows the failure one, and is closed; the
    // failure record is closed too, pointing at it.
    let issues = services.gitlab.receiver.requests();
    assert_eq!(issues.len(), 5, "{issues:#?}");
    assert_success_record(&issues[1], &issues[2], 2);
    assert!(attempts[2].seq < issues[1].seq);
    let made = services.gitlab.issues();
    assert_eq!(made.len(), 2, "{made:#?}");
    assert!(
        made[0].title.starts_with("[Failure]") && made[0].closed,
        "{made:#?}"
    );
    assert_eq!(made[0].notes.len(), 1, "{made:#?}");
    assert!(
        made[0].notes[0].starts_with(
            "Superseded by https://gitlab.example.com/support/internal-requests/-/issues/2"
        ),
        "{made:#?}"
    );
    assert!(
        made[1].title.starts_with("[Success]") && made[1].closed,
        "{made:#?}"
    );
    // A tracker that deduplicates on Idempotency-Key must not answer the
    // success record with the failure one: the re-made record has a key of
    // its own.
    assert_ne!(issues[0].key(), issues[1].key(), "{issues:#?}");
    server.stop().await;
}

/// The license tool fails for good; a person generates the license by
/// hand and says so with the license file: the email goes out with it, the
/// channel post follows, the `[Success]` record says it was done by hand
/// and holds the copy, and the `[Failure]` record is closed pointing at it.
/// Without the file, the email is taken as done with it (the tool mailed
/// it) and the records still come out true.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_license_done_by_hand_makes_the_records_true() {
    let Some(services) =
        Services::start(|_| Reply::json(400, json!({"error": "bad seat count"}))).await
    else {
        return;
    };
    let site = Site::new();
    let server = services.serve(&site).await;
    let with_file = "https://support.example.com/tickets/4801";
    let without = "https://support.example.com/tickets/4802";
    let mut decisions = Vec::new();
    for ticket in [with_file, without] {
        let decided = server
            .decide(
                &site.engineer,
                "weekend-emergency",
                &weekend_facts(ticket),
                SATURDAY,
            )
            .await;
        let decision = decided["decision_id"].as_str().unwrap().to_owned();
        let actions = server
            .settled(&site.engineer, &decision, Duration::from_secs(20))
            .await;
        let got: Vec<String> = statuses(&actions).into_iter().map(|(_, _, s)| s).collect();
        assert_eq!(
            got,
            ["dead", "cancelled", "cancelled", "delivered"],
            "{actions:#?}"
        );
        decisions.push((decision, actions[0]["id"].as_str().unwrap().to_owned()));
    }
    assert_eq!(services.gitlab.issues().len(), 2, "two [Failure] records");

    // By hand, with the license file.
    let file = site.path().join("acme.gitlab-license");
    std::fs::write(&file, LICENSE).unwrap();
    let out = run(
        site.path(),
        &[
            "actions",
            "done",
            &decisions[0].1,
            "--db",
            "entitle.db",
            "--by",
            "cli:ada",
            "--note",
            "generated in Mechanizer by hand",
            "--license-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    // By hand, without it (over HTTP).
    let (status, body) = server
        .call(
            "POST",
            &format!("/v1/actions/{}/done", decisions[1].1),
            &site.engineer,
            Some(json!({"note": "generated and mailed from the Mechanizer app"})),
        )
        .await;
    assert_eq!(status, 200, "{body:#}");

    let mut actions: Vec<Value> = Vec::new();
    for (decision, _) in &decisions {
        let mut these: Vec<Value>;
        let done = wait_until!(Duration::from_secs(20), {
            these = server.decision_actions(&site.engineer, decision).await;
            these[2]["status"] == "delivered" && these[3]["status"] == "delivered"
        });
        assert!(done, "{these:#?}\n{}", server.log());
        actions.push(Value::Array(these));
    }
    let statuses_of = |i: usize| -> Vec<String> {
        actions[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        statuses_of(0),
        ["done-by-hand", "delivered", "delivered", "delivered"]
    );
    assert_eq!(
        statuses_of(1),
        ["done-by-hand", "done-by-hand", "delivered", "delivered"]
    );

    // One email, for the ticket whose license was given, with it attached.
    let messages = services.smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let attachments = messages[0]["attachments"].as_array().unwrap();
    assert_eq!(attachments[0]["filename"], "acme.gitlab-license");
    assert_eq!(attachments[0]["content"].as_str().unwrap().trim(), LICENSE);
    assert_eq!(services.slack.requests().len(), 2, "both posts");

    // The tracker: each [Failure] closed, pointing at its [Success].
    let issues = services.gitlab.issues();
    assert_eq!(issues.len(), 4, "{issues:#?}");
    // The two [Success] records are made as each ticket's steps settle,
    // in either order: each is found by its ticket.
    let success_of = |ticket: &str| {
        issues
            .iter()
            .find(|i| i.title.starts_with("[Success]") && i.description.contains(ticket))
            .unwrap_or_else(|| panic!("no [Success] for {ticket}: {issues:#?}"))
    };
    let (with_copy, no_copy) = (success_of(with_file), success_of(without));
    for (failure, success) in [(&issues[0], with_copy), (&issues[1], no_copy)] {
        assert!(
            failure.title.starts_with("[Failure]") && failure.closed,
            "{failure:#?}"
        );
        assert_eq!(failure.notes.len(), 1, "{failure:#?}");
        assert!(
            failure.notes[0].contains(&format!("/-/issues/{}", success.iid)),
            "{failure:#?}"
        );
        assert!(
            success.title.starts_with("[Success]") && success.closed,
            "{success:#?}"
        );
    }
    assert!(
        with_copy
            .description
            .contains("Done by hand by cli:ada: generated in Mechanizer by hand."),
        "{}",
        with_copy.description
    );
    assert!(
        with_copy.description.contains(LICENSE),
        "{}",
        with_copy.description
    );
    assert!(
        no_copy.description.contains("Done by hand by"),
        "{}",
        no_copy.description
    );
    assert!(
        no_copy.description.contains("No copy of the license"),
        "{}",
        no_copy.description
    );
    server.stop().await;
}

/// A Zendesk ticket event for a Saturday emergency, the user count filled
/// in: `license-emergency` decided from the stored records and the
/// ticket's fields, the weekend page carried out; the ticket updated
/// again: no second license, nothing sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zendesk_ticket_event_carries_out_the_weekend_page() {
    use super::intake::{SIGNING_SECRET, import_sample, intake_env, intake_file};
    use entitle_http::intake::zendesk;
    let Some(services) = Services::start(license_answer).await else {
        return;
    };
    let site = Site::new();
    import_sample(&site);
    let actions = site.actions_file(&services.config());
    let intake = intake_file(&site);
    let mut env = services.env();
    env.extend(intake_env());
    let args: Vec<std::ffi::OsString> = vec![
        "--actions".into(),
        actions.into(),
        "--intake".into(),
        intake.into(),
        "--clock".into(),
        "2026-11-21T15:00:00Z".into(),
    ];
    let server = Server::start_with(&site, "entitle.db", &args, &env).await;
    let url = "https://example.zendesk.com/agent/tickets/4711";
    let body = |count: &str| {
        json!({"ticket": {
            "id": "4711",
            "url": url,
            "requester_email": "ops@globex.example",
            "tags": "license_emergency premium",
            "fields": {
                "subscription_id": "A-S00010002",
                "admin_dashboard_screenshot": "true",
                "license_page_screenshot": "true",
                "screenshot_user_count": count
            }
        }})
        .to_string()
    };
    let http = reqwest::Client::new();
    let send = |delivery: &'static str, body: String| {
        let http = http.clone();
        let base = server.base.clone();
        async move {
            let timestamp = "2026-11-21T15:00:00Z";
            let signature = zendesk::sign(SIGNING_SECRET.as_bytes(), timestamp, body.as_bytes());
            let response = http
                .post(format!("{base}/v1/intake/zendesk"))
                .header(zendesk::SIGNATURE_HEADER, signature)
                .header(zendesk::TIMESTAMP_HEADER, timestamp)
                .header(zendesk::INVOCATION_HEADER, delivery)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, answer) = send("inv-1", body("118")).await;
    assert_eq!(status, 200, "{answer:#}");
    assert_eq!(answer["policy"], "license-emergency", "{answer:#}");
    assert_eq!(
        answer["outcome"], "generate-temporary-license",
        "{answer:#}"
    );
    let steps = answer["actions"].as_array().unwrap().clone();
    assert_steps(&steps);
    let decision = answer["decision_id"].as_str().unwrap();
    let actions = server
        .settled(&site.engineer, decision, Duration::from_secs(20))
        .await;
    assert!(all_delivered(&actions), "{actions:#?}\n{}", server.log());
    let generated = services.generator.requests();
    assert_eq!(generated.len(), 1, "{generated:#?}");
    let request = generated[0].json();
    assert_eq!(request["users"], 118, "{request:#}");
    assert_eq!(request["email"], "ops@globex.example", "{request:#}");
    assert_eq!(request["ticket"]["url"], url, "{request:#}");
    let messages = services.smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert_eq!(messages[0]["rcpt_tos"], json!(["ops@globex.example"]));
    assert_eq!(services.slack.requests().len(), 1);
    assert_eq!(services.gitlab.issues().len(), 1);

    // The engineer edits the ticket again: Zendesk sends a new event.
    let (status, again) = send("inv-2", body("118")).await;
    assert_eq!(status, 200, "{again:#}");
    assert_eq!(again["status"], "decided", "{again:#}");
    assert_eq!(again["actions"], json!([]), "no second license: {again:#}");
    // And Zendesk retries the first one.
    let (_, retried) = send("inv-1", body("118")).await;
    assert_eq!(retried["status"], "duplicate", "{retried:#}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(services.generator.requests().len(), 1);
    assert_eq!(services.smtp.messages().len(), 1);
    assert_eq!(services.slack.requests().len(), 1);
    assert_eq!(services.gitlab.issues().len(), 1);
    // Retrying a delivered step conflicts with its state: exit 1, not the
    // usage code (#23 item 7).
    let delivered = steps[2]["id"].as_str().unwrap();
    let out = run(site.path(), &["actions", "retry", delivered]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("delivered"), "{stderr}");
    server.stop().await;
}
