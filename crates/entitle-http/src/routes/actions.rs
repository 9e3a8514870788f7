//! The outbox over HTTP: the actions decisions made, their status, and the
//! changes people make to them.
//!
//! - `GET /v1/actions?status=&ticket=&manual=&decision=&limit=&before=`
//! - `GET /v1/actions/{id}`: the step with its history
//! - `POST /v1/actions/{id}/retry`, `/cancel`, `/done` with an optional JSON
//!   body `{"note": "..."}` (`done` needs the note: what was done by hand)
//!
//! Every role may read. `retry` and `done` need a role that may decide
//! (support engineer, support manager, L&R team); `cancel` (giving an action
//! up) needs a support manager or the L&R team. Each change is recorded with
//! the caller's token id and role.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use entitle_store::{ActionChange, ActionFilter, ActionRecord, ActionStatus, HandMade, StoreError};
use serde::{Deserialize, Serialize};

use super::extract::{Caller, MAX_PAGE, UUID_PATTERN, page_cursor, page_limit, read_json_body};
use super::json_value;
use crate::AppState;
use crate::auth::Role;
use crate::problem::{self, Problem};

/// A step as a decision's answer shows it: what it is, where it goes and
/// how far it got (its payload and history: `GET /v1/actions/{id}`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ActionSummary<'a> {
    /// The action id (`GET /v1/actions/{id}`).
    id: &'a str,
    action: &'a str,
    sink: &'a str,
    status: ActionStatus,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<&'a str>,
}

impl<'a> From<&'a ActionRecord> for ActionSummary<'a> {
    fn from(record: &'a ActionRecord) -> Self {
        ActionSummary {
            id: &record.id,
            action: &record.action_id,
            sink: &record.sink,
            status: record.status,
            attempts: record.attempts,
            last_error: record.last_error.as_deref(),
        }
    }
}

/// The summaries of `records`.
pub(crate) fn summaries(records: &[ActionRecord]) -> Vec<ActionSummary<'_>> {
    records.iter().map(ActionSummary::from).collect()
}

/// Maps the outbox's errors; everything else as the log's.
pub(crate) fn action_problem(error: StoreError) -> Problem {
    match error {
        e @ StoreError::UnknownAction { .. } => {
            Problem::new(problem::UNKNOWN_ACTION, e.to_string())
        }
        e if e.is_conflict() => Problem::new(problem::ACTION_CONFLICT, e.to_string()),
        StoreError::InvalidChange { field, reason } => {
            Problem::new(problem::INVALID_BODY, format!("`{field}` {reason}")).at(field)
        }
        e => e.into(),
    }
}

/// The query of `GET /v1/actions`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActionQuery {
    /// Only actions with this status.
    #[schemars(with = "Option<ActionStatus>")]
    status: Option<String>,
    /// Only actions about this ticket (its id or URL).
    ticket: Option<String>,
    /// Only manual tasks (true) or only routed actions (false).
    manual: Option<bool>,
    /// Only actions of this decision.
    decision: Option<String>,
    /// At most this many actions (default 100).
    #[schemars(range(min = 1, max = MAX_PAGE))]
    limit: Option<u32>,
    /// Only actions older than this action id (paging: a page's
    /// `next_before`).
    #[schemars(pattern(UUID_PATTERN))]
    before: Option<String>,
}

/// The answer of `GET /v1/actions`.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ActionList {
    /// The actions, newest first.
    actions: Vec<ActionRecord>,
    /// Pass as `before` for the next page; `null` on the last page.
    next_before: Option<String>,
}

const STATUSES: &str = "pending, in-flight, delivered, failed, dead, cancelled, done-by-hand";

/// `GET /v1/actions`.
pub(crate) async fn list_actions(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<ActionQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::new(
            problem::BAD_QUERY,
            format!(
                "{}; parameters: status, ticket, manual, decision, limit (1..={MAX_PAGE}), before",
                e.body_text()
            ),
        )
    })?;
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => Some(ActionStatus::from_name(name).ok_or_else(|| {
            Problem::new(
                problem::BAD_QUERY,
                format!("`status` must be one of {STATUSES}, not `{name}`"),
            )
            .at("status")
        })?),
    };
    let limit = page_limit(query.limit)?;
    let before = page_cursor(query.before, "an action")?;
    let actions = state
        .store()
        .outbox()
        .actions(&ActionFilter {
            status,
            ticket: query.ticket,
            manual: query.manual,
            decision: query.decision,
            limit,
            before,
        })
        .await
        .map_err(action_problem)?;
    let next_before = (actions.len() == limit as usize)
        .then(|| actions.last().map(|a| a.id.clone()))
        .flatten();
    json_value(&ActionList {
        actions,
        next_before,
    })
}

/// `GET /v1/actions/{id}`.
pub(crate) async fn get_action(
    _caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let detail = state
        .store()
        .outbox()
        .action(&id)
        .await
        .map_err(action_problem)?;
    json_value(&detail)
}

/// The body of a change: an optional note; marking done may also give
/// the license made by hand (its text and file name).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    note: Option<String>,
    license: Option<String>,
    filename: Option<String>,
}

/// Longest note kept with a change, in characters.
pub(crate) const MAX_NOTE: usize = 2000;

/// Longest license text given with `done`, in characters.
pub(crate) const MAX_LICENSE: usize = 64 * 1024;

/// Longest file name of a license given with `done`, in characters.
pub(crate) const MAX_FILENAME: usize = 200;

/// The `pattern` of a note: no NUL, which the store cannot keep.
const NOTE_PATTERN: &str = "^[^\\u0000]*$";

/// The `pattern` of a text that is not blank (has a character besides
/// white space, as Rust's `trim` sees it) and holds no NUL.
const NOT_BLANK_PATTERN: &str = "^[^\\u0000]*[^\\u0000\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$";

/// The `pattern` of a license's file name: not blank, no control
/// character, no `/` or `\`.
const FILENAME_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f/\\\\]*[^\\u0000-\\u001f\\u007f-\\u009f/\\\\ \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f/\\\\]*$";

/// The body of `retry` and `cancel` (optional): a note.
// Read as a `ChangeBody`; this is what it takes there.
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "read as a `ChangeBody`; this is its schema")]
pub(crate) struct NoteBody {
    /// Why (kept in the action's history; a retry's is not kept).
    #[schemars(length(max = MAX_NOTE), pattern(NOTE_PATTERN))]
    note: Option<String>,
}

/// The body of `done`: what was done by hand, and the license made, if one
/// was.
// Read as a `ChangeBody`; this is what it takes there.
#[derive(schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("dependentSchemas" = {"filename": {
    "if": {"properties": {"filename": {"type": "string"}}},
    "then": {"required": ["license"], "properties": {"license": {"type": "string"}}}
}}))]
#[expect(dead_code, reason = "read as a `ChangeBody`; this is its schema")]
pub(crate) struct DoneBody {
    /// What was done by hand.
    #[schemars(length(max = MAX_NOTE), pattern(NOT_BLANK_PATTERN))]
    note: String,
    /// The license generated by hand: kept as the step's result, so the
    /// steps after it (the email, the `[Success]` record) carry it on.
    #[schemars(length(max = MAX_LICENSE), pattern(NOT_BLANK_PATTERN))]
    license: Option<String>,
    /// The license's file name (with `license` only).
    #[schemars(length(max = MAX_FILENAME), pattern(FILENAME_PATTERN))]
    filename: Option<String>,
}

impl ChangeBody {
    /// The license made by hand, checked: at most [`MAX_LICENSE`]
    /// characters, not blank; a file name without a path.
    fn made(&self) -> Result<Option<HandMade<'_>>, Problem> {
        let Some(license) = self.license.as_deref() else {
            if self.filename.is_some() {
                return Err(Problem::new(
                    problem::INVALID_BODY,
                    "`filename` names the file of a `license`: give the license too",
                )
                .at("filename"));
            }
            return Ok(None);
        };
        if license.trim().is_empty() || license.chars().count() > MAX_LICENSE {
            return Err(Problem::new(
                problem::INVALID_BODY,
                format!(
                    "`license` must be the license text, not blank, at most {MAX_LICENSE} characters"
                ),
            )
            .at("license"));
        }
        if let Some(name) = self.filename.as_deref()
            && (name.trim().is_empty()
                || name.chars().count() > MAX_FILENAME
                || name.contains(|c: char| c.is_control() || c == '/' || c == '\\'))
        {
            return Err(Problem::new(
                problem::INVALID_BODY,
                format!(
                    "`filename` must be a file name (not blank, no path, no control character, at most {MAX_FILENAME} characters)"
                ),
            )
            .at("filename"));
        }
        Ok(Some(HandMade {
            license,
            filename: self.filename.as_deref(),
        }))
    }

    /// Refuses a license given where no step is marked done.
    fn no_license(&self) -> Result<(), Problem> {
        if self.license.is_some() || self.filename.is_some() {
            return Err(
                Problem::new(problem::INVALID_BODY, "only `done` takes a `license`").at("license"),
            );
        }
        Ok(())
    }
}

async fn change_body(request: Request, state: &AppState) -> Result<ChangeBody, Problem> {
    let Some(bytes) = read_json_body(request, state, true).await? else {
        return Ok(ChangeBody::default());
    };
    // Through `ObjectsOnly`: serde's derived struct also reads `["x"]` as
    // `{"note": "x"}`. Not JSON at all (cut short, not UTF-8) is a 400
    // `malformed-json`, as for every body; JSON of the wrong shape a 422.
    let body_problem = |path: String, e: serde_json::Error| {
        if e.is_syntax() || e.is_eof() || e.is_io() {
            return Problem::new(
                problem::MALFORMED,
                format!("the body is not valid JSON: {e}"),
            );
        }
        let problem = Problem::new(
            problem::INVALID_BODY,
            format!(
                "the body must be the object {{\"note\": \"...\"}} (optional): {}",
                entitle::without_position(&e.to_string())
            ),
        );
        if path == "." {
            problem
        } else {
            problem.at(&path)
        }
    };
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let body: ChangeBody = serde_path_to_error::deserialize(entitle::input::ObjectsOnly(&mut de))
        .map_err(|e| body_problem(e.path().to_string(), e.into_inner()))?;
    de.end().map_err(|e| body_problem(".".to_owned(), e))?;
    if body.note.as_ref().is_some_and(|n| n.contains('\0')) {
        // As the store says it, for every change (a retry's note is not
        // kept, but is refused alike).
        return Err(Problem::new(
            problem::INVALID_BODY,
            "`note` holds a NUL character (\\u0000), which the store cannot keep",
        )
        .at("note"));
    }
    if body
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE)
    {
        return Err(Problem::new(
            problem::INVALID_BODY,
            format!("`note` is longer than {MAX_NOTE} characters"),
        )
        .at("note"));
    }
    Ok(body)
}

/// Who made a change, as the step's history records it.
pub(crate) fn actor(caller: &Caller) -> String {
    format!("{} ({})", caller.token_id(), caller.role())
}

/// Whether the caller's role may make `change`: retrying and marking done
/// need a role that may decide; cancelling (giving an action up) a support
/// manager or the L&R team.
pub(crate) fn require(caller: &Caller, change: ActionChange) -> Result<(), Problem> {
    let (allowed, roles) = match change {
        ActionChange::Cancel => (
            matches!(caller.role(), Role::SupportManager | Role::LrTeam),
            "a support manager or the L&R team",
        ),
        ActionChange::Retry | ActionChange::MarkDone => (
            caller.role().may_decide(),
            "a support engineer, a support manager or the L&R team",
        ),
    };
    if allowed {
        return Ok(());
    }
    Err(Problem::new(
        problem::FORBIDDEN,
        format!(
            "role `{}` (token `{}`) may not {change} an action; {roles} may",
            caller.role(),
            caller.token_id()
        ),
    ))
}

/// `POST /v1/actions/{id}/retry`.
pub(crate) async fn retry_action(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, Problem> {
    require(&caller, ActionChange::Retry)?;
    // A note on a retry is accepted and ignored: the history says who retried.
    change_body(request, &state).await?.no_license()?;
    let record = state
        .store()
        .outbox()
        .retry(&id, &actor(&caller))
        .await
        .map_err(action_problem)?;
    json_value(&record)
}

/// `POST /v1/actions/{id}/cancel`.
pub(crate) async fn cancel_action(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, Problem> {
    require(&caller, ActionChange::Cancel)?;
    let body = change_body(request, &state).await?;
    body.no_license()?;
    let record = state
        .store()
        .outbox()
        .cancel(&id, &actor(&caller), body.note.as_deref())
        .await
        .map_err(action_problem)?;
    json_value(&record)
}

/// `POST /v1/actions/{id}/done`.
pub(crate) async fn done_action(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, Problem> {
    require(&caller, ActionChange::MarkDone)?;
    let body = change_body(request, &state).await?;
    let made = body.made()?;
    let Some(note) = body.note.as_deref().filter(|n| !n.trim().is_empty()) else {
        return Err(Problem::new(
            problem::INVALID_BODY,
            "marking an action done needs a note saying what was done: {\"note\": \"...\"}",
        )
        .at("note"));
    };
    let record = state
        .store()
        .outbox()
        .mark_done_with(&id, &actor(&caller), Some(note), made)
        .await
        .map_err(action_problem)?;
    json_value(&record)
}
