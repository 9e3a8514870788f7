//! The policy configuration from a TOML file.

use thiserror::Error;

use crate::config::{ConfigError, PolicyConfig};

/// A configuration file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigFileError {
    /// Not valid TOML, an unknown key, or a value of the wrong type.
    #[error("{0}")]
    Syntax(String),
    /// Valid TOML whose values break a rule (e.g. a temporary license longer
    /// than the cap).
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

/// Parses and validates a TOML configuration. Keys left out keep their
/// defaults; an unknown key is an error.
pub fn config_from_toml(text: &str) -> Result<PolicyConfig, ConfigFileError> {
    let config: PolicyConfig =
        toml::from_str(text).map_err(|e| ConfigFileError::Syntax(toml_error_line(text, &e)))?;
    config.validate()?;
    Ok(config)
}

/// A TOML error on one line: where, the offending line, and the problem.
pub fn toml_error_line(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end().replace('\n', " ");
    let Some(span) = error.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let line_no = text.bytes().take(start).filter(|&b| b == b'\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
    format!("line {line_no}: `{line}`: {message}")
}
