//! Mutations for the parser target

use crate::*;

/// Strings that look like the values the facts hold, and ones that must be
/// refused.
pub(crate) const HOSTILE_STRINGS: &[&str] = &[
    "",
    " ",
    "2026-1-1",
    " 2025-1-1",
    "2026-01-01 ",
    "0000-01-01",
    "-0001-01-01",
    "+12345-01-01",
    "9999-12-31",
    "0001-01-01",
    "2026-02-29",
    "2026-02-30",
    "2024-02-29",
    "2026-13-01",
    "2026-00-10",
    "2026-12-01T00:00:00Z",
    "2026-11-21T23:59:60Z",
    "2026-11-21T10:00:00.1234567891Z",
    "2026-11-21T10:00:00+25:00",
    "2026-11-21T10:00:00-00:00",
    "2026-11-21t10:00:00z",
    "2026-11-21 10:00:00Z",
    "262143-12-31",
    "-262144-01-01",
    "premium",
    "PREMIUM",
    "paid",
    "ultimate\u{0}",
    "support-manager",
    "new-license",
    "plan-license",
    "javascript:alert(1)",
    "user@example.com",
    "\u{feff}paid",
    "\u{202e}",
    "😀",
    "\\",
    "\"",
    "null",
];

pub(crate) fn hostile_number(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(-1),
        1 => json!(u64::from(u32::MAX) + 1),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(0.5),
        5 => json!(1e300),
        6 => json!(u32::MAX),
        _ => json!(rng.range(-5, 5)),
    }
}

pub(crate) fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => hostile_number(rng),
        3 | 4 => json!(*rng.pick(HOSTILE_STRINGS)),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(
                    rng.pick(HOSTILE_STRINGS).to_string(),
                    random_json(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}

/// Every path (object keys and array indices) to a node of `value`.
pub(crate) fn node_paths(value: &Value, here: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    // Not into deep nests (a mutation may have made one): quadratic cost.
    if here.len() >= 32 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(PathStep::Key(k.clone()));
                node_paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(PathStep::Index(i));
                node_paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
pub(crate) enum PathStep {
    Key(String),
    Index(usize),
}

pub(crate) fn node_mut<'v>(value: &'v mut Value, path: &[PathStep]) -> Option<&'v mut Value> {
    let mut node = value;
    for step in path {
        node = match step {
            PathStep::Key(k) => node.get_mut(k.as_str())?,
            PathStep::Index(i) => node.get_mut(*i)?,
        };
    }
    Some(node)
}

/// `inner` in an array or under `key` in an object (without `json!`, which
/// would copy `inner` through serialisation).
pub(crate) fn wrap(rng: &mut Rng, inner: Value, key: &str) -> Value {
    if rng.bool() {
        Value::Array(vec![inner])
    } else {
        let mut map = Map::new();
        map.insert(key.to_owned(), inner);
        Value::Object(map)
    }
}

/// One structure-aware mutation of a facts document.
pub(crate) fn mutate_structure(rng: &mut Rng, doc: &mut Value) {
    let mut paths = Vec::new();
    node_paths(doc, &mut Vec::new(), &mut paths);
    let path = rng.pick(&paths).clone();
    let Some(node) = node_mut(doc, &path) else {
        return;
    };
    match rng.below(10) {
        0 => *node = random_json(rng, 0),
        1 => *node = json!(*rng.pick(HOSTILE_STRINGS)),
        2 => *node = hostile_number(rng),
        3 => {
            if let Value::Object(map) = node {
                let keys: Vec<String> = map.keys().cloned().collect();
                if !keys.is_empty() {
                    map.remove(rng.pick(&keys).as_str());
                }
            }
        }
        4 => {
            if let Value::Object(map) = node {
                let name = match rng.below(3) {
                    0 => "unknown_field".to_owned(),
                    1 => map
                        .keys()
                        .next()
                        .map(|k| k.to_uppercase())
                        .unwrap_or_default(),
                    _ => format!("{} ", map.keys().next().cloned().unwrap_or_default()),
                };
                map.insert(name, random_json(rng, 0));
            }
        }
        5 => {
            let inner = node.take();
            *node = wrap(rng, inner, "value");
        }
        6 => {
            // Deep nesting, sometimes past the parser's limit.
            let depth = *rng.pick(&[10, 100, 127, 128, 129, 1000, 5000]);
            let mut v = Value::Null;
            for _ in 0..depth {
                v = wrap(rng, v, "a");
            }
            *node = v;
        }
        7 => {
            if let Value::String(s) = node {
                // Nudge a date or an id: a digit dropped, a field widened.
                let mut chars: Vec<char> = s.chars().collect();
                if !chars.is_empty() {
                    let i = rng.below(chars.len() as u64) as usize;
                    match rng.below(3) {
                        0 => {
                            chars.remove(i);
                        }
                        1 => chars.insert(i, *rng.pick(&['0', '9', '-', ' ', '+'])),
                        _ => chars[i] = *rng.pick(&['0', '9', 'x', '\u{0}']),
                    }
                }
                *s = chars.into_iter().collect();
            } else {
                *node = json!(node.to_string());
            }
        }
        8 => {
            if let Value::Array(items) = node {
                let n = rng.below(3000) as usize;
                // Only small fills: the input stays under a few hundred KB.
                let fill = items
                    .first()
                    .filter(|v| v.to_string().len() <= 64)
                    .cloned()
                    .unwrap_or(Value::Null);
                items.extend(std::iter::repeat_n(fill, n));
            } else {
                *node = json!([]);
            }
        }
        _ => *node = Value::Null,
    }
}

/// JSON tokens for the token-soup inputs.
pub(crate) const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\"license\"",
    "\"plan\"",
    "\"trial\"",
    "\"starts_on\"",
    "\"expires_on\"",
    "\"users\"",
    "\"customer\"",
    "\"status\"",
    "\"2026-11-21\"",
    "true",
    "false",
    "null",
    "0",
    "-0",
    "1e999",
    "18446744073709551616",
    "0.0",
    "\\u0000",
    "\"\\ud800\"",
    "\"\\uDFFF\"",
    " ",
    "\n",
    "\t",
    "\u{feff}",
    "/*",
    "//",
    "NaN",
    "Infinity",
    "'",
    "\\",
];

/// Byte-level mutations of `bytes`.
pub(crate) fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(8) {
        let len = bytes.len() as u64;
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len) as usize;
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1) as usize;
                bytes.insert(i, rng.next() as u8);
            }
            2 if len > 0 => {
                let i = rng.below(len) as usize;
                let n = (rng.below(16) as usize).min(bytes.len() - i);
                bytes.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.below(len) as usize;
                let n = (rng.below(32) as usize).min(bytes.len() - i);
                let chunk: Vec<u8> = bytes[i..i + n].to_vec();
                let at = rng.below(bytes.len() as u64 + 1) as usize;
                bytes.splice(at..at, chunk);
            }
            4 => {
                let i = rng.below(len + 1) as usize;
                let token = rng.pick(TOKENS).as_bytes().to_vec();
                bytes.splice(i..i, token);
            }
            5 if len > 0 => bytes.truncate(rng.below(len) as usize),
            _ if len > 0 => {
                let i = rng.below(len) as usize;
                bytes[i] = *rng.pick(b"{}[]:,\"\\0123456789-+eE. \n\x00\xff");
            }
            _ => {}
        }
    }
}
