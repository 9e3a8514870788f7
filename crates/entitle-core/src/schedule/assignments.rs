//! Date -> engineer: the assigned days of a schedule, and what a
//! configuration carries to name the reviewer of a failure.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::Engineer;

/// The engineer of each assigned day. Serialised as a map from strict
/// `YYYY-MM-DD` dates to names (`{"2026-03-02": "alice"}`; in TOML
/// `2026-03-02 = "alice"`), in date order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Assignments(BTreeMap<NaiveDate, Engineer>);

impl Assignments {
    /// No day assigned.
    pub fn new() -> Self {
        Self::default()
    }

    /// Assigns `day` to `engineer`; returns the engineer it had before.
    pub fn insert(&mut self, day: NaiveDate, engineer: Engineer) -> Option<Engineer> {
        self.0.insert(day, engineer)
    }

    /// Leaves `day` unassigned; returns the engineer it had.
    pub fn remove(&mut self, day: NaiveDate) -> Option<Engineer> {
        self.0.remove(&day)
    }

    /// The engineer of `day`, if it is assigned.
    pub fn get(&self, day: NaiveDate) -> Option<&Engineer> {
        self.0.get(&day)
    }

    /// Every assigned day with its engineer, in date order.
    pub fn iter(&self) -> impl Iterator<Item = (NaiveDate, &Engineer)> {
        self.0.iter().map(|(day, engineer)| (*day, engineer))
    }

    /// How many days are assigned.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no day is assigned.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(NaiveDate, Engineer)> for Assignments {
    fn from_iter<I: IntoIterator<Item = (NaiveDate, Engineer)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl<'de> Deserialize<'de> for Assignments {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ByDate;

        impl<'de> Visitor<'de> for ByDate {
            type Value = Assignments;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from dates (YYYY-MM-DD) to engineers' names")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Assignments, A::Error> {
                let mut days = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let day = crate::input::parse_date(&key).map_err(serde::de::Error::custom)?;
                    let engineer: Engineer = map.next_value()?;
                    if days.insert(day, engineer).is_some() {
                        return Err(serde::de::Error::custom(format!("{day} is given twice")));
                    }
                }
                Ok(Assignments(days))
            }
        }

        deserializer.deserialize_map(ByDate)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Assignments {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Assignments".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let engineer = generator.subschema_for::<Engineer>();
        schemars::json_schema!({
            "type": "object",
            "description": "The engineer who reviews the provisioning failures of each date (YYYY-MM-DD).",
            "propertyNames": { "pattern": crate::input::DATE_PATTERN },
            "additionalProperties": engineer,
        })
    }
}
