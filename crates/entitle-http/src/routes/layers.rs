//! The layers around every route: request ids, tracing, problems for every
//! error response, the panic guard, the timeout and draining unread bodies.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, error, info_span};

use crate::ServerOptions;
use crate::problem::{self, Kind, PROBLEM_JSON, Problem};

/// The request-id header.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `api` inside the service's layers: request ids (sanitised, made, sent
/// back), a tracing span per request, problems for every error response, a
/// 500 for a panic, the request timeout, and the body limit's drain.
pub(super) fn around(api: Router, options: &ServerOptions) -> Router {
    api.layer(
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn(sanitize_request_id))
            .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request| {
                        let id = request
                            .headers()
                            .get(X_REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("");
                        info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %id,
                            role = tracing::field::Empty,
                        )
                    })
                    .on_response(
                        DefaultOnResponse::new()
                            .level(Level::INFO)
                            .latency_unit(tower_http::LatencyUnit::Micros),
                    ),
            )
            .layer(middleware::from_fn(problemize))
            .layer(CatchPanicLayer::custom(|_| {
                error!("a handler panicked");
                Problem::new(problem::INTERNAL, "the server failed to handle the request")
                    .into_response()
            }))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                options.request_timeout,
            ))
            .layer(middleware::from_fn_with_state(
                options.body_limit,
                crate::drain::drain_unread_body,
            )),
    )
}

/// The answer for a route that does not exist.
pub(super) async fn not_found(method: Method, request: Request) -> Problem {
    Problem::new(
        problem::NOT_FOUND,
        format!("no route for `{method} {}`", request.uri().path()),
    )
}

/// Drops a client-sent `x-request-id` that is too long or holds characters
/// other than `[A-Za-z0-9._:-]`, so a fresh one is made (and logged) instead.
async fn sanitize_request_id(mut request: Request, next: Next) -> Response {
    let valid = request.headers().get(X_REQUEST_ID).map(|value| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 128
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    });
    if valid == Some(false) {
        request.headers_mut().remove(X_REQUEST_ID);
    }
    next.run(request).await
}

/// Turns every error response into a problem: the handlers' own (adding the
/// request id) and the plain ones of the router and the layers (404 of an
/// unknown route, 405, 408, extractor rejections).
async fn problemize(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // The console's own error pages are for people: left as they are.
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut problem = match parts.extensions.remove::<Problem>() {
        Some(problem) => problem,
        None => {
            let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text).trim().to_owned();
            plain_problem(status, &method, &path, text)
        }
    };
    problem.request_id = request_id;
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = allowed_on_decision_path(&path)
    {
        parts
            .headers
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    if status == StatusCode::REQUEST_TIMEOUT {
        // The request was cut short: what is left of it is not read.
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Response::from_parts(parts, Body::from(body))
}

/// What `Allow` says on `/v1/decisions/<x>`, one route for two resources:
/// `POST` where `x` is a policy id (it decides there; no decision has that
/// id), `GET` (and `HEAD`) where it is a decision id, as the OpenAPI
/// document has them (the router would list all three on both).
fn allowed_on_decision_path(path: &str) -> Option<&'static str> {
    let last = path.strip_prefix("/v1/decisions/")?;
    if last.is_empty() || last.contains('/') {
        return None;
    }
    Some(
        if entitle::policies::POLICIES.iter().any(|p| p.id == last) {
            "POST"
        } else {
            "GET,HEAD"
        },
    )
}

fn plain_problem(status: StatusCode, method: &Method, path: &str, text: String) -> Problem {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            problem::METHOD_NOT_ALLOWED,
            format!(
                "`{method}` is not allowed on `{path}`; the `Allow` header lists the methods that are"
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => Problem::new(
            problem::TIMEOUT,
            "the request was not completed within the server's time limit",
        ),
        StatusCode::NOT_FOUND => Problem::new(
            problem::NOT_FOUND,
            format!("no route for `{method} {path}`"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(problem::TOO_LARGE, text),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(problem::UNSUPPORTED_MEDIA_TYPE, text),
        StatusCode::BAD_REQUEST => Problem::new(
            problem::BAD_REQUEST,
            if text.is_empty() {
                "the request is not valid".to_owned()
            } else {
                text
            },
        ),
        status if status.is_client_error() => {
            let kind = problem::ALL_KINDS
                .iter()
                .copied()
                .find(|k| k.status == status)
                .unwrap_or(Kind {
                    slug: "client-error",
                    status,
                    title: "Bad request",
                });
            let detail = if text.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("client error")
                    .to_owned()
            } else {
                text
            };
            Problem::new(kind, detail)
        }
        _ => Problem::new(
            problem::INTERNAL,
            if text.is_empty() {
                "the server failed to handle the request".to_owned()
            } else {
                text
            },
        ),
    }
}
