//! A real local HTTP receiver (axum) that records every request and answers
//! from a script.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
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
}

/// What the receiver answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status, a body and extra headers.
    Status(u16, String, Vec<(&'static str, String)>),
    /// Sleep this long before answering 200 (a receiver that times out).
    Hang(Duration),
}

impl Reply {
    pub fn ok(body: &str) -> Self {
        Self::Status(200, body.to_owned(), vec![])
    }

    pub fn json(status: u16, body: Value) -> Self {
        Self::Status(
            status,
            body.to_string(),
            vec![("content-type", "application/json".to_owned())],
        )
    }
}

struct State {
    requests: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Reply>>,
    default: Reply,
}

/// A running receiver; it stops with the test's runtime.
pub struct Receiver {
    pub url: String,
    state: Arc<State>,
}

impl Receiver {
    /// Answers with `script` in turn, then `default` forever.
    pub async fn start(script: Vec<Reply>, default: Reply) -> Self {
        let state = Arc::new(State {
            requests: Mutex::new(Vec::new()),
            script: Mutex::new(script.into()),
            default,
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

    /// Answers 200 `ok` to everything.
    pub async fn ok() -> Self {
        Self::start(vec![], Reply::ok("ok")).await
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The only request so far.
    pub fn only(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.into_iter().next().unwrap()
    }
}

async fn answer(
    state: &State,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.requests.lock().unwrap().push(Recorded {
        method,
        path: uri.to_string(),
        headers,
        body,
    });
    let reply = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| state.default.clone());
    match reply {
        Reply::Status(status, body, headers) => {
            let mut response = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().unwrap());
            }
            response
        }
        Reply::Hang(delay) => {
            tokio::time::sleep(delay).await;
            (StatusCode::OK, "late").into_response()
        }
    }
}
