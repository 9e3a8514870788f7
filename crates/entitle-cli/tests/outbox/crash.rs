//! Kill -9 `entitle serve` while it delivers, restart it on the same
//! database: every action is delivered, and a receiver that deduplicates on
//! `Idempotency-Key` records each effect exactly once.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::json;

use super::common::{MONDAY, Server, Site, provision_facts, run};
use super::receiver::{Receiver, Recorded, Reply};

/// How many decisions (one routed action each).
pub const DECISIONS: usize = 60;

/// A webhook config routing provision-failure's `submit-internal-request`
/// to the webhook at `url` (every sink times out after 1 s: a crashed worker's lease runs
/// out after 2 * 1 + 5 s).
pub fn webhook_config(url: &str, concurrency: u32) -> String {
    format!(
        r#"
[routes]
"submit-internal-request" = "automation"

[sinks.automation]
kind = "webhook"
url = "{url}"
secret_env = "WEBHOOK_SECRET"
timeout_seconds = 1

[worker]
max_attempts = 20
base_delay_seconds = 1
max_delay_seconds = 2
concurrency = {concurrency}
poll_interval_ms = 50
"#
    )
}

pub fn webhook_env() -> Vec<(&'static str, String)> {
    vec![("WEBHOOK_SECRET", "whsec-test".to_owned())]
}

/// 100 to 300 ms, the same for a key every time.
fn slow(request: &Recorded) -> Reply {
    let key = request.key();
    let spread = key
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Reply::json(200, json!({"received": key})).after(Duration::from_millis(100 + spread % 200))
}

/// Decides `count` request-lr-support decisions through `servers` in turn;
/// returns the ids of their `submit-internal-request` steps.
pub async fn decide_many(servers: &[&Server], token: &str, count: usize) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for n in 0..count {
        let server = servers[n % servers.len()];
        let decided = server
            .decide(
                token,
                "provision-failure",
                &provision_facts(true, &format!("A-S{n:08}")),
                MONDAY,
            )
            .await;
        let step = &decided["actions"][0];
        assert_eq!(step["action"], "submit-internal-request", "{decided:#}");
        assert_eq!(step["sink"], "automation", "{decided:#}");
        ids.insert(step["id"].as_str().unwrap().to_owned());
    }
    ids
}

/// How many `submit-internal-request` steps are delivered (the API).
pub async fn delivered(server: &Server, token: &str) -> usize {
    let (status, body) = server
        .call(
            "GET",
            "/v1/actions?status=delivered&limit=1000",
            token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body:#}");
    body["actions"].as_array().unwrap().len()
}

/// The receiver's effects, by step id (the webhook body's `id`): the keys
/// that made an effect for it.
pub fn effects_by_step(receiver: &Receiver) -> BTreeMap<String, Vec<String>> {
    let mut by_step: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, request) in receiver.effects() {
        let body = request.json();
        assert_eq!(body["idempotency_key"], key.as_str(), "{body:#}");
        assert_eq!(body["action"], "submit-internal-request", "{body:#}");
        assert_eq!(body["payload"]["policy"], "provision-failure", "{body:#}");
        assert_eq!(request.path, "/hooks/entitle");
        let signature = request.header("entitle-signature").unwrap_or_default();
        assert!(
            signature.starts_with("t=") && signature.contains(",v1="),
            "signed: {signature}"
        );
        by_step
            .entry(body["id"].as_str().unwrap().to_owned())
            .or_default()
            .push(key);
    }
    by_step
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_delivery_loses_nothing_and_duplicates_nothing() {
    let receiver = Receiver::idempotent(slow).await;
    let site = Site::new();
    let actions = site.actions_file(&webhook_config(
        &format!("{}/hooks/entitle", receiver.url),
        4,
    ));
    let server = Server::start(&site, "entitle.db", &actions, &webhook_env()).await;
    let ids = decide_many(&[&server], &site.engineer, DECISIONS).await;
    assert_eq!(ids.len(), DECISIONS);

    // Kill it while deliveries are under way.
    let under_way = wait_until!(Duration::from_secs(20), receiver.requests().len() >= 12);
    assert!(under_way, "no deliveries started: {}", server.log());
    server.kill9().await;
    let at_kill = receiver.requests().len();
    let out = run(
        site.path(),
        &[
            "actions",
            "list",
            "--status",
            "delivered",
            "--limit",
            "1000",
            "--db",
            "entitle.db",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let recorded_at_kill = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|line| line.contains(" delivered "))
        .count();
    assert!(
        recorded_at_kill < DECISIONS,
        "the kill came after every delivery: the test tested nothing"
    );

    // Restart on the same database: the rest, and the crashed worker's
    // claims once their lease runs out (7 s), are delivered.
    let server = Server::start(&site, "entitle.db", &actions, &webhook_env()).await;
    let mut count: usize;
    let all = wait_until!(Duration::from_secs(40), {
        count = delivered(&server, &site.reader).await;
        count == DECISIONS
    });
    assert!(
        all,
        "{count} of {DECISIONS} delivered after the restart\n{}",
        server.log()
    );
    server.stop().await;

    let by_step = effects_by_step(&receiver);
    let lost: Vec<_> = ids.iter().filter(|id| !by_step.contains_key(*id)).collect();
    let duplicated: Vec<_> = by_step.iter().filter(|(_, keys)| keys.len() > 1).collect();
    let raw = receiver.requests().len();
    println!(
        "kill -9: decisions={DECISIONS} requests_at_kill={at_kill} recorded_delivered_at_kill={recorded_at_kill} \
         raw_requests={raw} effects={} lost={} duplicated={}",
        receiver.effects().len(),
        lost.len(),
        duplicated.len()
    );
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(duplicated.is_empty(), "duplicated effects: {duplicated:?}");
    assert_eq!(
        by_step.keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "effects only for our steps"
    );
    for (id, keys) in &by_step {
        assert_eq!(
            keys,
            &[format!("entitle-{id}")],
            "a crash retry keeps the key"
        );
    }
    assert!(raw >= DECISIONS);
}
