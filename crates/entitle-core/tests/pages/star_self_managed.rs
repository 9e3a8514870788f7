//! `star-self-managed` (spec 3.6): every kind of request, the 24h+ rule at
//! its boundaries, and the safety rules: no outcome creates a non-trial
//! license, a support manager never gets one, a new license always goes to
//! the L&R team.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use super::star_support;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{License, Plan};
use entitle_core::graph::Answer;
use entitle_core::policies::{
    SelfManagedRequest as R, StarActor, StarSelfManaged, StarSelfManagedFacts,
    StarSelfManagedOutcome as O, StarValidity,
};
use entitle_core::policy::{Outcome, Policy, evaluate};
use entitle_core::time::{self_managed_deadline, self_managed_more_than_hours_remaining};
use proptest::prelude::*;
use star_support::*;

fn facts(request: R, license: License) -> StarSelfManagedFacts {
    StarSelfManagedFacts {
        request,
        license,
        lr_team_available: false,
        admin_dashboard_screenshot: false,
        customer_has_ticket: true,
        actor: StarActor::SupportEngineer,
        recipient_is_license_contact: true,
        ticket_url: None,
    }
}

// Every kind of request and the 24h+ rule at its boundaries, row by row:
// the table "every kind of request and the 24h+ rule at its boundaries" of
// `scenarios/star-self-managed.toml`.

#[test]
fn every_scenario_has_an_honest_stable_until() {
    assert_examples_stable_until_honest::<StarSelfManaged>();
}

/// The node of the "24h+ remaining" question.
const QUESTION: &str = "more-than-24h-remaining";

/// Facts whose path always reaches the "24h+ remaining" question.
fn at_the_question(license: License) -> StarSelfManagedFacts {
    facts(R::RenewalDelay, license)
}

/// The policy's answer to the "24h+ remaining" question at `now`, read from
/// the decision's trace (and checked against the rule's own answer).
fn answer_at(license: &License, now: DateTime<Utc>, config: &PolicyConfig) -> bool {
    let decision = evaluate::<StarSelfManaged>(&at_the_question(*license), now, config).unwrap();
    let step = decision.trace.iter().find(|s| s.node == QUESTION).unwrap();
    let yes = step.answer == "yes";
    assert_eq!(
        yes,
        self_managed_more_than_hours_remaining(license, now, config).value
    );
    yes
}

/// Spec 1 for this policy, computed here with chrono-tz alone: the start of
/// `expires_on + grace_period_days` for a paid license, of `expires_on` for a
/// trial. (The strategies' zones have no midnight gaps in these years.)
fn expected_deadline(license: &License, config: &PolicyConfig) -> DateTime<Utc> {
    let date = if license.trial {
        license.expires_on
    } else {
        license.expires_on + TimeDelta::days(i64::from(config.grace_period_days))
    };
    start_in(date, config)
}

fn start_in(date: chrono::NaiveDate, config: &PolicyConfig) -> DateTime<Utc> {
    config
        .timezone
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Issue #9: an active paid license 12 h before expiry used to be escalated
/// and the same license 1 s after expiry (14 days of grace ahead) not, so
/// urgency dropped as time passed. Version 2 gives both the same answer, up
/// to 24 h before the end of grace.
#[test]
fn urgency_does_not_drop_at_expiry() {
    assert_eq!(StarSelfManaged::VERSION, 2);
    let config = PolicyConfig::default();
    let license = paid("2025-12-10", "2026-12-10");
    let outcome = |now: &str| {
        evaluate::<StarSelfManaged>(&at_the_question(license), at(now), &config)
            .unwrap()
            .outcome
    };
    assert_eq!(outcome("2026-12-09T12:00:00Z"), O::NoEscalationNeeded);
    assert_eq!(outcome("2026-12-10T00:00:01Z"), O::NoEscalationNeeded);
    assert_eq!(outcome("2026-12-22T23:59:59Z"), O::NoEscalationNeeded);
    assert_eq!(
        outcome("2026-12-23T00:00:00Z"),
        O::RequestAdminDashboardScreenshot
    );
    assert_eq!(
        self_managed_deadline(&license, &config),
        at("2026-12-24T00:00:00Z")
    );
    // The trace says which deadline counts.
    let decision = evaluate::<StarSelfManaged>(
        &at_the_question(license),
        at("2026-12-09T12:00:00Z"),
        &config,
    )
    .unwrap();
    let step = decision.trace.iter().find(|s| s.node == QUESTION).unwrap();
    assert_eq!(
        step.detail.as_deref(),
        Some(
            "paid license grace ends 2026-12-24, in 15 days; expires 2026-12-10, in 12 h; threshold 24 h"
        )
    );
    // A trial has no grace: its deadline stays its expiry.
    let a_trial = trial("2026-11-10", "2026-12-10");
    assert_eq!(
        self_managed_deadline(&a_trial, &config),
        at("2026-12-10T00:00:00Z")
    );
    assert!(!answer_at(&a_trial, at("2026-12-09T12:00:00Z"), &config));
    // star-validity keeps its flowchart's literal question: 12 h to expiry
    // is "expiring in 24h or less" there.
    let validity = entitle_core::policies::StarValidityFacts {
        category: entitle_core::policies::StarCategory::PlanLicense,
        trial_request: false,
        sales_assisted_trial: false,
        license,
        sales_intervened: false,
        edge_case: false,
    };
    let decision =
        evaluate::<StarValidity>(&validity, at("2026-12-09T12:00:00Z"), &config).unwrap();
    assert_eq!(decision.outcome.id(), "ok-to-star");
}

#[test]
fn request_kinds_are_the_spec_ids() {
    let ids: Vec<_> = R::ALL
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "license-extension",
            "grace-period-extension",
            "temporary-license",
            "temporary-key",
            "trial-license",
            "activation-error",
            "upload-error",
            "renewal-delay",
            "payment-delay",
            "license-not-received",
            "contact-left-company",
            "change-license-contact",
            "send-to-different-email",
            "new-license",
        ]
    );
}

#[test]
fn the_trial_license_is_at_the_license_plan_for_the_configured_length() {
    // Friday 2026-12-04 23:30 in New York is Saturday 04:30 UTC: the trial
    // counts from the support time zone's Friday. The license expired
    // 2026-11-21; its grace ends at the start of 2026-12-05 in New York.
    let f = StarSelfManagedFacts {
        admin_dashboard_screenshot: true,
        customer_has_ticket: false,
        ..facts(R::ActivationError, paid("2025-11-21", "2026-11-21"))
    };
    let config = config_in("America/New_York");
    let decision = evaluate::<StarSelfManaged>(&f, at("2026-12-05T04:30:00Z"), &config).unwrap();
    assert_eq!(decision.outcome, O::GenerateTrialLicense);
    let details = &decision.details;
    assert_eq!(details.plan, Some(Plan::Premium));
    assert_eq!(details.users, Some(25));
    assert_eq!(details.days, Some(5));
    assert_eq!(details.expires_on, Some(d("2026-12-09")));
    let ids: Vec<_> = details.actions.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        ["generate-trial-license", "ask-customer-to-open-ticket"]
    );
    // The end of grace is the start of Saturday 2026-12-05 in New York: 30
    // min away.
    let step = decision
        .trace
        .iter()
        .find(|s| s.node == "more-than-24h-remaining")
        .unwrap();
    assert_eq!(
        step.detail.as_deref(),
        Some(
            "paid license grace ends 2026-12-05, in 30 min; expired 2026-11-21, 13 days ago; threshold 24 h"
        )
    );
}

#[test]
fn only_activation_and_upload_errors_without_a_ticket_ask_for_one() {
    for (request, has_ticket, asks) in [
        (R::ActivationError, false, true),
        (R::UploadError, false, true),
        (R::ActivationError, true, false),
        (R::RenewalDelay, false, false),
        (R::PaymentDelay, false, false),
        (R::TemporaryKey, false, false),
    ] {
        let f = StarSelfManagedFacts {
            admin_dashboard_screenshot: true,
            customer_has_ticket: has_ticket,
            // In grace until the start of 2026-12-10: 18 h left.
            ..facts(request, paid("2025-11-26", "2026-11-26"))
        };
        let decision =
            evaluate::<StarSelfManaged>(&f, at("2026-12-09T06:00:00Z"), &PolicyConfig::default())
                .unwrap();
        assert_eq!(decision.outcome, O::GenerateTrialLicense, "{request:?}");
        assert_eq!(
            decision
                .details
                .actions
                .iter()
                .any(|a| a.id == "ask-customer-to-open-ticket"),
            asks,
            "{request:?}, ticket: {has_ticket}"
        );
    }
}

#[test]
fn examples_take_every_path() {
    assert_examples_cover_every_path::<StarSelfManaged>();
}

fn arb_request() -> impl Strategy<Value = R> {
    prop::sample::select(R::ALL)
}

fn arb_actor() -> impl Strategy<Value = StarActor> {
    prop::sample::select(StarActor::ALL)
}

fn arb_facts() -> impl Strategy<Value = StarSelfManagedFacts> {
    (
        arb_request(),
        arb_license(),
        any::<[bool; 4]>(),
        arb_actor(),
    )
        .prop_map(|(request, license, b, actor)| StarSelfManagedFacts {
            request,
            license,
            lr_team_available: b[0],
            admin_dashboard_screenshot: b[1],
            customer_has_ticket: b[2],
            actor,
            recipient_is_license_contact: b[3],
            ticket_url: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_deterministic_and_honest(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
        fractions in arb_fractions(),
    ) {
        assert_total_and_deterministic::<StarSelfManaged>(&facts, now, &config);
        assert_stable_until_honest::<StarSelfManaged>(&facts, now, &config, &fractions);
    }

    /// No outcome creates a non-trial license, for any facts, actor, time or
    /// configuration: the only license-creating action is the trial
    /// license's, and the license data (plan, users, days) is given for the
    /// trial generation alone, within the configured cap.
    #[test]
    fn only_trial_licenses_are_ever_generated(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
    ) {
        let decision = evaluate::<StarSelfManaged>(&facts, now, &config).unwrap();
        let details = &decision.details;
        let generates = decision.outcome == O::GenerateTrialLicense;
        prop_assert_eq!(details.plan.is_some(), generates);
        prop_assert_eq!(details.users.is_some(), generates);
        prop_assert_eq!(details.days.is_some(), generates);
        for action in &details.actions {
            if action.id.starts_with("generate") || action.id.starts_with("create") || action.text.contains("Generate") || action.text.contains("Create") {
                prop_assert_eq!(action.id, "generate-trial-license");
                prop_assert!(action.text.starts_with("Generate a trial license"), "{}", action.text);
            }
        }
        if generates {
            prop_assert!(details.days.unwrap() <= config.temporary_license_max_days);
            prop_assert_eq!(details.actions[0].id, "generate-trial-license");
        }
    }

    /// A support manager never gets a non-trial license, and a new license
    /// always goes to the L&R team, whoever asks; nothing else does.
    #[test]
    fn new_licenses_go_to_the_lr_team(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
    ) {
        let decision = evaluate::<StarSelfManaged>(&facts, now, &config).unwrap();
        prop_assert_eq!(decision.outcome == O::RouteToLrTeam, facts.request == R::NewLicense);
        let manager = StarSelfManagedFacts { actor: StarActor::SupportManager, ..facts.clone() };
        let as_manager = evaluate::<StarSelfManaged>(&manager, now, &config).unwrap();
        // The actor never changes the path.
        prop_assert_eq!(path(&as_manager), path(&decision));
        if facts.request == R::NewLicense {
            prop_assert!(as_manager.details.plan.is_none());
            prop_assert!(as_manager.details.actions[0].text.contains("never create brand-new licenses"));
        }
    }

    /// Licenses go only to the license contact, trial licenses excepted.
    #[test]
    fn non_trial_licenses_never_go_to_another_contact(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
    ) {
        let decision = evaluate::<StarSelfManaged>(&facts, now, &config).unwrap();
        if matches!(decision.outcome, O::SendTrialToNewContact) {
            prop_assert!(facts.license.trial && !facts.recipient_is_license_contact);
        }
        if matches!(decision.outcome, O::ResendToLicenseContact) {
            prop_assert!(facts.recipient_is_license_contact);
        }
    }

    /// For a fixed license, the policy's "24h+ remaining" answer never goes
    /// from false back to true as `now` increases (spec 1: "urgency never
    /// drops as time passes"). The instants include those around the expiry,
    /// where version 1 flipped back, and around the deadline.
    #[test]
    fn more_than_hours_remaining_never_comes_back(
        license in arb_license(),
        config in arb_config(),
        mut instants in prop::collection::vec(arb_now(), 1..10),
    ) {
        let expiry = start_in(license.expires_on, &config);
        let threshold = TimeDelta::hours(i64::from(config.escalation_threshold_hours));
        let edge = expected_deadline(&license, &config) - threshold;
        let second = TimeDelta::seconds(1);
        for t in [expiry, edge] {
            instants.extend([t - TimeDelta::hours(12), t - second, t, t + second]);
        }
        instants.sort();
        let answers: Vec<bool> = instants.iter().map(|t| answer_at(&license, *t, &config)).collect();
        for (i, pair) in answers.windows(2).enumerate() {
            prop_assert!(
                pair[0] || !pair[1],
                "false at {} but true again at {}", instants[i], instants[i + 1]
            );
        }
    }

    /// At the boundary: exactly `escalation_threshold_hours` before the
    /// deadline is not more than the threshold (and stays so for good); a
    /// nanosecond earlier is, and the decision there is stable until exactly
    /// the boundary.
    #[test]
    fn exactly_the_threshold_before_the_deadline_is_not_more(
        license in arb_license(),
        config in arb_config(),
    ) {
        let deadline = expected_deadline(&license, &config);
        prop_assert_eq!(self_managed_deadline(&license, &config), deadline);
        let edge = deadline - TimeDelta::hours(i64::from(config.escalation_threshold_hours));
        let nano = TimeDelta::nanoseconds(1);
        prop_assert!(!answer_at(&license, edge, &config));
        prop_assert!(!answer_at(&license, edge + nano, &config));
        prop_assert!(answer_at(&license, edge - nano, &config));
        prop_assert!(answer_at(&license, edge - TimeDelta::seconds(1), &config));
        let facts = at_the_question(license);
        let before = evaluate::<StarSelfManaged>(&facts, edge - nano, &config).unwrap();
        prop_assert_eq!(before.outcome, O::NoEscalationNeeded);
        prop_assert_eq!(before.stable_until, Some(edge));
        let on = evaluate::<StarSelfManaged>(&facts, edge, &config).unwrap();
        prop_assert_eq!(on.outcome, O::RequestAdminDashboardScreenshot);
        prop_assert_eq!(on.stable_until, None);
    }
}
