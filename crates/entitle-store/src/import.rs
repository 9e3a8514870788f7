//! Reading records from JSON and CSV files (what `entitle import` does).
//!
//! Formats, chosen by the file's extension (`.json`, `.csv`):
//!
//! - **JSON, an object** with one array per entity (the [`Records`] form:
//!   `customers`, `accounts`, `account_subscriptions`, `subscriptions`,
//!   `licenses`, `seat_link_reports`, `namespaces`, `namespace_trials`,
//!   `tickets`; each optional);
//! - **JSON, an array** of one entity;
//! - **CSV** of one entity, with a header row naming the fields (an empty
//!   cell is an absent optional field; booleans are `true`/`false`).
//!
//! For an array or a CSV file the entity is the `kind` given, else the
//! file's name (`licenses.csv`, `seat-link-reports.json`). Every row is
//! checked before anything is written: field types, unknown fields, ids,
//! emails, URLs, date order, duplicate ids, and references to records that
//! exist neither in the files nor in the store. An error names the file, the
//! row (CSV: the line; JSON: the array element, 1-based) and the field. All
//! files are written in one transaction: either everything is imported or
//! nothing.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::error::StoreError;
use crate::records::{RecordCounts, Records};
use crate::store::Store;

/// One entity kind of the import formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// `customers`
    Customers,
    /// `accounts` (CustomersDot accounts)
    Accounts,
    /// `account-subscriptions` (which subscriptions an account may see)
    AccountSubscriptions,
    /// `subscriptions`
    Subscriptions,
    /// `licenses`
    Licenses,
    /// `seat-link-reports`
    SeatLinkReports,
    /// `namespaces`
    Namespaces,
    /// `namespace-trials`
    NamespaceTrials,
    /// `tickets`
    Tickets,
}

impl ImportKind {
    /// Every kind, parents before children.
    pub const ALL: &'static [ImportKind] = &[
        ImportKind::Customers,
        ImportKind::Accounts,
        ImportKind::Subscriptions,
        ImportKind::AccountSubscriptions,
        ImportKind::Licenses,
        ImportKind::SeatLinkReports,
        ImportKind::Namespaces,
        ImportKind::NamespaceTrials,
        ImportKind::Tickets,
    ];

    /// The kind's id on the command line (`seat-link-reports`).
    pub fn id(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::Accounts => "accounts",
            ImportKind::AccountSubscriptions => "account-subscriptions",
            ImportKind::Subscriptions => "subscriptions",
            ImportKind::Licenses => "licenses",
            ImportKind::SeatLinkReports => "seat-link-reports",
            ImportKind::Namespaces => "namespaces",
            ImportKind::NamespaceTrials => "namespace-trials",
            ImportKind::Tickets => "tickets",
        }
    }

    /// The kind's key in the JSON object form (`seat_link_reports`).
    pub fn key(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::Accounts => "accounts",
            ImportKind::AccountSubscriptions => "account_subscriptions",
            ImportKind::Subscriptions => "subscriptions",
            ImportKind::Licenses => "licenses",
            ImportKind::SeatLinkReports => "seat_link_reports",
            ImportKind::Namespaces => "namespaces",
            ImportKind::NamespaceTrials => "namespace_trials",
            ImportKind::Tickets => "tickets",
        }
    }

    /// The kind named by a file, from its stem (`licenses`,
    /// `seat_link_reports`, `seat-link-reports`).
    pub fn from_path(path: &Path) -> Option<ImportKind> {
        let stem = path.file_stem()?.to_str()?;
        stem.parse().ok()
    }
}

impl fmt::Display for ImportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for ImportKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normal = s.trim().to_ascii_lowercase().replace('_', "-");
        ImportKind::ALL
            .iter()
            .copied()
            .find(|k| k.id() == normal)
            .ok_or_else(|| {
                let ids: Vec<&str> = ImportKind::ALL.iter().map(|k| k.id()).collect();
                format!("unknown kind `{s}`; expected one of: {}", ids.join(", "))
            })
    }
}

/// Why an import failed. Every variant names the file; row-level variants
/// name the row and the field.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file's extension is neither `.json` nor `.csv`.
    #[error("{}: unknown format: expected a .json or .csv file", file.display())]
    UnknownFormat {
        /// The file.
        file: PathBuf,
    },
    /// The entity of an array or CSV file is not known.
    #[error(
        "{}: which records does it hold? name the file after the kind (e.g. licenses.csv) or pass --kind ({})",
        file.display(),
        ImportKind::ALL.iter().map(|k| k.id()).collect::<Vec<_>>().join(", ")
    )]
    UnknownKind {
        /// The file.
        file: PathBuf,
    },
    /// A JSON file does not parse or does not have the expected shape.
    #[error("{}: line {line}, column {column}{}: {message}", file.display(), at(path))]
    Json {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The field path (`licenses[2].expires_on`), when inside a field.
        path: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A CSV row does not parse.
    #[error("{}: line {line}{}: {message}", file.display(), field.as_deref().map(|f| format!(", field `{f}`")).unwrap_or_default())]
    Csv {
        /// The file.
        file: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// The column's header, when known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A row parses but a value is not valid.
    #[error("{}: {row}, field `{field}`: {message}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Where in the file (`line 4`, `licenses[3]`).
        row: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The store refused the records (or could not be reached).
    #[error("storing the records: {0}")]
    Store(#[from] StoreError),
}

fn at(path: &Option<String>) -> String {
    path.as_deref()
        .map(|p| format!(", at `{p}`"))
        .unwrap_or_default()
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Each file read, with how many records of each kind it held.
    pub files: Vec<(PathBuf, RecordCounts)>,
    /// Records written, by kind (a record with an existing id replaces it).
    pub counts: RecordCounts,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counts;
        let parts = [
            ("customers", c.customers),
            ("accounts", c.accounts),
            ("subscriptions", c.subscriptions),
            ("account subscriptions", c.account_subscriptions),
            ("licenses", c.licenses),
            ("seat link reports", c.seat_link_reports),
            ("namespaces", c.namespaces),
            ("namespace trials", c.namespace_trials),
            ("tickets", c.tickets),
        ];
        let listed: Vec<String> = parts
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        write!(
            f,
            "imported {} records from {} file{}",
            c.total(),
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" }
        )?;
        if !listed.is_empty() {
            write!(f, ": {}", listed.join(", "))?;
        }
        Ok(())
    }
}

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

fn counts_of(records: &Records) -> RecordCounts {
    RecordCounts {
        customers: records.customers.len(),
        accounts: records.accounts.len(),
        subscriptions: records.subscriptions.len(),
        account_subscriptions: records.account_subscriptions.len(),
        licenses: records.licenses.len(),
        seat_link_reports: records.seat_link_reports.len(),
        namespaces: records.namespaces.len(),
        namespace_trials: records.namespace_trials.len(),
        tickets: records.tickets.len(),
    }
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
        message: strip_position(&e.to_string()),
    };
    let first = bytes
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    let mut origins = Origins::default();
    let parse_all = |bytes: &[u8]| -> Result<Records, ImportError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let records: Records = serde_path_to_error::deserialize(&mut de).map_err(|e| {
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
            let n = counts_of(&records).total();
            for i in 0..n {
                origins.push(kind, file, format!("element [{i}]"));
            }
            records
        }
        _ => {
            let records = parse_all(bytes)?;
            for kind in ImportKind::ALL {
                let n = kind_len(&records, *kind);
                for i in 0..n {
                    origins.push(*kind, file, format!("{}[{i}]", kind.key()));
                }
            }
            records
        }
    };
    Ok(ParsedRecords {
        files: vec![(file.to_path_buf(), counts_of(&records))],
        records,
        origins,
    })
}

/// serde_json appends " at line L column C" to messages; the error already
/// carries them.
fn strip_position(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((before, _)) => before.to_owned(),
        None => message.to_owned(),
    }
}

fn kind_len(records: &Records, kind: ImportKind) -> usize {
    match kind {
        ImportKind::Customers => records.customers.len(),
        ImportKind::Accounts => records.accounts.len(),
        ImportKind::AccountSubscriptions => records.account_subscriptions.len(),
        ImportKind::Subscriptions => records.subscriptions.len(),
        ImportKind::Licenses => records.licenses.len(),
        ImportKind::SeatLinkReports => records.seat_link_reports.len(),
        ImportKind::Namespaces => records.namespaces.len(),
        ImportKind::NamespaceTrials => records.namespace_trials.len(),
        ImportKind::Tickets => records.tickets.len(),
    }
}

fn csv_rows<T: DeserializeOwned>(
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
        // An empty cell is an absent field (optional, or defaulted).
        let cells = headers
            .iter()
            .zip(record.iter())
            .filter(|(_, cell)| !cell.is_empty())
            .map(|(header, cell)| (header, cell::Cell(cell)));
        let de = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(cells);
        let row: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            ImportError::Csv {
                file: file.to_path_buf(),
                line,
                field: (path != ".").then_some(path),
                message: e.into_inner().to_string(),
            }
        })?;
        rows.push(row);
        lines.push(format!("line {line}"));
    }
    Ok((rows, lines))
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

/// A CSV cell as a serde value: text that parses as what the field wants.
mod cell {
    use serde::de::value::{Error, StrDeserializer};
    use serde::de::{Deserializer, Error as _, IntoDeserializer, Visitor};

    pub(super) struct Cell<'a>(pub(super) &'a str);

    impl<'de> IntoDeserializer<'de, Error> for Cell<'_> {
        type Deserializer = Self;
        fn into_deserializer(self) -> Self {
            self
        }
    }

    impl Cell<'_> {
        fn number<T: std::str::FromStr>(&self, what: &str) -> Result<T, Error> {
            self.0
                .parse()
                .map_err(|_| Error::custom(format!("`{}` is not {what}", self.0)))
        }
    }

    impl<'de> Deserializer<'de> for Cell<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_str(self.0)
        }

        fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0.to_ascii_lowercase().as_str() {
                "true" => visitor.visit_bool(true),
                "false" => visitor.visit_bool(false),
                _ => Err(Error::custom(format!(
                    "`{}` is not a boolean: expected true or false",
                    self.0
                ))),
            }
        }

        fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(self.number("a whole number")?)
        }

        fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(self.number("a whole number")?)
        }

        fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(self.number("a whole number")?)
        }

        fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_u64(self.number("a whole number")?)
        }

        fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_i64(self.number("a whole number")?)
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            StrDeserializer::<Error>::new(self.0).deserialize_enum(name, variants, visitor)
        }

        serde::forward_to_deserialize_any! {
            i8 i16 i32 i128 u128 f32 f64 char str string bytes byte_buf unit
            unit_struct newtype_struct seq tuple tuple_struct map struct identifier
            ignored_any
        }
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
    let lines = match kind {
        ImportKind::Customers => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.customers = rows;
            lines
        }
        ImportKind::Accounts => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.accounts = rows;
            lines
        }
        ImportKind::AccountSubscriptions => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.account_subscriptions = rows;
            lines
        }
        ImportKind::Subscriptions => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.subscriptions = rows;
            lines
        }
        ImportKind::Licenses => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.licenses = rows;
            lines
        }
        ImportKind::SeatLinkReports => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.seat_link_reports = rows;
            lines
        }
        ImportKind::Namespaces => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.namespaces = rows;
            lines
        }
        ImportKind::NamespaceTrials => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.namespace_trials = rows;
            lines
        }
        ImportKind::Tickets => {
            let (rows, lines) = csv_rows(file, bytes)?;
            records.tickets = rows;
            lines
        }
    };
    let mut origins = Origins::default();
    for line in lines {
        origins.push(kind, file, line);
    }
    Ok(ParsedRecords {
        files: vec![(file.to_path_buf(), counts_of(&records))],
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

    fn invalid(
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
    /// twice. References are checked by [`import`] against the store too.
    pub fn validate(&self) -> Result<(), ImportError> {
        if let Some(p) = self.records.validate().into_iter().next() {
            let kind = kind_of(p.entity).unwrap_or(ImportKind::Customers);
            return Err(self.invalid(kind, p.index, p.field, p.message));
        }
        let r = &self.records;
        let keyed: [(ImportKind, Vec<String>); 9] = [
            (
                ImportKind::Customers,
                r.customers.iter().map(|x| x.id.clone()).collect(),
            ),
            (
                ImportKind::Accounts,
                r.accounts.iter().map(|x| x.id.clone()).collect(),
            ),
            (
                ImportKind::AccountSubscriptions,
                r.account_subscriptions
                    .iter()
                    .map(|x| format!("{} -> {}", x.account_id, x.subscription_id))
                    .collect(),
            ),
            (
                ImportKind::Subscriptions,
                r.subscriptions.iter().map(|x| x.id.clone()).collect(),
            ),
            (
                ImportKind::Licenses,
                r.licenses.iter().map(|x| x.id.clone()).collect(),
            ),
            (
                ImportKind::SeatLinkReports,
                r.seat_link_reports
                    .iter()
                    .map(|x| format!("{} on {}", x.subscription_id, x.reported_on))
                    .collect(),
            ),
            (
                ImportKind::Namespaces,
                r.namespaces.iter().map(|x| x.id.clone()).collect(),
            ),
            (
                ImportKind::NamespaceTrials,
                r.namespace_trials
                    .iter()
                    .map(|x| format!("{} from {}", x.namespace_id, x.starts_on))
                    .collect(),
            ),
            (
                ImportKind::Tickets,
                r.tickets.iter().map(|x| x.id.clone()).collect(),
            ),
        ];
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

/// A reference from one record to another: (kind, index, field, target
/// entity, target id).
type Reference<'a> = (ImportKind, usize, &'static str, &'static str, &'a str);

fn references(r: &Records) -> Vec<Reference<'_>> {
    let mut refs: Vec<Reference<'_>> = Vec::new();
    for (i, x) in r.accounts.iter().enumerate() {
        if let Some(c) = &x.customer_id {
            refs.push((ImportKind::Accounts, i, "customer_id", "customer", c));
        }
    }
    for (i, x) in r.subscriptions.iter().enumerate() {
        refs.push((
            ImportKind::Subscriptions,
            i,
            "customer_id",
            "customer",
            &x.customer_id,
        ));
    }
    for (i, x) in r.account_subscriptions.iter().enumerate() {
        refs.push((
            ImportKind::AccountSubscriptions,
            i,
            "account_id",
            "account",
            &x.account_id,
        ));
        refs.push((
            ImportKind::AccountSubscriptions,
            i,
            "subscription_id",
            "subscription",
            &x.subscription_id,
        ));
    }
    for (i, x) in r.licenses.iter().enumerate() {
        refs.push((
            ImportKind::Licenses,
            i,
            "subscription_id",
            "subscription",
            &x.subscription_id,
        ));
    }
    for (i, x) in r.seat_link_reports.iter().enumerate() {
        refs.push((
            ImportKind::SeatLinkReports,
            i,
            "subscription_id",
            "subscription",
            &x.subscription_id,
        ));
    }
    for (i, x) in r.namespaces.iter().enumerate() {
        if let Some(s) = &x.subscription_id {
            refs.push((
                ImportKind::Namespaces,
                i,
                "subscription_id",
                "subscription",
                s,
            ));
        }
    }
    for (i, x) in r.namespace_trials.iter().enumerate() {
        refs.push((
            ImportKind::NamespaceTrials,
            i,
            "namespace_id",
            "namespace",
            &x.namespace_id,
        ));
    }
    for (i, x) in r.tickets.iter().enumerate() {
        if let Some(s) = &x.subscription_id {
            refs.push((ImportKind::Tickets, i, "subscription_id", "subscription", s));
        }
        if let Some(n) = &x.namespace_id {
            refs.push((ImportKind::Tickets, i, "namespace_id", "namespace", n));
        }
    }
    refs
}

fn ids_in_batch<'a>(r: &'a Records, entity: &str) -> HashSet<&'a str> {
    match entity {
        "customer" => r.customers.iter().map(|x| x.id.as_str()).collect(),
        "account" => r.accounts.iter().map(|x| x.id.as_str()).collect(),
        "subscription" => r.subscriptions.iter().map(|x| x.id.as_str()).collect(),
        "namespace" => r.namespaces.iter().map(|x| x.id.as_str()).collect(),
        _ => HashSet::new(),
    }
}

/// Reads `files` (each JSON or CSV; `kind` for arrays and CSV files not named
/// after their kind), checks every record, and writes them all to `store` in
/// one transaction.
pub async fn import(
    store: &Store,
    files: &[PathBuf],
    kind: Option<ImportKind>,
) -> Result<ImportSummary, ImportError> {
    let mut parsed = ParsedRecords::default();
    for file in files {
        parsed.append(parse_file(file, kind)?);
    }
    import_parsed(store, parsed).await
}

/// Checks `parsed` (values, duplicates, references against the batch and
/// the store) and writes it to `store` in one transaction.
pub async fn import_parsed(
    store: &Store,
    parsed: ParsedRecords,
) -> Result<ImportSummary, ImportError> {
    parsed.validate()?;
    let records = &parsed.records;
    let mut batch_ids: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut known: HashMap<(&str, &str), bool> = HashMap::new();
    for (kind, index, field, entity, id) in references(records) {
        let in_batch = batch_ids
            .entry(entity)
            .or_insert_with(|| ids_in_batch(records, entity))
            .contains(id);
        if in_batch {
            continue;
        }
        let exists = match known.get(&(entity, id)) {
            Some(exists) => *exists,
            None => {
                let exists = store.exists(entity, id).await?;
                known.insert((entity, id), exists);
                exists
            }
        };
        if !exists {
            return Err(parsed.invalid(
                kind,
                index,
                field,
                format!("no {entity} `{id}` in the files or in the store"),
            ));
        }
    }
    check_unique_in_store(store, &parsed).await?;
    let counts = match store.put_records(records).await {
        Ok(counts) => counts,
        // A unique value the checks above let through (another record of
        // the batch frees it, but is written later): still bad input.
        Err(StoreError::InvalidRecord {
            entity,
            id,
            field,
            message,
        }) => {
            let kind = match entity {
                "account" => ImportKind::Accounts,
                _ => ImportKind::Namespaces,
            };
            let ids: Vec<&str> = match kind {
                ImportKind::Accounts => records.accounts.iter().map(|a| a.id.as_str()).collect(),
                _ => records.namespaces.iter().map(|n| n.id.as_str()).collect(),
            };
            let index = ids.iter().position(|x| *x == id).unwrap_or(0);
            return Err(parsed.invalid(
                kind,
                index,
                field,
                format!("{message} (when {entity} `{id}` is written)"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ImportSummary {
        files: parsed.files,
        counts,
    })
}

/// Refuses a record whose unique value (an account's email, a namespace's
/// path) belongs to another stored record that the batch does not replace.
async fn check_unique_in_store(store: &Store, parsed: &ParsedRecords) -> Result<(), ImportError> {
    let r = &parsed.records;
    let accounts: HashSet<&str> = r.accounts.iter().map(|a| a.id.as_str()).collect();
    for (i, a) in r.accounts.iter().enumerate() {
        if let Some(holder) = store.unique_holder("account", "email", &a.email).await?
            && holder != a.id
            && !accounts.contains(holder.as_str())
        {
            return Err(parsed.invalid(
                ImportKind::Accounts,
                i,
                "email",
                format!(
                    "`{}` is already the email of account `{holder}` in the store",
                    a.email
                ),
            ));
        }
    }
    let namespaces: HashSet<&str> = r.namespaces.iter().map(|n| n.id.as_str()).collect();
    for (i, n) in r.namespaces.iter().enumerate() {
        if let Some(holder) = store.unique_holder("namespace", "path", &n.path).await?
            && holder != n.id
            && !namespaces.contains(holder.as_str())
        {
            return Err(parsed.invalid(
                ImportKind::Namespaces,
                i,
                "path",
                format!(
                    "`{}` is already the path of namespace `{holder}` in the store",
                    n.path
                ),
            ));
        }
    }
    Ok(())
}
