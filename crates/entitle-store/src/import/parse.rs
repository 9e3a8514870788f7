//! Parsing import files: JSON (an object of arrays, or an array of one
//! kind) and CSV (one kind), keeping where each record came from.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::{ImportError, ImportKind};
use crate::records::{RecordCounts, Records};

/// Where each record of a [`Records`] batch came from, for error messages.
#[derive(Debug, Clone, Default)]
struct Origins {
    by_kind: HashMap<ImportKind, Vec<(PathBuf, String)>>,
}

impl Origins {
    fn push(&mut self, kind: ImportKind, file: &Path, row: String) {
        self.by_kind
            .entry(kind)
            .or_default()
            .push((file.to_path_buf(), row));
    }

    fn get(&self, kind: ImportKind, index: usize) -> (PathBuf, String) {
        self.by_kind
            .get(&kind)
            .and_then(|v| v.get(index))
            .cloned()
            .unwrap_or_else(|| (PathBuf::from("<input>"), format!("row {}", index + 1)))
    }

    fn append(&mut self, other: Origins) {
        for (kind, mut rows) in other.by_kind {
            self.by_kind.entry(kind).or_default().append(&mut rows);
        }
    }
}

/// Records parsed from files, with where each came from.
#[derive(Debug, Clone, Default)]
pub struct ParsedRecords {
    /// The records.
    pub records: Records,
    /// Counts per file, in the order read.
    pub files: Vec<(PathBuf, RecordCounts)>,
    origins: Origins,
}

fn kind_of(entity: &str) -> Option<ImportKind> {
    ImportKind::ALL.iter().copied().find(|k| k.key() == entity)
}

/// Parses `bytes` as JSON (an object of arrays, or an array of `kind`).
pub fn parse_json(
    file: &Path,
    bytes: &[u8],
    kind: Option<ImportKind>,
) -> Result<ParsedRecords, ImportError> {
    let json_error = |e: serde_json::Error, path: Option<String>| ImportError::Json {
        file: file.to_path_buf(),
        line: e.line(),
        column: e.column(),
        path,
        message: entitle::input::short_quotes(&strip_position(&e.to_string())),
    };
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    let mut origins = Origins::default();
    let parse_all = |bytes: &[u8]| -> Result<Records, ImportError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let records: Records = serde_path_to_error::deserialize(entitle::input::ObjectsOnly(
            &mut de,
        ))
        .map_err(|e| {
            let path = e.path().to_string();
            json_error(e.into_inner(), (path != ".").then_some(path))
        })?;
        de.end().map_err(|e| json_error(e, None))?;
        Ok(records)
    };
    let records = match (first, kind) {
        (Some(b'['), kind) => {
            let kind = kind
                .or_else(|| ImportKind::from_path(file))
                .ok_or_else(|| ImportError::UnknownKind {
                    file: file.to_path_buf(),
                })?;
            // Wrap the array as `{"<key>": [...]}` so one parser serves both.
            let mut wrapped = Vec::with_capacity(bytes.len() + 32);
            wrapped.extend_from_slice(format!("{{\"{}\":", kind.key()).as_bytes());
            wrapped.extend_from_slice(bytes);
            wrapped.extend_from_slice(b"\n}");
            let records = parse_all(&wrapped).map_err(|e| match e {
                ImportError::Json {
                    file,
                    line,
                    column,
                    path,
                    message,
                } => ImportError::Json {
                    file,
                    line,
                    // The prefix sits on line 1.
                    column: if line == 1 {
                        column.saturating_sub(kind.key().len() + 4)
                    } else {
                        column
                    },
                    path: path.map(|p| p.strip_prefix(kind.key()).map(str::to_owned).unwrap_or(p)),
                    message,
                },
                other => other,
            })?;
            let n = records.len();
            for i in 0..n {
                origins.push(kind, file, format!("element [{i}]"));
            }
            records
        }
        _ => {
            let records = parse_all(bytes)?;
            for kind in ImportKind::ALL {
                let n = records.counts().get(*kind);
                for i in 0..n {
                    origins.push(*kind, file, format!("{}[{i}]", kind.key()));
                }
            }
            records
        }
    };
    Ok(ParsedRecords {
        files: vec![(file.to_path_buf(), records.counts())],
        records,
        origins,
    })
}

/// serde_json appends " at line L column C" to messages; the error already
/// carries them.
fn strip_position(message: &str) -> String {
    message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head)
        .to_owned()
}

/// The rows of a CSV file as `T`s, with the line of each.
pub(crate) fn csv_rows<T: DeserializeOwned>(
    file: &Path,
    bytes: &[u8],
) -> Result<(Vec<T>, Vec<String>), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(file, &e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        // No field takes a control character (a NUL, an escape, a line
        // break): refused here, named by its code point, never echoed (a
        // NUL reached PostgreSQL and failed there, exit 1).
        for (header, cell) in headers.iter().zip(record.iter()) {
            if let Some(c) = cell.chars().find(|c| c.is_control()) {
                return Err(ImportError::Csv {
                    file: file.to_path_buf(),
                    line,
                    field: Some(header.to_owned()),
                    message: format!(
                        "the cell holds the control character U+{:04X}; no field takes one",
                        u32::from(c)
                    ),
                });
            }
        }
        // An empty cell is an absent field (optional, or defaulted).
        let cells = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(header, cell)| (header, super::cell::Cell(cell)));
        let de = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(cells);
        let row: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            // An unknown field is a column: the header is wrong (line 1),
            // not the first row that has a cell under it.
            let column = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split_once('`'))
                .map(|(column, _)| column.to_owned());
            match column {
                // Named only when it looks like a column name: the first
                // line of a file that is no CSV export (`/etc/shadow`) is
                // read as the header, and is not quoted.
                Some(column) if is_column_name(&column) => ImportError::Csv {
                    file: file.to_path_buf(),
                    line: 1,
                    field: Some(column),
                    message: format!(
                        "unknown column in the header: {}",
                        entitle::input::short_quotes(&message)
                    ),
                },
                Some(_) => ImportError::Csv {
                    file: file.to_path_buf(),
                    line: 1,
                    field: None,
                    message: format!(
                        "the header holds a column that is not a column name (not shown): is this a CSV export? expected {}",
                        message
                            .split_once(", expected ")
                            .map_or("the kind's columns", |(_, known)| known)
                    ),
                },
                // What serde quotes of a cell is cut short.
                None => ImportError::Csv {
                    file: file.to_path_buf(),
                    line,
                    field: (path != ".").then_some(path),
                    message: entitle::input::short_quotes(&message),
                },
            }
        })?;
        rows.push(row);
        lines.push(format!("line {line}"));
    }
    if rows.is_empty() {
        // Importing nothing is not what a file given to import is for: an
        // empty export, or the wrong file.
        return Err(ImportError::Csv {
            file: file.to_path_buf(),
            line: 1,
            field: None,
            message: "the file holds no records (no row after the header)".to_owned(),
        });
    }
    Ok((rows, lines))
}

/// Whether an unknown CSV header is quoted: letters, digits, `_`, `-` and
/// spaces, at most 40 characters.
fn is_column_name(column: &str) -> bool {
    !column.is_empty()
        && column.chars().count() <= entitle::input::EXCERPT_CHARS
        && column
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' '))
}

fn csv_error(file: &Path, e: &csv::Error) -> ImportError {
    ImportError::Csv {
        file: file.to_path_buf(),
        line: e.position().map_or(0, |p| p.line()),
        field: None,
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields, but the header has {expected_len}"),
            _ => e.to_string(),
        },
    }
}

/// Parses `bytes` as CSV records of `kind` (or of the kind the file's name
/// says).
pub fn parse_csv(
    file: &Path,
    bytes: &[u8],
    kind: Option<ImportKind>,
) -> Result<ParsedRecords, ImportError> {
    let kind = kind
        .or_else(|| ImportKind::from_path(file))
        .ok_or_else(|| ImportError::UnknownKind {
            file: file.to_path_buf(),
        })?;
    let mut records = Records::default();
    let lines = records.read_csv(kind, file, bytes)?;
    let mut origins = Origins::default();
    for line in lines {
        origins.push(kind, file, line);
    }
    Ok(ParsedRecords {
        files: vec![(file.to_path_buf(), records.counts())],
        records,
        origins,
    })
}

/// Reads and parses one file; the format comes from its extension.
pub fn parse_file(file: &Path, kind: Option<ImportKind>) -> Result<ParsedRecords, ImportError> {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let json = match extension.as_deref() {
        Some("json") => true,
        Some("csv") => false,
        _ => {
            return Err(ImportError::UnknownFormat {
                file: file.to_path_buf(),
            });
        }
    };
    let bytes = std::fs::read(file).map_err(|source| ImportError::Read {
        file: file.to_path_buf(),
        source,
    })?;
    if json {
        parse_json(file, &bytes, kind)
    } else {
        parse_csv(file, &bytes, kind)
    }
}

impl ParsedRecords {
    /// Adds the records of `other` after these.
    pub fn append(&mut self, other: ParsedRecords) {
        self.records.append(other.records);
        self.files.extend(other.files);
        self.origins.append(other.origins);
    }

    pub(super) fn invalid(
        &self,
        kind: ImportKind,
        index: usize,
        field: &'static str,
        message: String,
    ) -> ImportError {
        let (file, row) = self.origins.get(kind, index);
        ImportError::Invalid {
            file,
            row,
            field,
            message,
        }
    }

    /// Checks every record: values ([`Records::validate`]) and ids used
    /// twice. References are checked by [`import`](crate::import::import) against the store too.
    pub fn validate(&self) -> Result<(), ImportError> {
        if let Some(p) = self.records.validate().into_iter().next() {
            let kind = kind_of(p.entity).unwrap_or(ImportKind::Customers);
            return Err(self.invalid(kind, p.index, p.field, p.message));
        }
        let r = &self.records;
        let keyed = r.batch_keys();
        for (kind, ids) in &keyed {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for (i, id) in ids.iter().enumerate() {
                if let Some(first) = seen.insert(id.as_str(), i) {
                    let (first_file, first_row) = self.origins.get(*kind, first);
                    return Err(self.invalid(
                        *kind,
                        i,
                        "id",
                        format!(
                            "`{id}` is already given at {}: {first_row}",
                            first_file.display()
                        ),
                    ));
                }
            }
        }
        let mut emails: HashMap<String, usize> = HashMap::new();
        for (i, a) in r.accounts.iter().enumerate() {
            if emails.insert(a.email.to_lowercase(), i).is_some() {
                return Err(self.invalid(
                    ImportKind::Accounts,
                    i,
                    "email",
                    format!("`{}` belongs to another account too", a.email),
                ));
            }
        }
        let mut paths: HashSet<&str> = HashSet::new();
        for (i, n) in r.namespaces.iter().enumerate() {
            if !paths.insert(n.path.as_str()) {
                return Err(self.invalid(
                    ImportKind::Namespaces,
                    i,
                    "path",
                    format!("`{}` is the path of another namespace too", n.path),
                ));
            }
        }
        Ok(())
    }
}
