//! What a console page costs, measured in one process: each page of the
//! console fetched over loopback, one request at a time, against the same
//! decision's JSON answer (`GET /v1/decisions/{id}`) as the baseline, with
//! the process's CPU time per request (server and client together: an upper
//! bound on the server's) and the wall time.
//!
//! ```sh
//! cargo run --release -p entitle-http --example console_render
//! cargo run --release -p entitle-http --example console_render -- --requests 5000
//! ```
//!
//! The last line is
//! `console decision_page_cpu_ms=<x> json_cpu_ms=<y> ratio=<x/y> assets_bytes=<n>`.

use std::error::Error;
use std::time::{Duration, Instant};

use entitle_http::auth::{Role, TokenFile, TokenSource, Tokens};
use entitle_http::{AppState, ServerOptions};
use entitle_store::Store;
use serde_json::{Value, json};

type BoxError = Box<dyn Error + Send + Sync>;

/// The process's user + system CPU time, from `/proc/self/stat` (Linux).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // Clock ticks: 100 per second on Linux.
    Some(Duration::from_millis((utime + stime) * 10))
}

struct Measured {
    cpu_ms: f64,
    wall_ms: f64,
    bytes: usize,
}

async fn measure(
    http: &reqwest::Client,
    url: &str,
    auth: &[(&str, String)],
    requests: usize,
) -> Result<Measured, BoxError> {
    let get = || {
        let mut request = http.get(url);
        for (name, value) in auth {
            request = request.header(*name, value);
        }
        request.send()
    };
    let mut bytes = 0;
    for _ in 0..requests / 10 {
        let answer = get().await?;
        if !answer.status().is_success() {
            return Err(format!("{url}: {}", answer.status()).into());
        }
        bytes = answer.bytes().await?.len();
    }
    let cpu = cpu_time().ok_or("no /proc/self/stat")?;
    let started = Instant::now();
    for _ in 0..requests {
        let answer = get().await?;
        let _ = answer.bytes().await?;
    }
    let wall = started.elapsed();
    let cpu = cpu_time().ok_or("no /proc/self/stat")?.saturating_sub(cpu);
    Ok(Measured {
        cpu_ms: cpu.as_secs_f64() * 1000.0 / requests as f64,
        wall_ms: wall.as_secs_f64() * 1000.0 / requests as f64,
        bytes,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let mut requests = 2000usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--requests", Some(n)) => requests = n.parse::<usize>()?.clamp(100, 1_000_000),
            _ => return Err(format!("usage: console_render [--requests N], not `{flag}`").into()),
        }
    }
    let mut file = TokenFile::default();
    let (token, _) = file.add(Role::SupportEngineer, chrono::Utc::now())?;
    let tokens = TokenSource::fixed(Tokens::from_file(&file));
    let store = Store::open("sqlite::memory:").await?;
    let state = AppState::new(store, tokens, ServerOptions::default());
    let server = entitle_http::spawn("127.0.0.1:0".parse()?, state).await?;
    let base = server.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;

    // A Saturday emergency with its graph (the sub-graph walked) and actions.
    let facts = json!({
        "customer": {"status": "paid"},
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-05",
                    "expires_on": "2026-11-05", "users": 120},
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "screenshot_user_count": 118,
        "requester_email": "admin@example.com",
        "ticket_url": "https://support.example.com/tickets/4711",
        "requester_has_cdot_account": true,
        "account_has_subscription_access": true,
        "seat_link_dates": []
    });
    let decided: Value = http
        .post(format!("{base}/v1/decisions/license-emergency"))
        .bearer_auth(&token)
        .json(&json!({"facts": facts, "now": "2026-11-21T10:00:00Z"}))
        .send()
        .await?
        .json()
        .await?;
    let id = decided
        .get("decision_id")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no decision: {decided}"))?
        .to_owned();
    let signed_in = http
        .post(format!("{base}/console/sign-in"))
        .form(&[("token", token.as_str())])
        .send()
        .await?;
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("no session cookie")?
        .to_owned();

    let bearer = [("authorization", format!("Bearer {token}"))];
    let session = [("cookie", cookie)];
    let baseline = measure(
        &http,
        &format!("{base}/v1/decisions/{id}"),
        &bearer,
        requests,
    )
    .await?;
    println!("requests per page: {requests} (one at a time, loopback, one process)");
    println!(
        "{:<44} {:>10} {:>10} {:>9} {:>8}",
        "PAGE", "CPU ms", "wall ms", "bytes", "x JSON"
    );
    let row = |name: &str, m: &Measured| {
        println!(
            "{name:<44} {:>10.3} {:>10.3} {:>9} {:>8.2}",
            m.cpu_ms,
            m.wall_ms,
            m.bytes,
            m.cpu_ms / baseline.cpu_ms.max(1e-9)
        );
    };
    row("GET /v1/decisions/{id} (baseline, JSON)", &baseline);
    let mut decision_page = None;
    for (name, path) in [
        (
            "GET /console/decisions/{id}",
            format!("/console/decisions/{id}"),
        ),
        (
            "GET /console/decide?policy=license-emergency",
            "/console/decide?policy=license-emergency".to_owned(),
        ),
        ("GET /console/queue", "/console/queue".to_owned()),
        ("GET /console/log", "/console/log".to_owned()),
    ] {
        let measured = measure(&http, &format!("{base}{path}"), &session, requests).await?;
        row(name, &measured);
        if decision_page.is_none() {
            decision_page = Some(measured);
        }
    }
    let assets = entitle_http::console::STYLESHEET.len();
    println!("assets: console.css {assets} bytes (the only one; no script)");
    let page = decision_page.ok_or("no decision page measured")?;
    server.shutdown().await?;
    println!(
        "console decision_page_cpu_ms={:.3} json_cpu_ms={:.3} ratio={:.2} assets_bytes={assets}",
        page.cpu_ms,
        baseline.cpu_ms,
        page.cpu_ms / baseline.cpu_ms.max(1e-9)
    );
    Ok(())
}
