//! Intake: `POST /v1/intake/zendesk` and `POST /v1/intake/gitlab` start
//! decisions from where work arrives (see [`crate::intake`]);
//! `GET /v1/intake` lists every delivery and what became of it.
//!
//! Every authentic delivery is written to the store's inbox: the one that
//! starts a decision in the decision's own transaction, so a redelivery
//! (retried, sent five times at once, or after a crash) starts nothing. A
//! delivery that is not authentic is 401 and leaves no trace; one that
//! cannot start a decision is recorded as `refused` (422, naming the
//! member) or `ignored` (200, saying why).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use entitle_store::{
    Delivery, Intake, IntakeEvent, IntakeFilter, IntakeStatus, JsonText, NewDecision, Origin,
    REFUSED_REQUEST_NOTE, RefusalNote, StepPayload, StoreError, TicketInput,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::actions::{self, ActionSummary};
use super::extract::{Caller, request_id};
use super::json_value;
use crate::AppState;
use crate::auth::Role;
use crate::intake::zendesk::{self, Refusal, ZendeskEvent};
use crate::intake::{gitlab, shown};
use crate::problem::{self, Problem};

/// The answer to an authentic delivery.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "IntakeAnswer")]
pub(crate) struct Answer<'a> {
    /// `decided`, `duplicate`, `ignored` (`refused` is a 422 problem).
    status: IntakeStatus,
    /// The inbox row of this delivery.
    intake_id: &'a str,
    /// The decision it started (for a duplicate: the first delivery's).
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_id: Option<&'a str>,
    /// The policy decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<&'a str>,
    /// The decision's outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'a str>,
    /// The outbox steps it wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<Vec<ActionSummary<'a>>>,
    /// For a duplicate: the first delivery's inbox row.
    #[serde(skip_serializing_if = "Option::is_none")]
    first_id: Option<&'a str>,
    /// Why nothing was started.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl<'a> Answer<'a> {
    fn of(event: &'a IntakeEvent) -> Answer<'a> {
        Answer {
            status: event.status,
            intake_id: &event.id,
            decision_id: event.decision_id.as_deref(),
            policy: event.policy.as_deref(),
            outcome: None,
            actions: None,
            first_id: event.first_id.as_deref(),
            reason: event.reason.as_deref(),
        }
    }
}

fn not_configured(source: &str) -> Problem {
    Problem::new(
        problem::NOT_FOUND,
        format!("intake from {source} is not configured (see `entitle serve --intake`)"),
    )
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The delivery id from `names` (the first present), checked.
fn delivery_id(headers: &HeaderMap, names: &[&str]) -> Result<String, Problem> {
    let Some((name, value)) = names
        .iter()
        .find_map(|name| headers.get(*name).map(|value| (*name, value)))
    else {
        return Err(Problem::new(
            problem::BAD_REQUEST,
            format!(
                "the `{}` header is missing: without it a retry cannot be told from a new event",
                names.join("` or `")
            ),
        ));
    };
    match value.to_str() {
        Ok(id) if !id.trim().is_empty() && id.len() <= 200 && !id.chars().any(char::is_control) => {
            Ok(id.trim().to_owned())
        }
        _ => Err(Problem::new(
            problem::BAD_REQUEST,
            format!("the `{name}` header must be 1 to 200 visible characters"),
        )),
    }
}

/// The answer for a row written: its status, ids and reason.
fn answer(event: &IntakeEvent) -> Result<Response, Problem> {
    json_value(&Answer::of(event))
}

/// The tracker issue a refused delivery came from, which gets a note
/// saying what is missing when `note-refused-request` is routed.
struct RefusedIssue<'a> {
    url: &'a str,
    iid: Option<u64>,
}

/// The steps of the note on `issue`, one per sink the note is routed to.
fn refusal_notes(
    state: &AppState,
    issue: Option<RefusedIssue<'_>>,
    refusal: &Refusal,
) -> Vec<RefusalNote> {
    let Some(issue) = issue else {
        return Vec::new();
    };
    let text = format!(
        "entitle could not take this request: {refusal}.\n\n\
         Edit the issue so that it follows the \"{}\" template (every line filled in as the \
         template shows); the edit is read again.",
        gitlab::TEMPLATE
    );
    let payload = serde_json::json!({
        "action": REFUSED_REQUEST_NOTE,
        "text": text,
        "origin": Origin {
            source: "gitlab".to_owned(),
            issue_url: Some(issue.url.to_owned()),
            issue_iid: issue.iid,
        },
    });
    state
        .options()
        .routes
        .sinks(REFUSED_REQUEST_NOTE)
        .iter()
        .map(|sink| RefusalNote {
            action_id: REFUSED_REQUEST_NOTE.to_owned(),
            sink: sink.clone(),
            ticket: Some(issue.url.to_owned()),
            payload: payload.clone(),
        })
        .collect()
}

/// Records `delivery` as refused for `refusal` (with the note on `issue`
/// when it is routed) and answers 422, or 200 if it is a redelivery.
async fn refuse(
    state: &AppState,
    delivery: Delivery,
    refusal: Refusal,
) -> Result<Response, Problem> {
    refuse_noting(state, delivery, refusal, None).await
}

/// [`refuse`], with the note on the tracker issue `issue`.
async fn refuse_noting(
    state: &AppState,
    delivery: Delivery,
    refusal: Refusal,
    issue: Option<RefusedIssue<'_>>,
) -> Result<Response, Problem> {
    let notes = refusal_notes(state, issue, &refusal);
    let (event, _) = state
        .store()
        .inbox()
        .record_refusal(delivery, &refusal.to_string(), notes)
        .await?;
    if event.status == IntakeStatus::Duplicate {
        return answer(&event);
    }
    Err(Problem::new(
        problem::INTAKE_REFUSED,
        format!("{refusal}; the delivery is recorded as refused"),
    )
    .at(&refusal.field))
}

/// Records `delivery` as ignored for `reason` (or as a redelivery) and
/// answers 200.
async fn ignore(state: &AppState, delivery: Delivery, reason: &str) -> Result<Response, Problem> {
    let event = state
        .store()
        .inbox()
        .record(delivery, IntakeStatus::Ignored, reason)
        .await?;
    answer(&event)
}

/// A store error as a refusal when it is the delivery's fault (4xx), else
/// the problem (5xx: the service retries).
fn refusal_of(error: StoreError, field: &str) -> Result<Refusal, Problem> {
    let problem = Problem::from(error);
    if problem.status().is_client_error() {
        Ok(Refusal::new(
            problem.field.clone().unwrap_or_else(|| field.to_owned()),
            problem.detail,
        ))
    } else {
        Err(problem)
    }
}

/// What a decision from intake needs: the source, its role, the policy,
/// the facts, the ticket the decision is about.
struct Start<'a> {
    source: &'static str,
    role: Role,
    policy: &'static str,
    facts: Value,
    ticket: Option<String>,
    delivery: Delivery,
    headers: &'a HeaderMap,
    /// Where the facts came from in the body (`ticket` for Zendesk): a
    /// facts path is reported under it.
    field_of: fn(&str) -> String,
    /// What started the decision, added to each step's payload as
    /// `origin` (the GitLab sink acknowledges the request on its issue).
    origin: Option<Origin>,
}

/// Decides and logs `start`'s decision with its delivery, in one
/// transaction.
async fn decide(state: &AppState, start: Start<'_>) -> Result<Response, Problem> {
    let Start {
        source,
        role,
        policy,
        facts,
        ticket,
        delivery,
        headers,
        field_of,
        origin,
    } = start;
    let text = JsonText::serialize(&facts)
        .map_err(|e| Problem::internal(format!("cannot serialise the facts: {e}")))?;
    let report = match entitle::decide_json(
        policy,
        text.as_str().as_bytes(),
        state.options().clock.now(),
        &state.options().config,
    ) {
        Ok(report) => report,
        Err(e) => {
            let problem = Problem::from(e);
            if !problem.status().is_client_error() {
                return Err(problem);
            }
            let field = field_of(problem.field.as_deref().unwrap_or("facts"));
            let issue = refused_issue(origin.as_ref());
            return refuse_noting(state, delivery, Refusal::new(field, problem.detail), issue)
                .await;
        }
    };
    let token = format!("intake:{source}");
    let outcome = report.outcome;
    let mut entry = NewDecision::from_report(report, text, role.id(), request_id(headers), ticket)
        .with_actions(&state.options().routes, Some(&token))?;
    if let Some(origin) = origin {
        for action in &mut entry.actions {
            action.payload = with_origin(&action.payload, &origin)?;
        }
    }
    match state.store().inbox().log_decision(entry, delivery).await? {
        Intake::Decided { event, logged } => json_value(&Answer {
            outcome: Some(outcome),
            actions: Some(actions::summaries(&logged.actions)),
            policy: Some(policy),
            ..Answer::of(&event)
        }),
        Intake::Duplicate(event) => answer(&event),
    }
}

/// The tracker issue of a decision's `origin`, if it came from GitLab.
fn refused_issue(origin: Option<&Origin>) -> Option<RefusedIssue<'_>> {
    let origin = origin?;
    (origin.source == "gitlab").then(|| RefusedIssue {
        url: origin.issue_url.as_deref().unwrap_or_default(),
        iid: origin.issue_iid,
    })
}

/// `payload` (a step's own part) with its `origin`.
fn with_origin(payload: &JsonText, origin: &Origin) -> Result<JsonText, Problem> {
    let mut step: StepPayload = serde_json::from_str(payload.as_str())
        .map_err(|e| Problem::internal(format!("a step's payload is not a step's: {e}")))?;
    step.origin = Some(origin.clone());
    JsonText::serialize(&step)
        .map_err(|e| Problem::internal(format!("cannot serialise a step's payload: {e}")))
}

/// `POST /v1/intake/zendesk`.
pub(super) async fn zendesk(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let Some(config) = state.options().intake.zendesk.clone() else {
        return Err(not_configured("Zendesk"));
    };
    zendesk::verify(
        &config.secret,
        header(&headers, zendesk::SIGNATURE_HEADER),
        header(&headers, zendesk::TIMESTAMP_HEADER),
        &body,
        state.options().clock.now(),
        config.max_skew,
    )
    .map_err(|e| Problem::new(problem::INTAKE_UNAUTHORIZED, e.to_string()))?;
    let delivery_id = delivery_id(&headers, &[zendesk::INVOCATION_HEADER])?;
    let mut delivery = Delivery {
        source: "zendesk".to_owned(),
        delivery_id,
        subject: None,
        policy: None,
        payload: String::from_utf8_lossy(&body).into_owned(),
        records: None,
    };
    let event = match config.event(&body) {
        Ok(event) => event,
        Err(refusal) => return refuse(&state, delivery, refusal).await,
    };
    let Some(rule) = event.rule.clone() else {
        delivery.subject = Some(event.ticket_id.clone());
        let tags: Vec<String> = event.tags.iter().map(|t| shown(t)).collect();
        let reason = format!(
            "no rule names any of the ticket's tags ({})",
            if tags.is_empty() {
                "none".to_owned()
            } else {
                tags.join(" ")
            }
        );
        return ignore(&state, delivery, &reason).await;
    };
    let ticket = match ticket_input(&state, &event).await? {
        Ok(ticket) => ticket,
        Err(refusal) => {
            delivery.subject = Some(event.ticket_id.clone());
            delivery.policy = Some(rule.policy.to_owned());
            return refuse(&state, delivery, refusal).await;
        }
    };
    delivery.subject = Some(ticket.id.clone());
    delivery.policy = Some(rule.policy.to_owned());
    let mut supplied = event.supplied.clone();
    if state.has_actor(rule.policy) {
        supplied.insert(
            "actor".to_owned(),
            Value::String(config.role.id().to_owned()),
        );
    }
    let facts = match state.store().records().for_ticket_input(&ticket).await {
        Ok(records) => entitle_store::assemble_json(rule.policy, &records, &supplied),
        Err(e) => Err(e),
    };
    let facts = match facts {
        Ok(facts) => facts,
        Err(e) => {
            let refusal = refusal_of(e, "ticket")?;
            return refuse(&state, delivery, refusal).await;
        }
    };
    let ticket_id = ticket.id.clone();
    delivery.records = Some(entitle_store::Records {
        tickets: vec![ticket],
        ..Default::default()
    });
    let start = Start {
        source: "zendesk",
        role: config.role,
        policy: rule.policy,
        facts,
        ticket: Some(ticket_id),
        delivery,
        headers: &headers,
        field_of: |path| format!("ticket ({path})"),
        origin: None,
    };
    decide(&state, start).await
}

/// The event's ticket as it is to be stored (with its decision): its id is
/// the stored ticket with its URL (however spelt), else the Zendesk id. What
/// the body does not fill is kept as stored (the subscription, the
/// internal request's progress).
async fn ticket_input(
    state: &AppState,
    event: &ZendeskEvent,
) -> Result<Result<TicketInput, Refusal>, Problem> {
    let store = state.store();
    let id = match store.records().ticket_for_url(&event.url).await? {
        Some(id) => id,
        None => event.ticket_id.clone(),
    };
    let stored = match store.records().ticket(&id).await {
        Ok(ticket) => Some(ticket),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.into()),
    };
    let field = |name: &str| event.fields.get(name);
    let text = |name: &str, kept: Option<String>| match field(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => None,
        None => kept,
    };
    let flag = |name: &str, kept: bool| match field(name) {
        Some(Value::Bool(b)) => *b,
        _ => kept,
    };
    let input = TicketInput {
        id: id.clone(),
        url: stored
            .as_ref()
            .map_or_else(|| event.url.clone(), |t| t.url.clone()),
        requester_email: event.requester_email.clone(),
        subscription_id: text(
            "subscription_id",
            stored.as_ref().and_then(|t| t.subscription_id.clone()),
        ),
        namespace_id: text(
            "namespace_id",
            stored.as_ref().and_then(|t| t.namespace_id.clone()),
        ),
        admin_dashboard_screenshot: flag(
            "admin_dashboard_screenshot",
            stored
                .as_ref()
                .is_some_and(|t| t.admin_dashboard_screenshot),
        ),
        license_page_screenshot: flag(
            "license_page_screenshot",
            stored.as_ref().is_some_and(|t| t.license_page_screenshot),
        ),
        screenshot_user_count: match field("screenshot_user_count") {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Some(_) => None,
            None => stored.as_ref().and_then(|t| t.screenshot_user_count),
        },
        internal_request: stored
            .as_ref()
            .map_or(entitle::policies::InternalRequest::None, |t| {
                t.internal_request
            }),
    };
    let records = entitle_store::Records {
        tickets: vec![input],
        ..Default::default()
    };
    if let Some(problem) = records.validate().into_iter().next() {
        return Ok(Err(Refusal::new(
            format!("ticket ({})", problem.field),
            problem.message,
        )));
    }
    Ok(Ok(records.tickets.into_iter().next().ok_or_else(|| {
        Problem::internal("the ticket vanished from its batch")
    })?))
}

/// `POST /v1/intake/gitlab`.
pub(super) async fn gitlab(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let Some(config) = state.options().intake.gitlab.clone() else {
        return Err(not_configured("GitLab"));
    };
    if !config.token_matches(headers.get(gitlab::TOKEN_HEADER).map(|v| v.as_bytes())) {
        return Err(Problem::new(
            problem::INTAKE_UNAUTHORIZED,
            format!(
                "the `{}` header is missing or is not the webhook's secret token",
                gitlab::TOKEN_HEADER
            ),
        ));
    }
    match header(&headers, gitlab::EVENT_HEADER) {
        Some(gitlab::ISSUE_HOOK) => {}
        other => {
            return Err(Problem::new(
                problem::BAD_REQUEST,
                format!(
                    "`{}` is `{}`: only `{}` events are taken (enable just \"Issues events\" on the webhook)",
                    gitlab::EVENT_HEADER,
                    shown(other.unwrap_or("")),
                    gitlab::ISSUE_HOOK
                ),
            ));
        }
    }
    let delivery_id = delivery_id(
        &headers,
        &[gitlab::IDEMPOTENCY_HEADER, gitlab::EVENT_UUID_HEADER],
    )?;
    let mut delivery = Delivery {
        source: "gitlab".to_owned(),
        delivery_id,
        subject: None,
        policy: None,
        payload: String::from_utf8_lossy(&body).into_owned(),
        records: None,
    };
    let (url, iid, action, facts) = match gitlab::event(&body) {
        Err(refusal) => return refuse(&state, delivery, refusal).await,
        Ok(gitlab::IssueEvent::Ignored { url, reason }) => {
            delivery.subject = url;
            return ignore(&state, delivery, &reason).await;
        }
        Ok(gitlab::IssueEvent::Malformed { url, iid, refusal }) => {
            delivery.subject = Some(url.clone());
            delivery.policy = Some(gitlab::POLICY.to_owned());
            let issue = RefusedIssue { url: &url, iid };
            return refuse_noting(&state, delivery, refusal, Some(issue)).await;
        }
        Ok(gitlab::IssueEvent::Report {
            url,
            iid,
            action,
            facts,
        }) => (url, iid, action, facts),
    };
    delivery.subject = Some(url.clone());
    delivery.policy = Some(gitlab::POLICY.to_owned());
    // An issue edited or reopened after it was decided starts nothing.
    let earlier = match action {
        gitlab::IssueAction::Open => None,
        gitlab::IssueAction::Edited => state.store().inbox().last_decided("gitlab", &url).await?,
    };
    if let Some(decided) = earlier {
        let reason = format!(
            "the issue was decided already (decision {}); edit it again to no effect",
            decided.decision_id.as_deref().unwrap_or("?")
        );
        return ignore(&state, delivery, &reason).await;
    }
    let start = Start {
        source: "gitlab",
        role: config.role,
        policy: gitlab::POLICY,
        facts,
        ticket: None,
        delivery,
        headers: &headers,
        field_of: gitlab::line_of,
        origin: Some(Origin {
            source: "gitlab".to_owned(),
            issue_url: Some(url.clone()),
            issue_iid: iid,
        }),
    };
    decide(&state, start).await
}

/// Where deliveries come from: `source` of `GET /v1/intake`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum IntakeSource {
    /// Zendesk's webhook.
    Zendesk,
    /// GitLab's webhook.
    Gitlab,
}

impl IntakeSource {
    fn as_str(&self) -> &'static str {
        match self {
            IntakeSource::Zendesk => "zendesk",
            IntakeSource::Gitlab => "gitlab",
        }
    }
}

/// Query of `GET /v1/intake`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IntakeQuery {
    /// Only deliveries about this ticket id or issue URL.
    ticket: Option<String>,
    /// Only deliveries from this source (another is a 400: it would list
    /// nothing).
    source: Option<IntakeSource>,
    /// At most this many deliveries (default 100).
    #[schemars(range(min = 1, max = 1000))]
    limit: Option<u32>,
    /// Only deliveries older than this intake id (paging).
    before: Option<String>,
}

/// The answer of `GET /v1/intake`.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct IntakePage {
    /// The deliveries, newest first.
    events: Vec<IntakeEvent>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<String>,
}

/// `GET /v1/intake`: every delivery, newest first; `ticket` (a ticket id or
/// issue URL) and `source` filter, `limit` and `before` page.
pub(super) async fn list(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<IntakeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| Problem::new(problem::BAD_QUERY, e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::new(
            problem::BAD_QUERY,
            format!("`limit` must be between 1 and 1000, not {limit}"),
        )
        .at("limit"));
    }
    let filter = IntakeFilter {
        subject: query.ticket,
        source: query.source.as_ref().map(|s| s.as_str().to_owned()),
        limit,
        before: query.before,
    };
    let events = state.store().inbox().list(&filter).await?;
    let next_before = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.id.clone()))
        .flatten();
    json_value(&IntakePage {
        events,
        next_before,
    })
}
