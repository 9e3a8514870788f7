//! The log: decisions filtered by ticket, policy, outcome and date range
//! (dates in the support time zone), paged, each opening its page; beside
//! it, the intake events (what Zendesk and GitLab sent, and what became
//! of each).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entitle_store::{DecisionFilter, DecisionRecord, IntakeEvent, IntakeFilter};
use maud::{Markup, html};
use serde::Deserialize;

use super::decision::urlencode;
use super::session::SignedIn;
use super::{Nav, error_page, html_response, human, layout};
use crate::AppState;
use crate::problem::{self, Problem};

/// Decisions per page.
const PAGE: u32 = 25;
/// Intake events shown beside them.
const INTAKE: u32 = 25;

/// `?ticket=&policy=&outcome=&from=&to=&before=`.
#[derive(Deserialize, Default, Clone)]
pub(super) struct LogQuery {
    ticket: Option<String>,
    policy: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `GET /console/log`.
pub(super) async fn page(
    user: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<LogQuery>,
) -> Response {
    match entries(&state, &query).await {
        Ok((decisions, intake)) => html_response(
            StatusCode::OK,
            render(&user, &state, &query, &decisions, &intake),
        ),
        Err(problem) => error_page(Some(&user), &problem),
    }
}

/// The start of `date` in `zone`, or a problem naming `field`.
fn day_start(
    field: &str,
    text: &str,
    zone: chrono_tz::Tz,
    days_after: u64,
) -> Result<DateTime<Utc>, Problem> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_days(chrono::Days::new(days_after)))
        .ok_or_else(|| {
            Problem::new(
                problem::BAD_QUERY,
                format!("`{field}` must be a date, YYYY-MM-DD, not `{text}`"),
            )
            .at(field)
        })?;
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A day that starts in a gap (a DST change at midnight) starts at the
    // gap's end; an ambiguous midnight at its first occurrence.
    let local = zone
        .from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + chrono::TimeDelta::hours(1)))
                .earliest()
        })
        .ok_or_else(|| {
            Problem::new(problem::BAD_QUERY, format!("`{field}` has no midnight")).at(field)
        })?;
    Ok(local.with_timezone(&Utc))
}

async fn entries(
    state: &AppState,
    query: &LogQuery,
) -> Result<(Vec<DecisionRecord>, Vec<IntakeEvent>), Problem> {
    let zone = state.options().config.timezone;
    let policy = given(&query.policy);
    if let Some(policy) = &policy
        && !entitle::policies::POLICIES.iter().any(|p| p.id == policy)
    {
        return Err(Problem::unknown_policy(policy));
    }
    let decided_from = given(&query.from)
        .map(|d| day_start("from", &d, zone, 0))
        .transpose()?;
    let decided_before = given(&query.to)
        .map(|d| day_start("to", &d, zone, 1))
        .transpose()?;
    let ticket = given(&query.ticket);
    let decisions = state
        .store()
        .log()
        .decisions(&DecisionFilter {
            ticket_id: ticket.clone(),
            policy,
            limit: PAGE,
            before: given(&query.before),
            outcome: given(&query.outcome),
            decided_from,
            decided_before,
        })
        .await?;
    let intake = state
        .store()
        .inbox()
        .list(&IntakeFilter {
            subject: ticket,
            source: None,
            limit: INTAKE,
            before: None,
        })
        .await?;
    Ok((decisions, intake))
}

/// The query of the next page: the same filters, `before` the last entry.
fn next_page(query: &LogQuery, last: &str) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("ticket", &query.ticket),
        ("policy", &query.policy),
        ("outcome", &query.outcome),
        ("from", &query.from),
        ("to", &query.to),
    ] {
        if let Some(value) = given(value) {
            parts.push(format!("{name}={}", urlencode(&value)));
        }
    }
    parts.push(format!("before={}", urlencode(last)));
    format!("/console/log?{}", parts.join("&"))
}

fn render(
    user: &SignedIn,
    state: &AppState,
    query: &LogQuery,
    decisions: &[DecisionRecord],
    intake: &[IntakeEvent],
) -> Markup {
    let zone = state.options().config.timezone;
    let value = |v: &Option<String>| given(v).unwrap_or_default();
    let selected_policy = value(&query.policy);
    let body = html! {
        h1 { "Log" }
        form.filters method="get" action="/console/log" {
            div.field { label for="l-ticket" { "Ticket" } input #l-ticket name="ticket" value=(value(&query.ticket)) maxlength="2048"; }
            div.field {
                label for="l-policy" { "Policy" }
                select #l-policy name="policy" {
                    option value="" { "any" }
                    @for policy in entitle::policies::POLICIES {
                        option value=(policy.id) selected[selected_policy == policy.id] { (policy.id) }
                    }
                }
            }
            div.field { label for="l-outcome" { "Outcome" } input #l-outcome name="outcome" value=(value(&query.outcome)) maxlength="200"; }
            div.field { label for="l-from" { "From (" (human::zone_name(zone)) ")" } input #l-from type="date" name="from" value=(value(&query.from)); }
            div.field { label for="l-to" { "To (" (human::zone_name(zone)) ")" } input #l-to type="date" name="to" value=(value(&query.to)); }
            button type="submit" { "Filter" }
        }
        div.columns {
            section aria-labelledby="decisions-heading" {
                h2 #decisions-heading { "Decisions" }
                @if decisions.is_empty() { p { "No decision matches." } }
                div.table-wrap {
                    table #decisions {
                        thead { tr { th { "Decided" } th { "Policy" } th { "Outcome" } th { "Ticket" } th { "By" } } }
                        tbody {
                            @for d in decisions {
                                tr {
                                    td { a href={ "/console/decisions/" (d.decision_id) } {
                                        @match d.now.parse::<DateTime<Utc>>() {
                                            Ok(at) => (human::local(at, zone)),
                                            Err(_) => (d.now),
                                        }
                                    } }
                                    td { (d.policy) }
                                    td { code { (d.outcome) } }
                                    td { (d.ticket_id.as_deref().unwrap_or("—")) }
                                    td { (d.role) }
                                }
                            }
                        }
                    }
                }
                @if decisions.len() == PAGE as usize {
                    @if let Some(last) = decisions.last() {
                        p { a rel="next" href=(next_page(query, &last.decision_id)) { "Older decisions" } }
                    }
                }
            }
            section aria-labelledby="intake-heading" {
                h2 #intake-heading { "Intake events" }
                @if intake.is_empty() { p { "No delivery from Zendesk or GitLab" @if given(&query.ticket).is_some() { " about this ticket" } "." } }
                ol.intake {
                    @for event in intake {
                        li {
                            span class={ "status " (event.status.label()) } { (event.status.label()) }
                            " " (event.source)
                            @if let Some(subject) = &event.subject { " · " (subject) }
                            br;
                            span.muted { (event.received_at) }
                            @if let Some(decision) = &event.decision_id {
                                " · " a href={ "/console/decisions/" (decision) } { "decision" }
                            }
                            @if let Some(reason) = &event.reason { br; span.muted { (reason) } }
                        }
                    }
                }
            }
        }
    };
    layout("Log", Some(user), Nav::Log, body)
}
