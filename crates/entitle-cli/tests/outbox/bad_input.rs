//! Bad input: `entitle serve --actions` refuses a bad config with exit 2
//! and one line naming the key; `entitle actions done` needs a note and a
//! known id.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use super::common::{Site, entitle, run};

/// Runs `entitle serve --actions` with `config` (and `env`) and returns
/// its exit code and its stderr.
fn serve_with(site: &Site, config: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let actions = site.actions_file(config);
    let mut command = entitle(site.path());
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--actions"])
        .arg(&actions)
        .env_remove("SLACK_WEBHOOK_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// A bad config: what is wrong, the TOML, the environment, and the names
/// the error must mention.
type Case = (
    &'static str,
    String,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const SET: &[(&str, &str)] = &[("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")];

const SLACK: &str = "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n";

#[test]
fn serve_refuses_a_bad_actions_config_naming_the_key() {
    let site = Site::new();
    let cases: [Case; 3] = [
        (
            "a route to an unknown sink",
            format!("[routes]\n\"post-to-licensing-channel\" = \"chatt\"\n{SLACK}"),
            SET,
            &["post-to-licensing-channel", "chatt"],
        ),
        (
            "a missing secret",
            format!("[routes]\n\"post-to-licensing-channel\" = \"chat\"\n{SLACK}"),
            &[],
            &["sinks.chat.url_env", "SLACK_WEBHOOK_URL"],
        ),
        (
            "an unknown sink kind",
            "[sinks.chat]\nkind = \"slak\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n".to_owned(),
            SET,
            &["sinks.chat.kind", "slak"],
        ),
    ];
    for (what, config, env, names) in cases {
        let (code, stderr) = serve_with(&site, &config, env);
        assert_eq!(code, Some(2), "{what}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: one line: {stderr}");
        for name in names {
            assert!(lines[0].contains(name), "{what}: `{name}` in {stderr}");
        }
        assert!(
            !stderr.contains("127.0.0.1:9"),
            "{what}: no secret in {stderr}"
        );
    }
    assert!(
        !site.path().join("entitle.db").exists(),
        "nothing is opened with a bad config"
    );
}

/// Creates the store `entitle.db` in `dir`, as `entitle serve` would.
fn create_store(dir: &std::path::Path) {
    let db = dir.join("entitle.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = entitle_store::Store::open(db.to_str().unwrap())
            .await
            .unwrap();
        store.close().await;
    });
}

/// `entitle actions ... --db typo.db` created an empty database and listed
/// nothing, exit 0 (#20): every `actions` command acts on a store that is
/// there, so a missing one (or a file without entitle's schema) is exit 2
/// on one line, and nothing is created.
#[test]
fn actions_commands_refuse_a_store_that_does_not_exist() {
    let site = Site::new();
    let id = "0190aaaa-0000-7000-8000-000000000000";
    let actions = site.actions_file(SLACK);
    let actions = actions.to_str().unwrap();
    let commands: [&[&str]; 7] = [
        &["actions", "list", "--db", "typo.db"],
        &["actions", "list", "--json", "--db", "sqlite:typo.db"],
        &["actions", "show", id, "--db", "typo.db"],
        &["actions", "retry", id, "--db", "typo.db"],
        &["actions", "cancel", id, "--db", "typo.db"],
        &["actions", "done", id, "--note", "n", "--db", "typo.db"],
        &[
            "actions",
            "run",
            "--once",
            "--actions",
            actions,
            "--db",
            "typo.db",
        ],
    ];
    for args in commands {
        let out = entitle(site.path())
            .args(args)
            .env("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("--db: no entitle store at"), "{stderr}");
        assert!(stderr.contains("typo.db: no such file"), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(!site.path().join("typo.db").exists(), "{args:?} created it");
    }
    // A file that is not an entitle store is not made one either.
    std::fs::write(site.path().join("empty.db"), b"").unwrap();
    let out = run(site.path(), &["actions", "list", "--db", "empty.db"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no `schema_version` table"), "{stderr}");
    assert_eq!(std::fs::read(site.path().join("empty.db")).unwrap(), b"");
    // An unreachable PostgreSQL: exit 2 at once, naming it, no password.
    let started = std::time::Instant::now();
    let out = run(
        site.path(),
        &[
            "actions",
            "list",
            "--db",
            "postgres://entitle:s3cret@127.0.0.1:1/entitle",
        ],
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--db: cannot connect to postgres://entitle:"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(12));
    // Once the store exists, the same command lists (nothing yet).
    create_store(site.path());
    let out = run(site.path(), &["actions", "list", "--json"]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn actions_done_needs_a_note_and_a_known_id() {
    let site = Site::new();
    create_store(site.path());
    let no_note = run(
        site.path(),
        &["actions", "done", "0190aaaa-0000-7000-8000-000000000000"],
    );
    assert_eq!(no_note.status.code(), Some(2), "{no_note:?}");
    assert!(
        String::from_utf8_lossy(&no_note.stderr).contains("--note"),
        "{no_note:?}"
    );

    let unknown = run(
        site.path(),
        &[
            "actions",
            "done",
            "0190aaaa-0000-7000-8000-000000000000",
            "--note",
            "called them",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("0190aaaa-0000-7000-8000-000000000000"),
        "{stderr}"
    );

    let blank = run(
        site.path(),
        &[
            "actions",
            "done",
            "0190aaaa-0000-7000-8000-000000000000",
            "--note",
            "  ",
        ],
    );
    assert_eq!(blank.status.code(), Some(2), "{blank:?}");
}

/// `done --license-file` reads a license, not any file: a missing file, a
/// directory, one that is not UTF-8 text, an empty one or one over 64 KiB
/// is refused with exit 2 and one line naming the file, never its content.
#[test]
fn actions_done_refuses_a_license_file_that_is_not_one() {
    let site = Site::new();
    let dir = site.path();
    std::fs::write(dir.join("binary.lic"), [0xff, 0xfe, 0x00, b's', b'3', b'c']).unwrap();
    std::fs::write(dir.join("empty.lic"), "  \n").unwrap();
    std::fs::write(dir.join("huge.lic"), "SECRET-LINE\n".repeat(6000)).unwrap();
    std::fs::create_dir(dir.join("folder.lic")).unwrap();
    for (file, why) in [
        ("missing.lic", "No such file"),
        ("folder.lic", "not a regular file"),
        ("binary.lic", "not UTF-8 text"),
        ("empty.lic", "empty"),
        ("huge.lic", "larger than 64 KiB"),
    ] {
        let out = run(
            dir,
            &[
                "actions",
                "done",
                "0190aaaa-0000-7000-8000-000000000000",
                "--note",
                "by hand",
                "--license-file",
                file,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{file}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{file}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains(why),
            "{file}: {stderr}"
        );
        assert!(!stderr.contains("SECRET-LINE"), "{file}: {stderr}");
    }
    assert!(
        !dir.join("entitle.db").exists(),
        "a bad file is refused before the store is opened"
    );
}

/// `on_doubt` is `resend` or `ask`, and only for the sinks whose service
/// does not deduplicate (Slack, email).
#[test]
fn on_doubt_is_checked_at_startup() {
    let site = Site::new();
    let (code, stderr) = serve_with(&site, &format!("{SLACK}on_doubt = \"maybe\"\n"), SET);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("sinks.chat") && stderr.contains("maybe"),
        "{stderr}"
    );
    let hook = "[sinks.hook]\nkind = \"webhook\"\nurl = \"http://127.0.0.1:9/h\"\nsecret_env = \"SLACK_WEBHOOK_URL\"\non_doubt = \"ask\"\n";
    let (code, stderr) = serve_with(&site, hook, SET);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("on_doubt"), "{stderr}");
}

/// Terminal escapes from data (#20 item 13). A store written before import
/// refused control characters can hold a ticket id `T-\x1b]0;PWNED\x07`
/// (and a sink name with a line break): `entitle actions list` shows them
/// escaped, one line per action, never raw. Import now refuses them, from
/// JSON as from CSV, exit 2 naming the field, never echoing them.
#[test]
fn control_characters_are_refused_at_import_and_escaped_in_output() {
    let site = Site::new();
    let db = site.path().join("entitle.db");
    let evil = "T-\u{1b}]0;PWNED\u{7}\u{202e}x";
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = entitle_store::Store::open(db.to_str().unwrap())
            .await
            .unwrap();
        let facts = serde_json::json!({"internal_request": "none",
            "ticket_url": "https://support.example.com/tickets/1"});
        let report = entitle::decide_json(
            "emergency-license-follow-up",
            facts.to_string().as_bytes(),
            "2026-11-21T10:00:00Z".parse().unwrap(),
            &entitle::config::PolicyConfig::default(),
        )
        .unwrap();
        let decision = entitle_store::NewDecision::from_report(
            report.clone(),
            facts,
            "support-lead",
            "r-1",
            None,
        )
        .with_actions(&entitle_store::Routes::new(), None)
        .unwrap();
        let logged = store.log().append(decision).await.unwrap();
        assert_eq!(logged.actions.len(), 1);
        store.close().await;
        // As an older import left it.
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        sqlx::query("UPDATE outbox SET ticket_id = $1, sink = $2")
            .bind(evil)
            .bind("chat\nFAKE")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let out = run(site.path(), &["actions", "list"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout
            .chars()
            .any(|c| entitle::input::is_unsafe_to_show(c) && c != '\n'),
        "{stdout:?}"
    );
    assert_eq!(
        stdout.lines().count(),
        2,
        "a header and one step: {stdout:?}"
    );
    assert!(stdout.starts_with("ID "), "{stdout}");
    assert!(
        stdout.contains(r"chat\nFAKE") && stdout.contains(r"T-\u{1b}]0;PWNED\u{7}\u{202e}x"),
        "{stdout}"
    );

    // Import refuses them: JSON here (CSV: `cli.rs`).
    for (records, field) in [
        (
            serde_json::json!({"customers": [{"id": evil, "name": "Acme", "status": "paid"}]}),
            "field `id`",
        ),
        (
            serde_json::json!({"customers": [{"id": "C-1", "name": "Ac\u{0}me", "status": "paid"}]}),
            "field `name`",
        ),
        (
            serde_json::json!({"tickets": [{"id": "T-\r\n1", "url": "https://support.example.com/t/1",
                "requester_email": "a@example.com"}]}),
            "field `id`",
        ),
    ] {
        let file = site.path().join("records.json");
        std::fs::write(&file, records.to_string()).unwrap();
        let out = run(
            site.path(),
            &["import", "records.json", "--db", "import.db"],
        );
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{records}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
        assert!(stderr.contains(field), "{stderr}");
        assert!(stderr.contains("ids and names take none"), "{stderr}");
        assert!(
            !stderr
                .chars()
                .any(|c| entitle::input::is_unsafe_to_show(c) && c != '\n'),
            "{stderr:?}"
        );
    }
}

/// A value a bad actions config echoes cannot break the one-line error (#20
/// item 13): a sink name with a line break, a `from` with CR LF, a route
/// with an escape sequence.
#[test]
fn an_echoed_config_value_keeps_the_error_on_one_line() {
    let site = Site::new();
    for config in [
        "[sinks.\"chat\\nFAKE: line\"]\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n".to_owned(),
        "[sinks.mail]\nkind = \"email\"\nhost = \"127.0.0.1\"\ntls = \"none\"\nfrom = \"a@b.example\\r\\nBcc: all@corp.example\"\n".to_owned(),
        format!("{SLACK}[routes]\n\"email-license\" = \"chat\\u001b[2J\"\n"),
        "[sinks.chat]\nkind = \"sl\\u001b]0;PWNED\\u0007ack\"\n".to_owned(),
    ] {
        let (code, stderr) = serve_with(&site, &config, SET);
        assert_eq!(code, Some(2), "{config}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{config}: {stderr:?}");
        assert!(
            !stderr
                .chars()
                .any(|c| entitle::input::is_unsafe_to_show(c) && c != '\n'),
            "{stderr:?}"
        );
    }
}
