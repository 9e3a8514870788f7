//! `evaluate` (the traced closures) and `evaluate_walk` (the table walk)
//! give the same decision, trace, details and `stable_until` for every
//! policy: its worked examples at their own instant and at random instants
//! in time zones with half-hour offsets and skipped or repeated midnights.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entitle_core::config::PolicyConfig;
use entitle_core::graph::Context;
use entitle_core::policy::{PolicyVisitor, Registered};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "UTC",
    "Etc/GMT-14",
    "America/New_York",
    "Asia/Kolkata",
    "America/St_Johns",
    "America/Santiago",
    "America/Havana",
    "Pacific/Apia",
];

struct TracedAgrees {
    now: DateTime<Utc>,
    config: PolicyConfig,
}

impl PolicyVisitor for TracedAgrees {
    type Output = Result<usize, TestCaseError>;
    fn visit<P: Registered>(self) -> Self::Output {
        let graph = P::graph().unwrap();
        let mut steps = 0;
        for example in entitle::scenario::examples::<P>().unwrap() {
            for now in [example.now, self.now] {
                let cx = Context::new(now, &self.config);
                let traced = graph.evaluate(&example.facts, &cx).unwrap();
                let walked = graph
                    .evaluate_walk(&example.facts, &Context::new(now, &self.config), Vec::new())
                    .unwrap();
                prop_assert_eq!(&traced, &walked);
                prop_assert_eq!(graph.decide(&example.facts, &cx).unwrap(), traced.outcome);
                steps += traced.trace.len();
            }
        }
        Ok(steps)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_policy_evaluates_as_the_walk(
        zone in prop::sample::select(ZONES),
        secs in 946_684_800i64..4_102_444_800,
        grace in 0u32..30,
        window in 0u32..8,
    ) {
        let config = PolicyConfig {
            timezone: zone.parse::<Tz>().unwrap(),
            grace_period_days: grace,
            emergency_window_days: window,
            ..PolicyConfig::default()
        };
        let now = DateTime::from_timestamp(secs, 0).unwrap();
        for policy in entitle_core::policies::POLICIES {
            let visitor = TracedAgrees { now, config: config.clone() };
            let steps = entitle_core::policies::visit(policy.id, visitor).unwrap()?;
            prop_assert!(steps > 0, "{} traced no step", policy.id);
        }
    }
}
