//! A real local HTTP receiver (axum) that records every request and answers
//! with a replaceable responder.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Orders requests across every receiver of the test binary.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// One request as a receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Its place among all receivers' requests.
    pub seq: u64,
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    pub fn key(&self) -> String {
        self.header("idempotency-key")
            .expect("every delivery sends Idempotency-Key")
            .to_owned()
    }
}

/// An answer: after `delay`, `status` with a JSON (or text) body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            delay: Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Responder = Box<dyn Fn(&Recorded) -> Reply + Send + Sync>;

struct State {
    requests: Mutex<Vec<Recorded>>,
    responder: Mutex<Arc<Responder>>,
    /// Deduplicating mode: the first answer per Idempotency-Key is kept
    /// and replayed; `effects` holds the request that made each key's
    /// effect (the first one only).
    dedup: bool,
    effects: Mutex<HashMap<String, (Recorded, Reply)>>,
}

/// A running receiver; it stops with the test's runtime.
pub struct Receiver {
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    /// Answers every request with `responder`'s reply.
    pub async fn start(responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(responder, false).await
    }

    /// A receiver that deduplicates on `Idempotency-Key`: a key's first
    /// request makes the effect (recorded once), a repeat gets the same
    /// answer and makes none.
    pub async fn idempotent(
        responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(responder, true).await
    }

    async fn start_with(
        responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
        dedup: bool,
    ) -> Self {
        let responder: Responder = Box::new(responder);
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            responder: Mutex::new(Arc::new(responder)),
            dedup,
            effects: Mutex::new(HashMap::new()),
        });
        let shared = state.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = shared.clone();
                async move { answer(&state, method, uri, headers, body).await }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, state }
    }

    /// Answers from now on with `responder`.
    pub fn answer_with(&self, responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) {
        let responder: Responder = Box::new(responder);
        *self.state.responder.lock().unwrap() = Arc::new(responder);
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// Deduplicating mode: the effects made, one per key (the request
    /// that made it).
    pub fn effects(&self) -> HashMap<String, Recorded> {
        self.state
            .effects
            .lock()
            .unwrap()
            .iter()
            .map(|(key, (request, _))| (key.clone(), request.clone()))
            .collect()
    }
}

async fn answer(
    state: &State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        seq: SEQUENCE.fetch_add(1, Ordering::SeqCst),
        method,
        path: uri.to_string(),
        headers,
        body,
    };
    state.requests.lock().unwrap().push(recorded.clone());
    let responder = state.responder.lock().unwrap().clone();
    let reply = if state.dedup {
        let key = recorded.key();
        let mut effects = state.effects.lock().unwrap();
        match effects.get(&key) {
            // A repeat: the same answer, no second effect.
            Some((_, reply)) => reply.clone(),
            None => {
                let reply = responder(&recorded);
                effects.insert(key, (recorded.clone(), reply.clone()));
                reply
            }
        }
    } else {
        responder(&recorded)
    };
    tokio::time::sleep(reply.delay).await;
    let body = match &reply.body {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), body).into_response();
    if !reply.body.is_string() {
        response
            .headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
    }
    response
}
