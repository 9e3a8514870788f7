//! `entitle schedule build|check|who|calendar` and the monitoring schedule
//! of a configuration file (`[monitoring]`), as a team uses them: exit 0 on
//! success, 1 with every problem, 2 with one line on bad input.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/schedule")
}

/// A temporary directory holding the example availability and config.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for file in ["availability.csv", "team.toml"] {
        std::fs::copy(examples().join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn entitle(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("entitle")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2, nothing on stdout, one line on stderr containing every needle.
fn assert_bad_input(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(o.stdout.is_empty(), "{}", stdout(o));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for needle in needles {
        assert!(err.contains(needle), "`{needle}` not in {err}");
    }
}

const BUILD: &[&str] = &[
    "schedule",
    "build",
    "--availability",
    "availability.csv",
    "--from",
    "2026-03-02",
    "--to",
    "2026-03-27",
    "--config",
    "team.toml",
];

fn build_into(dir: &Path) -> String {
    let o = entitle(dir, BUILD);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(dir.join("schedule.toml"), &o.stdout).unwrap();
    stdout(&o)
}

#[test]
fn build_prints_the_file_and_a_summary() {
    let dir = workspace();
    let o = entitle(dir.path(), BUILD);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = stdout(&o);
    let days: Vec<&str> = file.lines().filter(|l| l.starts_with("2026-")).collect();
    // 20 weekdays, less the F&F day, less Wed 2026-03-25 nobody can take.
    assert_eq!(days.len(), 18, "{file}");
    assert!(
        file.contains("# 2026-03-25 uncovered (Wed): nobody is assigned\n"),
        "{file}"
    );
    assert!(
        !file.contains("2026-03-13 ="),
        "the F&F day is not assigned"
    );
    let summary = stderr(&o);
    assert!(
        summary.starts_with(
            "schedule 2026-03-02 to 2026-03-27: 19 workdays, 18 assigned, 1 uncovered\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("uncovered (nobody available): 2026-03-25 (Wed)"),
        "{summary}"
    );
    assert!(summary.contains("fairness spread:"), "{summary}");
    // Deterministic.
    assert_eq!(stdout(&entitle(dir.path(), BUILD)), file);
}

#[test]
fn check_accepts_the_built_schedule_and_lists_every_problem_of_an_edit() {
    let dir = workspace();
    let file = build_into(dir.path());
    let args = [
        "schedule",
        "check",
        "schedule.toml",
        "--availability",
        "availability.csv",
        "--config",
        "team.toml",
    ];
    let ok = entitle(dir.path(), &args);
    assert_eq!(ok.status.code(), Some(0), "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).starts_with("ok: schedule.toml: 18 workdays assigned, 1 uncovered"));
    // An edit: alice takes Monday 2026-03-16 (she is away that week), and
    // Tuesday 2026-03-03 is deleted.
    let monday = file
        .lines()
        .find(|l| l.starts_with("2026-03-16 ="))
        .unwrap()
        .to_owned();
    let tuesday = file
        .lines()
        .find(|l| l.starts_with("2026-03-03 ="))
        .unwrap()
        .to_owned();
    let edited = file
        .replace(&monday, "2026-03-16 = \"alice\"")
        .replace(&format!("{tuesday}\n"), "");
    std::fs::write(dir.path().join("schedule.toml"), edited).unwrap();
    let refused = entitle(dir.path(), &args);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert_eq!(
        stdout(&refused),
        "schedule.toml: 2026-03-03 Tue: left out, but alice, bob marked it available\n\
         schedule.toml: 2026-03-16 Mon: alice is assigned but did not mark it available\n\
         2 problems\n"
    );
}

#[test]
fn who_names_the_review_date_and_the_engineer() {
    let dir = workspace();
    let file = build_into(dir.path());
    let monday = file
        .lines()
        .find_map(|l| l.strip_prefix("2026-03-16 = \""))
        .and_then(|rest| rest.split_once('"'))
        .unwrap()
        .0
        .to_owned();
    let who = |instant: &str| {
        entitle(
            dir.path(),
            &[
                "schedule",
                "who",
                instant,
                "--schedule",
                "schedule.toml",
                "--config",
                "team.toml",
            ],
        )
    };
    // The F&F Friday, Saturday, and Sunday 23:30 in Berlin (22:30 UTC).
    for instant in [
        "2026-03-13T09:00:00+01:00",
        "2026-03-14T12:00:00Z",
        "2026-03-15T22:30:00Z",
    ] {
        let o = who(instant);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), format!("2026-03-16 {monday}\n"), "{instant}");
    }
    // Sunday 23:30 UTC is Monday 00:30 in Berlin: still Monday.
    assert_eq!(
        stdout(&who("2026-03-15T23:30:00Z")),
        format!("2026-03-16 {monday}\n")
    );
    let nobody = who("2026-03-25T10:00:00Z");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(
        stdout(&nobody).starts_with("2026-03-25 (nobody scheduled"),
        "{}",
        stdout(&nobody)
    );
    assert_bad_input(&who("2026-03-25"), &["INSTANT", "not an RFC 3339 instant"]);
}

#[test]
fn calendar_shows_weeks_as_rows() {
    let dir = workspace();
    build_into(dir.path());
    let o = entitle(
        dir.path(),
        &[
            "schedule",
            "calendar",
            "schedule.toml",
            "--config",
            "team.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("2026-")).collect();
    assert_eq!(rows.len(), 4, "{text}");
    assert!(
        rows[1].contains("13 holiday") && rows[1].contains("14 -"),
        "{text}"
    );
    assert!(rows[3].contains("25 !! UNCOVERED"), "{text}");
}

#[test]
fn bad_input_is_one_line_naming_the_file_line_column_and_field() {
    let dir = workspace();
    std::fs::write(
        dir.path().join("bad.csv"),
        "engineer,week_of,days\nalice,2026-03-04,all\n",
    )
    .unwrap();
    let o = entitle(
        dir.path(),
        &[
            "schedule",
            "build",
            "--availability",
            "bad.csv",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-06",
        ],
    );
    assert_bad_input(
        &o,
        &[
            "bad.csv: line 2, column 2 (week_of)",
            "weeks start on Monday",
        ],
    );
    let o = entitle(
        dir.path(),
        &[
            "schedule",
            "build",
            "--availability",
            "availability.csv",
            "--from",
            "2026-03-09",
            "--to",
            "2026-03-02",
        ],
    );
    assert_bad_input(&o, &["ends (2026-03-02) before it starts"]);
    std::fs::write(
        dir.path().join("bad.toml"),
        "from = 2026-03-02\nto = 2026-03-06\n[days]\n2026-03-02 = 7\n",
    )
    .unwrap();
    let o = entitle(
        dir.path(),
        &[
            "schedule",
            "check",
            "bad.toml",
            "--availability",
            "availability.csv",
        ],
    );
    assert_bad_input(&o, &["bad.toml: line 4, column 14", "invalid type"]);
    let o = entitle(
        dir.path(),
        &[
            "schedule",
            "who",
            "2026-03-02T10:00:00Z",
            "--schedule",
            "missing.toml",
        ],
    );
    assert_bad_input(&o, &["missing.toml: cannot read"]);
}

/// A configuration naming the schedule by file: `decide` names the
/// reviewer; a schedule that fails the check is refused (the service does
/// not start on it).
#[test]
fn a_configuration_names_the_schedule_and_refuses_one_that_fails_the_check() {
    let dir = workspace();
    let file = build_into(dir.path());
    let config = "timezone = \"Europe/Berlin\"\ncompany_holidays = [2026-03-13]\n\n[monitoring]\nschedule = \"schedule.toml\"\navailability = \"availability.csv\"\n";
    std::fs::create_dir(dir.path().join("conf")).unwrap();
    std::fs::write(dir.path().join("conf/service.toml"), config).unwrap();
    for f in ["schedule.toml", "availability.csv"] {
        std::fs::copy(dir.path().join(f), dir.path().join("conf").join(f)).unwrap();
    }
    let facts = r#"{"failure": {"subscription": "A-S1", "kind": "activation", "occurred_at": "2026-03-14T10:00:00Z"},
        "fulfillment_resolved": false, "needs_lr_intervention": true, "root_cause": "unknown",
        "customer_email": "billing@customer.example"}"#;
    std::fs::write(dir.path().join("facts.json"), facts).unwrap();
    let o = entitle(
        dir.path(),
        &[
            "decide",
            "provision-failure",
            "--facts",
            "facts.json",
            "--now",
            "2026-03-16T09:00:00Z",
            "--config",
            "conf/service.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let monday = file
        .lines()
        .find_map(|l| l.strip_prefix("2026-03-16 = \""))
        .and_then(|rest| rest.split_once('"'))
        .unwrap()
        .0;
    assert_eq!(report["details"]["review_on"], "2026-03-16");
    assert_eq!(report["details"]["reviewer"], monday);
    assert_eq!(
        report["config"]["monitoring_schedule"]["2026-03-16"],
        monday
    );

    // Edited so that alice works a day she is away: refused, by decide and
    // by serve, before anything starts.
    let edited = file.replace(
        &format!("2026-03-16 = \"{monday}\""),
        "2026-03-16 = \"alice\"",
    );
    std::fs::write(dir.path().join("conf/schedule.toml"), edited).unwrap();
    let o = entitle(
        dir.path(),
        &[
            "decide",
            "provision-failure",
            "--facts",
            "facts.json",
            "--config",
            "conf/service.toml",
        ],
    );
    assert_bad_input(
        &o,
        &[
            "conf/service.toml: invalid configuration",
            "fails the check",
            "2026-03-16 Mon: alice is assigned but did not mark it available",
        ],
    );
    let o = entitle(
        dir.path(),
        &[
            "serve",
            "--db",
            "sqlite::memory:",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "conf/service.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("alice is assigned but did not mark it available"),
        "{}",
        stderr(&o)
    );
    // A missing file is named.
    std::fs::remove_file(dir.path().join("conf/availability.csv")).unwrap();
    let o = entitle(
        dir.path(),
        &[
            "decide",
            "provision-failure",
            "--facts",
            "facts.json",
            "--config",
            "conf/service.toml",
        ],
    );
    assert_bad_input(
        &o,
        &["[monitoring] availability = conf/availability.csv: cannot read"],
    );
}
