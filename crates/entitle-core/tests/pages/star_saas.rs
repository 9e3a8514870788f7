//! `star-saas` (spec 3.7): every request against every namespace, and the
//! Mechanizer's limits: it extends a trial the namespace had, never starts
//! one; a temporary trial is set at the desired plan.

use super::star_support;

use entitle_core::config::PolicyConfig;
use entitle_core::domain::{Namespace, Plan};
use entitle_core::graph::Answer;
use entitle_core::policies::{
    SaasRequest, SaasTrialPlan, StarSaas, StarSaasFacts, StarSaasOutcome as O,
};
use entitle_core::policy::evaluate;
use proptest::prelude::*;
use star_support::*;

fn ns(had_trial: bool, has_subscription: bool) -> Namespace {
    Namespace {
        had_trial,
        has_subscription,
        plan: Plan::Free,
    }
}

fn facts(
    request: SaasRequest,
    namespace: Namespace,
    lr_team_available: bool,
    emergency: bool,
) -> StarSaasFacts {
    StarSaasFacts {
        request,
        namespace,
        lr_team_available,
        emergency,
        desired_plan: SaasTrialPlan::Ultimate,
    }
}

// Every request with and without a past trial, a subscription, the L&R
// team and an emergency: the table "who moves a starred SaaS ticket
// forward" of `scenarios/star-saas.toml`.

#[test]
fn the_temporary_trial_is_at_the_desired_plan() {
    for (desired, plan, name) in [
        (SaasTrialPlan::Premium, Plan::Premium, "Premium"),
        (SaasTrialPlan::Ultimate, Plan::Ultimate, "Ultimate"),
    ] {
        let f = StarSaasFacts {
            desired_plan: desired,
            ..facts(
                SaasRequest::PaidGroupOnFreePlan,
                ns(true, false),
                false,
                true,
            )
        };
        let decision =
            evaluate::<StarSaas>(&f, at("2026-12-01T12:00:00Z"), &PolicyConfig::default()).unwrap();
        assert_eq!(decision.outcome, O::TemporaryTrialAtPlan);
        assert_eq!(decision.details.plan, Some(plan));
        let text = &decision.details.actions[0].text;
        assert!(text.contains(&format!("at the {name} plan")), "{text}");
        assert!(text.contains("Manage GitLab Plan and Trials"), "{text}");
    }
    // No trial ever: the subscription creates one first.
    let f = facts(
        SaasRequest::PaidGroupOnFreePlan,
        ns(false, true),
        false,
        true,
    );
    let decision =
        evaluate::<StarSaas>(&f, at("2026-12-01T12:00:00Z"), &PolicyConfig::default()).unwrap();
    assert!(
        decision.details.actions[0]
            .text
            .starts_with("The namespace never had a trial: use the subscription")
    );
}

#[test]
fn desired_plan_is_premium_or_ultimate() {
    let json = r#"{"request":"paid-group-on-free-plan","namespace":{"had_trial":true,"has_subscription":false,"plan":"free"},"lr_team_available":false,"emergency":true,"desired_plan":"free"}"#;
    assert!(serde_json::from_str::<StarSaasFacts>(json).is_err());
    let ok = json.replace(r#""desired_plan":"free""#, r#""desired_plan":"premium""#);
    assert_eq!(
        serde_json::from_str::<StarSaasFacts>(&ok)
            .unwrap()
            .desired_plan,
        SaasTrialPlan::Premium
    );
}

#[test]
fn examples_take_every_path() {
    assert_examples_cover_every_path::<StarSaas>();
}

fn arb_facts() -> impl Strategy<Value = StarSaasFacts> {
    (
        prop::sample::select(SaasRequest::ALL),
        any::<[bool; 4]>(),
        arb_plan(),
        prop::sample::select(SaasTrialPlan::ALL),
    )
        .prop_map(|(request, b, plan, desired_plan)| StarSaasFacts {
            request,
            namespace: Namespace {
                had_trial: b[0],
                has_subscription: b[1],
                plan,
            },
            lr_team_available: b[2],
            emergency: b[3],
            desired_plan,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn total_deterministic_and_honest(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
        fractions in arb_fractions(),
    ) {
        let decision = assert_total_and_deterministic::<StarSaas>(&facts, now, &config);
        prop_assert_eq!(decision.stable_until, None);
        assert_stable_until_honest::<StarSaas>(&facts, now, &config, &fractions);
    }

    /// The Mechanizer extends a trial the namespace had and never starts
    /// one; a trial is only created from a subscription; a temporary trial
    /// needs a trial or a subscription, and is at the desired plan.
    #[test]
    fn the_mechanizer_never_starts_a_trial(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
    ) {
        let decision = evaluate::<StarSaas>(&facts, now, &config).unwrap();
        let ns = facts.namespace;
        let extension = facts.request != SaasRequest::PaidGroupOnFreePlan;
        match decision.outcome {
            O::ExtendTrial => prop_assert!(ns.had_trial && extension),
            O::CreateTrialFromSubscription => prop_assert!(ns.has_subscription && !ns.had_trial && extension),
            O::TemporaryTrialAtPlan => {
                prop_assert!(ns.had_trial || ns.has_subscription);
                prop_assert!(facts.emergency && !facts.lr_team_available && !extension);
            }
            O::AssociateSubscription => prop_assert!(!facts.emergency && !facts.lr_team_available && !extension),
            O::EngageLrTeam => prop_assert!(
                facts.lr_team_available && !extension || !ns.had_trial && !ns.has_subscription
            ),
        }
        prop_assert_eq!(
            decision.details.plan,
            (decision.outcome == O::TemporaryTrialAtPlan).then(|| Plan::from(facts.desired_plan))
        );
        // The namespace's current plan is shown, never asked.
        let other = StarSaasFacts { namespace: Namespace { plan: Plan::Ultimate, ..ns }, ..facts.clone() };
        prop_assert_eq!(evaluate::<StarSaas>(&other, now, &config).unwrap().outcome, decision.outcome);
    }
}
