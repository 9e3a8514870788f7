//! The `testing` feature, used as another crate's CI would: only the public
//! API. The invariants hold for the built-in policies under the default and
//! under random valid configurations; a deliberately broken wrapper is
//! caught with a shrunk counterexample.

use entitle_core::config::PolicyConfig;
use entitle_core::policies::{LicenseStatus, StarSelfManaged, WeekendEmergency};
use entitle_core::policy::{Details, evaluate};
use entitle_core::testing::{
    Invariant, check_all, check_policy, check_status_monotone, check_temporary_license_cap,
    check_trial_only, facts, instant, policy_config,
};
use proptest::prelude::*;

#[test]
fn every_policy_holds_every_invariant_under_the_default_config() {
    let checks = check_all(&PolicyConfig::default(), 128, 1);
    assert_eq!(checks.len(), entitle_core::policies::POLICIES.len());
    for check in checks {
        assert_eq!(check.counterexample, None, "{}", check.policy);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any valid configuration: the invariants still hold.
    #[test]
    fn invariants_hold_under_any_valid_config(config in policy_config(), seed in any::<u64>()) {
        prop_assert!(config.validate().is_ok());
        for check in check_all(&config, 8, seed) {
            prop_assert!(check.counterexample.is_none(), "{:?}", check.counterexample);
        }
    }

    /// The strategies compose in a wrapper's own property test.
    #[test]
    fn a_wrapper_can_use_the_strategies(f in facts::<StarSelfManaged>(), now in instant()) {
        let decision = evaluate::<StarSelfManaged>(&f, now, &PolicyConfig::default()).unwrap();
        prop_assert!(check_trial_only(entitle_core::policy::Outcome::id(decision.outcome), &decision.details).is_ok());
    }
}

/// A wrapper that "helpfully" doubles the length of every generated license.
fn generous_wrapper(details: &Details) -> Details {
    Details {
        days: details.days.map(|d| d * 3),
        ..details.clone()
    }
}

#[test]
fn a_broken_wrapper_is_caught_with_a_shrunk_counterexample() {
    let config = PolicyConfig::default();
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        proptest::test_runner::Config {
            cases: 4096,
            failure_persistence: None,
            ..proptest::test_runner::Config::default()
        },
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let result = runner.run(&(facts::<WeekendEmergency>(), instant()), |(f, now)| {
        let decision = evaluate::<WeekendEmergency>(&f, now, &config).unwrap();
        check_temporary_license_cap(&generous_wrapper(&decision.details), &config)
            .map_err(|v| TestCaseError::fail(v.to_string()))
    });
    let error = result.unwrap_err().to_string();
    assert!(
        error.contains("temporary-license-cap: a 15-day license"),
        "{error}"
    );
}

#[test]
fn the_single_checks_reject_what_they_must() {
    assert_eq!(
        check_status_monotone("lapsed", "active")
            .unwrap_err()
            .invariant,
        Invariant::StatusMonotone
    );
    assert!(check_status_monotone("active", "lapsed").is_ok());
    let license = Details {
        plan: Some(entitle_core::domain::Plan::Premium),
        users: Some(5),
        days: Some(5),
        ..Details::default()
    };
    assert_eq!(
        check_trial_only("resend-to-license-contact", &license)
            .unwrap_err()
            .invariant,
        Invariant::TrialOnly
    );
    assert!(check_trial_only("generate-trial-license", &license).is_ok());
    let capped = PolicyConfig {
        temporary_license_days: 3,
        temporary_license_max_days: 3,
        ..PolicyConfig::default()
    };
    assert!(check_temporary_license_cap(&license, &capped).is_err());
}

#[test]
fn a_seed_reproduces_the_same_run() {
    // A policy checked twice from one seed agrees with itself.
    let config = PolicyConfig::default();
    assert_eq!(
        check_policy::<LicenseStatus>(&config, 64, 9),
        check_policy::<LicenseStatus>(&config, 64, 9)
    );
}
