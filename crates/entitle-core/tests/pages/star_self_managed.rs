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

struct Case {
    name: &'static str,
    facts: StarSelfManagedFacts,
    now: &'static str,
    config: PolicyConfig,
    outcome: &'static str,
    stable_until: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let utc = PolicyConfig::default;
    // Paid, expired 2026-11-20, grace ends at the start of 2026-12-04.
    let in_grace = || paid("2025-11-20", "2026-11-20");
    // Paid, active until the start of 2026-12-10.
    let active = || paid("2025-12-10", "2026-12-10");
    let a_trial = || trial("2026-11-10", "2026-12-10");
    let mut cases = Vec::new();
    for request in [
        R::LicenseExtension,
        R::GracePeriodExtension,
        R::TemporaryLicense,
        R::TemporaryKey,
        R::TrialLicense,
    ] {
        cases.push(Case {
            name: "these all need a trial license generation",
            facts: facts(request, active()),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "generate-trial-license",
            stable_until: None,
        });
    }
    for actor in [
        StarActor::SupportEngineer,
        StarActor::SupportManager,
        StarActor::LrTeam,
    ] {
        cases.push(Case {
            name: "a new license goes to the L&R team, whoever asks",
            facts: StarSelfManagedFacts {
                actor,
                lr_team_available: false,
                ..facts(R::NewLicense, in_grace())
            },
            now: "2026-12-03T12:00:00Z",
            config: utc(),
            outcome: "route-to-lr-team",
            stable_until: None,
        });
    }
    for request in [
        R::ActivationError,
        R::UploadError,
        R::RenewalDelay,
        R::PaymentDelay,
    ] {
        cases.push(Case {
            name: "always try the L&R team first",
            facts: StarSelfManagedFacts {
                lr_team_available: true,
                ..facts(request, in_grace())
            },
            now: "2026-12-03T12:00:00Z",
            config: utc(),
            outcome: "engage-lr-team",
            stable_until: None,
        });
    }
    cases.extend([
        Case {
            name: "in grace, 30 h left: no need to escalate until 24 h before the end of grace",
            facts: facts(R::RenewalDelay, in_grace()),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-03T00:00:00Z"),
        },
        Case {
            name: "in grace, 24 h + 1 s left",
            facts: facts(R::PaymentDelay, in_grace()),
            now: "2026-12-02T23:59:59Z",
            config: utc(),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-03T00:00:00Z"),
        },
        Case {
            name: "in grace, exactly 24 h left: an emergency, the screenshot first",
            facts: facts(R::PaymentDelay, in_grace()),
            now: "2026-12-03T00:00:00Z",
            config: utc(),
            outcome: "request-admin-dashboard-screenshot",
            stable_until: None,
        },
        Case {
            name: "grace ended: an emergency; with the screenshot, a trial license",
            facts: StarSelfManagedFacts {
                admin_dashboard_screenshot: true,
                ..facts(R::UploadError, in_grace())
            },
            now: "2026-12-04T09:00:00Z",
            config: utc(),
            outcome: "generate-trial-license",
            stable_until: None,
        },
        Case {
            // Version 2: the deadline of a paid license is the end of grace,
            // active or not (version 1 escalated this one).
            name: "active, 18 h to expiry: 14 days of grace ahead, no need to escalate",
            facts: StarSelfManagedFacts {
                admin_dashboard_screenshot: true,
                ..facts(R::ActivationError, active())
            },
            now: "2026-12-09T06:00:00Z",
            config: utc(),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-23T00:00:00Z"),
        },
        Case {
            name: "the day of expiry: 14 days of grace ahead",
            facts: facts(R::ActivationError, active()),
            now: "2026-12-10T06:00:00Z",
            config: utc(),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-23T00:00:00Z"),
        },
        Case {
            name: "active, grace ends in 24 h + 1 s",
            facts: facts(R::RenewalDelay, active()),
            now: "2026-12-22T23:59:59Z",
            config: utc(),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-23T00:00:00Z"),
        },
        Case {
            name: "a 1-day grace period: 24 h + 1 s left the second before expiry",
            facts: facts(R::ActivationError, active()),
            now: "2026-12-09T23:59:59Z",
            config: PolicyConfig {
                grace_period_days: 1,
                ..utc()
            },
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-10T00:00:00Z"),
        },
        Case {
            name: "a 1-day grace period is exactly 24 h at expiry: an emergency",
            facts: facts(R::ActivationError, active()),
            now: "2026-12-10T00:00:00Z",
            config: PolicyConfig {
                grace_period_days: 1,
                ..utc()
            },
            outcome: "request-admin-dashboard-screenshot",
            stable_until: None,
        },
        Case {
            name: "no grace period configured: the deadline is the expiry, 18 h away",
            facts: facts(R::ActivationError, active()),
            now: "2026-12-09T06:00:00Z",
            config: PolicyConfig {
                grace_period_days: 0,
                ..utc()
            },
            outcome: "request-admin-dashboard-screenshot",
            stable_until: None,
        },
        Case {
            // Grace ends at the start of 2026-12-24 in New York, 05:00 UTC.
            name: "New York: active paid license, grace ends in exactly 24 h",
            facts: facts(R::PaymentDelay, active()),
            now: "2026-12-23T05:00:00Z",
            config: config_in("America/New_York"),
            outcome: "request-admin-dashboard-screenshot",
            stable_until: None,
        },
        Case {
            name: "trial, 36 h to expiry",
            facts: facts(R::ActivationError, a_trial()),
            now: "2026-12-08T12:00:00Z",
            config: utc(),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-09T00:00:00Z"),
        },
        Case {
            name: "trial, exactly 24 h to expiry (no grace period)",
            facts: facts(R::ActivationError, a_trial()),
            now: "2026-12-09T00:00:00Z",
            config: utc(),
            outcome: "request-admin-dashboard-screenshot",
            stable_until: None,
        },
        Case {
            // The trial expires at the start of 2026-12-10 in New York, 05:00 UTC.
            name: "New York: trial with 24 h + 1 s left",
            facts: facts(R::UploadError, a_trial()),
            now: "2026-12-09T04:59:59Z",
            config: config_in("America/New_York"),
            outcome: "no-escalation-needed",
            stable_until: Some("2026-12-09T05:00:00Z"),
        },
        Case {
            name: "New York: trial with exactly 24 h left",
            facts: facts(R::UploadError, a_trial()),
            now: "2026-12-09T05:00:00Z",
            config: config_in("America/New_York"),
            outcome: "request-admin-dashboard-screenshot",
            stable_until: None,
        },
        Case {
            name: "the license contact did not receive the license",
            facts: facts(R::LicenseNotReceived, active()),
            now: "2026-12-03T12:00:00Z",
            config: utc(),
            outcome: "resend-to-license-contact",
            stable_until: None,
        },
        Case {
            name: "a trial license may go to a different email",
            facts: StarSelfManagedFacts {
                recipient_is_license_contact: false,
                ..facts(R::SendToDifferentEmail, a_trial())
            },
            now: "2026-12-03T12:00:00Z",
            config: utc(),
            outcome: "send-trial-to-new-contact",
            stable_until: None,
        },
        Case {
            name: "a paid license never goes to a different email",
            facts: StarSelfManagedFacts {
                recipient_is_license_contact: false,
                ..facts(R::ContactLeftCompany, active())
            },
            now: "2026-12-03T12:00:00Z",
            config: utc(),
            outcome: "decline-different-email",
            stable_until: None,
        },
        Case {
            name: "changing the license contact for a paid license",
            facts: StarSelfManagedFacts {
                recipient_is_license_contact: false,
                ..facts(R::ChangeLicenseContact, in_grace())
            },
            now: "2026-12-03T12:00:00Z",
            config: utc(),
            outcome: "decline-different-email",
            stable_until: None,
        },
    ]);
    cases
}

#[test]
fn scenarios() {
    for case in cases() {
        let decision =
            evaluate::<StarSelfManaged>(&case.facts, at(case.now), &case.config).unwrap();
        let name = format!("{} ({})", case.name, case.facts.request.label());
        assert_eq!(decision.outcome.id(), case.outcome, "{name}");
        assert_eq!(decision.stable_until, case.stable_until.map(at), "{name}");
        assert_stable_until_honest::<StarSelfManaged>(
            &case.facts,
            at(case.now),
            &case.config,
            &[0.0, 0.5, 0.99],
        );
    }
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
