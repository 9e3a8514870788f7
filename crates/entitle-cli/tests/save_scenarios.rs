//! `entitle replay --save-scenarios`: logged decisions become scenario files
//! that pass unchanged under the configuration they were made with, and
//! under a proposed one fail exactly for the decisions a replay says change.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use entitle::policy::{PolicyVisitor, Registered};
use entitle::scenario::run::run;
use entitle::scenario::save::pinned;
use entitle::scenario::{ScenarioFormat, load_str};
use entitle_core::testing::{facts, instant, policy_config};
use entitle_store::Store;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// For policy `P`: random facts, instant and configuration, decided and
/// logged as the service logs them, pinned, loaded back and run under the
/// same configuration: it passes.
struct PinnedPasses;

impl PolicyVisitor for PinnedPasses {
    type Output = ();
    fn visit<P: Registered>(self) -> Self::Output {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            ..Config::default()
        });
        runner
            .run(
                &(facts::<P>(), instant(), policy_config()),
                |(facts, now, config)| {
                    let facts = serde_json::to_value(&facts).unwrap();
                    let bytes = serde_json::to_vec(&facts).unwrap();
                    let Ok(report) = entitle::decide_json(P::ID, &bytes, now, &config) else {
                        return Ok(());
                    };
                    // As the log holds them: the details as their JSON text.
                    let details = serde_json::to_string(&report.details).unwrap();
                    let scenario = pinned(
                        "d1",
                        P::ID,
                        now,
                        &facts.to_string(),
                        report.outcome,
                        &details,
                    )
                    .unwrap();
                    let file = serde_json::json!({ "scenario": [scenario] }).to_string();
                    let loaded = load_str(&file, ScenarioFormat::Json, "saved.json")
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let result = run(loaded.first().unwrap(), &config).unwrap();
                    prop_assert!(result.passed(), "{}", result.differences());
                    Ok(())
                },
            )
            .unwrap();
    }
}

#[test]
fn any_pinned_decision_passes_under_the_config_it_was_made_with() {
    for info in entitle::policies::POLICIES {
        entitle::policies::visit(info.id, PinnedPasses).unwrap();
    }
}

fn entitle(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::cargo_bin("entitle")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The whole corpus logged under a team configuration, saved, and run:
/// all pass under the team's configuration; under a proposed one the
/// failing scenarios are exactly the decisions the replay reports changed.
#[tokio::test]
async fn saved_decisions_fail_exactly_where_the_replay_says_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let team_text = "timezone = \"Europe/Berlin\"\ntemporary_license_days = 7\ncompany_holidays = [\"2026-12-24\", \"2026-12-25\"]\n";
    std::fs::write(dir.path().join("team.toml"), team_text).unwrap();
    std::fs::write(
        dir.path().join("proposed.toml"),
        format!("{team_text}grace_period_days = 7\n"),
    )
    .unwrap();
    let team = entitle::config_from_toml(team_text).unwrap();
    let url = format!("sqlite://{}", dir.path().join("entitle.db").display());
    let store = Store::open(&url).await.unwrap();
    let mut logged = 0;
    for s in entitle::scenario::corpus::corpus().unwrap() {
        let config = entitle::scenario::run::scenario_config(&s, &team).unwrap();
        if config != team {
            // The log holds the team's decisions: one configuration.
            continue;
        }
        let entry = crate::support::scenario_entry(&s, &config);
        store.log().append(entry).await.unwrap();
        logged += 1;
    }
    store.close().await;
    assert!(logged > 50, "{logged}");

    let (code, out, err) = entitle(
        dir.path(),
        &["replay", "--db", "entitle.db", "--save-scenarios", "saved"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with(&format!("saved {logged} decisions as scenarios in ")),
        "{out}"
    );
    let (code, out, err) = entitle(dir.path(), &["test", "saved", "--config", "team.toml"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.ends_with(&format!("{logged} passed, 0 failed\n")),
        "{out}"
    );

    let (code, out, _) = entitle(
        dir.path(),
        &[
            "test",
            "saved",
            "--config",
            "proposed.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let failed: BTreeSet<String> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    let (code, out, _) = entitle(
        dir.path(),
        &[
            "replay",
            "--db",
            "entitle.db",
            "--config",
            "proposed.toml",
            "--format",
            "json",
            "--examples",
            "100000",
        ],
    );
    assert_eq!(code, Some(0));
    let replay: serde_json::Value = serde_json::from_str(&out).unwrap();
    let changed: BTreeSet<String> = replay["policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["changes"].as_array().unwrap().iter())
        .flat_map(|c| c["examples"].as_array().unwrap().iter())
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    assert!(!changed.is_empty());
    assert_eq!(failed, changed);
    // The filters apply: one policy, and a bad one is a usage error.
    let (code, out, err) = entitle(
        dir.path(),
        &[
            "replay",
            "--db",
            "entitle.db",
            "--policy",
            "license-status",
            "--save-scenarios",
            "status",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("in 1 files under status"), "{out}");
    assert!(dir.path().join("status/license-status.json").is_file());
    let (code, _, err) = entitle(
        dir.path(),
        &[
            "replay",
            "--db",
            "entitle.db",
            "--policy",
            "nope",
            "--save-scenarios",
            "x",
        ],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown policy `nope`"), "{err}");
}
