//! Graphs declared with `decision_graph!`: the generated function `decide`
//! runs agrees with the table walk and with the closure path over random
//! facts and instants, the graph is the one the same builder calls build
//! (same trace, details and `stable_until` from `evaluate`), and `build()`
//! refuses generated code whose structure is not the graph's.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use entitle_core::graph::__generated::Tracer;
use entitle_core::graph::{
    Context, DecisionGraph, EvalError, GeneratedCode, GraphBuilder, GraphIssue, Timed,
};
use proptest::prelude::*;

use super::account::{Account, Region, Tier, Usage, Verdict, usage};
use super::sneaky::Sneaky;

/// The configuration the time-aware question reads.
struct Limits {
    /// How long before expiry the renewal reminder starts.
    renew_days: i64,
}

/// Is the renewal window open at `now`, and when does that change?
fn renewal_window(a: &Account, cx: &Context<'_, Limits>) -> Timed<bool> {
    let opens = a.expires - Duration::days(cx.config.renew_days);
    if cx.now < opens {
        Timed::new(false, Some(opens))
    } else {
        Timed::forever(true)
    }
}

/// The same logic as a person would write it.
fn handwritten(a: &Account, cx: &Context<'_, Limits>) -> Verdict {
    if a.flagged {
        return Verdict::Review;
    }
    match a.tier {
        Tier::Free if a.used > a.seats => Verdict::Block,
        Tier::Free => Verdict::Allow,
        Tier::Pro if !a.paid => Verdict::Sales,
        Tier::Pro if renewal_window(a, cx).value => Verdict::Renew,
        Tier::Pro => match usage(a) {
            Usage::High => Verdict::Upsell,
            Usage::Low | Usage::Mid => Verdict::Allow,
        },
        Tier::Enterprise => match a.region {
            Region::Other => Verdict::Review,
            Region::Eu | Region::Us => Verdict::Allow,
        },
    }
}

/// The graph, declared once: builder calls and generated function.
fn declared() -> DecisionGraph<Account, Verdict, Limits> {
    entitle_core::decision_graph! {
        name: "seats",
        facts: Account,
        outcome: Verdict,
        config: Limits,
        questions {
            flagged "flagged": question("Is the account flagged?", |a: &Account, _| a.flagged) {
                true => review,
                false => tier,
            }
            tier "tier": question("Which plan?", |a: &Account, _| a.tier)
            .detail(|a, _| format!("{} seats", a.seats))
            {
                Tier::Free => over_limit,
                Tier::Pro => paid,
                Tier::Enterprise => region,
            }
            over_limit "over-limit": question("More users than seats?", |a: &Account, _| a.used > a.seats) {
                true => block,
                false => allow,
            }
            paid "paid": question("Is the invoice paid?", |a: &Account, _| a.paid) {
                true => expiring,
                false => sales,
            }
            expiring "expiring": timed_question(
                "Is the renewal window open?",
                |a: &Account, cx, _want| renewal_window(a, cx),
            )
            .detail_with(|a, _, answer| format!("expires {}, open: {}, until {:?}", a.expires, answer.value, answer.until))
            {
                true => renew,
                false => usage,
            }
            usage "usage": question("How many seats are used?", |a: &Account, _| usage(a)) {
                Usage::Low => allow,
                Usage::Mid => allow,
                Usage::High => upsell,
            }
            region "region": question("Where is the customer?", |a: &Account, _| a.region) {
                Region::Eu => allow,
                Region::Us => allow,
                Region::Other => review,
            }
        }
        outcomes {
            review "review": "A person reviews it" => Verdict::Review,
            block "block": "Block new seats" => Verdict::Block,
            allow "allow": "Nothing to do" => Verdict::Allow,
            sales "sales": "Hand over to Sales" => Verdict::Sales,
            renew "renew": "Ask for renewal" => Verdict::Renew,
            upsell "upsell": "Offer more seats" => Verdict::Upsell,
        }
    }
    .unwrap()
}

/// The same graph through the builder alone (nodes in the same order).
fn built() -> DecisionGraph<Account, Verdict, Limits> {
    let mut g = GraphBuilder::new("seats");
    g.question("flagged", "Is the account flagged?", |a: &Account, _| {
        a.flagged
    })
    .yes("review")
    .no("tier");
    g.question("tier", "Which plan?", |a: &Account, _| a.tier)
        .detail(|a, _| format!("{} seats", a.seats))
        .on(Tier::Free, "over-limit")
        .on(Tier::Pro, "paid")
        .on(Tier::Enterprise, "region");
    g.question("over-limit", "More users than seats?", |a: &Account, _| {
        a.used > a.seats
    })
    .yes("block")
    .no("allow");
    g.question("paid", "Is the invoice paid?", |a: &Account, _| a.paid)
        .yes("expiring")
        .no("sales");
    g.timed_question(
        "expiring",
        "Is the renewal window open?",
        |a: &Account, cx, _want| renewal_window(a, cx),
    )
    .detail_with(|a, _, answer| {
        format!(
            "expires {}, open: {}, until {:?}",
            a.expires, answer.value, answer.until
        )
    })
    .yes("renew")
    .no("usage");
    g.question("usage", "How many seats are used?", |a: &Account, _| {
        usage(a)
    })
    .on(Usage::Low, "allow")
    .on(Usage::Mid, "allow")
    .on(Usage::High, "upsell");
    g.question("region", "Where is the customer?", |a: &Account, _| {
        a.region
    })
    .on(Region::Eu, "allow")
    .on(Region::Us, "allow")
    .on(Region::Other, "review");
    g.outcome("review", "A person reviews it", Verdict::Review)
        .outcome("block", "Block new seats", Verdict::Block)
        .outcome("allow", "Nothing to do", Verdict::Allow)
        .outcome("sales", "Hand over to Sales", Verdict::Sales)
        .outcome("renew", "Ask for renewal", Verdict::Renew)
        .outcome("upsell", "Offer more seats", Verdict::Upsell);
    g.build().unwrap()
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

fn account_strategy() -> impl Strategy<Value = Account> {
    (
        any::<bool>(),
        0..3usize,
        1..50u32,
        0..70u32,
        any::<bool>(),
        0..60 * 24 * 60i64,
        0..3usize,
    )
        .prop_map(
            |(flagged, tier, seats, used, paid, minutes, region)| Account {
                flagged,
                tier: [Tier::Free, Tier::Pro, Tier::Enterprise][tier % 3],
                seats,
                used,
                paid,
                expires: base() + Duration::minutes(minutes),
                region: [Region::Eu, Region::Us, Region::Other][region % 3],
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The generated function, the table walk, the closure path, the
    /// builder twin and the hand-written logic decide alike, and the
    /// declared graph evaluates exactly as its builder twin (trace, details,
    /// `stable_until`).
    #[test]
    fn generated_code_agrees_with_the_walk_and_the_closures(
        accounts in proptest::collection::vec(account_strategy(), 1..32),
        minutes in 0..60 * 24 * 60i64,
        renew_days in 0..30i64,
    ) {
        let (declared, built) = (declared(), built());
        prop_assert!(declared.has_generated());
        prop_assert!(!built.has_generated());
        let limits = Limits { renew_days };
        let cx = Context::new(base() + Duration::minutes(minutes), &limits);
        for a in &accounts {
            let expected = handwritten(a, &cx);
            prop_assert_eq!(declared.decide(a, &cx), Ok(&expected));
            prop_assert_eq!(declared.decide_walk(a, &cx), Ok(&expected));
            prop_assert_eq!(declared.decide_closures(a, &cx), Ok(&expected));
            prop_assert_eq!(built.decide(a, &cx), Ok(&expected));
            let evaluated = declared.evaluate(a, &cx).unwrap();
            prop_assert_eq!(*evaluated.outcome, expected);
            prop_assert_eq!(&evaluated, &built.evaluate(a, &cx).unwrap());
            prop_assert_eq!(&evaluated, &declared.evaluate_walk(a, &cx, Vec::new()).unwrap());
        }
    }
}

#[test]
fn the_declared_graph_is_the_builder_graph() {
    let (declared, built) = (declared(), built());
    assert_eq!(declared.petgraph().node_count(), 13);
    assert_eq!(declared.to_mermaid(), built.to_mermaid());
    assert_eq!(declared.to_dot(), built.to_dot());
    assert_eq!(declared.paths(), built.paths());
    assert_eq!(declared.root_id(), "flagged");
    let outcomes: Vec<&str> = declared.outcomes().map(|(id, _)| id).collect();
    assert_eq!(
        outcomes,
        ["review", "block", "allow", "sales", "renew", "upsell"]
    );
}

#[test]
fn a_timed_question_reports_its_change_instant_and_detail() {
    let graph = declared();
    let limits = Limits { renew_days: 7 };
    let now = base();
    let expires = now + Duration::days(10);
    let account = Account {
        flagged: false,
        tier: Tier::Pro,
        seats: 10,
        used: 2,
        paid: true,
        expires,
        region: Region::Eu,
    };
    let cx = Context::new(now, &limits);
    let d = graph.evaluate(&account, &cx).unwrap();
    assert_eq!(*d.outcome, Verdict::Allow);
    assert_eq!(d.stable_until, Some(expires - Duration::days(7)));
    assert_eq!(d.trace[1].detail.as_deref(), Some("10 seats"));
    assert_eq!(
        d.trace[3].detail.as_deref(),
        Some("expires 2026-11-11 00:00:00 UTC, open: false, until Some(2026-11-04T00:00:00Z)")
    );
    let later = Context::new(expires - Duration::days(7), &limits);
    assert_eq!(graph.decide(&account, &later), Ok(&Verdict::Renew));
}

/// A `bool` graph of two questions, for the structure checks.
fn two_questions(code: GeneratedCode<u8, ()>) -> Result<DecisionGraph<u8, u8>, GraphIssue> {
    let mut g = GraphBuilder::<u8, u8>::new("g");
    g.question("q", "Big?", |f: &u8, _| *f > 1).yes("r").no("a");
    g.question("r", "Huge?", |f: &u8, _| *f > 2)
        .yes("b")
        .no("a");
    g.outcome("a", "A", 0).outcome("b", "B", 1);
    g.generated(code);
    g.build().map_err(|mut e| e.issues.remove(0))
}

fn generated_q(f: &u8, _: &Context<'_, ()>) -> u32 {
    match (*f > 1, *f > 2) {
        (true, true) => 1,
        _ => 0,
    }
}

fn traced_q(f: &u8, cx: &Context<'_, ()>, tracer: &mut Tracer<'_, '_, u8, ()>) -> u32 {
    tracer.question(0, usize::from(*f <= 1), None, f, cx);
    if *f > 1 {
        tracer.question(1, usize::from(*f <= 2), None, f, cx);
    }
    generated_q(f, cx)
}

fn edges() -> Vec<(&'static str, usize, &'static str)> {
    vec![("q", 0, "r"), ("q", 1, "a"), ("r", 0, "b"), ("r", 1, "a")]
}

/// Hand-written generated code for `two_questions`, declaring `root`,
/// `outcomes` and `edges`.
fn code(
    root: &'static str,
    outcomes: Vec<&'static str>,
    edges: Vec<(&'static str, usize, &'static str)>,
) -> GeneratedCode<u8, ()> {
    GeneratedCode::new(
        generated_q,
        traced_q,
        vec!["q", "r", "a", "b"],
        root,
        outcomes,
        edges,
    )
}

#[test]
fn build_accepts_generated_code_of_the_same_structure() {
    let graph = two_questions(code("q", vec!["a", "b"], edges())).unwrap();
    let cx = Context::new(DateTime::UNIX_EPOCH, &());
    assert!(graph.has_generated());
    for f in 0..5u8 {
        assert_eq!(graph.decide(&f, &cx), graph.decide_walk(&f, &cx));
        assert_eq!(
            graph.evaluate(&f, &cx).unwrap(),
            graph.evaluate_walk(&f, &cx, Vec::new()).unwrap()
        );
    }
}

#[test]
fn build_refuses_generated_code_of_another_structure() {
    let refused = |code| match two_questions(code) {
        Err(GraphIssue::GeneratedMismatch { what }) => what,
        other => panic!("expected a mismatch, got {other:?}"),
    };
    assert_eq!(
        refused(GeneratedCode::new(
            generated_q,
            traced_q,
            vec!["q", "r", "b", "a"],
            "q",
            vec!["a", "b"],
            edges(),
        )),
        r#"its nodes are ["q", "r", "b", "a"], the graph's are ["q", "r", "a", "b"]"#
    );
    assert_eq!(
        refused(code("r", vec!["a", "b"], edges())),
        "its root is `r`, the graph's is `q`"
    );
    assert_eq!(
        refused(code("q", vec!["b", "a"], edges())),
        r#"its outcomes are ["b", "a"], the graph's are ["a", "b"]"#
    );
    let mut missing = edges();
    missing.pop();
    assert_eq!(
        refused(code("q", vec!["a", "b"], missing)),
        "the graph's edge `r` -[1]-> `a` is not in it"
    );
    let mut swapped = edges();
    swapped[3] = ("r", 1, "b");
    assert_eq!(
        refused(code("q", vec!["a", "b"], swapped)),
        "the graph's edge `r` -[1]-> `a` is not in it"
    );
    let mut extra = edges();
    extra.push(("r", 2, "a"));
    assert_eq!(
        refused(code("q", vec!["a", "b"], extra)),
        "its edge `r` -[2]-> `a` is not in the graph"
    );
}

#[test]
fn an_invalid_declaration_is_a_build_error() {
    // `b` is declared but no edge leads to it.
    let err = entitle_core::decision_graph! {
        name: "g",
        facts: u8,
        outcome: u8,
        questions {
            q "q": question("Big?", |f: &u8, _| *f > 1) {
                true => a,
                false => a,
            }
        }
        outcomes {
            a "a": "A" => 0,
            b "b": "B" => 1,
        }
    }
    .unwrap_err();
    assert_eq!(
        err.issues,
        vec![GraphIssue::Unreachable {
            node: "b".to_owned(),
            root: "q".to_owned(),
        }]
    );
}

#[test]
fn an_answer_outside_its_type_is_an_error_from_generated_code_too() {
    let graph = entitle_core::decision_graph! {
        name: "sneaky",
        facts: u8,
        outcome: u8,
        questions {
            q "q": question("Which?", |f: &u8, _| match f {
                0 => Sneaky::Listed,
                1 => Sneaky::AlsoListed,
                _ => Sneaky::Unlisted,
            }) {
                Sneaky::Listed => a,
                Sneaky::AlsoListed => b,
            }
        }
        outcomes {
            a "a": "A" => 0,
            b "b": "B" => 1,
        }
    }
    .unwrap();
    let cx = Context::new(DateTime::UNIX_EPOCH, &());
    assert_eq!(graph.decide(&1, &cx), Ok(&1));
    let expected = EvalError::AnswerOutOfRange {
        node: "q".to_owned(),
        index: 2,
        count: 2,
    };
    assert_eq!(graph.decide(&2, &cx), Err(expected.clone()));
    assert_eq!(graph.decide_walk(&2, &cx), Err(expected.clone()));
    assert_eq!(graph.evaluate(&2, &cx), Err(expected.clone()));
    assert_eq!(graph.evaluate_walk(&2, &cx, Vec::new()), Err(expected));
    let d = graph.evaluate(&1, &cx).unwrap();
    assert_eq!((d.trace.len(), d.trace[0].answer), (1, "also-listed"));
}
