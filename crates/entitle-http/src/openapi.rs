//! The OpenAPI 3.1 document of the service, `GET /v1/openapi.json`,
//! generated from the types.
//!
//! - **Schemas** come from the types, by schemars (JSON Schema 2020-12, the
//!   dialect of OpenAPI 3.1): the answers from the types the handlers
//!   serialise (the store's records, the core's report, the routes' own
//!   answers), with serde's serialising rules; the request bodies and the
//!   query parameters from the types the handlers read, with serde's reading
//!   rules; each policy's facts schema as `GET
//!   /v1/policies/{policy}/schema` serves it ([`entitle::schema`]).
//! - **What a type cannot say** (paths, operations, statuses, security,
//!   links) is assembled here, in [`document`].
//!
//! Each policy has its own decide operation (`POST /v1/decisions/<id>`),
//! so its request body holds that policy's facts schema, and the answers
//! carry OpenAPI links to the decision and its actions by id. The
//! integration tests check the document against every response they see;
//! Schemathesis (`tests/schemathesis/mod.rs`, run by the integration test
//! `http_api::schemathesis_finds_no_failure`) checks it against the server.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::body::Bytes;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema, json_schema};
use serde_json::{Map, Value, json};

use crate::problem::{ALL_KINDS, Problem};
use crate::routes::actions::{ActionList, ActionQuery, DoneBody, NoteBody};
use crate::routes::catalog::{Health, PolicyList};
use crate::routes::decisions::DecisionAnswer;
use crate::routes::extract::{DecideBody, UUID_PATTERN};
use crate::routes::intake::{Answer, IntakePage, IntakeQuery};
use crate::routes::log::{DecisionPage, DecisionWithActions, ListQuery};
use crate::routes::replay::ReplayBody;

/// The document, serialised once.
pub fn document_bytes() -> &'static Bytes {
    static BYTES: LazyLock<Bytes> =
        LazyLock::new(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()));
    &BYTES
}

/// A policy id: one of the registry's.
pub struct PolicyId;

impl JsonSchema for PolicyId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "PolicyId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A policy id (`GET /v1/policies` lists them).",
            "enum": policy_ids(),
        })
    }
}

/// A bound of a replay: a date (UTC) or an RFC 3339 instant
/// ([`entitle_store::replay::parse_bound`]).
pub struct Bound;

impl JsonSchema for Bound {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Bound".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                {"type": "string", "format": "date", "pattern": entitle::input::DATE_PATTERN},
                {"type": "string", "format": "date-time"},
            ]
        })
    }
}

fn policy_ids() -> Vec<&'static str> {
    entitle::policies::POLICIES.iter().map(|p| p.id).collect()
}

/// The schemas of the document, as the operations ask for them.
struct Components {
    /// The answers' schemas (serialising rules), named in
    /// `components.schemas`.
    answers: SchemaGenerator,
    /// Every other schema of `components.schemas`.
    schemas: Map<String, Value>,
}

impl Components {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12()
            .with(|s| {
                s.definitions_path = "/components/schemas".into();
                s.meta_schema = None;
            })
            .for_serialize();
        Components {
            answers: settings.into_generator(),
            schemas: Map::new(),
        }
    }

    /// A reference to the schema of the answer type `T`.
    fn answer<T: JsonSchema>(&mut self) -> Value {
        self.answers.subschema_for::<T>().to_value()
    }

    /// A reference to the schema of the request type `T` (reading rules),
    /// stored as `name` (its own definitions as `name.*`).
    fn request<T: JsonSchema>(&mut self, name: &str) -> Value {
        let schema = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        let schema = hoist(&schema, name, &mut self.schemas);
        self.schemas.insert(name.to_owned(), schema);
        reference(name)
    }

    /// Sets member `member` of the stored request schema `name`.
    fn property(&mut self, name: &str, member: &str, schema: Value) {
        if let Some(Value::Object(properties)) = self
            .schemas
            .get_mut(name)
            .and_then(|s| s.get_mut("properties"))
        {
            properties.insert(member.to_owned(), schema);
        }
    }

    /// The query parameters read as `T`, each one a member of its schema
    /// (absent rather than null), its definitions stored as `name.*`.
    fn query<T: JsonSchema>(&mut self, name: &str) -> Vec<Value> {
        let schema = schemars::generate::SchemaSettings::draft2020_12()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value();
        let schema = hoist(&schema, name, &mut self.schemas);
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Vec::new();
        };
        properties
            .iter()
            .map(|(member, schema)| {
                let mut schema = not_null(schema.clone());
                let description = schema
                    .as_object_mut()
                    .and_then(|s| s.remove("description"))
                    .unwrap_or(Value::Null);
                let mut parameter = json!({"name": member, "in": "query", "schema": schema});
                if let (Some(p), Value::String(_)) = (parameter.as_object_mut(), &description) {
                    p.insert("description".to_owned(), description);
                }
                parameter
            })
            .collect()
    }

    /// A reference to policy `id`'s facts schema, as `GET
    /// /v1/policies/{id}/schema` serves it, with the bounds of its
    /// integers.
    fn facts(&mut self, policy: &entitle::policy::PolicyInfo) -> Value {
        let name = format!("Facts.{}", policy.id);
        let mut schema = entitle::schema(policy.id).unwrap_or_else(|_| json!({"type": "object"}));
        bound_integers(&mut schema);
        if policy.role_sensitive
            && let Some(Value::Array(required)) = schema.get_mut("required")
        {
            // The server sets `actor` to the caller's role.
            required.retain(|member| member != "actor");
        }
        let schema = hoist(&schema, &name, &mut self.schemas);
        self.schemas.insert(name.clone(), schema);
        reference(&name)
    }

    /// Every schema, for `components.schemas`.
    fn into_schemas(mut self) -> Map<String, Value> {
        let mut schemas = self.answers.take_definitions(true);
        schemas.append(&mut self.schemas);
        schemas
    }
}

/// Adds the `maximum` schemars leaves out of an unsigned integer's schema
/// (`format: uint32` says it, but validators ignore formats), so a number
/// the server's integer type cannot hold is out of the schema too.
fn bound_integers(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let maximum = match map.get("format").and_then(Value::as_str) {
                Some("uint8") => Some(u64::from(u8::MAX)),
                Some("uint16") => Some(u64::from(u16::MAX)),
                Some("uint32") => Some(u64::from(u32::MAX)),
                Some("uint64") => Some(u64::MAX),
                _ => None,
            };
            if let Some(maximum) = maximum {
                map.entry("maximum").or_insert(json!(maximum));
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// A query member's schema without `null`: an absent parameter is `None`.
fn not_null(mut schema: Value) -> Value {
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(options)) = object.get_mut("anyOf") {
        options.retain(|o| o.get("type").and_then(Value::as_str) != Some("null"));
        if let [only] = options.as_slice() {
            let only = only.clone();
            object.remove("anyOf");
            if let Value::Object(only) = only {
                for (key, value) in only {
                    object.entry(key).or_insert(value);
                }
            }
        }
    }
    schema
}

/// Moves the `$defs` of a root schema into `components.schemas` under
/// `prefix.NAME` and rewrites its references to match.
fn hoist(schema: &Value, prefix: &str, components: &mut Map<String, Value>) -> Value {
    fn rewrite(value: &mut Value, prefix: &str) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key == "$ref" {
                        if let Some(name) = v.as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
                            *v = Value::String(format!("#/components/schemas/{prefix}.{name}"));
                        }
                    } else {
                        rewrite(v, prefix);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, prefix)),
            _ => {}
        }
    }
    let mut schema = schema.clone();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(defs)) = object.remove("$defs") {
            for (name, mut def) in defs {
                rewrite(&mut def, prefix);
                components.insert(format!("{prefix}.{name}"), def);
            }
        }
    }
    rewrite(&mut schema, prefix);
    schema
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A response of `status` with a problem body.
fn problem_response(status: u16) -> (String, Value) {
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let kinds: Vec<String> = ALL_KINDS
        .iter()
        .filter(|k| k.status.as_u16() == status)
        .map(|k| format!("`{}`", k.uri()))
        .collect();
    (
        status.to_string(),
        json!({
            "description": format!("{reason}: a problem ({})", kinds.join(", ")),
            "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/problem+json": {"schema": reference("Problem")}}
        }),
    )
}

/// A 200 of `media` (`schema`), with `links` to the operations its ids
/// lead to.
fn ok(description: &str, media: &str, schema: Value, links: Value) -> (String, Value) {
    let mut response = json!({
        "description": description,
        "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
        "content": {media: {"schema": schema}}
    });
    if let (Some(r), Value::Object(links)) = (response.as_object_mut(), links)
        && !links.is_empty()
    {
        r.insert("links".to_owned(), Value::Object(links));
    }
    ("200".to_owned(), response)
}

fn ok_json(description: &str, schema: Value) -> (String, Value) {
    ok(description, "application/json", schema, Value::Null)
}

fn responses(ok: (String, Value), problems: &[u16]) -> Value {
    let mut map = Map::new();
    map.insert(ok.0, ok.1);
    for status in problems {
        let (k, v) = problem_response(*status);
        map.insert(k, v);
    }
    Value::Object(map)
}

/// Links from an answer to the operations on the action at `pointer`
/// (`$response.body#<pointer>`).
fn action_links(pointer: &str) -> Map<String, Value> {
    let mut links = Map::new();
    for (name, operation) in [
        ("GetAction", "getAction"),
        ("RetryAction", "retryAction"),
        ("CancelAction", "cancelAction"),
        ("MarkActionDone", "markActionDone"),
    ] {
        links.insert(
            name.to_owned(),
            json!({"operationId": operation, "parameters": {"id": format!("$response.body#{pointer}")}}),
        );
    }
    links
}

/// Links from an answer to the decision whose id is at `pointer`.
fn decision_link(pointer: &str) -> Map<String, Value> {
    let mut links = Map::new();
    links.insert(
        "GetDecision".to_owned(),
        json!({"operationId": "getDecision", "parameters": {"id": format!("$response.body#{pointer}")}}),
    );
    links
}

/// Statuses any request may get: a request that is not valid HTTP (400
/// `bad-request`), a request target over 64 KiB (414), headers too large
/// or too many (431), a timeout, a failure.
const ANY: [u16; 5] = [400, 408, 414, 431, 500];

/// Statuses any authenticated request may get.
const AUTH: [u16; 7] = [400, 401, 408, 414, 431, 500, 503];

fn with(extra: &[u16]) -> Vec<u16> {
    let mut all: Vec<u16> = AUTH.to_vec();
    all.extend_from_slice(extra);
    all.sort_unstable();
    all.dedup();
    all
}

fn path_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

fn policy_param() -> Value {
    path_param(
        "policy",
        "A policy id (`GET /v1/policies` lists them).",
        json!({"type": "string", "enum": policy_ids()}),
    )
}

fn action_param() -> Value {
    path_param(
        "id",
        "An action id (from a decision's `actions`).",
        json!({"type": "string"}),
    )
}

fn json_body(required: bool, schema: Value) -> Value {
    json!({"required": required, "content": {"application/json": {"schema": schema}}})
}

/// The document.
pub fn document() -> Value {
    let mut c = Components::new();
    let decide_problems = with(&[403, 404, 413, 415, 422]);
    let read_problems = with(&[403, 404]);
    let change_problems = with(&[403, 404, 409, 413, 415, 422]);
    let decision = c.answer::<DecisionAnswer<'static>>();
    // A decision links to its entry, and to its first action when its
    // policy declares any (`PolicyInfo::actions`).
    let links_of = |asks_for_actions: bool| {
        let mut links = decision_link("/decision_id");
        if asks_for_actions {
            links.extend(action_links("/actions/0/id"));
        }
        Value::Object(links)
    };
    let decision_links = links_of(true);

    let mut paths = Map::new();
    let mut path = |template: &str, item: Value| {
        paths.insert(template.to_owned(), item);
    };
    path(
        "/healthz",
        json!({"get": {
            "operationId": "healthz",
            "summary": "Liveness: the process serves requests.",
            "security": [],
            "responses": responses(ok_json("Alive.", c.answer::<Health>()), &ANY)
        }}),
    );
    path(
        "/v1/openapi.json",
        json!({"get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": responses(ok_json("The OpenAPI 3.1 document.", json!({"type": "object", "required": ["openapi", "info", "paths"]})), &ANY)
        }}),
    );
    path(
        "/v1/policies",
        json!({"get": {
            "operationId": "listPolicies",
            "summary": "Every policy: id, summary, version. Any role.",
            "responses": responses(ok_json("The policies.", c.answer::<PolicyList>()), &with(&[403]))
        }}),
    );
    path(
        "/v1/policies/{policy}",
        json!({"get": {
            "operationId": "getPolicy",
            "summary": "A policy's decision graph as JSON. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok_json("The graph.", c.answer::<entitle::graph::GraphDescription>()), &read_problems)
        }}),
    );
    path(
        "/v1/policies/{policy}/mermaid",
        json!({"get": {
            "operationId": "getPolicyMermaid",
            "summary": "A policy's decision graph as a Mermaid flowchart. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok("The flowchart.", "text/plain", json!({"type": "string"}), Value::Null), &read_problems)
        }}),
    );
    path(
        "/v1/policies/{policy}/schema",
        json!({"get": {
            "operationId": "getPolicySchema",
            "summary": "The JSON Schema (2020-12) of a policy's facts. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok_json("The schema.", json!({"type": "object"})), &read_problems)
        }}),
    );
    path(
        "/v1/policies/{policy}/examples",
        json!({"get": {
            "operationId": "getPolicyExamples",
            "summary": "One worked example per path of the policy's graph. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok_json("The examples.", c.answer::<Vec<entitle::ExampleReport>>()), &read_problems)
        }}),
    );
    path(
        "/v1/decisions",
        json!({"get": {
            "operationId": "listDecisions",
            "summary": "Entries of the decision log, newest first. Any role.",
            "description": "A page holds at most `limit` entries and, past its first entry, at most the server's page byte limit of entries (1 MiB by default): it stops before the entry that would pass it, so a page may hold fewer than `limit` entries while more follow. Continue with `before` = `next_before` until `next_before` is null.",
            "parameters": c.query::<ListQuery>("DecisionQuery"),
            "responses": responses(
                ok("The entries.", "application/json", c.answer::<DecisionPage>(), Value::Object(decision_link("/decisions/0/decision_id"))),
                &with(&[403, 404]),
            )
        }}),
    );
    path(
        "/v1/decisions/{id}",
        json!({"get": {
            "operationId": "getDecision",
            "summary": "One entry of the decision log, with the actions it made. Any role.",
            "parameters": [path_param("id", "A decision id (a UUID, as a decision's `decision_id` gives it).", json!({"type": "string", "pattern": UUID_PATTERN}))],
            "responses": responses(
                ok("The entry.", "application/json", c.answer::<DecisionWithActions<'static>>(), Value::Object(action_links("/actions/0/id"))),
                &read_problems,
            )
        }}),
    );
    for policy in entitle::policies::POLICIES {
        let facts = c.facts(policy);
        let name = format!("DecideRequest.{}", policy.id);
        let body = c.request::<DecideBody<'static>>(&name);
        // The request's `facts` are the policy's.
        c.property(&name, "facts", facts);
        path(
            &format!("/v1/decisions/{}", policy.id),
            json!({"post": {
                "operationId": format!("decide.{}", policy.id),
                "summary": format!("Decide facts under `{}` ({}); the decision is in the log before the answer is sent. Roles: support-engineer, support-manager, lr-team.", policy.id, policy.summary),
                "requestBody": json_body(true, body),
                "responses": responses(ok("The decision.", "application/json", decision.clone(), links_of(!policy.actions.is_empty())), &decide_problems)
            }}),
        );
    }
    let ticket_body = c.request::<DecideBody<'static>>("TicketDecideRequest");
    if let Some(Value::Object(schema)) = c.schemas.get_mut("TicketDecideRequest") {
        // Only the facts no record holds, if the policy needs any.
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.insert(
                "facts".to_owned(),
                json!({"type": ["object", "null"], "description": "The facts no record holds (e.g. `lr_team_available`), if the policy needs any."}),
            );
        }
        schema.remove("required");
    }
    path(
        "/v1/tickets/{ticket}/decisions/{policy}",
        json!({"post": {
            "operationId": "decideTicket",
            "summary": "Decide a policy on the facts the store assembles for a ticket; logged with the ticket id. Roles: support-engineer, support-manager, lr-team.",
            "parameters": [
                path_param("ticket", "A stored ticket id.", json!({"type": "string"})),
                path_param("policy", "A policy whose facts the store keeps.", json!({"type": "string", "enum": entitle::fact_source::stored_policy_ids()})),
            ],
            "requestBody": json_body(false, ticket_body),
            "responses": responses(ok("The decision.", "application/json", decision.clone(), decision_links.clone()), &decide_problems)
        }}),
    );
    let action = c.answer::<entitle_store::ActionRecord>();
    let action_detail = c.answer::<entitle_store::ActionDetail>();
    let note_body = c.request::<NoteBody>("NoteRequest");
    let done_body = c.request::<DoneBody>("DoneRequest");
    path(
        "/v1/actions",
        json!({"get": {
            "operationId": "listActions",
            "summary": "Actions (outbox steps) of the decisions, newest first. Any role.",
            "description": "See docs/actions.md: statuses, retries, manual tasks. Continue with `before` = `next_before` until it is null.",
            "parameters": c.query::<ActionQuery>("ActionQuery"),
            "responses": responses(
                ok("The actions.", "application/json", c.answer::<ActionList>(), Value::Object(action_links("/actions/0/id"))),
                &with(&[403]),
            )
        }}),
    );
    path(
        "/v1/actions/{id}",
        json!({"get": {
            "operationId": "getAction",
            "summary": "One action with its payload, response and history. Any role.",
            "parameters": [action_param()],
            "responses": responses(
                ok("The action and its events.", "application/json", action_detail, Value::Object(action_links("/id"))),
                &read_problems,
            )
        }}),
    );
    let mut back = Map::new();
    back.insert(
        "GetAction".to_owned(),
        json!({"operationId": "getAction", "parameters": {"id": "$response.body#/id"}}),
    );
    let back = Value::Object(back);
    for (change, operation, summary, required, body) in [
        (
            "retry",
            "retryAction",
            "Run a failed, dead or cancelled action again (and the actions that waited for it). Roles: support-engineer, support-manager, lr-team.",
            false,
            note_body.clone(),
        ),
        (
            "cancel",
            "cancelAction",
            "Give an action up (and the actions that need it). Roles: support-manager, lr-team.",
            false,
            note_body,
        ),
        (
            "done",
            "markActionDone",
            "Mark an action carried out by hand; the note (required) says what was done, the license (optional) is what was made. The steps after it run, and a record of its failure is made again. Roles: support-engineer, support-manager, lr-team.",
            true,
            done_body,
        ),
    ] {
        path(
            &format!("/v1/actions/{{id}}/{change}"),
            json!({"post": {
                "operationId": operation,
                "summary": summary,
                "parameters": [action_param()],
                "requestBody": json_body(required, body),
                "responses": responses(ok("The action.", "application/json", action.clone(), back.clone()), &change_problems)
            }}),
        );
    }
    path(
        "/v1/intake",
        json!({"get": {
            "operationId": "listIntake",
            "summary": "Deliveries received from Zendesk and GitLab and what became of each, newest first. Any role.",
            "parameters": c.query::<IntakeQuery>("IntakeQuery"),
            "responses": responses(ok_json("The deliveries.", c.answer::<IntakePage>()), &with(&[403]))
        }}),
    );
    let intake_answer = c.answer::<Answer<'static>>();
    path(
        "/v1/intake/zendesk",
        json!({"post": {
            "operationId": "intakeZendesk",
            "summary": "A Zendesk trigger's webhook: a signed ticket event (docs/intake.md) starts the policy its tag names, on the ticket's stored records. No bearer token: the `X-Zendesk-Webhook-Signature` (base64 HMAC-SHA256 of the `X-Zendesk-Webhook-Signature-Timestamp` value followed by the body) authenticates it, within 5 minutes of the server's clock. A redelivery (same `X-Zendesk-Webhook-Invocation-Id`) starts nothing.",
            "security": [],
            "requestBody": json_body(true, json!({"type": "object"})),
            "responses": responses(ok_json("Decided, a duplicate, or ignored.", intake_answer.clone()), &with(&[400, 401, 404, 413, 415, 422]))
        }}),
    );
    path(
        "/v1/intake/gitlab",
        json!({"post": {
            "operationId": "intakeGitlab",
            "summary": "A GitLab project webhook's issue event: an issue following the \"Report a provision failure\" template starts `provision-failure`. No bearer token: `X-Gitlab-Token` must be the webhook's secret token and `X-Gitlab-Event` `Issue Hook`. A redelivery (same `Idempotency-Key`, else `X-Gitlab-Event-UUID`) starts nothing.",
            "security": [],
            "requestBody": json_body(true, json!({"type": "object"})),
            "responses": responses(ok_json("Decided, a duplicate, or ignored.", intake_answer), &with(&[400, 401, 404, 413, 415, 422]))
        }}),
    );
    path(
        "/v1/replay",
        json!({"post": {
            "operationId": "replay",
            "summary": "Re-decide the logged decisions under a proposed configuration and report what would change, as `entitle replay --format json` does. Role: lr-team. A replay that would decide more than the server's limit (100,000 decisions by default) is a 422 `replay-too-large`.",
            "requestBody": json_body(true, c.request::<ReplayBody>("ReplayRequest")),
            "responses": responses(ok_json("What would change.", c.answer::<entitle_store::replay::ReplayReport>()), &with(&[403, 413, 415, 422]))
        }}),
    );
    // Every problem answer refers to it.
    c.answer::<Problem>();
    let mut document = json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "entitle policy service",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Software-license policy decisions over HTTP. Every decision is logged (append-only) before it is answered. Authenticate with `Authorization: Bearer <token>` (`entitle tokens add`); roles: `reader` (policies and the log), `support-engineer`, `support-manager`, `lr-team` (also decide). The role is the `actor` of role-sensitive policies. Every error is an RFC 9457 problem; a request that uses a wrong method on a known path gets 405, an unknown path 404, both as problems.",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `entitle tokens add`."}},
            "headers": {"RequestId": {
                "description": "The request id (a client-sent `x-request-id` of up to 128 characters `[A-Za-z0-9._:-]` is kept, otherwise a UUID); stored with each decision.",
                "schema": {"type": "string"}
            }},
            "schemas": Value::Object(c.into_schemas())
        }
    });
    plain_descriptions(&mut document);
    document
}

/// The descriptions as a reader of the API sees them: the schemas' come
/// from Rust doc comments, whose intra-doc links (`` [`Details`] ``,
/// `` [`Policy`](crate::policy::Policy) ``) become plain code spans.
fn plain_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, member) in map.iter_mut() {
                match member {
                    Value::String(text) if key == "description" => *text = without_doc_links(text),
                    other => plain_descriptions(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(plain_descriptions),
        _ => {}
    }
}

/// `text` with each `` [`x`] `` or `` [`x`](target) `` written `` `x` ``.
fn without_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("[`") {
        let Some((code, after)) = after.split_once("`]") else {
            break;
        };
        out.push_str(before);
        out.push('`');
        out.push_str(code);
        out.push('`');
        rest = after;
        // A link target: `(…)` right after the brackets, without spaces.
        if let Some(target) = after.strip_prefix('(')
            && let Some((inside, after)) = target.split_once(')')
            && !inside.contains(char::is_whitespace)
        {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn descriptions_carry_no_rust_doc_links() {
        assert_eq!(
            super::without_doc_links(
                "the [`Details`] of [`Policy`](crate::policy::Policy) [x] (y) [`open"
            ),
            "the `Details` of `Policy` [x] (y) [`open"
        );
        let text = super::document().to_string();
        assert!(!text.contains("[`"), "a doc link is left in the document");
    }
}
