//! Shared fact shapes (policy spec, section 2): licenses, customers, namespaces.
//!
//! Every struct rejects unknown fields (a typo must not silently change a
//! decision) and names a missing required field in its error. Enum values are
//! kebab-case on the wire (`"paid"`, `"premium"`); field names are snake_case.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

crate::answers! {
    /// A GitLab plan tier.
    #[derive(Serialize, Deserialize, PartialOrd, Ord)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum Plan {
        /// The Free tier.
        Free => "free",
        /// The Premium tier.
        Premium => "premium",
        /// The Ultimate tier.
        Ultimate => "ultimate",
    }
}

crate::answers! {
    /// Billing status of a customer.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum CustomerStatus {
        /// The customer has a paid plan.
        Paid => "paid",
        /// The organization has no paid plan.
        Unpaid => "unpaid",
        /// A prospect: not (yet) a customer.
        Prospect => "prospect",
    }
}

impl Plan {
    /// The plan's name as the product shows it: `Free`, `Premium`, `Ultimate`.
    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Premium => "Premium",
            Plan::Ultimate => "Ultimate",
        }
    }
}

/// A self-managed license, as the product issues it (spec section 2).
///
/// Dates are strict calendar dates (`YYYY-MM-DD`, year 0001 to 9999), read
/// in the configured support time zone: a date begins at 00:00 of that date
/// there. `starts_on` must not be after `expires_on` (a license that starts
/// and expires on the same date is never active, and is accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct License {
    /// The plan the license grants.
    pub plan: Plan,
    /// Whether this is a trial license (trials have no grace period).
    pub trial: bool,
    /// First date on which the license is valid (a license starting today has started).
    #[cfg_attr(feature = "schema", schemars(pattern(crate::input::DATE_PATTERN)))]
    pub starts_on: NaiveDate,
    /// Date of expiry: from the start of this date the license no longer counts as active.
    #[cfg_attr(feature = "schema", schemars(pattern(crate::input::DATE_PATTERN)))]
    pub expires_on: NaiveDate,
    /// Number of licensed users.
    pub users: u32,
}

/// The fields of a [`License`] as read, before their order is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LicenseFields {
    plan: Plan,
    trial: bool,
    #[serde(deserialize_with = "crate::input::de::date")]
    starts_on: NaiveDate,
    #[serde(deserialize_with = "crate::input::de::date")]
    expires_on: NaiveDate,
    users: u32,
}

impl<'de> Deserialize<'de> for License {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let f = LicenseFields::deserialize(deserializer)?;
        if f.starts_on > f.expires_on {
            return Err(serde::de::Error::custom(format!(
                "`starts_on` ({}) is after `expires_on` ({}): a license cannot end before it starts",
                f.starts_on, f.expires_on
            )));
        }
        Ok(License {
            plan: f.plan,
            trial: f.trial,
            starts_on: f.starts_on,
            expires_on: f.expires_on,
            users: f.users,
        })
    }
}

/// The customer behind a request (spec section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Customer {
    /// Billing status of the customer.
    pub status: CustomerStatus,
}

/// A GitLab.com (SaaS) namespace (spec section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Namespace {
    /// Whether the namespace has ever had a trial (active or expired).
    pub had_trial: bool,
    /// Whether a subscription is available to the namespace.
    pub has_subscription: bool,
    /// The plan the namespace is on now.
    pub plan: Plan,
}
