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

mod read;
mod records;

pub use records::*;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::{Customer, License, Namespace};
use crate::input::{Email, HttpUrl};
use crate::policies::InternalRequest;
use crate::policy::{Policy, Registered};

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
    /// A stored value does not pass the check its fact takes (a record
    /// written around the import's checks).
    #[error("{owner}: {field}: {message}")]
    Invalid {
        /// Whose value (`ticket T-1`, `the request`).
        owner: String,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
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
    fn requester_email(&self) -> Result<Email, FactSourceError>;
    /// The ticket's URL.
    fn ticket_url(&self) -> Result<HttpUrl, FactSourceError>;
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
