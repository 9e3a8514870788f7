//! Two `entitle serve --actions` processes on one PostgreSQL database:
//! decisions made through both, every action delivered exactly once.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::common::{Server, Site, unique};
use crate::crash::{decide_many, delivered, webhook_config, webhook_env};
use crate::receiver::{Receiver, Reply};

const DECISIONS: usize = 40;

/// `postgres://u:p@h:1/old?x=y` with the database `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap();
    let authority = rest.split('/').next().unwrap();
    match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_deliver_each_action_once() {
    let base = match std::env::var("ENTITLE_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            crate::skip::skip_unless_ci(
                "ENTITLE_TEST_POSTGRES_URL is not set",
                "to run it: `bash .ci/postgres.sh > /tmp/pg.env; source /tmp/pg.env`",
            );
            return;
        }
    };
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let name = format!("entitle_outbox_{}", unique());
    let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let db = with_database(&base, &name);

    let receiver = Receiver::start(|request| {
        Reply::json(200, json!({"received": request.key()})).after(Duration::from_millis(30))
    })
    .await;
    let site = Site::new();
    // The same sink, at a path per process: the receiver sees who delivered.
    let config = |name: &str| {
        let path = site.path().join(format!("{name}.toml"));
        let url = format!("{}/{name}", receiver.url);
        std::fs::write(&path, webhook_config(&url, 4)).unwrap();
        path
    };
    let one = Server::start(&site, &db, &config("one"), &webhook_env()).await;
    let two = Server::start(&site, &db, &config("two"), &webhook_env()).await;
    let ids = decide_many(&[&one, &two], &site.engineer, DECISIONS).await;

    let mut count: usize;
    let all = wait_until!(Duration::from_secs(30), {
        count = delivered(&one, &site.reader).await;
        count == DECISIONS
    });
    assert!(
        all,
        "{count} of {DECISIONS} delivered\n{}\n{}",
        one.log(),
        two.log()
    );
    one.stop().await;
    two.stop().await;

    let mut per_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_server: BTreeMap<String, usize> = BTreeMap::new();
    for request in receiver.requests() {
        *per_key.entry(request.key()).or_default() += 1;
        *per_server.entry(request.path.clone()).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> =
        ids.iter().map(|id| (format!("entitle-{id}"), 1)).collect();
    println!(
        "two servers on PostgreSQL: decisions={DECISIONS} raw_requests={} by_server={per_server:?}",
        receiver.requests().len()
    );
    assert_eq!(per_key, expected, "each action delivered exactly once");
    assert_eq!(
        per_server.keys().collect::<Vec<_>>(),
        ["/one", "/two"],
        "both processes delivered: {per_server:?}"
    );

    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
}
