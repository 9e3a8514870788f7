//! Once-only effects on services that do not deduplicate, as the real ones
//! do not: GitLab (issues, notes), Zendesk comments, Slack, SMTP. Kill -9
//! the server twenty times during bursts of deliveries and count what each
//! service keeps; SIGTERM during a slow delivery.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use super::common::{MONDAY, SATURDAY, Server, Site, provision_facts, run, weekend_facts};
use super::receiver::{Receiver, Recorded, Reply};
use super::services::{GitLab, Zendesk};
use super::smtp::{self, SmtpServer};

/// Every receiver of the test answers after this: long enough for a kill
/// to land while deliveries are under way.
const DELAY: Duration = Duration::from_millis(150);

struct Services {
    generator: Receiver,
    slack: Receiver,
    gitlab: GitLab,
    zendesk: Zendesk,
    smtp: SmtpServer,
}

impl Services {
    async fn start() -> Option<Self> {
        let smtp = SmtpServer::start().await?;
        Some(Self {
            // The license tool deduplicates on the key (its contract).
            generator: Receiver::idempotent(|request: &Recorded| {
                Reply::json(
                    200,
                    json!({"license": format!("LICENSE-{}", request.key())}),
                )
                .after(DELAY)
            })
            .await,
            // Slack does not.
            slack: Receiver::start(|_| Reply::text(200, "ok").after(DELAY)).await,
            gitlab: GitLab::start(DELAY).await,
            zendesk: Zendesk::start(DELAY).await,
            smtp,
        })
    }

    fn config(&self) -> String {
        format!(
            r#"
[routes]
"email-license" = ["generator", "mailer"]
"post-to-licensing-channel" = "chat"
"record-internal-request" = "tracker"
"submit-internal-request" = "tracker"
"open-ticket-for-customer" = "tickets"

[sinks.generator]
kind = "license-generator"
url = "{generator}/api/licenses"
timeout_seconds = 1

[sinks.mailer]
kind = "email"
host = "127.0.0.1"
port = {port}
tls = "none"
username = "{user}"
password_env = "SMTP_PASSWORD"
from = "Acme Licensing <licensing@acme.example>"
timeout_seconds = 1

[sinks.chat]
kind = "slack"
url_env = "SLACK_WEBHOOK_URL"
timeout_seconds = 1

[sinks.tracker]
kind = "gitlab"
base_url = "{gitlab}"
project_id = 42
token_env = "GITLAB_TOKEN"
timeout_seconds = 1

[sinks.tickets]
kind = "zendesk"
base_url = "{zendesk}"
token_env = "ZENDESK_API_TOKEN"
timeout_seconds = 1

[worker]
max_attempts = 30
base_delay_seconds = 1
max_delay_seconds = 1
concurrency = 4
poll_interval_ms = 50
"#,
            generator = self.generator.url,
            port = self.smtp.port,
            user = smtp::USER,
            gitlab = self.gitlab.receiver.url,
            zendesk = self.zendesk.receiver.url,
        )
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("SMTP_PASSWORD", smtp::PASSWORD.to_owned()),
            (
                "SLACK_WEBHOOK_URL",
                format!("{}/services/T000/B000/XXXX", self.slack.url),
            ),
            ("GITLAB_TOKEN", "glpat-test".to_owned()),
            ("ZENDESK_API_TOKEN", "zd-token".to_owned()),
        ]
    }

    /// Requests received by the HTTP services, and emails.
    fn received(&self) -> usize {
        self.generator.requests().len()
            + self.slack.requests().len()
            + self.gitlab.receiver.requests().len()
            + self.zendesk.receiver.requests().len()
            + self.smtp.messages().len()
    }
}

/// Every step of the outbox with its history (the API).
async fn steps(server: &Server, token: &str) -> Vec<Value> {
    let (status, body) = server
        .call("GET", "/v1/actions?limit=1000", token, None)
        .await;
    assert_eq!(status, 200, "{body:#}");
    let mut steps = Vec::new();
    for step in body["actions"].as_array().unwrap() {
        let id = step["id"].as_str().unwrap();
        let (status, detail) = server
            .call("GET", &format!("/v1/actions/{id}"), token, None)
            .await;
        assert_eq!(status, 200, "{detail:#}");
        steps.push(detail);
    }
    steps
}

/// Whether a step's history says it was resent while in doubt.
fn resent_in_doubt(step: &Value) -> usize {
    step["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["note"]
                .as_str()
                .is_some_and(|n| n.starts_with("in doubt: lease ran out"))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_twenty_times_keeps_every_effect_once_where_it_can_and_says_where_it_cannot() {
    let Some(services) = Services::start().await else {
        // The SMTP server's start said why, past libtest's capture.
        return;
    };
    let site = Site::new();
    let actions = site.actions_file(&services.config());
    let env = services.env();
    let rounds = 20;
    let mut tickets = Vec::new();
    for round in 0..rounds {
        let server = Server::start(&site, "entitle.db", &actions, &env).await;
        let before = services.received();
        for n in 0..2 {
            let url = format!(
                "https://support.example.com/agent/tickets/{}",
                5000 + round * 2 + n
            );
            server
                .decide(
                    &site.engineer,
                    "weekend-emergency",
                    &weekend_facts(&url),
                    SATURDAY,
                )
                .await;
            tickets.push(url);
            let subscription = format!("A-S{:08}", round * 2 + n);
            server
                .decide(
                    &site.engineer,
                    "provision-failure",
                    &provision_facts(true, &subscription),
                    MONDAY,
                )
                .await;
        }
        // Kill it while deliveries are under way.
        let under_way = wait_until!(Duration::from_secs(20), services.received() >= before + 3);
        assert!(
            under_way,
            "round {round}: no deliveries started\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(37 * (round as u64 % 5))).await;
        server.kill9().await;
    }

    // A last start: everything settles (the crashed claims once their
    // lease runs out); a person answers each step held in doubt (they
    // check the mailbox and mark it done), and the steps after it run.
    let server = Server::start(&site, "entitle.db", &actions, &env).await;
    let mut all: Vec<Value>;
    let mut doubts: BTreeSet<String> = BTreeSet::new();
    let settled = wait_until!(Duration::from_secs(120), {
        all = steps(&server, &site.reader).await;
        for step in all.iter().filter(|s| s["status"] == "in-doubt") {
            let id = step["id"].as_str().unwrap();
            doubts.insert(id.to_owned());
            let (status, body) = server
                .call(
                    "POST",
                    &format!("/v1/actions/{id}/done"),
                    &site.engineer,
                    Some(json!({"note": "checked the mailbox: the email arrived"})),
                )
                .await;
            assert_eq!(status, 200, "{body:#}");
        }
        all.iter().all(|s| {
            s["sink"] == "manual"
                || matches!(s["status"].as_str().unwrap(), "delivered" | "done-by-hand")
        })
    });
    let open: Vec<_> = all
        .iter()
        .filter(|s| !matches!(s["status"].as_str().unwrap(), "delivered" | "done-by-hand"))
        .filter(|s| s["sink"] != "manual")
        .map(|s| (s["action"].clone(), s["sink"].clone(), s["status"].clone()))
        .collect();
    assert!(settled, "not settled: {open:?}\n{}", server.log());
    server.stop().await;

    let by_sink =
        |sink: &str| -> Vec<&Value> { all.iter().filter(|s| s["sink"] == sink).collect() };
    let decisions = rounds * 2;
    assert_eq!(by_sink("generator").len(), decisions);
    assert_eq!(by_sink("tracker").len(), decisions * 2);
    assert_eq!(by_sink("tickets").len(), decisions);

    // Only email, which does not deduplicate and asks, was held in doubt;
    // nothing else was done by hand.
    for step in all.iter().filter(|s| s["status"] == "done-by-hand") {
        assert_eq!(step["sink"], "mailer", "{step:#}");
        assert!(doubts.contains(step["id"].as_str().unwrap()), "{step:#}");
    }

    // Keyed: the license tool keeps one license per step.
    let licenses = services.generator.effects();
    for step in by_sink("generator") {
        let key = step["idempotency_key"].as_str().unwrap();
        assert!(licenses.contains_key(key), "lost: {step:#}");
    }
    assert_eq!(licenses.len(), decisions, "one license per step");

    // Looked up: one issue per tracker step (its mark), none lost.
    let issues = services.gitlab.issues();
    for step in by_sink("tracker") {
        let mark = format!("entitle-ref: {}", step["idempotency_key"].as_str().unwrap());
        let made = issues
            .iter()
            .filter(|i| i.description.contains(&mark))
            .count();
        assert_eq!(made, 1, "{made} issues for {step:#}");
    }
    assert_eq!(issues.len(), decisions * 2, "no issue twice");
    let records: Vec<_> = issues
        .iter()
        .filter(|i| i.title.starts_with("[Success]"))
        .collect();
    assert_eq!(records.len(), decisions);
    assert!(
        records.iter().all(|i| i.closed),
        "every success record closed"
    );

    // Keyed tickets, looked-up notes: one ticket per step, one private
    // note per ticket.
    let made_tickets = services.zendesk.tickets();
    assert_eq!(made_tickets.len(), decisions, "no ticket twice");
    for ticket in &made_tickets {
        let notes = ticket.comments.iter().filter(|(_, public)| !public).count();
        assert_eq!(notes, 1, "{ticket:#?}");
        assert!(ticket.comments[0].1, "the first comment is the customer's");
    }

    // Slack: a post per decision; a second one only for a step resent in
    // doubt.
    let posts = services.slack.requests();
    let mut duplicates = 0;
    let chat_steps = by_sink("chat");
    let resent: usize = chat_steps.iter().map(|s| resent_in_doubt(s)).sum();
    let mut per_ticket: BTreeMap<&str, usize> = BTreeMap::new();
    for post in &posts {
        let text = post.json()["text"].as_str().unwrap().to_owned();
        let ticket = tickets.iter().find(|t| text.contains(t.as_str())).unwrap();
        *per_ticket.entry(ticket.as_str()).or_default() += 1;
    }
    for url in &tickets {
        let count = per_ticket.get(url.as_str()).copied().unwrap_or(0);
        assert!(count >= 1, "lost the post for {url}");
        duplicates += count - 1;
    }
    assert!(
        duplicates <= resent,
        "{duplicates} duplicate posts but only {resent} steps resent in doubt"
    );

    // Email asks: never two emails for one step; a delivered step's email
    // arrived once; a step in doubt sent at most one.
    let emails = services.smtp.messages();
    let mut per_key: BTreeMap<String, usize> = BTreeMap::new();
    for email in &emails {
        let id = email["message_id"].as_str().unwrap().to_owned();
        *per_key.entry(id).or_default() += 1;
    }
    for step in by_sink("mailer") {
        let key = step["idempotency_key"].as_str().unwrap();
        let sent: usize = per_key
            .iter()
            .filter(|(id, _)| id.contains(key))
            .map(|(_, n)| *n)
            .sum();
        match step["status"].as_str().unwrap() {
            "delivered" => assert_eq!(sent, 1, "{step:#}"),
            _ => assert!(sent <= 1, "{step:#}"),
        }
    }
    println!(
        "kill -9 x{rounds}: decisions={} steps={} in_doubt={} resent_in_doubt={resent} duplicate_posts={duplicates} issues={} tickets={} emails={}",
        decisions * 2,
        all.len(),
        doubts.len(),
        issues.len(),
        made_tickets.len(),
        emails.len()
    );
}

/// SIGTERM while a delivery is under way: it finishes and is recorded
/// before the store closes; after a restart it is not sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_slow_delivery_records_it_once() {
    let slack =
        Receiver::start(|_| Reply::text(200, "ok").after(Duration::from_millis(1500))).await;
    let site = Site::new();
    let actions = site.actions_file(
        r#"
[routes]
"submit-internal-request" = "chat"

[sinks.chat]
kind = "slack"
url_env = "SLACK_WEBHOOK_URL"
timeout_seconds = 3

[worker]
poll_interval_ms = 50
"#,
    );
    let env = [("SLACK_WEBHOOK_URL", format!("{}/hook", slack.url))];
    let server = Server::start(&site, "entitle.db", &actions, &env).await;
    let decided = server
        .decide(
            &site.engineer,
            "provision-failure",
            &provision_facts(true, "A-S00000001"),
            MONDAY,
        )
        .await;
    let id = decided["actions"][0]["id"].as_str().unwrap().to_owned();
    let arrived = wait_until!(Duration::from_secs(10), slack.requests().len() == 1);
    assert!(arrived, "{}", server.log());
    server.stop().await;

    let out = run(site.path(), &["actions", "show", &id, "--db", "entitle.db"]);
    assert!(out.status.success(), "{out:?}");
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        shown["status"], "delivered",
        "recorded before the stop: {shown:#}"
    );

    // Restarted, past the lease a lost record would have waited for: not
    // sent again.
    let server = Server::start(&site, "entitle.db", &actions, &env).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(slack.requests().len(), 1, "sent again after the restart");
    server.stop().await;
}
