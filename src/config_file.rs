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
