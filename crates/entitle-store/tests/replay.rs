//! Replay of a decision log built by deciding the real scenario corpus
//! under the default configuration: under `grace_period_days = 7` and under
//! another time zone, the changes are exactly those computed here by
//! deciding each scenario again; an unchanged config reports nothing; the
//! log is only read; a database that is not an entitle store is refused.
//! On SQLite, and on PostgreSQL when `ENTITLE_TEST_POSTGRES_URL` is set.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::{TempDir, TestDb};
use entitle::config::PolicyConfig;
use entitle::scenario::corpus::corpus;
use entitle_store::replay::{ReplayError, ReplayOptions, ReplayReport, replay};
use entitle_store::{NewDecision, Store};

/// A logged scenario: its decision id and what it is.
struct Entry {
    id: String,
    policy: &'static str,
    now: chrono::DateTime<chrono::Utc>,
    facts: Vec<u8>,
    outcome: &'static str,
    details: serde_json::Value,
}

/// Logs every corpus scenario decided under the default configuration.
async fn build_log(url: &str) -> Vec<Entry> {
    let store = Store::open(url).await.unwrap();
    let config = PolicyConfig::default();
    let mut entries = Vec::new();
    for scenario in corpus().unwrap() {
        let facts = serde_json::to_vec(&scenario.facts).unwrap();
        let report = entitle::decide_json(scenario.policy, &facts, scenario.now, &config).unwrap();
        let entry = NewDecision::from_report(
            report.clone(),
            scenario.facts.clone(),
            "support-engineer",
            "r",
            None,
        );
        let logged = store.log().append(entry).await.unwrap();
        entries.push(Entry {
            id: logged.decision_id,
            policy: scenario.policy,
            now: scenario.now,
            facts,
            outcome: report.outcome,
            details: serde_json::to_value(&report.details).unwrap(),
        });
    }
    store.close().await;
    entries
}

/// `(policy, from, to) -> decision ids` of the entries that `config`
/// decides differently, computed without the store.
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
                    e.outcome.to_owned(),
                    report.outcome.to_owned(),
                ))
                .or_default()
                .insert(e.id.clone());
        }
    }
    changes
}

/// Checks `report` against the expected changes: same groups, same counts,
/// examples drawn from the group (all of them, with K large enough).
fn assert_report(
    report: &ReplayReport,
    expected: &BTreeMap<(String, String, String), BTreeSet<String>>,
) {
    let mut got: BTreeMap<(String, String, String), BTreeSet<String>> = BTreeMap::new();
    for policy in &report.policies {
        assert_eq!(policy.failed, 0, "{policy:?}");
        let mut changed = 0;
        for change in &policy.changes {
            changed += change.count;
            assert_eq!(
                change.count as usize,
                change.examples.len(),
                "K is large here"
            );
            got.insert(
                (
                    policy.policy.clone(),
                    change.from.clone(),
                    change.to.clone(),
                ),
                change.examples.iter().cloned().collect(),
            );
        }
        assert_eq!(changed, policy.changed);
    }
    assert_eq!(&got, expected);
    let total: usize = expected.values().map(BTreeSet::len).sum();
    assert_eq!(report.changed as usize, total);
}

fn options(config: PolicyConfig) -> ReplayOptions {
    ReplayOptions {
        config,
        examples: 1000,
        page_size: 7,
        ..ReplayOptions::default()
    }
}

async fn replays_as_computed(db: TestDb) {
    let entries = build_log(&db.url).await;
    assert!(entries.len() >= 70);

    // The same configuration: nothing changes, nothing is reported.
    let same = replay(&db.url, &options(PolicyConfig::default()))
        .await
        .unwrap();
    assert_eq!(same.decisions as usize, entries.len());
    assert!(same.is_unchanged());
    assert!(
        same.policies
            .iter()
            .all(|p| p.changes.is_empty() && p.failures.is_empty())
    );
    assert!(!same.to_text().contains("->"), "{}", same.to_text());

    // A shorter grace period.
    let grace = PolicyConfig {
        grace_period_days: 7,
        ..PolicyConfig::default()
    };
    let expected = expected_changes(&entries, &grace);
    let report = replay(&db.url, &options(grace)).await.unwrap();
    assert_eq!(report.decisions as usize, entries.len());
    assert_report(&report, &expected);
    // Not vacuous: the shorter grace period moves some outcomes.
    assert!(
        expected.keys().any(|(_, from, to)| from != to),
        "{expected:?}"
    );
    assert!(expected.contains_key(&(
        "license-status".into(),
        "in-grace-period".into(),
        "in-grace-period".into()
    )));

    // Another support time zone: "today" and weekends move.
    let tz = PolicyConfig {
        timezone: "Pacific/Kiritimati".parse().unwrap(),
        ..PolicyConfig::default()
    };
    let expected = expected_changes(&entries, &tz);
    assert!(!expected.is_empty());
    let report = replay(&db.url, &options(tz.clone())).await.unwrap();
    assert_report(&report, &expected);

    // Page size does not matter; K bounds the examples.
    let big_pages = replay(
        &db.url,
        &ReplayOptions {
            page_size: 1000,
            ..options(tz.clone())
        },
    )
    .await
    .unwrap();
    assert_eq!(big_pages, report);
    let few = replay(
        &db.url,
        &ReplayOptions {
            examples: 1,
            ..options(tz.clone())
        },
    )
    .await
    .unwrap();
    assert!(
        few.policies
            .iter()
            .flat_map(|p| &p.changes)
            .all(|c| c.examples.len() == 1)
    );

    // Filters: one policy; a time range.
    let one = replay(
        &db.url,
        &ReplayOptions {
            policy: Some("license-status".into()),
            ..options(tz.clone())
        },
    )
    .await
    .unwrap();
    assert_eq!(one.policies.len(), 1);
    assert_eq!(
        one.decisions as usize,
        entries
            .iter()
            .filter(|e| e.policy == "license-status")
            .count()
    );
    let since = "2026-11-23T10:00:00Z".parse().unwrap();
    let until = "2026-11-23T15:00:00Z".parse().unwrap();
    let ranged = replay(
        &db.url,
        &ReplayOptions {
            since: Some(since),
            until: Some(until),
            ..options(tz.clone())
        },
    )
    .await
    .unwrap();
    let in_range = entries
        .iter()
        .filter(|e| e.now >= since && e.now < until)
        .count();
    assert!(in_range > 0 && in_range < entries.len());
    assert_eq!(ranged.decisions as usize, in_range);

    // Through the service's open store: the same report. A cap below the
    // decisions that match stops the replay; at the count it does not.
    let store = Store::open(&db.url).await.unwrap();
    let through_store = store.log().replay(&options(tz.clone())).await.unwrap();
    assert_eq!(through_store, report);
    let n = entries.len() as u64;
    let capped = |max| ReplayOptions {
        max_decisions: Some(max),
        ..options(tz.clone())
    };
    let error = store.log().replay(&capped(n - 1)).await.unwrap_err();
    assert!(
        matches!(error, ReplayError::TooMany { limit } if limit == n - 1),
        "{error}"
    );
    assert_eq!(store.log().replay(&capped(n)).await.unwrap(), report);
    let one_policy = ReplayOptions {
        policy: Some("license-status".into()),
        ..capped(one.decisions)
    };
    assert_eq!(store.log().replay(&one_policy).await.unwrap(), one);
    store.close().await;

    // The log was only read.
    let store = Store::open(&db.url).await.unwrap();
    let all = store
        .log()
        .decisions(&entitle_store::DecisionFilter {
            limit: 10_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), entries.len());
    store.close().await;
    db.finish().await;
}

#[tokio::test]
async fn sqlite_replays_exactly_the_computed_changes() {
    replays_as_computed(TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_replays_exactly_the_computed_changes() {
    if let Some(db) = TestDb::postgres("replay").await {
        replays_as_computed(db).await;
    }
}

#[tokio::test]
async fn a_database_that_is_not_an_entitle_store_is_refused_untouched() {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let dir = TempDir::new();
    let path = dir.path().join("other.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let before = std::fs::read(&path).unwrap();
    let error = replay(path.to_str().unwrap(), &ReplayOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ReplayError::NotAnEntitleStore { .. }),
        "{error}"
    );
    let line = error.to_string();
    assert!(
        line.contains("is not an entitle store: no `schema_version` table"),
        "{line}"
    );
    assert!(!line.contains('\n'));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the database was written"
    );

    // A file that is not a database at all; a file that does not exist.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, this is not SQLite at all, not even close.\n").unwrap();
    let error = replay(text.to_str().unwrap(), &ReplayOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ReplayError::NotAnEntitleStore { .. } | ReplayError::Open { .. }
        ),
        "{error}"
    );
    let missing = dir.path().join("missing.db");
    let error = replay(missing.to_str().unwrap(), &ReplayOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, ReplayError::Open { .. }), "{error}");
    assert!(!missing.exists(), "replay created a database");
}

/// An entry logged before `now` was checked (`+10000-01-01T11:59:59Z`) does
/// not stop the replay: it is reported as failing, the others replay, with
/// and without a range.
async fn an_unreadable_now_is_reported_not_fatal(db: TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let scenario = corpus()
        .unwrap()
        .into_iter()
        .find(|s| s.policy == "license-status")
        .unwrap();
    let facts = serde_json::to_vec(&scenario.facts).unwrap();
    let report = entitle::decide_json(
        "license-status",
        &facts,
        scenario.now,
        &PolicyConfig::default(),
    )
    .unwrap();
    let entry = |now| {
        let mut entry = NewDecision::from_report(
            report.clone(),
            scenario.facts.clone(),
            "support-engineer",
            "r",
            None,
        );
        std::sync::Arc::make_mut(&mut entry.report).now = now;
        entry
    };
    let far: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_rfc3339("9999-12-31T23:59:59-12:00")
            .unwrap()
            .to_utc();
    let bad = store.log().append(entry(far)).await.unwrap().decision_id;
    store.log().append(entry(scenario.now)).await.unwrap();
    store.close().await;
    for (since, until) in [
        (None, None),
        (Some("0001-01-01"), Some("9999-12-31")),
        (None, Some("9999-12-31T23:59:59Z")),
    ] {
        let options = ReplayOptions {
            since: since.map(|t| entitle_store::replay::parse_bound(t, false).unwrap()),
            until: until.map(|t| entitle_store::replay::parse_bound(t, true).unwrap()),
            ..options(PolicyConfig::default())
        };
        let report = replay(&db.url, &options).await.unwrap();
        assert_eq!(report.decisions, 2, "{since:?} {until:?}: {report:?}");
        assert_eq!((report.changed, report.failed), (0, 1), "{report:?}");
        let failure = report.policies.first().unwrap().failures.first().unwrap();
        assert_eq!(failure.examples, vec![bad.clone()]);
        assert!(
            failure.error.contains("cannot be read"),
            "{}",
            failure.error
        );
    }
    db.finish().await;
}

#[tokio::test]
async fn sqlite_an_unreadable_now_is_reported_not_fatal() {
    an_unreadable_now_is_reported_not_fatal(TestDb::sqlite()).await;
}

#[tokio::test]
async fn postgres_an_unreadable_now_is_reported_not_fatal() {
    if let Some(db) = TestDb::postgres("unreadable now").await {
        an_unreadable_now_is_reported_not_fatal(db).await;
    }
}
