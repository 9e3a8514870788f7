//! Facts for a policy, from the records of a ticket (or of a subscription
//! and a requester): the store loads the records, the pure core
//! ([`entitle::fact_source`]) assembles the typed facts.

use serde_json::{Map, Value};

use entitle::fact_source::{FactRecords, StoredFacts, StoredFactsVisitor, visit_stored};
use entitle::policy::Registered;

use crate::error::StoreError;
use crate::records::StoredRecords;

/// The typed facts of policy `P` from `records`, with `supplied` the facts
/// no record holds (for most policies: `NoSupplied {}`).
pub fn assemble<P: StoredFacts>(
    records: &FactRecords,
    supplied: P::Supplied,
) -> Result<P::Facts, StoreError> {
    P::assemble(records, supplied).map_err(|e| StoreError::from_fact_source(P::ID, e))
}

/// The facts of policy `policy` from `records` as JSON (the body the policy
/// takes), with `supplied` the facts no record holds.
pub fn assemble_json(
    policy: &str,
    records: &FactRecords,
    supplied: &Map<String, Value>,
) -> Result<Value, StoreError> {
    struct Assemble<'a> {
        records: &'a FactRecords,
        supplied: &'a Map<String, Value>,
    }
    impl StoredFactsVisitor for Assemble<'_> {
        type Output = Result<Value, StoreError>;
        fn visit<P: StoredFacts + Registered>(self) -> Self::Output {
            let bytes = serde_json::to_vec(self.supplied).map_err(|source| StoreError::Json {
                context: "the supplied facts",
                source,
            })?;
            let supplied: P::Supplied = entitle::parse_facts(&bytes).map_err(|e| match e {
                entitle::FactsError::Empty => StoreError::InvalidSupplied {
                    policy: P::ID.to_owned(),
                    path: None,
                    message: e.to_string(),
                },
                entitle::FactsError::Invalid { path, message } => StoreError::InvalidSupplied {
                    policy: P::ID.to_owned(),
                    path,
                    // The position is in the JSON written here from the
                    // caller's members, not in anything the caller sent.
                    message: entitle::without_position(&message).to_owned(),
                },
            })?;
            let facts = assemble::<P>(self.records, supplied)?;
            serde_json::to_value(&facts).map_err(|source| StoreError::Json {
                context: "the assembled facts",
                source,
            })
        }
    }
    match visit_stored(policy, Assemble { records, supplied }) {
        Some(result) => result,
        None => check_stored(policy).map(|()| Value::Null),
    }
}

/// `Ok` if the facts of `policy` can be assembled from records.
pub fn check_stored(policy: &str) -> Result<(), StoreError> {
    if entitle::fact_source::stored_policy_ids().contains(&policy) {
        Ok(())
    } else if entitle::policies::POLICIES.iter().any(|p| p.id == policy) {
        Err(StoreError::FactsNotStored {
            policy: policy.to_owned(),
        })
    } else {
        Err(StoreError::UnknownPolicy {
            policy: policy.to_owned(),
        })
    }
}

impl StoredRecords<'_> {
    /// The facts of policy `policy` for ticket `ticket_id`, as the JSON body
    /// the policy takes (what `POST /v1/tickets/{id}/decisions/{policy}`
    /// decides on). Errors: [`StoreError::UnknownPolicy`],
    /// [`StoreError::FactsNotStored`] (e.g. `provision-failure`),
    /// [`StoreError::NotFound`] (the ticket, or a record it links),
    /// [`StoreError::RecordsLack`] (a missing link, field or license), and
    /// [`StoreError::InvalidSupplied`] for policies that need facts no record
    /// holds (use [`StoredRecords::facts_for_ticket_with`]).
    pub async fn facts_for_ticket(
        &self,
        ticket_id: &str,
        policy: &str,
    ) -> Result<Value, StoreError> {
        self.facts_for_ticket_with(ticket_id, policy, &Map::new())
            .await
    }

    /// Like [`StoredRecords::facts_for_ticket`], with `supplied` the facts no record
    /// holds (e.g. `{"lr_team_available": false, ...}` for `star-saas`);
    /// unknown or missing supplied fields are [`StoreError::InvalidSupplied`]
    /// naming the field.
    pub async fn facts_for_ticket_with(
        &self,
        ticket_id: &str,
        policy: &str,
        supplied: &Map<String, Value>,
    ) -> Result<Value, StoreError> {
        // Check the policy first: an unknown policy is reported as such even
        // for an unknown ticket.
        check_stored(policy)?;
        let records = self.for_ticket(ticket_id).await?;
        assemble_json(policy, &records, supplied)
    }

    /// The typed facts of policy `P` for ticket `ticket_id`.
    pub async fn typed_facts_for_ticket<P: StoredFacts>(
        &self,
        ticket_id: &str,
        supplied: P::Supplied,
    ) -> Result<P::Facts, StoreError> {
        let records = self.for_ticket(ticket_id).await?;
        assemble::<P>(&records, supplied)
    }

    /// The typed facts of policy `P` for subscription `subscription_id` asked
    /// for by `requester_email`, with no ticket (policies that need ticket
    /// evidence, such as screenshots, fail with [`StoreError::RecordsLack`]).
    pub async fn typed_facts_for_subscription<P: StoredFacts>(
        &self,
        subscription_id: &str,
        requester_email: &str,
        supplied: P::Supplied,
    ) -> Result<P::Facts, StoreError> {
        let records = self
            .for_subscription(subscription_id, requester_email)
            .await?;
        assemble::<P>(&records, supplied)
    }
}
