//! `POST /v1/replay` end to end: a real server over a temporary SQLite
//! database logs every scenario of the built-in corpus (decided over HTTP
//! under the default configuration); the L&R team replays the log. Other
//! roles get 403; a bad config key is a 422 problem naming it; an unchanged
//! config reports nothing; `grace_period_days = 7` reports exactly the
//! decisions computed here without the server; the filters and the cap on
//! decisions hold. Every response is checked against the OpenAPI document.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside `#[test]` functions, which clippy.toml does not cover: a panic fails the test"
)]

use crate::openapi_check;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use entitle::config::PolicyConfig;
use entitle_http::auth::{Role, TokenFile};
use entitle_http::{RunningServer, ServerOptions};
use entitle_store::Store;
use serde_json::{Value, json};

use openapi_check::Seen;

/// One logged decision, as the test knows it.
struct Entry {
    id: String,
    policy: &'static str,
    now: chrono::DateTime<chrono::Utc>,
    facts: Vec<u8>,
    outcome: String,
    details: Value,
}

/// A response: status, content type and JSON body.
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

struct Client {
    http: reqwest::Client,
    base: String,
    seen: Vec<Seen>,
}

impl Client {
    async fn post(&mut self, path: &str, token: &str, body: &Value) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = response.text().await.unwrap();
        self.seen.push(Seen {
            method: "POST".into(),
            path: path.into(),
            status,
            content_type: content_type.clone(),
            body: text.clone(),
        });
        Answer {
            status,
            content_type,
            body: serde_json::from_str(&text).unwrap(),
        }
    }
}

async fn start(db: &Path, tokens: &Path, options: ServerOptions) -> RunningServer {
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    crate::support::serve(store, tokens, options).await
}

/// `(policy, from, to) -> decision ids` that `config` decides differently,
/// computed without the server.
fn expected_changes(
    entries: &[Entry],
    config: &PolicyConfig,
) -> BTreeMap<(String, String, String), BTreeSet<String>> {
    let mut changes: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    for e in entries {
        let report = entitle::decide_json(e.policy, &e.facts, e.now, config).unwrap();
        let details = serde_json::to_value(&report.details).unwrap();
        if report.outcome != e.outcome || details != e.details {
            changes
                .entry((
                    e.policy.to_owned(),
                    e.outcome.clone(),
                    report.outcome.to_owned(),
                ))
                .or_default()
                .insert(e.id.clone());
        }
    }
    changes
}

/// The changes of a replay report, as `expected_changes` has them.
fn reported_changes(report: &Value) -> BTreeMap<(String, String, String), BTreeSet<String>> {
    let mut got = BTreeMap::new();
    for policy in report["policies"].as_array().unwrap() {
        assert_eq!(policy["failed"], 0, "{policy}");
        for change in policy["changes"].as_array().unwrap() {
            let ids: BTreeSet<String> = change["examples"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(change["count"], ids.len(), "K is large here: {change}");
            got.insert(
                (
                    policy["policy"].as_str().unwrap().to_owned(),
                    change["from"].as_str().unwrap().to_owned(),
                    change["to"].as_str().unwrap().to_owned(),
                ),
                ids,
            );
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lr_team_replays_the_log_under_a_proposed_config() {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let mut file = TokenFile::default();
    let now = chrono::Utc::now();
    let (reader, _) = file.add(Role::Reader, now).unwrap();
    let (engineer, _) = file.add(Role::SupportEngineer, now).unwrap();
    let (manager, _) = file.add(Role::SupportManager, now).unwrap();
    let (lr, _) = file.add(Role::LrTeam, now).unwrap();
    file.save(&tokens_path).unwrap();
    let db = dir.path().join("entitle.db");
    let server = start(&db, &tokens_path, ServerOptions::default()).await;
    let mut client = Client {
        http: reqwest::Client::new(),
        base: server.url(),
        seen: Vec::new(),
    };

    // The log: every corpus scenario decided under the server's (default)
    // configuration, over HTTP. The few that need their own configuration
    // (provision-failure with a monitoring schedule) cannot be: a request
    // does not carry configuration.
    let mut entries = Vec::new();
    for (n, scenario) in entitle::scenario::corpus::corpus()
        .unwrap()
        .into_iter()
        .filter(|s| s.config.is_empty())
        .enumerate()
    {
        let now = scenario.now.to_rfc3339();
        let mut facts = scenario.facts.clone();
        // A decision that makes or re-runs a license names its ticket.
        if matches!(
            scenario.policy,
            "star-self-managed" | "emergency-license-follow-up"
        ) {
            facts["ticket_url"] = json!(format!("https://support.example/tickets/{n}"));
        }
        let body = json!({"facts": facts, "now": now});
        // A scenario whose facts name another actor (star-self-managed's
        // "whoever asks" rows) is asked by a caller of that role: the server
        // refuses an `actor` that is not the caller's.
        let caller = match facts["actor"].as_str() {
            Some("support-manager") => &manager,
            Some("lr-team") => &lr,
            _ => &engineer,
        };
        let answer = client
            .post(&format!("/v1/decisions/{}", scenario.policy), caller, &body)
            .await;
        assert_eq!(answer.status, 200, "{}: {}", scenario.name, answer.body);
        entries.push(Entry {
            id: answer.body["decision_id"].as_str().unwrap().to_owned(),
            policy: scenario.policy,
            now: scenario.now,
            facts: serde_json::to_vec(&facts).unwrap(),
            outcome: answer.body["outcome"].as_str().unwrap().to_owned(),
            details: answer.body["details"].clone(),
        });
    }
    let n = entries.len();
    assert!(n >= 70, "{n}");
    let per_policy = |id: &str| entries.iter().filter(|e| e.policy == id).count();

    // Only the L&R team may replay.
    let grace = json!({"config": {"grace_period_days": 7}, "examples": 100});
    for token in [&reader, &engineer, &manager] {
        let answer = client.post("/v1/replay", token, &grace).await;
        assert_eq!(answer.status, 403, "{}", answer.body);
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.body["type"], "urn:entitle:problem:forbidden");
    }

    // A bad config key: 422, naming the key.
    let answer = client
        .post(
            "/v1/replay",
            &lr,
            &json!({"config": {"grace_period_dayz": 7}}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(answer.body["type"], "urn:entitle:problem:invalid-body");
    assert_eq!(answer.body["field"], "config.grace_period_dayz");
    assert_eq!(answer.body["pointer"], "/config/grace_period_dayz");
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("grace_period_dayz"),
        "{}",
        answer.body
    );
    // Other bad bodies: a value of the wrong type, a rule broken, an
    // unknown member, no config, an unknown policy, a bad date.
    for (body, field) in [
        (
            json!({"config": {"grace_period_days": "7"}}),
            "config.grace_period_days",
        ),
        (json!({"config": {"temporary_license_days": 0}}), "config"),
        (json!({"config": {}, "polcy": "x"}), "polcy"),
        (json!({"policy": "license-status"}), "config"),
        (json!({"config": {}, "policy": "licence-status"}), "policy"),
        (json!({"config": {}, "since": "2026-13-01"}), "since"),
        (
            json!({"config": {}, "since": "2026-11-21T23:59:60Z"}),
            "since",
        ),
        (
            json!({"config": {}, "until": "2026-11-21T10:00:00.1234567891Z"}),
            "until",
        ),
        (
            json!({"config": {}, "until": "9999-12-31T23:59:59-12:00"}),
            "until",
        ),
        (
            json!({"config": {}, "since": "0000-01-01T00:00:00+01:00"}),
            "since",
        ),
        (json!({"config": []}), "config"),
        (json!({"config": {}, "examples": 1000}), "examples"),
    ] {
        let answer = client.post("/v1/replay", &lr, &body).await;
        assert_eq!(answer.status, 422, "{body}: {}", answer.body);
        assert_eq!(answer.body["field"], field, "{body}: {}", answer.body);
    }

    // The same configuration: every decision replayed, nothing reported.
    let same = client.post("/v1/replay", &lr, &json!({"config": {}})).await;
    assert_eq!(same.status, 200, "{}", same.body);
    assert_eq!(same.body["decisions"], n);
    assert_eq!(same.body["changed"], 0);
    assert_eq!(same.body["failed"], 0);
    for policy in same.body["policies"].as_array().unwrap() {
        assert_eq!(policy["changes"], json!([]), "{policy}");
        assert_eq!(policy["failures"], json!([]), "{policy}");
        assert_eq!(
            policy["decisions"],
            per_policy(policy["policy"].as_str().unwrap())
        );
    }

    // A longer grace period: exactly the decisions computed here.
    let proposed = PolicyConfig {
        grace_period_days: 7,
        ..PolicyConfig::default()
    };
    let expected = expected_changes(&entries, &proposed);
    assert!(!expected.is_empty());
    let changed = client.post("/v1/replay", &lr, &grace).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(reported_changes(&changed.body), expected);
    let total: usize = expected.values().map(BTreeSet::len).sum();
    assert_eq!(changed.body["changed"], total);
    assert_eq!(changed.body["decisions"], n);
    // The report is the one `entitle replay --format json` prints.
    let store_report = entitle_store::replay::replay(
        db.to_str().unwrap(),
        &entitle_store::replay::ReplayOptions {
            config: proposed,
            examples: 100,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(changed.body, serde_json::to_value(&store_report).unwrap());

    // Filters: one policy; a time range (dates and instants).
    let one = client
        .post(
            "/v1/replay",
            &lr,
            &json!({"config": {"grace_period_days": 7}, "policy": "license-status"}),
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["decisions"], per_policy("license-status"));
    assert_eq!(one.body["policies"].as_array().unwrap().len(), 1);
    let since: chrono::DateTime<chrono::Utc> = "2026-11-23T10:00:00Z".parse().unwrap();
    let ranged = client
        .post(
            "/v1/replay",
            &lr,
            &json!({"config": {}, "since": "2026-11-23T10:00:00Z", "until": "2026-11-23"}),
        )
        .await;
    assert_eq!(ranged.status, 200, "{}", ranged.body);
    let until: chrono::DateTime<chrono::Utc> = "2026-11-24T00:00:00Z".parse().unwrap();
    let in_range = entries
        .iter()
        .filter(|e| e.now >= since && e.now < until)
        .count();
    assert!(in_range > 0 && in_range < n);
    assert_eq!(ranged.body["decisions"], in_range);

    // The cap: a server allowing fewer decisions than match refuses the
    // whole log and replays one policy's.
    let small = start(
        &db,
        &tokens_path,
        ServerOptions {
            replay_max_decisions: per_policy("license-status") as u64,
            ..ServerOptions::default()
        },
    )
    .await;
    let mut capped = Client {
        http: reqwest::Client::new(),
        base: small.url(),
        seen: Vec::new(),
    };
    let refused = capped.post("/v1/replay", &lr, &grace).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["type"], "urn:entitle:problem:replay-too-large");
    let allowed = capped
        .post(
            "/v1/replay",
            &lr,
            &json!({"config": {"grace_period_days": 7}, "policy": "license-status"}),
        )
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(allowed.body, one.body);
    small.shutdown().await.unwrap();

    // The log was only read.
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let logged = store
        .log()
        .decisions(&entitle_store::DecisionFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(logged.len(), n);
    store.close().await;

    let doc = entitle_http::openapi::document();
    let mut seen = client.seen;
    seen.extend(capped.seen);
    let problems = openapi_check::check(&doc, &seen);
    assert!(
        problems.is_empty(),
        "OpenAPI mismatches:\n{}",
        problems.join("\n")
    );
    server.shutdown().await.unwrap();
}

/// A `now` whose UTC form leaves the years 0001-9999 is a 422 naming `now`
/// (it was logged as `+10000-...`, which broke every later replay); an
/// entry logged so before the check does not stop the replay: it is
/// reported as failing, the others are replayed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instant_out_of_range_is_refused_and_an_old_one_does_not_break_replay() {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let mut file = TokenFile::default();
    let now = chrono::Utc::now();
    let (engineer, _) = file.add(Role::SupportEngineer, now).unwrap();
    let (lr, _) = file.add(Role::LrTeam, now).unwrap();
    file.save(&tokens_path).unwrap();
    let db = dir.path().join("entitle.db");
    let scenario = entitle::scenario::corpus::corpus()
        .unwrap()
        .into_iter()
        .find(|s| s.policy == "license-status")
        .unwrap();

    // An entry logged before the check, as the store wrote it then.
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let facts = serde_json::to_vec(&scenario.facts).unwrap();
    let report = entitle::decide_json(
        "license-status",
        &facts,
        scenario.now,
        &PolicyConfig::default(),
    )
    .unwrap();
    let mut old = entitle_store::NewDecision::from_report(
        report.clone(),
        scenario.facts.clone(),
        "support-engineer",
        "r",
        None,
    );
    std::sync::Arc::make_mut(&mut old.report).now =
        chrono::DateTime::parse_from_rfc3339("9999-12-31T23:59:59-12:00")
            .unwrap()
            .to_utc();
    let old_id = store.log().append(old).await.unwrap().decision_id;
    assert!(
        store
            .log()
            .decision(&old_id)
            .await
            .unwrap()
            .now
            .starts_with("+10000-")
    );
    store.close().await;

    let server = start(&db, &tokens_path, ServerOptions::default()).await;
    let mut client = Client {
        http: reqwest::Client::new(),
        base: server.url(),
        seen: Vec::new(),
    };
    for bad in [
        "9999-12-31T23:59:59-12:00",
        "0000-01-01T00:00:00+01:00",
        "2026-11-21T23:59:60Z",
    ] {
        let answer = client
            .post(
                "/v1/decisions/license-status",
                &engineer,
                &json!({"facts": scenario.facts, "now": bad}),
            )
            .await;
        assert_eq!(answer.status, 422, "{bad}: {}", answer.body);
        assert_eq!(answer.body["field"], "now", "{}", answer.body);
    }
    let answer = client
        .post(
            "/v1/decisions/license-status",
            &engineer,
            &json!({"facts": scenario.facts, "now": scenario.now.to_rfc3339()}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // Replay: both entries read, the old one reported, not fatal.
    for body in [
        json!({"config": {}}),
        json!({"config": {}, "until": "9999-12-31"}),
    ] {
        let answer = client.post("/v1/replay", &lr, &body).await;
        assert_eq!(answer.status, 200, "{body}: {}", answer.body);
        assert_eq!(answer.body["decisions"], 2, "{}", answer.body);
        assert_eq!(answer.body["changed"], 0, "{}", answer.body);
        assert_eq!(answer.body["failed"], 1, "{}", answer.body);
        let failure = &answer.body["policies"][0]["failures"][0];
        assert_eq!(failure["examples"], json!([old_id]), "{}", answer.body);
        let error = failure["error"].as_str().unwrap();
        assert!(error.contains("cannot be read"), "{error}");
        assert!(error.contains("+10000-01-01T11:59:59Z"), "{error}");
    }
    let problems = openapi_check::check(&entitle_http::openapi::document(), &client.seen);
    assert!(
        problems.is_empty(),
        "OpenAPI mismatches:\n{}",
        problems.join("\n")
    );
    server.shutdown().await.unwrap();
}
