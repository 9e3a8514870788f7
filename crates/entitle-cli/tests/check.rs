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
