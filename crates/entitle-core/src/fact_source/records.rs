//! The records a support tool keeps, as a store loads them for one decision.

use chrono::NaiveDate;

use crate::domain::{CustomerStatus, License, Plan};
use crate::policies::InternalRequest;

/// A customer (an organization that buys subscriptions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// Stable id (`C-1001`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Billing status.
    pub status: CustomerStatus,
}

/// Where a subscription is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deployment {
    /// A self-managed instance (licenses, Seat Link).
    SelfManaged,
    /// GitLab.com (namespaces).
    Saas,
}

impl Deployment {
    /// Every deployment, in declaration order.
    pub const ALL: &'static [Self] = &[Self::SelfManaged, Self::Saas];

    /// The public id (`self-managed`, `saas`).
    pub fn id(self) -> &'static str {
        match self {
            Self::SelfManaged => "self-managed",
            Self::Saas => "saas",
        }
    }

    /// The deployment whose id is `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|d| d.id() == id)
    }
}

/// A subscription a customer bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    /// Stable id (`A-S00012345`).
    pub id: String,
    /// The owning customer's id.
    pub customer_id: String,
    /// The plan bought.
    pub plan: Plan,
    /// Self-managed or SaaS.
    pub deployment: Deployment,
    /// The license contact (licenses are only sent to this address), if known.
    pub license_contact_email: Option<String>,
}

/// A license issued for a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseRecord {
    /// Stable id.
    pub id: String,
    /// The subscription it was issued for.
    pub subscription_id: String,
    /// The license itself, as the policies read it.
    pub license: License,
}

/// A CustomersDot account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Stable id.
    pub id: String,
    /// The account's email (stored lower-case).
    pub email: String,
    /// The customer the account belongs to, if any.
    pub customer_id: Option<String>,
}

/// A Seat Link report received from a self-managed instance (at most one a
/// day counts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatLinkRecord {
    /// The subscription the instance reported for.
    pub subscription_id: String,
    /// The date the report was received.
    pub reported_on: NaiveDate,
    /// Active users in the report, if given.
    pub active_users: Option<u32>,
}

/// A trial a SaaS namespace had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialRecord {
    /// Plan of the trial.
    pub plan: Plan,
    /// First day of the trial.
    pub starts_on: NaiveDate,
    /// Day the trial ends (exclusive).
    pub ends_on: NaiveDate,
}

/// A GitLab.com namespace with its trial history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceRecord {
    /// Stable id.
    pub id: String,
    /// Full path (`acme-corp`).
    pub path: String,
    /// The plan the namespace is on now.
    pub plan: Plan,
    /// The subscription linked to the namespace, if any.
    pub subscription_id: Option<String>,
    /// Every trial the namespace had, oldest first.
    pub trials: Vec<TrialRecord>,
}

/// A support ticket and what the support engineer collected on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    /// Stable id (the helpdesk's ticket number).
    pub id: String,
    /// The ticket's URL.
    pub url: String,
    /// Who asked (stored lower-case).
    pub requester_email: String,
    /// The subscription the ticket is about, if known.
    pub subscription_id: Option<String>,
    /// The SaaS namespace the ticket is about, if any.
    pub namespace_id: Option<String>,
    /// A screenshot of the Admin dashboard is attached.
    pub admin_dashboard_screenshot: bool,
    /// A screenshot of the license page is attached.
    pub license_page_screenshot: bool,
    /// The user count read from the screenshots, if any.
    pub screenshot_user_count: Option<u32>,
    /// The internal request recorded for the ticket by the weekend workflow.
    pub internal_request: InternalRequest,
}

/// Every record that may matter to a decision about one ticket, or about
/// one subscription and requester, as loaded by a store.
///
/// A store fills in what exists and leaves the rest empty; the policies that
/// need a missing part fail with a [`FactSourceError`](super::FactSourceError) when assembling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRecords {
    /// The ticket, when the facts are for a ticket.
    pub ticket: Option<TicketRecord>,
    /// Who asked: the ticket's requester, or the email given.
    pub requester_email: String,
    /// The subscription in question, if any.
    pub subscription: Option<SubscriptionRecord>,
    /// The customer owning the subscription.
    pub customer: Option<CustomerRecord>,
    /// Every license issued for the subscription.
    pub licenses: Vec<LicenseRecord>,
    /// The requester's CustomersDot account, if there is one.
    pub requester_account: Option<AccountRecord>,
    /// Ids of the subscriptions the requester's account may see.
    pub account_subscription_ids: Vec<String>,
    /// Seat Link reports received for the subscription.
    pub seat_link_reports: Vec<SeatLinkRecord>,
    /// The namespace in question, if any.
    pub namespace: Option<NamespaceRecord>,
}
