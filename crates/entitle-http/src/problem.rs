//! Errors as RFC 9457 problem details (`application/problem+json`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entitle::policy::{Fault, PolicyError};
use entitle_store::StoreError;
use serde::Serialize;
use tracing::error;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem: `type`, `title`, `status`, `detail` and, for facts and body
/// errors, the field path as both a JSON Pointer into the request body
/// (`pointer`: `/facts/license/expires_on`) and a dotted path (`field`:
/// `facts.license.expires_on`); `request_id` repeats the `x-request-id`
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The kind: `type`, `title` and `status`.
    pub kind: Kind,
    /// What went wrong with this request.
    pub detail: String,
    /// The dotted path of the offending member of the request body.
    pub field: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

impl Serialize for Problem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &self.kind.uri())?;
        map.serialize_entry("title", self.kind.title)?;
        map.serialize_entry("status", &self.kind.status.as_u16())?;
        map.serialize_entry("detail", &self.detail)?;
        if let Some(field) = &self.field {
            map.serialize_entry("pointer", &pointer_of(field))?;
            map.serialize_entry("field", field)?;
        }
        if let Some(id) = &self.request_id {
            map.serialize_entry("request_id", id)?;
        }
        map.end()
    }
}

/// The schema of what [`Problem`]'s `Serialize` writes, beside it.
impl schemars::JsonSchema for Problem {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Problem".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An RFC 9457 problem. `pointer` (JSON Pointer into the request body) and `field` (the same as a dotted path) locate a facts or body error.",
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string", "format": "uri", "examples": ["urn:entitle:problem:invalid-facts"]},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "pointer": {"type": "string", "examples": ["/facts/license/expires_on"]},
                "field": {"type": "string", "examples": ["facts.license.expires_on"]},
                "request_id": {"type": "string"}
            }
        })
    }
}

/// A problem kind: its URN suffix, status and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The last part of the `type` URN.
    pub slug: &'static str,
    /// The status code.
    pub status: StatusCode,
    /// The title.
    pub title: &'static str,
}

macro_rules! kinds {
    ($( $(#[$m:meta])* $name:ident = ($slug:literal, $status:ident, $title:literal); )+) => {
        $( $(#[$m])* pub const $name: Kind = Kind { slug: $slug, status: StatusCode::$status, title: $title }; )+
        /// Every problem kind (the OpenAPI document lists them).
        pub const ALL_KINDS: &[Kind] = &[$($name),+];
    };
}

kinds! {
    /// 400: the body is not JSON.
    MALFORMED = ("malformed-json", BAD_REQUEST, "Malformed JSON");
    /// 400: a query parameter is wrong.
    BAD_QUERY = ("bad-query", BAD_REQUEST, "Bad query parameters");
    /// 400: a path segment is not what the route takes (e.g. `%ff`, not UTF-8).
    BAD_PATH = ("bad-path", BAD_REQUEST, "Bad path parameter");
    /// 400: the request is not valid HTTP (request line, headers, framing).
    BAD_REQUEST = ("bad-request", BAD_REQUEST, "Malformed HTTP request");
    /// 401: no token or an unknown one.
    UNAUTHORIZED = ("unauthorized", UNAUTHORIZED, "Missing or invalid bearer token");
    /// 401: an intake delivery that is not the service's (signature,
    /// timestamp or token).
    INTAKE_UNAUTHORIZED = ("intake-unauthorized", UNAUTHORIZED, "Delivery not authentic");
    /// 403: the role may not do this.
    FORBIDDEN = ("forbidden", FORBIDDEN, "Role not allowed");
    /// 403: the facts claim an actor other than the caller's role.
    ACTOR_MISMATCH = ("actor-mismatch", FORBIDDEN, "Actor does not match the caller's role");
    /// 404: no such route.
    NOT_FOUND = ("not-found", NOT_FOUND, "Not found");
    /// 404: no such policy.
    UNKNOWN_POLICY = ("unknown-policy", NOT_FOUND, "Unknown policy");
    /// 404: no such ticket.
    UNKNOWN_TICKET = ("unknown-ticket", NOT_FOUND, "Unknown ticket");
    /// 404: no such decision.
    UNKNOWN_DECISION = ("unknown-decision", NOT_FOUND, "Unknown decision");
    /// 404: no such action (outbox step).
    UNKNOWN_ACTION = ("unknown-action", NOT_FOUND, "Unknown action");
    /// 409: the action's status does not allow the change asked for.
    ACTION_CONFLICT = ("action-conflict", CONFLICT, "Action status does not allow this change");
    /// 405: the route exists, not with this method.
    METHOD_NOT_ALLOWED = ("method-not-allowed", METHOD_NOT_ALLOWED, "Method not allowed");
    /// 408: the request took longer than the server's limit.
    TIMEOUT = ("timeout", REQUEST_TIMEOUT, "Request timed out");
    /// 413: the body is over the limit.
    TOO_LARGE = ("body-too-large", PAYLOAD_TOO_LARGE, "Request body too large");
    /// 414: the request target is too long.
    URI_TOO_LONG = ("uri-too-long", URI_TOO_LONG, "URI too long");
    /// 415: the body is not `application/json`.
    UNSUPPORTED_MEDIA_TYPE = ("unsupported-media-type", UNSUPPORTED_MEDIA_TYPE, "Unsupported media type");
    /// 422: the body's envelope is wrong (unknown member, bad `now`).
    INVALID_BODY = ("invalid-body", UNPROCESSABLE_ENTITY, "Invalid request body");
    /// 422: the facts do not validate against the policy.
    INVALID_FACTS = ("invalid-facts", UNPROCESSABLE_ENTITY, "Invalid facts");
    /// 422: the store's records cannot make valid facts for this policy.
    INCOMPLETE_RECORDS = ("incomplete-records", UNPROCESSABLE_ENTITY, "The ticket's records cannot decide this policy");
    /// 422: an intake delivery cannot start a decision (recorded as refused).
    INTAKE_REFUSED = ("intake-refused", UNPROCESSABLE_ENTITY, "Delivery refused");
    /// 422: a replay would decide more decisions than the server allows.
    REPLAY_TOO_LARGE = ("replay-too-large", UNPROCESSABLE_ENTITY, "Replay matches too many decisions");
    /// 431: the request's headers are too large or too many.
    HEADERS_TOO_LARGE = ("headers-too-large", REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large");
    /// 500: a defect or a storage failure.
    INTERNAL = ("internal", INTERNAL_SERVER_ERROR, "Internal server error");
    /// 503: the store is unavailable.
    UNAVAILABLE = ("unavailable", SERVICE_UNAVAILABLE, "Service unavailable");
}

impl Kind {
    /// The `type` URI.
    pub fn uri(self) -> String {
        format!("urn:entitle:problem:{}", self.slug)
    }
}

impl Problem {
    /// A problem of kind `kind` with `detail`.
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            field: None,
            request_id: None,
        }
    }

    /// The same problem, located at the dotted path `field` of the body
    /// (`facts.license.expires_on`, `facts.seat_link_dates[1]`).
    pub fn at(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.kind.status
    }

    /// A 500 with `detail`, logged as an error.
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        error!(%detail, "internal error");
        Problem::new(INTERNAL, detail)
    }

    /// A 404 for the policy `id`, listing the policies there are.
    pub fn unknown_policy(id: &str) -> Self {
        let known: Vec<&str> = entitle::policies::POLICIES.iter().map(|p| p.id).collect();
        Problem::new(
            UNKNOWN_POLICY,
            format!(
                "no policy has the id `{id}`; policies: {}",
                known.join(", ")
            ),
        )
    }

    /// A 422 for facts that are not valid, located under `facts` at `field`
    /// (the path [`entitle::FactsError::field`] names).
    pub fn invalid_facts(field: Option<&str>, message: impl Into<String>) -> Self {
        let mut at = String::from("facts");
        if let Some(field) = field {
            if !field.starts_with('[') {
                at.push('.');
            }
            at.push_str(field);
        }
        Problem::new(INVALID_FACTS, message).at(&at)
    }
}

impl From<entitle::FactsError> for Problem {
    fn from(error: entitle::FactsError) -> Self {
        let field = error.field();
        match error {
            entitle::FactsError::Empty => Problem::invalid_facts(None, "the facts are empty"),
            entitle::FactsError::Invalid { message, .. } => {
                Problem::invalid_facts(field.as_deref(), message)
            }
        }
    }
}

/// An unknown policy is the request's fault (404); the configuration is
/// the operator's, checked when the service starts, so a configuration
/// error here is ours (500), as a defect is.
impl From<PolicyError> for Problem {
    fn from(error: PolicyError) -> Self {
        match (error.fault(), error) {
            (Fault::Request, PolicyError::UnknownPolicy(id)) => Problem::unknown_policy(&id),
            (_, other) => Problem::internal(other.to_string()),
        }
    }
}

impl From<entitle::DecideError> for Problem {
    fn from(error: entitle::DecideError) -> Self {
        match error {
            entitle::DecideError::Facts(e) => e.into(),
            entitle::DecideError::Policy(e) => e.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound {
                entity: "ticket",
                id,
            } => Problem::new(UNKNOWN_TICKET, format!("no ticket has the id `{id}`")),
            StoreError::NotFound {
                entity: "decision",
                id,
            } => Problem::new(UNKNOWN_DECISION, format!("no decision has the id `{id}`")),
            StoreError::UnknownPolicy { policy } => Problem::unknown_policy(&policy),
            StoreError::InvalidSupplied { path, message, .. } => {
                entitle::FactsError::Invalid { path, message }.into()
            }
            e @ (StoreError::NotFound { .. }
            | StoreError::RecordsLack { .. }
            | StoreError::FactsNotStored { .. }) => Problem::new(INCOMPLETE_RECORDS, e.to_string()),
            e @ StoreError::Closed => Problem::new(UNAVAILABLE, e.to_string()),
            e @ StoreError::LicenseWithoutTicket { .. } => {
                Problem::new(INVALID_FACTS, e.to_string()).at("facts.ticket_url")
            }
            e => Problem::internal(e.to_string()),
        }
    }
}

/// A JSON Pointer (RFC 6901) for a dotted path with `[n]` indexes.
pub fn pointer_of(field: &str) -> String {
    let mut out = String::new();
    for segment in field.split('.') {
        let mut rest = segment;
        // `name[1][2]` -> `/name/1/2`.
        let (name, indexes) = rest
            .find('[')
            .and_then(|i| rest.split_at_checked(i))
            .unwrap_or((rest, ""));
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        rest = indexes;
        while let Some(stripped) = rest.strip_prefix('[') {
            match stripped.split_once(']') {
                Some((index, after)) => {
                    out.push('/');
                    out.push_str(index);
                    rest = after;
                }
                None => break,
            }
        }
    }
    out
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        // The problem middleware adds the request id and re-serialises it.
        response.extensions_mut().insert(self);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"entitle\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers() {
        assert_eq!(
            pointer_of("facts.license.expires_on"),
            "/facts/license/expires_on"
        );
        assert_eq!(
            pointer_of("facts.seat_link_dates[1]"),
            "/facts/seat_link_dates/1"
        );
        assert_eq!(pointer_of("facts"), "/facts");
        assert_eq!(pointer_of("now"), "/now");
        assert_eq!(pointer_of("m[0][12].a~b/c"), "/m/0/12/a~0b~1c");
        // Non-ASCII names and an unclosed index neither panic nor lose text.
        assert_eq!(pointer_of("größe[3]"), "/größe/3");
        assert_eq!(pointer_of("a[1"), "/a");
    }
}
