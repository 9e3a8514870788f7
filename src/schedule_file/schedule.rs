//! `schedule.toml`: the milestone's dates and date -> engineer.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use entitle_core::config::PolicyConfig;
use entitle_core::input::parse_date;
use entitle_core::schedule::{Assignments, Engineer, Milestone, Schedule};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

use super::{FileError, line_column};

/// A strict date, in TOML a native date or a string.
struct Date(NaiveDate);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        entitle_core::input::de::date(deserializer).map(Date)
    }
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    from: Spanned<Date>,
    to: Spanned<Date>,
    #[serde(default)]
    days: BTreeMap<Spanned<String>, Spanned<Engineer>>,
}

/// Reads a schedule file (see [the module](super)). Refused, naming the
/// line, the column and the key: TOML that does not parse, a missing
/// `from` or `to`, an unknown key, a date that is not strict, a milestone
/// that ends before it starts (or is longer than
/// [`MAX_MILESTONE_DAYS`](entitle_core::schedule::MAX_MILESTONE_DAYS)), an
/// engineer that is not a short text. Whether the days suit the
/// availability and the holidays is [`check`](entitle_core::schedule::check)'s
/// business.
pub fn read_schedule(text: &str) -> Result<Schedule, FileError> {
    let at = |span: std::ops::Range<usize>, field: Option<&str>, message: String| {
        let (line, column) = line_column(text, span.start);
        FileError::new(line, column, field, message)
    };
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end().replace('\n', " ");
        let field = field_of(&message);
        at(e.span().unwrap_or(0..0), field.as_deref(), message)
    })?;
    let milestone = Milestone::new(raw.from.get_ref().0, raw.to.get_ref().0)
        .map_err(|e| at(raw.to.span(), Some("to"), e.to_string()))?;
    let mut days = Assignments::new();
    for (key, engineer) in raw.days {
        let field = format!("days.{}", key.get_ref());
        let day =
            parse_date(key.get_ref()).map_err(|e| at(key.span(), Some(&field), e.to_string()))?;
        if days.insert(day, engineer.into_inner()).is_some() {
            return Err(at(
                key.span(),
                Some(&field),
                format!("{day} is given twice"),
            ));
        }
    }
    Ok(Schedule { milestone, days })
}

/// The key a TOML message names (`missing field `from``, `unknown field `x``).
fn field_of(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    rest.split_once('`').map(|(field, _)| field.to_owned())
}

/// The schedule as a file people edit: a header saying how, `from` and
/// `to`, then one line per workday of the milestone (`2026-03-02 = "alice"
/// # Mon`), a workday nobody is assigned to as a comment saying so.
/// Assigned days that are not workdays of the milestone (a hand edit) are
/// written too, so nothing is lost. [`read_schedule`] reads it back.
pub fn write_schedule(schedule: &Schedule, config: &PolicyConfig) -> String {
    let mut out = String::from(
        "# Provision failures monitoring schedule (entitle schedule build).\n\
         # One line per workday: date = \"engineer\". Weekends and company holidays are\n\
         # reviewed on the next workday by its engineer. Swap days as you need, then run\n\
         # `entitle schedule check` on this file.\n",
    );
    let milestone = &schedule.milestone;
    let _ = write!(
        out,
        "from = {}\nto = {}\n\n[days]\n",
        milestone.first(),
        milestone.last()
    );
    let mut lines: BTreeMap<NaiveDate, String> = BTreeMap::new();
    for day in milestone.workdays(config) {
        let weekday = day.format("%a");
        let line = match schedule.days.get(day) {
            Some(engineer) => format!("{day} = {}  # {weekday}", quoted(engineer)),
            None => format!("# {day} uncovered ({weekday}): nobody is assigned"),
        };
        lines.insert(day, line);
    }
    for (day, engineer) in schedule.days.iter() {
        lines
            .entry(day)
            .or_insert_with(|| format!("{day} = {}  # {}", quoted(engineer), day.format("%a")));
    }
    for line in lines.values() {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A name as a TOML basic string (`"O'Neil \"Bo\""`): a name holds no
/// control character, so only `\` and `"` need escaping.
fn quoted(engineer: &Engineer) -> String {
    format!(
        "\"{}\"",
        engineer.as_str().replace('\\', "\\\\").replace('"', "\\\"")
    )
}
