//! Running the checks: a seeded proptest runner per policy, and the shrunk
//! counterexample it finds.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;
use serde_json::Value;

use crate::config::PolicyConfig;
use crate::policy::{PolicyVisitor, Registered};

use super::*;

/// A shrunk input on which an invariant does not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterexample {
    /// The policy id.
    pub policy: &'static str,
    /// The invariant, if a check failed (`None`: the run itself failed, e.g.
    /// too many generated facts were refused).
    pub invariant: Option<Invariant>,
    /// What was seen.
    pub message: String,
    /// The instant (RFC 3339), for `entitle decide --now`.
    pub now: String,
    /// The later instant used by the monotonicity check.
    pub later: String,
    /// The facts, for `entitle decide --facts`.
    pub facts: Value,
}

pub(super) fn seeded_runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = seed.wrapping_add(i as u64).to_le_bytes();
        chunk.copy_from_slice(&word);
    }
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Runs [`check_case`] for `cases` inputs of policy `P` generated from
/// `seed` under `config`; on failure, the shrunk counterexample.
pub fn check_policy<P: Registered>(
    config: &PolicyConfig,
    cases: u32,
    seed: u64,
) -> Result<(), Box<Counterexample>> {
    let mut runner = seeded_runner(cases, seed);
    let strategy = (facts::<P>(), instant(), 0i64..=60 * 86_400);
    let result = runner.run(&strategy, |(facts, now, delta)| {
        let later = now + TimeDelta::seconds(delta);
        check_case::<P>(&facts, now, later, config).map_err(|v| TestCaseError::fail(v.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, (facts, now, delta))) => {
            let later = now + TimeDelta::seconds(delta);
            let found = check_case::<P>(&facts, now, later, config).err();
            Err(Box::new(Counterexample {
                policy: P::ID,
                invariant: found.as_ref().map(|v| v.invariant),
                message: found.map_or_else(|| reason.to_string(), |v| v.message),
                now: rfc3339(now),
                later: rfc3339(later),
                facts: serde_json::to_value(&facts).unwrap_or_default(),
            }))
        }
        Err(TestError::Abort(reason)) => Err(Box::new(Counterexample {
            policy: P::ID,
            invariant: None,
            message: format!("the run was aborted: {reason}"),
            now: String::new(),
            later: String::new(),
            facts: Value::Null,
        })),
    }
}

/// The result of checking one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyCheck {
    /// The policy id.
    pub policy: &'static str,
    /// Inputs tried.
    pub cases: u32,
    /// The counterexample, if an invariant does not hold.
    pub counterexample: Option<Box<Counterexample>>,
}

/// [`check_policy`] for every registered policy, in registry order.
pub fn check_all(config: &PolicyConfig, cases: u32, seed: u64) -> Vec<PolicyCheck> {
    check_all_with(config, cases, seed, &mut |_| {})
}

/// [`check_all`], calling `checked` with each policy's result as soon as
/// it is known (a progress display).
pub fn check_all_with(
    config: &PolicyConfig,
    cases: u32,
    seed: u64,
    checked: &mut dyn FnMut(&PolicyCheck),
) -> Vec<PolicyCheck> {
    struct Check<'a> {
        config: &'a PolicyConfig,
        cases: u32,
        seed: u64,
    }
    impl PolicyVisitor for Check<'_> {
        type Output = PolicyCheck;
        fn visit<P: Registered>(self) -> PolicyCheck {
            PolicyCheck {
                policy: P::ID,
                cases: self.cases,
                counterexample: check_policy::<P>(self.config, self.cases, self.seed).err(),
            }
        }
    }
    crate::policies::POLICIES
        .iter()
        .filter_map(|info| {
            crate::policies::visit(
                info.id,
                Check {
                    config,
                    cases,
                    seed,
                },
            )
            .ok()
            .inspect(|check| checked(check))
        })
        .collect()
}
