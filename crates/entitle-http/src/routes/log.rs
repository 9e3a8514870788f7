//! Reading the decision log: `GET /v1/decisions` (filtered by ticket and
//! policy, paged by `before`, each page bounded in entries and bytes) and
//! `GET /v1/decisions/{id}` with the actions the decision made.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle_store::DecisionFilter;
use serde::{Deserialize, Serialize};

use super::actions;
use super::catalog::check_policy;
use super::extract::{Caller, MAX_PAGE, Param, UUID_PATTERN, page_cursor, page_limit};
use super::{json_bytes, json_value};
use crate::AppState;
use crate::problem::{self, Problem};

/// The query of `GET /v1/decisions`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Only decisions about this ticket (404 if no such ticket).
    ticket: Option<String>,
    /// Only decisions of this policy (404 if no such policy).
    #[schemars(with = "Option<crate::openapi::PolicyId>")]
    policy: Option<String>,
    /// At most this many entries (default 100).
    #[schemars(range(min = 1, max = MAX_PAGE))]
    limit: Option<u32>,
    /// Only entries older than this decision id (paging: a page's
    /// `next_before`).
    #[schemars(pattern(UUID_PATTERN))]
    before: Option<String>,
}

/// `GET /v1/decisions[?ticket=&policy=&limit=&before=]`.
pub(super) async fn list_decisions(
    _caller: Caller,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(query) = query.map_err(|e| {
        Problem::new(
            problem::BAD_QUERY,
            format!(
                "{}; parameters: ticket, policy, limit (1..={MAX_PAGE}), before",
                e.body_text()
            ),
        )
    })?;
    let limit = page_limit(query.limit)?;
    let before = page_cursor(query.before, "a decision")?;
    if let Some(policy) = &query.policy {
        check_policy(policy)?;
    }
    if let Some(ticket) = &query.ticket {
        state.store().records().ticket(ticket).await?;
    }
    page(&state, query.ticket, query.policy, before, limit).await
}

/// Entries read from the store at first, before their size is known.
const FIRST_BATCH: u32 = 8;
/// Most entries read from the store at once.
const MAX_BATCH: u32 = 500;

/// A page of the log, `{"decisions": [...], "next_before": ...}`, of at
/// most `limit` entries and, past its first entry, at most
/// [`ServerOptions::page_byte_limit`](crate::ServerOptions) bytes. The
/// entries are read in batches sized to what is left of the byte budget
/// and serialised one by one, so a request holds about one page in memory,
/// not `limit` entries.
async fn page(
    state: &AppState,
    ticket_id: Option<String>,
    policy: Option<String>,
    mut before: Option<String>,
    limit: u32,
) -> Result<Response, Problem> {
    const HEAD: &[u8] = b"{\"decisions\":[";
    let budget = state.options().page_byte_limit;
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(HEAD);
    let mut count = 0u32;
    let mut last: Option<String> = None;
    let mut full = false;
    let mut batch = FIRST_BATCH;
    'read: while count < limit {
        let want = (limit - count).min(batch);
        let entries = state
            .store()
            .log()
            .decisions(&DecisionFilter {
                ticket_id: ticket_id.clone(),
                policy: policy.clone(),
                limit: want,
                before: before.take(),
                ..Default::default()
            })
            .await?;
        let got = entries.len();
        for entry in entries {
            let bytes = serde_json::to_vec(&entry)
                .map_err(|e| Problem::internal(format!("cannot serialise the response: {e}")))?;
            if count > 0 && out.len() + 1 + bytes.len() > budget {
                full = true;
                break 'read;
            }
            if count > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&bytes);
            count += 1;
            last = Some(entry.decision_id);
        }
        if got < want as usize {
            break;
        }
        before.clone_from(&last);
        // As many entries as the rest of the budget holds, at their size so
        // far (one more, so a page that fits is not cut short).
        let average = (out.len() - HEAD.len()) / count.max(1) as usize;
        let room = budget.saturating_sub(out.len()) / average.max(1) + 1;
        batch = u32::try_from(room).unwrap_or(MAX_BATCH).clamp(1, MAX_BATCH);
    }
    // Pass as `before` for the next page; `null` on the last page.
    let next_before = if full || count == limit { last } else { None };
    out.extend_from_slice(b"],\"next_before\":");
    serde_json::to_writer(&mut out, &next_before)
        .map_err(|e| Problem::internal(format!("cannot serialise the response: {e}")))?;
    out.push(b'}');
    Ok(json_bytes(StatusCode::OK, out))
}

/// A page of the decision log, newest first.
// `page` writes it entry by entry; this is its shape.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "DecisionList")]
#[expect(
    dead_code,
    reason = "the shape of the bytes `page` writes, for the OpenAPI document"
)]
pub(crate) struct DecisionPage {
    /// The entries, newest first.
    decisions: Vec<entitle_store::DecisionRecord>,
    /// Pass as `before` for the next page; null on the last page. Set when
    /// the page is full: `limit` entries, or the page byte limit (1 MiB by
    /// default) reached.
    next_before: Option<String>,
}

/// A logged decision with the actions it put in the outbox.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "DecisionWithActions")]
pub(crate) struct DecisionWithActions<'a> {
    #[serde(flatten)]
    record: &'a entitle_store::DecisionRecord,
    /// The steps the decision wrote to the outbox.
    actions: Vec<actions::ActionSummary<'a>>,
}

/// `GET /v1/decisions/{id}`.
pub(super) async fn get_decision(
    _caller: Caller,
    State(state): State<AppState>,
    Param(decision_id): Param<String>,
) -> Result<Response, Problem> {
    // `/v1/decisions/<policy>` is where that policy decides (POST): no
    // decision has a policy's id, so `GET` there is a wrong method, as the
    // OpenAPI document (one path per policy) says.
    if entitle::policies::POLICIES
        .iter()
        .any(|p| p.id == decision_id)
    {
        let mut response = Problem::new(
            problem::METHOD_NOT_ALLOWED,
            format!(
                "`GET` is not allowed on `/v1/decisions/{decision_id}`, where policy `{decision_id}` decides (`POST`); a decision id is a UUID"
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return Ok(response);
    }
    let record = state.store().log().decision(&decision_id).await?;
    let steps = state.store().outbox().of_decision(&decision_id).await?;
    json_value(&DecisionWithActions {
        record: &record,
        actions: actions::summaries(&steps),
    })
}
