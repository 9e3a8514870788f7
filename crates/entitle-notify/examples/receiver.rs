//! A local stand-in for the services the actions go to, for trying the
//! outbox on one machine: it prints every request it receives and answers
//! each as the service would, just enough for the sinks to go on.
//!
//! ```sh
//! cargo run -p entitle-notify --example receiver            # 127.0.0.1:9000
//! cargo run -p entitle-notify --example receiver -- 127.0.0.1:9100
//! ```
//!
//! - `POST /licenses` (a license generator): `{"license": "DEMO-..."}`
//! - `POST /api/v4/projects/:id/issues` (GitLab): an issue with an `iid`
//! - `PUT  /api/v4/projects/:id/issues/:iid` (closing it): the issue
//! - `POST /api/v2/tickets.json` (Zendesk): a ticket with an `id`
//! - anything else (a Slack webhook, a signed webhook): `ok`

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

static NEXT: AtomicU64 = AtomicU64::new(1);

async fn answer(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    println!("#{n} {method} {uri} (Idempotency-Key: {key})");
    println!("   {}", String::from_utf8_lossy(&body));
    let path = uri.path();
    if path.ends_with("/licenses") {
        return axum::Json(json!({"license": format!("DEMO-LICENSE-{n}")})).into_response();
    }
    if path.contains("/issues") {
        return axum::Json(json!({"iid": n, "web_url": format!("http://localhost/issues/{n}")}))
            .into_response();
    }
    if path.ends_with("/tickets.json") {
        return axum::Json(json!({"ticket": {"id": n}})).into_response();
    }
    "ok".into_response()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("receiver listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().fallback(answer)).await
}
