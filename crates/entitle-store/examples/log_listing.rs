//! Measures listing the decision log at scale: `GET /v1/decisions?ticket=&policy=`
//! (through [`DecisionLog::decisions`](crate::DecisionLog::decisions)) on a log of N entries (default 1,000,000),
//! against a baseline in the same run: listing the same number of entries by
//! id range (`before` only, the primary key's order).
//!
//! ```text
//! cargo run --release -p entitle-store --example log_listing [-- N [TICKETS]]
//! ENTITLE_LISTING_DB=postgres://... cargo run --release -p entitle-store --example log_listing
//! ```
//!
//! The log is built straight in SQL (one statement; entries of the nine
//! registered policies in turn, about one kilobyte each, every entry about one of
//! TICKETS tickets, default 10,000), in a temporary SQLite file, or in the
//! empty PostgreSQL database `ENTITLE_LISTING_DB` names. Each listing asks
//! for the 100 newest entries of one ticket and policy (there are about
//! N / TICKETS / 9 of them with nine policies, so the page is the whole set), for 50 tickets;
//! the baseline asks for as many entries before an id in the middle of the
//! log. Then the ticket-and-policy index is dropped and the listings timed
//! again: what they cost before it (the policy's index, the ticket checked
//! row by row).
//!
//! The last line is
//! `log_listing entries=<n> ticket_policy_us=<a> baseline_us=<b> ratio=<a/b> without_index_us=<c> without_index_ratio=<c/b>`
//! (medians per listing).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a benchmark: a failure stops it with its message"
)]

use std::time::{Duration, Instant};

use entitle_store::{DecisionFilter, SqliteSynchronous, Store, StoreOptions};
use sqlx::Executor;

/// The registered policies' ids (entries take turns among them).
fn policies() -> Vec<&'static str> {
    entitle::policies::POLICIES.iter().map(|p| p.id).collect()
}

/// One entry's JSON columns: about a kilobyte in all, as a real entry.
const FACTS: &str = r#"{"customer":{"status":"paid"},"license":{"plan":"ultimate","trial":false,"starts_on":"2026-01-01","expires_on":"2026-11-20","users":48},"requester_email":"it-admin@acme.example","requester_has_cdot_account":true,"account_has_subscription_access":true,"ticket_url":"https://support.example/tickets/1234","actor":"support-engineer"}"#;
const DETAILS: &str = r#"{"plan":"ultimate","users":48,"days":5,"email":"it-admin@acme.example","actions":[{"id":"email-license","text":"Generate a temporary Ultimate license for 48 users, 5 days, and email it to it-admin@acme.example"}]}"#;
const TRACE: &str = r#"[{"node":"weekend","question":"Is it the weekend in the support time zone?","answer":"yes","detail":"Saturday 2026-11-21"},{"node":"paid","question":"Is the customer paid?","answer":"yes","detail":null},{"node":"expired","question":"Has the license expired?","answer":"yes","detail":"expired on 2026-11-20"}]"#;
const CONFIG: &str = r#"{"timezone":"UTC","grace_period_days":3,"temporary_license_days":5}"#;

/// The statement that fills the log with `n` entries about `tickets`
/// tickets: ids sort as they were made, the policies take turns.
fn fill_sql(postgres: bool, n: usize, tickets: usize) -> String {
    let ids = policies();
    let count = ids.len();
    let policy = ids
        .iter()
        .enumerate()
        .map(|(i, p)| format!("WHEN {i} THEN '{p}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let columns = "decision_id, policy, policy_version, decided_at, facts, config, outcome, \
                   details, stable_until, trace, role, request_id, ticket_id, logged_at";
    let values = |id: &str, ticket: &str| {
        format!(
            "SELECT {id}, CASE i % {count} {policy} END, 1, '2026-11-21T10:00:00Z', '{FACTS}', '{CONFIG}', \
             'generate-temporary-license', '{DETAILS}', NULL, '{TRACE}', 'support-engineer', \
             'bench', {ticket}, '2026-11-21T10:00:00.000000Z'"
        )
    };
    if postgres {
        format!(
            "INSERT INTO decision_log ({columns}) {} FROM generate_series(0, {}) AS g(i)",
            values(
                "lpad(i::text, 20, '0')",
                &format!("'ticket-' || ((i / {count}) % {tickets})::text")
            ),
            n - 1
        )
    } else {
        format!(
            "WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < {}) \
             INSERT INTO decision_log ({columns}) {} FROM g",
            n - 1,
            values(
                "printf('%020d', i)",
                &format!("'ticket-' || ((i / {count}) % {tickets})")
            )
        )
    }
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort_unstable();
    v.get(v.len() / 2)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e6)
}

/// The median time of the ticket-and-policy listings (and how many entries
/// they returned in all).
async fn listings(store: &Store, tickets: usize) -> (f64, usize) {
    let ids = policies();
    let mut times = Vec::new();
    let mut returned = 0;
    for (k, policy) in (0..50).zip(ids.iter().cycle()) {
        let ticket = format!("ticket-{}", (k * 197) % tickets);
        let filter = DecisionFilter {
            ticket_id: Some(ticket),
            policy: Some((*policy).to_owned()),
            limit: 100,
            before: None,
            ..Default::default()
        };
        let t0 = Instant::now();
        let entries = store.log().decisions(&filter).await.unwrap();
        times.push(t0.elapsed());
        assert!(!entries.is_empty(), "{filter:?} found nothing");
        returned += entries.len();
    }
    (median(times), returned)
}

/// The median time of listing `per_listing` entries by id range.
async fn baseline(store: &Store, n: usize, per_listing: u32) -> f64 {
    let mut times = Vec::new();
    for k in 0..50 {
        let before = format!("{:020}", n / 2 + k * 1009);
        let filter = DecisionFilter {
            ticket_id: None,
            policy: None,
            limit: per_listing,
            before: Some(before),
            ..Default::default()
        };
        let t0 = Instant::now();
        let entries = store.log().decisions(&filter).await.unwrap();
        times.push(t0.elapsed());
        assert_eq!(entries.len(), per_listing as usize);
    }
    median(times)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("N: a number of entries"));
    let tickets: usize = args
        .next()
        .map_or(10_000, |a| a.parse().expect("TICKETS: a number of tickets"));
    assert!(
        n >= 100_000 && tickets >= 100,
        "N >= 100000, TICKETS >= 100"
    );
    let dir = std::env::temp_dir().join(format!("entitle-log-listing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, postgres) = match std::env::var("ENTITLE_LISTING_DB") {
        Ok(url) if !url.is_empty() => (url, true),
        _ => (format!("sqlite://{}", dir.join("log.db").display()), false),
    };
    let options = StoreOptions {
        sqlite_synchronous: SqliteSynchronous::Normal,
        ..StoreOptions::default()
    };
    let store = Store::open_with(&url, options).await.unwrap();
    println!(
        "log listing: {n} entries, {tickets} tickets, {}",
        store.url()
    );

    let t0 = Instant::now();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    pool.execute(fill_sql(postgres, n, tickets).as_str())
        .await
        .unwrap();
    // No ANALYZE: the store never runs it, so SQLite plans without
    // statistics, as it does in use (PostgreSQL's autovacuum analyzes).
    println!("built in {:.1} s", t0.elapsed().as_secs_f64());

    // Warm the caches the same way for both.
    listings(&store, tickets).await;
    let (with_index, returned) = listings(&store, tickets).await;
    let per_listing = u32::try_from(returned / 50).unwrap().max(1);
    baseline(&store, n, per_listing).await;
    let base = baseline(&store, n, per_listing).await;
    println!(
        "ticket+policy listing: {with_index:.0} us (median of 50, {per_listing} entries each); \
         id-range listing of as many: {base:.0} us"
    );

    pool.execute("DROP INDEX decision_log_ticket_policy")
        .await
        .unwrap();
    listings(&store, tickets).await;
    let (without_index, _) = listings(&store, tickets).await;
    println!("ticket+policy listing without decision_log_ticket_policy: {without_index:.0} us");
    pool.close().await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "log_listing entries={n} ticket_policy_us={with_index:.0} baseline_us={base:.0} ratio={:.2} \
         without_index_us={without_index:.0} without_index_ratio={:.1}",
        with_index / base,
        without_index / base
    );
}
