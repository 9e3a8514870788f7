//! The ids of the actions the built-in policies may ask for, so that a
//! configuration naming an action (the actions config's `[routes]`) can
//! refuse an id no policy makes, such as a misspelt one.
//!
//! Each policy declares its actions once with
//! [`actions!`](crate::actions); the registry lists them
//! ([`PolicyInfo::actions`](crate::policy::PolicyInfo::actions)), so the set
//! is static. A test checks that every declared action is asked for by at
//! least one built-in scenario.

use std::collections::BTreeSet;

/// Every action id the built-in policies declare, in order.
pub fn action_ids() -> BTreeSet<&'static str> {
    crate::policies::POLICIES
        .iter()
        .flat_map(|policy| policy.actions)
        .map(|action| action.id)
        .collect()
}
