//! An engineer's name, as the availability form and the schedule spell it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::input::{InputError, check_text};

/// An engineer on the monitoring schedule, by name (`alice`, `@bob`,
/// `Carol Smith`): a short text ([`check_text`]) without white space at
/// either end. Names are compared exactly: `Alice` and `alice` are two
/// engineers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Engineer(String);

impl Engineer {
    /// The engineer named `name`; refused if it is not a short text or has
    /// white space at either end.
    pub fn new(name: impl Into<String>) -> Result<Self, InputError> {
        let name = name.into();
        check_text(&name)?;
        if name.trim() != name {
            return Err(InputError::SurroundingWhitespace {
                value: crate::input::shown(&name),
            });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Engineer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Engineer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Engineer::new(name).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Engineer {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Engineer".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An engineer's name: not blank, no control characters, no white space at either end.",
            "minLength": 1,
            "maxLength": crate::input::MAX_TEXT_LEN,
            "pattern": "^[^\\s\\u0000-\\u001f\\u007f-\\u009f](.*[^\\s\\u0000-\\u001f\\u007f-\\u009f])?$",
        })
    }
}
