//! A step's payload, stored in two parts: the step's own (its action's id
//! and text, the ticket, the requester and the caller: a few hundred
//! bytes), and its decision's (policy, version, outcome, details without
//! their actions, facts), which the decision-log row already holds and is
//! joined back when the step is read. A decision's steps then store their
//! facts and details once, in its log entry, not once per step.
//!
//! Steps written before migration 4 hold the whole payload (`payload_form`
//! `whole`); they are read as stored.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::StoreError;

/// How a step's `payload` column is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadForm {
    /// The step's own part; its decision's part is joined when read.
    Own,
    /// The whole payload, as given (steps written before migration 4).
    Whole,
}

impl PayloadForm {
    /// The form as stored (`own`, `whole`).
    pub(crate) fn from_name(name: &str) -> Option<PayloadForm> {
        match name {
            "own" => Some(PayloadForm::Own),
            "whole" => Some(PayloadForm::Whole),
            _ => None,
        }
    }
}

/// The own part of the payload of a routed action's steps: see
/// `docs/actions.md` for the whole.
#[derive(Serialize)]
pub(crate) struct OwnPart<'a> {
    pub(crate) action: &'a str,
    pub(crate) text: &'a str,
    pub(crate) ticket: TicketRef<'a>,
    pub(crate) requester_email: Option<&'a str>,
    pub(crate) actor: Actor<'a>,
    /// What the sink sends, written for its reader (absent: the text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<&'a entitle::policy::Message>,
}

/// The ticket a step is about.
#[derive(Serialize)]
pub(crate) struct TicketRef<'a> {
    pub(crate) id: Option<&'a str>,
    pub(crate) url: Option<&'a str>,
}

/// Who made the decision.
#[derive(Serialize)]
pub(crate) struct Actor<'a> {
    pub(crate) role: &'a str,
    pub(crate) user: Option<&'a str>,
}

/// A decision's part of its steps' payloads, parsed once from its log
/// entry's columns.
#[derive(Debug, Clone)]
pub(crate) struct DecisionPart {
    policy: String,
    policy_version: i64,
    outcome: String,
    /// Without `actions`.
    details: Value,
    facts: Value,
}

impl DecisionPart {
    /// The part held by the log entry whose columns are these; `Err` names
    /// the column that is not JSON.
    pub(crate) fn parse(
        policy: String,
        policy_version: i64,
        outcome: String,
        details: &str,
        facts: &str,
    ) -> Result<DecisionPart, (&'static str, serde_json::Error)> {
        let mut details: Value =
            serde_json::from_str(details).map_err(|e| ("decision details", e))?;
        if let Some(map) = details.as_object_mut() {
            map.remove("actions");
        }
        let facts = serde_json::from_str(facts).map_err(|e| ("decision facts", e))?;
        Ok(DecisionPart {
            policy,
            policy_version,
            outcome,
            details,
            facts,
        })
    }

    /// The whole payload of a step whose own part is `own`: the decision's
    /// members, then the step's own (which win). An own part that is not an
    /// object is the whole payload.
    pub(crate) fn join(&self, own: Value) -> Value {
        let Value::Object(own) = own else {
            return own;
        };
        let mut whole = Map::new();
        whole.insert("policy".to_owned(), Value::from(self.policy.as_str()));
        whole.insert(
            "policy_version".to_owned(),
            Value::from(self.policy_version),
        );
        whole.insert("outcome".to_owned(), Value::from(self.outcome.as_str()));
        whole.insert("details".to_owned(), self.details.clone());
        whole.insert("facts".to_owned(), self.facts.clone());
        whole.extend(own);
        Value::Object(whole)
    }
}

/// A decision's part of its steps' payloads as its log entry's columns
/// hold it, parsed when needed.
#[derive(Debug)]
pub(crate) struct DecisionTexts {
    pub(crate) policy: String,
    pub(crate) policy_version: i64,
    pub(crate) outcome: String,
    pub(crate) details: String,
    pub(crate) facts: String,
}

impl DecisionTexts {
    /// Parsed, for joining.
    pub(crate) fn parse(self) -> Result<DecisionPart, StoreError> {
        DecisionPart::parse(
            self.policy,
            self.policy_version,
            self.outcome,
            &self.details,
            &self.facts,
        )
        .map_err(|(_, source)| StoreError::Json {
            context: "a logged decision's details and facts",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn part() -> DecisionPart {
        DecisionPart::parse(
            "weekend-emergency".to_owned(),
            1,
            "generate-temporary-license".to_owned(),
            r#"{"users":134,"actions":[{"id":"email-license"}]}"#,
            r#"{"screenshot_user_count":134}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_decision_part_is_joined_and_the_own_part_wins() {
        let own = json!({"action": "email-license", "text": "Email it", "outcome": "mine"});
        assert_eq!(
            part().join(own),
            json!({
                "action": "email-license", "text": "Email it",
                "policy": "weekend-emergency", "policy_version": 1, "outcome": "mine",
                "details": {"users": 134}, "facts": {"screenshot_user_count": 134},
            })
        );
        // Not an object: the whole payload.
        assert_eq!(part().join(json!("as given")), json!("as given"));
    }

    #[test]
    fn a_corrupt_column_is_named() {
        let bad = DecisionPart::parse("p".into(), 1, "o".into(), "{", "{}").unwrap_err();
        assert_eq!(bad.0, "decision details");
        let bad = DecisionPart::parse("p".into(), 1, "o".into(), "{}", "[").unwrap_err();
        assert_eq!(bad.0, "decision facts");
    }
}
