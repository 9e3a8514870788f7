//! A decision's page: the outcome in the page's words, the details, when
//! it would change, the reasons question by question, the graph with the
//! path taken, and the actions with their live status.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use entitle::svg::{SvgTarget, graph_svg};
use entitle_store::{ActionRecord, DecisionRecord};
use maud::{Markup, PreEscaped, html};
use serde_json::Value;

use super::session::SignedIn;
use super::{Nav, error_page, html_response, human, layout};
use crate::AppState;
use crate::problem::Problem;

/// `GET /console/decisions/{id}`.
pub(super) async fn page(
    user: SignedIn,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    let record = match state.store().log().decision(&id).await {
        Ok(record) => record,
        Err(error) => return error_page(Some(&user), &Problem::from(error)),
    };
    let actions = match state.store().outbox().of_decision(&id).await {
        Ok(actions) => actions,
        Err(error) => return error_page(Some(&user), &Problem::from(error)),
    };
    html_response(StatusCode::OK, render(&user, &state, &record, &actions))
}

/// The trace's steps as `(node, answer)`.
fn steps(trace: &Value) -> Vec<(&str, &str)> {
    trace
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| Some((s.get("node")?.as_str()?, s.get("answer")?.as_str()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The decision page's markup.
fn render(
    user: &SignedIn,
    state: &AppState,
    record: &DecisionRecord,
    actions: &[ActionRecord],
) -> Markup {
    let zone = state.options().config.timezone;
    let description = entitle::describe(&record.policy).ok();
    let path = description
        .as_ref()
        .map(|d| d.path_of(steps(&record.trace)))
        .unwrap_or_default();
    // The outcome in the page's words: the text of the outcome node reached.
    let outcome_text = description.as_ref().and_then(|d| {
        d.nodes
            .iter()
            .find(|n| n.kind == "outcome" && path.has_node(&n.id))
            .map(|n| n.text.clone())
    });
    let decided_at: Option<DateTime<Utc>> = record.now.parse().ok();
    let until: Option<DateTime<Utc>> = record.stable_until.as_deref().and_then(|t| t.parse().ok());
    let svg = description
        .as_ref()
        .map(|d| graph_svg(d, &path, SvgTarget::Inline));
    let body = html! {
        p.muted { "Decision " code { (record.decision_id) } }
        h1 { (outcome_text.as_deref().unwrap_or(&record.outcome)) }
        dl.facts-list {
            dt { "Outcome" } dd { code #outcome { (record.outcome) } }
            dt { "Policy" } dd { (record.policy) " v" (record.version) }
            @if let Some(ticket) = &record.ticket_id {
                dt { "Ticket" } dd { a href={ "/console/log?ticket=" (urlencode(ticket)) } { (ticket) } }
            }
            dt { "Decided" } dd {
                @if let Some(at) = decided_at { (human::local(at, zone)) } @else { (record.now) }
                " by " (record.role)
            }
            dt { "Stable" } dd #stable-until {
                @match (until, decided_at) {
                    (Some(until), Some(at)) => {
                        "until " (human::local(until, zone)) ", " (human::relative(at, until)) " after the decision"
                    }
                    _ => { "no question on the path depends on time: the same facts decide the same way" }
                }
            }
        }
        @if let Some(details) = record.details.as_object().filter(|d| !d.is_empty()) {
            h2 { "Details" }
            dl.facts-list {
                @for (key, value) in details {
                    dt { (key) }
                    dd { (detail_value(value)) }
                }
            }
        }
        h2 { "Why" }
        ol.trace {
            @for step in record.trace.as_array().map(Vec::as_slice).unwrap_or_default() {
                li {
                    span.question { (text_of(step, "question")) }
                    " " strong.answer { (text_of(step, "answer")) }
                    @if let Some(detail) = step.get("detail").and_then(Value::as_str) {
                        br; span.muted { (detail) }
                    }
                }
            }
        }
        h2 { "The path on the policy's graph" }
        @if let Some(svg) = svg {
            figure.graph aria-label="The policy's graph; the path taken is drawn in a thicker amber line" {
                // Made by `graph_svg`: its labels are escaped there, and it
                // has no script or style element.
                (PreEscaped(svg))
            }
        } @else {
            p { "The graph of " (record.policy) " is not available." }
        }
        h2 { "Actions" }
        @if actions.is_empty() {
            p { "This decision put no action in the outbox." }
        } @else {
            (actions_table(actions, zone))
            p { a href={ "/console/queue" @if let Some(t) = &record.ticket_id { "?ticket=" (urlencode(t)) } } { "Work these in the queue" } }
        }
        details {
            summary { "Facts decided on" }
            pre { (serde_json::to_string_pretty(&record.facts).unwrap_or_default()) }
        }
    };
    layout("Decision", Some(user), Nav::Log, body)
}

/// The steps of a decision with their status and what each service
/// answered.
pub(super) fn actions_table(actions: &[ActionRecord], zone: chrono_tz::Tz) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr { th { "Action" } th { "Sink" } th { "Status" } th { "Attempts" } th { "Updated" } th { "What the service answered" } } }
                tbody {
                    @for action in actions {
                        tr data-action=(action.id) {
                            td { (action.action_id) }
                            td { (action.sink) }
                            td { span class={ "status " (action.status.as_str()) } { (action.status.as_str()) } }
                            td { (action.attempts) }
                            td { (human::local(action.updated_at, zone)) }
                            td {
                                @if let Some(error) = &action.last_error { span.error { (error) } br; }
                                @if let Some(response) = &action.response {
                                    details { summary { "answer" } pre { (serde_json::to_string_pretty(response).unwrap_or_default()) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn text_of<'a>(step: &'a Value, key: &str) -> &'a str {
    step.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A detail's value as people read it: text bare, a list as a list, an
/// object as its members (an action: its id, then its text).
fn detail_value(value: &Value) -> Markup {
    match value {
        Value::String(s) => html! { (s) },
        Value::Null => html! { span.muted { "none" } },
        Value::Array(items) if items.is_empty() => html! { span.muted { "none" } },
        Value::Array(items) => html! {
            ul.detail-list { @for item in items { li { (detail_value(item)) } } }
        },
        Value::Object(map) => match (map.get("id"), map.get("text")) {
            (Some(Value::String(id)), Some(Value::String(text))) if map.len() == 2 => {
                html! { code { (id) } ": " (text) }
            }
            _ => html! {
                dl.facts-list { @for (k, v) in map { dt { (k) } dd { (detail_value(v)) } } }
            },
        },
        other => html! { (other.to_string()) },
    }
}

/// `text` percent-encoded for a query value.
pub(super) fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
