//! `provision-failure` (spec 3.8): who handles a flagged provisioning
//! failure, and `review_on`, the workday it is reviewed on (weekends and
//! company holidays roll forward; the date is the support time zone's).

use super::fixtures::checked;
use super::star_support;

use chrono::{Datelike, TimeDelta};
use entitle_core::config::PolicyConfig;
use entitle_core::policies::{
    ProvisionFailure, ProvisionFailureFacts, ProvisionFailureOutcome as O, ProvisionFailureRecord,
    RootCause,
};
use entitle_core::policy::evaluate;
use entitle_core::schedule::{Assignments, Engineer};
use entitle_core::time::{is_workday, local_date};
use proptest::prelude::*;
use star_support::*;

fn failure(occurred_at: &str) -> ProvisionFailureFacts {
    ProvisionFailureFacts {
        failure: ProvisionFailureRecord {
            subscription: checked("A-S00012345"),
            kind: checked("cloud-license-activation"),
            occurred_at: at(occurred_at),
        },
        fulfillment_resolved: false,
        needs_lr_intervention: false,
        root_cause: RootCause::Ongoing,
        customer_email: checked("billing@customer.example"),
    }
}

fn holidays(dates: &[&str], zone: &str) -> PolicyConfig {
    PolicyConfig {
        company_holidays: dates.iter().map(|s| d(s)).collect(),
        ..config_in(zone)
    }
}

// Who handles the failure, row by row (resolved, needs L&R, root cause):
// the table "who handles the failure" of `scenarios/provision-failure.toml`.

#[test]
fn request_lr_support_reports_the_failure_and_opens_a_ticket() {
    let facts = ProvisionFailureFacts {
        root_cause: RootCause::BeingFixed,
        ..failure("2026-12-02T10:00:00Z")
    };
    let decision =
        evaluate::<ProvisionFailure>(&facts, at("2026-12-02T12:00:00Z"), &PolicyConfig::default())
            .unwrap();
    assert_eq!(decision.outcome, O::RequestLrSupport);
    let details = &decision.details;
    assert_eq!(
        details.internal_request.as_deref(),
        Some("Report a provision failure")
    );
    let ids: Vec<_> = details.actions.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        [
            "submit-internal-request",
            "open-ticket-for-customer",
            "manage-product-issue"
        ]
    );
    assert!(
        details.actions[0]
            .text
            .contains("\"Report a provision failure\"")
    );
    assert!(details.actions[0].text.contains("A-S00012345"));
    assert!(
        details.actions[1]
            .text
            .contains("on behalf of the customer")
    );
    assert!(details.actions[1].text.contains("fix or workaround"));
}

/// Spec 3.8 v2: the ticket opened on behalf of the customer reaches them
/// (the requester is `customer_email`), names the subscription and says
/// provisioning failed; its public text is written to the customer and
/// holds no internal identifier; the internal context is a private note.
#[test]
fn v2_the_customer_ticket_is_written_to_the_customer() {
    for (root_cause, needs_lr, says) in [
        (RootCause::BeingFixed, false, "A fix for the cause"),
        (RootCause::Fixed, false, "has been fixed"),
        (
            RootCause::Unknown,
            true,
            "Our licensing team is fixing this",
        ),
    ] {
        let facts = ProvisionFailureFacts {
            root_cause,
            needs_lr_intervention: needs_lr,
            ..failure("2026-12-02T10:00:00Z")
        };
        let decision = evaluate::<ProvisionFailure>(
            &facts,
            at("2026-12-02T12:00:00Z"),
            &PolicyConfig::default(),
        )
        .unwrap();
        let request = decision.details.actions[0].message.clone().unwrap();
        assert_eq!(request.to, None, "the internal request is the team's");
        assert_eq!(
            request.subject,
            "Report a provision failure: A-S00012345 (cloud-license-activation)"
        );
        assert!(
            request.body.contains("billing@customer.example"),
            "{}",
            request.body
        );
        let ticket = decision.details.actions[1].message.clone().unwrap();
        assert_eq!(ticket.to.as_deref(), Some("billing@customer.example"));
        assert_eq!(
            ticket.subject,
            "Provisioning of your subscription A-S00012345 failed"
        );
        assert!(ticket.body.starts_with("Hello,"), "{}", ticket.body);
        assert!(ticket.body.contains("A-S00012345"), "{}", ticket.body);
        assert!(
            ticket.body.contains("cloud-license-activation"),
            "{}",
            ticket.body
        );
        assert!(
            ticket.body.contains(says),
            "{root_cause:?}: {}",
            ticket.body
        );
        for internal in ["http", "L&R", "Fulfillment", "internal request", "decision"] {
            assert!(
                !ticket.body.contains(internal),
                "{internal} in {}",
                ticket.body
            );
        }
        let note = ticket.note.unwrap();
        assert!(note.contains("A-S00012345"), "{note}");
        // The instruction stays the person's.
        assert!(
            decision.details.actions[1]
                .text
                .starts_with("Support opens a ticket")
        );
    }
}

/// v1 facts (no `customer_email`) are refused, naming the field.
#[test]
fn v1_facts_are_refused_naming_customer_email() {
    let v1 = r#"{"failure":{"subscription":"A-S1","kind":"k","occurred_at":"2026-12-02T10:00:00Z"},"fulfillment_resolved":false,"needs_lr_intervention":true,"root_cause":"fixed"}"#;
    let err = serde_json::from_str::<ProvisionFailureFacts>(v1).unwrap_err();
    assert!(err.to_string().contains("customer_email"), "{err}");
}

/// `review_on` across weekends and holidays (2026-12-04 is a Friday).
#[test]
fn review_on_rolls_forward_to_the_next_workday() {
    let cases: &[(&str, &str, PolicyConfig, &str)] = &[
        (
            "a workday",
            "2026-12-02T10:00:00Z",
            PolicyConfig::default(),
            "2026-12-02",
        ),
        (
            "a Friday",
            "2026-12-04T10:00:00Z",
            PolicyConfig::default(),
            "2026-12-04",
        ),
        (
            "a Friday holiday",
            "2026-12-04T10:00:00Z",
            holidays(&["2026-12-04"], "UTC"),
            "2026-12-07",
        ),
        (
            "Saturday",
            "2026-12-05T00:00:00Z",
            PolicyConfig::default(),
            "2026-12-07",
        ),
        (
            "Sunday, last second",
            "2026-12-06T23:59:59Z",
            PolicyConfig::default(),
            "2026-12-07",
        ),
        (
            "Monday, first second",
            "2026-12-07T00:00:00Z",
            PolicyConfig::default(),
            "2026-12-07",
        ),
        (
            "a weekend before a Monday holiday",
            "2026-12-05T12:00:00Z",
            holidays(&["2026-12-07"], "UTC"),
            "2026-12-08",
        ),
        (
            "a run of holidays over a weekend",
            "2026-12-24T08:00:00Z",
            holidays(
                &["2026-12-24", "2026-12-25", "2026-12-28", "2026-12-29"],
                "UTC",
            ),
            "2026-12-30",
        ),
        (
            "a holiday that is not the failure's date changes nothing",
            "2026-12-03T08:00:00Z",
            holidays(&["2026-12-04"], "UTC"),
            "2026-12-03",
        ),
        (
            // 23:30 on Friday in New York is 04:30 on Saturday in UTC.
            "Friday 23:30 in New York is still Friday there",
            "2026-12-04T23:30:00-05:00",
            config_in("America/New_York"),
            "2026-12-04",
        ),
        (
            "the same instant with UTC as the support time zone is a Saturday",
            "2026-12-04T23:30:00-05:00",
            PolicyConfig::default(),
            "2026-12-07",
        ),
        (
            "Friday 23:30 in New York on a New York holiday",
            "2026-12-05T04:30:00Z",
            holidays(&["2026-12-04"], "America/New_York"),
            "2026-12-07",
        ),
        (
            // 00:30 on Saturday in Tokyo is 15:30 on Friday in UTC.
            "Saturday 00:30 in Tokyo is the weekend there",
            "2026-12-04T15:30:00Z",
            config_in("Asia/Tokyo"),
            "2026-12-07",
        ),
    ];
    for (name, occurred_at, config, expected) in cases {
        let facts = failure(occurred_at);
        let decision =
            evaluate::<ProvisionFailure>(&facts, at("2026-12-31T00:00:00Z"), config).unwrap();
        assert_eq!(decision.details.review_on, Some(d(expected)), "{name}");
        assert_eq!(decision.stable_until, None, "{name}");
    }
}

#[test]
fn the_trace_shows_the_failure_in_the_support_time_zone() {
    let facts = failure("2026-12-05T04:30:00Z");
    let decision = evaluate::<ProvisionFailure>(
        &facts,
        at("2026-12-07T14:00:00Z"),
        &config_in("America/New_York"),
    )
    .unwrap();
    assert_eq!(
        decision.trace[0].detail.as_deref(),
        Some(
            "A-S00012345 (cloud-license-activation) failed Fri 2026-12-04 23:30 America/New_York; reviewed on Fri 2026-12-04"
        )
    );
}

#[test]
fn occurred_at_accepts_any_offset_and_rejects_a_bare_date() {
    let json = |occurred_at: &str| {
        format!(
            r#"{{"failure":{{"subscription":"A-S1","kind":"k","occurred_at":"{occurred_at}"}},"fulfillment_resolved":false,"needs_lr_intervention":false,"root_cause":"being-fixed","customer_email":"billing@customer.example"}}"#
        )
    };
    let facts: ProvisionFailureFacts =
        serde_json::from_str(&json("2026-12-04T23:30:00-05:00")).unwrap();
    assert_eq!(facts.failure.occurred_at, at("2026-12-05T04:30:00Z"));
    assert!(serde_json::from_str::<ProvisionFailureFacts>(&json("2026-12-04")).is_err());
    let typo = json("2026-12-04T10:00:00Z").replace("\"kind\"", "\"kinds\"");
    assert!(serde_json::from_str::<ProvisionFailureFacts>(&typo).is_err());
}

#[test]
fn examples_take_every_path() {
    assert_examples_cover_every_path::<ProvisionFailure>();
}

fn arb_facts() -> impl Strategy<Value = ProvisionFailureFacts> {
    (
        arb_now(),
        any::<[bool; 2]>(),
        prop::sample::select(vec![
            RootCause::Unknown,
            RootCause::Ongoing,
            RootCause::BeingFixed,
            RootCause::Fixed,
        ]),
        "[A-Z]-S[0-9]{8}",
        "[a-z-]{1,20}",
    )
        .prop_map(
            |(occurred_at, b, root_cause, subscription, kind)| ProvisionFailureFacts {
                failure: ProvisionFailureRecord {
                    subscription: checked(&subscription),
                    kind: checked(&kind),
                    occurred_at,
                },
                fulfillment_resolved: b[0],
                needs_lr_intervention: b[1],
                root_cause,
                customer_email: checked("billing@customer.example"),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_deterministic_and_honest(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
        fractions in arb_fractions(),
    ) {
        let decision = assert_total_and_deterministic::<ProvisionFailure>(&facts, now, &config);
        prop_assert_eq!(decision.stable_until, None);
        assert_stable_until_honest::<ProvisionFailure>(&facts, now, &config, &fractions);
    }

    /// `review_on` is the first workday on or after the failure's local
    /// date, whatever the outcome, and never depends on `now`.
    #[test]
    fn review_on_is_the_first_workday_from_the_failure(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
    ) {
        let decision = evaluate::<ProvisionFailure>(&facts, now, &config).unwrap();
        let review_on = decision.details.review_on.unwrap();
        let failed_on = local_date(facts.failure.occurred_at, config.timezone);
        prop_assert!(review_on >= failed_on);
        prop_assert!(is_workday(review_on, &config));
        prop_assert!(review_on.weekday().num_days_from_monday() < 5);
        prop_assert!(!config.company_holidays.contains(&review_on));
        let mut day = failed_on;
        while day < review_on {
            prop_assert!(!is_workday(day, &config), "{} is a workday before {}", day, review_on);
            day += TimeDelta::days(1);
        }
        let later = evaluate::<ProvisionFailure>(&facts, now + TimeDelta::days(40), &config).unwrap();
        prop_assert_eq!(later.details.review_on, Some(review_on));
        // L&R Support is asked exactly in the page's two cases.
        let asked = !facts.fulfillment_resolved
            && (facts.needs_lr_intervention
                || matches!(facts.root_cause, RootCause::Fixed | RootCause::BeingFixed));
        prop_assert_eq!(decision.outcome == O::RequestLrSupport, asked);
        prop_assert_eq!(decision.details.internal_request.is_some(), asked);
    }
}

/// `config` with a monitoring schedule assigning, of the 150 days from
/// 120 days before [`base_date`], the workdays picked by `picks` (offset,
/// engineer) to one of three engineers.
fn with_schedule(mut config: PolicyConfig, picks: &[(i64, usize)]) -> PolicyConfig {
    let names = ["alice", "bob", "carol"];
    let schedule = picks
        .iter()
        .filter_map(|(offset, who)| {
            let day = base_date() + TimeDelta::days(*offset);
            let engineer = Engineer::new(*names.get(*who)?).ok()?;
            is_workday(day, &config).then_some((day, engineer))
        })
        .collect::<Assignments>();
    config.monitoring_schedule = Some(schedule);
    config
}

/// Spec 3.8 "Reviewer": with a schedule, the engineer it names for
/// `review_on`; the team's texts say who (the trace, the internal request
/// and its instruction, the keep-with-Fulfillment instruction, the ticket's
/// private note), never the customer's public comment.
#[test]
fn with_a_schedule_every_outcome_names_the_reviewer_of_review_on() {
    // Friday 2026-12-04 is an F&F day: a failure on it, or on the weekend,
    // is reviewed on Monday 2026-12-07 by Monday's engineer.
    let mut config = holidays(&["2026-12-04"], "UTC");
    let mut days = Assignments::new();
    days.insert(d("2026-12-03"), Engineer::new("alice").unwrap());
    days.insert(d("2026-12-07"), Engineer::new("bob").unwrap());
    config.monitoring_schedule = Some(days);
    for (resolved, needs_lr, root_cause) in [
        (true, false, RootCause::Unknown),
        (false, true, RootCause::Unknown),
        (false, false, RootCause::Ongoing),
    ] {
        for occurred_at in [
            "2026-12-04T10:00:00Z",
            "2026-12-05T10:00:00Z",
            "2026-12-06T23:00:00Z",
        ] {
            let facts = ProvisionFailureFacts {
                fulfillment_resolved: resolved,
                needs_lr_intervention: needs_lr,
                root_cause,
                ..failure(occurred_at)
            };
            let decision =
                evaluate::<ProvisionFailure>(&facts, at("2026-12-07T12:00:00Z"), &config).unwrap();
            let details = &decision.details;
            assert_eq!(details.review_on, Some(d("2026-12-07")));
            assert_eq!(
                details.reviewer.as_ref().map(Engineer::as_str),
                Some("bob"),
                "{occurred_at}"
            );
            let json = serde_json::to_value(details).unwrap();
            assert_eq!(json["reviewer"], "bob");
            assert!(
                decision.trace[0]
                    .detail
                    .as_deref()
                    .unwrap()
                    .ends_with("reviewed on Mon 2026-12-07 by bob")
            );
            match decision.outcome {
                O::ResolvedByFulfillment => {}
                O::KeepWithFulfillment => {
                    assert!(
                        details.actions[0]
                            .text
                            .ends_with("it is reviewed on 2026-12-07 by bob"),
                        "{}",
                        details.actions[0].text
                    );
                }
                O::RequestLrSupport => {
                    let submit = &details.actions[0];
                    assert!(
                        submit.text.ends_with("; reviewed on 2026-12-07 by bob"),
                        "{}",
                        submit.text
                    );
                    let request = submit.message.as_ref().unwrap();
                    assert!(
                        request
                            .body
                            .contains("- Reviewed on: Mon 2026-12-07 by bob\n"),
                        "{}",
                        request.body
                    );
                    let ticket = details.actions[1].message.as_ref().unwrap();
                    assert!(
                        ticket
                            .note
                            .as_deref()
                            .unwrap()
                            .ends_with("Reviewed on Mon 2026-12-07 by bob.")
                    );
                    assert!(
                        !ticket.body.contains("bob"),
                        "the customer's comment names no engineer"
                    );
                }
            }
        }
    }
    // Thursday's failure is alice's.
    let thursday = evaluate::<ProvisionFailure>(
        &failure("2026-12-03T16:00:00Z"),
        at("2026-12-07T12:00:00Z"),
        &config,
    )
    .unwrap();
    assert_eq!(
        thursday.details.reviewer.as_ref().map(Engineer::as_str),
        Some("alice")
    );
}

/// A day the schedule names nobody for: no reviewer (never guessed), and
/// the team's texts say so.
#[test]
fn a_day_the_schedule_leaves_out_has_no_reviewer() {
    let mut config = PolicyConfig::default();
    let mut days = Assignments::new();
    days.insert(d("2026-12-08"), Engineer::new("alice").unwrap());
    config.monitoring_schedule = Some(days);
    let facts = ProvisionFailureFacts {
        needs_lr_intervention: true,
        ..failure("2026-12-07T10:00:00Z")
    };
    let decision =
        evaluate::<ProvisionFailure>(&facts, at("2026-12-07T12:00:00Z"), &config).unwrap();
    assert_eq!(decision.details.reviewer, None);
    assert!(
        serde_json::to_value(&decision.details)
            .unwrap()
            .get("reviewer")
            .is_none()
    );
    let request = decision.details.actions[0].message.as_ref().unwrap();
    assert!(
        request.body.contains(
            "- Reviewed on: Mon 2026-12-07 (the monitoring schedule names nobody that day)\n"
        ),
        "{}",
        request.body
    );
}

/// Without a schedule, no reviewer and no word of one in any text.
#[test]
fn without_a_schedule_no_reviewer_is_named() {
    for (resolved, needs_lr) in [(true, false), (false, true), (false, false)] {
        let facts = ProvisionFailureFacts {
            fulfillment_resolved: resolved,
            needs_lr_intervention: needs_lr,
            ..failure("2026-12-05T10:00:00Z")
        };
        let decision = evaluate::<ProvisionFailure>(
            &facts,
            at("2026-12-07T12:00:00Z"),
            &PolicyConfig::default(),
        )
        .unwrap();
        assert_eq!(decision.details.reviewer, None);
        let mut texts: Vec<String> = decision
            .trace
            .iter()
            .filter_map(|s| s.detail.clone())
            .collect();
        for action in &decision.details.actions {
            texts.push(action.text.clone());
            if let Some(m) = &action.message {
                texts.extend([m.body.clone(), m.note.clone().unwrap_or_default()]);
            }
        }
        for text in texts {
            assert!(
                !text.contains(" by ") && !text.contains("monitoring schedule"),
                "{text}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The reviewer is exactly the engineer the schedule names for
    /// `review_on`, whatever the outcome, zone and holidays; absent without
    /// a schedule.
    #[test]
    fn the_reviewer_is_the_schedules_engineer_for_review_on(
        facts in arb_facts(),
        now in arb_now(),
        config in arb_config(),
        picks in prop::option::of(prop::collection::vec((-120i64..30, 0usize..3), 0..120)),
    ) {
        let config = match &picks {
            Some(picks) => with_schedule(config, picks),
            None => config,
        };
        let decision = evaluate::<ProvisionFailure>(&facts, now, &config).unwrap();
        let review_on = decision.details.review_on.unwrap();
        let expected = config.monitoring_schedule.as_ref().and_then(|s| s.get(review_on)).cloned();
        prop_assert_eq!(&decision.details.reviewer, &expected);
        if picks.is_none() {
            prop_assert_eq!(decision.details.reviewer, None);
        }
    }
}
