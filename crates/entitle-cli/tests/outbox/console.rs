//! The console in a real browser: Debian's Chromium driven over WebDriver
//! (`chromedriver`, installed by `.ci/run`) against the real `entitle
//! serve`, its outbox worker and a local Slack receiver that fails, then
//! answers 200.
//!
//! Each page's screenshot is saved under the test's output directory
//! (`$CARGO_TARGET_TMPDIR/console-screenshots`) and checked to be a
//! non-blank PNG; with `ENTITLE_SCREENSHOTS=DIR` they are also written to
//! `DIR` (how `docs/console/` is made, after review).
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::common::{SATURDAY, Server, Site};
use super::receiver::{Receiver, Recorded, Reply};

/// A chromedriver child process on a free port, killed when dropped.
struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Driver {
    /// Starts `chromedriver`; `None` (the test is skipped, loudly) when it
    /// is not installed, unless `CI` is set, where that fails the test.
    async fn start() -> Option<Driver> {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let spawned = tokio::process::Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                super::skip::skip_unless_ci(
                    &format!("`{binary}` cannot start ({error})"),
                    "install chromium and chromium-driver: `.ci/run` does",
                );
                return None;
            }
        };
        let url = format!("http://127.0.0.1:{port}");
        let ready = wait_until!(Duration::from_secs(20), {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        });
        assert!(ready, "chromedriver did not listen on {port}");
        Some(Driver { child, url })
    }

    /// A headless Chromium session (as root it needs `--no-sandbox`).
    async fn browser(&self) -> Client {
        let mut capabilities = serde_json::Map::new();
        let chrome = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": chrome,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1100", "--lang=en-US"]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Where the screenshots go.
fn screenshot_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots")];
    if let Some(dir) = std::env::var_os("ENTITLE_SCREENSHOTS") {
        dirs.push(PathBuf::from(dir));
    }
    for dir in &dirs {
        std::fs::create_dir_all(dir).unwrap();
    }
    dirs
}

/// Takes a screenshot of the page as `name.png`, checks it is a PNG with
/// more than one colour, and saves it.
async fn screenshot(browser: &Client, name: &str) {
    let bytes = browser.screenshot().await.unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let pixels = &pixels[..info.buffer_size()];
    let first = &pixels[..4];
    let distinct = pixels.chunks(4).filter(|p| *p != first).count();
    assert!(
        distinct > pixels.len() / 4 / 100,
        "{name}: the screenshot is (nearly) blank"
    );
    for dir in screenshot_dirs() {
        std::fs::write(dir.join(format!("{name}.png")), &bytes).unwrap();
    }
}

/// The element `selector` finds, waiting (up to 10 s) for a page that is
/// still loading after a key press.
async fn css(browser: &Client, selector: &str) -> fantoccini::elements::Element {
    let started = std::time::Instant::now();
    loop {
        match browser.find(Locator::Css(selector)).await {
            Ok(element) => return element,
            Err(error) if started.elapsed() > Duration::from_secs(10) => {
                let url = browser.current_url().await.unwrap();
                let source = browser.source().await.unwrap_or_default();
                panic!("no `{selector}` on {url}: {error}\n{source}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Waits (up to 10 s) until the page's path satisfies `wanted` (a key press
/// that submits a form returns before the next page has loaded); the path.
async fn wait_path(browser: &Client, wanted: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let path = browser.current_url().await.unwrap().path().to_owned();
        if wanted(&path) {
            return path;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the browser stayed on {path}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn text(browser: &Client, selector: &str) -> String {
    css(browser, selector).await.text().await.unwrap()
}

/// Types `value` into the input `selector`, after clearing it.
async fn fill(browser: &Client, selector: &str, value: &str) {
    let input = css(browser, selector).await;
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

/// Signs in with `token` through the form, with the keyboard; lands on
/// `home`.
async fn sign_in(browser: &Client, base: &str, token: &str, home: &str) {
    browser
        .goto(&format!("{base}/console/queue"))
        .await
        .unwrap();
    let url = browser.current_url().await.unwrap();
    assert_eq!(
        url.path(),
        "/console/sign-in",
        "not signed in: sent to sign in"
    );
    let input = css(browser, "#token").await;
    input.send_keys(token).await.unwrap();
    input.send_keys(&Key::Enter).await.unwrap();
    wait_path(browser, |path| path == home).await;
}

fn slack_down(_: &Recorded) -> Reply {
    Reply::text(503, "slack is down")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_engineer_decides_sees_why_and_works_the_queue_in_a_browser() {
    let Some(driver) = Driver::start().await else {
        return;
    };
    let slack = Receiver::start(slack_down).await;
    let tool = Receiver::start(|_| {
        Reply::json(
            200,
            json!({"license": "eyJsaWNlbnNlIjoidGVzdCJ9", "filename": "a.gitlab-license"}),
        )
    })
    .await;
    let site = Site::new();
    let actions = site.actions_file(&format!(
        r#"
[routes]
"email-license" = "mechanizer"
"post-to-licensing-channel" = "slack"

[sinks.mechanizer]
kind = "license-generator"
url = "{tool}/api/licenses"
timeout_seconds = 5

[sinks.slack]
kind = "slack"
url_env = "SLACK_WEBHOOK_URL"
timeout_seconds = 5

[worker]
max_attempts = 1
base_delay_seconds = 1
max_delay_seconds = 1
poll_interval_ms = 50
"#,
        tool = tool.url
    ));
    let args = [
        std::ffi::OsString::from("--actions"),
        actions.into(),
        "--clock".into(),
        SATURDAY.into(),
    ];
    let env = [(
        "SLACK_WEBHOOK_URL",
        format!("{}/services/T000/B000/XXXX", slack.url),
    )];
    let server = Server::start_with(&site, "entitle.db", &args, &env).await;
    let base = server.base.clone();
    let browser = driver.browser().await;

    // Sign in.
    browser
        .goto(&format!("{base}/console/sign-in"))
        .await
        .unwrap();
    screenshot(&browser, "sign-in").await;
    sign_in(&browser, &base, &site.engineer, "/console/decide").await;
    screenshot(&browser, "decide-pick").await;

    // The decide form for a Saturday emergency, typed in as an engineer
    // would, with the keyboard.
    browser
        .goto(&format!("{base}/console/decide?policy=weekend-emergency"))
        .await
        .unwrap();
    let now = css(&browser, "#now").await.prop("value").await.unwrap();
    assert_eq!(now.as_deref(), Some(SATURDAY), "`now` is the server clock");
    css(&browser, "#f-customer-status")
        .await
        .select_by_value("paid")
        .await
        .unwrap();
    css(&browser, "#f-license-plan")
        .await
        .select_by_value("premium")
        .await
        .unwrap();
    // Dates as a person types them into Chromium's date input (en-US).
    fill(&browser, "#f-license-starts_on", "11052025").await;
    fill(&browser, "#f-license-expires_on", "11052026").await;
    fill(&browser, "#f-license-users", "120").await;
    for checkbox in [
        "#f-screenshots-admin_dashboard",
        "#f-screenshots-license_page",
    ] {
        css(&browser, checkbox).await.send_keys(" ").await.unwrap();
    }
    fill(&browser, "#f-screenshot_user_count", "118").await;
    fill(&browser, "#f-requester_email", "not-an-email").await;
    let ticket = "https://support.example.com/tickets/4711";
    fill(&browser, "#f-ticket_url", ticket).await;
    css(&browser, "#f-ticket_url")
        .await
        .send_keys(&Key::Enter)
        .await
        .unwrap();

    // A field error, next to its field, in the API's words; nothing lost.
    wait_path(&browser, |path| path == "/console/decide/weekend-emergency").await;
    let error = text(&browser, "#f-requester_email-error").await;
    assert!(error.contains("email"), "{error}");
    let kept = css(&browser, "#f-ticket_url")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some(ticket),
        "the form keeps what was typed"
    );
    let kept = css(&browser, "#f-license-expires_on")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("2026-11-05"));
    screenshot(&browser, "decide-error").await;

    // The same form in a narrow window (a sidebar, a phone): one column.
    browser.set_window_size(420, 900).await.unwrap();
    screenshot(&browser, "decide-narrow").await;
    browser.set_window_size(1280, 1100).await.unwrap();

    fill(&browser, "#f-requester_email", "admin@example.com").await;
    css(&browser, "#f-requester_email")
        .await
        .send_keys(&Key::Enter)
        .await
        .unwrap();

    // The decision: the outcome, the path on the graph, the actions.
    let path = wait_path(&browser, |path| path.starts_with("/console/decisions/")).await;
    let decision = path.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        text(&browser, "#outcome").await,
        "generate-temporary-license"
    );
    let stable = text(&browser, "#stable-until").await;
    assert_eq!(
        stable,
        "until Mon 23 Nov 2026 00:00 UTC, in 1 day 14 hours after the decision"
    );
    let mut walked = Vec::new();
    for node in browser
        .find_all(Locator::Css("svg g.node.taken"))
        .await
        .unwrap()
    {
        walked.push(node.attr("data-node").await.unwrap().unwrap());
    }
    walked.sort();
    assert_eq!(
        walked,
        [
            "customer-status",
            "generate-temporary-license",
            "grace-ended-outside-window",
            "is-weekend",
            "license-active-or-in-grace",
            "screenshots-and-user-count",
        ],
        "the highlighted nodes are the path taken"
    );
    let taken_edges = browser
        .find_all(Locator::Css("svg g.edge.taken"))
        .await
        .unwrap();
    assert_eq!(taken_edges.len(), 5, "one edge per question on the path");
    let rows = browser
        .find_all(Locator::Css("tr[data-action]"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "the weekend page's three actions");
    browser.set_window_size(1280, 2400).await.unwrap();
    screenshot(&browser, "decision").await;
    browser.set_window_size(1280, 1100).await.unwrap();

    // The channel post fails for good (one attempt); the queue shows it.
    let queue = format!("{base}/console/queue");
    let mut dead_step = String::new();
    let found = wait_until!(Duration::from_secs(20), {
        browser.goto(&queue).await.unwrap();
        match browser.find(Locator::Css("li.step .status.dead")).await {
            Ok(_) => {
                let step = css(&browser, "li.step:has(.status.dead)").await;
                dead_step = step.attr("data-action").await.unwrap().unwrap();
                true
            }
            Err(_) => false,
        }
    });
    assert!(found, "no dead step in the queue: {}", server.log());
    screenshot(&browser, "queue").await;

    // Slack is back; retry from the queue with the keyboard.
    slack.answer_with(|_| Reply::text(200, "ok"));
    let retry = css(
        &browser,
        &format!("li.step[data-action='{dead_step}'] form[action$='/retry'] button"),
    )
    .await;
    retry.send_keys(&Key::Enter).await.unwrap();
    // Back on the queue, where the retried step no longer waits.
    let retried = wait_until!(Duration::from_secs(10), {
        let here = browser.current_url().await.unwrap();
        let selector = format!("li.step[data-action='{dead_step}']");
        here.path() == "/console/queue" && browser.find(Locator::Css(&selector)).await.is_err()
    });
    assert!(retried, "the retry did not come back to the queue");
    let decision_page = format!("{base}/console/decisions/{decision}");
    let delivered = wait_until!(Duration::from_secs(20), {
        browser.goto(&decision_page).await.unwrap();
        let status = text(&browser, &format!("tr[data-action='{dead_step}'] .status")).await;
        status == "delivered"
    });
    assert!(
        delivered,
        "the retried step was not delivered: {}",
        server.log()
    );
    assert_eq!(
        slack.requests().len(),
        2,
        "one failed attempt, one delivery"
    );

    // The log, with the intake events beside it.
    browser.goto(&format!("{base}/console/log")).await.unwrap();
    let first = text(&browser, "#decisions tbody tr").await;
    assert!(first.contains("weekend-emergency"), "{first}");
    screenshot(&browser, "log").await;

    // Sign out: the session is gone.
    css(&browser, "header .who button")
        .await
        .send_keys(&Key::Enter)
        .await
        .unwrap();
    wait_path(&browser, |path| path == "/console/sign-in").await;
    browser.goto(&queue).await.unwrap();
    assert_eq!(
        browser.current_url().await.unwrap().path(),
        "/console/sign-in"
    );

    // A reader: no action buttons; a forged POST is refused.
    let steps = server.decision_actions(&site.reader, &decision).await;
    let manual_step = steps
        .iter()
        .find(|a| a["sink"] == "manual")
        .and_then(|a| a["id"].as_str())
        .unwrap()
        .to_owned();
    sign_in(&browser, &base, &site.reader, "/console/log").await;
    browser.goto(&queue).await.unwrap();
    assert!(
        !browser
            .find_all(Locator::Css("li.step"))
            .await
            .unwrap()
            .is_empty()
    );
    let buttons = browser.find_all(Locator::Css("form.change")).await.unwrap();
    assert!(buttons.is_empty(), "a reader sees no action buttons");
    screenshot(&browser, "queue-reader").await;
    let cookie = browser.get_named_cookie("entitle_session").await.unwrap();
    let csrf = css(&browser, "header .who input[name=csrf]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let forged = http
        .post(format!("{base}/console/actions/{manual_step}/done"))
        .header("cookie", format!("entitle_session={}", cookie.value()))
        .form(&[("csrf", csrf.as_str()), ("note", "done by a reader")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "a reader may not mark a step done");
    let body = forged.text().await.unwrap();
    assert!(body.contains("may not"), "{body}");
    let (_, detail) = server
        .call(
            "GET",
            &format!("/v1/actions/{manual_step}"),
            &site.reader,
            None,
        )
        .await;
    assert_eq!(detail["status"], "pending", "nothing changed: {detail:#}");

    browser.close().await.unwrap();
    server.stop().await;
}
