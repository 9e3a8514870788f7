use serde_json::json;

use super::common::{KEY, delivery, license_input, sink, typed, weekend_payload};
use super::receiver::Receiver;

#[tokio::test]
async fn slack_posts_the_text_with_the_ticket_as_a_link() {
    let receiver = Receiver::ok().await;
    let hook = format!("{}/services/T000/B000/XXXX", receiver.url);
    let sink = sink(
        "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_URL\"\n",
        &[("SLACK_URL", &hook)],
        "chat",
    );
    let payload = weekend_payload(
        "post-to-licensing-channel",
        "Post in #support_licensing-subscription that an emergency license was generated, with the ticket URL https://support.example.com/agent/tickets/4711",
    );
    let inputs = [license_input()];
    let response = sink
        .deliver(&delivery(&typed(&payload), &inputs))
        .await
        .unwrap();

    assert_eq!(response, json!({"status": 200, "body": "ok"}));
    let request = receiver.only();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/services/T000/B000/XXXX");
    assert_eq!(request.header("idempotency-key"), Some(KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({"text": "Post in #support_licensing-subscription that an emergency license was generated, with the ticket URL <https://support.example.com/agent/tickets/4711|ticket>"})
    );
}

#[tokio::test]
async fn one_sink_serves_concurrent_deliveries_from_spawned_tasks() {
    let receiver = Receiver::ok().await;
    let hook = format!("{}/services/T/B/X", receiver.url);
    let sink = std::sync::Arc::new(sink(
        "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_URL\"\n",
        &[("SLACK_URL", &hook)],
        "chat",
    ));
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let sink = sink.clone();
            tokio::spawn(async move {
                let payload = weekend_payload("post-to-licensing-channel", &format!("post {i}"));
                let key = format!("entitle-{i}");
                let payload = typed(&payload);
                let mut d = delivery(&payload, &[]);
                d.idempotency_key = &key;
                sink.deliver(&d).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let mut keys: Vec<String> = receiver
        .requests()
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    keys.sort();
    let mut expected: Vec<String> = (0..16).map(|i| format!("entitle-{i}")).collect();
    expected.sort();
    assert_eq!(keys, expected);
}
