//! Spec 3.2a `emergency-license-follow-up` ("the customer has not received
//! the email"): the record decides, nothing depends on time, and a follow-up
//! never allows a second license when a success record exists.

use super::emergency_support;

use emergency_support::*;
use entitle_core::policies::{
    EmergencyLicenseFollowUp, FollowUpFacts, FollowUpOutcome, InternalRequest,
};
use entitle_core::policy::{Outcome, Policy, decide, evaluate};
use proptest::prelude::*;

fn follow_up(internal_request: InternalRequest) -> FollowUpFacts {
    FollowUpFacts {
        internal_request,
        ticket_url: None,
    }
}

// What the internal request tracker holds decides, row by row: the table
// "the record decides" of `scenarios/emergency-license-follow-up.toml`.

#[test]
fn outcome_ids_are_the_spec_ids() {
    let ids: Vec<&str> = FollowUpOutcome::ALL.iter().map(|o| o.id()).collect();
    assert_eq!(ids, ["resend-from-success-record", "regenerate"]);
    assert_eq!(EmergencyLicenseFollowUp::ID, "emergency-license-follow-up");
}

#[test]
fn the_actions_name_what_to_do() {
    let details = |record| {
        evaluate::<EmergencyLicenseFollowUp>(&follow_up(record), at("2026-11-22T09:00:00Z"), &utc())
            .unwrap()
            .details
    };
    let resend = details(InternalRequest::Success);
    assert_eq!(resend.actions.len(), 1);
    assert_eq!(resend.actions[0].id, "resend-license");
    assert!(resend.actions[0].text.contains("do not generate another"));
    let regenerate = details(InternalRequest::Failure);
    assert_eq!(regenerate.actions[0].id, "generate-license");
}

#[test]
fn facts_json_contract() {
    for (json, expected) in [
        (
            r#"{"internal_request": "success"}"#,
            InternalRequest::Success,
        ),
        (
            r#"{"internal_request": "failure"}"#,
            InternalRequest::Failure,
        ),
        (r#"{"internal_request": "none"}"#, InternalRequest::None),
    ] {
        let facts: FollowUpFacts = serde_json::from_str(json).unwrap();
        assert_eq!(facts.internal_request, expected);
    }
    for bad in [
        r#"{"internal_request": "succeeded"}"#,
        r#"{"internal_request": null}"#,
        r#"{}"#,
        r#"{"internal_request": "success", "ticket": 1}"#,
    ] {
        assert!(serde_json::from_str::<FollowUpFacts>(bad).is_err(), "{bad}");
    }
}

#[test]
fn examples_take_every_path() {
    assert_eq!(
        paths_without_example::<EmergencyLicenseFollowUp>(),
        Vec::<String>::new()
    );
}

fn record() -> impl Strategy<Value = InternalRequest> {
    prop_oneof![
        Just(InternalRequest::None),
        Just(InternalRequest::Success),
        Just(InternalRequest::Failure),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn total_deterministic_and_stable_until_is_honest(
        record in record(),
        now in instant(),
        config in valid_config(),
        probes in probes(),
    ) {
        let decision =
            check_decision::<EmergencyLicenseFollowUp>(&follow_up(record), now, &config, &probes)?;
        prop_assert_eq!(decision.stable_until, None);
    }

    /// Safety: never two licenses for one ticket. Whenever the success
    /// record exists, at any time and under any configuration, the follow-up
    /// resends that license and no action generates another.
    #[test]
    fn never_a_second_license_when_a_success_record_exists(
        record in record(),
        now in instant(),
        config in any_config(),
    ) {
        let facts = follow_up(record);
        let outcome = decide::<EmergencyLicenseFollowUp>(&facts, now, &config).unwrap();
        let graph = <EmergencyLicenseFollowUp as entitle_core::policy::Registered>::graph().unwrap();
        let cx = entitle_core::graph::Context::new(now, &config);
        let details = EmergencyLicenseFollowUp::details(outcome, &facts, &cx);
        let generates = outcome == FollowUpOutcome::Regenerate
            || details.actions.iter().any(|a| a.id == "generate-license")
            || details.plan.is_some()
            || details.days.is_some();
        if record == InternalRequest::Success {
            prop_assert_eq!(outcome, FollowUpOutcome::ResendFromSuccessRecord);
            prop_assert!(!generates, "{:?}", details);
        } else {
            prop_assert_eq!(outcome, FollowUpOutcome::Regenerate);
        }
        prop_assert_eq!(*graph.decide(&facts, &cx).unwrap(), outcome);
    }
}
