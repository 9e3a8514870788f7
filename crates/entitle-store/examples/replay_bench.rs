//! Measures `entitle replay`: builds a SQLite decision log of N decisions
//! (default 100,000: the corpus scenarios, decided under the default
//! configuration, with `now` spread over a month), then replays it under
//! `grace_period_days = 7` and reports decisions replayed per second and the
//! process's peak resident memory (`VmHWM` of `/proc/self/status`).
//!
//! ```text
//! cargo run --release -p entitle-store --example replay_bench [-- N]
//! ```
//!
//! The last line is `replay decisions_per_s=<x> peak_mib=<y>`.
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "an example on its own fixed inputs: a panic is a broken example, reported at once"
)]

use std::sync::Arc;
use std::time::Instant;

use entitle::config::PolicyConfig;
use entitle::scenario::corpus::corpus;
use entitle_store::replay::{ReplayOptions, replay};
use entitle_store::{NewDecision, SqliteSynchronous, Store, StoreOptions};

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |a| a.parse().expect("N: a number of decisions"));
    let dir = std::env::temp_dir().join(format!("entitle-replay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.db");
    let url = format!("sqlite://{}", path.display());

    // The decisions to log: every corpus scenario, decided once.
    let config = PolicyConfig::default();
    let mut templates = Vec::new();
    for s in corpus().unwrap() {
        let facts = serde_json::to_vec(&s.facts).unwrap();
        let report = entitle::decide_json(s.policy, &facts, s.now, &config).unwrap();
        templates.push(NewDecision::from_report(
            report.clone(),
            s.facts.clone(),
            "support-engineer",
            "bench",
            None,
        ));
    }
    let templates = Arc::new(templates);

    let started = Instant::now();
    let store = Store::open_with(
        &url,
        StoreOptions {
            sqlite_synchronous: SqliteSynchronous::Normal,
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let tasks = 64;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        let templates = Arc::clone(&templates);
        handles.push(tokio::spawn(async move {
            let mut i = t;
            while i < n {
                let mut entry = templates[i % templates.len()].clone();
                // Spread over 30 days before the scenario's instant.
                Arc::make_mut(&mut entry.report).now -=
                    chrono::TimeDelta::hours(i64::try_from(i % 720).unwrap());
                entry.request_id = format!("bench-{i}");
                store.log().append(entry).await.unwrap();
                i += tasks;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    store.close().await;
    println!(
        "built log decisions={n} secs={:.2} peak_mib={:.1}",
        started.elapsed().as_secs_f64(),
        peak_mib()
    );

    let proposed = PolicyConfig {
        grace_period_days: 7,
        ..PolicyConfig::default()
    };
    let started = Instant::now();
    let report = replay(
        &url,
        &ReplayOptions {
            config: proposed,
            ..ReplayOptions::default()
        },
    )
    .await
    .unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(report.decisions as usize, n);
    println!(
        "replayed decisions={} changed={} failed={} secs={secs:.2}",
        report.decisions, report.changed, report.failed
    );
    let _ = std::fs::remove_dir_all(&dir);
    #[expect(clippy::cast_precision_loss, reason = "a count of decisions")]
    let rate = report.decisions as f64 / secs;
    println!(
        "replay decisions_per_s={rate:.0} peak_mib={:.1}",
        peak_mib()
    );
}
