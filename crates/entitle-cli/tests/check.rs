//! `entitle check`: the invariants hold under the default and a team's
//! configuration; bad input is one line, exit 2.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use assert_cmd::Command;

fn entitle(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("entitle")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn passes_under_the_default_config() {
    let output = entitle(&["check", "--cases", "64", "--seed", "3"]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("ok   ")).count(), 9);
    assert!(
        text.ends_with("9 policies checked, 0 failed (64 cases each, seed 3)\n"),
        "{text}"
    );
}

#[test]
fn passes_under_a_team_config_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("team.toml");
    std::fs::write(
        &config,
        "timezone = \"Pacific/Kiritimati\"\ngrace_period_days = 7\ntemporary_license_days = 7\n\
         company_holidays = [\"2026-11-23\", \"2026-11-24\"]\n",
    )
    .unwrap();
    let output = entitle(&[
        "check",
        "--config",
        config.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let checks: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let checks = checks.as_array().unwrap();
    assert_eq!(checks.len(), 9);
    assert!(
        checks
            .iter()
            .all(|c| c["counterexample"].is_null() && c["cases"] == 256)
    );
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "temporary_license_days = 12\n").unwrap();
    let output = entitle(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1);
    assert!(
        stderr.contains("temporary_license_days = 12 exceeds"),
        "{stderr}"
    );
    assert_eq!(entitle(&["check", "--cases", "0"]).status.code(), Some(2));
}

/// Every action a policy asks for, deciding random facts at random
/// instants, is one the policy itself declares (a policy cannot borrow
/// another's action type unnoticed), exactly as declared: its links and its
/// license effect.
#[test]
fn every_action_a_policy_asks_for_is_one_it_declares() {
    use entitle::policy::{Policy, PolicyAction, PolicyVisitor, Registered};
    use entitle_core::testing::{facts, instant};
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

    struct Actions;
    impl PolicyVisitor for Actions {
        type Output = ();
        fn visit<P: Registered>(self) {
            let declared = <P as Policy>::Action::DECLARED;
            let config = Config {
                cases: 512,
                failure_persistence: None,
                ..Config::default()
            };
            let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
            let mut runner = TestRunner::new_with_rng(config, rng);
            let policy_config = entitle::config::PolicyConfig::default();
            runner
                .run(&(facts::<P>(), instant()), |(facts, now)| {
                    let decision = entitle::policy::evaluate::<P>(&facts, now, &policy_config)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    for action in &decision.details.actions {
                        let as_declared = declared.iter().any(|info| {
                            info.id == action.id
                                && info.needs == action.needs
                                && info.reports == action.reports
                                && info.license == action.license
                        });
                        if !as_declared {
                            return Err(TestCaseError::fail(format!(
                                "{}: action {action:?} is not among {declared:?}",
                                P::ID,
                            )));
                        }
                    }
                    Ok(())
                })
                .unwrap();
        }
    }
    for policy in entitle::policies::POLICIES {
        entitle::policies::visit(policy.id, Actions).unwrap();
    }
}

/// Every action a policy declares is asked for by at least one of its
/// built-in scenarios: nothing is declared that no decision makes, and the
/// static list (`entitle::action_ids`, which the actions config's `[routes]`
/// are checked against) is exactly what the scenarios ask for.
#[test]
fn every_declared_action_is_asked_for_by_a_built_in_scenario() {
    use std::collections::BTreeSet;

    let base = entitle::config::PolicyConfig::default();
    let mut asked: BTreeSet<(&str, &str)> = BTreeSet::new();
    for scenario in entitle::scenario::corpus::corpus().unwrap() {
        let config = entitle::scenario::run::scenario_config(&scenario, &base).unwrap();
        let facts = serde_json::to_vec(&scenario.facts).unwrap();
        if let Ok(report) = entitle::decide_json(scenario.policy, &facts, scenario.now, &config) {
            for action in &report.details.actions {
                asked.insert((scenario.policy, action.id));
            }
        }
    }
    let declared: BTreeSet<(&str, &str)> = entitle::policies::POLICIES
        .iter()
        .flat_map(|policy| policy.actions.iter().map(|action| (policy.id, action.id)))
        .collect();
    assert_eq!(declared, asked);
    let ids: BTreeSet<&str> = asked.iter().map(|&(_, id)| id).collect();
    assert_eq!(entitle::action_ids(), ids);
    assert!(ids.contains("email-license"), "{ids:?}");
}
