//! The actions config: the documented example parses as written, and every
//! bad config is one line naming the key.
#![expect(
    clippy::string_slice,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use entitle_notify::{ActionsConfig, ConfigError, WorkerConfig};

use super::common::env;

const SECRETS: [(&str, &str); 6] = [
    (
        "SLACK_WEBHOOK_URL",
        "https://hooks.slack.com/services/T000/B000/SECRET-SLACK",
    ),
    ("ZENDESK_API_TOKEN", "SECRET-ZENDESK"),
    ("GITLAB_TOKEN", "SECRET-GITLAB"),
    ("MECHANIZER_TOKEN", "SECRET-MECHANIZER"),
    ("SMTP_PASSWORD", "SECRET-SMTP"),
    ("WEBHOOK_SECRET", "SECRET-WEBHOOK"),
];

/// The first ```toml block of docs/actions.md.
fn documented_example() -> String {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/actions.md"
    ))
    .unwrap();
    let start = page.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + page[start..].find("```").unwrap();
    page[start..end].to_owned()
}

#[test]
fn the_documented_example_is_valid_and_keeps_its_secrets_out_of_debug() {
    let config = ActionsConfig::from_toml(&documented_example(), env(&SECRETS)).unwrap();

    let kinds: Vec<_> = config
        .sinks
        .iter()
        .map(|(name, sink)| (name.as_str(), sink.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("chat", "slack"),
            ("hooks", "webhook"),
            ("internal-requests", "gitlab"),
            ("mailer", "email"),
            ("mechanizer", "license-generator"),
            ("tickets", "zendesk"),
        ]
    );
    assert_eq!(config.route("email-license"), ["mechanizer", "mailer"]);
    assert_eq!(config.route("post-to-licensing-channel"), ["chat"]);
    assert_eq!(
        config.route("record-internal-request"),
        ["internal-requests"]
    );
    assert_eq!(config.route("open-ticket-for-customer"), ["tickets"]);
    assert!(
        config.route("manage-product-issue").is_empty(),
        "no route: a manual task"
    );
    assert_eq!(
        config.worker,
        WorkerConfig {
            max_attempts: 6,
            base_delay_seconds: 10,
            max_delay_seconds: 1800,
            concurrency: 4,
            poll_interval_ms: 500
        }
    );
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("SECRET"),
        "a secret in Debug output: {debug}"
    );
    assert!(debug.contains("Secret(<redacted>)"));
}

#[test]
fn an_empty_config_routes_nothing_and_has_the_default_worker() {
    let config = ActionsConfig::from_toml("", env(&[])).unwrap();
    assert!(config.sinks.is_empty() && config.routes.is_empty());
    assert_eq!(config.worker, WorkerConfig::default());
}

#[test]
fn a_table_of_a_larger_file_is_read_the_same_way() {
    let table: toml::Table = toml::from_str("[routes]\n\"engage-lr-sme\" = \"chat\"\n").unwrap();
    let error = ActionsConfig::from_table(table, env(&[])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "route `engage-lr-sme` -> sink `chat`: no such sink"
    );
}

fn error(toml: &str) -> String {
    let error = ActionsConfig::from_toml(toml, env(&SECRETS)).unwrap_err();
    let message = error.to_string();
    assert!(!message.contains('\n'), "one line: {message}");
    assert!(
        !message.contains("SECRET"),
        "no secret in errors: {message}"
    );
    message
}

const SLACK: &str = "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n";

#[test]
fn sink_errors_name_the_key() {
    assert_eq!(
        error("[sinks.chat]\nkind = \"slak\"\n"),
        "sinks.chat.kind: unknown sink kind `slak` (one of slack, zendesk, gitlab, license-generator, email, webhook)"
    );
    assert!(error("[sinks.chat]\nurl_env = \"X\"\n").starts_with("sinks.chat: missing `kind`"));
    assert_eq!(
        error("[sinks.chat]\nkind = 3\n"),
        "sinks.chat.kind: expected a string, found integer"
    );
    let unknown = error(
        "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\nchannel = \"#x\"\n",
    );
    assert!(
        unknown.starts_with("sinks.chat") && unknown.contains("unknown field `channel`"),
        "{unknown}"
    );
    let missing = error("[sinks.chat]\nkind = \"slack\"\n");
    assert!(
        missing.starts_with("sinks.chat") && missing.contains("missing field `url_env`"),
        "{missing}"
    );
    let mistyped = error(
        "[sinks.mail]\nkind = \"email\"\nhost = \"h\"\nport = \"twenty-five\"\ntls = \"none\"\nfrom = \"a@b.c\"\n",
    );
    assert!(mistyped.starts_with("sinks.mail.port: "), "{mistyped}");
    let tls =
        error("[sinks.mail]\nkind = \"email\"\nhost = \"h\"\ntls = \"ssl\"\nfrom = \"a@b.c\"\n");
    assert!(
        tls.starts_with("sinks.mail.tls: ") && tls.contains("ssl"),
        "{tls}"
    );
    assert!(error("[sinks.mail]\nkind = \"email\"\nhost = \"h\"\ntls = \"none\"\nfrom = \"not a mailbox\"\n").starts_with("sinks.mail.from: `not a mailbox` is not a mailbox"));
    assert_eq!(
        error(
            "[sinks.mail]\nkind = \"email\"\nhost = \"h\"\ntls = \"none\"\nfrom = \"a@b.c\"\nusername = \"u\"\n"
        ),
        "sinks.mail.password_env: required with `username`"
    );
    assert_eq!(
        error(
            "[sinks.t]\nkind = \"zendesk\"\nbase_url = \"https://x.zendesk.com\"\ntoken_env = \"ZENDESK_API_TOKEN\"\nauth = \"basic\"\n"
        ),
        "sinks.t.email: required with auth = \"basic\""
    );
    assert!(error("[sinks.g]\nkind = \"gitlab\"\nbase_url = \"https://g.example\"\nproject_id = \"a b\"\ntoken_env = \"GITLAB_TOKEN\"\n").starts_with("sinks.g.project_id: "));
    assert_eq!(
        error(&format!("{SLACK}timeout_seconds = 0\n")),
        "sinks.chat.timeout_seconds: must be between 1 and 300, not 0"
    );
    assert_eq!(
        error("[sinks.manual]\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n"),
        "sinks.manual: `manual` is reserved for actions without a route"
    );
}

#[test]
fn secret_errors_name_the_key_and_the_variable_never_the_value() {
    assert_eq!(
        error("[sinks.chat]\nkind = \"slack\"\nurl_env = \"NOT_SET\"\n"),
        "sinks.chat.url_env: environment variable `NOT_SET` is not set"
    );
    let empty = ActionsConfig::from_toml(SLACK, env(&[("SLACK_WEBHOOK_URL", "  ")])).unwrap_err();
    assert_eq!(
        empty.to_string(),
        "sinks.chat.url_env: environment variable `SLACK_WEBHOOK_URL` is not set"
    );
    let bad = ActionsConfig::from_toml(SLACK, env(&[("SLACK_WEBHOOK_URL", "SECRET-not-a-url")]))
        .unwrap_err();
    let message = bad.to_string();
    assert!(
        message
            .starts_with("sinks.chat.url_env: the value of `SLACK_WEBHOOK_URL` is not a valid URL"),
        "{message}"
    );
    assert!(!message.contains("SECRET"), "{message}");
}

/// A `*_env` value that is not a variable name (often the secret itself,
/// pasted where its variable's name belongs) is refused without quoting it
/// (#20 item 11: it was echoed as "environment variable `https://...` is
/// not set").
#[test]
fn an_env_key_that_is_no_variable_name_is_refused_unquoted() {
    let sinks = [
        ("chat", "slack", "url_env", ""),
        (
            "gl",
            "gitlab",
            "token_env",
            "base_url = \"https://g.example\"\nproject_id = \"1\"\n",
        ),
        (
            "hook",
            "webhook",
            "secret_env",
            "url = \"https://h.example/in\"\n",
        ),
        (
            "zd",
            "zendesk",
            "token_env",
            "base_url = \"https://x.zendesk.com\"\n",
        ),
        (
            "gen",
            "license-generator",
            "token_env",
            "url = \"https://m.example\"\n",
        ),
        (
            "mail",
            "email",
            "password_env",
            "host = \"127.0.0.1\"\ntls = \"none\"\nfrom = \"a@b.c\"\nusername = \"u\"\n",
        ),
    ];
    for value in [
        "https://hooks.slack.com/services/T000/B000/SECRETxyz",
        "glpat-SECRET",
        "SECRET VALUE",
        "1SECRET",
        "SECRET\u{1b}]0;x\u{7}",
        "",
    ] {
        for (name, kind, key, rest) in sinks {
            let toml = format!(
                "[sinks.{name}]\nkind = \"{kind}\"\n{rest}{key} = {}\n",
                toml::Value::String(value.to_owned())
            );
            // `error` asserts one line and no `SECRET`.
            let message = error(&toml);
            assert!(
                message.starts_with(&format!(
                    "sinks.{name}.{key}: the value is not the name of an environment variable"
                )),
                "{toml}: {message}"
            );
        }
    }
}

#[test]
fn bad_urls_name_the_key() {
    assert_eq!(
        error("[sinks.gen]\nkind = \"license-generator\"\nurl = \"ftp://mechanizer.example\"\n"),
        "sinks.gen.url: `ftp://mechanizer.example` is not a valid URL: the scheme must be http or https"
    );
    assert!(error("[sinks.hook]\nkind = \"webhook\"\nurl = \"not a url\"\nsecret_env = \"WEBHOOK_SECRET\"\n").starts_with("sinks.hook.url: `not a url` is not a valid URL"));
    assert!(error("[sinks.t]\nkind = \"zendesk\"\nbase_url = \"acme.zendesk.com\"\ntoken_env = \"ZENDESK_API_TOKEN\"\n").starts_with("sinks.t.base_url: "));
}

#[test]
fn route_errors_name_the_action_and_the_sink() {
    assert_eq!(
        error(&format!(
            "{SLACK}[routes]\n\"email-license\" = [\"chat\", \"mailer\"]\n"
        )),
        "route `email-license` -> sink `mailer`: no such sink"
    );
    assert_eq!(
        error(&format!("{SLACK}[routes]\n\"engage-lr-sme\" = 3\n")),
        "routes.engage-lr-sme: expected a sink name or a list of sink names"
    );
    assert_eq!(
        error(&format!(
            "{SLACK}[routes]\n\"engage-lr-sme\" = [\"chat\", 1]\n"
        )),
        "routes.engage-lr-sme: every item of the list must be a sink name (a string)"
    );
    assert!(
        error(&format!("{SLACK}[routes]\n\"engage-lr-sme\" = []\n"))
            .starts_with("routes.engage-lr-sme: an empty list routes nothing")
    );
    assert_eq!(
        error(&format!(
            "{SLACK}[routes]\n\"engage-lr-sme\" = [\"chat\", \"chat\"]\n"
        )),
        "routes.engage-lr-sme: sink `chat` is listed twice"
    );
    assert!(
        error(&format!(
            "{SLACK}[routes]\n\"engage-lr-sme\" = \"manual\"\n"
        ))
        .starts_with("routes.engage-lr-sme: `manual` is not a sink")
    );
}

/// A route for an action no policy asks for is refused, with the closest
/// id when one is close: a misspelt id would leave the action a manual task
/// without a word.
#[test]
fn a_route_for_an_unknown_action_is_refused() {
    assert_eq!(
        error(&format!("{SLACK}[routes]\n\"emial-license\" = \"chat\"\n")),
        "routes.emial-license: no policy asks for an action `emial-license`; did you mean `email-license`?"
    );
    assert_eq!(
        error(&format!("{SLACK}[routes]\nzzzz-qqqq = \"chat\"\n")),
        "routes.zzzz-qqqq: no policy asks for an action `zzzz-qqqq`; `entitle examples <policy>` shows the actions each policy asks for"
    );
}

#[test]
fn worker_and_syntax_errors_name_the_key() {
    assert_eq!(
        error("[worker]\nmax_attempts = 0\n"),
        "worker.max_attempts: must be at least 1"
    );
    assert_eq!(
        error("[worker]\nconcurrency = 0\n"),
        "worker.concurrency: must be at least 1"
    );
    assert_eq!(
        error("[worker]\nbase_delay_seconds = 60\nmax_delay_seconds = 30\n"),
        "worker.max_delay_seconds: must be at least base_delay_seconds"
    );
    let unknown = error("[worker]\nmax_attempt = 3\n");
    assert!(
        unknown.starts_with(
            "actions config: line 2, column 1: `max_attempt = …`: unknown field `max_attempt`"
        ),
        "{unknown}"
    );
    let top = error("[sink.chat]\nkind = \"slack\"\n");
    assert!(top.contains("unknown field `sink`"), "{top}");
    assert!(matches!(
        ActionsConfig::from_toml("[routes\n", env(&[])),
        Err(ConfigError::Syntax(_))
    ));
}

/// Values the worker cannot use are refused at startup, naming the key
/// (#20 item 4): a delay past 30 days (`base_delay_seconds` overflowed the
/// retry time), a poll interval past an hour (10^15 ms), SMTP port 0, and
/// a token holding a line break (each delivery failed, no key named).
#[test]
fn values_the_worker_cannot_use_are_refused_naming_the_key() {
    for (toml, start) in [
        (
            "[worker]\nbase_delay_seconds = 18446744073709551615\nmax_delay_seconds = 18446744073709551615\n",
            "worker.base_delay_seconds: must be between 1 and 2592000 (30 days), not 18446744073709551615",
        ),
        (
            "[worker]\nmax_delay_seconds = 9000000000000\n",
            "worker.max_delay_seconds: must be between 1 and 2592000 (30 days), not 9000000000000",
        ),
        (
            "[worker]\nbase_delay_seconds = 0\n",
            "worker.base_delay_seconds: must be between 1 and 2592000",
        ),
        (
            "[worker]\npoll_interval_ms = 1000000000000000\n",
            "worker.poll_interval_ms: must be between 1 and 3600000 (one hour), not 1000000000000000",
        ),
        (
            "[worker]\npoll_interval_ms = 0\n",
            "worker.poll_interval_ms: must be between 1 and 3600000",
        ),
        (
            "[sinks.mail]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = 0\ntls = \"none\"\nfrom = \"a@b.c\"\n",
            "sinks.mail.port: must be between 1 and 65535, not 0",
        ),
    ] {
        let message = error(toml);
        assert!(message.starts_with(start), "{toml}: {message}");
    }
    assert!(
        ActionsConfig::from_toml(
            "[worker]\nbase_delay_seconds = 2592000\nmax_delay_seconds = 2592000\npoll_interval_ms = 3600000\n",
            env(&[])
        )
        .is_ok()
    );
    let sinks = [
        (
            "gl",
            "gitlab",
            "base_url = \"https://g.example\"\nproject_id = 1\n",
        ),
        ("zd", "zendesk", "base_url = \"https://x.zendesk.com\"\n"),
        ("gen", "license-generator", "url = \"https://m.example\"\n"),
    ];
    for token in ["SECRET\r\nX-Injected: 1", "SECRET\nmore", "SE\u{7}CRET"] {
        for (name, kind, rest) in sinks {
            let toml = format!("[sinks.{name}]\nkind = \"{kind}\"\n{rest}token_env = \"TOKEN\"\n");
            let message = ActionsConfig::from_toml(&toml, env(&[("TOKEN", token)]))
                .unwrap_err()
                .to_string();
            assert_eq!(
                message,
                format!(
                    "sinks.{name}.token_env: the value of `TOKEN` holds a line break or another control character, which an HTTP header cannot carry"
                ),
                "{toml}"
            );
        }
    }
}

/// SMTP credentials over `tls = "none"` are refused unless the server is on
/// this host, and the error says so (#20 item 9: `AUTH PLAIN` went over
/// plain TCP to any host).
#[test]
fn smtp_credentials_without_tls_only_to_a_loopback_host() {
    let mail = |host: &str, tls: &str| {
        format!(
            "[sinks.mail]\nkind = \"email\"\nhost = \"{host}\"\ntls = \"{tls}\"\nfrom = \"a@b.c\"\nusername = \"u\"\npassword_env = \"SMTP_PASSWORD\"\n"
        )
    };
    let vars = [("SMTP_PASSWORD", "SECRET-pw")];
    for host in [
        "smtp.example.com",
        "10.0.0.1",
        "192.168.1.1",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "::ffff:10.0.0.1",
    ] {
        let message = ActionsConfig::from_toml(&mail(host, "none"), env(&vars))
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!(
                "sinks.mail.tls: `none` would send the username and password in clear text to `{host}`: use `starttls` or `tls`"
            )),
            "{host}: {message}"
        );
        assert!(
            message.contains("only for a relay on this host"),
            "{message}"
        );
        assert!(!message.contains("SECRET"), "{message}");
        for tls in ["starttls", "tls"] {
            assert!(
                ActionsConfig::from_toml(&mail(host, tls), env(&vars)).is_ok(),
                "{host} {tls}"
            );
        }
    }
    for host in [
        "127.0.0.1",
        "127.8.9.10",
        "localhost",
        "LocalHost",
        "::1",
        "[::1]",
    ] {
        assert!(
            ActionsConfig::from_toml(&mail(host, "none"), env(&vars)).is_ok(),
            "{host}"
        );
    }
    // Without credentials, `none` stays allowed anywhere (a trusted relay).
    assert!(
        ActionsConfig::from_toml(
            "[sinks.mail]\nkind = \"email\"\nhost = \"relay.internal\"\ntls = \"none\"\nfrom = \"a@b.c\"\n",
            env(&[])
        )
        .is_ok()
    );
}

/// Every value an error quotes is escaped: a sink name with a line break,
/// a `from` with CR LF, a kind with an escape sequence (#20 item 13).
#[test]
fn quoted_values_are_escaped() {
    for (toml, shown) in [
        (
            "[sinks.\"a\\nb\"]\nkind = \"slack\"\nurl_env = \"X\"\n",
            r"sinks.a\nb: a sink name is letters",
        ),
        (
            "[sinks.mail]\nkind = \"email\"\nhost = \"h\"\ntls = \"none\"\nfrom = \"a@b.c\\r\\nBcc: x@y.z\"\n",
            r"`a@b.c\r\nBcc: x@y.z` is not a mailbox",
        ),
        (
            "[sinks.chat]\nkind = \"sl\\u001b[2Jack\"\n",
            r"unknown sink kind `sl\u{1b}[2Jack`",
        ),
    ] {
        let message = error(toml);
        assert!(message.contains(shown), "{message}");
        assert!(!message.chars().any(char::is_control), "{message:?}");
    }
}
