//! The routes: every path the service answers is registered in [`router`],
//! and handled in the module of its concern.
//!
//! - [`layers`]: request ids, tracing, problems, panics, timeout;
//! - [`extract`]: the caller (bearer token), path parameters, JSON bodies;
//! - [`catalog`]: `/healthz`, the OpenAPI document, `/v1/policies...`;
//! - [`decisions`]: deciding and logging (`POST /v1/decisions/{policy}`,
//!   `POST /v1/tickets/{ticket}/decisions/{policy}`);
//! - [`log`]: reading the decision log (`GET /v1/decisions...`);
//! - [`actions`]: the outbox (`/v1/actions...`);
//! - [`intake`]: where work arrives (`/v1/intake...`);
//! - [`replay`]: what a proposed configuration would change in the log
//!   (`POST /v1/replay`).

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use crate::AppState;
use crate::problem::Problem;

pub(crate) mod actions;
pub(crate) mod catalog;
pub(crate) mod decisions;
pub(crate) mod extract;
pub(crate) mod intake;
mod layers;
pub(crate) mod log;
pub(crate) mod replay;

pub(crate) use extract::{Caller, request_id};

/// The whole service: routes, auth, problems, request ids, tracing, body
/// limit and timeout.
pub fn router(state: AppState) -> Router {
    let options = state.options().clone();
    let api = Router::new()
        .route("/healthz", get(catalog::healthz))
        .route("/v1/openapi.json", get(catalog::openapi))
        .route("/v1/policies", get(catalog::list_policies))
        .route("/v1/policies/{policy}", get(catalog::policy_structure))
        .route(
            "/v1/policies/{policy}/mermaid",
            get(catalog::policy_mermaid),
        )
        .route("/v1/policies/{policy}/schema", get(catalog::policy_schema))
        .route(
            "/v1/policies/{policy}/examples",
            get(catalog::policy_examples),
        )
        .route("/v1/decisions", get(log::list_decisions))
        // One pattern, one parameter name: `{id}` is a decision id for GET
        // and a policy id for POST.
        .route(
            "/v1/decisions/{id}",
            get(log::get_decision).post(decisions::decide),
        )
        .route(
            "/v1/tickets/{ticket}/decisions/{policy}",
            post(decisions::decide_ticket),
        )
        .route("/v1/actions", get(actions::list_actions))
        .route("/v1/actions/{id}", get(actions::get_action))
        .route("/v1/actions/{id}/retry", post(actions::retry_action))
        .route("/v1/actions/{id}/cancel", post(actions::cancel_action))
        .route("/v1/actions/{id}/done", post(actions::done_action))
        .route("/v1/replay", post(replay::replay))
        .route("/v1/intake", get(intake::list))
        .route("/v1/intake/zendesk", post(intake::zendesk))
        .route("/v1/intake/gitlab", post(intake::gitlab))
        .merge(crate::console::routes())
        .fallback(layers::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(options.body_limit))
        .with_state(state);
    layers::around(api, &options)
}

/// A response of `body` with `Content-Type: application/json`.
fn json_bytes(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A 200 of `value` as JSON.
fn json_value<T: Serialize>(value: &T) -> Result<Response, Problem> {
    serde_json::to_vec(value)
        .map(|body| json_bytes(StatusCode::OK, body))
        .map_err(|e| Problem::internal(format!("cannot serialise the response: {e}")))
}
