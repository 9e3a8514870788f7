//! The files people edit for the monitoring schedule (spec 3.9): the
//! availability as CSV, the schedule as TOML. Strict readers: every error
//! names the line, the column and the field, and values are read with the
//! core's one reader per kind ([`crate::input`]: dates, names, weekdays).
//!
//! **Availability** (`availability.csv`), one row per engineer and week, as
//! a team collects it from a form or a spreadsheet:
//!
//! ```csv
//! engineer,week_of,days
//! alice,2026-03-02,all
//! bob,2026-03-02,mon tue wed
//! carol,2026-03-02,none
//! ```
//!
//! `week_of` is the week's Monday; `days` is `all`, `none` or weekday names
//! (`mon` .. `fri`, or in full, any case, separated by spaces or commas).
//! The header names the three columns, in any order; cells are trimmed;
//! lines starting with `#` are comments. A column in an error is the cell's
//! position in its row (1 is the first cell).
//!
//! **Schedule** (`schedule.toml`), the milestone's dates and one line per
//! workday, readable and diff-able in a merge request:
//!
//! ```toml
//! from = 2026-03-02
//! to = 2026-03-13
//!
//! [days]
//! 2026-03-02 = "alice"  # Mon
//! 2026-03-03 = "bob"    # Tue
//! # 2026-03-04 uncovered (Wed): nobody is assigned
//! ```
//!
//! A workday left out is unassigned (`entitle schedule check` says whether
//! someone could take it). Dates may be TOML dates or strings.

mod availability;
mod schedule;

pub use availability::{read_availability, write_availability};
pub use schedule::{read_schedule, write_schedule};

/// A schedule or availability file that cannot be read. Displays as one
/// line: `line 3, column 2 (week_of): PROBLEM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}{}: {message}", field.as_deref().map(|f| format!(" ({f})")).unwrap_or_default())]
pub struct FileError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column: the cell of a CSV row, the character of a TOML line.
    pub column: usize,
    /// The field: a CSV column's name (`week_of`), a TOML key (`from`,
    /// `days.2026-03-02`); `None` for a problem of the file's shape.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    fn new(line: usize, column: usize, field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            line,
            column,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}
