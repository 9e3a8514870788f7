//! The public endpoints (`/healthz`, the OpenAPI document) and the policy
//! catalog: the policies, each one's structure, Mermaid chart, facts schema
//! and worked examples.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle::RenderFormat;
use serde::Serialize;

use super::extract::{Caller, Param};
use super::{json_bytes, json_value};
use crate::problem::Problem;

/// The answer of `GET /healthz`.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    #[schemars(extend("const" = "ok"))]
    status: &'static str,
    /// The server's version.
    version: &'static str,
}

/// `GET /healthz`: the service answers.
pub(super) async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// `GET /v1/openapi.json`.
pub(super) async fn openapi() -> Response {
    json_bytes(StatusCode::OK, crate::openapi::document_bytes().clone())
}

/// The answer of `GET /v1/policies`.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PolicyList {
    /// Every policy.
    policies: &'static [entitle::policy::PolicyInfo],
}

/// `GET /v1/policies`.
pub(super) async fn list_policies(_caller: Caller) -> Result<Response, Problem> {
    json_value(&PolicyList {
        policies: entitle::policies::POLICIES,
    })
}

/// Refuses (404) a policy id that is not in the registry.
pub(super) fn check_policy(id: &str) -> Result<(), Problem> {
    if entitle::policies::POLICIES.iter().any(|p| p.id == id) {
        Ok(())
    } else {
        Err(Problem::unknown_policy(id))
    }
}

/// `GET /v1/policies/{policy}`: the graph as JSON.
pub(super) async fn policy_structure(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    // `render` pretty-prints for the terminal; the API answers compact
    // JSON, as every other endpoint does.
    let text = entitle::render(&policy, RenderFormat::Json)?;
    let compact = serde_json::from_str::<serde_json::Value>(&text)
        .and_then(|value| serde_json::to_vec(&value))
        .map_err(|e| Problem::internal(format!("cannot serialise the graph: {e}")))?;
    Ok(json_bytes(StatusCode::OK, compact))
}

/// `GET /v1/policies/{policy}/mermaid`.
pub(super) async fn policy_mermaid(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    let text = entitle::render(&policy, RenderFormat::Mermaid)?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

/// `GET /v1/policies/{policy}/schema`: the facts' JSON Schema.
pub(super) async fn policy_schema(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    let schema = entitle::schema(&policy)?;
    json_value(&schema)
}

/// `GET /v1/policies/{policy}/examples`.
pub(super) async fn policy_examples(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    match entitle::examples(&policy)? {
        Ok(examples) => json_value(&examples),
        Err(missing) => Err(Problem::internal(format!(
            "policy `{policy}` has paths no example takes: {}",
            missing.join("; ")
        ))),
    }
}
