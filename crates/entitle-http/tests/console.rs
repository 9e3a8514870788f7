//! The console against hostile input, over real HTTP without a browser:
//! markup in values, very long values, forged and cross-session forms,
//! expired sessions and revoked tokens. (The browser flows are in
//! `crates/entitle-cli/tests/outbox/console.rs`.)
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::Path;
use std::time::Duration;

use entitle_http::auth::{Role, TokenFile};
use entitle_http::{ConsoleOptions, RunningServer, ServerOptions};
use entitle_store::Store;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};

struct Site {
    _dir: tempfile::TempDir,
    tokens_path: std::path::PathBuf,
    engineer: String,
    engineer_id: String,
    reader: String,
    server: RunningServer,
    http: reqwest::Client,
}

async fn site(ttl: Duration, secure_cookie: bool) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let mut file = TokenFile::default();
    let now = chrono::Utc::now();
    let (engineer, record) = file.add(Role::SupportEngineer, now).unwrap();
    let (reader, _) = file.add(Role::Reader, now).unwrap();
    file.save(&tokens_path).unwrap();
    let options = ServerOptions {
        token_reload_interval: Duration::from_millis(50),
        console: ConsoleOptions {
            session_ttl: ttl,
            secure_cookie,
        },
        ..ServerOptions::default()
    };
    let store = Store::open("sqlite::memory:").await.unwrap();
    let server = crate::support::serve(store, &tokens_path, options).await;
    Site {
        _dir: dir,
        tokens_path,
        engineer,
        engineer_id: record.id,
        reader,
        server,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

/// A signed-in session: its cookie header and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl Site {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn sign_in(&self, token: &str) -> Session {
        let answer = self
            .http
            .post(self.url("/console/sign-in"))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let set = answer.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set.split(';').next().unwrap().to_owned();
        let page = self.get(&cookie, "/console/log").await;
        assert_eq!(page.0, StatusCode::OK);
        let csrf = page
            .1
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        Session { cookie, csrf }
    }

    async fn get(&self, cookie: &str, path: &str) -> (StatusCode, String) {
        let answer = self
            .http
            .get(self.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap();
        (answer.status(), answer.text().await.unwrap())
    }

    async fn post(&self, cookie: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let answer = self
            .http
            .post(self.url(path))
            .header(COOKIE, cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        (answer.status(), answer.text().await.unwrap())
    }
}

/// The weekend page's facts as the form posts them.
fn weekend_form<'a>(csrf: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("now", "2026-11-21T10:00:00Z"),
        ("customer.status", "paid"),
        ("license.plan", "premium"),
        ("license.starts_on", "2025-11-05"),
        ("license.expires_on", "2026-11-05"),
        ("license.users", "120"),
        ("screenshots.admin_dashboard", "true"),
        ("screenshots.license_page", "true"),
        ("screenshot_user_count", "118"),
        ("requester_email", email),
        ("ticket_url", "https://support.example.com/tickets/4711"),
    ]
}

async fn logged(site: &Site) -> usize {
    let answer = site
        .http
        .get(site.url("/v1/decisions"))
        .bearer_auth(&site.reader)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = answer.json().await.unwrap();
    body["decisions"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_session_cookie_and_the_headers_are_those_of_an_internal_tool() {
    let site = site(Duration::from_secs(3600), true).await;
    let answer = site
        .http
        .post(site.url("/console/sign-in"))
        .form(&[("token", site.engineer.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = answer.headers()[SET_COOKIE].to_str().unwrap();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
        "Path=/console",
        "Max-Age=3600",
    ] {
        assert!(cookie.contains(part), "{part} missing: {cookie}");
    }
    assert!(
        !cookie.contains(&site.engineer),
        "the token is not the cookie"
    );
    let csp = answer.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("script-src"),
        "{csp}"
    );

    // A wrong token: 401, the form again, no session.
    let answer = site
        .http
        .post(site.url("/console/sign-in"))
        .form(&[("token", "not-a-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.headers().get(SET_COOKIE).is_none());
    assert!(answer.text().await.unwrap().contains("not valid"));

    // No page holds the token; the stylesheet is the only asset.
    let session = site.sign_in(&site.engineer).await;
    for path in ["/console/decide", "/console/queue", "/console/log"] {
        let (status, page) = site.get(&session.cookie, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!page.contains(&site.engineer), "{path} shows the token");
        assert!(!page.contains("<script"), "{path} has a script");
        assert!(!page.contains("style="), "{path} has an inline style");
    }
    let css = site.get("", "/console/console.css").await;
    assert_eq!(css.0, StatusCode::OK);
    assert!(css.1.len() < 100 * 1024, "assets: {} bytes", css.1.len());
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn markup_and_very_long_values_are_shown_as_text_and_kept() {
    let site = site(Duration::from_secs(3600), false).await;
    let session = site.sign_in(&site.engineer).await;
    let hostile = "<script>alert(1)</script>";

    // In a query: the log filter shows it as text.
    let (status, page) = site
        .get(
            &session.cookie,
            "/console/log?ticket=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains(hostile), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );

    // In a field the policy refuses: the error next to it, the value kept,
    // both escaped.
    let form = weekend_form(&session.csrf, hostile);
    let (status, page) = site
        .post(&session.cookie, "/console/decide/weekend-emergency", &form)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(!page.contains(hostile), "{page}");
    assert!(page.contains("id=\"f-requester_email-error\""), "{page}");
    assert!(
        page.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""),
        "{page}"
    );
    assert!(page.contains("value=\"https://support.example.com/tickets/4711\""));

    // A very long value: refused by the API's limit, kept, not a 5xx.
    let long = format!("{}@example.com", "a".repeat(20_000));
    let form = weekend_form(&session.csrf, &long);
    let (status, page) = site
        .post(&session.cookie, "/console/decide/weekend-emergency", &form)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = page.split("id=\"f-requester_email-error\"").nth(1).unwrap();
    let shown: String = error.chars().take(300).collect();
    assert!(error.contains("254"), "the limit is named: {shown}");
    assert!(page.contains(&long), "the value is kept");

    // Two refused fields at once: each next to its own field.
    let mut form = weekend_form(&session.csrf, "not-an-email");
    form.retain(|(k, _)| *k != "ticket_url");
    form.push(("ticket_url", "ftp://example.com/x"));
    let (status, page) = site
        .post(&session.cookie, "/console/decide/weekend-emergency", &form)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"f-requester_email-error\""), "{page}");
    assert!(page.contains("id=\"f-ticket_url-error\""), "{page}");
    assert!(
        !page.contains("at line 1 column"),
        "no JSON positions on a form"
    );
    assert_eq!(logged(&site).await, 0, "nothing decided");

    // The same form, valid, decides: one logged decision.
    let form = weekend_form(&session.csrf, "admin@example.com");
    let (status, _) = site
        .post(&session.cookie, "/console/decide/weekend-emergency", &form)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(logged(&site).await, 1);
    site.server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_form_without_this_sessions_csrf_token_changes_nothing() {
    let site = site(Duration::from_secs(3600), false).await;
    let engineer = site.sign_in(&site.engineer).await;
    let other = site.sign_in(&site.engineer).await;
    assert_ne!(engineer.csrf, other.csrf);
    let mut missing = weekend_form("", "admin@example.com");
    missing.remove(0);
    let from_other = weekend_form(&other.csrf, "admin@example.com");
    for form in [&missing, &from_other] {
        let (status, page) = site
            .post(&engineer.cookie, "/console/decide/weekend-emergency", form)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(page.contains("CSRF"), "{page}");
    }
    // Sign out needs it too.
    let (status, _) = site.post(&engineer.cookie, "/console/sign-out", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(logged(&site).await, 0);

    // A reader has no decide page, and its own, valid form is refused.
    let reader = site.sign_in(&site.reader).await;
    let (status, page) = site.get(&reader.cookie, "/console/decide").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(
        !page.contains("href=\"/console/decide\""),
        "no Decide link: {page}"
    );
    for (session, home) in [(&reader, "/console/log"), (&engineer, "/console/decide")] {
        let answer = site
            .http
            .get(site.url("/console"))
            .header(COOKIE, &session.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.headers()[LOCATION], home, "the role's start page");
    }
    let form = weekend_form(&reader.csrf, "admin@example.com");
    let (status, page) = site
        .post(&reader.cookie, "/console/decide/weekend-emergency", &form)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert_eq!(logged(&site).await, 0);
    site.server.shutdown().await.unwrap();
}

async fn sent_to_sign_in(site: &Site, cookie: &str) -> bool {
    let answer = site
        .http
        .get(site.url("/console/queue"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    answer.status() == StatusCode::SEE_OTHER && answer.headers()[LOCATION] == "/console/sign-in"
}

#[tokio::test]
async fn sessions_end_when_they_expire_when_signed_out_and_when_the_token_is_revoked() {
    let site = site(Duration::from_secs(1), false).await;
    let session = site.sign_in(&site.engineer).await;
    assert!(!sent_to_sign_in(&site, &session.cookie).await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(sent_to_sign_in(&site, &session.cookie).await, "expired");

    let site = self::site(Duration::from_secs(3600), false).await;
    let session = site.sign_in(&site.engineer).await;
    let (status, _) = site
        .post(
            &session.cookie,
            "/console/sign-out",
            &[("csrf", &session.csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(sent_to_sign_in(&site, &session.cookie).await, "signed out");

    let session = site.sign_in(&site.engineer).await;
    revoke(&site.tokens_path, &site.engineer_id);
    let mut ended = false;
    for _ in 0..100 {
        if sent_to_sign_in(&site, &session.cookie).await {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ended, "a revoked token's session ends");
    assert!(sent_to_sign_in(&site, "entitle_session=forged").await);
    site.server.shutdown().await.unwrap();
}

fn revoke(path: &Path, id: &str) {
    let mut file = TokenFile::load(path).unwrap();
    file.revoke(id).unwrap();
    // A different modification time, so the reload sees the change.
    std::thread::sleep(Duration::from_millis(20));
    file.save(path).unwrap();
}
