//! A small checker of responses against an OpenAPI 3.1 document: the path,
//! method and status are declared, the media type is, and a JSON body
//! matches the declared schema (`$ref`, `type`, `required`, `properties`,
//! `items`, `const`, `enum`, `anyOf`/`oneOf`, `additionalProperties: false`;
//! other keywords are not checked).

use serde_json::Value;

/// One response the tests saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

fn matches_template(template: &str, path: &str) -> Option<usize> {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut literal = 0;
    for (a, b) in t.iter().zip(&p) {
        if a.starts_with('{') && a.ends_with('}') {
            if b.is_empty() {
                return None;
            }
        } else if a == b {
            literal += 1;
        } else {
            return None;
        }
    }
    Some(literal)
}

/// Whether a 404 for `method` on `path` is the document's own "no such
/// path": another path declares `method` and differs from `path` in one
/// literal segment only, as `POST /v1/decisions/nope` differs from the
/// per-policy `POST /v1/decisions/star-validity`.
fn unknown_value_of_listed_paths(doc: &Value, method: &str, path: &str) -> bool {
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    doc["paths"].as_object().is_some_and(|paths| {
        paths.iter().any(|(template, item)| {
            let t: Vec<&str> = template.trim_matches('/').split('/').collect();
            item.get(method).is_some()
                && t.len() == p.len()
                && t.iter()
                    .zip(&p)
                    .filter(|(a, b)| !(a.starts_with('{') || a == b))
                    .count()
                    == 1
        })
    })
}

/// The best-matching path template (most literal segments).
fn find_path<'a>(doc: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    doc["paths"]
        .as_object()?
        .iter()
        .filter_map(|(t, item)| matches_template(t, path).map(|score| (score, t.as_str(), item)))
        .max_by_key(|(score, _, _)| *score)
        .map(|(_, t, item)| (t, item))
}

fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.trim_start_matches('#');
                match doc.pointer(pointer) {
                    Some(target) => schema = target,
                    None => return &Value::Null,
                }
            }
            None => return schema,
        }
    }
    schema
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(declared: &Value, actual: &str) -> bool {
    let one = |t: &str| t == actual || (t == "number" && actual == "integer");
    match declared {
        Value::String(t) => one(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

/// Checks `value` against `schema`, pushing mismatches to `errors`.
pub fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if schema.is_null() {
        errors.push(format!("{at}: unresolvable $ref"));
        return;
    }
    if let Some(t) = schema.get("type")
        && !type_ok(t, type_name(value))
    {
        errors.push(format!("{at}: {} is not of type {t}", type_name(value)));
        return;
    }
    if let Some(c) = schema.get("const")
        && c != value
    {
        errors.push(format!("{at}: {value} is not {c}"));
    }
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = schema.get(key) {
            let ok = options.iter().any(|option| {
                let mut sub = Vec::new();
                validate(doc, option, value, at, &mut sub);
                sub.is_empty()
            });
            if !ok {
                errors.push(format!("{at}: matches none of {key}"));
            }
        }
    }
    if let Some(Value::Array(all)) = schema.get("allOf") {
        for option in all {
            validate(doc, option, value, at, errors);
        }
    }
    if let Value::Object(object) = value {
        if let Some(Value::Array(required)) = schema.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !object.contains_key(key) {
                    errors.push(format!("{at}: required `{key}` missing"));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        for (key, member) in object {
            match properties.and_then(|p| p.get(key)) {
                Some(sub) => validate(doc, sub, member, &format!("{at}.{key}"), errors),
                None => {
                    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
                        errors.push(format!("{at}: undeclared member `{key}`"));
                    }
                }
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(doc, item_schema, item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Every mismatch between `seen` and `doc`.
pub fn check(doc: &Value, seen: &[Seen]) -> Vec<String> {
    let mut errors = Vec::new();
    for s in seen {
        let what = format!("{} {} -> {}", s.method, s.path, s.status);
        let method = s.method.to_ascii_lowercase();
        let Some((template, item)) = find_path(doc, &s.path) else {
            if s.status != 404 {
                errors.push(format!("{what}: path not in the document"));
            }
            continue;
        };
        let Some(operation) = item.get(&method) else {
            let unknown = s.status == 404 && unknown_value_of_listed_paths(doc, &method, &s.path);
            if s.status != 405 && !unknown {
                errors.push(format!("{what}: method not declared on {template}"));
            }
            continue;
        };
        if s.status == 405 {
            errors.push(format!("{what}: 405 for a declared method"));
            continue;
        }
        let Some(response) = operation["responses"].get(s.status.to_string()) else {
            errors.push(format!(
                "{what}: status not declared on {method} {template}"
            ));
            continue;
        };
        let response = resolve(doc, response);
        let media = s.content_type.split(';').next().unwrap_or("").trim();
        let Some(content) = response["content"].get(media) else {
            errors.push(format!("{what}: media type `{media}` not declared"));
            continue;
        };
        if media.ends_with("json") {
            match serde_json::from_str::<Value>(&s.body) {
                Ok(body) => {
                    let mut sub = Vec::new();
                    validate(doc, &content["schema"], &body, "$", &mut sub);
                    errors.extend(sub.into_iter().map(|e| format!("{what}: {e}")));
                }
                Err(e) => errors.push(format!("{what}: body is not JSON: {e}")),
            }
        }
    }
    errors
}
