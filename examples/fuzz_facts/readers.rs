//! The `readers` target (#20): the strict value readers of `entitle::input`
//! and the readers built on them, each with the property it promises.
//!
//! - instants (`parse_instant`): what is accepted is in the years 0001-9999
//!   in UTC, and its UTC spelling (as the log writes it) reads back the same;
//! - dates (`parse_date`): what is accepted is its own canonical spelling;
//! - ticket URLs (`ticket_url_key`): a key exactly for the URLs
//!   `check_http_url` accepts; the key is a URL, its own key, without query
//!   or fragment; respelling the URL (case, default port, query, fragment,
//!   doubled `/`, trailing `/`, percent-encoded unreserved characters) keeps
//!   the key;
//! - objects (`ObjectsOnly`): a policy's example facts with one object turned
//!   into the array of its values are refused where serde alone may read
//!   them positionally, and whatever the wrapper accepts, serde accepts the
//!   same;
//! - scenario files (`scenario::load_str`): TOML and JSON scenarios with
//!   hostile `now` values and mutations load or fail with a one-line error,
//!   and a loaded `now` is in the years 0001-9999.

use chrono::{Offset as _, SecondsFormat, Timelike};
use entitle::input::{ObjectsOnly, check_http_url, parse_date, parse_instant, ticket_url_key};
use entitle::scenario::{ScenarioFormat, load_str};
use serde::Deserialize as _;

use crate::*;

const INSTANT_SEEDS: &[&str] = &[
    "2026-11-21T10:00:00Z",
    "2026-11-21t10:00:00.123456789+02:00",
    "2026-11-21 10:00:00-12:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59.999999999Z",
    "9999-12-31T11:59:59+12:00",
    "0000-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00Z",
    "0000-12-31T23:00:00-01:00",
    "2016-12-31T23:59:60Z",
    "2026-11-21T10:00:00.1234567891Z",
    "2026-02-30T10:00:00Z",
    "2026-11-21T24:00:00Z",
    "+2026-11-21T10:00:00Z",
    "2026-11-21T10:00:00+14:59",
];

const URL_SEEDS: &[&str] = &[
    "https://support.example.com/agent/tickets/1005",
    "http://Support.Example.com:80/tickets/7/",
    "https://support.example:443//tickets/./100%35?utm=1#comment-3",
    "HTTPS://x.example/a/../b/%7e%41%2f?#",
    "http://[::1]:8080/tickets/%2E%2e/1",
    "https://h.example:00443",
    "https://a-b.c-d.example/%zz",
    "https://user@host.example/1",
    "ftp://host.example/1",
    "https://host.example:99999/1",
];

/// Characters an URL mutation inserts.
const URL_CHARS: &[&str] = &[
    "/", "//", ".", "..", "%", "%4", "%41", "%2F", "%2f", "%7E", "%25", "?", "#", ":", ":443",
    ":80", ":0", "@", "[", "]", "A", "z", "0", "9", "-", "_", "~", " ", "\u{e9}", "\n", "&", "=",
];

pub(crate) fn readers_case<P: Registered>(case: Case<'_>) {
    let rng = case.rng;
    let problems = case.problems;
    let started = Instant::now();
    *case.result = match rng.below(6) {
        0 => instant_case(rng, case.input, problems),
        1 => date_case(rng, case.input, problems),
        2 => url_case(rng, case.input, problems),
        3 => objects_case::<P>(rng, case.input, problems),
        4 => excerpt_case(rng, case.input, problems),
        _ => scenario_case::<P>(rng, case.input, problems),
    };
    *case.spent = started.elapsed();
}

/// `text` with 0 to 3 character-level edits.
fn mutate_text(rng: &mut Rng, text: &str, inserts: &[&str]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.below(4) {
        let at = rng.below(chars.len() as u64 + 1) as usize;
        match rng.below(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => {
                chars[at] = char::from(b'0' + rng.below(10) as u8);
            }
            2 if at < chars.len() => {
                let c = chars[at];
                chars[at] = if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                };
            }
            _ => {
                for (i, c) in rng.pick(inserts).chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn instant_case(rng: &mut Rng, input: &mut String, problems: &mut Problems) -> &'static str {
    let text = if rng.one_in(3) {
        // Any instant chrono can hold, at any offset, in any precision.
        let secs = rng.range(
            -62_135_596_800 - 86_400 * 400,
            253_402_300_799 + 86_400 * 400,
        );
        let nanos = rng.below(1_000_000_000) as u32;
        let Some(t) = DateTime::<Utc>::from_timestamp(secs, nanos) else {
            return "no instant";
        };
        let offset = chrono::FixedOffset::east_opt(rng.range(-86_399, 86_399) as i32)
            .unwrap_or_else(|| Utc.fix());
        let format = *rng.pick(&[
            SecondsFormat::Secs,
            SecondsFormat::Millis,
            SecondsFormat::Nanos,
            SecondsFormat::AutoSi,
        ]);
        t.with_timezone(&offset).to_rfc3339_opts(format, rng.bool())
    } else {
        let seed = *rng.pick(INSTANT_SEEDS);
        mutate_text(
            rng,
            seed,
            &["0", "9", ".", "60", "+", "-", ":", "Z", " ", "T", "9999"],
        )
    };
    *input = format!("instant {}", preview(text.as_bytes()));
    match parse_instant(&text) {
        Ok(t) => {
            if !(1..=9999).contains(&t.year()) {
                problems.push(format!("accepted an instant of the year {}", t.year()));
            }
            if t.nanosecond() >= 1_000_000_000 {
                problems.push("accepted a leap second".to_owned());
            }
            for format in [SecondsFormat::AutoSi, SecondsFormat::Nanos] {
                let written = t.to_rfc3339_opts(format, true);
                if parse_instant(&written) != Ok(t) {
                    problems.push(format!("its UTC spelling `{written}` does not read back"));
                }
            }
            "instant accepted"
        }
        Err(e) => {
            if e.to_string().is_empty() {
                problems.push("an empty error".to_owned());
            }
            "instant refused"
        }
    }
}

fn date_case(rng: &mut Rng, input: &mut String, problems: &mut Problems) -> &'static str {
    let seed = *rng.pick(&[
        "2026-11-21",
        "0001-01-01",
        "9999-12-31",
        "0000-01-01",
        "2026-02-29",
        "2024-02-29",
        "2026-1-1",
        "+2026-11-21",
    ]);
    let text = mutate_text(rng, seed, &["0", "9", "-", "+", " "]);
    *input = format!("date {}", preview(text.as_bytes()));
    match parse_date(&text) {
        Ok(d) => {
            if d.format("%Y-%m-%d").to_string() != text || !(1..=9999).contains(&d.year()) {
                problems.push(format!("accepted a date that is not canonical: {d}"));
            }
            "date accepted"
        }
        Err(_) => "date refused",
    }
}

/// `url` respelt so that it names the same ticket.
fn respell(rng: &mut Rng, url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let path = tail.split(['?', '#']).next().unwrap_or_default();
    let scheme = if rng.bool() {
        scheme.to_ascii_uppercase()
    } else {
        scheme.to_ascii_lowercase()
    };
    let mut authority = if rng.bool() {
        authority.to_ascii_uppercase()
    } else {
        authority.to_owned()
    };
    let default = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    if rng.bool() && !authority.contains(':') {
        authority.push_str(default);
    }
    let mut path = path.replace('/', if rng.bool() { "//" } else { "/" });
    if rng.bool() {
        // Percent-encode one unreserved letter or digit.
        if let Some((i, c)) = path
            .char_indices()
            .filter(|(_, c)| c.is_ascii_alphanumeric())
            .nth(rng.below(8) as usize)
        {
            path.replace_range(i..i + 1, &format!("%{:02X}", c as u32));
        }
    }
    if rng.bool() {
        path.push('/');
    }
    if rng.bool() {
        path.push_str("?utm=1");
    }
    if rng.bool() {
        path.push_str("#x");
    }
    Some(format!("{scheme}://{authority}{path}"))
}

fn url_case(rng: &mut Rng, input: &mut String, problems: &mut Problems) -> &'static str {
    let seed = *rng.pick(URL_SEEDS);
    let text = mutate_text(rng, seed, URL_CHARS);
    *input = format!("ticket url {}", preview(text.as_bytes()));
    let checked = check_http_url(&text);
    let key = ticket_url_key(&text);
    match (&checked, &key) {
        (Ok(()), Ok(key)) => {
            if let Err(e) = check_http_url(key) {
                problems.push(format!("the key `{key}` is no URL: {e}"));
            }
            if ticket_url_key(key).as_ref() != Ok(key) {
                problems.push(format!("the key `{key}` is not its own key"));
            }
            if key.contains(['?', '#']) || key.ends_with('/') {
                problems.push(format!("the key `{key}` keeps a query, fragment or `/`"));
            }
            if let Some(again) = respell(rng, &text) {
                if check_http_url(&again).is_ok() && ticket_url_key(&again).as_ref() != Ok(key) {
                    problems.push(format!(
                        "`{again}`, the same ticket, has another key than `{key}`"
                    ));
                }
            }
            "url key"
        }
        (Err(_), Err(_)) => "url refused",
        _ => {
            problems.push(format!(
                "check_http_url {checked:?} but ticket_url_key {key:?}"
            ));
            "disagree"
        }
    }
}

/// `doc` with one object (chosen at random, at any depth) replaced by the
/// array of its values, in order: serde's derived structs read that.
fn objects_to_arrays(rng: &mut Rng, doc: &mut Value) -> bool {
    fn objects(value: &Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Value::Object(map) = value {
            out.push(path.clone());
            for (k, v) in map {
                let mut p = path.clone();
                p.push(k.clone());
                objects(v, p, out);
            }
        }
    }
    let mut all = Vec::new();
    objects(doc, Vec::new(), &mut all);
    // Not the top level: parse_facts refuses that by its first byte.
    all.retain(|p| !p.is_empty());
    if all.is_empty() {
        return false;
    }
    let path = rng.pick(&all).clone();
    let mut at = doc;
    for key in &path {
        let Some(next) = at.get_mut(key) else {
            return false;
        };
        at = next;
    }
    if let Value::Object(map) = at {
        let values: Vec<Value> = map.values().cloned().collect();
        *at = Value::Array(values);
        return true;
    }
    false
}

fn objects_case<P: Registered>(
    rng: &mut Rng,
    input: &mut String,
    problems: &mut Problems,
) -> &'static str {
    let examples = example_docs::<P>();
    let Some((base, _)) = examples.get(rng.below(examples.len() as u64) as usize) else {
        return "no example";
    };
    let mut doc = base.clone();
    let turned = objects_to_arrays(rng, &mut doc);
    if !turned && rng.bool() {
        mutate_structure(rng, &mut doc);
    }
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    *input = format!("objects {} {}", P::ID, preview(&bytes));
    let strict = parse_facts::<P::Facts>(&bytes);
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let wrapped = P::Facts::deserialize(ObjectsOnly(&mut de)).and_then(|v| de.end().map(|()| v));
    let plain: Result<P::Facts, _> = serde_json::from_slice(&bytes);
    if turned && strict.is_ok() {
        problems.push("an object given as an array was read positionally".to_owned());
    }
    if let Ok(facts) = &wrapped {
        let same = plain
            .as_ref()
            .ok()
            .map(serde_json::to_value)
            .and_then(Result::ok)
            == serde_json::to_value(facts).ok();
        if !same {
            problems.push(format!(
                "ObjectsOnly accepted what serde reads otherwise: {plain:?}"
            ));
        }
    }
    if strict.is_ok() != wrapped.is_ok() {
        problems.push(format!(
            "parse_facts {} but ObjectsOnly {}",
            strict.is_ok(),
            wrapped.is_ok()
        ));
    }
    match (strict.is_ok(), plain.is_ok()) {
        (true, _) => "object accepted",
        (false, true) => "object refused (serde alone reads it)",
        (false, false) => "object refused",
    }
}

fn scenario_case<P: Registered>(
    rng: &mut Rng,
    input: &mut String,
    problems: &mut Problems,
) -> &'static str {
    let examples = example_docs::<P>();
    let Some((facts, now)) = examples.get(rng.below(examples.len() as u64) as usize) else {
        return "no example";
    };
    let mut facts = facts.clone();
    if rng.bool() {
        mutate_structure(rng, &mut facts);
    } else if rng.bool() {
        objects_to_arrays(rng, &mut facts);
    }
    let now_text = if rng.bool() {
        now.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    } else {
        let seed = rng_pick_instant(rng);
        mutate_text(rng, seed, &["0", "9", "60", "+", "-", ":", "Z"])
    };
    // The outcome the facts decide to, so that a well-formed scenario loads.
    let outcome = parse_instant(&now_text)
        .ok()
        .and_then(|at| {
            decide_json(
                P::ID,
                facts.to_string().as_bytes(),
                at,
                &PolicyConfig::default(),
            )
            .ok()
        })
        .map_or("x", |report| report.outcome);
    let native = rng.bool();
    let (text, format) = if rng.bool() {
        let facts = facts.to_string();
        let now = if native {
            now_text.clone()
        } else {
            json!(now_text).to_string()
        };
        let name = if rng.bool() {
            "name = \"fuzzed\"\n"
        } else {
            ""
        };
        (
            format!(
                "[[scenario]]\n{name}policy = \"{}\"\nnow = {now}\nfacts = {}\n[scenario.expect]\noutcome = \"{outcome}\"\n",
                P::ID,
                toml_inline(&facts)
            ),
            ScenarioFormat::Toml,
        )
    } else {
        let doc = json!({"scenario": [{"name": "fuzzed", "policy": P::ID, "now": now_text,
            "facts": facts, "expect": {"outcome": outcome}}]});
        (doc.to_string(), ScenarioFormat::Json)
    };
    let text = if rng.one_in(4) {
        mutate_text(
            rng,
            &text,
            &["[", "]", "{", "}", "=", "\"", "\n", ",", "2026-02-30"],
        )
    } else {
        text
    };
    *input = format!("scenario {}", preview(text.as_bytes()));
    match load_str(&text, format, "fuzz.toml") {
        Ok(scenarios) => {
            for s in &scenarios {
                if !(1..=9999).contains(&s.now.year()) {
                    problems.push(format!("a scenario `now` of the year {}", s.now.year()));
                }
            }
            "scenario loaded"
        }
        Err(e) => {
            if e.to_string().is_empty() {
                problems.push("an empty scenario error".to_owned());
            }
            "scenario refused"
        }
    }
}

fn rng_pick_instant(rng: &mut Rng) -> &'static str {
    let seed: &&'static str = rng.pick(INSTANT_SEEDS);
    seed
}

/// A JSON value as TOML inline syntax (objects as inline tables).
fn toml_inline(json_text: &str) -> String {
    match serde_json::from_str::<Value>(json_text) {
        Ok(value) => inline(&value),
        Err(_) => "{}".to_owned(),
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "\"\"".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => json!(s).to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inline).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{ {} }}",
            map.iter()
                .map(|(k, v)| format!("{} = {}", json!(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Lines a configuration file linked to a secret may hold.
const SECRET_LINES: &[&str] = &[
    "root:$6$SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET:19000:0:99999:7:::",
    "AWS_SECRET_ACCESS_KEY=SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET",
    "token = \"SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET\"",
    "timezone = \"SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET\"",
    "[SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET]",
    "PATH=/usr/bin\u{0}HOME=/root\u{0}SECRET=SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET",
    "grace_period_days = 14",
    "timezone = \"America/New_York\"",
];

/// The secret every line of [`SECRET_LINES`] carries, 54 characters.
const SECRET: &str = "SECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRETSECRET";

/// #20 item 10: an error about a configuration file names the line and the
/// key, never a value whole: a file linked to `/etc/shadow` or
/// `/proc/self/environ` does not leak, and the error is one printable line.
fn excerpt_case(rng: &mut Rng, input: &mut String, problems: &mut Problems) -> &'static str {
    let mut lines: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let line = *rng.pick(SECRET_LINES);
        lines.push(mutate_text(
            rng,
            line,
            &["=", "\"", "[", "]", "\n", "\u{1b}", "#", " "],
        ));
    }
    if rng.one_in(2) {
        lines.insert(0, "grace_period_days = 14".to_owned());
    }
    let text = lines.join("\n");
    *input = format!("config {}", preview(text.as_bytes()));
    let shown = |message: &str, problems: &mut Problems| {
        if message.contains(SECRET) {
            problems.push(format!("the error shows the secret whole: {message}"));
        }
        if message.contains('\n') || message.chars().any(|c| c.is_control() && c != '\t') {
            problems.push(format!("the error is not one printable line: {message:?}"));
        }
    };
    let escaped = entitle::input::escape_for_terminal(&text);
    if escaped.chars().any(|c| c.is_control()) {
        problems.push("escape_for_terminal left a control character".to_owned());
    }
    match entitle::config_from_toml(&text) {
        Ok(_) => "config accepted",
        Err(e) => {
            shown(&e.to_string(), problems);
            shown(&entitle::input::short_quotes(&e.to_string()), problems);
            "config refused, excerpt checked"
        }
    }
}
