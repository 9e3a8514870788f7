//! The account graph's facts and outcomes, shared by the tests of generated
//! code and of the allocation-free fast path (each declares its own graph).

use chrono::{DateTime, Utc};

entitle_core::answers! {
    /// The account's plan.
    pub(crate) enum Tier {
        Free => "free",
        Pro => "pro",
        Enterprise => "enterprise",
    }
}

entitle_core::answers! {
    /// How much of the plan's seats are used.
    pub(crate) enum Usage {
        Low => "low",
        Mid => "mid",
        High => "high",
    }
}

entitle_core::answers! {
    /// Where the customer is.
    pub(crate) enum Region {
        Eu => "eu",
        Us => "us",
        Other => "other",
    }
}

/// What a decision about an account is made on.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) flagged: bool,
    pub(crate) tier: Tier,
    pub(crate) seats: u32,
    pub(crate) used: u32,
    pub(crate) paid: bool,
    pub(crate) expires: DateTime<Utc>,
    pub(crate) region: Region,
}

/// What to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verdict {
    Review,
    Block,
    Allow,
    Sales,
    Renew,
    Upsell,
}

/// The seat usage band.
pub(crate) fn usage(a: &Account) -> Usage {
    match a.used * 100 / a.seats.max(1) {
        0..50 => Usage::Low,
        50..90 => Usage::Mid,
        _ => Usage::High,
    }
}
