//! Typed facts from JSON, with errors that name the field path.

use entitle_core::input::ObjectsOnly;
use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};
use thiserror::Error;

/// Facts that could not be read. The message names the field path
/// (`license.expires_on`), the line and column, and the problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FactsError {
    /// The input holds nothing but white space.
    #[error("the facts are empty: expected a JSON object")]
    Empty,
    /// The input is not valid facts for the policy.
    #[error("{}{message}", path.as_deref().map(|p| format!("at `{p}`: ")).unwrap_or_default())]
    Invalid {
        /// The field path (`license.expires_on`, `seat_link_dates[1]`), if
        /// the problem is inside a known field; `None` when it is at the top
        /// level or where no field has been read yet (malformed JSON before
        /// any key).
        path: Option<String>,
        /// What is wrong, ending with `at line L column C`.
        message: String,
    },
}

/// Parses `input` (JSON bytes) into the facts type `T`. Unknown fields,
/// missing fields, wrong types, bad dates, out-of-range numbers, unknown
/// enum values and an array where an object belongs are errors naming the
/// field. Nesting deeper than 128 levels is
/// rejected, so no input can exhaust the stack.
///
/// Valid facts are parsed once, by serde_json alone; only input that fails
/// is parsed again, tracking the path, to say where it failed.
pub fn parse_facts<T: DeserializeOwned>(input: &[u8]) -> Result<T, FactsError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(FactsError::Empty);
    }
    not_an_object(input)?;
    let mut de = serde_json::Deserializer::from_slice(input);
    match T::deserialize(ObjectsOnly(&mut de)).and_then(|value| de.end().map(|()| value)) {
        Ok(value) => Ok(value),
        Err(_) => explain(input),
    }
}

/// Refuses facts that are a JSON value but not an object: serde's derived
/// structs would read an array as the members in declaration order.
fn not_an_object(input: &[u8]) -> Result<(), FactsError> {
    let Some(at) = input.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(());
    };
    let found = match input.get(at) {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        // An object, or not JSON at all: serde_json says which.
        _ => return Ok(()),
    };
    let before = input.get(..at).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
    Err(FactsError::Invalid {
        path: None,
        message: format!(
            "the facts must be a JSON object, not {found} at line {line} column {column}"
        ),
    })
}

/// A serde_json error message without its trailing ` at line L column C`:
/// for a message about JSON the caller did not write as it is (facts
/// re-encoded from a scenario file, a config inside a request body).
pub fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at)
            if message
                .get(at..)
                .is_some_and(|tail| tail.contains(" column ")) =>
        {
            message.get(..at).unwrap_or(message)
        }
        _ => message,
    }
}

/// Parses `input` tracking the field path, for the error that names it.
/// (It parses what serde_json alone parses, so it fails for the input
/// [`parse_facts`] could not read; if it ever does not, its value stands.)
#[cold]
fn explain<T: DeserializeOwned>(input: &[u8]) -> Result<T, FactsError> {
    let mut de = serde_json::Deserializer::from_slice(input);
    let value: T = serde_path_to_error::deserialize(ObjectsOnly(&mut de)).map_err(|error| {
        let path = known_path(error.path());
        let inner = error.into_inner();
        let literal = number_at(input, inner.line(), inner.column());
        let message = in_json_words(&inner.to_string(), input);
        FactsError::Invalid {
            path,
            message: literal
                .and_then(|literal| out_of_range(&message, literal))
                .unwrap_or(message),
        }
    })?;
    de.end().map_err(|error| FactsError::Invalid {
        path: None,
        message: error.to_string(),
    })?;
    Ok(value)
}

/// serde's message for a value of the wrong type, in the words of JSON
/// rather than of the Rust types behind it: `expected struct LicenseFields`
/// is `expected a JSON object`, `expected u32` a whole number and its range;
/// serde_json's bare `expected value`, which it gives for a member that
/// takes one of a list of strings but holds another type (in valid JSON),
/// says so.
fn in_json_words(message: &str, input: &[u8]) -> String {
    let mut text = message.to_owned();
    const STRUCT: &str = "expected struct ";
    if let Some(at) = text.find(STRUCT) {
        let name_len = text.get(at + STRUCT.len()..).map_or(0, |rest| {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())
        });
        text.replace_range(at..at + STRUCT.len() + name_len, "expected a JSON object");
    }
    for (ty, words) in [
        ("u8", "a whole number from 0 to 255"),
        ("u16", "a whole number from 0 to 65535"),
        ("u32", "a whole number from 0 to 4294967295"),
        ("u64", "a whole number from 0 to 18446744073709551615"),
        ("i64", "a whole number"),
    ] {
        let needle = format!("expected {ty}");
        let Some(at) = text.find(&needle) else {
            continue;
        };
        let end = at + needle.len();
        let whole_word = text
            .get(end..)
            .and_then(|rest| rest.chars().next())
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if whole_word {
            text.replace_range(at..end, &format!("expected {words}"));
        }
    }
    if text.starts_with("expected value")
        && serde_json::from_slice::<serde::de::IgnoredAny>(input).is_ok()
    {
        text = text.replacen(
            "expected value",
            "wrong type: expected a string naming one of its values (`entitle schema <policy>` lists them)",
            1,
        );
    }
    text
}

impl FactsError {
    /// The dotted path of the offending member, for an adapter to point at:
    /// the error's `path` and, when a member is missing, that member under
    /// it (serde names a missing member in its message, at the path of the
    /// object that should hold it; an unknown member is already in the
    /// path). `None` for empty facts and for a problem at the top level.
    pub fn field(&self) -> Option<String> {
        let FactsError::Invalid { path, message } = self else {
            return None;
        };
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(member, _)| member);
        match (path, missing) {
            (Some(path), Some(member)) => Some(format!("{path}.{member}")),
            (None, Some(member)) => Some(member.to_owned()),
            (path, None) => path.clone(),
        }
    }
}

/// The number literal that ends at (or holds) line `line`, column
/// `column` of `input` (serde_json's position of a value it refused).
fn number_at(input: &[u8], line: usize, column: usize) -> Option<&str> {
    let line_start = if line <= 1 {
        0
    } else {
        input
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?
    };
    let at = (line_start + column).min(input.len());
    let number = |b: &u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
    let mut start = at;
    while start > line_start && input.get(start - 1).is_some_and(number) {
        start -= 1;
    }
    let mut end = at;
    while input.get(end).is_some_and(number) {
        end += 1;
    }
    std::str::from_utf8(input.get(start..end)?)
        .ok()
        .filter(|s| !s.is_empty())
}

/// serde's message for a whole number too large for any integer type
/// (serde_json reads it as a float: `invalid type: floating point
/// `1e20`, expected a whole number from 0 to 4294967295`), said as it is
/// when `literal`, the value as written, is a whole number: `` `100000000000000000000`
/// is out of range: expected a whole number from 0 to 4294967295 ``.
/// `None` when the message is another or the literal is a fraction.
pub fn out_of_range(message: &str, literal: &str) -> Option<String> {
    const FLOAT: &str = "invalid type: floating point `";
    let start = message.find(FLOAT)?;
    let rest = message.get(start + FLOAT.len()..)?;
    let (_, expected) = rest.split_once("`, ")?;
    let digits = literal.strip_prefix('-').unwrap_or(literal);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !expected.starts_with("expected a whole number") {
        return None;
    }
    Some(format!(
        "{}`{literal}` is out of range: {expected}",
        message.get(..start).unwrap_or("")
    ))
}

/// The field path up to the first segment whose key is not known yet (the
/// JSON broke before its key was read); `None` when no segment is known.
fn known_path(path: &Path) -> Option<String> {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => break,
        }
    }
    (!out.is_empty()).then_some(out)
}
