//! The data an outcome carries: [`Details`].

use chrono::NaiveDate;
use serde::Serialize;

use super::Action;
use crate::domain::Plan;
use crate::schedule::Engineer;

/// The data an outcome carries. Every field is optional and only present
/// where the outcome has it; the key names are a public contract (spec:
/// `plan`, `users`, `days`, `email`, `expires_on` for a generated license,
/// `review_on` and `reviewer` for provisioning failures, `missing` for screenshots still
/// needed, `actions` for what to do next).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Details {
    /// Plan of a generated license or trial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// User count of a generated license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// Length in days of a generated license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Where a generated license is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The license's start date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<NaiveDate>,
    /// Expiry date (of the license in question, or of a generated one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// The date the grace period ends (exclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_ends_on: Option<NaiveDate>,
    /// Whole days from today to the relevant date (positive: ahead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_remaining: Option<i64>,
    /// Whole days since the relevant date passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since: Option<i64>,
    /// The workday on which a provisioning failure is reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_on: Option<NaiveDate>,
    /// The engineer the monitoring schedule names for `review_on`; absent
    /// without a schedule, or when the schedule names nobody that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<Engineer>,
    /// Evidence still needed before acting (screenshots, user count).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<&'static str>,
    /// Title of the internal request to record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_request: Option<String>,
    /// What the people involved must do next, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}
