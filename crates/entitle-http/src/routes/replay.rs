//! `POST /v1/replay`: what a proposed configuration would change in the
//! decisions this service has logged, for the L&R team.
//!
//! The body is `{"config": {...}, "policy": ID, "since": T, "until": T,
//! "examples": K}`: `config` (required) has the keys of an `entitle replay
//! --config` file, as JSON (keys left out keep their defaults, an unknown
//! key is a 422 naming it); `since` and `until` are a date (UTC) or an RFC
//! 3339 instant, `until` as a date includes that day; `examples` is the
//! number of decision ids kept per change (default 5, at most
//! [`MAX_EXAMPLES`]). The answer is the report of `entitle replay --format
//! json`.
//!
//! Cost: the log is read in pages; a replay that would decide more than
//! [`ServerOptions::replay_max_decisions`](crate::ServerOptions) decisions
//! stops with a 422 `replay-too-large` (narrow it, or run `entitle replay`),
//! and the request timeout applies as to any request (a timed-out replay
//! stops after the page it is deciding).

use axum::extract::{Request, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use entitle::config::PolicyConfig;
use entitle::input::ObjectsOnly;
use entitle_store::replay::{ReplayError, ReplayOptions, parse_bound};
use serde::Deserialize;
use serde_json::Value;

use super::extract::{Caller, read_json_body};
use super::json_value;
use crate::AppState;
use crate::auth::Role;
use crate::problem::{self, Problem};

/// Most example decision ids a replay keeps per change.
pub const MAX_EXAMPLES: usize = 100;

/// The body of `POST /v1/replay`: the proposed configuration and which
/// logged decisions to replay.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReplayRequest")]
pub(crate) struct ReplayBody {
    /// The proposed configuration: the keys of an `entitle replay
    /// --config` file; keys left out keep their defaults.
    #[schemars(required, with = "PolicyConfig")]
    config: Option<Value>,
    /// Only decisions of this policy.
    #[schemars(with = "Option<crate::openapi::PolicyId>")]
    policy: Option<String>,
    /// Only decisions made on or after this date (UTC, YYYY-MM-DD) or
    /// RFC 3339 instant.
    #[schemars(with = "Option<crate::openapi::Bound>")]
    since: Option<String>,
    /// Only decisions made on or before this date (UTC), or before this
    /// RFC 3339 instant.
    #[schemars(with = "Option<crate::openapi::Bound>")]
    until: Option<String>,
    /// Example decision ids kept per change (default 5).
    #[schemars(range(max = MAX_EXAMPLES))]
    examples: Option<usize>,
}

const MEMBERS: &str = "config (required), policy, since, until, examples";

/// `POST /v1/replay`.
pub(crate) async fn replay(
    caller: Caller,
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Problem> {
    if caller.role() != Role::LrTeam {
        return Err(Problem::new(
            problem::FORBIDDEN,
            format!(
                "role `{}` (token `{}`) may not replay the decision log; the L&R team (`lr-team`) may",
                caller.role(),
                caller.token_id()
            ),
        ));
    }
    let bytes = read_json_body(request, &state, false)
        .await?
        .unwrap_or_default();
    let body: ReplayBody = serde_path_to_error::deserialize(ObjectsOnly(
        &mut serde_json::Deserializer::from_slice(&bytes),
    ))
    .map_err(|e| body_problem(&e.path().to_string(), &e.into_inner()))?;
    let options = options(body, state.options().replay_max_decisions)?;
    let report = state
        .store()
        .log()
        .replay(&options)
        .await
        .map_err(|e| match e {
            e @ ReplayError::TooMany { .. } => {
                Problem::new(problem::REPLAY_TOO_LARGE, e.to_string())
            }
            ReplayError::Config(e) => {
                Problem::new(problem::INVALID_BODY, format!("invalid config: {e}")).at("config")
            }
            e => Problem::internal(e.to_string()),
        })?;
    json_value(&report)
}

/// A body that is not JSON (400) or not the envelope (422, naming the
/// member when serde knows it).
fn body_problem(path: &str, error: &serde_json::Error) -> Problem {
    if error.is_syntax() || error.is_eof() {
        return Problem::new(problem::MALFORMED, format!("the body is not JSON: {error}"));
    }
    let message = error.to_string();
    let message = entitle::without_position(&message);
    let problem = Problem::new(
        problem::INVALID_BODY,
        format!("{message}; the body's members: {MEMBERS}"),
    );
    if path == "." {
        problem
    } else {
        problem.at(path)
    }
}

/// The replay the body asks for, with at most `max_decisions` decisions.
fn options(body: ReplayBody, max_decisions: u64) -> Result<ReplayOptions, Problem> {
    let Some(config) = body.config else {
        return Err(Problem::new(
            problem::INVALID_BODY,
            "missing member `config`: the proposed configuration, as the keys of an `entitle replay --config` file",
        )
        .at("config"));
    };
    let config: PolicyConfig =
        serde_path_to_error::deserialize(ObjectsOnly(config)).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "config".to_owned()
            } else {
                format!("config.{path}")
            };
            Problem::new(
                problem::INVALID_BODY,
                format!(
                    "invalid config: {}",
                    entitle::without_position(&e.into_inner().to_string())
                ),
            )
            .at(&field)
        })?;
    config.validate().map_err(|e| {
        Problem::new(problem::INVALID_BODY, format!("invalid config: {e}")).at("config")
    })?;
    if let Some(policy) = &body.policy {
        if !entitle::policies::POLICIES.iter().any(|p| p.id == policy) {
            let known: Vec<&str> = entitle::policies::POLICIES.iter().map(|p| p.id).collect();
            return Err(Problem::new(
                problem::INVALID_BODY,
                format!("unknown policy `{policy}`; policies: {}", known.join(", ")),
            )
            .at("policy"));
        }
    }
    let examples = body.examples.unwrap_or(5);
    if examples > MAX_EXAMPLES {
        return Err(Problem::new(
            problem::INVALID_BODY,
            format!("`examples` must be at most {MAX_EXAMPLES}, not {examples}"),
        )
        .at("examples"));
    }
    Ok(ReplayOptions {
        config,
        policy: body.policy,
        since: bound("since", body.since.as_deref(), false)?,
        until: bound("until", body.until.as_deref(), true)?,
        examples,
        max_decisions: Some(max_decisions),
        ..ReplayOptions::default()
    })
}

fn bound(
    member: &str,
    text: Option<&str>,
    end_of_day: bool,
) -> Result<Option<DateTime<Utc>>, Problem> {
    text.map(|text| {
        parse_bound(text, end_of_day)
            .map_err(|e| Problem::new(problem::INVALID_BODY, format!("`{member}`: {e}")).at(member))
    })
    .transpose()
}
