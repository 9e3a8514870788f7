//! Load test of the HTTP service, in-process on loopback, with the CPU each
//! request costs the process.
//!
//! Starts `entitle-http` on `127.0.0.1:0` over a temporary SQLite decision
//! log (WAL, `synchronous = FULL`, group commit), and beside it a bare axum
//! endpoint (the baseline: it parses the same body, facts into a
//! `serde_json::Value`, and answers a body of the same size as a decision,
//! with no auth, no decision and no log). Then `--clients` concurrent
//! keep-alive HTTP/1.1 clients send `--requests` requests in all to the
//! baseline, to `GET /healthz` (for reference), and to
//! `POST /v1/decisions/weekend-emergency` (realistic facts that walk the
//! whole graph to `generate-temporary-license`, each decision durably logged
//! before it is answered). It also measures `decide_json` in a loop
//! in-process. Every loop is bounded in count and in time (`--max-seconds`
//! per phase); it stops by itself.
//!
//! CPU per request is the process's user + system time during a phase
//! (`/proc/self/stat`, in clock ticks of 10 ms) divided by the requests
//! answered: server and clients together, since both run in this process
//! (the clients do the same work in every phase, so the difference between
//! two phases is the server's).
//!
//! ```text
//! cargo run --release -p entitle-http --example http_load [-- --clients 32 --requests 20000 --max-seconds 60]
//! cargo run --release -p entitle-http --example http_load -- --memory   # the log in memory (no fsync)
//! ```
//!
//! `--outcome ID` decides the weekend-emergency example ending at another
//! outcome (`not-lapsed`: a decision with no actions, so no outbox steps).
//! `--memory` (or `ENTITLE_LOAD_MEMORY=1`) keeps the log in memory
//! (`sqlite::memory:`); `--synchronous normal` commits the log without an
//! fsync (it survives a process crash, not a power loss; `full` is the
//! store's default); `--db URL` uses another database (a PostgreSQL URL,
//! or a SQLite one: `sqlite:///tmp/b.db?mode=rwc&cache=private` keeps the
//! log writer on sqlx instead of its own SQLite connection, to compare).
//! The last line is
//! `http decisions_per_s=<x> baseline_per_s=<y> ratio=<x/y> errors=<n> cpu_us_per_decision=<a> cpu_us_per_baseline=<b>`.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use entitle_http::auth::{Role, TokenFile, TokenSource, Tokens};
use entitle_http::{AppState, ServerOptions};
use entitle_store::SqliteSynchronous;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

type BoxError = Box<dyn Error + Send + Sync>;

struct Args {
    clients: usize,
    requests: usize,
    max_seconds: u64,
    /// A database URL instead of the temporary SQLite file
    /// (`sqlite::memory:` shows the cost without fsync).
    db: Option<String>,
    /// The weekend-emergency example decided: the one ending at this
    /// outcome.
    outcome: String,
    /// SQLite's `synchronous` for the log (`FULL`, the store's default).
    synchronous: SqliteSynchronous,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        clients: 32,
        requests: 20_000,
        max_seconds: 60,
        db: None,
        outcome: "generate-temporary-license".to_owned(),
        synchronous: SqliteSynchronous::Full,
    };
    if std::env::var("ENTITLE_LOAD_MEMORY").is_ok_and(|v| !v.is_empty() && v != "0") {
        args.db = Some("sqlite::memory:".to_owned());
    }
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || -> Result<usize, BoxError> {
            let text = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            Ok(text
                .parse()
                .map_err(|e| format!("{flag} `{text}`: not a count ({e})"))?)
        };
        match flag.as_str() {
            "--clients" => args.clients = value()?.clamp(1, 1024),
            "--requests" => args.requests = value()?.clamp(1, 10_000_000),
            "--max-seconds" => args.max_seconds = value()?.clamp(1, 3600) as u64,
            "--db" => args.db = Some(it.next().ok_or("--db needs a value")?),
            "--outcome" => args.outcome = it.next().ok_or("--outcome needs a value")?,
            "--memory" => args.db = Some("sqlite::memory:".to_owned()),
            "--synchronous" => {
                args.synchronous = match it.next().as_deref() {
                    Some("full") => SqliteSynchronous::Full,
                    Some("normal") => SqliteSynchronous::Normal,
                    _ => return Err("--synchronous needs `full` or `normal`".into()),
                }
            }
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    Ok(args)
}

/// What one phase measured.
struct Phase {
    name: &'static str,
    ok: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
    /// The process's CPU time (user + system) during the phase.
    cpu: Option<Duration>,
}

impl Phase {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// CPU microseconds per answered request (NaN where `/proc` is not).
    fn cpu_us_per_request(&self) -> f64 {
        match self.cpu {
            Some(cpu) => cpu.as_secs_f64() * 1e6 / self.ok.max(1) as f64,
            None => f64::NAN,
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        let rank = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        let last = self.latencies_us.len().saturating_sub(1);
        self.latencies_us
            .get(rank.min(last))
            .map_or(f64::NAN, |&us| us as f64 / 1000.0)
    }

    fn print(&self, clients: usize) {
        println!(
            "{:<28} {:>6} ok {:>4} errors {:>3} clients {:>9.0} req/s  p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>7.3} ms  cpu {:>6.1} us/req",
            self.name,
            self.ok,
            self.errors,
            clients,
            self.per_second(),
            self.percentile(0.50),
            self.percentile(0.99),
            self.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0,
            self.cpu_us_per_request(),
        );
    }
}

/// One request shape: method, path, body.
#[derive(Clone)]
struct Shape {
    method: Method,
    path: &'static str,
    body: Bytes,
    token: Arc<str>,
}

fn request(shape: &Shape) -> Result<Request<Full<Bytes>>, BoxError> {
    let mut builder = Request::builder()
        .method(shape.method.clone())
        .uri(shape.path)
        .header("host", "127.0.0.1")
        .header("authorization", format!("Bearer {}", shape.token));
    if !shape.body.is_empty() {
        builder = builder.header("content-type", "application/json");
    }
    Ok(builder.body(Full::new(shape.body.clone()))?)
}

/// Runs `total` requests of `shape` from `clients` keep-alive connections.
async fn phase(
    name: &'static str,
    addr: SocketAddr,
    shape: Shape,
    clients: usize,
    total: usize,
    max: Duration,
) -> Result<Phase, BoxError> {
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = process_cpu();
    let deadline = Instant::now() + max;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let next = next.clone();
        let shape = shape.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(total / clients + 1);
            let mut errors = 0usize;
            let mut sender = None;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                if Instant::now() >= deadline {
                    errors += 1;
                    continue;
                }
                if sender.is_none() {
                    match connect(addr).await {
                        Ok(s) => sender = Some(s),
                        Err(_) => {
                            errors += 1;
                            continue;
                        }
                    }
                }
                let Some(s) = sender.as_mut() else { continue };
                let t0 = Instant::now();
                let outcome = tokio::time::timeout(Duration::from_secs(5), async {
                    s.ready().await?;
                    let response = s.send_request(request(&shape)?).await?;
                    let status = response.status();
                    let body = response.into_body().collect().await?.to_bytes();
                    Ok::<_, BoxError>((status, body))
                })
                .await;
                match outcome {
                    Ok(Ok((status, body))) if status.is_success() && !body.is_empty() => {
                        latencies.push(t0.elapsed().as_micros() as u64);
                    }
                    Ok(Ok(_)) => errors += 1,
                    _ => {
                        errors += 1;
                        sender = None;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies_us = Vec::with_capacity(total);
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies_us.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    let cpu = cpu_before
        .zip(process_cpu())
        .map(|(before, after)| after.saturating_sub(before));
    latencies_us.sort_unstable();
    Ok(Phase {
        name,
        ok: latencies_us.len(),
        errors,
        elapsed,
        latencies_us,
        cpu,
    })
}

/// The user + system CPU time this process has used, from `/proc/self/stat`
/// (fields 14 and 15, in clock ticks; Linux reports them at `USER_HZ`,
/// 100 per second). `None` where there is no `/proc`.
fn process_cpu() -> Option<Duration> {
    const USER_HZ: u64 = 100;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces:
    // count fields from the last `)`, which ends it (field 3 follows).
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// The baseline: a bare axum endpoint that parses the body as the service
/// does (the facts into a `Value`, `now` as a string) and answers `answer`
/// (a decision's response, so a body of the same size), with no auth, no
/// decision and no log.
async fn spawn_bare(answer: Bytes) -> Result<SocketAddr, BoxError> {
    #[derive(serde::Deserialize)]
    #[expect(dead_code, reason = "parsed, as the service parses them, not read")]
    struct Body {
        facts: serde_json::Value,
        now: Option<String>,
    }
    let app = axum::Router::new().route(
        "/bare",
        axum::routing::post(move |body: axum::Json<Body>| {
            let answer = answer.clone();
            async move {
                std::hint::black_box(&body.0);
                ([(hyper::header::CONTENT_TYPE, "application/json")], answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}

/// One request of `shape` to `addr`: the response body.
async fn once(addr: SocketAddr, shape: &Shape) -> Result<Bytes, BoxError> {
    let mut sender = connect(addr).await?;
    let response = sender.send_request(request(shape)?).await?;
    if !response.status().is_success() {
        return Err(format!("{} answered {}", shape.path, response.status()).into());
    }
    Ok(response.into_body().collect().await?.to_bytes())
}

async fn connect(
    addr: SocketAddr,
) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>, BoxError> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// `decide_json` in a loop: at most `count` decisions or `max` time.
fn in_process(policy: &str, facts: &[u8], now: &str, count: usize, max: Duration) -> f64 {
    let Ok(now) = now.parse() else {
        return f64::NAN;
    };
    let config = entitle::config::PolicyConfig::default();
    let started = Instant::now();
    let mut done = 0usize;
    while done < count && started.elapsed() < max {
        for _ in 0..256 {
            if entitle::decide_json(policy, std::hint::black_box(facts), now, &config).is_ok() {
                done += 1;
            }
        }
    }
    done as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

/// The weekend-emergency example that walks to `outcome` (by default
/// `generate-temporary-license`; or, until that policy exists, the
/// follow-up policy's first example).
fn workload(outcome: &str) -> Result<(&'static str, serde_json::Value, String), BoxError> {
    for policy in ["weekend-emergency", "emergency-license-follow-up"] {
        if let Ok(Ok(examples)) = entitle::examples(policy) {
            let chosen = examples
                .iter()
                .find(|e| e.outcome == outcome)
                .or_else(|| examples.first());
            if let Some(e) = chosen {
                let policy: &'static str = if policy == "weekend-emergency" {
                    "weekend-emergency"
                } else {
                    "emergency-license-follow-up"
                };
                return Ok((policy, e.facts.clone(), e.now.clone()));
            }
        }
    }
    Err("no example facts to decide".into())
}

/// Exit 2 for bad arguments, 1 if the load test itself fails.
fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let ran = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(BoxError::from)
        .and_then(|runtime| runtime.block_on(run(args)));
    match ran {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    let (policy, facts, now) = workload(&args.outcome)?;
    let facts_bytes = serde_json::to_vec(&facts)?;
    let dir = tempfile::tempdir()?;
    let db = match &args.db {
        Some(url) => url.clone(),
        None => dir
            .path()
            .join("load.db")
            .to_str()
            .ok_or("temp path is not UTF-8")?
            .to_owned(),
    };
    let options = entitle_store::StoreOptions {
        sqlite_synchronous: args.synchronous,
        ..entitle_store::StoreOptions::default()
    };
    let store = entitle_store::Store::open_with(&db, options).await?;

    let mut file = TokenFile::default();
    let (token, _) = file.add(Role::SupportEngineer, chrono::Utc::now())?;
    let tokens = TokenSource::fixed(Tokens::from_file(&file));
    let state = AppState::new(store.clone(), tokens, ServerOptions::default());
    let server = entitle_http::spawn("127.0.0.1:0".parse()?, state).await?;
    let addr = server.addr();
    let token: Arc<str> = token.into();
    let max = Duration::from_secs(args.max_seconds);

    println!(
        "entitle HTTP load: {} clients, {} requests per phase, server http://{addr}, log {} ({}, synchronous {:?})",
        args.clients,
        args.requests,
        store.url(),
        store.backend().name(),
        args.synchronous,
    );
    let health = Shape {
        method: Method::GET,
        path: "/healthz",
        body: Bytes::new(),
        token: token.clone(),
    };
    let decide_path: &'static str = if policy == "weekend-emergency" {
        "/v1/decisions/weekend-emergency"
    } else {
        "/v1/decisions/emergency-license-follow-up"
    };
    let decide = Shape {
        method: Method::POST,
        path: decide_path,
        body: Bytes::from(serde_json::to_vec(
            &serde_json::json!({"facts": facts, "now": now}),
        )?),
        token: token.clone(),
    };
    println!(
        "decision: POST {decide_path} ({} bytes of body)",
        decide.body.len()
    );

    // The baseline answers what a decision answers: a body of that size.
    let answer = once(addr, &decide).await?;
    let bare_addr = spawn_bare(answer.clone()).await?;
    let bare = Shape {
        method: Method::POST,
        path: "/bare",
        body: decide.body.clone(),
        token: token.clone(),
    };
    println!(
        "baseline: POST http://{bare_addr}/bare (bare axum: parses the same body, answers {} bytes, as a decision does)",
        answer.len()
    );

    // Warm up every path (connections, caches, the log's first pages).
    let warm = (args.requests / 10).clamp(100, 2000);
    phase("warm-up", bare_addr, bare.clone(), args.clients, warm, max).await?;
    phase("warm-up", addr, health.clone(), args.clients, warm, max).await?;
    phase("warm-up", addr, decide.clone(), args.clients, warm, max).await?;

    let baseline = phase(
        "POST bare axum (baseline)",
        bare_addr,
        bare,
        args.clients,
        args.requests,
        max,
    )
    .await?;
    let healthz = phase(
        "GET /healthz",
        addr,
        health,
        args.clients,
        args.requests,
        max,
    )
    .await?;
    let entries_before = store.log().stats().entries;
    let decisions = phase(
        "POST decisions (logged)",
        addr,
        decide,
        args.clients,
        args.requests,
        max,
    )
    .await?;
    baseline.print(args.clients);
    healthz.print(args.clients);
    decisions.print(args.clients);

    let stats = store.log().stats();
    let logged = stats.entries - entries_before;
    println!(
        "decision log: {logged} entries in this phase ({} in all, {} transactions, largest batch {}, {} failed); {} answered",
        stats.entries, stats.transactions, stats.largest_batch, stats.failed, decisions.ok
    );
    let lost = (decisions.ok as u64).saturating_sub(logged);

    let per_s = in_process(
        policy,
        &facts_bytes,
        &now,
        2_000_000,
        Duration::from_secs(3).min(max),
    );
    let http = decisions.per_second();
    let base = baseline.per_second();
    println!("in-process decide_json ({policy}, 1 thread): {per_s:.0} decisions/s");
    println!(
        "HTTP decisions / in-process decisions: {:.4} ({:.1}x slower)",
        http / per_s,
        per_s / http.max(1e-9)
    );
    let cpu_decision = decisions.cpu_us_per_request();
    let cpu_baseline = baseline.cpu_us_per_request();
    println!(
        "CPU per request: decision / baseline = {:.2}, decision / healthz = {:.2}",
        cpu_decision / cpu_baseline,
        cpu_decision / healthz.cpu_us_per_request()
    );
    server.shutdown().await?;
    let errors = baseline.errors + healthz.errors + decisions.errors + lost as usize;
    println!(
        "http decisions_per_s={http:.0} baseline_per_s={base:.0} ratio={:.3} errors={errors} \
         cpu_us_per_decision={cpu_decision:.1} cpu_us_per_baseline={cpu_baseline:.1}",
        http / base.max(1e-9)
    );
    Ok(())
}
