//! `availability.csv`: `engineer,week_of,days`.

use std::collections::HashMap;

use entitle_core::input::parse_date;
use entitle_core::schedule::{Availability, AvailabilityError, Engineer, Weekdays};

use super::FileError;

/// The columns, in the order [`write_availability`] writes them.
const COLUMNS: [&str; 3] = ["engineer", "week_of", "days"];

/// Reads an availability CSV (see [the module](super)). Refused, naming
/// the line, the column and the field: a header without exactly the columns
/// `engineer`, `week_of` and `days`; a row with another number of cells; a
/// name that is not a short text; a `week_of` that is not a strict date or
/// not a Monday; `days` that are not `all`, `none` or weekday names; a week
/// given twice for one engineer; a file without rows.
pub fn read_availability(text: &str) -> Result<Availability, FileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    // The csv crate's record offset can point at blank or comment lines
    // before the record: skip them.
    let line_of = |position: Option<&csv::Position>| {
        let mut byte = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        while let Some(rest) = text.get(byte..) {
            let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest.get(..end).unwrap_or_default().trim();
            if end == 0 || !(line.is_empty() || line.starts_with('#')) {
                break;
            }
            byte += end;
        }
        super::line_column(text, byte).0
    };
    let headers = reader
        .headers()
        .map_err(|e| csv_error(&e, None, line_of(e.position())))?
        .clone();
    let header_line = line_of(headers.position());
    let mut at: [usize; 3] = [0; 3];
    for (i, header) in headers.iter().enumerate() {
        let Some(slot) = COLUMNS.iter().position(|c| *c == header) else {
            return Err(FileError::new(
                header_line,
                i + 1,
                Some(header),
                format!(
                    "unknown column `{header}`; the header must name engineer, week_of and days"
                ),
            ));
        };
        if let Some(seen) = at.get_mut(slot) {
            if *seen != 0 {
                return Err(FileError::new(
                    header_line,
                    i + 1,
                    Some(header),
                    format!("the column `{header}` is named twice"),
                ));
            }
            *seen = i + 1;
        }
    }
    if let Some((missing, _)) = COLUMNS.iter().zip(at).find(|(_, i)| *i == 0) {
        return Err(FileError::new(
            header_line,
            headers.len() + 1,
            Some(missing),
            format!("the header has no `{missing}` column (expected engineer,week_of,days)"),
        ));
    }
    let [engineer_at, week_at, days_at] = at;
    let mut availability = Availability::new();
    let mut first_seen: HashMap<(Engineer, chrono::NaiveDate), usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(&e, Some(headers.len()), line_of(e.position()))),
        }
        rows += 1;
        let line = line_of(record.position());
        let cell = |column: usize| record.get(column - 1).unwrap_or_default();
        let error = |column: usize, message: String| {
            FileError::new(
                line,
                column,
                COLUMNS.get(slot_of(&at, column)).copied(),
                message,
            )
        };
        let engineer =
            Engineer::new(cell(engineer_at)).map_err(|e| error(engineer_at, e.to_string()))?;
        let week_of = parse_date(cell(week_at)).map_err(|e| error(week_at, e.to_string()))?;
        let days = Weekdays::parse(cell(days_at)).map_err(|e| error(days_at, e.to_string()))?;
        match availability.insert(engineer.clone(), week_of, days) {
            Ok(()) => {
                first_seen.insert((engineer, week_of), line);
            }
            Err(e @ AvailabilityError::Duplicate { .. }) => {
                let first = first_seen.get(&(engineer, week_of)).copied().unwrap_or(0);
                return Err(error(week_at, format!("{e} (line {first})")));
            }
            Err(e) => return Err(error(week_at, e.to_string())),
        }
    }
    if rows == 0 {
        return Err(FileError::new(
            header_line,
            1,
            None,
            "the file holds no availability (no row after the header)",
        ));
    }
    Ok(availability)
}

/// Which of [`COLUMNS`] is at 1-based `column`.
fn slot_of(at: &[usize; 3], column: usize) -> usize {
    at.iter().position(|c| *c == column).unwrap_or(usize::MAX)
}

/// A CSV error at `line` (counted from the byte offset: the csv crate's own
/// line count skips blank and comment lines).
fn csv_error(e: &csv::Error, header_len: Option<usize>, line: usize) -> FileError {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => FileError::new(
            line,
            (*len).min(*expected_len) as usize + 1,
            None,
            format!(
                "{len} cells, but the header has {}",
                header_len.unwrap_or(*expected_len as usize)
            ),
        ),
        csv::ErrorKind::Utf8 { err, .. } => {
            FileError::new(line, err.field() + 1, None, "not UTF-8 text")
        }
        _ => FileError::new(line, 1, None, e.to_string()),
    }
}

/// The availability as CSV, one row per engineer and week given (by
/// engineer, then week): what [`read_availability`] reads back.
pub fn write_availability(availability: &Availability) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<[String; 3]> = vec![COLUMNS.map(str::to_owned)];
    rows.extend(availability.rows().map(|(engineer, week_of, days)| {
        [engineer.to_string(), week_of.to_string(), days.to_string()]
    }));
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    writer
        .into_inner()
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}
