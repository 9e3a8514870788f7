//! The monitoring schedule's files (issue #21): the availability CSV and
//! the schedule TOML, read strictly (line, column and field in every
//! error) and written so that they read back.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{NaiveDate, Weekday};
use entitle::config::PolicyConfig;
use entitle::schedule::{Engineer, build};
use entitle::schedule_file::{
    FileError, read_availability, read_schedule, write_availability, write_schedule,
};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn e(s: &str) -> Engineer {
    Engineer::new(s).unwrap()
}

const TEAM: &str = "\
engineer,week_of,days
alice,2026-03-02,all
bob,2026-03-02,mon tue wed
# carol is away the first week
carol,2026-03-02,none
alice,2026-03-09,\"Mon, Fri\"
 bob , 2026-03-09 , ALL
";

#[test]
fn availability_reads_as_a_team_fills_it_in() {
    let team = read_availability(TEAM).unwrap();
    let names: Vec<&str> = team.engineers().map(Engineer::as_str).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert!(team.is_available(&e("bob"), d("2026-03-04")));
    assert!(!team.is_available(&e("bob"), d("2026-03-05")));
    assert!(!team.is_available(&e("carol"), d("2026-03-02")));
    assert!(team.is_available(&e("alice"), d("2026-03-13")));
    assert!(
        !team
            .week(&e("alice"), d("2026-03-09"))
            .contains(Weekday::Wed)
    );
    assert!(team.is_available(&e("bob"), d("2026-03-11")));
    // Written and read back, the same availability.
    let written = write_availability(&team);
    assert!(
        written.starts_with("engineer,week_of,days\nalice,2026-03-02,all\n"),
        "{written}"
    );
    assert_eq!(read_availability(&written).unwrap(), team);
    // Columns in another order.
    let swapped = read_availability("days,engineer,week_of\nall,alice,2026-03-02\n").unwrap();
    assert!(swapped.is_available(&e("alice"), d("2026-03-06")));
}

fn refused(text: &str) -> FileError {
    read_availability(text).unwrap_err()
}

#[test]
fn every_availability_error_names_the_line_the_column_and_the_field() {
    let cases: [(&str, usize, usize, Option<&str>, &str); 11] = [
        (
            "# the form's export\nengineer,week_of,days\n\n# week 1\nalice,2026-03-03,all\n",
            5,
            2,
            Some("week_of"),
            "is a Tue",
        ),
        (
            "engineer,week,days\n",
            1,
            2,
            Some("week"),
            "unknown column `week`",
        ),
        (
            "engineer,days\nalice,all\n",
            1,
            3,
            Some("week_of"),
            "no `week_of` column",
        ),
        (
            "engineer,week_of,days,engineer\n",
            1,
            4,
            Some("engineer"),
            "named twice",
        ),
        (
            "engineer,week_of,days\nalice,2026-03-02\n",
            2,
            3,
            None,
            "2 cells, but the header has 3",
        ),
        (
            "engineer,week_of,days\nalice,2026-03-02,all\n,2026-03-09,all\n",
            3,
            1,
            Some("engineer"),
            "must not be empty",
        ),
        (
            "engineer,week_of,days\nalice,2026-3-02,all\n",
            2,
            2,
            Some("week_of"),
            "is not a date",
        ),
        (
            "engineer,week_of,days\nalice,2026-03-04,all\n",
            2,
            2,
            Some("week_of"),
            "2026-03-04 is a Wed: weeks start on Monday (that week's is 2026-03-02)",
        ),
        (
            "engineer,week_of,days\nalice,2026-03-02,mon sat\n",
            2,
            3,
            Some("days"),
            "weekends are not assigned",
        ),
        (
            "engineer,week_of,days\nalice,2026-03-02,all\n\nalice,2026-03-02,none\n",
            4,
            2,
            Some("week_of"),
            "alice's availability for the week of 2026-03-02 is already given (line 2)",
        ),
        ("engineer,week_of,days\n", 1, 1, None, "no availability"),
    ];
    for (text, line, column, field, says) in cases {
        let error = refused(text);
        assert_eq!(
            (error.line, error.column, error.field.as_deref()),
            (line, column, field),
            "{text:?}: {error}"
        );
        assert!(error.message.contains(says), "{text:?}: {error}");
    }
    assert_eq!(
        refused("engineer,week_of,days\nalice,2026-03-04,all\n").to_string(),
        "line 2, column 2 (week_of): 2026-03-04 is a Wed: weeks start on Monday (that week's is 2026-03-02)"
    );
}

#[test]
fn a_built_schedule_is_written_one_line_per_workday_and_reads_back() {
    let team = read_availability(TEAM).unwrap();
    let config = PolicyConfig {
        company_holidays: vec![d("2026-03-06")],
        ..PolicyConfig::default()
    };
    let milestone = entitle::schedule::Milestone::new(d("2026-03-02"), d("2026-03-13")).unwrap();
    let built = build(&milestone, &team, &config);
    let text = write_schedule(&built.schedule, &config);
    let days: Vec<&str> = text
        .lines()
        .skip_while(|l| *l != "[days]")
        .skip(1)
        .collect();
    // Ten weekdays less the holiday: nine lines, one per workday.
    assert_eq!(days.len(), 9, "{text}");
    assert!(
        days.iter()
            .all(|l| !l.starts_with("2026-03-06") && !l.contains("2026-03-07"))
    );
    assert!(
        text.contains("from = 2026-03-02\nto = 2026-03-13\n"),
        "{text}"
    );
    assert_eq!(read_schedule(&text).unwrap(), built.schedule);
}

#[test]
fn an_uncovered_day_is_a_comment_and_odd_names_are_quoted() {
    let team =
        read_availability("engineer,week_of,days\n\"O'Neil \"\"Bo\"\"\",2026-03-02,mon\n").unwrap();
    let config = PolicyConfig::default();
    let milestone = entitle::schedule::Milestone::new(d("2026-03-02"), d("2026-03-03")).unwrap();
    let built = build(&milestone, &team, &config);
    let text = write_schedule(&built.schedule, &config);
    assert!(
        text.contains("2026-03-02 = \"O'Neil \\\"Bo\\\"\"  # Mon\n"),
        "{text}"
    );
    assert!(
        text.contains("# 2026-03-03 uncovered (Tue): nobody is assigned\n"),
        "{text}"
    );
    assert_eq!(read_schedule(&text).unwrap(), built.schedule);
}

#[test]
fn every_schedule_error_names_the_line_the_column_and_the_key() {
    let cases: [(&str, usize, usize, Option<&str>, &str); 7] = [
        (
            "to = 2026-03-13\n[days]\n",
            1,
            1,
            Some("from"),
            "missing field `from`",
        ),
        (
            "from = 2026-03-02\nto = 2026-03-13\nteam = 1\n",
            3,
            1,
            Some("team"),
            "unknown field `team`",
        ),
        (
            "from = 2026-03-02\nto = 2026-03-13\n[days]\n2026-03-02 = \"alice\"\n2026-3-03 = \"bob\"\n",
            5,
            1,
            Some("days.2026-3-03"),
            "is not a date",
        ),
        (
            "from = 2026-03-02\nto = 2026-03-13\n[days]\n2026-03-02 = \" alice\"\n",
            4,
            14,
            None,
            "white space",
        ),
        (
            "from = 2026-03-02\nto = 2026-02-13\n",
            2,
            6,
            Some("to"),
            "ends (2026-02-13) before it starts",
        ),
        (
            "from = \"2026-03-32\"\nto = 2026-03-13\n",
            1,
            8,
            None,
            "no such day",
        ),
        (
            "from = 2026-03-02\nto = 2026-03-13\n[days]\n2026-03-02 = \"a\"\n2026-03-02 = \"b\"\n",
            5,
            1,
            None,
            "duplicate key",
        ),
    ];
    for (text, line, column, field, says) in cases {
        let error = read_schedule(text).unwrap_err();
        assert_eq!(
            (error.line, error.column, error.field.as_deref()),
            (line, column, field),
            "{text:?}: {error}"
        );
        assert!(error.message.contains(says), "{text:?}: {error}");
    }
}
