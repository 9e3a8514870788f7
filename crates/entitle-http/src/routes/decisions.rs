//! Decisions: `POST /v1/decisions/{policy}` on the facts sent, and
//! `POST /v1/tickets/{ticket}/decisions/{policy}` on the facts the store
//! assembles for a ticket. Each decision is logged (with its outbox steps)
//! and answered once committed.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use entitle::DecisionReport;
use entitle_store::{JsonText, NewDecision};
use serde::Serialize;
use serde_json::{Map, Value};

use super::actions;
use super::catalog::check_policy;
use super::extract::{Caller, Param, parse_body, read_json_body, request_id};
use super::json_bytes;
use crate::AppState;
use crate::auth::Role;
use crate::problem::{self, Problem};

/// Sets the `actor` of `facts` to the caller's role: a different `actor`
/// is refused (403). Facts that are not an object are left for the policy
/// to reject.
fn apply_actor(facts: &mut Value, role: Role) -> Result<(), Problem> {
    let Some(object) = facts.as_object_mut() else {
        return Ok(());
    };
    match object.get("actor") {
        Some(Value::String(actor)) if actor == role.id() => Ok(()),
        Some(other) => Err(Problem::new(
            problem::ACTOR_MISMATCH,
            format!(
                "the facts say `actor` is {other}, but the caller's token has the role `{role}`; \
                 leave `actor` out (the server sets it from the token) or give the same role"
            ),
        )
        .at("facts.actor")),
        None => {
            object.insert("actor".to_owned(), Value::String(role.id().to_owned()));
            Ok(())
        }
    }
}

/// The ticket's license action a decision found instead of making another.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ExistingLicense<'a> {
    #[serde(flatten)]
    action: actions::ActionSummary<'a>,
    /// The decision that made it.
    decision_id: &'a str,
    /// Why no second license is made.
    note: String,
}

/// Decides `facts` (the JSON text decided on and logged: as sent, or
/// serialised once when the server changed or assembled them), logs the
/// decision, and answers it.
struct ToDecide<'a> {
    policy: &'a str,
    facts: JsonText,
    now: DateTime<Utc>,
    request_id: String,
    ticket: Option<String>,
}

/// `facts` serialised once, to be decided on and logged.
fn facts_text(facts: &Value) -> Result<JsonText, Problem> {
    JsonText::serialize(facts)
        .map_err(|e| Problem::internal(format!("cannot serialise the facts: {e}")))
}

/// Decides and makes the log entry with its outbox steps: the one path
/// every decision of the service takes (the JSON API and the console).
fn decide_entry(
    state: &AppState,
    caller: &Caller,
    ToDecide {
        policy,
        facts,
        now,
        request_id,
        ticket,
    }: ToDecide<'_>,
) -> Result<(Arc<DecisionReport>, NewDecision), Problem> {
    let report = Arc::new(entitle::decide_json(
        policy,
        facts.as_str().as_bytes(),
        now,
        &state.options().config,
    )?);
    let entry = NewDecision::from_report(
        Arc::clone(&report),
        facts,
        caller.role().id(),
        request_id,
        ticket,
    )
    .with_actions(&state.options().routes, Some(caller.token_id()))?;
    Ok((report, entry))
}

/// What the console submits: facts from its form, or the facts a record
/// cannot hold about a stored ticket.
pub(crate) struct ConsoleDecision<'a> {
    /// The policy id.
    pub(crate) policy: &'a str,
    /// The facts (an object); the caller's role is set as `actor` where
    /// the policy has one, as for the API.
    pub(crate) facts: Map<String, Value>,
    /// The instant decided at.
    pub(crate) now: DateTime<Utc>,
    /// A stored ticket: `facts` are then the supplied facts only.
    pub(crate) ticket: Option<String>,
    /// The request id.
    pub(crate) request_id: String,
}

/// Decides and logs a console submission, exactly as
/// `POST /v1/decisions/{policy}` (or the ticket route) would.
pub(crate) async fn decide_for_console(
    state: &AppState,
    caller: &Caller,
    submitted: ConsoleDecision<'_>,
) -> Result<entitle_store::LoggedDecision, Problem> {
    check_policy(submitted.policy)?;
    let mut object = Value::Object(submitted.facts);
    if state.has_actor(submitted.policy) {
        apply_actor(&mut object, caller.role())?;
    }
    let facts = match (&submitted.ticket, object) {
        (Some(ticket), Value::Object(supplied)) => {
            let facts = state
                .store()
                .records()
                .facts_for_ticket_with(ticket, submitted.policy, &supplied)
                .await?;
            facts_text(&facts)?
        }
        (_, object) => facts_text(&object)?,
    };
    let to_decide = ToDecide {
        policy: submitted.policy,
        facts,
        now: submitted.now,
        request_id: submitted.request_id,
        ticket: submitted.ticket,
    };
    let (_, entry) = decide_entry(state, caller, to_decide)?;
    Ok(state.store().log().append(entry).await?)
}

/// A decision: the report (the output of `entitle decide`), the id of its
/// entry in the decision log, and the actions it made. The answer is this
/// type serialised, and the OpenAPI document describes it from the same
/// type.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Decision")]
pub(crate) struct DecisionAnswer<'a> {
    /// A UUID v7; `GET /v1/decisions/{id}` reads the entry.
    decision_id: &'a str,
    #[serde(flatten)]
    report: &'a DecisionReport,
    /// The steps the decision wrote to the outbox.
    actions: Vec<actions::ActionSummary<'a>>,
    /// The ticket's license action, when it already had one (no second
    /// license is made).
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_license: Option<ExistingLicense<'a>>,
}

async fn decide_and_log(
    state: &AppState,
    caller: &Caller,
    to_decide: ToDecide<'_>,
) -> Result<Response, Problem> {
    let (report, entry) = decide_entry(state, caller, to_decide)?;
    let logged = state.store().log().append(entry).await?;
    let existing_license = logged.existing_license.as_deref().map(|license| ExistingLicense {
        action: license.into(),
        // A license step is always a decision's.
        decision_id: license.decision_id.as_deref().unwrap_or_default(),
        note: format!(
            "ticket `{}` already has its license action (decision {}); no second license is made",
            license.license_ticket.as_deref().unwrap_or_default(),
            license.decision_id.as_deref().unwrap_or_default()
        ),
    });
    let answer = DecisionAnswer {
        decision_id: &logged.decision_id,
        report: &report,
        actions: actions::summaries(&logged.actions),
        existing_license,
    };
    // A decision's answer is a few KiB.
    let mut body = Vec::with_capacity(4096);
    serde_json::to_writer(&mut body, &answer)
        .map_err(|e| Problem::internal(format!("cannot serialise the response: {e}")))?;
    Ok(json_bytes(StatusCode::OK, body))
}

/// `POST /v1/decisions/{policy}`.
pub(super) async fn decide(
    caller: Caller,
    State(state): State<AppState>,
    Param(policy): Param<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Problem> {
    caller.require_decide()?;
    check_policy(&policy)?;
    let bytes = read_json_body(request, &state, false)
        .await?
        .unwrap_or_default();
    let (facts, now) = parse_body(&bytes)?;
    let facts = facts.ok_or_else(|| {
        Problem::new(
            problem::INVALID_BODY,
            "the body must have `facts`: {\"facts\": {...}, \"now\": \"<RFC 3339>\"}",
        )
        .at("facts")
    })?;
    let now = now.unwrap_or_else(Utc::now);
    // A raw value starts with its first token: `{` is an object.
    let is_object = facts.get().starts_with('{');
    let facts = if is_object && !state.has_actor(&policy) {
        // Decided on and logged as sent: no parse into a `Value`, no
        // serialisation.
        JsonText::from(facts)
    } else {
        let mut value: Value = serde_json::from_str(facts.get()).map_err(|e| {
            Problem::new(problem::MALFORMED, format!("the facts are not JSON: {e}"))
        })?;
        if !value.is_object() {
            return Err(Problem::new(
                problem::INVALID_FACTS,
                format!(
                    "the facts must be a JSON object, not {}; `GET /v1/policies/{policy}/schema` describes them",
                    crate::intake::json_kind(&value)
                ),
            )
            .at("facts"));
        }
        apply_actor(&mut value, caller.role())?;
        facts_text(&value)?
    };
    let to_decide = ToDecide {
        policy: &policy,
        facts,
        now,
        request_id: request_id(&headers),
        ticket: None,
    };
    decide_and_log(&state, &caller, to_decide).await
}

/// `POST /v1/tickets/{ticket}/decisions/{policy}`.
pub(super) async fn decide_ticket(
    caller: Caller,
    State(state): State<AppState>,
    Param((ticket, policy)): Param<(String, String)>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Problem> {
    caller.require_decide()?;
    check_policy(&policy)?;
    let body = read_json_body(request, &state, true).await?;
    let (supplied, now) = match &body {
        Some(bytes) => parse_body(bytes)?,
        None => (None, None),
    };
    let mut supplied: Map<String, Value> = match supplied {
        None => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            _ => {
                return Err(Problem::new(
                    problem::INVALID_FACTS,
                    "`facts` must be an object: the facts no record holds",
                )
                .at("facts"));
            }
        },
    };
    if state.has_actor(&policy) {
        let mut object = Value::Object(std::mem::take(&mut supplied));
        apply_actor(&mut object, caller.role())?;
        if let Value::Object(map) = object {
            supplied = map;
        }
    }
    let now = now.unwrap_or_else(Utc::now);
    let facts = state
        .store()
        .records()
        .facts_for_ticket_with(&ticket, &policy, &supplied)
        .await?;
    let to_decide = ToDecide {
        policy: &policy,
        facts: facts_text(&facts)?,
        now,
        request_id: request_id(&headers),
        ticket: Some(ticket),
    };
    decide_and_log(&state, &caller, to_decide).await
}
