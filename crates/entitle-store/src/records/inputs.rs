//! The input type of each record kind: what `entitle import` reads, from
//! JSON and from a CSV row (same field names), rejecting unknown fields.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use entitle::domain::{CustomerStatus, Plan};
use entitle::policies::InternalRequest;

/// A customer to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Stable id (`C-1001`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `paid`, `unpaid` or `prospect`.
    pub status: CustomerStatus,
}

/// A CustomersDot account to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// Stable id.
    pub id: String,
    /// The account's email (stored lower-case; unique).
    pub email: String,
    /// The customer it belongs to, if any.
    #[serde(default)]
    pub customer_id: Option<String>,
}

/// Which subscription a CustomersDot account may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSubscriptionInput {
    /// The account.
    pub account_id: String,
    /// A subscription it may see.
    pub subscription_id: String,
}

/// A subscription to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// Stable id (`A-S00012345`).
    pub id: String,
    /// The owning customer.
    pub customer_id: String,
    /// `free`, `premium` or `ultimate`.
    pub plan: Plan,
    /// `self-managed` or `saas`.
    pub deployment: String,
    /// The license contact, if known.
    #[serde(default)]
    pub license_contact_email: Option<String>,
}

/// A license to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseInput {
    /// Stable id.
    pub id: String,
    /// The subscription it was issued for.
    pub subscription_id: String,
    /// `free`, `premium` or `ultimate`.
    pub plan: Plan,
    /// Whether it is a trial license.
    pub trial: bool,
    /// First valid date (`YYYY-MM-DD`).
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub starts_on: NaiveDate,
    /// Expiry date (`YYYY-MM-DD`).
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub expires_on: NaiveDate,
    /// Licensed users.
    pub users: u32,
}

/// A Seat Link report to store (one per subscription and date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatLinkInput {
    /// The subscription reported for.
    pub subscription_id: String,
    /// The date the report was received.
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub reported_on: NaiveDate,
    /// Active users in the report, if given.
    #[serde(default)]
    pub active_users: Option<u32>,
}

/// A SaaS namespace to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceInput {
    /// Stable id.
    pub id: String,
    /// Full path (unique).
    pub path: String,
    /// The plan it is on now.
    pub plan: Plan,
    /// The subscription linked to it, if any.
    #[serde(default)]
    pub subscription_id: Option<String>,
}

/// A trial a namespace had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialInput {
    /// The namespace.
    pub namespace_id: String,
    /// Plan of the trial.
    pub plan: Plan,
    /// First day.
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub starts_on: NaiveDate,
    /// Day it ends (exclusive).
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub ends_on: NaiveDate,
}

/// A support ticket to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    /// Stable id (the helpdesk's ticket number).
    pub id: String,
    /// The ticket's URL (`http://` or `https://`).
    pub url: String,
    /// Who asked (stored lower-case).
    pub requester_email: String,
    /// The subscription it is about, if known.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The SaaS namespace it is about, if any.
    #[serde(default)]
    pub namespace_id: Option<String>,
    /// An Admin dashboard screenshot is attached (default false).
    #[serde(default)]
    pub admin_dashboard_screenshot: bool,
    /// A license page screenshot is attached (default false).
    #[serde(default)]
    pub license_page_screenshot: bool,
    /// The user count read from the screenshots, if any.
    #[serde(default)]
    pub screenshot_user_count: Option<u32>,
    /// The internal request recorded by the weekend workflow: `none`
    /// (default), `success` or `failure`.
    #[serde(default = "no_internal_request")]
    pub internal_request: InternalRequest,
}

fn no_internal_request() -> InternalRequest {
    InternalRequest::None
}
