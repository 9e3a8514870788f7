//! A real local HTTP receiver (axum) that records every request and answers
//! from a replaceable responder: the stand-in for Slack, a webhook, the
//! license tool, GitLab and Zendesk in the sinks' and the outbox's tests.
//!
//! A responder is a closure from the request to a [`Reply`]; a script (these
//! replies in turn, then one forever) is a closure over a queue
//! ([`script`], [`Receiver::scripted`]). A reply may come after a delay, so
//! a receiver can hang until the caller times out. In deduplicating mode
//! ([`Receiver::idempotent`]) a receiver acts once per `Idempotency-Key`, as
//! a careful real service does.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::{HashMap, VecDeque};
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
    /// Its place among all receivers' requests in this test binary.
    pub seq: u64,
    /// The HTTP method.
    pub method: Method,
    /// The path and query, as sent.
    pub path: String,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The request's body, as sent.
    pub body: Bytes,
}

impl Recorded {
    /// The body as JSON (panics when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The header `name`, if sent (panics when it is not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The `Idempotency-Key` header (panics when it was not sent).
    pub fn key(&self) -> String {
        self.header("idempotency-key")
            .expect("every delivery sends Idempotency-Key")
            .to_owned()
    }
}

/// An answer: after `delay`, `status` with `body` and `headers`.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The body, as sent.
    pub body: String,
    /// Headers set on the answer (besides axum's own).
    pub headers: Vec<(String, String)>,
    /// How long to wait before answering.
    pub delay: Duration,
}

impl Reply {
    /// `status` with a text body (`text/plain`).
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// 200 with a text body.
    pub fn ok(body: impl Into<String>) -> Self {
        Self::text(200, body)
    }

    /// `status` with `body` as JSON (`application/json`).
    pub fn json(status: u16, body: Value) -> Self {
        Self::text(status, body.to_string()).header("content-type", "application/json")
    }

    /// 200 `late`, after `delay`: a receiver the caller times out on.
    pub fn hang(delay: Duration) -> Self {
        Self::ok("late").after(delay)
    }

    /// The same answer with the header `name` set to `value`.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The same answer, given after `delay`.
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A responder that answers with `replies` in turn, then `then` forever.
pub fn script(replies: Vec<Reply>, then: Reply) -> impl Fn(&Recorded) -> Reply + Send + Sync {
    let queue = Mutex::new(VecDeque::from(replies));
    move |_| {
        queue
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| then.clone())
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
    /// Where it listens: `http://127.0.0.1:<port>`, no trailing slash.
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    /// Answers every request with `responder`'s reply.
    pub async fn start(responder: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(responder, false).await
    }

    /// Answers with `replies` in turn, then `then` forever.
    pub async fn scripted(replies: Vec<Reply>, then: Reply) -> Self {
        Self::start(script(replies, then)).await
    }

    /// Answers `reply` to everything.
    pub async fn always(reply: Reply) -> Self {
        Self::start(move |_| reply.clone()).await
    }

    /// Answers 200 `ok` to everything.
    pub async fn ok() -> Self {
        Self::always(Reply::ok("ok")).await
    }

    /// A receiver that deduplicates on `Idempotency-Key`: a key's first
    /// request makes the effect (recorded once), a repeat gets the same
    /// answer and makes none. Every request must send the key.
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

    /// The only request so far (panics unless there is exactly one).
    pub fn only(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.into_iter().next().unwrap()
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
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}
