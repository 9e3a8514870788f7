//! The pieces: weekday lists, availability rows, milestones, the builder
//! on small teams, the checker's problems, the summary.

use chrono::Weekday;
use entitle_core::input::InputError;
use entitle_core::schedule::{
    Assignments, Availability, AvailabilityError, Engineer, MAX_MILESTONE_DAYS, Milestone,
    MilestoneError, Problem, Schedule, Weekdays, build, check, summary, unfair_moves,
};

use super::{availability, d, e, holidays, milestone};

#[test]
fn weekdays_read_all_none_and_names() {
    assert_eq!(Weekdays::parse("all").unwrap(), Weekdays::ALL);
    assert_eq!(Weekdays::parse(" NONE ").unwrap(), Weekdays::NONE);
    let days = Weekdays::parse("Mon, wed friday").unwrap();
    assert!(
        days.contains(Weekday::Mon) && days.contains(Weekday::Wed) && days.contains(Weekday::Fri)
    );
    assert!(!days.contains(Weekday::Tue) && !days.contains(Weekday::Thu));
    assert_eq!(days.count(), 3);
    assert_eq!(days.to_string(), "mon wed fri");
    assert_eq!(Weekdays::parse(&days.to_string()).unwrap(), days);
    assert_eq!(Weekdays::ALL.to_string(), "all");
    assert!(!Weekdays::ALL.contains(Weekday::Sat));
}

#[test]
fn weekdays_refuse_what_is_not_a_list_of_workdays() {
    for (text, reason) in [
        ("", "empty"),
        ("mon sat", "weekends are not assigned"),
        ("mon mon", "given twice"),
        ("all mon", "must stand alone"),
        ("mo", "not a weekday name"),
        ("1 2 3", "not a weekday name"),
    ] {
        match Weekdays::parse(text) {
            Err(InputError::Weekdays { reason: r, .. }) => {
                assert!(r.contains(reason), "{text}: {r}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn engineers_are_short_texts_without_surrounding_space() {
    assert_eq!(e("Carol Smith").as_str(), "Carol Smith");
    assert!(matches!(
        Engineer::new(" alice"),
        Err(InputError::SurroundingWhitespace { .. })
    ));
    assert!(matches!(Engineer::new(""), Err(InputError::Blank)));
    assert!(matches!(
        Engineer::new("a\nb"),
        Err(InputError::ControlCharacter { .. })
    ));
    assert_ne!(e("Alice"), e("alice"));
}

#[test]
fn availability_rows_are_mondays_given_once() {
    let mut a = Availability::new();
    assert_eq!(
        a.insert(e("alice"), d("2026-03-04"), Weekdays::ALL),
        Err(AvailabilityError::NotAMonday {
            week_of: d("2026-03-04"),
            weekday: Weekday::Wed,
            monday: d("2026-03-02")
        })
    );
    a.insert(e("alice"), d("2026-03-02"), Weekdays::ALL)
        .unwrap();
    let again = a
        .insert(e("alice"), d("2026-03-02"), Weekdays::NONE)
        .unwrap_err();
    assert_eq!(
        again.to_string(),
        "alice's availability for the week of 2026-03-02 is already given"
    );
    assert!(a.is_available(&e("alice"), d("2026-03-06")));
    assert!(!a.is_available(&e("alice"), d("2026-03-07")), "Saturday");
    assert!(
        !a.is_available(&e("alice"), d("2026-03-09")),
        "a week not given is none"
    );
    assert!(!a.is_available(&e("bob"), d("2026-03-02")));
}

#[test]
fn milestones_end_after_they_start_and_are_bounded() {
    assert!(matches!(
        Milestone::new(d("2026-03-02"), d("2026-03-01")),
        Err(MilestoneError::EndsBeforeStart { .. })
    ));
    let first = d("2026-01-01");
    let last = first + chrono::TimeDelta::days(MAX_MILESTONE_DAYS);
    assert!(matches!(
        Milestone::new(first, last),
        Err(MilestoneError::TooLong { .. })
    ));
    assert!(Milestone::new(first, last - chrono::TimeDelta::days(1)).is_ok());
    let one = milestone("2026-03-07", "2026-03-07");
    assert_eq!(one.workdays(&holidays(&[])).count(), 0, "a Saturday alone");
}

#[test]
fn three_engineers_available_all_along_share_ten_days_four_three_three() {
    let team = availability(&[
        ("alice", "2026-03-02", "all"),
        ("alice", "2026-03-09", "all"),
        ("bob", "2026-03-02", "all"),
        ("bob", "2026-03-09", "all"),
        ("carol", "2026-03-02", "all"),
        ("carol", "2026-03-09", "all"),
    ]);
    let config = holidays(&[]);
    let built = build(&milestone("2026-03-02", "2026-03-13"), &team, &config);
    let s = summary(&built.schedule, &team, &config);
    let mut loads: Vec<usize> = s.days.iter().map(|(_, n)| *n).collect();
    loads.sort_unstable();
    assert_eq!(loads, vec![3, 3, 4]);
    assert_eq!(s.spread, Some(1));
    assert_eq!(s.available_all_along.len(), 3);
}

/// Bob is away the first week, so alice takes it; the other two weeks go
/// to bob enough that neither has two days more than the other.
#[test]
fn days_move_to_whoever_is_under_loaded_and_available() {
    let team = availability(&[
        ("alice", "2026-03-02", "all"),
        ("alice", "2026-03-09", "all"),
        ("alice", "2026-03-16", "all"),
        ("bob", "2026-03-02", "none"),
        ("bob", "2026-03-09", "all"),
        ("bob", "2026-03-16", "all"),
    ]);
    let config = holidays(&[]);
    let built = build(&milestone("2026-03-02", "2026-03-20"), &team, &config);
    let s = summary(&built.schedule, &team, &config);
    let loads: Vec<usize> = s.days.iter().map(|(_, n)| *n).collect();
    assert_eq!(loads.iter().sum::<usize>(), 15);
    assert!(
        loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1,
        "{loads:?}"
    );
    assert!(unfair_moves(&built.schedule, &team).is_empty());
    // Made unfair by hand: alice takes every day of the last week.
    let mut unfair = built.schedule.clone();
    for day in [
        "2026-03-16",
        "2026-03-17",
        "2026-03-18",
        "2026-03-19",
        "2026-03-20",
    ] {
        unfair.days.insert(d(day), e("alice"));
    }
    let moves = unfair_moves(&unfair, &team);
    assert!(!moves.is_empty());
    assert!(
        moves
            .iter()
            .all(|m| m.from == e("alice") && m.to == e("bob"))
    );
    // The checker does not refuse it: fairness is the builder's promise,
    // adjustments are people's.
    assert!(check(&unfair, &team, &config).is_empty());
}

#[test]
fn the_checker_names_every_problem_with_its_day_and_person() {
    let team = availability(&[
        ("alice", "2026-03-02", "mon tue"),
        ("bob", "2026-03-02", "wed thu"),
        ("carol", "2026-03-02", "none"),
    ]);
    let config = holidays(&["2026-03-06"]);
    let mut days = Assignments::new();
    days.insert(d("2026-03-02"), e("bob")); // bob is not available Monday
    // Tue 2026-03-03 left out: alice could take it.
    days.insert(d("2026-03-04"), e("bob"));
    days.insert(d("2026-03-05"), e("dave")); // gave no availability
    days.insert(d("2026-03-06"), e("bob")); // the holiday
    days.insert(d("2026-03-07"), e("alice")); // Saturday
    days.insert(d("2026-03-09"), e("alice")); // after the milestone
    let schedule = Schedule {
        milestone: milestone("2026-03-02", "2026-03-08"),
        days,
    };
    let problems = check(&schedule, &team, &config);
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        vec![
            "2026-03-02 Mon: bob is assigned but did not mark it available",
            "2026-03-03 Tue: left out, but alice marked it available",
            "2026-03-05 Thu: dave is assigned but gave no availability at all",
            "2026-03-06 Fri: bob is assigned on a company holiday, which is covered on the next workday",
            "2026-03-07 Sat: alice is assigned on a weekend day, which is covered on the next workday",
            "2026-03-09 Mon: alice is assigned outside the milestone",
        ]
    );
    assert!(matches!(problems[1], Problem::LeftOut { .. }));
}

/// An uncoverable workday left out is not a problem: it is uncovered.
#[test]
fn an_uncoverable_day_left_out_is_accepted() {
    let team = availability(&[("alice", "2026-03-02", "mon")]);
    let config = holidays(&[]);
    let built = build(&milestone("2026-03-02", "2026-03-03"), &team, &config);
    assert_eq!(built.uncovered, vec![d("2026-03-03")]);
    assert!(check(&built.schedule, &team, &config).is_empty());
}
