//! UTC offsets, local dates and the instants local dates begin.

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::policy::PolicyContext;

use super::*;

/// The UTC offset in seconds of a zone that has only ever had one: UTC and
/// its aliases, and the `Etc/GMT±N` zones (POSIX signs: `Etc/GMT+5` is five
/// hours *behind* UTC). `None` for every other zone. These zones skip
/// chrono-tz entirely; a test checks each against it.
#[inline]
pub(crate) fn fixed_offset(tz: Tz) -> Option<i32> {
    const H: i32 = 3_600;
    if tz == Tz::UTC {
        return Some(0);
    }
    Some(match tz {
        Tz::UTC
        | Tz::UCT
        | Tz::Universal
        | Tz::Zulu
        | Tz::GMT
        | Tz::GMT0
        | Tz::GMTPlus0
        | Tz::GMTMinus0
        | Tz::Greenwich
        | Tz::Etc__UTC
        | Tz::Etc__UCT
        | Tz::Etc__Universal
        | Tz::Etc__Zulu
        | Tz::Etc__GMT
        | Tz::Etc__GMT0
        | Tz::Etc__GMTPlus0
        | Tz::Etc__GMTMinus0
        | Tz::Etc__Greenwich => 0,
        Tz::Etc__GMTPlus1 => -H,
        Tz::Etc__GMTPlus2 => -2 * H,
        Tz::Etc__GMTPlus3 => -3 * H,
        Tz::Etc__GMTPlus4 => -4 * H,
        Tz::Etc__GMTPlus5 => -5 * H,
        Tz::Etc__GMTPlus6 => -6 * H,
        Tz::Etc__GMTPlus7 => -7 * H,
        Tz::Etc__GMTPlus8 => -8 * H,
        Tz::Etc__GMTPlus9 => -9 * H,
        Tz::Etc__GMTPlus10 => -10 * H,
        Tz::Etc__GMTPlus11 => -11 * H,
        Tz::Etc__GMTPlus12 => -12 * H,
        Tz::Etc__GMTMinus1 => H,
        Tz::Etc__GMTMinus2 => 2 * H,
        Tz::Etc__GMTMinus3 => 3 * H,
        Tz::Etc__GMTMinus4 => 4 * H,
        Tz::Etc__GMTMinus5 => 5 * H,
        Tz::Etc__GMTMinus6 => 6 * H,
        Tz::Etc__GMTMinus7 => 7 * H,
        Tz::Etc__GMTMinus8 => 8 * H,
        Tz::Etc__GMTMinus9 => 9 * H,
        Tz::Etc__GMTMinus10 => 10 * H,
        Tz::Etc__GMTMinus11 => 11 * H,
        Tz::Etc__GMTMinus12 => 12 * H,
        Tz::Etc__GMTMinus13 => 13 * H,
        Tz::Etc__GMTMinus14 => 14 * H,
        _ => return None,
    })
}

/// The UTC offset of `tz` at `instant` in seconds: constant for a fixed
/// zone, looked up in chrono-tz otherwise.
#[inline]
pub(super) fn offset_secs(instant: DateTime<Utc>, tz: Tz) -> i32 {
    match fixed_offset(tz) {
        Some(secs) => secs,
        None => tz
            .offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc(),
    }
}

/// The UTC offset of `tz` at `instant`.
pub(super) fn offset_at(instant: DateTime<Utc>, tz: Tz) -> FixedOffset {
    FixedOffset::east_opt(offset_secs(instant, tz)).unwrap_or(Utc.fix())
}

/// The local wall-clock time of `instant` in `tz`, saturating at the ends of
/// the calendar (chrono's own conversion panics there).
pub(super) fn local_datetime(instant: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
    let offset = offset_at(instant, tz);
    instant
        .naive_utc()
        .checked_add_offset(offset)
        .unwrap_or(if offset.local_minus_utc() > 0 {
            NaiveDateTime::MAX
        } else {
            NaiveDateTime::MIN
        })
}

/// The calendar date of `instant` in `tz` (spec 1: "today" is the date of
/// `now` in the support time zone). Saturates at the ends of the calendar.
pub fn local_date(instant: DateTime<Utc>, tz: Tz) -> NaiveDate {
    date_at(instant, offset_secs(instant, tz))
}

/// The calendar date of `instant` shifted by a UTC offset of `offset`
/// seconds, saturating at the ends of the calendar as [`local_datetime`]
/// does. The date only moves when the offset crosses a midnight, so this is
/// nearly free for UTC.
#[inline]
pub(super) fn date_at(instant: DateTime<Utc>, offset: i32) -> NaiveDate {
    let utc = instant.naive_utc();
    match FixedOffset::east_opt(offset) {
        Some(fixed) => utc.checked_add_offset(fixed).map_or(
            if offset > 0 {
                NaiveDate::MAX
            } else {
                NaiveDate::MIN
            },
            |local| local.date(),
        ),
        None => utc.date(),
    }
}

/// The wall clock at a decision's `now` in its support time zone, looked up
/// once per decision and kept in its [`Context`](crate::graph::Context) (every time rule of the
/// decision reads it from there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalNow {
    /// Today: the local date at `now`.
    pub today: NaiveDate,
    /// The UTC offset at `now`, in seconds.
    pub offset: i32,
    /// The instant this is the wall clock of.
    pub now: DateTime<Utc>,
    /// The zone this is the wall clock in.
    pub tz: Tz,
}

impl LocalNow {
    /// The wall clock at `now` in `tz`.
    pub fn of(now: DateTime<Utc>, tz: Tz) -> Self {
        let offset = offset_secs(now, tz);
        Self {
            today: date_at(now, offset),
            offset,
            now,
            tz,
        }
    }
}

/// The decision's wall clock in its support time zone, looked up at most
/// once per context.
#[inline]
pub fn local_now(cx: &PolicyContext<'_>) -> LocalNow {
    let tz = cx.config.timezone;
    match cx.local.get() {
        Some(local) if local.now == cx.now && local.tz == tz => local,
        _ => {
            let local = LocalNow::of(cx.now, tz);
            cx.local.set(Some(local));
            local
        }
    }
}

/// The instant `secs` seconds after the Unix epoch, clamped to the range of
/// [`DateTime<Utc>`].
pub(super) fn instant_at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The start of `date` in `tz` (spec 1: "a date D begins at 00:00 of D in the
/// support time zone").
///
/// If local midnight does not exist (a DST gap at midnight, or a date the zone
/// skipped entirely), this is the first instant whose local time is after
/// 00:00 of `date` (for a skipped date: the start of the next date shown). If
/// midnight happens twice, the earlier. Saturates at the ends of
/// [`DateTime<Utc>`].
pub fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(NaiveTime::MIN);
    if let Some(offset) = fixed_offset(tz) {
        return instant_at(midnight.and_utc().timestamp() - i64::from(offset));
    }
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(start) => start.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => first_instant_showing(midnight, tz),
    }
}

/// The first instant whose local time in `tz` is at or after `local`, looked
/// for within two days of `local` read as UTC (offsets are under a day).
pub(super) fn first_instant_showing(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    const TWO_DAYS: i64 = 2 * 86_400;
    let shows = |secs: i64| local_datetime(instant_at(secs), tz) >= local;
    let base = local.and_utc().timestamp();
    let min = DateTime::<Utc>::MIN_UTC.timestamp();
    let max = DateTime::<Utc>::MAX_UTC.timestamp();
    let mut lo = base.saturating_sub(TWO_DAYS).max(min);
    let mut hi = base.saturating_add(TWO_DAYS).min(max);
    if shows(lo) {
        return instant_at(lo);
    }
    if !shows(hi) {
        return DateTime::<Utc>::MAX_UTC;
    }
    // Invariant: !shows(lo) && shows(hi). Offsets are whole seconds.
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if shows(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    instant_at(hi)
}

/// The first instant in `(after, before]` at which the offset of `tz` is no
/// longer `offset`, given that it is `offset` at `after` and not at `before`.
pub(super) fn first_offset_change(
    after: DateTime<Utc>,
    before: DateTime<Utc>,
    offset: FixedOffset,
    tz: Tz,
) -> DateTime<Utc> {
    // Transitions happen on whole seconds, so the whole second at or below
    // `after` has the same offset as `after`.
    let mut lo = after.timestamp();
    let mut hi = before.timestamp();
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset_at(instant_at(mid), tz) == offset {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    instant_at(hi)
}

/// The first instant strictly after `now` at which the local date in `tz`
/// differs from the local date at `now`; `None` past the end of the calendar.
pub(super) fn next_date_change(now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let date = local_date(now, tz);
    if let Some(offset) = fixed_offset(tz) {
        return fixed_start_of(date.succ_opt()?, offset);
    }
    let next_midnight = date.succ_opt()?.and_time(NaiveTime::MIN);
    let mut t = now;
    let mut candidate = None;
    for _ in 0..MAX_STEPS {
        let offset = offset_at(t, tz);
        // When the clock would show the next midnight if the offset held.
        let at_midnight = Utc.from_utc_datetime(&next_midnight.checked_sub_offset(offset)?);
        candidate = Some(at_midnight);
        if offset_at(at_midnight, tz) == offset {
            return Some(at_midnight);
        }
        // The offset changes before then: the date changes at that transition
        // if the clock jumps to another date, else go on from there.
        let transition = first_offset_change(t, at_midnight, offset, tz);
        if local_date(transition, tz) != date {
            return Some(transition);
        }
        t = transition;
    }
    // Unreachable for the tz database; an early answer is the safe one.
    candidate
}

/// The start of `date` in a zone whose UTC offset is always `offset`
/// seconds, as [`next_date_change`] finds it: `None` past the end of
/// [`DateTime<Utc>`].
pub(super) fn fixed_start_of(date: NaiveDate, offset: i32) -> Option<DateTime<Utc>> {
    let offset = FixedOffset::east_opt(offset)?;
    let midnight = date.and_time(NaiveTime::MIN).checked_sub_offset(offset)?;
    Some(Utc.from_utc_datetime(&midnight))
}
