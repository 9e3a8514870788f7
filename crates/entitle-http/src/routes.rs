//! The routes, the handlers, and the layers around them.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use entitle::policy::PolicyError;
use entitle::{DecideError, DecisionReport, FactsError, RenderFormat};
use entitle_store::{DecisionFilter, JsonText, NewDecision, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::{Level, error, info_span};

use crate::AppState;
use crate::actions;
use crate::auth::Role;
use crate::problem::{self, Kind, PROBLEM_JSON, Problem};

/// The request-id header.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole service: routes, auth, problems, request ids, tracing, body
/// limit and timeout.
pub fn router(state: AppState) -> Router {
    let options = state.options().clone();
    let api = Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/policies", get(list_policies))
        .route("/v1/policies/{policy}", get(policy_structure))
        .route("/v1/policies/{policy}/mermaid", get(policy_mermaid))
        .route("/v1/policies/{policy}/schema", get(policy_schema))
        .route("/v1/policies/{policy}/examples", get(policy_examples))
        .route("/v1/decisions", get(list_decisions))
        // One pattern, one parameter name: `{id}` is a decision id for GET
        // and a policy id for POST.
        .route("/v1/decisions/{id}", get(get_decision).post(decide))
        .route(
            "/v1/tickets/{ticket}/decisions/{policy}",
            post(decide_ticket),
        )
        .route("/v1/actions", get(actions::list_actions))
        .route("/v1/actions/{id}", get(actions::get_action))
        .route("/v1/actions/{id}/retry", post(actions::retry_action))
        .route("/v1/actions/{id}/cancel", post(actions::cancel_action))
        .route("/v1/actions/{id}/done", post(actions::done_action))
        .route("/v1/replay", post(crate::replay::replay))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(options.body_limit))
        .with_state(state);
    api.layer(
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn(sanitize_request_id))
            .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(|request: &Request| {
                        let id = request
                            .headers()
                            .get(X_REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("");
                        info_span!(
                            "request",
                            method = %request.method(),
                            path = %request.uri().path(),
                            request_id = %id,
                            role = tracing::field::Empty,
                        )
                    })
                    .on_response(
                        DefaultOnResponse::new()
                            .level(Level::INFO)
                            .latency_unit(tower_http::LatencyUnit::Micros),
                    ),
            )
            .layer(middleware::from_fn(problemize))
            .layer(CatchPanicLayer::custom(|_| {
                error!("a handler panicked");
                Problem::new(problem::INTERNAL, "the server failed to handle the request")
                    .into_response()
            }))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                options.request_timeout,
            ))
            .layer(middleware::from_fn_with_state(
                options.body_limit,
                crate::drain::drain_unread_body,
            )),
    )
}

// ---------------------------------------------------------------------------
// Middleware

/// Drops a client-sent `x-request-id` that is too long or holds characters
/// other than `[A-Za-z0-9._:-]`, so a fresh one is made (and logged) instead.
async fn sanitize_request_id(mut request: Request, next: Next) -> Response {
    let valid = request.headers().get(X_REQUEST_ID).map(|value| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 128
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
    });
    if valid == Some(false) {
        request.headers_mut().remove(X_REQUEST_ID);
    }
    next.run(request).await
}

/// Turns every error response into a problem: the handlers' own (adding the
/// request id) and the plain ones of the router and the layers (404 of an
/// unknown route, 405, 408, extractor rejections).
async fn problemize(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let mut problem = match parts.extensions.remove::<Problem>() {
        Some(problem) => problem,
        None => {
            let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
            let text = String::from_utf8_lossy(&text).trim().to_owned();
            plain_problem(status, &method, &path, text)
        }
    };
    problem.request_id = request_id;
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    if status == StatusCode::REQUEST_TIMEOUT {
        // The request was cut short: what is left of it is not read.
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Response::from_parts(parts, Body::from(body))
}

fn plain_problem(status: StatusCode, method: &Method, path: &str, text: String) -> Problem {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            problem::METHOD_NOT_ALLOWED,
            format!(
                "`{method}` is not allowed on `{path}`; the `Allow` header lists the methods that are"
            ),
        ),
        StatusCode::REQUEST_TIMEOUT => Problem::new(
            problem::TIMEOUT,
            "the request was not completed within the server's time limit",
        ),
        StatusCode::NOT_FOUND => Problem::new(
            problem::NOT_FOUND,
            format!("no route for `{method} {path}`"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(problem::TOO_LARGE, text),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Problem::new(problem::UNSUPPORTED_MEDIA_TYPE, text),
        StatusCode::BAD_REQUEST => Problem::new(
            problem::BAD_REQUEST,
            if text.is_empty() {
                "the request is not valid".to_owned()
            } else {
                text
            },
        ),
        status if status.is_client_error() => {
            let kind = problem::ALL_KINDS
                .iter()
                .copied()
                .find(|k| k.status == status)
                .unwrap_or(Kind {
                    slug: "client-error",
                    status,
                    title: "Bad request",
                });
            let detail = if text.is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("client error")
                    .to_owned()
            } else {
                text
            };
            Problem::new(kind, detail)
        }
        _ => Problem::new(
            problem::INTERNAL,
            if text.is_empty() {
                "the server failed to handle the request".to_owned()
            } else {
                text
            },
        ),
    }
}

// ---------------------------------------------------------------------------
// Auth

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    role: Role,
    token_id: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(Problem::new(
                problem::UNAUTHORIZED,
                "this endpoint needs `Authorization: Bearer <token>` (create one with `entitle tokens add`)",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(Problem::new(
                problem::UNAUTHORIZED,
                "the `Authorization` header must be `Bearer <token>`",
            ));
        };
        let tokens = state.tokens().get();
        match tokens.verify(token) {
            Some((role, id)) => {
                tracing::Span::current().record("role", role.id());
                Ok(Caller {
                    role,
                    token_id: id.to_owned(),
                })
            }
            None => Err(Problem::new(
                problem::UNAUTHORIZED,
                "the bearer token is not valid (unknown or revoked)",
            )),
        }
    }
}

impl Caller {
    /// The caller's role.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// The id of the caller's token.
    pub(crate) fn token_id(&self) -> &str {
        &self.token_id
    }

    fn require_decide(&self) -> Result<(), Problem> {
        if self.role.may_decide() {
            Ok(())
        } else {
            Err(Problem::new(
                problem::FORBIDDEN,
                format!(
                    "role `{}` (token `{}`) may read policies and the decision log, not ask for decisions",
                    self.role, self.token_id
                ),
            ))
        }
    }
}

/// The path parameters, as [`Path`] extracts them; a segment that does not
/// decode (`%ff` is not UTF-8) is a `bad-path` problem.
struct Param<T>(T);

impl<T, S> FromRequestParts<S> for Param<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Param(value)),
            Err(rejection) if rejection.status().is_client_error() => Err(Problem::new(
                problem::BAD_PATH,
                format!("{} (in `{}`)", rejection.body_text(), parts.uri.path()),
            )),
            Err(rejection) => Err(internal(rejection.body_text())),
        }
    }
}

// ---------------------------------------------------------------------------
// Public endpoints

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

async fn openapi() -> Response {
    json_bytes(StatusCode::OK, crate::openapi::document_bytes().clone())
}

async fn not_found(method: Method, request: Request) -> Problem {
    Problem::new(
        problem::NOT_FOUND,
        format!("no route for `{method} {}`", request.uri().path()),
    )
}

fn json_bytes(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(crate) fn json_value<T: Serialize>(value: &T) -> Result<Response, Problem> {
    serde_json::to_vec(value)
        .map(|body| json_bytes(StatusCode::OK, body))
        .map_err(|e| internal(format!("cannot serialise the response: {e}")))
}

pub(crate) fn internal(detail: impl Into<String>) -> Problem {
    let detail = detail.into();
    error!(%detail, "internal error");
    Problem::new(problem::INTERNAL, detail)
}

// ---------------------------------------------------------------------------
// Catalog

#[derive(Serialize)]
struct PolicyList {
    policies: &'static [entitle::policy::PolicyInfo],
}

async fn list_policies(_caller: Caller) -> Result<Response, Problem> {
    json_value(&PolicyList {
        policies: entitle::policies::POLICIES,
    })
}

fn policy_problem(error: PolicyError) -> Problem {
    match error {
        PolicyError::UnknownPolicy(id) => unknown_policy(&id),
        other => internal(other.to_string()),
    }
}

fn unknown_policy(id: &str) -> Problem {
    let known: Vec<&str> = entitle::policies::POLICIES.iter().map(|p| p.id).collect();
    Problem::new(
        problem::UNKNOWN_POLICY,
        format!(
            "no policy has the id `{id}`; policies: {}",
            known.join(", ")
        ),
    )
}

fn check_policy(id: &str) -> Result<(), Problem> {
    if entitle::policies::POLICIES.iter().any(|p| p.id == id) {
        Ok(())
    } else {
        Err(unknown_policy(id))
    }
}

async fn policy_structure(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    let text = entitle::render(&policy, RenderFormat::Json).map_err(policy_problem)?;
    Ok(json_bytes(StatusCode::OK, text))
}

async fn policy_mermaid(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    let text = entitle::render(&policy, RenderFormat::Mermaid).map_err(policy_problem)?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

async fn policy_schema(_caller: Caller, Param(policy): Param<String>) -> Result<Response, Problem> {
    let schema = entitle::schema(&policy).map_err(policy_problem)?;
    json_value(&schema)
}

async fn policy_examples(
    _caller: Caller,
    Param(policy): Param<String>,
) -> Result<Response, Problem> {
    match entitle::examples(&policy).map_err(policy_problem)? {
        Ok(examples) => json_value(&examples),
        Err(missing) => Err(internal(format!(
            "policy `{policy}` has paths no example takes: {}",
            missing.join("; ")
        ))),
    }
}

// ---------------------------------------------------------------------------
// Decisions

/// The body of `POST /v1/decisions/{policy}` (and, optionally, of the ticket
/// endpoint): the facts, kept raw so their errors name paths inside them,
/// and the instant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideBody<'a> {
    #[serde(borrow)]
    facts: Option<&'a RawValue>,
    #[serde(borrow, default)]
    now: Option<&'a RawValue>,
}

/// Reads a JSON body: 415 unless `Content-Type` is JSON, 413 over the limit.
/// `None` for an empty body when `optional`.
pub(crate) async fn read_json_body(
    request: Request,
    state: &AppState,
    optional: bool,
) -> Result<Option<Bytes>, Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let declared_empty = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() == b"0");
    if optional && content_type.is_none() && declared_empty {
        return Ok(None);
    }
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    problem::TOO_LARGE,
                    format!(
                        "the request body is over the limit of {} bytes",
                        state.options().body_limit
                    ),
                )
            } else {
                Problem::new(problem::MALFORMED, rejection.body_text())
            }
        })?;
    if optional && content_type.is_none() && bytes.is_empty() {
        return Ok(None);
    }
    match content_type.as_deref() {
        Some(ct) if is_json(ct) => Ok(Some(bytes)),
        Some(ct) => Err(Problem::new(
            problem::UNSUPPORTED_MEDIA_TYPE,
            format!("the body must be `application/json`, not `{ct}`"),
        )),
        None => Err(Problem::new(
            problem::UNSUPPORTED_MEDIA_TYPE,
            "the body must be `application/json`; set `Content-Type: application/json`",
        )),
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The member named in a serde message such as "unknown field `x`, ...".
fn backticked(message: &str) -> Option<&str> {
    let (_, after) = message.split_once('`')?;
    let (name, _) = after.split_once('`')?;
    Some(name)
}

/// Parses the envelope: 400 if not JSON, 422 if not the envelope.
fn parse_body(bytes: &[u8]) -> Result<(Option<&RawValue>, Option<DateTime<Utc>>), Problem> {
    let body: DecideBody<'_> = serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                Problem::new(problem::MALFORMED, format!("the body is not valid JSON: {e}"))
            }
            Category::Data => {
                let message = e.to_string();
                let problem = Problem::new(
                    problem::INVALID_BODY,
                    format!(
                        "the body must be {{\"facts\": {{...}}, \"now\": \"<RFC 3339>\"}}: {message}"
                    ),
                );
                match backticked(&message) {
                    Some(field) if message.contains("field") => problem.at(field),
                    _ => problem,
                }
            }
        }
    })?;
    // serde also reads a struct from an array (`[facts, now]`): the body
    // must be the object itself.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Problem::new(
            problem::INVALID_BODY,
            "the body must be a JSON object {\"facts\": {...}, \"now\": \"<RFC 3339>\"}, not an array",
        ));
    }
    let now = match body.now {
        None => None,
        Some(raw) if raw.get() == "null" => None,
        Some(raw) => {
            let text: String = serde_json::from_str(raw.get()).map_err(|_| {
                Problem::new(
                    problem::INVALID_BODY,
                    format!("`now` must be an RFC 3339 string, not {}", raw.get()),
                )
                .at("now")
            })?;
            let now = entitle::input::parse_instant(&text).map_err(|e| {
                Problem::new(problem::INVALID_BODY, format!("`now`: {e}")).at("now")
            })?;
            Some(now)
        }
    };
    Ok((body.facts, now))
}

/// A facts error as a 422 located under `facts`.
fn facts_problem(path: Option<&str>, message: &str) -> Problem {
    let mut field = String::from("facts");
    if let Some(path) = path {
        if !path.starts_with('[') {
            field.push('.');
        }
        field.push_str(path);
    }
    // serde names a missing member in the message, at the path of the
    // object that holds it (an unknown member is already in the path).
    if message.starts_with("missing field")
        && let Some(member) = backticked(message)
    {
        field.push('.');
        field.push_str(member);
    }
    Problem::new(problem::INVALID_FACTS, message.to_owned()).at(&field)
}

fn decide_problem(error: DecideError) -> Problem {
    match error {
        DecideError::Facts(FactsError::Empty) => facts_problem(None, "the facts are empty"),
        DecideError::Facts(FactsError::Invalid { path, message }) => {
            facts_problem(path.as_deref(), &message)
        }
        DecideError::Policy(e) => policy_problem(e),
    }
}

pub(crate) fn store_problem(error: StoreError) -> Problem {
    match error {
        StoreError::NotFound {
            entity: "ticket",
            id,
        } => Problem::new(
            problem::UNKNOWN_TICKET,
            format!("no ticket has the id `{id}`"),
        ),
        StoreError::NotFound {
            entity: "decision",
            id,
        } => Problem::new(
            problem::UNKNOWN_DECISION,
            format!("no decision has the id `{id}`"),
        ),
        StoreError::UnknownPolicy { policy } => unknown_policy(&policy),
        StoreError::InvalidSupplied { path, message, .. } => {
            facts_problem(path.as_deref(), &message)
        }
        e @ (StoreError::NotFound { .. }
        | StoreError::NotLinked { .. }
        | StoreError::NoLicense { .. }
        | StoreError::MissingField { .. }
        | StoreError::FactsNotStored { .. }) => {
            Problem::new(problem::INCOMPLETE_RECORDS, e.to_string())
        }
        e @ StoreError::Closed => Problem::new(problem::UNAVAILABLE, e.to_string()),
        e => internal(e.to_string()),
    }
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

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

/// A decision as answered: `decision_id`, the report, and the actions the
/// decision put in the outbox (or, when its ticket already had its license,
/// that license's action, with none of its own).
#[derive(Serialize)]
struct Decided<'a> {
    decision_id: &'a str,
    #[serde(flatten)]
    report: &'a DecisionReport,
    actions: Vec<actions::ActionSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_license: Option<ExistingLicense<'a>>,
}

/// The ticket's license action a decision found instead of making another.
#[derive(Serialize)]
struct ExistingLicense<'a> {
    #[serde(flatten)]
    action: actions::ActionSummary<'a>,
    decision_id: &'a str,
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
    JsonText::serialize(facts).map_err(|e| internal(format!("cannot serialise the facts: {e}")))
}

async fn decide_and_log(
    state: &AppState,
    caller: &Caller,
    ToDecide {
        policy,
        facts,
        now,
        request_id,
        ticket,
    }: ToDecide<'_>,
) -> Result<Response, Problem> {
    let report = entitle::decide_json(
        policy,
        facts.as_str().as_bytes(),
        now,
        &state.options().config,
    )
    .map_err(decide_problem)?;
    let entry = NewDecision::from_report(&report, facts, caller.role.id(), request_id, ticket)
        .and_then(|entry| {
            entry.with_actions(&report, &state.options().routes, Some(&caller.token_id))
        })
        .map_err(store_problem)?;
    let logged = state
        .store()
        .log_decision(entry)
        .await
        .map_err(store_problem)?;
    let existing_license = logged.existing_license.as_ref().map(|license| ExistingLicense {
        action: license.into(),
        decision_id: &license.decision_id,
        note: format!(
            "ticket `{}` already has its license action (decision {}); no second license is made",
            license.license_ticket.as_deref().unwrap_or_default(),
            license.decision_id
        ),
    });
    json_value(&Decided {
        decision_id: &logged.decision_id,
        report: &report,
        actions: actions::summaries(&logged.actions),
        existing_license,
    })
}

async fn decide(
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
                    json_type(&value)
                ),
            )
            .at("facts"));
        }
        apply_actor(&mut value, caller.role)?;
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

async fn decide_ticket(
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
        apply_actor(&mut object, caller.role)?;
        if let Value::Object(map) = object {
            supplied = map;
        }
    }
    let now = now.unwrap_or_else(Utc::now);
    let facts = state
        .store()
        .facts_for_ticket_with(&ticket, &policy, &supplied)
        .await
        .map_err(store_problem)?;
    let to_decide = ToDecide {
        policy: &policy,
        facts: facts_text(&facts)?,
        now,
        request_id: request_id(&headers),
        ticket: Some(ticket),
    };
    decide_and_log(&state, &caller, to_decide).await
}

// ---------------------------------------------------------------------------
// The log

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    ticket: Option<String>,
    policy: Option<String>,
    limit: Option<u32>,
    before: Option<String>,
}

/// Most entries one page may ask for.
const MAX_PAGE: u32 = 1000;

async fn list_decisions(
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
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::new(
            problem::BAD_QUERY,
            format!("`limit` must be between 1 and {MAX_PAGE}, not {limit}"),
        )
        .at("limit"));
    }
    if let Some(policy) = &query.policy {
        check_policy(policy)?;
    }
    if let Some(ticket) = &query.ticket {
        state.store().ticket(ticket).await.map_err(store_problem)?;
    }
    page(&state, query.ticket, query.policy, query.before, limit).await
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
            .decisions(&DecisionFilter {
                ticket_id: ticket_id.clone(),
                policy: policy.clone(),
                limit: want,
                before: before.take(),
            })
            .await
            .map_err(store_problem)?;
        let got = entries.len();
        for entry in entries {
            let bytes = serde_json::to_vec(&entry)
                .map_err(|e| internal(format!("cannot serialise the response: {e}")))?;
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
        .map_err(|e| internal(format!("cannot serialise the response: {e}")))?;
    out.push(b'}');
    Ok(json_bytes(StatusCode::OK, out))
}

/// A logged decision with the actions it put in the outbox.
#[derive(Serialize)]
struct DecisionWithActions<'a> {
    #[serde(flatten)]
    record: &'a entitle_store::DecisionRecord,
    actions: Vec<actions::ActionSummary<'a>>,
}

async fn get_decision(
    _caller: Caller,
    State(state): State<AppState>,
    Param(decision_id): Param<String>,
) -> Result<Response, Problem> {
    let record = state
        .store()
        .decision(&decision_id)
        .await
        .map_err(store_problem)?;
    let steps = state
        .store()
        .decision_actions(&decision_id)
        .await
        .map_err(store_problem)?;
    json_value(&DecisionWithActions {
        record: &record,
        actions: actions::summaries(&steps),
    })
}
