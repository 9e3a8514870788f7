//! Keep-alive after an early answer: a handler that refuses a request
//! before reading its body (401, 403, 404) leaves the body unread, and
//! hyper would then close the connection without saying so. This layer
//! reads what is left of the body (at most the body limit, within the
//! request timeout) after the handler answered, so the connection stays
//! usable; when the rest is larger, or cannot be read, the answer says
//! `Connection: close`.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt as _;

/// The request body, shared by the handler (which reads it, or not) and
/// this layer (which reads what the handler left).
type Shared = Arc<Mutex<Option<Body>>>;

/// The body a handler sees: frames of the shared body; once it ends, the
/// shared slot is emptied.
struct SharedBody(Shared);

impl http_body::Body for SharedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(body) = slot.as_mut() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            *slot = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), |b| b.size_hint())
    }
}

/// The layer: `State` is the most it reads of a body left unread (the body
/// limit).
pub(crate) async fn drain_unread_body(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let shared: Shared = Arc::new(Mutex::new(Some(body)));
    let request = Request::from_parts(parts, Body::new(SharedBody(Arc::clone(&shared))));
    let mut response = next.run(request).await;
    let rest = shared.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(rest) = rest
        && !rest.is_end_stream()
        && !drain(rest, limit).await
    {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads and drops `body` to its end; false when it is over `limit` bytes
/// or fails (the connection is then closed after the answer).
async fn drain(mut body: Body, limit: usize) -> bool {
    if body.size_hint().lower() > limit as u64 {
        return false;
    }
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return false;
        };
        if let Some(data) = frame.data_ref() {
            read = read.saturating_add(data.len());
            if read > limit {
                return false;
            }
        }
    }
    true
}
