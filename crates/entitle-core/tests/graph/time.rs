//! Time-aware questions and `stable_until`: exact boundaries, the minimum
//! over the path's questions only, and a property that `stable_until` is
//! honest.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc, Weekday};
use entitle_core::graph::{Context, Decision, DecisionGraph, GraphBuilder, Timed};
use proptest::prelude::*;

struct License {
    paid: bool,
    trial: bool,
    deadline: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Renew,
    Wait,
    Remind,
    Monday,
    Call,
    Sales,
}

fn is_weekend(t: DateTime<Utc>) -> bool {
    matches!(t.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The next midnight (UTC) at which `is_weekend` flips.
fn weekend_flips_at(t: DateTime<Utc>) -> DateTime<Utc> {
    let midnight = t.date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let days = match t.weekday() {
        Weekday::Sat => 2,
        Weekday::Sun => 1,
        weekday => 5 - i64::from(weekday.num_days_from_monday()),
    };
    midnight + Duration::days(days)
}

/// ```text
/// paid? ─yes─> expired? ─yes─> renew
///   │            └─no──> more than 24 h left? ─yes─> wait
///   │                                         └─no──> remind
///   └─no──> trial? ─yes─> weekend? ─yes─> monday
///             │                   └─no──> call
///             └─no──> sales
/// ```
fn graph() -> DecisionGraph<License, Action> {
    let mut g = GraphBuilder::new("renewal-timing");
    g.question("paid", "Is the license paid?", |l: &License, _| l.paid)
        .yes("expired")
        .no("trial");
    g.timed_question(
        "expired",
        "Has the license expired?",
        |l: &License, cx, _| {
            let expired = cx.now >= l.deadline;
            Timed::new(expired, (!expired).then_some(l.deadline))
        },
    )
    .yes("renew")
    .no("more-than-a-day");
    g.timed_question(
        "more-than-a-day",
        "Are more than 24 h left?",
        |l: &License, cx, _| {
            let last = l.deadline - Duration::hours(24);
            Timed::new(
                l.deadline - cx.now > Duration::hours(24),
                (cx.now < last).then_some(last),
            )
        },
    )
    .yes("wait")
    .no("remind");
    g.question("trial", "Is it a trial?", |l: &License, _| l.trial)
        .yes("weekend")
        .no("sales");
    g.timed_question("weekend", "Is it the weekend?", |_: &License, cx, _| {
        Timed::new(is_weekend(cx.now), Some(weekend_flips_at(cx.now)))
    })
    .yes("monday")
    .no("call");
    g.outcome("renew", "Renew", Action::Renew)
        .outcome("wait", "Wait", Action::Wait)
        .outcome("remind", "Remind", Action::Remind)
        .outcome("monday", "Call on Monday", Action::Monday)
        .outcome("call", "Call now", Action::Call)
        .outcome("sales", "Hand over to Sales", Action::Sales);
    g.build().unwrap()
}

/// Friday 2026-11-20 12:00 UTC.
fn friday_noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap()
}

fn deadline() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap()
}

fn sec(n: i64) -> Duration {
    Duration::seconds(n)
}

fn paid() -> License {
    License {
        paid: true,
        trial: false,
        deadline: deadline(),
    }
}

fn trial() -> License {
    License {
        paid: false,
        trial: true,
        deadline: deadline(),
    }
}

fn at<'g>(
    graph: &'g DecisionGraph<License, Action>,
    l: &License,
    now: DateTime<Utc>,
) -> Decision<'g, Action> {
    let decision = graph.evaluate(l, &Context::new(now, &())).unwrap();
    assert_eq!(
        graph.decide(l, &Context::new(now, &())).unwrap(),
        decision.outcome
    );
    decision
}

#[test]
fn expiry_boundary() {
    let g = graph();
    let l = paid();
    let d = at(&g, &l, deadline() - sec(1));
    assert_eq!(*d.outcome, Action::Remind);
    // Expiry is the only question on the path that will still change.
    assert_eq!(d.stable_until, Some(deadline()));
    assert_eq!(d.trace[1].changes_at, Some(deadline()));
    assert_eq!(d.trace[2].changes_at, None);

    for now in [deadline(), deadline() + sec(1)] {
        let d = at(&g, &l, now);
        assert_eq!(*d.outcome, Action::Renew, "at {now}");
        // Expired is final: nothing on the path will change.
        assert_eq!(d.stable_until, None, "at {now}");
    }
}

#[test]
fn more_than_a_day_is_strict() {
    let g = graph();
    let l = paid();
    let last = deadline() - Duration::hours(24);

    // 24 h + 1 s left: more than a day, for one more second.
    let d = at(&g, &l, last - sec(1));
    assert_eq!(*d.outcome, Action::Wait);
    assert_eq!(d.stable_until, Some(last));

    // Exactly 24 h left is not more than 24 h.
    let d = at(&g, &l, last);
    assert_eq!(*d.outcome, Action::Remind);
    assert_eq!(d.stable_until, Some(deadline()));

    let d = at(&g, &l, last + sec(1));
    assert_eq!(*d.outcome, Action::Remind);
    assert_eq!(d.stable_until, Some(deadline()));
}

#[test]
fn stable_until_is_the_minimum_over_the_path() {
    let g = graph();
    let l = paid();
    // Friday noon: both `expired` (at the deadline) and `more-than-a-day`
    // (24 h before it) are on the path; the earlier one wins.
    let d = at(&g, &l, friday_noon());
    assert_eq!(*d.outcome, Action::Wait);
    let changes: Vec<_> = d.trace.iter().map(|s| s.changes_at).collect();
    assert_eq!(
        changes,
        vec![
            None,
            Some(deadline()),
            Some(deadline() - Duration::hours(24))
        ]
    );
    assert_eq!(d.stable_until, Some(deadline() - Duration::hours(24)));
}

#[test]
fn a_time_aware_question_off_the_path_does_not_count() {
    let g = graph();
    // The weekend question would change at Saturday 00:00, 12 h from now,
    // earlier than anything on the paid path, but it is not on that path.
    let saturday = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
    assert_eq!(weekend_flips_at(friday_noon()), saturday);
    let d = at(&g, &paid(), friday_noon());
    assert!(d.trace.iter().all(|s| s.node != "weekend"));
    assert_eq!(d.stable_until, Some(deadline() - Duration::hours(24)));

    // On the trial path it is the only time-aware question.
    let d = at(&g, &trial(), friday_noon());
    assert_eq!(*d.outcome, Action::Call);
    assert_eq!(d.stable_until, Some(saturday));
}

#[test]
fn no_time_aware_question_on_the_path_means_none() {
    let g = graph();
    let l = License {
        paid: false,
        trial: false,
        deadline: deadline(),
    };
    let d = at(&g, &l, friday_noon());
    assert_eq!(*d.outcome, Action::Sales);
    assert!(d.trace.iter().all(|s| s.changes_at.is_none()));
    assert_eq!(d.stable_until, None);
}

#[test]
fn weekend_boundaries() {
    let g = graph();
    let l = trial();
    let saturday = Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap();
    let monday = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
    let next_saturday = Utc.with_ymd_and_hms(2026, 11, 28, 0, 0, 0).unwrap();
    let cases = [
        (saturday - sec(1), Action::Call, saturday),
        (saturday, Action::Monday, monday),
        (saturday + sec(1), Action::Monday, monday),
        (monday - sec(1), Action::Monday, monday),
        (monday, Action::Call, next_saturday),
        (monday + sec(1), Action::Call, next_saturday),
    ];
    for (now, outcome, until) in cases {
        let d = at(&g, &l, now);
        assert_eq!(
            (*d.outcome, d.stable_until),
            (outcome, Some(until)),
            "at {now}"
        );
    }
}

/// The path a decision took: every (node, answer) and the outcome node.
fn path(d: &Decision<'_, Action>) -> (Vec<(String, String)>, String) {
    (
        d.trace
            .iter()
            .map(|s| (s.node.to_owned(), s.answer.to_owned()))
            .collect(),
        d.outcome_node.to_owned(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `stable_until` is honest: the same path at every instant in
    /// `[now, stable_until)`, another path at `stable_until`; and with no
    /// `stable_until`, the same path at any later instant.
    #[test]
    fn stable_until_is_honest(
        paid in any::<bool>(),
        trial in any::<bool>(),
        // Deadline and now within three weeks of a Friday, in whole seconds
        // and, half of the time, right at a day boundary.
        deadline_s in 0i64..21 * 86_400,
        now_s in 0i64..21 * 86_400,
        round in any::<bool>(),
        samples in prop::collection::vec(0.0f64..1.0, 8),
        later in prop::collection::vec(1i64..60 * 86_400, 8),
    ) {
        let g = graph();
        let base = friday_noon();
        let snap = |s: i64| if round { s - s % 86_400 } else { s };
        let l = License { paid, trial, deadline: base + sec(snap(deadline_s)) };
        let now = base + sec(now_s);
        let d = at(&g, &l, now);
        // The traced closures and the table walk agree, details included.
        let walked = g.evaluate_walk(&l, &Context::new(now, &()), Vec::new()).unwrap();
        prop_assert_eq!(&d, &walked);
        let here = path(&d);
        match d.stable_until {
            Some(until) => {
                prop_assert!(until > now, "stable_until {} is not after now {}", until, now);
                let span = (until - now).num_seconds();
                prop_assert!(span >= 1);
                let mut instants = vec![now, until - sec(1)];
                instants.extend(samples.iter().map(|f| now + sec((f * span as f64) as i64)));
                for t in instants {
                    prop_assert!(t < until);
                    prop_assert_eq!(&path(&at(&g, &l, t)), &here, "at {}", t);
                }
                prop_assert_ne!(&path(&at(&g, &l, until)), &here, "at stable_until {}", until);
            }
            None => {
                for s in later {
                    let t = now + sec(s);
                    prop_assert_eq!(&path(&at(&g, &l, t)), &here, "at {}", t);
                }
            }
        }
    }
}
