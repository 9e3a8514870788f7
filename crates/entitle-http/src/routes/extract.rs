//! What handlers take from a request: the caller (from the bearer token),
//! path parameters, the request id, a listing's page (`limit`, `before`),
//! and JSON bodies (the media type, the size limit, and the decision
//! envelope `{"facts": ..., "now": ...}`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::layers::X_REQUEST_ID;
use crate::AppState;
use crate::auth::Role;
use crate::problem::{self, Problem};

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    role: Role,
    token_id: String,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        // Two tokens name two callers: taking the first (as `get` does)
        // made the order of the headers choose the role.
        if parts
            .headers
            .get_all(header::AUTHORIZATION)
            .iter()
            .nth(1)
            .is_some()
        {
            return Err(Problem::new(
                problem::BAD_REQUEST,
                "the request has more than one `Authorization` header: send one, `Authorization: Bearer <token>`",
            ));
        }
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
    /// A caller with `role`, by the token `token_id` (a console session's).
    pub(crate) fn new(role: Role, token_id: String) -> Self {
        Caller { role, token_id }
    }

    /// The caller's role.
    pub(crate) fn role(&self) -> Role {
        self.role
    }

    /// The id of the caller's token.
    pub(crate) fn token_id(&self) -> &str {
        &self.token_id
    }

    /// Refuses (403) a role that may not ask for decisions.
    pub(crate) fn require_decide(&self) -> Result<(), Problem> {
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
pub(super) struct Param<T>(pub(super) T);

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
            Err(rejection) => Err(Problem::internal(rejection.body_text())),
        }
    }
}

/// The body of `POST /v1/decisions/{policy}` (and, optionally, of the ticket
/// endpoint): the facts, kept raw so their errors name paths inside them,
/// and the instant.
///
/// Its schema is the decide request's; the OpenAPI document puts each
/// policy's facts schema in `facts`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    rename = "DecideRequest",
    description = "The facts to decide on, and the instant to decide at."
)]
pub(crate) struct DecideBody<'a> {
    /// The facts of the policy in the path (`GET
    /// /v1/policies/{policy}/schema`); unknown members are errors. For a
    /// policy with an `actor` member the server sets it to the caller's
    /// role: leave it out, or give the same role (anything else is 403).
    #[serde(borrow)]
    #[schemars(required, with = "serde_json::Map<String, serde_json::Value>")]
    facts: Option<&'a RawValue>,
    /// The instant to decide at (RFC 3339, at most 9 fractional digits, no
    /// leap second); default: the server's clock.
    #[serde(borrow, default)]
    #[schemars(with = "Option<DateTime<Utc>>")]
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
    // An optional body left empty is no body, whether or not the client
    // declared it JSON (`curl -H 'Content-Type: application/json' -X POST`).
    if optional
        && bytes.iter().all(is_json_whitespace)
        && content_type.as_deref().is_none_or(is_json)
    {
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

/// JSON's white space (RFC 8259): space, tab, line feed, carriage return;
/// not the form feed `u8::is_ascii_whitespace` also takes, which makes a
/// body of `\x0c` no JSON rather than no body.
fn is_json_whitespace(byte: &u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
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
    let (_, rest) = message.split_once('`')?;
    rest.split_once('`').map(|(member, _)| member)
}

/// Parses the envelope: 400 if not JSON, 422 if not the envelope.
pub(super) fn parse_body(
    bytes: &[u8],
) -> Result<(Option<&RawValue>, Option<DateTime<Utc>>), Problem> {
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
    if bytes.iter().find(|b| !is_json_whitespace(b)) != Some(&b'{') {
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

/// The request id the layers set (or the client sent), for the log.
pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The JSON Schema `pattern` of a listing's `before`: a UUID, hyphenated
/// or in its 32 hexadecimal digits (what [`page_cursor`] takes).
pub(crate) const UUID_PATTERN: &str = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$";

/// The most entries a listing's page holds (`limit`).
pub(super) const MAX_PAGE: u32 = 1000;

/// A listing's `limit` (100 when absent): 1 to [`MAX_PAGE`].
pub(super) fn page_limit(limit: Option<u32>) -> Result<u32, Problem> {
    let limit = limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Problem::new(
            problem::BAD_QUERY,
            format!("`limit` must be between 1 and {MAX_PAGE}, not {limit}"),
        )
        .at("limit"));
    }
    Ok(limit)
}

/// A listing's `before`: an id of what is listed (`of`: `a decision`,
/// `an action`, as the message says it), as a page's `next_before` gives it. Anything else would match
/// no id and list from the start. Ids are stored in the canonical spelling
/// (lower-case, hyphenated) and compared as text, so any other spelling of
/// a UUID (upper case, no hyphens, braces, `urn:uuid:`) is turned into it:
/// compared as it was, it gave an empty page or restarted from the newest.
pub(super) fn page_cursor(before: Option<String>, of: &str) -> Result<Option<String>, Problem> {
    let Some(id) = before else {
        return Ok(None);
    };
    match uuid::Uuid::try_parse(&id) {
        Ok(uuid) => Ok(Some(uuid.hyphenated().to_string())),
        Err(_) => Err(Problem::new(
            problem::BAD_QUERY,
            format!("`before` must be {of} id (a UUID, as `next_before` gives it), not `{id}`"),
        )
        .at("before")),
    }
}
