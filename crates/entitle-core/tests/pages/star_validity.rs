//! `star-validity` (spec 3.5): the page's flowchart at every threshold, and
//! the invariants every decision keeps.

use super::star_support;

use entitle_core::config::PolicyConfig;
use entitle_core::domain::License;
use entitle_core::policies::{StarCategory, StarValidity, StarValidityFacts, StarValidityOutcome};
use entitle_core::policy::{Outcome, evaluate};
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

fn other(category: StarCategory, sales_intervened: bool, edge_case: bool) -> StarValidityFacts {
    StarValidityFacts {
        category,
        sales_intervened,
        edge_case,
        ..plan_license(false, false, paid("2026-01-01", "2027-01-01"))
    }
}

struct Case {
    name: &'static str,
    facts: StarValidityFacts,
    now: &'static str,
    config: PolicyConfig,
    outcome: &'static str,
    stable_until: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let utc = PolicyConfig::default;
    // Paid, expired 2026-11-20: in grace 11-20 .. 12-04, grace ends at the
    // start of 2026-12-04.
    let in_grace = || paid("2025-11-20", "2026-11-20");
    vec![
        Case {
            name: "30 h of grace left: no STAR, stable until 24 h before the end of grace",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: Some("2026-12-03T00:00:00Z"),
        },
        Case {
            name: "24 h + 1 s of grace left is more than 24 h",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-02T23:59:59Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: Some("2026-12-03T00:00:00Z"),
        },
        Case {
            name: "exactly 24 h of grace left is not more than 24 h: ok to STAR until grace ends",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-03T00:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: Some("2026-12-04T00:00:00Z"),
        },
        Case {
            name: "the day grace ends: no longer in grace, past the deadline: ok to STAR for good",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-04T10:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: None,
        },
        Case {
            name: "active, 36 h to expiry",
            facts: plan_license(false, false, paid("2025-12-10", "2026-12-10")),
            now: "2026-12-08T12:00:00Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: Some("2026-12-09T00:00:00Z"),
        },
        Case {
            name: "active, 18 h to expiry: ok to STAR until it expires and grace starts",
            facts: plan_license(false, false, paid("2025-12-10", "2026-12-10")),
            now: "2026-12-09T06:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: Some("2026-12-10T00:00:00Z"),
        },
        Case {
            name: "the day of expiry: in grace with 14 days left",
            facts: plan_license(false, false, paid("2025-12-10", "2026-12-10")),
            now: "2026-12-10T06:00:00Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: Some("2026-12-23T00:00:00Z"),
        },
        Case {
            name: "not started yet: expiry a year away",
            facts: plan_license(false, false, paid("2026-12-10", "2027-12-10")),
            now: "2026-12-01T09:00:00Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: Some("2027-12-09T00:00:00Z"),
        },
        Case {
            name: "sales-assisted trial, 36 h to expiry",
            facts: plan_license(true, true, trial("2026-11-10", "2026-12-10")),
            now: "2026-12-08T12:00:00Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: Some("2026-12-09T00:00:00Z"),
        },
        Case {
            name: "sales-assisted trial, exactly 24 h to expiry",
            facts: plan_license(true, true, trial("2026-11-10", "2026-12-10")),
            now: "2026-12-09T00:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: None,
        },
        Case {
            name: "trial not assisted by Sales: no STAR whatever the dates",
            facts: plan_license(true, false, trial("2026-11-10", "2026-12-10")),
            now: "2026-12-09T23:00:00Z",
            config: utc(),
            outcome: "no-need-for-star",
            stable_until: None,
        },
        Case {
            name: "an expired trial has no grace period",
            facts: plan_license(false, false, trial("2026-11-10", "2026-12-10")),
            now: "2026-12-11T08:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: None,
        },
        Case {
            // Grace ends at the start of 2026-12-04 in New York: 05:00 UTC.
            name: "New York: 25 h left at 23:00 local",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-03T04:00:00Z",
            config: config_in("America/New_York"),
            outcome: "no-need-for-star",
            stable_until: Some("2026-12-03T05:00:00Z"),
        },
        Case {
            name: "New York: exactly 24 h left at local midnight",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-03T05:00:00Z",
            config: config_in("America/New_York"),
            outcome: "ok-to-star",
            stable_until: Some("2026-12-04T05:00:00Z"),
        },
        Case {
            name: "a 48 h threshold: 30 h of grace is not enough",
            facts: plan_license(false, false, in_grace()),
            now: "2026-12-02T18:00:00Z",
            config: PolicyConfig {
                escalation_threshold_hours: 48,
                ..utc()
            },
            outcome: "ok-to-star",
            stable_until: Some("2026-12-04T00:00:00Z"),
        },
        Case {
            name: "wrong product sold, after sales intervention",
            facts: other(StarCategory::WrongProductSold, true, false),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: None,
        },
        Case {
            name: "wrong product sold, before sales intervention",
            facts: other(StarCategory::WrongProductSold, false, true),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "await-sales-intervention",
            stable_until: None,
        },
        Case {
            name: "force reassociate, edge case",
            facts: other(StarCategory::ForceReassociate, false, true),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "ok-to-star",
            stable_until: None,
        },
        Case {
            name: "force reassociate, no edge case",
            facts: other(StarCategory::ForceReassociate, true, false),
            now: "2026-12-02T18:00:00Z",
            config: utc(),
            outcome: "deflect-with-docs",
            stable_until: None,
        },
    ]
}

#[test]
fn scenarios() {
    for case in cases() {
        let decision = evaluate::<StarValidity>(&case.facts, at(case.now), &case.config).unwrap();
        assert_eq!(decision.outcome.id(), case.outcome, "{}", case.name);
        assert_eq!(
            decision.stable_until,
            case.stable_until.map(at),
            "{}",
            case.name
        );
        assert_stable_until_honest::<StarValidity>(
            &case.facts,
            at(case.now),
            &case.config,
            &[0.0, 0.5, 0.99],
        );
    }
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
