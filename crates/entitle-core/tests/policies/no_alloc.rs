//! Deciding a real policy on the fast path (`decide`: outcome only) does not
//! allocate, for every policy and every one of its worked examples.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use entitle_core::config::PolicyConfig;
use entitle_core::graph::Context;
use entitle_core::policies::POLICIES;
use entitle_core::policy::{Policy, PolicyVisitor, Registered};

struct Allocations;

impl PolicyVisitor for Allocations {
    type Output = (u64, usize);
    fn visit<P: Registered>(self) -> Self::Output {
        let graph = P::graph().unwrap();
        let config = PolicyConfig {
            timezone: "America/New_York".parse().unwrap(),
            company_holidays: vec!["2026-12-24".parse().unwrap()],
            ..PolicyConfig::default()
        };
        let examples = entitle::scenario::examples::<P>().unwrap();
        // Warm up lazily initialised state (the time zone tables) first.
        for e in &examples {
            graph
                .decide(&e.facts, &Context::new(e.now, &config))
                .unwrap();
        }
        let info = allocation_counter::measure(|| {
            for e in &examples {
                std::hint::black_box(
                    graph
                        .decide(&e.facts, &Context::new(e.now, &config))
                        .unwrap(),
                );
            }
        });
        (info.count_total, examples.len())
    }
}

#[test]
fn decide_never_allocates_for_any_policy() {
    for policy in POLICIES {
        let (allocations, examples) =
            entitle_core::policies::visit(policy.id, Allocations).unwrap();
        assert!(examples > 0, "{}", policy.id);
        assert_eq!(
            allocations, 0,
            "{}: decide allocated over {examples} examples",
            policy.id
        );
    }
}

/// The traced path does allocate (the trace, the details): the counter works.
#[test]
fn the_counter_sees_allocations() {
    struct Traced;
    impl PolicyVisitor for Traced {
        type Output = u64;
        fn visit<P: Registered>(self) -> u64 {
            let config = PolicyConfig::default();
            let examples = entitle::scenario::examples::<P>().unwrap();
            allocation_counter::measure(|| {
                for e in &examples {
                    let _ = entitle_core::policy::evaluate::<P>(&e.facts, e.now, &config).unwrap();
                }
            })
            .count_total
        }
    }
    let id = <entitle_core::policies::WeekendEmergency as Policy>::ID;
    assert!(entitle_core::policies::visit(id, Traced).unwrap() > 0);
}
