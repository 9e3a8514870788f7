//! `decide` never allocates, with or without an embedded graph; `evaluate`
//! does (a sanity check that the counter counts), and `evaluate_with` with
//! a reused buffer allocates only for trace details.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::BTreeSet;
use std::hint::black_box;

use allocation_counter::measure;
use chrono::{DateTime, Duration, TimeZone, Utc};
use entitle_core::graph::{Context, DecisionGraph, GraphBuilder, Timed};

use super::account::{Account, Region, Tier, Usage, Verdict, usage};

/// The billing part: paid? → expiring? (time-aware, with a detail) → usage?
fn add_billing(g: &mut GraphBuilder<Account, Verdict>) {
    g.question("paid", "Is the plan paid?", |a: &Account, _| a.paid)
        .yes("expiring")
        .no("sales");
    g.timed_question(
        "expiring",
        "Does it expire within 7 days?",
        |a: &Account, cx, _| {
            let from = a.expires - Duration::days(7);
            Timed::new(cx.now >= from, (cx.now < from).then_some(from))
        },
    )
    .detail(|a: &Account, _| format!("expires {}", a.expires))
    .yes("renew")
    .no("usage");
    g.question(
        "usage",
        "How much of the plan is used?",
        |a: &Account, _| usage(a),
    )
    .on(Usage::Low, "allow")
    .on(Usage::Mid, "allow")
    .on(Usage::High, "upsell");
    g.outcome("sales", "Sales", Verdict::Sales)
        .outcome("renew", "Renew", Verdict::Renew)
        .outcome("upsell", "Upsell", Verdict::Upsell)
        .outcome("allow", "Allow", Verdict::Allow);
}

/// The top: flagged? → tier? → (free) over limit? / (pro) billing /
/// (enterprise) region? Billing is either inline or an embedded graph.
fn graph(embed: Option<&DecisionGraph<Account, Verdict>>) -> DecisionGraph<Account, Verdict> {
    let mut g = GraphBuilder::new("account");
    g.question("flagged", "Is the account flagged?", |a: &Account, _| {
        a.flagged
    })
    .yes("review")
    .no("tier");
    g.question("tier", "Which tier?", |a: &Account, _| a.tier)
        .on(Tier::Free, "over-limit")
        .on(Tier::Pro, if embed.is_some() { "billing" } else { "paid" })
        .on(Tier::Enterprise, "region");
    g.question("over-limit", "More users than seats?", |a: &Account, _| {
        a.used > a.seats
    })
    .yes("block")
    .no("allow-free");
    g.question("region", "Where is the customer?", |a: &Account, _| {
        a.region
    })
    .on(Region::Eu, "allow-enterprise")
    .on(Region::Us, "allow-enterprise")
    .on(Region::Other, "review");
    g.outcome("review", "Review", Verdict::Review)
        .outcome("block", "Block", Verdict::Block)
        .outcome("allow-free", "Allow", Verdict::Allow)
        .outcome("allow-enterprise", "Allow", Verdict::Allow);
    match embed {
        Some(billing) => {
            g.subgraph("billing", "Billing", billing, |a| a, |v| *v);
        }
        None => add_billing(&mut g),
    }
    g.build().unwrap()
}

/// The same graph as `graph(None)`, declared with `decision_graph!`.
fn declared() -> DecisionGraph<Account, Verdict> {
    entitle_core::decision_graph! {
        name: "account",
        facts: Account,
        outcome: Verdict,
        questions {
            flagged "flagged": question("Is the account flagged?", |a: &Account, _| a.flagged) {
                true => review,
                false => tier,
            }
            tier "tier": question("Which tier?", |a: &Account, _| a.tier) {
                Tier::Free => over_limit,
                Tier::Pro => paid,
                Tier::Enterprise => region,
            }
            over_limit "over-limit": question("More users than seats?", |a: &Account, _| a.used > a.seats) {
                true => block,
                false => allow_free,
            }
            region "region": question("Where is the customer?", |a: &Account, _| a.region) {
                Region::Eu => allow_enterprise,
                Region::Us => allow_enterprise,
                Region::Other => review,
            }
            paid "paid": question("Is the plan paid?", |a: &Account, _| a.paid) {
                true => expiring,
                false => sales,
            }
            expiring "expiring": timed_question("Does it expire within 7 days?", |a: &Account, cx, _| {
                let from = a.expires - Duration::days(7);
                Timed::new(cx.now >= from, (cx.now < from).then_some(from))
            })
            .detail(|a: &Account, _| format!("expires {}", a.expires))
            {
                true => renew,
                false => usage,
            }
            usage "usage": question("How much of the plan is used?", |a: &Account, _| usage(a)) {
                Usage::Low => allow,
                Usage::Mid => allow,
                Usage::High => upsell,
            }
        }
        outcomes {
            review "review": "Review" => Verdict::Review,
            block "block": "Block" => Verdict::Block,
            allow_free "allow-free": "Allow" => Verdict::Allow,
            allow_enterprise "allow-enterprise": "Allow" => Verdict::Allow,
            sales "sales": "Sales" => Verdict::Sales,
            renew "renew": "Renew" => Verdict::Renew,
            upsell "upsell": "Upsell" => Verdict::Upsell,
            allow "allow": "Allow" => Verdict::Allow,
        }
    }
    .unwrap()
}

fn billing() -> DecisionGraph<Account, Verdict> {
    let mut g = GraphBuilder::new("billing");
    add_billing(&mut g);
    g.build().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// Accounts covering every path.
fn accounts() -> Vec<Account> {
    let mut out = Vec::new();
    let mut x: u32 = 0x9e37_79b9;
    for _ in 0..256 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(Account {
            flagged: x % 11 == 0,
            tier: [Tier::Free, Tier::Pro, Tier::Enterprise][(x % 3) as usize],
            seats: 10,
            used: (x >> 4) % 14,
            paid: (x >> 8) % 4 != 0,
            expires: now() + Duration::days(i64::from((x >> 12) % 20)),
            region: [Region::Eu, Region::Us, Region::Other][((x >> 16) % 3) as usize],
        });
    }
    out
}

fn assert_decide_does_not_allocate(graph: &DecisionGraph<Account, Verdict>) {
    let accounts = accounts();
    let cx = Context::new(now(), &());
    // Outside the measurement: the accounts reach every outcome, including
    // the ones behind the question with a detail and a `changes_at`.
    let seen: BTreeSet<Verdict> = accounts
        .iter()
        .map(|a| *graph.decide(a, &cx).unwrap())
        .collect();
    assert_eq!(seen.len(), 6, "{seen:?}");

    let info = measure(|| {
        for _ in 0..50 {
            for a in &accounts {
                black_box(graph.decide(black_box(a), black_box(&cx)).unwrap());
            }
        }
    });
    assert_eq!(info.count_total, 0, "{info:?}");
    assert_eq!(info.bytes_total, 0, "{info:?}");
}

#[test]
fn decide_does_not_allocate() {
    let graph = graph(None);
    assert_eq!(graph.petgraph().node_count(), 7 + 8);
    assert_decide_does_not_allocate(&graph);
}

#[test]
fn decide_through_generated_code_does_not_allocate() {
    let graph = declared();
    assert!(graph.has_generated());
    assert_eq!(graph.petgraph().node_count(), 7 + 8);
    assert_decide_does_not_allocate(&graph);
}

#[test]
fn decide_through_a_subgraph_does_not_allocate() {
    let billing = billing();
    let graph = graph(Some(&billing));
    assert!(
        graph
            .petgraph()
            .node_weights()
            .any(|n| n.id == "billing/usage")
    );
    assert_decide_does_not_allocate(&graph);
}

#[test]
fn evaluate_allocates() {
    let graph = graph(None);
    let cx = Context::new(now(), &());
    let a = &accounts()[0];
    let info = measure(|| {
        black_box(graph.evaluate(black_box(a), &cx).unwrap());
    });
    // At least the trace.
    assert!(info.count_total >= 1, "{info:?}");
}

#[test]
fn evaluate_with_a_reused_buffer_allocates_only_for_details() {
    let billing = billing();
    for graph in [graph(None), graph(Some(&billing)), declared()] {
        let cx = Context::new(now(), &());
        let accounts = accounts();
        let (with_detail, without): (Vec<_>, Vec<_>) = accounts.iter().partition(|a| {
            let d = graph.evaluate(a, &cx).unwrap();
            d.trace.iter().any(|s| s.detail.is_some())
        });
        assert!(!with_detail.is_empty() && !without.is_empty());

        let mut trace = Vec::with_capacity(graph.depth());
        let info = measure(|| {
            for a in &without {
                let d = graph
                    .evaluate_with(a, &cx, std::mem::take(&mut trace))
                    .unwrap();
                trace = black_box(d).trace;
            }
        });
        assert_eq!(info.count_total, 0, "{info:?}");

        let info = measure(|| {
            for a in &with_detail {
                let d = graph
                    .evaluate_with(a, &cx, std::mem::take(&mut trace))
                    .unwrap();
                trace = black_box(d).trace;
            }
        });
        assert!(info.count_total >= with_detail.len() as u64, "{info:?}");
    }
}
