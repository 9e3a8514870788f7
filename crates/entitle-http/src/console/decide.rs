//! The decide page: pick a policy (or a stored ticket), fill the form made
//! from the policy's facts schema, decide through the API's own path.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::form::{self, Field, Input, Section};
use super::session::SignedIn;
use super::{Nav, error_page, forbidden, html_response, human, layout};
use crate::AppState;
use crate::problem::Problem;
use crate::routes::decisions::{ConsoleDecision, decide_for_console};
use crate::routes::request_id;

/// `?policy=&ticket=`.
#[derive(Deserialize, Default)]
pub(super) struct Choice {
    policy: Option<String>,
    ticket: Option<String>,
    /// Fill the form with the policy's worked example of this outcome.
    example: Option<String>,
}

/// What the form shows: the values typed, and the problems by field.
#[derive(Default)]
struct Filled {
    values: Vec<(String, String)>,
    /// `(field path, message)`; an empty path is about the whole form.
    problems: Vec<(String, String)>,
    now: Option<String>,
    ticket: Option<String>,
}

impl Filled {
    fn value(&self, path: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.as_str())
    }

    fn problems_at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.problems
            .iter()
            .filter(move |(p, _)| p == path)
            .map(|(_, m)| m.as_str())
    }
}

/// `GET /console/decide`.
pub(super) async fn page(
    user: SignedIn,
    State(state): State<AppState>,
    Query(choice): Query<Choice>,
) -> Response {
    if let Err(problem) = user.caller.require_decide() {
        return error_page(Some(&user), &problem);
    }
    let policy = choice.policy.filter(|p| !p.is_empty());
    match policy {
        None => html_response(StatusCode::OK, picker(&user, &state)),
        Some(policy) => {
            if !known(&policy) {
                return error_page(Some(&user), &Problem::unknown_policy(&policy));
            }
            let example = choice.example.as_deref().and_then(|outcome| {
                entitle::examples(&policy)
                    .ok()
                    .and_then(Result::ok)
                    .and_then(|examples| examples.into_iter().find(|e| e.outcome == outcome))
            });
            let filled = Filled {
                ticket: choice.ticket.filter(|t| !t.is_empty()),
                values: example
                    .as_ref()
                    .map(|e| form::values_of(&sections_of(&state, &policy), &e.facts))
                    .unwrap_or_default(),
                now: example.map(|e| e.now),
                problems: Vec::new(),
            };
            html_response(StatusCode::OK, decide_form(&user, &state, &policy, &filled))
        }
    }
}

fn known(policy: &str) -> bool {
    entitle::policies::POLICIES.iter().any(|p| p.id == policy)
}

/// The list of policies with their summaries, and the stored-ticket form.
fn picker(user: &SignedIn, state: &AppState) -> Markup {
    let body = html! {
        h1 { "Decide" }
        p { "Pick the policy whose page the ticket falls under." }
        ul.cards {
            @for policy in entitle::policies::POLICIES {
                li {
                    a href={ "/console/decide?policy=" (policy.id) } { strong { (policy.id) } }
                    " " span.muted { "v" (policy.version) }
                    p { (policy.summary) }
                }
            }
        }
        h2 { "A stored ticket" }
        p { "The facts the imported records hold come from the store; the form asks only what they cannot know." }
        form method="get" action="/console/decide" {
            div.row {
                div.field {
                    label for="ticket" { "Ticket id" }
                    input #ticket name="ticket" required maxlength="200";
                }
                div.field {
                    label for="policy" { "Policy" }
                    select #policy name="policy" {
                        @for policy in entitle::policies::POLICIES {
                            option value=(policy.id) { (policy.id) }
                        }
                    }
                }
            }
            button type="submit" { "Open the form" }
        }
        (config_in_force(state))
    };
    layout("Decide", Some(user), Nav::Decide, body)
}

/// The configuration every decision uses, as a short list.
fn config_in_force(state: &AppState) -> Markup {
    let config = &state.options().config;
    html! {
        details.config {
            summary { "Configuration in force" }
            dl {
                dt { "Support time zone" } dd { (config.timezone.name()) " (" (human::zone_name(config.timezone)) ")" }
                dt { "Grace period" } dd { (config.grace_period_days) " days" }
                dt { "Emergency window" } dd { (config.emergency_window_days) " days" }
                dt { "Temporary license" } dd { (config.temporary_license_days) " days (at most " (config.temporary_license_max_days) ")" }
                dt { "Escalation threshold" } dd { (config.escalation_threshold_hours) " hours" }
                dt { "Company holidays" } dd { (config.company_holidays.len()) }
                dt { "Monitoring schedule" } dd { @if config.monitoring_schedule.is_some() { "configured" } @else { "none" } }
            }
        }
    }
}

/// The form's sections for `policy`: the server sets `actor`.
fn sections_of(state: &AppState, policy: &str) -> Vec<Section> {
    let schema = entitle::schema(policy).unwrap_or(Value::Null);
    let skip: &[&str] = if state.has_actor(policy) {
        &["actor"]
    } else {
        &[]
    };
    form::sections(&schema, skip)
}

fn decide_form(user: &SignedIn, state: &AppState, policy: &str, filled: &Filled) -> Markup {
    let sections = sections_of(state, policy);
    let summary = entitle::policies::POLICIES
        .iter()
        .find(|p| p.id == policy)
        .map(|p| p.summary)
        .unwrap_or_default();
    let zone = state.options().config.timezone;
    let now_default = state
        .options()
        .clock
        .now()
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let stored = filled.ticket.is_some();
    // Problems at no field or section of the form (the whole form, an
    // unknown member) are shown above it.
    let placed = |path: &str| {
        sections
            .iter()
            .any(|s| s.path == path || s.fields.iter().any(|f| f.path == path))
            || path == "now"
    };
    let general: Vec<&str> = filled
        .problems
        .iter()
        .filter(|(p, _)| p.is_empty() || !placed(p))
        .map(|(_, m)| m.as_str())
        .collect();
    let body = html! {
        h1 { "Decide: " (policy) }
        p { (summary) }
        @if !stored {
            details.examples {
                summary { "Start from a worked example" }
                ul {
                    @for example in entitle::examples(policy).ok().and_then(Result::ok).unwrap_or_default() {
                        li { a href={ "/console/decide?policy=" (policy) "&example=" (example.outcome) } { (example.outcome) } }
                    }
                }
            }
        }
        @if !general.is_empty() {
            div.error role="alert" {
                @for message in &general { p { (message) } }
            }
        }
        @if filled.problems.iter().any(|(p, _)| !p.is_empty()) {
            p.error role="alert" { "Some facts are not valid: see the messages next to them." }
        }
        form method="post" action={ "/console/decide/" (policy) } novalidate {
            input type="hidden" name="csrf" value=(user.csrf);
            fieldset {
                legend { "The decision" }
                @if let Some(ticket) = &filled.ticket {
                    div.field {
                        label for="ticket" { "Stored ticket" }
                        input #ticket name="ticket" value=(ticket) readonly;
                        p.help { "Facts the records hold come from the store; fill only what they cannot know." }
                    }
                }
                div.field {
                    label for="now" { "Decide at (" code { "now" } ", RFC 3339)" }
                    input #now name="now" value=(filled.now.as_deref().unwrap_or(&now_default)) maxlength="64"
                        aria-describedby="now-help";
                    p.help #now-help { "The server clock by default; times below are read in " (human::zone_name(zone)) "." }
                    @for message in filled.problems_at("now") { p.error role="alert" { (message) } }
                }
                @if state.has_actor(policy) {
                    p.help { "The actor is your role, " code { (user.role().id()) } ", set by the server." }
                }
            }
            @for section in &sections {
                fieldset {
                    legend { (section.title) }
                    @if !section.help.is_empty() { p.help { (section.help) } }
                    @for message in filled.problems_at(&section.path) {
                        @if !section.path.is_empty() { p.error role="alert" { (message) } }
                    }
                    @for field in &section.fields {
                        (field_markup(field, filled, stored))
                    }
                }
            }
            button type="submit" { "Decide" }
        }
        (config_in_force(state))
    };
    layout(&format!("Decide {policy}"), Some(user), Nav::Decide, body)
}

/// The id of a field's input: its path with `.` as `-`.
fn input_id(field: &Field) -> String {
    format!("f-{}", field.path.replace('.', "-"))
}

fn field_markup(field: &Field, filled: &Filled, stored: bool) -> Markup {
    let id = input_id(field);
    let value = filled.value(&field.path).unwrap_or_default();
    let problems: Vec<&str> = filled.problems_at(&field.path).collect();
    let invalid = !problems.is_empty();
    let required = field.required && !stored;
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let described = if invalid {
        format!("{help_id} {error_id}")
    } else {
        help_id.clone()
    };
    html! {
        div.field.invalid[invalid] {
            @if field.input == Input::Checkbox {
                label.check for=(id) {
                    input #(id) type="checkbox" name=(field.path) value="true" checked[!value.is_empty()]
                        aria-describedby=(described) aria-invalid=[invalid.then_some("true")];
                    " " (field.label)
                }
            } @else {
                label for=(id) {
                    (field.label)
                    @if !required { " " span.muted { "(optional)" } }
                }
                @match &field.input {
                    Input::Text { html_type, max_length } => {
                        input #(id) type=(html_type) name=(field.path) value=(value)
                            maxlength=[max_length] required[required]
                            aria-describedby=(described) aria-invalid=[invalid.then_some("true")];
                    }
                    Input::Date => {
                        input #(id) type="date" name=(field.path) value=(value) required[required]
                            aria-describedby=(described) aria-invalid=[invalid.then_some("true")];
                    }
                    Input::Integer { min, max } => {
                        input #(id) type="number" step="1" name=(field.path) value=(value)
                            min=[min] max=[max] required[required]
                            aria-describedby=(described) aria-invalid=[invalid.then_some("true")];
                    }
                    Input::Choice(choices) => {
                        select #(id) name=(field.path) required[required]
                            aria-describedby=(described) aria-invalid=[invalid.then_some("true")] {
                            option value="" selected[value.is_empty()] { "— choose —" }
                            @for (choice, text) in choices {
                                option value=(choice) selected[value == choice] {
                                    (choice) @if !text.is_empty() { " — " (text) }
                                }
                            }
                        }
                    }
                    Input::List { .. } => {
                        textarea #(id) name=(field.path) rows="3"
                            aria-describedby=(described) aria-invalid=[invalid.then_some("true")] { (value) }
                    }
                    Input::Checkbox => {}
                }
            }
            p.help #(help_id) {
                (field.help)
                @if let Input::List { dates: true } = field.input { " One date (YYYY-MM-DD) per line." }
            }
            @for message in &problems {
                p.error #(error_id) role="alert" { (message) }
            }
        }
    }
}

/// `POST /console/decide/{policy}`.
pub(super) async fn submit(
    user: SignedIn,
    State(state): State<AppState>,
    Path(policy): Path<String>,
    headers: HeaderMap,
    Form(submitted): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = submitted
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str());
    if !user.csrf_matches(csrf) {
        return forbidden(
            &user,
            "the form is not this session's (CSRF token missing or wrong)",
        );
    }
    if let Err(problem) = user.caller.require_decide() {
        return error_page(Some(&user), &problem);
    }
    if !known(&policy) {
        return error_page(Some(&user), &Problem::unknown_policy(&policy));
    }
    let field = |name: &str| {
        submitted
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let sections = sections_of(&state, &policy);
    let mut filled = Filled {
        values: submitted
            .iter()
            .filter(|(k, _)| k != "csrf")
            .cloned()
            .collect(),
        ticket: field("ticket"),
        now: field("now"),
        problems: Vec::new(),
    };
    let now = match filled.now.as_deref() {
        None => state.options().clock.now(),
        Some(text) => match entitle::input::parse_instant(text) {
            Ok(now) => now,
            Err(e) => {
                filled.problems.push(("now".to_owned(), e.to_string()));
                return html_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    decide_form(&user, &state, &policy, &filled),
                );
            }
        },
    };
    let facts = form::facts_from(&sections, &submitted);
    let decision = ConsoleDecision {
        policy: &policy,
        facts: facts.clone(),
        now,
        ticket: filled.ticket.clone(),
        request_id: request_id(&headers),
    };
    match decide_for_console(&state, &user.caller, decision).await {
        Ok(logged) => {
            Redirect::to(&format!("/console/decisions/{}", logged.decision_id)).into_response()
        }
        Err(problem) if problem.status().is_client_error() => {
            filled.problems = if filled.ticket.is_none() && problem.field.is_some() {
                every_problem(&state, &policy, facts, now)
            } else {
                Vec::new()
            };
            let status = problem.status();
            if filled.problems.is_empty() {
                filled
                    .problems
                    .push((form_path(&problem), plain_words(&problem.detail)));
            }
            html_response(status, decide_form(&user, &state, &policy, &filled))
        }
        Err(problem) => error_page(Some(&user), &problem),
    }
}

/// The API's message without the position in the JSON text the form was
/// turned into (`at line 1 column 168`), which means nothing on a form.
fn plain_words(detail: &str) -> String {
    entitle::without_position(detail).to_owned()
}

/// The form path of a problem's field (`facts.license.users` is
/// `license.users`); empty for a problem about the whole form.
fn form_path(problem: &Problem) -> String {
    problem
        .field
        .as_deref()
        .and_then(|f| f.strip_prefix("facts"))
        .map(|f| f.trim_start_matches('.').to_owned())
        .unwrap_or_default()
}

/// Every problem of `facts`, each in the API's words at its field: the
/// policy refuses one field at a time, so each refused value is set aside
/// (replaced by the value a worked example gives it, or removed) and the
/// facts are checked again, until they are accepted or nothing changes.
fn every_problem(
    state: &AppState,
    policy: &str,
    mut facts: Map<String, Value>,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    let example = entitle::examples(policy)
        .ok()
        .and_then(Result::ok)
        .and_then(|e| e.into_iter().next())
        .map(|e| e.facts)
        .unwrap_or(Value::Null);
    let config = &state.options().config;
    let mut problems: Vec<(String, String)> = Vec::new();
    for _ in 0..32 {
        let text = Value::Object(facts.clone()).to_string();
        let Err(error) = entitle::decide_json(policy, text.as_bytes(), now, config) else {
            break;
        };
        let problem = Problem::from(error);
        let path = form_path(&problem);
        if problems.iter().any(|(p, _)| *p == path) || path.is_empty() {
            if path.is_empty() && !problems.iter().any(|(p, _)| p.is_empty()) {
                problems.push((path, plain_words(&problem.detail)));
            }
            break;
        }
        problems.push((path.clone(), plain_words(&problem.detail)));
        let pointer = format!("/{}", path.replace('.', "/"));
        set_aside(&mut facts, &path, example.pointer(&pointer).cloned());
    }
    problems
}

/// Replaces the value at `path` with `value`, or removes it.
fn set_aside(facts: &mut Map<String, Value>, path: &str, value: Option<Value>) {
    let mut segments: Vec<&str> = path.split('.').collect();
    let Some(last) = segments.pop() else {
        return;
    };
    let mut current = facts;
    for segment in segments {
        let exists = matches!(current.get(segment), Some(Value::Object(_)));
        if !exists {
            if value.is_none() {
                return;
            }
            current.insert(segment.to_owned(), Value::Object(Map::new()));
        }
        let Some(Value::Object(next)) = current.get_mut(segment) else {
            return;
        };
        current = next;
    }
    match value {
        Some(value) => {
            current.insert(last.to_owned(), value);
        }
        None => {
            current.remove(last);
        }
    }
}
