//! The queue: what waits for a person (manual tasks, steps in doubt) and
//! what went wrong (failed, dead), newest first, with the changes each
//! role may make, by the API's rules and into the same history.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entitle_store::{ActionChange, ActionFilter, ActionRecord, ActionStatus};
use maud::{Markup, html};
use serde::Deserialize;

use super::decision::urlencode;
use super::session::SignedIn;
use super::{Nav, error_page, forbidden, html_response, human, layout};
use crate::AppState;
use crate::problem::{self, Problem};
use crate::routes::actions::{MAX_NOTE, action_problem, actor, require};

/// `?ticket=`.
#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    ticket: Option<String>,
}

/// Most steps of each kind shown.
const PER_KIND: u32 = 200;

/// `GET /console/queue`.
pub(super) async fn page(
    user: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<QueueQuery>,
) -> Response {
    let ticket = query.ticket.filter(|t| !t.trim().is_empty());
    match queue(&state, ticket.as_deref()).await {
        Ok(steps) => html_response(
            StatusCode::OK,
            render(&user, &state, ticket.as_deref(), &steps),
        ),
        Err(problem) => error_page(Some(&user), &problem),
    }
}

/// The steps of the queue, newest first.
async fn queue(state: &AppState, ticket: Option<&str>) -> Result<Vec<ActionRecord>, Problem> {
    let mut steps = Vec::new();
    let kinds = [
        (Some(ActionStatus::Pending), Some(true)),
        (Some(ActionStatus::InDoubt), None),
        (Some(ActionStatus::Failed), None),
        (Some(ActionStatus::Dead), None),
    ];
    for (status, manual) in kinds {
        let found = state
            .store()
            .outbox()
            .actions(&ActionFilter {
                status,
                ticket: ticket.map(str::to_owned),
                manual,
                decision: None,
                limit: PER_KIND,
                before: None,
            })
            .await
            .map_err(action_problem)?;
        steps.extend(found);
    }
    // The four kinds select disjoint statuses: no step comes twice.
    steps.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
    Ok(steps)
}

/// Whether the signed-in role may make `change`: the API's own rule.
fn may(user: &SignedIn, change: ActionChange) -> bool {
    require(&user.caller, change).is_ok()
}

fn render(
    user: &SignedIn,
    state: &AppState,
    ticket: Option<&str>,
    steps: &[ActionRecord],
) -> Markup {
    let zone = state.options().config.timezone;
    let body = html! {
        h1 { "Queue" }
        p { "Manual tasks, steps in doubt, failed and dead steps, newest first." }
        form.row method="get" action="/console/queue" {
            div.field {
                label for="q-ticket" { "Ticket" }
                input #q-ticket name="ticket" value=(ticket.unwrap_or_default()) maxlength="2048";
            }
            button type="submit" { "Filter" }
            @if ticket.is_some() { a href="/console/queue" { "Show all" } }
        }
        @if steps.is_empty() {
            p #queue-empty { "Nothing waits for a person." }
        }
        ol.queue {
            @for step in steps {
                li.step data-action=(step.id) {
                    h2 {
                        span class={ "status " (step.status.as_str()) } { (step.status.as_str()) }
                        " " (step.action_id)
                        " " span.muted { "→ " (step.sink) }
                    }
                    dl.facts-list {
                        @if let Some(ticket) = &step.ticket_id {
                            dt { "Ticket" } dd { a href={ "/console/queue?ticket=" (urlencode(ticket)) } { (ticket) } }
                        }
                        @if let Some(decision) = &step.decision_id {
                            dt { "Decision" } dd { a href={ "/console/decisions/" (decision) } { code { (decision) } } }
                        }
                        @if let Some(event) = &step.intake_id {
                            dt { "Intake event" } dd { code { (event) } }
                        }
                        dt { "Updated" } dd { (human::local(step.updated_at, zone)) }
                        dt { "Attempts" } dd { (step.attempts) }
                        @if let Some(error) = &step.last_error { dt { "Last error" } dd.error { (error) } }
                        @if let Some(text) = step.payload.get("text").and_then(|t| t.as_str()) {
                            dt { "What to do" } dd { (text) }
                        }
                    }
                    div.changes {
                        @if may(user, ActionChange::Retry) && step.status != ActionStatus::Pending {
                            (change_form(user, step, "retry", "Retry", ticket, false))
                        }
                        @if may(user, ActionChange::MarkDone) {
                            (change_form(user, step, "done", "Mark done", ticket, true))
                        }
                        @if may(user, ActionChange::Cancel) {
                            (change_form(user, step, "cancel", "Cancel", ticket, false))
                        }
                    }
                }
            }
        }
    };
    layout("Queue", Some(user), Nav::Queue, body)
}

fn change_form(
    user: &SignedIn,
    step: &ActionRecord,
    change: &str,
    label: &str,
    ticket: Option<&str>,
    needs_note: bool,
) -> Markup {
    let note_id = format!("note-{change}-{}", step.id);
    html! {
        form.change method="post" action={ "/console/actions/" (step.id) "/" (change) } {
            input type="hidden" name="csrf" value=(user.csrf);
            @if let Some(ticket) = ticket { input type="hidden" name="back_ticket" value=(ticket); }
            @if needs_note {
                label for=(note_id) { "What was done" }
                input #(note_id) name="note" required maxlength=(MAX_NOTE);
            } @else if change == "cancel" {
                label for=(note_id) { "Why" span.muted { " (optional)" } }
                input #(note_id) name="note" maxlength=(MAX_NOTE);
            }
            button type="submit" name="change" value=(change) { (label) }
        }
    }
}

/// A change's form.
#[derive(Deserialize)]
pub(super) struct ChangeForm {
    csrf: Option<String>,
    note: Option<String>,
    back_ticket: Option<String>,
}

/// `POST /console/actions/{id}/{change}`.
pub(super) async fn change(
    user: SignedIn,
    State(state): State<AppState>,
    Path((id, change)): Path<(String, String)>,
    Form(form): Form<ChangeForm>,
) -> Response {
    if !user.csrf_matches(form.csrf.as_deref()) {
        return forbidden(
            &user,
            "the form is not this session's (CSRF token missing or wrong)",
        );
    }
    let kind = match change.as_str() {
        "retry" => ActionChange::Retry,
        "cancel" => ActionChange::Cancel,
        "done" => ActionChange::MarkDone,
        _ => {
            return error_page(
                Some(&user),
                &Problem::new(
                    problem::NOT_FOUND,
                    format!("no change `{change}`: retry, cancel or done"),
                ),
            );
        }
    };
    if let Err(problem) = require(&user.caller, kind) {
        return error_page(Some(&user), &problem);
    }
    let note = form
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return error_page(
            Some(&user),
            &Problem::new(
                problem::INVALID_BODY,
                format!("`note` is longer than {MAX_NOTE} characters"),
            )
            .at("note"),
        );
    }
    let who = actor(&user.caller);
    let store = state.store();
    let result = match kind {
        ActionChange::Retry => store.outbox().retry(&id, &who).await,
        ActionChange::Cancel => store.outbox().cancel(&id, &who, note).await,
        ActionChange::MarkDone => match note {
            Some(note) => {
                store
                    .outbox()
                    .mark_done_with(&id, &who, Some(note), None)
                    .await
            }
            None => {
                return error_page(
                    Some(&user),
                    &Problem::new(
                        problem::INVALID_BODY,
                        "marking an action done needs a note saying what was done",
                    )
                    .at("note"),
                );
            }
        },
    };
    match result {
        Ok(_) => {
            let back = match form.back_ticket.filter(|t| !t.is_empty()) {
                Some(ticket) => format!("/console/queue?ticket={}", urlencode(&ticket)),
                None => "/console/queue".to_owned(),
            };
            Redirect::to(&back).into_response()
        }
        Err(error) => error_page(Some(&user), &action_problem(error)),
    }
}
