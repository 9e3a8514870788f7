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
    let config: PolicyConfig = toml::from_str(text)
        .map_err(|e| ConfigFileError::Syntax(e.to_string().trim_end().to_owned()))?;
    config.validate()?;
    Ok(config)
}
