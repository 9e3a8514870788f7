//! The policy configuration from a TOML file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::config::{ConfigError, PolicyConfig};
use crate::schedule::check;
use crate::schedule_file::{FileError, read_availability, read_schedule};

/// A configuration file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigFileError {
    /// Not valid TOML, an unknown key, or a value of the wrong type.
    #[error("{0}")]
    Syntax(String),
    /// Valid TOML whose values break a rule (e.g. a temporary license longer
    /// than the cap).
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    /// A file the `[monitoring]` table names cannot be read.
    #[error("[monitoring] {key} = {}: cannot read: {message}", file.display())]
    Unreadable {
        /// `schedule` or `availability`.
        key: &'static str,
        /// The file, as resolved.
        file: PathBuf,
        /// The OS error.
        message: String,
    },
    /// A file the `[monitoring]` table names is not a schedule or an
    /// availability file.
    #[error("[monitoring] {key} = {}: {error}", file.display())]
    BadFile {
        /// `schedule` or `availability`.
        key: &'static str,
        /// The file, as resolved.
        file: PathBuf,
        /// Where and what.
        error: FileError,
    },
    /// The monitoring schedule fails the check against the availability
    /// (spec 3.9): every problem, each naming the day and the person.
    #[error("[monitoring] schedule = {}: the schedule fails the check against {}: {}", file.display(), availability.display(), problems.join("; "))]
    ScheduleRefused {
        /// The schedule file.
        file: PathBuf,
        /// The availability file.
        availability: PathBuf,
        /// Every problem, as `entitle schedule check` lists them.
        problems: Vec<String>,
    },
}

/// Parses and validates a TOML configuration. Keys left out keep their
/// defaults; an unknown key is an error. A `[monitoring]` table (which names
/// files) is refused here: read such a file with [`config_from_toml_in`].
pub fn config_from_toml(text: &str) -> Result<PolicyConfig, ConfigFileError> {
    let config: PolicyConfig =
        toml::from_str(text).map_err(|e| ConfigFileError::Syntax(toml_error_line(text, &e)))?;
    config.validate()?;
    Ok(config)
}

/// The `[monitoring]` table of a configuration file: the schedule file and
/// the availability it is checked against, relative to the configuration
/// file's directory.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Monitoring {
    /// The schedule file (`entitle schedule build` writes it).
    schedule: String,
    /// The availability CSV the schedule is checked against.
    availability: String,
}

#[derive(Debug, Deserialize)]
struct MonitoringOnly {
    monitoring: Monitoring,
}

/// [`config_from_toml`], and a `[monitoring]` table naming the monitoring
/// schedule by file (paths relative to `dir`, the configuration file's
/// directory):
///
/// ```toml
/// [monitoring]
/// schedule = "schedule.toml"
/// availability = "availability.csv"
/// ```
///
/// The schedule is read, checked against the availability and the
/// configuration's holidays ([`check`]), and becomes `monitoring_schedule`;
/// a schedule that fails the check is refused with every problem
/// ([`ConfigFileError::ScheduleRefused`]): a service does not start on it.
pub fn config_from_toml_in(text: &str, dir: &Path) -> Result<PolicyConfig, ConfigFileError> {
    let syntax = |e: toml::de::Error| ConfigFileError::Syntax(toml_error_line(text, &e));
    let mut root = toml::de::DeTable::parse(text).map_err(syntax)?;
    let span = root.span();
    let key = root
        .get_ref()
        .keys()
        .find(|k| k.get_ref() == "monitoring")
        .cloned();
    let Some(key) = key else {
        return config_from_toml(text);
    };
    let mut monitoring = toml::de::DeTable::new();
    if let Some(value) = root.get_mut().remove(&key) {
        monitoring.insert(key, value);
    }
    let config = PolicyConfig::deserialize(toml::de::Deserializer::from(root)).map_err(syntax)?;
    if config.monitoring_schedule.is_some() {
        return Err(ConfigFileError::Syntax(
            "give the monitoring schedule once: either `monitoring_schedule` or a `[monitoring]` table naming its file"
                .to_owned(),
        ));
    }
    config.validate()?;
    let files = MonitoringOnly::deserialize(toml::de::Deserializer::from(toml::Spanned::new(
        span, monitoring,
    )))
    .map_err(syntax)?
    .monitoring;
    let read = |key: &'static str, name: &str| {
        let file = dir.join(name);
        std::fs::read_to_string(&file)
            .map(|text| (file.clone(), text))
            .map_err(|e| ConfigFileError::Unreadable {
                key,
                file,
                message: e.to_string(),
            })
    };
    let (schedule_file, schedule_text) = read("schedule", &files.schedule)?;
    let (availability_file, availability_text) = read("availability", &files.availability)?;
    let schedule = read_schedule(&schedule_text).map_err(|error| ConfigFileError::BadFile {
        key: "schedule",
        file: schedule_file.clone(),
        error,
    })?;
    let availability =
        read_availability(&availability_text).map_err(|error| ConfigFileError::BadFile {
            key: "availability",
            file: availability_file.clone(),
            error,
        })?;
    let problems = check(&schedule, &availability, &config);
    if !problems.is_empty() {
        return Err(ConfigFileError::ScheduleRefused {
            file: schedule_file,
            availability: availability_file,
            problems: problems.iter().map(ToString::to_string).collect(),
        });
    }
    let config = PolicyConfig {
        monitoring_schedule: Some(schedule.days),
        ..config
    };
    config.validate()?;
    Ok(config)
}

/// A TOML error on one line: where (line and column), the line's key or
/// table header when it has one ([`crate::input::line_excerpt`]: never a
/// value, nothing from a line that is not text), and the problem with what
/// it quotes cut short ([`crate::input::short_quotes`]). A file linked to
/// `/proc/self/environ` or `/etc/shadow` printed its first line whole.
pub fn toml_error_line(text: &str, error: &toml::de::Error) -> String {
    let message = crate::input::short_quotes(&error.message().trim_end().replace('\n', " "));
    let Some(span) = error.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let head = text.get(..start).unwrap_or("");
    let line_no = head.matches('\n').count() + 1;
    let line_start = head.rfind('\n').map_or(0, |i| i + 1);
    let line = text
        .get(line_start..)
        .and_then(|rest| rest.split('\n').next())
        .unwrap_or("");
    let column = text
        .get(line_start..start)
        .map_or(1, |before| before.chars().count() + 1);
    match crate::input::line_excerpt(line) {
        Some(excerpt) if excerpt.is_empty() => {
            format!("line {line_no}, column {column}: {message}")
        }
        Some(excerpt) => format!("line {line_no}, column {column}: `{excerpt}`: {message}"),
        None => format!(
            "line {line_no}, column {column} (not text: the line holds control characters, not shown): {message}"
        ),
    }
}
