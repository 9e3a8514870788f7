//! The seed page's cases (provision-direction.md, "Provision failures
//! monitoring"): Friends & Family days and weekends are covered on the next
//! workday, by that day's engineer; a milestone spanning a year end.

use entitle_core::schedule::{build, calendar, check, reviewer, summary};

use super::{at, availability, d, e, holidays, milestone};

/// An F&F day on Friday 2026-03-13: nobody is assigned on it, and its
/// failures, and the weekend's, are reviewed on Monday 2026-03-16 by
/// Monday's engineer.
#[test]
fn a_friends_and_family_friday_and_the_weekend_go_to_mondays_engineer() {
    let config = holidays(&["2026-03-13"]);
    let team = availability(&[
        ("alice", "2026-03-09", "mon tue wed"),
        ("bob", "2026-03-09", "thu fri"),
        ("alice", "2026-03-16", "none"),
        ("bob", "2026-03-16", "mon"),
        ("carol", "2026-03-16", "tue wed thu fri"),
    ]);
    let built = build(&milestone("2026-03-09", "2026-03-20"), &team, &config);
    assert!(built.uncovered.is_empty(), "{:?}", built.uncovered);
    assert_eq!(
        built.schedule.days.get(d("2026-03-13")),
        None,
        "F&F day assigned"
    );
    assert_eq!(built.schedule.days.get(d("2026-03-12")), Some(&e("bob")));
    assert_eq!(built.schedule.days.get(d("2026-03-16")), Some(&e("bob")));
    for failed in [
        "2026-03-13T08:00:00Z", // the F&F Friday
        "2026-03-14T12:00:00Z", // Saturday
        "2026-03-15T23:59:59Z", // Sunday
        "2026-03-16T09:00:00Z", // Monday itself
    ] {
        let review = reviewer(at(failed), &built.schedule.days, &config);
        assert_eq!(review.on, d("2026-03-16"), "{failed}");
        assert_eq!(review.by, Some(&e("bob")), "{failed}");
    }
    // A failure on Thursday is Thursday's.
    let thursday = reviewer(at("2026-03-12T17:00:00Z"), &built.schedule.days, &config);
    assert_eq!(
        (thursday.on, thursday.by),
        (d("2026-03-12"), Some(&e("bob")))
    );
}

/// With Monday a holiday too, a Saturday failure goes to Tuesday's engineer.
#[test]
fn a_saturday_failure_goes_to_tuesday_when_monday_is_a_holiday() {
    let config = holidays(&["2026-03-16"]);
    let team = availability(&[("alice", "2026-03-16", "tue"), ("bob", "2026-03-16", "all")]);
    let built = build(&milestone("2026-03-16", "2026-03-20"), &team, &config);
    assert_eq!(built.schedule.days.get(d("2026-03-16")), None);
    let review = reviewer(at("2026-03-14T10:00:00Z"), &built.schedule.days, &config);
    assert_eq!(review.on, d("2026-03-17"));
    assert_eq!(review.by, built.schedule.days.get(d("2026-03-17")));
    assert_eq!(review.by, Some(&e("alice")), "alice can only take Tuesday");
}

/// The time zone decides the failure's date: 23:30 on Friday in New York is
/// Saturday in UTC, reviewed on Monday either way; 20:00 on Sunday in
/// Tokyo is Sunday 11:00 UTC.
#[test]
fn the_failure_date_is_read_in_the_support_time_zone() {
    let mut config = holidays(&[]);
    config.timezone = "America/New_York".parse().unwrap();
    let team = availability(&[("alice", "2026-03-09", "all"), ("bob", "2026-03-16", "all")]);
    let built = build(&milestone("2026-03-09", "2026-03-20"), &team, &config);
    let friday_evening = reviewer(at("2026-03-14T03:30:00Z"), &built.schedule.days, &config);
    assert_eq!(friday_evening.on, d("2026-03-13"));
    assert_eq!(friday_evening.by, Some(&e("alice")));
}

/// A milestone from Monday 2026-12-14 to Friday 2027-01-08, with Christmas
/// and New Year's Day off: the week of Monday 2026-12-28 spans the year
/// end, and one availability row covers it.
#[test]
fn a_milestone_across_the_year_end() {
    let config = holidays(&["2026-12-24", "2026-12-25", "2027-01-01"]);
    let team = availability(&[
        ("alice", "2026-12-14", "all"),
        ("alice", "2026-12-21", "mon tue"),
        ("alice", "2026-12-28", "none"),
        ("alice", "2027-01-04", "all"),
        ("bob", "2026-12-14", "all"),
        ("bob", "2026-12-21", "none"),
        ("bob", "2026-12-28", "tue wed thu fri"),
        ("bob", "2027-01-04", "all"),
    ]);
    let m = milestone("2026-12-14", "2027-01-08");
    let built = build(&m, &team, &config);
    // 20 weekdays less 3 holidays; Wed 2026-12-23 and Mon 2026-12-28: nobody.
    assert_eq!(built.uncovered, vec![d("2026-12-23"), d("2026-12-28")]);
    assert_eq!(built.schedule.days.len(), 20 - 3 - 2);
    assert_eq!(built.schedule.days.get(d("2026-12-31")), Some(&e("bob")));
    assert_eq!(
        built.schedule.days.get(d("2027-01-01")),
        None,
        "New Year's Day"
    );
    assert!(check(&built.schedule, &team, &config).is_empty());
    // New Year's Eve 22:00 UTC: Thursday, bob's. New Year's Day and the
    // weekend after: Monday 2027-01-04's engineer.
    let eve = reviewer(at("2026-12-31T22:00:00Z"), &built.schedule.days, &config);
    assert_eq!((eve.on, eve.by), (d("2026-12-31"), Some(&e("bob"))));
    let new_year = reviewer(at("2027-01-02T10:00:00Z"), &built.schedule.days, &config);
    assert_eq!(new_year.on, d("2027-01-04"));
    assert_eq!(new_year.by, built.schedule.days.get(d("2027-01-04")));
    assert!(new_year.by.is_some());
    // Christmas Eve and Christmas: reviewed Monday 2026-12-28, uncovered.
    let christmas = reviewer(at("2026-12-24T10:00:00Z"), &built.schedule.days, &config);
    assert_eq!((christmas.on, christmas.by), (d("2026-12-28"), None));
    let s = summary(&built.schedule, &team, &config);
    assert_eq!(s.uncovered, built.uncovered);
    assert!(s.available_all_along.is_empty());
    insta::assert_snapshot!(calendar(&built.schedule, &config));
}
