//! Two `entitle serve --actions` processes on one PostgreSQL database:
//! decisions made through both, every action delivered exactly once.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::common::{Server, Site};
use super::crash::{decide_many, delivered, webhook_config, webhook_env};
use super::receiver::{Receiver, Reply};

const DECISIONS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_deliver_each_action_once() {
    let Some(database) = entitle_test_support::postgres::PgDatabase::create("entitle_outbox").await
    else {
        return;
    };
    let db = database.url.clone();

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

    database.drop_database().await;
}
