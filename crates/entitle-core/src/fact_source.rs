//! Facts from records: how the typed facts a policy takes are assembled from
//! the records a support tool keeps (customers, subscriptions, licenses,
//! CustomersDot accounts, Seat Link reports, namespaces, tickets).
//!
//! This module is pure. A store (the `entitle-store` crate) loads the records
//! that concern one ticket, or one subscription and requester, into a
//! [`FactRecords`] snapshot, asynchronously and with I/O; then the code here,
//! with no I/O, turns the snapshot into exactly the facts struct a policy
//! takes ([`StoredFacts::assemble`]).
//!
//! The rules, in one place:
//!
//! - `customer`: the customer owning the subscription (its `status`).
//! - `license`: the subscription's *current* license: the one that starts
//!   last (ties: the one that expires last, then the greatest id). Licenses
//!   that start in the future are included: the policies answer `not-started`
//!   for them.
//! - `requester_has_cdot_account`: a CustomersDot account has the requester's
//!   email (compared case-insensitively).
//! - `account_has_subscription_access`: that account may see the subscription.
//! - `seat_link_dates`: the dates of every Seat Link report received for the
//!   subscription, ascending, without duplicates.
//! - `namespace`: `had_trial` when the namespace's trial history is not empty,
//!   `has_subscription` when a subscription is linked to it, and its `plan`.
//! - `screenshots`, `screenshot_user_count`, `requester_email`, `ticket_url`
//!   and `internal_request` come from the ticket.
//!
//! A record a policy needs that is missing is an error naming the entity and
//! its id ([`FactSourceError`]), never a default.

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::{Customer, CustomerStatus, License, Namespace, Plan};
use crate::policies::InternalRequest;
use crate::policy::{Policy, Registered};

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
/// need a missing part fail with a [`FactSourceError`] when assembling.
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

/// A record a policy needs is missing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FactSourceError {
    /// The record does not exist.
    #[error("no {entity} with id `{id}`")]
    NotFound {
        /// What kind of record (`subscription`, `customer`, `ticket`, ...).
        entity: &'static str,
        /// Its id.
        id: String,
    },
    /// The ticket (or request) links no record of this kind.
    #[error("{owner} links no {entity}")]
    NotLinked {
        /// What should link it (`ticket T-1`, `the request`).
        owner: String,
        /// What kind of record (`subscription`, `namespace`).
        entity: &'static str,
    },
    /// A record exists but a field the policy needs is empty.
    #[error("{entity} `{id}` has no {field}")]
    MissingField {
        /// What kind of record.
        entity: &'static str,
        /// Its id.
        id: String,
        /// The empty field.
        field: &'static str,
    },
    /// The subscription has no license.
    #[error("subscription `{subscription}` has no license")]
    NoLicense {
        /// The subscription's id.
        subscription: String,
    },
}

/// How a policy's facts are read from records: the shared fact shapes of
/// spec section 2 and the per-ticket evidence, each a typed value or an
/// error naming what is missing. [`FactRecords`] implements it.
pub trait FactSource {
    /// The customer owning the subscription.
    fn customer(&self) -> Result<Customer, FactSourceError>;
    /// The subscription's current license.
    fn license(&self) -> Result<License, FactSourceError>;
    /// The SaaS namespace in question.
    fn namespace(&self) -> Result<Namespace, FactSourceError>;
    /// Who asked.
    fn requester_email(&self) -> &str;
    /// The ticket's URL.
    fn ticket_url(&self) -> Result<&str, FactSourceError>;
    /// Which screenshots are attached: `(admin_dashboard, license_page)`.
    fn screenshots(&self) -> Result<(bool, bool), FactSourceError>;
    /// The user count read from the screenshots.
    fn screenshot_user_count(&self) -> Result<Option<u32>, FactSourceError>;
    /// A CustomersDot account has the requester's email.
    fn requester_has_cdot_account(&self) -> bool;
    /// The requester's account may see the subscription.
    fn account_has_subscription_access(&self) -> Result<bool, FactSourceError>;
    /// Dates of the Seat Link reports received for the subscription.
    fn seat_link_dates(&self) -> Result<Vec<NaiveDate>, FactSourceError>;
    /// The internal request recorded for the ticket.
    fn internal_request(&self) -> Result<InternalRequest, FactSourceError>;
    /// The facts come from a ticket the customer opened.
    fn has_ticket(&self) -> bool;
    /// `email` (compared case-insensitively) is the subscription's license
    /// contact; an error when the subscription has none on record.
    fn is_license_contact(&self, email: &str) -> Result<bool, FactSourceError>;
}

impl FactRecords {
    fn owner(&self) -> String {
        match &self.ticket {
            Some(t) => format!("ticket `{}`", t.id),
            None => "the request".to_owned(),
        }
    }

    fn ticket_record(&self) -> Result<&TicketRecord, FactSourceError> {
        self.ticket.as_ref().ok_or(FactSourceError::NotLinked {
            owner: "the request".to_owned(),
            entity: "ticket",
        })
    }

    fn subscription_record(&self) -> Result<&SubscriptionRecord, FactSourceError> {
        if let Some(s) = &self.subscription {
            return Ok(s);
        }
        match self.ticket.as_ref().and_then(|t| t.subscription_id.clone()) {
            Some(id) => Err(FactSourceError::NotFound {
                entity: "subscription",
                id,
            }),
            None => Err(FactSourceError::NotLinked {
                owner: self.owner(),
                entity: "subscription",
            }),
        }
    }

    /// The subscription's current license record: the one that starts last
    /// (ties: expires last, then the greatest id).
    pub fn current_license(&self) -> Result<&LicenseRecord, FactSourceError> {
        let subscription = self.subscription_record()?;
        self.licenses
            .iter()
            .filter(|l| l.subscription_id == subscription.id)
            .max_by(|a, b| {
                (a.license.starts_on, a.license.expires_on, &a.id).cmp(&(
                    b.license.starts_on,
                    b.license.expires_on,
                    &b.id,
                ))
            })
            .ok_or_else(|| FactSourceError::NoLicense {
                subscription: subscription.id.clone(),
            })
    }
}

impl FactSource for FactRecords {
    fn customer(&self) -> Result<Customer, FactSourceError> {
        let subscription = self.subscription_record()?;
        match &self.customer {
            Some(c) if c.id == subscription.customer_id => Ok(Customer { status: c.status }),
            _ => Err(FactSourceError::NotFound {
                entity: "customer",
                id: subscription.customer_id.clone(),
            }),
        }
    }

    fn license(&self) -> Result<License, FactSourceError> {
        self.current_license().map(|l| l.license)
    }

    fn namespace(&self) -> Result<Namespace, FactSourceError> {
        if let Some(n) = &self.namespace {
            return Ok(Namespace {
                had_trial: !n.trials.is_empty(),
                has_subscription: n.subscription_id.is_some(),
                plan: n.plan,
            });
        }
        match self.ticket.as_ref().and_then(|t| t.namespace_id.clone()) {
            Some(id) => Err(FactSourceError::NotFound {
                entity: "namespace",
                id,
            }),
            None => Err(FactSourceError::NotLinked {
                owner: self.owner(),
                entity: "namespace",
            }),
        }
    }

    fn requester_email(&self) -> &str {
        &self.requester_email
    }

    fn ticket_url(&self) -> Result<&str, FactSourceError> {
        Ok(&self.ticket_record()?.url)
    }

    fn screenshots(&self) -> Result<(bool, bool), FactSourceError> {
        let t = self.ticket_record()?;
        Ok((t.admin_dashboard_screenshot, t.license_page_screenshot))
    }

    fn screenshot_user_count(&self) -> Result<Option<u32>, FactSourceError> {
        Ok(self.ticket_record()?.screenshot_user_count)
    }

    fn requester_has_cdot_account(&self) -> bool {
        self.requester_account
            .as_ref()
            .is_some_and(|a| a.email.eq_ignore_ascii_case(&self.requester_email))
    }

    fn account_has_subscription_access(&self) -> Result<bool, FactSourceError> {
        let subscription = self.subscription_record()?;
        Ok(self.requester_has_cdot_account()
            && self.account_subscription_ids.contains(&subscription.id))
    }

    fn seat_link_dates(&self) -> Result<Vec<NaiveDate>, FactSourceError> {
        let subscription = self.subscription_record()?;
        let mut dates: Vec<NaiveDate> = self
            .seat_link_reports
            .iter()
            .filter(|r| r.subscription_id == subscription.id)
            .map(|r| r.reported_on)
            .collect();
        dates.sort_unstable();
        dates.dedup();
        Ok(dates)
    }

    fn internal_request(&self) -> Result<InternalRequest, FactSourceError> {
        Ok(self.ticket_record()?.internal_request)
    }

    fn has_ticket(&self) -> bool {
        self.ticket.is_some()
    }

    fn is_license_contact(&self, email: &str) -> Result<bool, FactSourceError> {
        let subscription = self.subscription_record()?;
        match &subscription.license_contact_email {
            Some(contact) => Ok(contact.eq_ignore_ascii_case(email.trim())),
            None => Err(FactSourceError::MissingField {
                entity: "subscription",
                id: subscription.id.clone(),
                field: "license_contact_email",
            }),
        }
    }
}

/// Facts the store does not hold and the caller must supply: none. It
/// deserialises from an empty object only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSupplied {}

/// A policy whose facts can be assembled from records.
///
/// Fields that no record holds (L&R team availability, the kind of request)
/// are [`Supplied`](Self::Supplied) by the caller; for most policies that is
/// [`NoSupplied`].
pub trait StoredFacts: Policy {
    /// What the caller supplies besides the records (a serde struct that
    /// rejects unknown fields).
    type Supplied: DeserializeOwned;

    /// Assembles the policy's facts from `source` and `supplied`.
    fn assemble(
        source: &impl FactSource,
        supplied: Self::Supplied,
    ) -> Result<Self::Facts, FactSourceError>;
}

/// Runs code generic over a policy whose facts are stored (see
/// [`visit_stored`]).
pub trait StoredFactsVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the policy's type.
    fn visit<P: StoredFacts + Registered>(self) -> Self::Output;
}

pub use crate::policies::visit_stored;

/// Ids of the policies whose facts can be assembled from records.
pub fn stored_policy_ids() -> Vec<&'static str> {
    struct Id;
    impl StoredFactsVisitor for Id {
        type Output = &'static str;
        fn visit<P: StoredFacts + Registered>(self) -> &'static str {
            P::ID
        }
    }
    crate::policies::POLICIES
        .iter()
        .filter_map(|p| visit_stored(p.id, Id))
        .collect()
}
