//! Embedding entitle in another service.
//!
//! A support tool has its own types (a queue of starred tickets, its own
//! subscription records). It builds each policy's typed facts from them,
//! decides a whole queue on the fast path, explains the tickets that need a
//! person, and schedules a second look at each decision's `stable_until`.
//! The configuration is the team's own: Berlin time, company holidays, a
//! 7-day temporary license.
//!
//! Run it with `cargo run --example embed`.

use chrono::{DateTime, NaiveDate, Utc};
use entitle::config::PolicyConfig;
use entitle::domain::{License, Plan};
use entitle::policies::{SelfManagedRequest, StarActor, StarSelfManaged, StarSelfManagedFacts};
use entitle::policy::{Outcome, decide, evaluate};

/// The support tool's own record of a subscription.
struct Subscription {
    tier: &'static str,
    seats: u32,
    trial: bool,
    term: (NaiveDate, NaiveDate),
}

/// The support tool's own starred ticket.
struct StarredTicket {
    id: u32,
    kind: &'static str,
    subscription: Subscription,
    lr_on_shift: bool,
    has_dashboard_screenshot: bool,
    recipient_is_contact: bool,
}

/// Errors of the support tool's own mapping.
#[derive(Debug)]
struct Unmapped(String);

impl std::fmt::Display for Unmapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unmapped {}

/// Builds the policy's facts from the service's types. The mapping is the
/// service's business; the facts type is the policy's contract.
fn facts_for(ticket: &StarredTicket) -> Result<StarSelfManagedFacts, Unmapped> {
    let request = match ticket.kind {
        "extend" => SelfManagedRequest::LicenseExtension,
        "activation" => SelfManagedRequest::ActivationError,
        "renewal" => SelfManagedRequest::RenewalDelay,
        "resend" => SelfManagedRequest::SendToDifferentEmail,
        "new" => SelfManagedRequest::NewLicense,
        other => {
            return Err(Unmapped(format!(
                "ticket {}: unknown kind `{other}`",
                ticket.id
            )));
        }
    };
    let plan = match ticket.subscription.tier {
        "premium" => Plan::Premium,
        "ultimate" => Plan::Ultimate,
        other => {
            return Err(Unmapped(format!(
                "ticket {}: unknown tier `{other}`",
                ticket.id
            )));
        }
    };
    Ok(StarSelfManagedFacts {
        request,
        license: License {
            plan,
            trial: ticket.subscription.trial,
            starts_on: ticket.subscription.term.0,
            expires_on: ticket.subscription.term.1,
            users: ticket.subscription.seats,
        },
        lr_team_available: ticket.lr_on_shift,
        admin_dashboard_screenshot: ticket.has_dashboard_screenshot,
        customer_has_ticket: true,
        actor: StarActor::SupportManager,
        recipient_is_license_contact: ticket.recipient_is_contact,
        ticket_url: None,
    })
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The team's configuration, validated once at start-up.
    let config = PolicyConfig {
        timezone: "Europe/Berlin".parse()?,
        temporary_license_days: 7,
        company_holidays: vec![date(2026, 12, 24), date(2026, 12, 31)],
        ..PolicyConfig::default()
    }
    .validated()?;
    let now: DateTime<Utc> = "2026-11-23T08:15:00Z".parse()?;

    let subscription = |trial, expires| Subscription {
        tier: "premium",
        seats: 80,
        trial,
        term: (date(2025, 11, 24), expires),
    };
    let queue = [
        StarredTicket {
            id: 101,
            kind: "extend",
            subscription: subscription(false, date(2026, 11, 30)),
            lr_on_shift: false,
            has_dashboard_screenshot: false,
            recipient_is_contact: true,
        },
        StarredTicket {
            id: 102,
            kind: "activation",
            subscription: subscription(false, date(2026, 11, 10)),
            lr_on_shift: false,
            has_dashboard_screenshot: true,
            recipient_is_contact: true,
        },
        StarredTicket {
            id: 103,
            kind: "activation",
            subscription: subscription(true, date(2026, 11, 26)),
            lr_on_shift: false,
            has_dashboard_screenshot: true,
            recipient_is_contact: true,
        },
        StarredTicket {
            id: 104,
            kind: "resend",
            subscription: subscription(false, date(2027, 3, 1)),
            lr_on_shift: true,
            has_dashboard_screenshot: false,
            recipient_is_contact: false,
        },
        StarredTicket {
            id: 105,
            kind: "new",
            subscription: subscription(false, date(2027, 3, 1)),
            lr_on_shift: true,
            has_dashboard_screenshot: false,
            recipient_is_contact: true,
        },
    ];

    // Triage the whole queue on the fast path: outcome only, no allocation.
    println!("Queue at {now} (Europe/Berlin rules):");
    for ticket in &queue {
        let facts = facts_for(ticket)?;
        let outcome = decide::<StarSelfManaged>(&facts, now, &config)?;
        println!(
            "  ticket {:>3} {:<10} -> {}",
            ticket.id,
            ticket.kind,
            outcome.id()
        );
    }

    // Explain the ones a person must act on, and when to look again.
    println!();
    for ticket in &queue {
        let facts = facts_for(ticket)?;
        let decision = evaluate::<StarSelfManaged>(&facts, now, &config)?;
        if decision.details.actions.is_empty() {
            continue;
        }
        println!("ticket {}: {}", ticket.id, decision.outcome_text);
        for action in &decision.details.actions {
            println!("  - {}", action.text);
        }
        if let Some(until) = decision.stable_until {
            let local = until.with_timezone(&config.timezone);
            println!(
                "  look again at {} (the decision changes then)",
                local.format("%a %Y-%m-%d %H:%M %Z")
            );
        }
    }
    Ok(())
}
