//! Strings that were checked when read: [`Email`], [`HttpUrl`] and
//! [`Text`]. Each states its rule once: its `Deserialize` reads through the
//! strict checker, its `JsonSchema` says the same to the schema, and a
//! facts field of that type needs no attribute.

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{InputError, check_email, check_http_url, check_text};

/// Declares a checked string newtype: its checker, and its JSON Schema.
macro_rules! checked_string {
    (
        $(#[$meta:meta])*
        $name:ident, $check:path, schema: { $($schema:tt)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// `text`, if it passes the check.
            pub fn parse(text: impl Into<String>) -> Result<Self, InputError> {
                let text = text.into();
                $check(&text)?;
                Ok(Self(text))
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value, as the `String` it is.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InputError;

            fn from_str(text: &str) -> Result<Self, InputError> {
                Self::parse(text)
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(text).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ $($schema)* })
            }
        }
    };
}

checked_string! {
    /// An email address ([`check_email`]): `format: email`, at most
    /// [`MAX_EMAIL_LEN`](super::MAX_EMAIL_LEN) bytes.
    Email, check_email, schema: {
        "type": "string",
        "format": "email",
        "maxLength": super::MAX_EMAIL_LEN,
    }
}

checked_string! {
    /// An `http`/`https` URL ([`check_http_url`]): `format: uri`, the
    /// scheme's pattern, at most [`MAX_URL_LEN`](super::MAX_URL_LEN) bytes.
    HttpUrl, check_http_url, schema: {
        "type": "string",
        "format": "uri",
        "maxLength": super::MAX_URL_LEN,
        "pattern": super::HTTP_URL_PATTERN,
    }
}

checked_string! {
    /// A short text ([`check_text`]): not blank, no control characters, at
    /// most [`MAX_TEXT_LEN`](super::MAX_TEXT_LEN) bytes.
    Text, check_text, schema: {
        "type": "string",
        "minLength": 1,
        "maxLength": super::MAX_TEXT_LEN,
        "pattern": super::TEXT_PATTERN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reads_what_its_checker_accepts_and_nothing_else() {
        let email: Email = serde_json::from_str(r#""ada@example.com""#).unwrap();
        assert_eq!(email, "ada@example.com");
        let refused = serde_json::from_str::<Email>(r#""ada@""#).unwrap_err();
        assert_eq!(
            refused.to_string().split(" at line").next(),
            Some(check_email("ada@").unwrap_err().to_string().as_str())
        );
        assert!(serde_json::from_str::<HttpUrl>(r#""https://x.example/1""#).is_ok());
        assert!(serde_json::from_str::<HttpUrl>(r#""ftp://x.example/1""#).is_err());
        assert!(serde_json::from_str::<Text>(r#""a kind""#).is_ok());
        assert!(serde_json::from_str::<Text>(r#""  ""#).is_err());
        assert!(serde_json::from_str::<Text>(r#""a\u0007""#).is_err());
        assert_eq!(
            serde_json::to_string(&email).unwrap(),
            r#""ada@example.com""#
        );
    }

    #[cfg(feature = "schema")]
    #[test]
    fn each_schema_states_its_rule() {
        let schema = schemars::schema_for!(HttpUrl);
        let value = serde_json::to_value(&schema).unwrap();
        assert_eq!(value["format"], "uri");
        assert_eq!(value["maxLength"], super::super::MAX_URL_LEN);
        assert_eq!(value["pattern"], super::super::HTTP_URL_PATTERN);
        let value = serde_json::to_value(schemars::schema_for!(Text)).unwrap();
        assert_eq!(value["minLength"], 1);
    }
}
