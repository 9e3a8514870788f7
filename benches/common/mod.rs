//! The 7-question graph shared by `benches/engine.rs` and
//! `examples/bench_ratio.rs`, the same logic written by hand, and a tiny
//! PRNG for facts.
#![expect(
    clippy::indexing_slicing,
    reason = "benchmark code on its own fixed inputs: a panic is a broken benchmark, reported at once"
)]

use entitle::graph::{Answer as _, Context, DecisionGraph, GraphBuilder};

entitle::answers! {
    /// The customer's plan.
    pub enum Tier {
        /// No payment.
        Free => "free",
        /// Paid, self-serve.
        Pro => "pro",
        /// Paid, with a contract.
        Enterprise => "enterprise",
    }
}

entitle::answers! {
    /// Where the customer is.
    pub enum Region {
        /// European Union.
        Eu => "eu",
        /// United States.
        Us => "us",
        /// Anywhere else.
        Other => "other",
    }
}

entitle::answers! {
    /// How much of the plan's seats are used.
    pub enum Usage {
        /// Under half.
        Low => "low",
        /// Half to 90 %.
        Mid => "mid",
        /// 90 % or more.
        High => "high",
    }
}

/// What the decision is about.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// Flagged for review by abuse detection.
    pub flagged: bool,
    /// The plan.
    pub tier: Tier,
    /// Seats bought.
    pub seats: u32,
    /// Seats in use.
    pub used: u32,
    /// The invoice is paid.
    pub paid: bool,
    /// Days until the license expires.
    pub days_left: u32,
    /// Where the customer is.
    pub region: Region,
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A person looks at it.
    Review,
    /// Block new seats.
    Block,
    /// Nothing to do.
    Allow,
    /// Hand over to Sales.
    Sales,
    /// Ask for renewal.
    Renew,
    /// Offer more seats.
    Upsell,
}

/// Seat usage band.
pub fn usage(f: &Facts) -> Usage {
    match f.used * 100 / f.seats.max(1) {
        0..50 => Usage::Low,
        50..90 => Usage::Mid,
        _ => Usage::High,
    }
}

/// The logic as a person would write it.
pub fn handwritten(f: &Facts) -> Verdict {
    if f.flagged {
        return Verdict::Review;
    }
    match f.tier {
        Tier::Free => {
            if f.used > f.seats {
                Verdict::Block
            } else {
                Verdict::Allow
            }
        }
        Tier::Pro => {
            if !f.paid {
                Verdict::Sales
            } else if f.days_left < 7 {
                Verdict::Renew
            } else {
                match usage(f) {
                    Usage::Low | Usage::Mid => Verdict::Allow,
                    Usage::High => Verdict::Upsell,
                }
            }
        }
        Tier::Enterprise => match f.region {
            Region::Eu | Region::Us => Verdict::Allow,
            Region::Other => Verdict::Review,
        },
    }
}

/// The same logic as a decision graph of 7 questions, declared with
/// `decision_graph!`: `decide` runs the function generated from it.
pub fn graph() -> DecisionGraph<Facts, Verdict> {
    let graph = entitle::decision_graph! {
        name: "seats",
        facts: Facts,
        outcome: Verdict,
        questions {
            flagged "flagged": question("Is the account flagged?", |f: &Facts, _| f.flagged) {
                true => review,
                false => tier,
            }
            tier "tier": question("Which plan?", |f: &Facts, _| f.tier) {
                Tier::Free => over_limit,
                Tier::Pro => paid,
                Tier::Enterprise => region,
            }
            over_limit "over-limit": question("More users than seats?", |f: &Facts, _| f.used > f.seats) {
                true => block,
                false => allow,
            }
            paid "paid": question("Is the invoice paid?", |f: &Facts, _| f.paid) {
                true => expiring,
                false => sales,
            }
            expiring "expiring": question("Under 7 days left?", |f: &Facts, _| f.days_left < 7) {
                true => renew,
                false => usage,
            }
            usage "usage": question("How many seats are used?", |f: &Facts, _| usage(f)) {
                Usage::Low => allow,
                Usage::Mid => allow,
                Usage::High => upsell,
            }
            region "region": question("Where is the customer?", |f: &Facts, _| f.region) {
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
    };
    match graph {
        Ok(graph) => graph,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}

/// The same graph through `GraphBuilder` alone: `decide` runs the closures
/// built at `build()` (the closure path).
pub fn builder_graph() -> DecisionGraph<Facts, Verdict> {
    let mut g = GraphBuilder::new("seats");
    g.question("flagged", "Is the account flagged?", |f: &Facts, _| {
        f.flagged
    })
    .yes("review")
    .no("tier");
    g.question("tier", "Which plan?", |f: &Facts, _| f.tier)
        .on(Tier::Free, "over-limit")
        .on(Tier::Pro, "paid")
        .on(Tier::Enterprise, "region");
    g.question("over-limit", "More users than seats?", |f: &Facts, _| {
        f.used > f.seats
    })
    .yes("block")
    .no("allow");
    g.question("paid", "Is the invoice paid?", |f: &Facts, _| f.paid)
        .yes("expiring")
        .no("sales");
    g.question("expiring", "Under 7 days left?", |f: &Facts, _| {
        f.days_left < 7
    })
    .yes("renew")
    .no("usage");
    g.question("usage", "How many seats are used?", |f: &Facts, _| usage(f))
        .on(Usage::Low, "allow")
        .on(Usage::Mid, "allow")
        .on(Usage::High, "upsell");
    g.question("region", "Where is the customer?", |f: &Facts, _| f.region)
        .on(Region::Eu, "allow")
        .on(Region::Us, "allow")
        .on(Region::Other, "review");
    g.outcome("review", "A person reviews it", Verdict::Review)
        .outcome("block", "Block new seats", Verdict::Block)
        .outcome("allow", "Nothing to do", Verdict::Allow)
        .outcome("sales", "Hand over to Sales", Verdict::Sales)
        .outcome("renew", "Ask for renewal", Verdict::Renew)
        .outcome("upsell", "Offer more seats", Verdict::Upsell);
    match g.build() {
        Ok(graph) => graph,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}

/// The context every decision uses: a fixed instant, no configuration.
pub fn context() -> Context<'static, ()> {
    Context::new(chrono::DateTime::UNIX_EPOCH, &())
}

/// How many facts a benchmark pass decides: too many for the branch
/// predictor to learn the hand-written code's branches by heart (with a few
/// thousand facts repeated, it does, and the hand-written code runs at
/// about two cycles a decision, which no real caller sees).
pub const FACTS: usize = 65_536;

/// The seed of the benchmark facts.
pub const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// `n` facts from a xorshift64 PRNG seeded with `seed`.
pub fn facts(n: usize, seed: u64) -> Vec<Facts> {
    let mut x = seed.max(1);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let r = next();
            let seats = 1 + (r % 50) as u32;
            Facts {
                flagged: (r >> 8) % 16 == 0,
                tier: Tier::ALL[((r >> 12) % 3) as usize],
                seats,
                used: ((r >> 16) % u64::from(seats + seats / 5 + 1)) as u32,
                paid: (r >> 24) % 5 != 0,
                days_left: ((r >> 32) % 30) as u32,
                region: Region::ALL[((r >> 40) % 3) as usize],
            }
        })
        .collect()
}
