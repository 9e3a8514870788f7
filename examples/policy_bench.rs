//! How fast does each policy decide, and how much slower are the two
//! time-dependent policies the engine runs most (weekend-emergency and
//! license-status) than the same logic written by hand over the same typed
//! facts, with chrono-tz, in UTC and in America/New_York?
//!
//! Run with `cargo run --release --example policy_bench`.
//!
//! For every policy: `decide` and `evaluate` (trace with details and
//! `stable_until`) ns/decision over its worked examples, a fresh context per
//! decision as a caller makes. Then, for weekend-emergency and
//! license-status, 16 384 pseudo-random fact sets, each with its own `now`
//! in a four-week window (so weekdays and weekends, and every license state,
//! mix), decided by the hand-written code, `decide` and `evaluate` in the
//! same rounds. The last line is
//! `policies weekend_decide_ratio_utc=.. weekend_decide_ratio_ny=.. status_decide_ratio_utc=.. status_decide_ratio_ny=.. weekend_evaluate_ns_utc=..`
//! (ratio = entitle / hand-written).
#![expect(
    clippy::indexing_slicing,
    reason = "an example on its own fixed inputs: a panic is a broken example, reported at once"
)]

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use entitle::config::PolicyConfig;
use entitle::domain::{Customer, CustomerStatus, License, Plan};
use entitle::graph::Context;
use entitle::input::InputError;
use entitle::policies::{
    EmergencyScreenshots, LicenseStatus, LicenseStatusFacts, LicenseStatusOutcome,
    WeekendEmergency, WeekendEmergencyFacts, WeekendEmergencyOutcome,
};
use entitle::policy::{PolicyGraph, PolicyVisitor, Registered};

/// Random fact sets per policy compared with hand-written code.
const N: usize = 16_384;
/// Rounds; the best is kept.
const ROUNDS: usize = 11;

/// Nanoseconds per decision of `reps` passes of `pass`, each making `n`.
fn ns_per_decision(n: usize, reps: usize, pass: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        pass();
    }
    start.elapsed().as_nanos() as f64 / (n * reps) as f64
}

/// Best ns/decision of each pass over `ROUNDS` rounds; the passes take turns
/// within a round, so a busy moment of the machine weighs on all alike.
fn best_of<const K: usize>(n: usize, reps: [usize; K], passes: [&mut dyn FnMut(); K]) -> [f64; K] {
    let mut best = [f64::INFINITY; K];
    let mut passes = passes;
    for _ in 0..ROUNDS {
        for (k, pass) in passes.iter_mut().enumerate() {
            best[k] = best[k].min(ns_per_decision(n, reps[k], *pass));
        }
    }
    best
}

fn fail(what: String) -> ! {
    eprintln!("{what}");
    std::process::exit(1)
}

fn config_in(zone: Tz) -> PolicyConfig {
    PolicyConfig {
        timezone: zone,
        ..PolicyConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Every policy over its worked examples
// ---------------------------------------------------------------------------

/// `decide` and `evaluate` ns/decision of one policy's examples under `config`.
struct Examples<'c>(&'c PolicyConfig);

impl PolicyVisitor for Examples<'_> {
    type Output = (usize, f64, f64);
    fn visit<P: Registered>(self) -> (usize, f64, f64) {
        let graph = P::graph().unwrap_or_else(|e| fail(e.to_string()));
        let config = self.0;
        let examples = entitle::scenario::examples::<P>().unwrap_or_else(|e| fail(e.to_string()));
        let n = examples.len();
        let [decide, evaluate] = best_of(
            n,
            [4096, 512],
            [
                &mut || {
                    for e in &examples {
                        let cx = Context::new(e.now, config);
                        let _ = black_box(graph.decide(black_box(&e.facts), &cx));
                    }
                },
                &mut || {
                    for e in &examples {
                        let cx = Context::new(e.now, config);
                        let _ = black_box(graph.evaluate(black_box(&e.facts), &cx));
                    }
                },
            ],
        );
        (n, decide, evaluate)
    }
}

// ---------------------------------------------------------------------------
// The hand-written versions, over the same typed facts
// ---------------------------------------------------------------------------

/// Today in the support time zone, as a person would write it with chrono-tz.
fn today_in(now: DateTime<Utc>, config: &PolicyConfig) -> NaiveDate {
    now.with_timezone(&config.timezone).date_naive()
}

/// The end of grace (exclusive) and the last day of the emergency window.
fn grace_and_window(
    license: &License,
    config: &PolicyConfig,
) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let grace_end = if license.trial {
        Some(license.expires_on)
    } else {
        license
            .expires_on
            .checked_add_days(Days::new(u64::from(config.grace_period_days)))
    };
    let window_end = grace_end
        .and_then(|g| g.checked_add_days(Days::new(u64::from(config.emergency_window_days))));
    (grace_end, window_end)
}

/// weekend-emergency by hand (spec 3.2).
fn weekend_by_hand(
    f: &WeekendEmergencyFacts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> WeekendEmergencyOutcome {
    use WeekendEmergencyOutcome as O;
    let today = today_in(now, config);
    if !matches!(today.weekday(), Weekday::Sat | Weekday::Sun) {
        return O::UseWeekdayWorkflow;
    }
    match f.customer.status {
        CustomerStatus::Prospect => O::OutOfScopeProspect,
        CustomerStatus::Unpaid => O::OutOfScopeUnpaid,
        CustomerStatus::Paid => {
            let license = &f.license;
            let (grace_end, window_end) = grace_and_window(license, config);
            if today < license.starts_on || grace_end.is_none_or(|g| today < g) {
                O::NotLapsed
            } else if window_end.is_some_and(|last| today > last) {
                O::OutsideEmergencyWindow
            } else if f.screenshots.admin_dashboard
                && f.screenshots.license_page
                && f.screenshot_user_count.is_some_and(|u| u > 0)
            {
                O::GenerateTemporaryLicense
            } else {
                O::RequestScreenshots
            }
        }
    }
}

/// license-status by hand (spec 3.1).
fn status_by_hand(
    f: &LicenseStatusFacts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> LicenseStatusOutcome {
    use LicenseStatusOutcome as O;
    let today = today_in(now, config);
    let license = &f.license;
    if today < license.starts_on {
        return O::NotStarted;
    }
    if license.trial {
        return if today < license.expires_on {
            O::TrialActive
        } else {
            O::TrialExpired
        };
    }
    if today < license.expires_on {
        return O::Active;
    }
    let (grace_end, window_end) = grace_and_window(license, config);
    if grace_end.is_none_or(|g| today < g) {
        O::InGracePeriod
    } else if window_end.is_none_or(|last| today <= last) {
        O::GraceEndedRecently
    } else {
        O::Lapsed
    }
}

// ---------------------------------------------------------------------------
// Random facts
// ---------------------------------------------------------------------------

/// A xorshift64 PRNG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Monday 2026-11-16 00:00 UTC: the instants run over the four weeks after.
const WINDOW_START: i64 = 1_795_219_200;

/// A `now` in the four-week window, and a license whose dates lie around it.
fn instant_and_license(rng: &mut Rng) -> (DateTime<Utc>, License) {
    let secs = WINDOW_START + rng.below(28 * 86_400) as i64;
    let now = DateTime::from_timestamp(secs, 0).unwrap_or_default();
    let today = now.date_naive();
    let expires_on = today + TimeDelta::days(rng.below(50) as i64 - 30);
    let starts_on = if rng.below(8) == 0 {
        today + TimeDelta::days(1 + rng.below(5) as i64)
    } else {
        expires_on - TimeDelta::days(365)
    };
    let license = License {
        plan: Plan::Premium,
        trial: rng.below(6) == 0,
        starts_on,
        expires_on,
        users: 10 + rng.below(200) as u32,
    };
    (now, license)
}

fn weekend_facts(n: usize) -> Vec<(DateTime<Utc>, WeekendEmergencyFacts)> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..n)
        .map(|_| {
            let (now, license) = instant_and_license(&mut rng);
            let status = match rng.below(10) {
                0 => CustomerStatus::Prospect,
                1 => CustomerStatus::Unpaid,
                _ => CustomerStatus::Paid,
            };
            let facts = WeekendEmergencyFacts {
                customer: Customer { status },
                license,
                screenshots: EmergencyScreenshots {
                    admin_dashboard: rng.below(5) != 0,
                    license_page: rng.below(5) != 0,
                },
                screenshot_user_count: (rng.below(5) != 0).then(|| rng.below(300) as u32),
                requester_email: "ops@example.com"
                    .parse()
                    .unwrap_or_else(|e: InputError| fail(e.to_string())),
                ticket_url: "https://support.example.com/tickets/501234"
                    .parse()
                    .unwrap_or_else(|e: InputError| fail(e.to_string())),
            };
            (now, facts)
        })
        .collect()
}

fn status_facts(n: usize) -> Vec<(DateTime<Utc>, LicenseStatusFacts)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|_| {
            let (now, license) = instant_and_license(&mut rng);
            (now, LicenseStatusFacts { license })
        })
        .collect()
}

/// Hand-written, `decide` and `evaluate` ns/decision over `facts` under
/// `config`, after checking that all three agree on every fact set.
fn compare<F, O: Copy + PartialEq + std::fmt::Debug>(
    name: &str,
    graph: &PolicyGraph<F, O>,
    facts: &[(DateTime<Utc>, F)],
    config: &PolicyConfig,
    by_hand: fn(&F, DateTime<Utc>, &PolicyConfig) -> O,
) -> [f64; 3] {
    for (now, f) in facts {
        let cx = Context::new(*now, config);
        let expected = by_hand(f, *now, config);
        let decided = graph.decide(f, &cx).ok().copied();
        let evaluated = graph.evaluate(f, &cx).ok().map(|d| *d.outcome);
        if decided != Some(expected) || evaluated != Some(expected) {
            fail(format!(
                "{name} in {}: at {now} hand-written {expected:?}, decide {decided:?}, evaluate {evaluated:?}",
                config.timezone
            ));
        }
    }
    let n = facts.len();
    best_of(
        n,
        [16, 16, 2],
        [
            &mut || {
                for (now, f) in facts {
                    black_box(by_hand(black_box(f), *now, config));
                }
            },
            &mut || {
                for (now, f) in facts {
                    let cx = Context::new(*now, config);
                    let _ = black_box(graph.decide(black_box(f), &cx));
                }
            },
            &mut || {
                for (now, f) in facts {
                    let cx = Context::new(*now, config);
                    let _ = black_box(graph.evaluate(black_box(f), &cx));
                }
            },
        ],
    )
}

fn main() {
    let utc = config_in(Tz::UTC);
    let ny = config_in(Tz::America__New_York);

    println!("every policy over its worked examples, ns/decision (a fresh context per decision):");
    println!(
        "{:<28} {:>9} {:>10} {:>9} {:>10}",
        "policy", "decide", "evaluate", "decide", "evaluate"
    );
    println!("{:<28} {:>20} {:>20}", "", "UTC", "America/New_York");
    for policy in entitle::policies::POLICIES {
        let run = |config: &PolicyConfig| {
            entitle::policies::visit(policy.id, Examples(config))
                .unwrap_or_else(|e| fail(e.to_string()))
        };
        let (n, decide_utc, evaluate_utc) = run(&utc);
        let (_, decide_ny, evaluate_ny) = run(&ny);
        println!(
            "{:<28} {decide_utc:>9.1} {evaluate_utc:>10.1} {decide_ny:>9.1} {evaluate_ny:>10.1}  ({n} examples)",
            policy.id
        );
    }

    let weekend_graph = WeekendEmergency::graph().unwrap_or_else(|e| fail(e.to_string()));
    let status_graph = LicenseStatus::graph().unwrap_or_else(|e| fail(e.to_string()));
    let weekend = weekend_facts(N);
    let status = status_facts(N);

    println!();
    println!(
        "{N} random fact sets, each with its own now; hand-written = the same logic over the same typed facts with chrono-tz; ns/decision:"
    );
    let mut ratios = Vec::new();
    let mut weekend_evaluate_utc = 0.0;
    for (config, zone) in [(&utc, "utc"), (&ny, "ny")] {
        let [hand, decide, evaluate] = compare(
            "weekend-emergency",
            weekend_graph,
            &weekend,
            config,
            weekend_by_hand,
        );
        println!(
            "weekend-emergency  {:<17} hand-written {hand:7.1}  decide {decide:7.1}  evaluate {evaluate:7.1}  decide/hand {:.2}  evaluate/hand {:.1}",
            config.timezone.name(),
            decide / hand,
            evaluate / hand
        );
        if zone == "utc" {
            weekend_evaluate_utc = evaluate;
        }
        ratios.push(("weekend", zone, decide / hand));
    }
    for (config, zone) in [(&utc, "utc"), (&ny, "ny")] {
        let [hand, decide, evaluate] = compare(
            "license-status",
            status_graph,
            &status,
            config,
            status_by_hand,
        );
        println!(
            "license-status     {:<17} hand-written {hand:7.1}  decide {decide:7.1}  evaluate {evaluate:7.1}  decide/hand {:.2}  evaluate/hand {:.1}",
            config.timezone.name(),
            decide / hand,
            evaluate / hand
        );
        ratios.push(("status", zone, decide / hand));
    }
    let ratio = |policy: &str, zone: &str| {
        ratios
            .iter()
            .find(|(p, z, _)| *p == policy && *z == zone)
            .map_or(f64::NAN, |r| r.2)
    };
    println!(
        "policies weekend_decide_ratio_utc={:.2} weekend_decide_ratio_ny={:.2} status_decide_ratio_utc={:.2} status_decide_ratio_ny={:.2} weekend_evaluate_ns_utc={:.0}",
        ratio("weekend", "utc"),
        ratio("weekend", "ny"),
        ratio("status", "utc"),
        ratio("status", "ny"),
        weekend_evaluate_utc
    );
}
