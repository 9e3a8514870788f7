//! The OpenAPI 3.1 document of the service, `GET /v1/openapi.json`.
//!
//! Written by hand as a `serde_json` value rather than derived with utoipa:
//! the response types live in crates that do not depend on utoipa (the core
//! and the store), the facts schemas already exist as JSON Schema 2020-12
//! (schemars, the dialect of OpenAPI 3.1) and are embedded as they are, and
//! the whole document is one function that the integration tests check
//! against every response they see.

use std::sync::LazyLock;

use axum::body::Bytes;
use serde_json::{Map, Value, json};

use crate::problem::ALL_KINDS;

/// The document, serialised once.
pub fn document_bytes() -> &'static Bytes {
    static BYTES: LazyLock<Bytes> =
        LazyLock::new(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()));
    &BYTES
}

/// A response of `status` with a problem body.
/// The statuses of an outbox action.
const ACTION_STATUSES: [&str; 8] = [
    "pending",
    "in-flight",
    "delivered",
    "failed",
    "dead",
    "cancelled",
    "done-by-hand",
    "in-doubt",
];

/// The `{id}` of an action.
fn action_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "description": "An action id (from a decision's `actions`).", "schema": {"type": "string"}})
}

/// An outbox action as stored (`GET /v1/actions/{id}` adds `events`).
fn action_schema() -> Value {
    json!({
        "type": "object",
        "required": ["id", "decision_id", "seq", "action", "sink", "manual", "status", "attempts", "idempotency_key"],
        "properties": {
            "id": {"type": "string"},
            "decision_id": {"type": "string"},
            "seq": {"type": "integer"},
            "ticket_id": {"type": ["string", "null"]},
            "action": {"type": "string", "description": "The policy's action id (`email-license`)."},
            "sink": {"type": "string", "description": "`manual` for a task for a person."},
            "manual": {"type": "boolean"},
            "status": {"type": "string", "enum": ACTION_STATUSES},
            "attempts": {"type": "integer"},
            "idempotency_key": {"type": "string"},
            "last_error": {"type": ["string", "null"]},
            "response": {"description": "What the sink answered (the license, the issue)."},
            "events": {"type": "array", "items": {"type": "object"}}
        }
    })
}

/// The body of a change to an action.
fn note_schema() -> Value {
    json!({"type": "object", "additionalProperties": false, "properties": {"note": {"type": "string", "maxLength": 2000}}})
}

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
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
        }),
    )
}

fn ok_json(description: &str, schema: Value) -> (String, Value) {
    (
        "200".to_owned(),
        json!({
            "description": description,
            "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
            "content": {"application/json": {"schema": schema}}
        }),
    )
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

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
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

fn policy_param() -> Value {
    json!({
        "name": "policy", "in": "path", "required": true,
        "description": "A policy id (`GET /v1/policies` lists them).",
        "schema": {"type": "string", "enum": policy_ids()}
    })
}

fn policy_ids() -> Vec<&'static str> {
    entitle::policies::POLICIES.iter().map(|p| p.id).collect()
}

/// Moves the `$defs` of a schemars schema into `components.schemas` under
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

fn schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    let mut facts_refs = Vec::new();
    for policy in entitle::policies::POLICIES {
        if let Ok(schema) = entitle::schema(policy.id) {
            let name = format!("Facts.{}", policy.id);
            let hoisted = hoist(&schema, &name, &mut schemas);
            schemas.insert(name.clone(), hoisted);
            facts_refs.push(reference(&name));
        }
    }
    let config_schema = serde_json::to_value(schemars::schema_for!(entitle::config::PolicyConfig))
        .unwrap_or_else(|_| json!({"type": "object"}));
    let config = hoist(&config_schema, "PolicyConfig", &mut schemas);
    schemas.insert("PolicyConfig".to_owned(), config);

    let more = json!({
        "Problem": {
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
        },
        "Health": {
            "type": "object",
            "required": ["status", "version"],
            "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}
        },
        "PolicyInfo": {
            "type": "object",
            "required": ["id", "summary", "version"],
            "properties": {
                "id": {"type": "string"}, "summary": {"type": "string"},
                "version": {"type": "integer", "minimum": 0}
            }
        },
        "PolicyList": {
            "type": "object",
            "required": ["policies"],
            "properties": {"policies": {"type": "array", "items": reference("PolicyInfo")}}
        },
        "GraphDescription": {
            "description": "A policy's decision graph: nodes (questions, outcomes, sub-graphs) and edges labelled with answers.",
            "type": "object",
            "required": ["name", "root", "nodes", "edges"],
            "properties": {
                "name": {"type": "string"},
                "root": {"type": "string"},
                "nodes": {"type": "array", "items": {
                    "type": "object",
                    "required": ["id", "kind", "text"],
                    "properties": {
                        "id": {"type": "string"}, "kind": {"type": "string"},
                        "text": {"type": "string"},
                        "answers": {"type": "array", "items": {"type": "string"}},
                        "graph": {"type": ["string", "null"]},
                        "group": {"type": ["string", "null"]}
                    }
                }},
                "edges": {"type": "array", "items": {
                    "type": "object",
                    "required": ["from", "to"],
                    "properties": {
                        "from": {"type": "string"}, "to": {"type": "string"},
                        "answer": {"type": ["string", "null"]}
                    }
                }}
            }
        },
        "Example": {
            "type": "object",
            "required": ["path", "outcome", "now", "facts"],
            "properties": {
                "path": {"type": "array", "items": {"type": "string"}},
                "outcome": {"type": "string"},
                "now": {"type": "string", "format": "date-time"},
                "facts": {"type": "object"}
            }
        },
        "Facts": {
            "description": "The facts of the policy in the path; `GET /v1/policies/{policy}/schema` gives the exact schema. Unknown members are errors. For policies with an `actor` member (e.g. `star-self-managed`) the server sets it to the caller's role: leave it out, or give the same role (anything else is 403).",
            "anyOf": facts_refs
        },
        "DecideRequest": {
            "type": "object",
            "additionalProperties": false,
            "required": ["facts"],
            "properties": {
                "facts": reference("Facts"),
                "now": {"type": ["string", "null"], "format": "date-time", "description": "The instant to decide at (RFC 3339, at most 9 fractional digits, no leap second); default: the server's clock."}
            }
        },
        "TicketDecideRequest": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "facts": {"type": ["object", "null"], "description": "The facts no record holds (e.g. `lr_team_available`), if the policy needs any."},
                "now": {"type": ["string", "null"], "format": "date-time"}
            }
        },
        "TraceEntry": {
            "type": "object",
            "required": ["node", "question", "answer", "detail"],
            "properties": {
                "node": {"type": "string"}, "question": {"type": "string"},
                "answer": {"type": "string"}, "detail": {"type": ["string", "null"]}
            }
        },
        "Details": {
            "description": "The data the outcome carries; only the members the outcome has are present.",
            "type": "object",
            "properties": {
                "plan": {"type": "string"}, "users": {"type": "integer"}, "days": {"type": "integer"},
                "email": {"type": "string"}, "starts_on": {"type": "string", "format": "date"},
                "expires_on": {"type": "string", "format": "date"},
                "grace_ends_on": {"type": "string", "format": "date"},
                "days_remaining": {"type": "integer"}, "days_since": {"type": "integer"},
                "review_on": {"type": "string", "format": "date"},
                "missing": {"type": "array", "items": {"type": "string"}},
                "internal_request": {"type": "string"},
                "actions": {"type": "array", "items": {
                    "type": "object", "required": ["id", "text"],
                    "properties": {"id": {"type": "string"}, "text": {"type": "string"}}
                }}
            }
        },
        "Decision": {
            "description": "The output of `entitle decide`, plus the id of its entry in the decision log.",
            "type": "object",
            "required": ["decision_id", "policy", "version", "now", "outcome", "details", "stable_until", "config", "trace"],
            "properties": {
                "decision_id": {"type": "string", "description": "A UUID v7; `GET /v1/decisions/{id}` reads the entry."},
                "policy": {"type": "string"},
                "version": {"type": "integer", "minimum": 0},
                "now": {"type": "string", "format": "date-time"},
                "outcome": {"type": "string"},
                "details": reference("Details"),
                "stable_until": {"type": ["string", "null"], "format": "date-time"},
                "config": reference("PolicyConfig"),
                "trace": {"type": "array", "items": reference("TraceEntry")}
            }
        },
        "DecisionRecord": {
            "description": "An entry of the decision log: the decision, the facts it was made on, who asked, and when it was logged.",
            "type": "object",
            "required": ["decision_id", "policy", "version", "now", "outcome", "details", "stable_until", "config", "trace", "facts", "role", "request_id", "ticket_id", "logged_at"],
            "properties": {
                "decision_id": {"type": "string"},
                "policy": {"type": "string"},
                "version": {"type": "integer", "minimum": 0},
                "now": {"type": "string", "format": "date-time"},
                "outcome": {"type": "string"},
                "details": reference("Details"),
                "stable_until": {"type": ["string", "null"], "format": "date-time"},
                "config": reference("PolicyConfig"),
                "trace": {"type": "array", "items": reference("TraceEntry")},
                "facts": {"type": "object"},
                "role": {"type": "string", "enum": ["support-engineer", "support-manager", "lr-team"]},
                "request_id": {"type": "string"},
                "ticket_id": {"type": ["string", "null"]},
                "logged_at": {"type": "string", "format": "date-time"}
            }
        },
        "DecisionList": {
            "type": "object",
            "required": ["decisions", "next_before"],
            "properties": {
                "decisions": {"type": "array", "items": reference("DecisionRecord")},
                "next_before": {"type": ["string", "null"], "description": "Pass as `before` for the next page; null on the last page. Set when the page is full: `limit` entries, or the page byte limit (1 MiB by default) reached."}
            }
        },
        "JsonSchema": {"type": "object", "description": "A JSON Schema (2020-12)."},
        "OpenApi": {"type": "object", "required": ["openapi", "info", "paths"]}
    });
    if let Value::Object(more) = more {
        schemas.extend(more);
    }
    if let Value::Object(replay) = replay_schemas() {
        schemas.extend(replay);
    }
    schemas
}

/// The body and the answer of `POST /v1/replay`.
fn replay_schemas() -> Value {
    json!({
        "ReplayRequest": {
            "type": "object",
            "additionalProperties": false,
            "required": ["config"],
            "properties": {
                "config": {"allOf": [reference("PolicyConfig")], "description": "The proposed configuration: the keys of an `entitle replay --config` file; keys left out keep their defaults."},
                "policy": {"type": "string", "enum": policy_ids(), "description": "Only decisions of this policy."},
                "since": {"type": "string", "description": "Only decisions made on or after this date (UTC, YYYY-MM-DD) or RFC 3339 instant."},
                "until": {"type": "string", "description": "Only decisions made on or before this date (UTC), or before this RFC 3339 instant."},
                "examples": {"type": "integer", "minimum": 0, "maximum": crate::routes::replay::MAX_EXAMPLES, "default": 5, "description": "Example decision ids kept per change."}
            }
        },
        "ReplayReport": {
            "type": "object",
            "required": ["decisions", "changed", "failed", "policies"],
            "properties": {
                "decisions": {"type": "integer", "description": "Decisions replayed."},
                "changed": {"type": "integer", "description": "Decisions whose outcome or details changed."},
                "failed": {"type": "integer", "description": "Decisions that now fail."},
                "policies": {"type": "array", "items": {
                    "type": "object",
                    "required": ["policy", "decisions", "changed", "failed", "changes", "failures"],
                    "properties": {
                        "policy": {"type": "string"},
                        "decisions": {"type": "integer"},
                        "changed": {"type": "integer"},
                        "failed": {"type": "integer"},
                        "changes": {"type": "array", "items": {
                            "type": "object",
                            "required": ["from", "to", "count", "examples"],
                            "properties": {
                                "from": {"type": "string", "description": "The logged outcome."},
                                "to": {"type": "string", "description": "The outcome now (equal to `from` for a details-only change)."},
                                "count": {"type": "integer"},
                                "examples": {"type": "array", "items": {"type": "string"}, "description": "Decision ids, oldest first."}
                            }
                        }},
                        "failures": {"type": "array", "items": {
                            "type": "object",
                            "required": ["error", "count", "examples"],
                            "properties": {
                                "error": {"type": "string"},
                                "count": {"type": "integer"},
                                "examples": {"type": "array", "items": {"type": "string"}}
                            }
                        }}
                    }
                }}
            }
        }
    })
}

/// The document.
pub fn document() -> Value {
    let decide_problems = with(&[400, 403, 404, 413, 415, 422]);
    let read_problems = with(&[403, 404]);
    let paths = json!({
        "/healthz": {"get": {
            "operationId": "healthz",
            "summary": "Liveness: the process serves requests.",
            "security": [],
            "responses": responses(ok_json("Alive.", reference("Health")), &ANY)
        }},
        "/v1/openapi.json": {"get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": responses(ok_json("The OpenAPI 3.1 document.", reference("OpenApi")), &ANY)
        }},
        "/v1/policies": {"get": {
            "operationId": "listPolicies",
            "summary": "Every policy: id, summary, version. Any role.",
            "responses": responses(ok_json("The policies.", reference("PolicyList")), &with(&[403]))
        }},
        "/v1/policies/{policy}": {"get": {
            "operationId": "getPolicy",
            "summary": "A policy's decision graph as JSON. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok_json("The graph.", reference("GraphDescription")), &read_problems)
        }},
        "/v1/policies/{policy}/mermaid": {"get": {
            "operationId": "getPolicyMermaid",
            "summary": "A policy's decision graph as a Mermaid flowchart. Any role.",
            "parameters": [policy_param()],
            "responses": responses((
                "200".to_owned(),
                json!({
                    "description": "The flowchart.",
                    "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
                    "content": {"text/plain": {"schema": {"type": "string"}}}
                }),
            ), &read_problems)
        }},
        "/v1/policies/{policy}/schema": {"get": {
            "operationId": "getPolicySchema",
            "summary": "The JSON Schema of a policy's facts. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok_json("The schema.", reference("JsonSchema")), &read_problems)
        }},
        "/v1/policies/{policy}/examples": {"get": {
            "operationId": "getPolicyExamples",
            "summary": "One worked example per path of the policy's graph. Any role.",
            "parameters": [policy_param()],
            "responses": responses(ok_json("The examples.", json!({"type": "array", "items": reference("Example")})), &read_problems)
        }},
        "/v1/decisions": {"get": {
            "operationId": "listDecisions",
            "summary": "Entries of the decision log, newest first. Any role.",
            "description": "A page holds at most `limit` entries and, past its first entry, at most the server's page byte limit of entries (1 MiB by default): it stops before the entry that would pass it, so a page may hold fewer than `limit` entries while more follow. Continue with `before` = `next_before` until `next_before` is null.",
            "parameters": [
                {"name": "ticket", "in": "query", "schema": {"type": "string"}, "description": "Only decisions about this ticket (404 if no such ticket)."},
                {"name": "policy", "in": "query", "schema": {"type": "string"}, "description": "Only decisions of this policy (404 if no such policy)."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                {"name": "before", "in": "query", "schema": {"type": "string"}, "description": "Only entries older than this decision id (paging)."}
            ],
            "responses": responses(ok_json("The entries.", reference("DecisionList")), &with(&[400, 403, 404]))
        }},
        "/v1/decisions/{id}": {
            "get": {
                "operationId": "getDecision",
                "summary": "One entry of the decision log. Any role.",
                "parameters": [{"name": "id", "in": "path", "required": true, "description": "A decision id.", "schema": {"type": "string"}}],
                "responses": responses(ok_json("The entry.", reference("DecisionRecord")), &read_problems)
            },
            "post": {
                "operationId": "decide",
                "summary": "Decide facts under a policy; the decision is in the log before the answer is sent. Roles: support-engineer, support-manager, lr-team.",
                "parameters": [{"name": "id", "in": "path", "required": true, "description": "The policy id.", "schema": {"type": "string", "enum": policy_ids()}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": reference("DecideRequest")}}},
                "responses": responses(ok_json("The decision.", reference("Decision")), &decide_problems)
            }
        },
        "/v1/tickets/{ticket}/decisions/{policy}": {"post": {
            "operationId": "decideTicket",
            "summary": "Decide a policy on the facts the store assembles for a ticket; logged with the ticket id. Roles: support-engineer, support-manager, lr-team.",
            "parameters": [
                {"name": "ticket", "in": "path", "required": true, "schema": {"type": "string"}},
                policy_param()
            ],
            "requestBody": {"required": false, "content": {"application/json": {"schema": reference("TicketDecideRequest")}}},
            "responses": responses(ok_json("The decision.", reference("Decision")), &decide_problems)
        }},
        "/v1/actions": {"get": {
            "operationId": "listActions",
            "summary": "Actions (outbox steps) of the decisions, newest first. Any role.",
            "description": "See docs/actions.md: statuses, retries, manual tasks. Continue with `before` = `next_before` until it is null.",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ACTION_STATUSES}},
                {"name": "ticket", "in": "query", "schema": {"type": "string"}, "description": "Only actions about this ticket (its id or URL)."},
                {"name": "manual", "in": "query", "schema": {"type": "boolean"}, "description": "Only manual tasks (true) or only routed actions (false)."},
                {"name": "decision", "in": "query", "schema": {"type": "string"}, "description": "Only actions of this decision."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                {"name": "before", "in": "query", "schema": {"type": "string"}, "description": "Only actions older than this action id (paging)."}
            ],
            "responses": responses(ok_json("The actions.", json!({"type": "object", "required": ["actions", "next_before"], "properties": {"actions": {"type": "array", "items": action_schema()}, "next_before": {"type": ["string", "null"]}}})), &with(&[400, 403]))
        }},
        "/v1/actions/{id}": {"get": {
            "operationId": "getAction",
            "summary": "One action with its payload, response and history. Any role.",
            "parameters": [action_param()],
            "responses": responses(ok_json("The action and its events.", action_schema()), &with(&[403, 404]))
        }},
        "/v1/actions/{id}/retry": {"post": {
            "operationId": "retryAction",
            "summary": "Run a failed, dead or cancelled action again (and the actions that waited for it). Roles: support-engineer, support-manager, lr-team.",
            "parameters": [action_param()],
            "requestBody": {"required": false, "content": {"application/json": {"schema": note_schema()}}},
            "responses": responses(ok_json("The action.", action_schema()), &with(&[403, 404, 409, 415, 422]))
        }},
        "/v1/actions/{id}/cancel": {"post": {
            "operationId": "cancelAction",
            "summary": "Give an action up (and the actions that need it). Roles: support-manager, lr-team.",
            "parameters": [action_param()],
            "requestBody": {"required": false, "content": {"application/json": {"schema": note_schema()}}},
            "responses": responses(ok_json("The action.", action_schema()), &with(&[403, 404, 409, 415, 422]))
        }},
        "/v1/actions/{id}/done": {"post": {
            "operationId": "markActionDone",
            "summary": "Mark an action carried out by hand; the note (required) says what was done. Roles: support-engineer, support-manager, lr-team.",
            "parameters": [action_param()],
            "requestBody": {"required": true, "content": {"application/json": {"schema": note_schema()}}},
            "responses": responses(ok_json("The action.", action_schema()), &with(&[403, 404, 409, 415, 422]))
        }},
        "/v1/replay": {"post": {
            "operationId": "replay",
            "summary": "Re-decide the logged decisions under a proposed configuration and report what would change, as `entitle replay --format json` does. Role: lr-team. A replay that would decide more than the server's limit (100,000 decisions by default) is a 422 `replay-too-large`.",
            "requestBody": {"required": true, "content": {"application/json": {"schema": reference("ReplayRequest")}}},
            "responses": responses(ok_json("What would change.", reference("ReplayReport")), &with(&[403, 413, 415, 422]))
        }}
    });
    json!({
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
            "schemas": Value::Object(schemas())
        }
    })
}
