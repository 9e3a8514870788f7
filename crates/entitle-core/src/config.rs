//! The policy configuration (spec section 1): every number the time rules use.
//!
//! [`PolicyConfig`] deserialises from any serde format (adapters parse TOML
//! into it); every key is optional and falls back to the spec's default, and
//! an unknown key is an error. Deserialising checks shapes only: call
//! [`PolicyConfig::validate`] (or [`PolicyConfig::validated`]) to check the
//! values against each other and against their bounds.
//!
//! The time rules in [`crate::time`] never panic, even on an unvalidated
//! configuration: date arithmetic saturates at the ends of the calendar.

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::schedule::{Assignments, Engineer};

/// No generated temporary license may ever last longer than this many days
/// (spec 3.2: "All licenses generated with the tool will have a 10 day limit").
pub const TEMPORARY_LICENSE_HARD_CAP_DAYS: u32 = 10;

/// Largest accepted `grace_period_days` (ten years).
pub const MAX_GRACE_PERIOD_DAYS: u32 = 3650;

/// Largest accepted `emergency_window_days` (ten years).
pub const MAX_EMERGENCY_WINDOW_DAYS: u32 = 3650;

/// Largest accepted `escalation_threshold_hours` (ten years of hours).
pub const MAX_ESCALATION_THRESHOLD_HOURS: u32 = 87_600;

/// Every threshold and calendar setting the policies use (spec section 1).
///
/// The serde keys and defaults are exactly the spec's:
///
/// ```toml
/// timezone = "UTC"
/// grace_period_days = 14
/// emergency_window_days = 3
/// escalation_threshold_hours = 24
/// temporary_license_days = 5
/// temporary_license_max_days = 10
/// company_holidays = []
/// # monitoring_schedule: absent (no reviewer is named)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyConfig {
    /// The support time zone (IANA name) in which calendar questions are
    /// answered: what day "today" is, whether it is a weekend.
    #[serde(with = "timezone_by_name")]
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub timezone: Tz,
    /// Length of a paid license's grace period after expiry, in days.
    pub grace_period_days: u32,
    /// How many days after the grace period ended an emergency license may
    /// still be issued (inclusive).
    pub emergency_window_days: u32,
    /// "More than N hours remaining" compares the time left with this many hours.
    pub escalation_threshold_hours: u32,
    /// Length of a generated temporary (emergency) license, in days.
    pub temporary_license_days: u32,
    /// Longest temporary license this configuration allows, in days; never
    /// above [`TEMPORARY_LICENSE_HARD_CAP_DAYS`].
    pub temporary_license_max_days: u32,
    /// Company-wide days off (the pages' "Friends & Family Days"): not
    /// workdays. Strict `YYYY-MM-DD` strings; in TOML also native dates
    /// (`company_holidays = [2026-12-24]`).
    #[serde(deserialize_with = "crate::input::de::dates")]
    #[cfg_attr(
        feature = "schema",
        schemars(inner(pattern(crate::input::DATE_PATTERN)))
    )]
    pub company_holidays: Vec<NaiveDate>,
    /// The provision-failure monitoring schedule (spec 3.8, 3.9): the
    /// engineer who reviews the failures of each workday, by date
    /// (`{"2026-03-02": "alice"}`; in TOML a `[monitoring_schedule]` table of
    /// `2026-03-02 = "alice"`). With it, `provision-failure` names the
    /// `reviewer` of `review_on`; without it (the default), no reviewer is
    /// named. Only workdays may be assigned: weekends and holidays are
    /// covered on the next workday. `entitle schedule build` writes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring_schedule: Option<Assignments>,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            timezone: Tz::UTC,
            grace_period_days: 14,
            emergency_window_days: 3,
            escalation_threshold_hours: 24,
            temporary_license_days: 5,
            temporary_license_max_days: TEMPORARY_LICENSE_HARD_CAP_DAYS,
            company_holidays: Vec::new(),
            monitoring_schedule: None,
        }
    }
}

/// A configuration value that is out of bounds or inconsistent. Each message
/// names the key and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `temporary_license_max_days` is above the hard cap.
    #[error(
        "temporary_license_max_days = {max_days} exceeds the hard cap of {TEMPORARY_LICENSE_HARD_CAP_DAYS}"
    )]
    TemporaryLicenseCapExceeded {
        /// The configured `temporary_license_max_days`.
        max_days: u32,
    },
    /// `temporary_license_days` is zero.
    #[error("temporary_license_days = 0: a temporary license must last at least 1 day")]
    ZeroLengthTemporaryLicense,
    /// `temporary_license_days` is longer than `temporary_license_max_days`.
    #[error("temporary_license_days = {days} exceeds temporary_license_max_days = {max_days}")]
    TemporaryLicenseTooLong {
        /// The configured `temporary_license_days`.
        days: u32,
        /// The configured `temporary_license_max_days`.
        max_days: u32,
    },
    /// The monitoring schedule assigns a day that is not a workday.
    #[error(
        "monitoring_schedule assigns {day} (a {}) to {engineer}: weekends and company_holidays are never assigned, their failures are reviewed on the next workday",
        if crate::time::is_weekend_date(*day) { "weekend day" } else { "company holiday" }
    )]
    ScheduledOnNonWorkday {
        /// The day.
        day: NaiveDate,
        /// The engineer assigned on it.
        engineer: Engineer,
    },
    /// A numeric key is above its documented maximum.
    #[error("{key} = {value} exceeds the maximum of {max}")]
    TooLarge {
        /// The key, as spelled in the configuration file.
        key: &'static str,
        /// The configured value.
        value: u32,
        /// The largest accepted value.
        max: u32,
    },
}

impl PolicyConfig {
    /// Checks the values: the temporary license length is between 1 day and
    /// `temporary_license_max_days`, which is at most
    /// [`TEMPORARY_LICENSE_HARD_CAP_DAYS`]; `grace_period_days`,
    /// `emergency_window_days` and `escalation_threshold_hours` are at most
    /// [`MAX_GRACE_PERIOD_DAYS`], [`MAX_EMERGENCY_WINDOW_DAYS`] and
    /// [`MAX_ESCALATION_THRESHOLD_HOURS`]; the monitoring schedule assigns
    /// only workdays. Returns the first problem found, in key order.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bounds = [
            (
                "grace_period_days",
                self.grace_period_days,
                MAX_GRACE_PERIOD_DAYS,
            ),
            (
                "emergency_window_days",
                self.emergency_window_days,
                MAX_EMERGENCY_WINDOW_DAYS,
            ),
            (
                "escalation_threshold_hours",
                self.escalation_threshold_hours,
                MAX_ESCALATION_THRESHOLD_HOURS,
            ),
        ];
        for (key, value, max) in bounds {
            if value > max {
                return Err(ConfigError::TooLarge { key, value, max });
            }
        }
        if self.temporary_license_max_days > TEMPORARY_LICENSE_HARD_CAP_DAYS {
            return Err(ConfigError::TemporaryLicenseCapExceeded {
                max_days: self.temporary_license_max_days,
            });
        }
        if self.temporary_license_days == 0 {
            return Err(ConfigError::ZeroLengthTemporaryLicense);
        }
        if self.temporary_license_days > self.temporary_license_max_days {
            return Err(ConfigError::TemporaryLicenseTooLong {
                days: self.temporary_license_days,
                max_days: self.temporary_license_max_days,
            });
        }
        if let Some((day, engineer)) = self
            .monitoring_schedule
            .iter()
            .flat_map(Assignments::iter)
            .find(|(day, _)| !crate::time::is_workday(*day, self))
        {
            return Err(ConfigError::ScheduledOnNonWorkday {
                day,
                engineer: engineer.clone(),
            });
        }
        Ok(())
    }

    /// [`validate`](Self::validate)s and returns the configuration.
    pub fn validated(self) -> Result<Self, ConfigError> {
        self.validate().map(|()| self)
    }
}

/// (De)serialises a [`Tz`] as its IANA name, with an error naming a bad value.
mod timezone_by_name {
    use std::borrow::Cow;

    use chrono_tz::Tz;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(tz: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(tz.name())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Tz, D::Error> {
        let name = Cow::<'de, str>::deserialize(deserializer)?;
        name.parse::<Tz>().map_err(|_| {
            D::Error::custom(format!(
                "timezone = {name:?} is not a known IANA time zone name \
                 (expected a name such as \"UTC\", \"Europe/Berlin\" or \"America/New_York\")"
            ))
        })
    }
}
