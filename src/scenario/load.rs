//! Reading scenario files: TOML or JSON to checked [`Scenario`]s.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::check::{Loaded, Place, check_entry};
use super::raw::RawFile;
use super::shape::PolicyShape;
use super::source::{Source, position_of};
use super::template::{Applied, EXTENDS, REMOVE, Templates, apply};
use super::{LoadedFile, Scenario, ScenarioError, ScenarioProblem};
use crate::config::PolicyConfig;

/// The syntax of a scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioFormat {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl ScenarioFormat {
    /// The format of a file, by its extension.
    pub fn of(path: &Path) -> Option<ScenarioFormat> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Some(ScenarioFormat::Toml),
            Some("json") => Some(ScenarioFormat::Json),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ScenarioFormat::Toml => "TOML",
            ScenarioFormat::Json => "JSON",
        }
    }
}

/// The JSON Schema of a scenario file (`entitle schema --scenario`).
pub fn json_schema() -> Value {
    schemars::schema_for!(RawFile).to_value()
}

/// Reads and checks the scenarios of `text`, a file named `file` in
/// `format`: the scenarios, or the first error (see [`load_str_all`] for
/// all of them). Scenarios marked `skip` are left out.
pub fn load_str(
    text: &str,
    format: ScenarioFormat,
    file: &str,
) -> Result<Vec<Scenario>, ScenarioError> {
    first_error(load_str_all(text, format, file))
}

fn first_error(loaded: LoadedFile) -> Result<Vec<Scenario>, ScenarioError> {
    match loaded.errors.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(loaded.scenarios),
    }
}

/// Reads and checks every scenario of `text`, a file named `file` in
/// `format`: a scenario that cannot be used is an error of its own and
/// the others still load; a file that cannot be read at all is one error.
pub fn load_str_all(text: &str, format: ScenarioFormat, file: &str) -> LoadedFile {
    load_text(text, format, file, &mut HashMap::new(), &mut HashMap::new())
}

fn file_error(file: &str, at: Option<super::Position>, problem: ScenarioProblem) -> LoadedFile {
    LoadedFile {
        file: file.to_owned(),
        errors: vec![ScenarioError {
            file: file.to_owned(),
            at,
            scenario: None,
            field: None,
            problem: Box::new(problem),
        }],
        ..LoadedFile::default()
    }
}

/// An entry of a file, before templates: its label, its keys and where it
/// is (see [`Place`]).
struct Entry {
    label: String,
    keys: Map<String, Value>,
    prefixes: Vec<String>,
    /// A table's base, which a row changes, with its template chain.
    base: Option<Applied>,
}

fn load_text(
    text: &str,
    format: ScenarioFormat,
    file: &str,
    shapes: &mut HashMap<String, PolicyShape>,
    seen: &mut HashMap<String, String>,
) -> LoadedFile {
    let source = match format {
        ScenarioFormat::Json => Source::json(text).map_err(|e| {
            let at = super::Position {
                line: e.line(),
                column: e.column(),
            };
            let mut loaded = file_error(
                file,
                Some(at),
                ScenarioProblem::Syntax {
                    format: format.name(),
                    message: {
                        let text = e.to_string();
                        crate::input::short_quotes(if e.line() > 0 {
                            crate::without_position(&text)
                        } else {
                            &text
                        })
                    },
                },
            );
            for error in &mut loaded.errors {
                error.at = (e.line() > 0).then_some(at);
            }
            loaded
        }),
        ScenarioFormat::Toml => Source::toml(text).map_err(|e| {
            let (scenario, field) = toml_place(text, &e);
            let at = e.span().map(|s| position_of(text, s.start));
            let mut loaded = file_error(
                file,
                at,
                ScenarioProblem::Syntax {
                    format: format.name(),
                    message: toml_message(text, &e, at),
                },
            );
            for error in &mut loaded.errors {
                error.scenario.clone_from(&scenario);
                error.field.clone_from(&field);
            }
            loaded
        }),
    };
    let source = match source {
        Ok(source) => source,
        Err(loaded) => return loaded,
    };
    let Value::Object(top) = &source.document else {
        return file_error(
            file,
            None,
            ScenarioProblem::Shape("expected a table/object with a `scenario` array".into()),
        );
    };
    if let Some(key) = top
        .keys()
        .find(|k| !matches!(k.as_str(), "scenario" | "template" | "table"))
    {
        let mut loaded = file_error(
            file,
            source.position(key),
            ScenarioProblem::Shape(
                "unknown top-level key; expected `scenario`, `template` and `table`".into(),
            ),
        );
        for error in &mut loaded.errors {
            error.field = Some(key.clone());
        }
        return loaded;
    }
    let mut loaded = LoadedFile {
        file: file.to_owned(),
        ..LoadedFile::default()
    };
    let at = |path: &str| source.position(path);
    let shape_error = |path: &str, message: &str| ScenarioError {
        file: file.to_owned(),
        at: at(path),
        scenario: None,
        field: Some(path.to_owned()),
        problem: Box::new(ScenarioProblem::Shape(message.to_owned())),
    };
    let mut templates = match top.get("template") {
        None => Templates::default(),
        Some(Value::Object(raw)) => Templates::new(raw.clone()),
        Some(_) => {
            loaded.errors.push(shape_error(
                "template",
                "expected a table of named templates (`[template.NAME]`)",
            ));
            return loaded;
        }
    };
    let mut entries: Vec<Entry> = Vec::new();
    match top.get("scenario") {
        None => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                let path = format!("scenario[{index}]");
                let label = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("#{}", index + 1), str::to_owned);
                match item {
                    Value::Object(keys) => entries.push(Entry {
                        label,
                        keys: keys.clone(),
                        prefixes: vec![path],
                        base: None,
                    }),
                    _ => loaded
                        .errors
                        .push(shape_error(&path, "expected a scenario table")),
                }
            }
        }
        Some(_) => loaded.errors.push(shape_error(
            "scenario",
            "expected an array of scenarios (`[[scenario]]`)",
        )),
    }
    match top.get("table") {
        None => {}
        Some(Value::Array(tables)) => {
            for (t, table) in tables.iter().enumerate() {
                let path = format!("table[{t}]");
                table_entries(table, &path, &mut templates, &mut entries).unwrap_or_else(
                    |message| {
                        loaded.errors.push(ScenarioError {
                            file: file.to_owned(),
                            at: at(&path),
                            scenario: table.get("name").and_then(Value::as_str).map(str::to_owned),
                            field: None,
                            problem: Box::new(ScenarioProblem::Template(message)),
                        });
                    },
                );
            }
        }
        Some(_) => loaded.errors.push(shape_error(
            "table",
            "expected an array of tables (`[[table]]`)",
        )),
    }
    if entries.is_empty() && loaded.errors.is_empty() {
        return file_error(file, None, ScenarioProblem::Empty);
    }
    let mut names = HashSet::new();
    for entry in entries {
        let mut place = Place {
            file,
            source: &source,
            prefixes: entry.prefixes,
            label: entry.label,
        };
        if !names.insert(place.label.clone()) {
            loaded
                .errors
                .push(place.fail(Some("name".into()), ScenarioProblem::DuplicateName));
            continue;
        }
        let applied = match entry.base {
            Some(base) => base.and_then(|(base, chain)| {
                let mut keys = entry.keys;
                if keys.contains_key(EXTENDS) {
                    return Err((
                        EXTENDS.into(),
                        "a row changes its table's base: name the template on the table".into(),
                    ));
                }
                keys.insert(EXTENDS.into(), Value::String(String::new()));
                apply(keys, |_| Ok((base.clone(), chain.clone())))
            }),
            None => apply(entry.keys, |name| templates.resolve(name)),
        };
        let document = match applied {
            Ok((document, chain)) => {
                place
                    .prefixes
                    .extend(chain.into_iter().map(|t| format!("template.{t}")));
                document
            }
            Err((field, message)) => {
                loaded
                    .errors
                    .push(place.fail(Some(field), ScenarioProblem::Template(message)));
                continue;
            }
        };
        match check_entry(document, &place, shapes) {
            Ok(Loaded::Scenario(scenario)) => {
                // The run-wide name: unique across the files of a run.
                let id = scenario.id();
                if let Some(first) = seen.get(&id) {
                    loaded.errors.push(place.fail(
                        Some("name".into()),
                        ScenarioProblem::DuplicateId(id, first.clone()),
                    ));
                } else {
                    seen.insert(id, file.to_owned());
                    loaded.scenarios.push(*scenario);
                }
            }
            Ok(Loaded::Skipped(skipped)) => loaded.skipped.push(skipped),
            Err(error) => loaded.errors.push(error),
        }
    }
    loaded
}

/// The rows of a `[[table]]` as entries, each named `TABLE: ROW`.
fn table_entries(
    table: &Value,
    path: &str,
    templates: &mut Templates,
    entries: &mut Vec<Entry>,
) -> Result<(), String> {
    let Value::Object(table) = table else {
        return Err("expected a table (`[[table]]`)".into());
    };
    let mut base = table.clone();
    let Some(Value::String(name)) = base.remove("name") else {
        return Err("a table needs a `name`".into());
    };
    let Some(Value::Array(rows)) = base.remove("rows") else {
        return Err("a table needs `rows`, an array of tables".into());
    };
    if let Some(key) = base.keys().find(|k| {
        !matches!(
            k.as_str(),
            "policy" | "now" | "facts" | "config" | "skip" | EXTENDS | REMOVE
        )
    }) {
        return Err(crate::input::short_quotes(&format!(
            "unknown key `{key}` of a table (expected `name`, `rows`, `extends`, `remove`, `policy`, `now`, `facts`, `config`, `skip`)"
        )));
    }
    let resolved = apply(base, |name| templates.resolve(name));
    for (r, row) in rows.iter().enumerate() {
        let row_path = format!("{path}.rows[{r}]");
        let Value::Object(row) = row else {
            return Err(format!("row {}: expected a table", r + 1));
        };
        let mut keys = row.clone();
        let row_name = match keys.get("name") {
            Some(Value::String(n)) => n.clone(),
            _ => format!("row {}", r + 1),
        };
        let label = format!("{name}: {row_name}");
        keys.insert("name".into(), Value::String(label.clone()));
        entries.push(Entry {
            label,
            keys,
            prefixes: vec![row_path, path.to_owned()],
            base: Some(resolved.clone()),
        });
    }
    Ok(())
}

/// `base` with the keys of `overrides` replaced, validated. On error: the
/// key at fault (if known) and the message.
pub(crate) fn merge_config(
    base: &PolicyConfig,
    overrides: &Map<String, Value>,
) -> Result<PolicyConfig, (Option<String>, String)> {
    if overrides.is_empty() {
        return Ok(base.clone());
    }
    let mut value = serde_json::to_value(base).map_err(|e| (None, e.to_string()))?;
    if let Value::Object(map) = &mut value {
        for (key, v) in overrides {
            map.insert(key.clone(), v.clone());
        }
    }
    let value = crate::input::ObjectsOnly(value);
    let config: PolicyConfig = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ((path != ".").then_some(path), e.into_inner().to_string())
    })?;
    config.validate().map_err(|e| (None, e.to_string()))?;
    Ok(config)
}

/// A TOML error on one line ([`crate::toml_error_line`]), without the line
/// and column the error's position already gives.
fn toml_message(text: &str, error: &toml::de::Error, at: Option<super::Position>) -> String {
    let message = crate::toml_error_line(text, error);
    match at {
        Some(at) => {
            let prefix = format!("line {}, column {}", at.line, at.column);
            match message.strip_prefix(&prefix) {
                Some(rest) => rest.trim_start_matches([':', ' ']).to_owned(),
                None => message,
            }
        }
        None => message,
    }
}

/// Where a TOML error is, in the file's terms: the scenario whose
/// `[[scenario]]` table holds it (its `name`, else `#N`) and the key on its
/// line, under the `[scenario.x]` table it is in (`now`, `facts.license`).
/// A value TOML refuses (`now = 2026-02-30T10:00:00Z`, a day that does not
/// exist) fails the whole document, before any scenario is read: without
/// this the error named neither.
fn toml_place(text: &str, error: &toml::de::Error) -> (Option<String>, Option<String>) {
    let Some(at) = error.span().map(|span| span.start.min(text.len())) else {
        return (None, None);
    };
    let mut index = 0;
    let mut name = None;
    let mut table: Option<String> = None;
    let mut field = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if offset > at && trimmed == "[[scenario]]" {
            break;
        }
        if trimmed == "[[scenario]]" {
            index += 1;
            name = None;
            table = None;
        } else if let Some(header) = trimmed
            .strip_prefix("[scenario.")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            table = Some(header.trim().to_owned());
        } else if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim();
            if key == "name" && table.is_none() {
                name = toml::from_str::<toml::Table>(trimmed)
                    .ok()
                    .and_then(|t| t.get("name").and_then(|v| v.as_str().map(str::to_owned)));
            }
            let on_this_line = offset <= at && at < offset + line.len();
            let bare = key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if on_this_line && bare && !key.is_empty() {
                field = Some(match &table {
                    Some(table) => format!("{table}.{key}"),
                    None => key.to_owned(),
                });
            }
        }
        offset += line.len();
    }
    if index == 0 {
        return (None, None);
    }
    (Some(name.unwrap_or_else(|| format!("#{index}"))), field)
}

/// The largest scenario file read, in bytes (16 MiB).
pub const MAX_SCENARIO_FILE: u64 = 16 * 1024 * 1024;

/// The deepest directory [`scenario_files`] searches, below a path given.
pub const MAX_WALK_DEPTH: usize = 32;

/// The most files [`scenario_files`] returns.
pub const MAX_SCENARIO_FILES: usize = 10_000;

/// Reads and checks one scenario file (`.toml` or `.json`): a regular file
/// (a symbolic link to one is followed) of at most [`MAX_SCENARIO_FILE`]
/// bytes. A FIFO, a socket or a device is refused before it is opened
/// (reading a FIFO named `x.toml` waited for a writer for ever). The
/// scenarios, or the first error (see [`load_file_all`]).
pub fn load_file(path: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    first_error(load_file_all(path))
}

/// Reads and checks every scenario of one file (see [`load_file`] for the
/// files read and [`load_str_all`] for what one bad scenario does).
pub fn load_file_all(path: &Path) -> LoadedFile {
    load_file_with(path, &mut HashMap::new(), &mut HashMap::new())
}

fn load_file_with(
    path: &Path,
    shapes: &mut HashMap<String, PolicyShape>,
    seen: &mut HashMap<String, String>,
) -> LoadedFile {
    let file = path.display().to_string();
    let error = |problem| file_error(&file, None, problem);
    let metadata = match std::fs::metadata(path) {
        // A path that is not there says so, whatever its extension.
        Err(e) => return error(ScenarioProblem::Io(e.to_string())),
        Ok(metadata) => metadata,
    };
    let Some(format) = ScenarioFormat::of(path) else {
        return error(ScenarioProblem::Io(
            "not a scenario file: expected a `.toml` or `.json` extension".into(),
        ));
    };
    if !metadata.is_file() {
        return error(ScenarioProblem::Io(
            "not a regular file (a FIFO, a socket or a device?): only regular files are read"
                .into(),
        ));
    }
    if metadata.len() > MAX_SCENARIO_FILE {
        return error(ScenarioProblem::Io(format!(
            "larger than {} MiB: not a scenario file",
            MAX_SCENARIO_FILE / (1024 * 1024)
        )));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => load_text(&text, format, &file, shapes, seen),
        Err(e) => error(ScenarioProblem::Io(e.to_string())),
    }
}

/// The scenario files named by `paths`: files as given, directories searched
/// recursively for `.toml` and `.json` files, in name order. The search
/// does not follow a symbolic link to a directory (a link to its own
/// directory made each scenario run 41 times, two such links never ended);
/// a link to a file is followed. It goes at most [`MAX_WALK_DEPTH`]
/// directories deep and returns at most [`MAX_SCENARIO_FILES`] files; past
/// either it is an error naming the directory.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect(path, 0, &mut files)?;
        } else {
            files.push(path.clone());
        }
        if files.len() > MAX_SCENARIO_FILES {
            return Err(walk_error(
                path,
                format!("more than {MAX_SCENARIO_FILES} scenario files: name fewer"),
            ));
        }
    }
    Ok(files)
}

fn walk_error(dir: &Path, message: String) -> ScenarioError {
    ScenarioError {
        file: dir.display().to_string(),
        at: None,
        scenario: None,
        field: None,
        problem: Box::new(ScenarioProblem::Io(message)),
    }
}

fn collect(dir: &Path, depth: usize, files: &mut Vec<PathBuf>) -> Result<(), ScenarioError> {
    if depth > MAX_WALK_DEPTH {
        return Err(walk_error(
            dir,
            format!(
                "more than {MAX_WALK_DEPTH} directories deep: name a directory nearer the scenarios"
            ),
        ));
    }
    let io = |e: std::io::Error| walk_error(dir, e.to_string());
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (entry, kind) in entries {
        // `file_type` does not follow a link: a link to a directory is
        // not searched (no cycle, no tree twice), a link to anything else
        // is read as the file it names (`load_file` checks it is one).
        if kind.is_dir() {
            collect(&entry, depth + 1, files)?;
        } else if kind.is_symlink() && entry.is_dir() {
            continue;
        } else if ScenarioFormat::of(&entry).is_some() {
            files.push(entry);
            if files.len() > MAX_SCENARIO_FILES {
                return Err(walk_error(
                    dir,
                    format!("more than {MAX_SCENARIO_FILES} scenario files: name fewer"),
                ));
            }
        }
    }
    Ok(())
}

/// Reads and checks every scenario file named by `paths` (see
/// [`scenario_files`]); the first bad file is the error.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
    let mut scenarios = Vec::new();
    for loaded in load_paths_all(paths)? {
        scenarios.extend(first_error(loaded)?);
    }
    Ok(scenarios)
}

/// Reads and checks every scenario file named by `paths`, going on past a
/// bad file or scenario (each is an error of its [`LoadedFile`]). A
/// scenario whose [`Scenario::id`] (file stem and name) another file
/// already has is an error too. The error is the search's (a directory
/// too deep, too many files).
pub fn load_paths_all(paths: &[PathBuf]) -> Result<Vec<LoadedFile>, ScenarioError> {
    let mut shapes = HashMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut files = Vec::new();
    for path in scenario_files(paths)? {
        files.push(load_file_with(&path, &mut shapes, &mut seen));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value a scenario takes from its template is reported where the
    /// template has it; the scenario's own values where it has them.
    #[test]
    fn an_error_in_a_template_is_at_the_template_line() {
        let text = "[template.t]\npolicy = \"license-status\"\nnow = 2026-11-23T10:00:00Z\nfacts = { license = { plan = \"premium\", trial = false, starts_on = \"2025-11-31\", expires_on = 2026-12-01, users = 5 } }\n\n[[scenario]]\nname = \"s\"\nextends = \"t\"\nexpect = { outcome = \"active\" }\n";
        let loaded = load_str_all(text, ScenarioFormat::Toml, "t.toml");
        let error = loaded.errors.first().unwrap();
        assert_eq!(error.field.as_deref(), Some("facts.license.starts_on"));
        let at = error.at.unwrap();
        assert_eq!(at.line, 4);
        assert_eq!(
            text.lines()
                .nth(3)
                .unwrap()
                .get(at.column - 1..)
                .unwrap()
                .get(..12),
            Some("\"2025-11-31\"")
        );
    }

    /// A table row names its table and row; a row may not name its own
    /// template.
    #[test]
    fn table_rows_are_named_and_checked() {
        let text = "[template.t]\npolicy = \"license-status\"\nnow = 2026-11-23T10:00:00Z\nfacts = { license = { plan = \"premium\", trial = false, starts_on = 2025-11-01, expires_on = 2026-12-01, users = 5 } }\n\n[[table]]\nname = \"tab\"\nextends = \"t\"\nrows = [ { expect = { outcome = \"active\" } }, { extends = \"t\", expect = { outcome = \"active\" } } ]\n";
        let loaded = load_str_all(text, ScenarioFormat::Toml, "t.toml");
        assert_eq!(loaded.scenarios.len(), 1);
        assert_eq!(loaded.scenarios[0].name, "tab: row 1");
        assert_eq!(loaded.errors.len(), 1);
        assert_eq!(loaded.errors[0].scenario.as_deref(), Some("tab: row 2"));
    }
}
