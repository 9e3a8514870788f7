//! The schedule as a calendar people read: one row per week.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, TimeDelta};

use super::Schedule;
use super::availability::monday_of;
use crate::config::PolicyConfig;
use crate::time::is_weekend_date;

/// What a calendar cell says of a day that has no engineer.
const WEEKEND: &str = "-";
const HOLIDAY: &str = "holiday";
const UNCOVERED: &str = "!! UNCOVERED";

/// The schedule as a text calendar: one row per week (from the Monday of
/// the milestone's first week), a column per weekday, each cell the day of
/// the month and the engineer; weekend days are `-` and company holidays
/// `holiday` (both covered on the next workday), a workday nobody is
/// assigned to is flagged `!! UNCOVERED`, and days outside the milestone are
/// blank. A legend follows.
///
/// ```text
/// week of     Mon          Tue          Wed          Thu          Fri          Sat   Sun
/// 2026-12-21  21 alice     22 bob       23 carol     24 holiday   25 holiday   26 -  27 -
/// ```
pub fn calendar(schedule: &Schedule, config: &PolicyConfig) -> String {
    let milestone = &schedule.milestone;
    let first_monday = monday_of(milestone.first());
    let mut rows: Vec<(NaiveDate, Vec<String>)> = Vec::new();
    let mut monday = first_monday;
    while monday <= milestone.last() {
        let mut cells = Vec::with_capacity(7);
        for offset in 0..7 {
            let Some(day) = monday.checked_add_signed(TimeDelta::days(offset)) else {
                cells.push(String::new());
                continue;
            };
            let what = if !milestone.contains(day) {
                cells.push(String::new());
                continue;
            } else if let Some(engineer) = schedule.days.get(day) {
                engineer.as_str()
            } else if is_weekend_date(day) {
                WEEKEND
            } else if config.company_holidays.contains(&day) {
                HOLIDAY
            } else {
                UNCOVERED
            };
            cells.push(format!("{:02} {what}", day.day()));
        }
        rows.push((monday, cells));
        match monday.checked_add_signed(TimeDelta::days(7)) {
            Some(next) => monday = next,
            None => break,
        }
    }
    let mut widths = [3usize; 7];
    for (_, cells) in &rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let _ = write!(out, "{:<10}", "week of");
    for (width, name) in widths
        .iter()
        .zip(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    {
        let _ = write!(out, "  {name:<width$}");
    }
    finish_line(&mut out);
    for (monday, cells) in &rows {
        let _ = write!(out, "{monday}");
        for (width, cell) in widths.iter().zip(cells) {
            let _ = write!(out, "  {cell:<width$}");
        }
        finish_line(&mut out);
    }
    let _ = writeln!(
        out,
        "\n{WEEKEND} weekend, holiday: covered on the next workday by its engineer; {UNCOVERED}: a workday nobody is assigned to"
    );
    out
}

/// Ends the line being written, without trailing spaces.
fn finish_line(out: &mut String) {
    let kept = out.trim_end_matches(' ').len();
    out.truncate(kept);
    out.push('\n');
}
