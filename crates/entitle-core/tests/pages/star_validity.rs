//! `star-validity` (spec 3.5): the page's flowchart at every threshold, and
//! the invariants every decision keeps.

use super::star_support;

use entitle_core::config::PolicyConfig;
use entitle_core::domain::License;
use entitle_core::policies::{StarCategory, StarValidity, StarValidityFacts, StarValidityOutcome};
use entitle_core::policy::evaluate;
use proptest::prelude::*;
use star_support::*;

fn plan_license(
    trial_request: bool,
    sales_assisted_trial: bool,
    license: License,
) -> StarValidityFacts {
    StarValidityFacts {
        category: StarCategory::PlanLicense,
        trial_request,
        sales_assisted_trial,
        license,
        sales_intervened: false,
        edge_case: false,
    }
}

// The flowchart at every threshold, row by row: the table "the flowchart
// at every threshold" of `scenarios/star-validity.toml`.

#[test]
fn every_scenario_has_an_honest_stable_until() {
    assert_examples_stable_until_honest::<StarValidity>();
}

#[test]
fn no_need_for_star_asks_the_manager_to_collect_feedback_and_label() {
    let facts = plan_license(true, false, trial("2026-11-10", "2026-12-10"));
    let decision =
        evaluate::<StarValidity>(&facts, at("2026-12-01T00:00:00Z"), &PolicyConfig::default())
            .unwrap();
    assert_eq!(decision.outcome, StarValidityOutcome::NoNeedForStar);
    let action = &decision.details.actions[0];
    assert_eq!(action.id, "collect-feedback-and-label-star");
    assert!(
        action.text.contains("collect data for feedback"),
        "{}",
        action.text
    );
    assert!(
        action.text.contains("label the STAR issue"),
        "{}",
        action.text
    );
}

#[test]
fn trace_shows_the_time_left() {
    let facts = plan_license(false, false, paid("2025-11-20", "2026-11-20"));
    let decision =
        evaluate::<StarValidity>(&facts, at("2026-12-02T18:00:00Z"), &PolicyConfig::default())
            .unwrap();
    let details: Vec<_> = decision
        .trace
        .iter()
        .filter_map(|s| s.detail.clone())
        .collect();
    assert_eq!(
        details,
        [
            "expired 2026-11-20, 12 days ago; grace ends 2026-12-04, in 30 h",
            "paid license grace ends 2026-12-04, in 30 h; threshold 24 h"
        ]
    );
    assert_eq!(decision.details.grace_ends_on, Some(d("2026-12-04")));
    assert_eq!(decision.details.expires_on, Some(d("2026-11-20")));
}

#[test]
fn examples_take_every_path() {
    assert_examples_cover_every_path::<StarValidity>();
}

fn arb_category() -> impl Strategy<Value = StarCategory> {
    prop_oneof![
        Just(StarCategory::PlanLicense),
        Just(StarCategory::WrongProductSold),
        Just(StarCategory::ForceReassociate),
    ]
}

fn arb_facts() -> impl Strategy<Value = StarValidityFacts> {
    (arb_category(), any::<[bool; 4]>(), arb_license()).prop_map(|(category, b, license)| {
        StarValidityFacts {
            category,
            trial_request: b[0],
            sales_assisted_trial: b[1],
            license,
            sales_intervened: b[2],
            edge_case: b[3],
        }
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
        assert_total_and_deterministic::<StarValidity>(&facts, now, &config);
        assert_stable_until_honest::<StarValidity>(&facts, now, &config, &fractions);
    }

    /// The rules of the page, stated without the graph: a STAR on a
    /// plan/license request is ok exactly when the request is not an
    /// unassisted trial and no more than the threshold is left.
    #[test]
    fn plan_license_follows_the_time_rule(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
    ) {
        let decision = evaluate::<StarValidity>(&facts, now, &config).unwrap();
        let outcome = decision.outcome;
        match facts.category {
            StarCategory::PlanLicense => {
                let left = entitle_core::time::deadline(&facts.license, now, &config).value - now;
                let more = left > chrono::TimeDelta::hours(i64::from(config.escalation_threshold_hours));
                let expected = if (facts.trial_request && !facts.sales_assisted_trial) || more {
                    StarValidityOutcome::NoNeedForStar
                } else {
                    StarValidityOutcome::OkToStar
                };
                prop_assert_eq!(outcome, expected);
                prop_assert_eq!(decision.details.expires_on, Some(facts.license.expires_on));
            }
            StarCategory::WrongProductSold => prop_assert_eq!(
                outcome,
                if facts.sales_intervened { StarValidityOutcome::OkToStar } else { StarValidityOutcome::AwaitSalesIntervention }
            ),
            StarCategory::ForceReassociate => prop_assert_eq!(
                outcome,
                if facts.edge_case { StarValidityOutcome::OkToStar } else { StarValidityOutcome::DeflectWithDocs }
            ),
        }
        prop_assert_eq!(
            decision.details.actions.iter().any(|a| a.id == "collect-feedback-and-label-star"),
            outcome == StarValidityOutcome::NoNeedForStar
        );
    }
}
