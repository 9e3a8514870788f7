//! `entitle replay` over a real SQLite log: exact report, exit codes, and
//! one clear line for bad input.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use entitle::config::PolicyConfig;
use entitle_store::Store;

fn entitle(args: &[&str]) -> Output {
    Command::cargo_bin("entitle")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

/// Logs the license-status corpus's worked examples (its `[[scenario]]`s,
/// not the rows of its table "every boundary of spec section 1") under the
/// default configuration; returns the ids by scenario name.
async fn build_log(url: &str) -> Vec<(String, String)> {
    let store = Store::open(url).await.unwrap();
    let mut ids = Vec::new();
    for s in entitle::scenario::corpus::corpus().unwrap() {
        if s.policy != "license-status" || s.name.starts_with("every boundary of spec section 1: ")
        {
            continue;
        }
        let entry = crate::support::scenario_entry(&s, &PolicyConfig::default());
        ids.push((
            s.name.clone(),
            store.log().append(entry).await.unwrap().decision_id,
        ));
    }
    store.close().await;
    ids
}

fn id_of<'a>(ids: &'a [(String, String)], name: &str) -> &'a str {
    &ids.iter().find(|(n, _)| n == name).unwrap().1
}

#[tokio::test]
async fn replay_reports_changes_and_exits_by_flag() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    let url = format!("sqlite://{}", db.display());
    let ids = build_log(&url).await;
    let config = dir.path().join("proposed.toml");
    std::fs::write(&config, "grace_period_days = 7\n").unwrap();
    let db_arg = db.to_str().unwrap();
    let config_arg = config.to_str().unwrap();

    let output = entitle(&["replay", "--db", db_arg, "--config", config_arg]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Under a 7-day grace period every paid license's `grace_ends_on` moves
    // (trials have none): expired 2026-11-17 is still in grace (ends 11-24,
    // not 12-01); expired 11-06 (grace ended 11-20, recently) has lapsed.
    let expected = format!(
        "license-status: 7 decisions, 5 changed, 0 now fail
  active -> active (details): 1 (e.g. {})
  grace-ended-recently -> lapsed: 1 (e.g. {})
  in-grace-period -> in-grace-period (details): 1 (e.g. {})
  lapsed -> lapsed (details): 1 (e.g. {})
  not-started -> not-started (details): 1 (e.g. {})
7 decisions replayed: 5 changed, 0 now fail
",
        id_of(&ids, "active (has-expired=no)"),
        id_of(&ids, "grace-ended-recently (grace-ended-within-window=yes)"),
        id_of(&ids, "in-grace-period (is-in-grace-period=yes)"),
        id_of(&ids, "lapsed (grace-ended-within-window=no)"),
        id_of(&ids, "not-started (has-started=no)"),
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);

    let output = entitle(&[
        "replay",
        "--db",
        db_arg,
        "--config",
        config_arg,
        "--fail-on-change",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);

    let output = entitle(&[
        "replay", "--db", db_arg, "--config", config_arg, "--format", "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["changed"], 5);
    assert_eq!(
        report["policies"][0]["changes"][1]["from"],
        "grace-ended-recently"
    );
    assert_eq!(report["policies"][0]["changes"][1]["to"], "lapsed");

    // Nothing changes under the default configuration: nothing to report.
    let same = dir.path().join("same.toml");
    std::fs::write(&same, "grace_period_days = 14\n").unwrap();
    let output = entitle(&[
        "replay",
        "--db",
        db_arg,
        "--config",
        same.to_str().unwrap(),
        "--fail-on-change",
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "license-status: 7 decisions, 0 changed, 0 now fail\n7 decisions replayed: 0 changed, 0 now fail\n"
    );

    // Filters.
    let output = entitle(&[
        "replay",
        "--db",
        db_arg,
        "--config",
        config_arg,
        "--since",
        "2026-11-24",
    ]);
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "0 decisions replayed: 0 changed, 0 now fail\n"
    );
    let output = entitle(&[
        "replay",
        "--db",
        db_arg,
        "--config",
        config_arg,
        "--until",
        "2026-11-23",
        "--policy",
        "license-status",
    ]);
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with("license-status: 7 decisions")
    );
}

fn assert_one_line_exit_2(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(needle), "`{needle}` not in {stderr}");
}

#[test]
fn bad_input_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "grace_period_days = 7\n").unwrap();
    let c = config.to_str().unwrap();
    // A SQLite database of another application.
    let other = dir.path().join("other.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", other.display());
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let output = entitle(&["replay", "--db", other.to_str().unwrap(), "--config", c]);
    assert_one_line_exit_2(
        &output,
        "is not an entitle store: no `schema_version` table",
    );
    let missing = dir.path().join("missing.db");
    let output = entitle(&["replay", "--db", missing.to_str().unwrap(), "--config", c]);
    assert_one_line_exit_2(&output, "cannot open");
    assert!(!missing.exists());
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "grace_period_dayz = 7\n").unwrap();
    let output = entitle(&["replay", "--db", "x.db", "--config", typo.to_str().unwrap()]);
    assert_one_line_exit_2(&output, "grace_period_dayz");
    let output = entitle(&["replay", "--db", "x.db", "--config", c, "--policy", "nope"]);
    assert_one_line_exit_2(&output, "unknown policy `nope`");
    let output = entitle(&[
        "replay",
        "--db",
        "x.db",
        "--config",
        c,
        "--since",
        "last week",
    ]);
    assert_one_line_exit_2(&output, "--since: `last week`");
    // A directory is no store (it said `disk I/O error`, exit 1); an
    // unreachable PostgreSQL is a clear error within the connect timeout,
    // exit 2, without the password (it was exit 1 after 30 s).
    let output = entitle(&[
        "replay",
        "--db",
        dir.path().to_str().unwrap(),
        "--config",
        c,
    ]);
    assert_one_line_exit_2(&output, "it is a directory, not a SQLite file");
    let started = std::time::Instant::now();
    let output = entitle(&[
        "replay",
        "--db",
        "postgres://entitle:s3cret@127.0.0.1:1/entitle",
        "--config",
        c,
    ]);
    assert_one_line_exit_2(&output, "cannot connect to postgres://entitle:");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("s3cret"));
    assert!(started.elapsed() < std::time::Duration::from_secs(12));
    // Bounds are read as `--now` is: no leap second, at most 9 fractional
    // digits, years 0001-9999 in UTC, a strict date.
    for (flag, bad, words) in [
        ("--since", "2026-11-21T23:59:60Z", "leap second"),
        ("--until", "2026-11-21T10:00:00.1234567891Z", "fractional"),
        ("--until", "9999-12-31T23:59:59-12:00", "outside the years"),
        ("--since", "0000-01-01T00:00:00+01:00", "outside the years"),
        ("--since", "0000-01-01", "the year must be 0001 to 9999"),
        ("--until", "2026-02-30", "no such day"),
    ] {
        let output = entitle(&["replay", "--db", "x.db", "--config", c, flag, bad]);
        assert_one_line_exit_2(&output, &format!("{flag}: `{bad}`"));
        assert_one_line_exit_2(&output, words);
    }
    assert!(!Path::new("x.db").exists());
}

/// Progress on a terminal, nothing into a pipe (#23 item 6).
#[tokio::test]
async fn replay_shows_progress_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    build_log(&format!("sqlite://{}", db.display())).await;
    let config = dir.path().join("proposed.toml");
    std::fs::write(&config, "grace_period_days = 7\n").unwrap();
    let args = format!(
        "replay --db '{}' --config '{}'",
        db.display(),
        config.display()
    );
    let bin = assert_cmd::cargo::cargo_bin("entitle");
    let Ok(on_a_terminal) = std::process::Command::new("script")
        .args(["-qec", &format!("'{}' {args}", bin.display()), "/dev/null"])
        .output()
    else {
        entitle_test_support::skip::skip_unless_ci(
            "`script` is not installed",
            "install bsdutils (Debian has it by default)",
        );
        return;
    };
    let transcript = String::from_utf8_lossy(&on_a_terminal.stdout);
    // The spinner's words, which the report itself never says: "replaying",
    // or, when the replay is done before the spinner's first draw (it
    // draws at most every few milliseconds, and seven decisions take less;
    // a clean-clone CI run saw only this), "replayed 7 decisions (0s)".
    assert!(
        transcript.contains("replaying") || transcript.contains("replayed 7 decisions ("),
        "{transcript:?}"
    );
    let piped = entitle(&[
        "replay",
        "--db",
        db.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(piped.status.success(), "{piped:?}");
    assert!(
        piped.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );
}
