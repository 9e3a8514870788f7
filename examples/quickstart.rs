//! Quickstart: a realistic weekend emergency, from the ticket's facts to the
//! generated temporary license, with the explanation a support engineer
//! pastes into the ticket.
//!
//! Run it with `cargo run --example quickstart`.

use chrono::{DateTime, NaiveDate, Utc};
use entitle::config::PolicyConfig;
use entitle::domain::{Customer, CustomerStatus, License, Plan};
use entitle::policies::{EmergencyScreenshots, WeekendEmergency, WeekendEmergencyFacts};
use entitle::policy::{Outcome, evaluate};
use entitle::report_for;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Sunday morning in New York: a customer's Premium license expired on
    // 2026-10-31, its 14-day grace period ended at the start of 2026-11-14,
    // and their instance is read-only. They open an emergency ticket.
    let config = PolicyConfig {
        timezone: "America/New_York".parse()?,
        ..PolicyConfig::default()
    };
    let now: DateTime<Utc> = "2026-11-15T14:30:00Z".parse()?; // 09:30 in New York
    let mut ticket = WeekendEmergencyFacts {
        customer: Customer {
            status: CustomerStatus::Paid,
        },
        license: License {
            plan: Plan::Premium,
            trial: false,
            starts_on: NaiveDate::from_ymd_opt(2025, 10, 31).ok_or("date")?,
            expires_on: NaiveDate::from_ymd_opt(2026, 10, 31).ok_or("date")?,
            users: 250,
        },
        screenshots: EmergencyScreenshots {
            admin_dashboard: true,
            license_page: false,
        },
        screenshot_user_count: None,
        requester_email: "it-admin@example.com".parse()?,
        ticket_url: "https://support.example.com/tickets/58213".parse()?,
    };

    // First pass: the license page screenshot and the user count are missing.
    let first = evaluate::<WeekendEmergency>(&ticket, now, &config)?;
    println!(
        "First look: {} (missing: {})",
        first.outcome.id(),
        first.details.missing.join(", ")
    );

    // The customer replies with both screenshots; the dashboard shows 243 users.
    ticket.screenshots.license_page = true;
    ticket.screenshot_user_count = Some(243);
    let decision = evaluate::<WeekendEmergency>(&ticket, now, &config)?;
    println!("Second look: {}\n", decision.outcome.id());

    // The explanation, as `entitle decide --format text` prints it.
    let report = report_for::<WeekendEmergency>(decision, now, &config);
    print!("{}", report.to_text());
    Ok(())
}
