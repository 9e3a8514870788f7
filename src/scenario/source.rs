//! A scenario file's text as one JSON document, with where each value is
//! in the user's file: an error names a line and column of the file as
//! written, never of a re-encoded copy.
//!
//! TOML is read with the spans its parser keeps ([`toml::de::DeTable`]);
//! JSON, already checked by serde_json, is scanned once for the byte range
//! of each value. A value is found by its dotted path
//! (`scenario[2].facts.license.expires_on`), as serde_path_to_error and the
//! facts errors spell it.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A line and a column (both from 1; the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A parsed scenario file: the document and, read the first time an error
/// needs them, the span of each value.
#[derive(Debug)]
pub(crate) struct Source<'t> {
    text: &'t str,
    /// The document as JSON (TOML dates and instants as their RFC 3339
    /// text).
    pub(crate) document: Value,
    /// The parsed TOML, kept for its spans (`None` for JSON).
    toml: Option<Spanned<DeTable<'t>>>,
    /// The span of each value by dotted path: built when first asked (a
    /// file that loads cleanly never needs it).
    spans: OnceLock<HashMap<String, Range<usize>>>,
    /// The byte offset of each line's start (a position is a binary
    /// search, not a count from the top: a file of 1,000 scenarios).
    line_starts: OnceLock<Vec<usize>>,
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// `path` and `key` joined as the dotted path (`a.b`, `a[0]`).
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The byte offset `at` of `text` as a line and column.
pub(crate) fn position_of(text: &str, at: usize) -> Position {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = 1 + before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = 1 + before.get(line_start..).map_or(0, |s| s.chars().count());
    Position { line, column }
}

impl<'t> Source<'t> {
    /// Reads TOML text; the error is the parser's.
    pub(crate) fn toml(text: &'t str) -> Result<Source<'t>, toml::de::Error> {
        let table = DeTable::parse(text)?;
        let document = toml_table(table.get_ref(), None);
        Ok(Source {
            text,
            document,
            toml: Some(table),
            spans: OnceLock::new(),
            line_starts: OnceLock::new(),
        })
    }

    /// Reads JSON text; the error is serde_json's.
    pub(crate) fn json(text: &'t str) -> Result<Source<'t>, serde_json::Error> {
        let document: Value = serde_json::from_str(text)?;
        Ok(Source {
            text,
            document,
            toml: None,
            spans: OnceLock::new(),
            line_starts: OnceLock::new(),
        })
    }

    fn spans(&self) -> &HashMap<String, Range<usize>> {
        self.spans.get_or_init(|| {
            let mut spans = HashMap::new();
            match &self.toml {
                Some(table) => {
                    toml_table(table.get_ref(), Some(("", &mut spans)));
                }
                None => {
                    let mut scanner = JsonScanner {
                        bytes: self.text.as_bytes(),
                        at: 0,
                        spans: &mut spans,
                        depth: 0,
                    };
                    scanner.value(String::new());
                }
            }
            spans
        })
    }

    /// The span of the value at `path`, or of the nearest enclosing value
    /// the file has (a missing field is at its table).
    fn span(&self, path: &str) -> Option<Range<usize>> {
        let mut path = path;
        loop {
            if let Some(span) = self.spans().get(path) {
                return Some(span.clone());
            }
            if path.is_empty() {
                return None;
            }
            let cut = path.rfind(['.', '[']).unwrap_or(0);
            path = path.get(..cut).unwrap_or("");
        }
    }

    /// True when the file itself holds a value at `path`.
    pub(crate) fn has(&self, path: &str) -> bool {
        self.spans().contains_key(path)
    }

    /// Where the value at `path` (or its nearest enclosing one) starts.
    pub(crate) fn position(&self, path: &str) -> Option<Position> {
        let at = self.span(path)?.start.min(self.text.len());
        let starts = self.line_starts.get_or_init(|| line_starts(self.text));
        let line = starts.partition_point(|&start| start <= at);
        let start = starts.get(line.checked_sub(1)?).copied()?;
        let column = 1 + self.text.get(start..at).map_or(0, |s| s.chars().count());
        Some(Position { line, column })
    }

    /// The text of the value at exactly `path`, as written.
    pub(crate) fn literal(&self, path: &str) -> Option<&'t str> {
        self.spans()
            .get(path)
            .and_then(|s| self.text.get(s.clone()))
    }
}

/// Where [`toml_table`] records spans: the path so far and the map (`None`:
/// only the document is wanted).
type Record<'a, 'm> = Option<(&'a str, &'m mut HashMap<String, Range<usize>>)>;

fn toml_table(table: &DeTable<'_>, mut record: Record<'_, '_>) -> Value {
    let mut map = Map::new();
    for (key, value) in table.iter() {
        let converted = match record.as_mut() {
            Some((path, spans)) => {
                let here = join(path, key.get_ref());
                toml_value(value, Some((&here, &mut **spans)))
            }
            None => toml_value(value, None),
        };
        map.insert(key.get_ref().to_string(), converted);
    }
    Value::Object(map)
}

fn toml_value(value: &Spanned<DeValue<'_>>, mut record: Record<'_, '_>) -> Value {
    if let Some((path, spans)) = record.as_mut() {
        spans.insert((*path).to_owned(), value.span());
    }
    match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => toml_integer(i.as_str(), i.radix()),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| match record.as_mut() {
                    Some((path, spans)) => {
                        let here = format!("{path}[{i}]");
                        toml_value(item, Some((&here, &mut **spans)))
                    }
                    None => toml_value(item, None),
                })
                .collect(),
        ),
        DeValue::Table(table) => toml_table(table, record),
    }
}

/// A TOML integer as a JSON number. One past `u64` becomes a float, as
/// serde_json reads it from JSON; the facts reader then says it is out of
/// range, from the literal ([`crate::facts::out_of_range`]).
fn toml_integer(digits: &str, radix: u32) -> Value {
    let digits = digits.replace('_', "");
    if let Ok(i) = i64::from_str_radix(&digits, radix) {
        return Value::from(i);
    }
    if let Ok(u) = u64::from_str_radix(&digits, radix) {
        return Value::from(u);
    }
    digits
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// Records the span of each value of JSON text serde_json accepted.
struct JsonScanner<'a, 'm> {
    bytes: &'a [u8],
    at: usize,
    spans: &'m mut HashMap<String, Range<usize>>,
    depth: usize,
}

impl JsonScanner<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// Reads a string (at its opening quote); returns its content, unescaped
    /// as serde_json does.
    fn string(&mut self) -> String {
        let start = self.at;
        self.at += 1;
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'"' => break,
                _ => {}
            }
        }
        self.bytes
            .get(start..self.at)
            .and_then(|raw| serde_json::from_slice::<String>(raw).ok())
            .unwrap_or_default()
    }

    fn value(&mut self, path: String) {
        // serde_json refuses nesting deeper than 128: so does the scan.
        if self.depth > 128 {
            return;
        }
        self.skip_ws();
        let start = self.at;
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                self.depth += 1;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b'"') => {
                            let key = self.string();
                            self.skip_ws();
                            if self.peek() == Some(b':') {
                                self.at += 1;
                            }
                            self.value(join(&path, &key));
                            self.skip_ws();
                            if self.peek() == Some(b',') {
                                self.at += 1;
                            }
                        }
                        Some(b'}') => {
                            self.at += 1;
                            break;
                        }
                        _ => break,
                    }
                }
                self.depth -= 1;
            }
            Some(b'[') => {
                self.at += 1;
                self.depth += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b']') => {
                            self.at += 1;
                            break;
                        }
                        None => break,
                        _ => {
                            self.value(format!("{path}[{index}]"));
                            index += 1;
                            self.skip_ws();
                            if self.peek() == Some(b',') {
                                self.at += 1;
                            }
                        }
                    }
                }
                self.depth -= 1;
            }
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b']' | b'}') && !b.is_ascii_whitespace())
                {
                    self.at += 1;
                }
            }
            None => return,
        }
        self.spans.insert(path, start..self.at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_values_are_found_where_the_user_wrote_them() {
        let text = "[[scenario]]\nname = \"a\"\n\n[scenario.facts]\nlicense = { users = 5, expires_on = 2026-11-31 }\n";
        // 2026-11-31 is not a TOML date: the parser says so, with a span.
        assert!(Source::toml(text).is_err());
        let text = "[[scenario]]\nname = \"a\"\n\n[scenario.facts]\nlicense = { users = 100000000000000000000, on = \"x\" }\n";
        let source = Source::toml(text).unwrap();
        assert_eq!(
            source.position("scenario[0].facts.license.users"),
            Some(Position {
                line: 5,
                column: 21
            })
        );
        assert_eq!(
            source.literal("scenario[0].facts.license.users"),
            Some("100000000000000000000")
        );
        // A missing member is at its table.
        assert_eq!(
            source.position("scenario[0].facts.license.plan"),
            source.position("scenario[0].facts.license")
        );
    }

    #[test]
    fn json_values_are_found_where_the_user_wrote_them() {
        let text = "{\"scenario\": [\n  {\"name\": \"a\",\n   \"facts\": {\"k\\\"ey\": [1, {\"x\": 2}]}}\n]}";
        let source = Source::json(text).unwrap();
        assert_eq!(
            source.position("scenario[0].facts.k\"ey[1].x"),
            Some(Position {
                line: 3,
                column: 33
            })
        );
        assert_eq!(source.literal("scenario[0].name"), Some("\"a\""));
    }
}
