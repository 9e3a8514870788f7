//! The time rules of the policy spec (section 1), as small pure functions.
//!
//! Instants are [`DateTime<Utc>`]; calendar questions ("what day is today",
//! "is it a weekend") are answered in the configured support time zone,
//! [`PolicyConfig::timezone`]. A date `D` begins at 00:00 of `D` in that zone
//! ([`start_of`]): if local midnight does not exist (a DST gap), at the first
//! instant of `D`; if it happens twice, at the earlier one.
//!
//! Every rule that depends on `now` returns a [`Timed`] value whose `until` is
//! exact: the earliest instant strictly after `now` at which the same rule,
//! with the same facts and configuration, answers differently (or `None` if it
//! never will). The engine turns these into a decision's `stable_until`.
//!
//! Nothing here panics: date arithmetic is checked and saturates at the ends
//! of the calendar ([`NaiveDate::MIN`], [`NaiveDate::MAX`]), and instants
//! saturate at the ends of [`DateTime<Utc>`].
//!
//! # How "until" stays exact in every time zone
//!
//! Local dates normally move forward one at a time, but the tz database has
//! zones where they do not: a date can be skipped (Samoa, 2011-12-30), repeated
//! (Kwajalein 1969), or briefly revisited (St. John's fell back from 00:01 to
//! 23:01 from 1987 to 2006). The rules below are all functions of the local
//! date, so "until" is computed by following the actual changes of the local
//! date ([`today`]), jumping ahead through long stretches where no change is
//! possible. This is exact as long as a zone never changes its UTC offset and
//! changes it back within one day, which the tz database never does.

use chrono::{
    DateTime, Datelike, Days, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime,
    Offset, TimeDelta, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use crate::config::PolicyConfig;
use crate::domain::License;
use crate::graph::{Context, LazyTimed, Until};
use crate::policy::PolicyContext;

pub use crate::graph::Timed;

/// Upper bound on the steps of the date walks below. They take a handful of
/// steps in any real zone; the bound only guarantees termination.
const MAX_STEPS: usize = 64;

// ---------------------------------------------------------------------------
// Calendar primitives
// ---------------------------------------------------------------------------

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
fn offset_secs(instant: DateTime<Utc>, tz: Tz) -> i32 {
    match fixed_offset(tz) {
        Some(secs) => secs,
        None => tz
            .offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc(),
    }
}

/// The UTC offset of `tz` at `instant`.
fn offset_at(instant: DateTime<Utc>, tz: Tz) -> FixedOffset {
    FixedOffset::east_opt(offset_secs(instant, tz)).unwrap_or(Utc.fix())
}

/// The local wall-clock time of `instant` in `tz`, saturating at the ends of
/// the calendar (chrono's own conversion panics there).
fn local_datetime(instant: DateTime<Utc>, tz: Tz) -> NaiveDateTime {
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
fn date_at(instant: DateTime<Utc>, offset: i32) -> NaiveDate {
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
/// once per decision and kept in its [`Context`] (every time rule of the
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
fn instant_at(secs: i64) -> DateTime<Utc> {
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
fn first_instant_showing(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
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
fn first_offset_change(
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
fn next_date_change(now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
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
fn fixed_start_of(date: NaiveDate, offset: i32) -> Option<DateTime<Utc>> {
    let offset = FixedOffset::east_opt(offset)?;
    let midnight = date.and_time(NaiveTime::MIN).checked_sub_offset(offset)?;
    Some(Utc.from_utc_datetime(&midnight))
}

/// An inclusive range of dates; `None` is unbounded on that side.
#[derive(Debug, Clone, Copy)]
struct DateRange {
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
}

impl DateRange {
    fn contains(self, date: NaiveDate) -> bool {
        self.first.is_none_or(|first| first <= date) && self.last.is_none_or(|last| date <= last)
    }
}

/// The first instant strictly after `now` at which the local date in `tz`
/// leaves `range` (which holds the local date at `now`), or `None` if it never
/// does.
///
/// Walks the changes of the local date, except that it jumps straight to the
/// day before `range.last` when the date is at least two days past
/// `range.first`: a local date never steps back by more than one day, so the
/// range cannot be left in between.
fn first_instant_outside(now: DateTime<Utc>, tz: Tz, range: DateRange) -> Option<DateTime<Utc>> {
    if let Some(offset) = fixed_offset(tz) {
        // The date only ever steps forward, one day at each midnight.
        return fixed_start_of(range.last?.succ_opt()?, offset);
    }
    let mut t = now;
    let mut jumped = false;
    for _ in 0..MAX_STEPS {
        let date = local_date(t, tz);
        let clear_of_first = range.first.is_none_or(|first| {
            first
                .checked_add_days(Days::new(2))
                .is_some_and(|safe| date >= safe)
        });
        if clear_of_first {
            // Past `first`, only reaching `last` can leave the range.
            let last = range.last?;
            if !jumped {
                if let Some(target) = last.pred_opt().filter(|target| date < *target) {
                    let jump = start_of(target, tz);
                    if jump > t {
                        jumped = true;
                        t = jump;
                        if !range.contains(local_date(jump, tz)) {
                            return Some(jump);
                        }
                        continue;
                    }
                }
            }
        }
        let change = next_date_change(t, tz)?;
        if !range.contains(local_date(change, tz)) {
            return Some(change);
        }
        t = change;
    }
    // Unreachable for the tz database; an early answer is the safe one.
    next_date_change(t, tz)
}

/// The first instant after `now` at which `rule`, a function of the local
/// date, stops answering `value` (its answer on `today`, the local date at
/// `now`): exact.
///
/// `breakpoints` must hold every date `d` at which `rule(d)` may differ from
/// `rule(d - 1)`; `None` entries (dates past the end of the calendar) are
/// ignored.
fn until_by_date<T: Copy + PartialEq>(
    now: DateTime<Utc>,
    tz: Tz,
    today: NaiveDate,
    value: T,
    breakpoints: &mut [Option<NaiveDate>],
    rule: impl Fn(NaiveDate) -> T,
) -> Option<DateTime<Utc>> {
    breakpoints.sort_unstable();
    let dates = || breakpoints.iter().flatten().copied();
    // The value holds on [first, last], a run between breakpoints.
    let last = dates()
        .filter(|b| *b > today)
        .find(|b| rule(*b) != value)
        .and_then(|b| b.pred_opt());
    let first = dates()
        .rev()
        .filter(|b| *b <= today)
        .find(|b| b.pred_opt().is_some_and(|before| rule(before) != value));
    first_instant_outside(now, tz, DateRange { first, last })
}

/// Evaluates `rule` on today's local date (read from the decision's
/// [`LocalNow`]); its exact change instant is computed only when asked for.
///
/// `breakpoints` gives every date at which `rule` may change (see
/// [`until_by_date`]); it is only called for the change instant.
#[inline(always)]
fn by_date<'c, T: Copy + PartialEq + 'c, const N: usize>(
    cx: &'c PolicyContext<'_>,
    breakpoints: impl FnOnce(NaiveDate) -> [Option<NaiveDate>; N] + 'c,
    rule: impl Fn(NaiveDate) -> T + 'c,
) -> LazyTimed<T, impl Until + 'c> {
    let today = local_now(cx).today;
    let value = rule(today);
    LazyTimed::new(value, move || {
        until_by_date(
            cx.now,
            cx.config.timezone,
            today,
            value,
            &mut breakpoints(today),
            rule,
        )
    })
}

/// `date + days`, or `None` past the end of the calendar.
fn add_days(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}

// ---------------------------------------------------------------------------
// Today, weekends, workdays
// ---------------------------------------------------------------------------

/// Today's date in the support time zone (spec 1: calendar questions are
/// answered in `timezone`), until the next local midnight.
pub fn today(now: DateTime<Utc>, config: &PolicyConfig) -> Timed<NaiveDate> {
    today_at(&Context::new(now, config)).timed()
}

/// [`today`] for a decision: the date now, the next local midnight only when
/// asked for.
#[inline]
pub fn today_at<'c>(cx: &'c PolicyContext<'_>) -> LazyTimed<NaiveDate, impl Until + 'c> {
    LazyTimed::new(local_now(cx).today, move || {
        next_date_change(cx.now, cx.config.timezone)
    })
}

/// Whole days from today (in the support time zone) to `date`: positive in
/// the future, zero today, negative in the past. For outcome details ("grace
/// ends in 3 days", "expired 2 days ago"); changes at every local midnight.
pub fn days_from_today(date: NaiveDate, now: DateTime<Utc>, config: &PolicyConfig) -> Timed<i64> {
    today(now, config).map(|today| date.signed_duration_since(today).num_days())
}

/// Whether `date` is a Saturday or a Sunday (spec 1, "Weekend").
pub fn is_weekend_date(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Whether `now` falls on a weekend in the support time zone (spec 1:
/// "Saturday or Sunday of `now` in the support time zone"). Holds until the
/// next Saturday 00:00 on a weekday, the next Monday 00:00 on a weekend.
pub fn is_weekend(now: DateTime<Utc>, config: &PolicyConfig) -> Timed<bool> {
    is_weekend_at(&Context::new(now, config)).timed()
}

/// [`is_weekend`] for a decision, its change instant computed only when
/// asked for.
#[inline]
pub fn is_weekend_at<'c>(cx: &'c PolicyContext<'_>) -> LazyTimed<bool, impl Until + 'c> {
    by_date(
        cx,
        |today| {
            let from_monday = i64::from(today.weekday().num_days_from_monday());
            // Each from today, so that Saturday and next Monday exist even
            // when this week's Monday lies before the start of the calendar.
            let shift = |days: i64| today.checked_add_signed(TimeDelta::days(days));
            [
                shift(-from_monday),
                shift(5 - from_monday),
                shift(7 - from_monday),
            ]
        },
        is_weekend_date,
    )
}

/// Whether `date` is a workday (spec 1, "Workday"): not a Saturday or Sunday
/// and not one of `company_holidays`.
pub fn is_workday(date: NaiveDate, config: &PolicyConfig) -> bool {
    !is_weekend_date(date) && !config.company_holidays.contains(&date)
}

/// The first workday on or after `date` (spec 3.8: weekends and
/// `company_holidays` roll forward to the next workday).
///
/// Always terminates: the holiday list is finite, so a workday comes within
/// `3 * holidays + 3` days. Saturates at [`NaiveDate::MAX`] if the calendar
/// ends first.
pub fn next_workday_on_or_after(date: NaiveDate, config: &PolicyConfig) -> NaiveDate {
    let mut day = date;
    while !is_workday(day, config) {
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    day
}

/// The date on which a provision failure is reviewed (spec 3.8, `review_on`):
/// the failure's date in the support time zone if it is a workday, else the
/// next workday (weekends and `company_holidays` roll forward).
pub fn review_on(occurred_at: DateTime<Utc>, config: &PolicyConfig) -> NaiveDate {
    next_workday_on_or_after(local_date(occurred_at, config.timezone), config)
}

// ---------------------------------------------------------------------------
// License dates and states
// ---------------------------------------------------------------------------

/// Exact grace end: `None` when it lies past the end of the calendar.
fn grace_end(license: &License, config: &PolicyConfig) -> Option<NaiveDate> {
    if license.trial {
        Some(license.expires_on)
    } else {
        add_days(license.expires_on, config.grace_period_days)
    }
}

/// Exact last day of the emergency window: `None` past the end of the calendar.
fn window_end(license: &License, config: &PolicyConfig) -> Option<NaiveDate> {
    grace_end(license, config).and_then(|end| add_days(end, config.emergency_window_days))
}

/// The date on which the grace period ends (spec 1): `expires_on +
/// grace_period_days` for a paid license; `expires_on` for a trial, which has
/// no grace period. The license is in grace on `expires_on ..
/// grace_ends_on` (end exclusive). Saturates at [`NaiveDate::MAX`].
pub fn grace_ends_on(license: &License, config: &PolicyConfig) -> NaiveDate {
    grace_end(license, config).unwrap_or(NaiveDate::MAX)
}

/// The last date inside the emergency window (spec 1): `grace_ends_on +
/// emergency_window_days`. Saturates at [`NaiveDate::MAX`].
pub fn emergency_window_ends_on(license: &License, config: &PolicyConfig) -> NaiveDate {
    window_end(license, config).unwrap_or(NaiveDate::MAX)
}

crate::answers! {
    /// Where a license is in its life (spec 1 and 3.1), on a given date.
    ///
    /// Ordered by lifecycle: a paid license moves through `not-started`,
    /// `active`, `in-grace-period`, `grace-ended-recently`, `lapsed`; a trial
    /// through `not-started`, `trial-active`, `trial-expired`.
    #[derive(serde::Serialize, serde::Deserialize, PartialOrd, Ord)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum LicenseState {
        /// Today is before `starts_on` (a license starting today has started).
        NotStarted => "not-started",
        /// Paid, and today is before `expires_on`.
        Active => "active",
        /// Paid, and `expires_on <= today < grace_ends_on`.
        InGracePeriod => "in-grace-period",
        /// Paid, and `0 <= today - grace_ends_on <= emergency_window_days`.
        GraceEndedRecently => "grace-ended-recently",
        /// Paid, and the grace period ended more than `emergency_window_days` ago.
        Lapsed => "lapsed",
        /// A trial, and today is before `expires_on`.
        TrialActive => "trial-active",
        /// A trial, and today is on or after `expires_on`.
        TrialExpired => "trial-expired",
    }
}

/// The state of `license` on the date `today` (spec 1 and 3.1). The first
/// matching rule wins: `today < starts_on` is `not-started` whatever the
/// other dates say.
pub fn license_state_on(
    license: &License,
    today: NaiveDate,
    config: &PolicyConfig,
) -> LicenseState {
    let before = |end: Option<NaiveDate>| end.is_none_or(|end| today < end);
    if today < license.starts_on {
        LicenseState::NotStarted
    } else if license.trial {
        if today < license.expires_on {
            LicenseState::TrialActive
        } else {
            LicenseState::TrialExpired
        }
    } else if today < license.expires_on {
        LicenseState::Active
    } else if before(grace_end(license, config)) {
        LicenseState::InGracePeriod
    } else if window_end(license, config).is_none_or(|last| today <= last) {
        LicenseState::GraceEndedRecently
    } else {
        LicenseState::Lapsed
    }
}

/// Every date at which a date rule about `license` may change.
fn license_breakpoints(license: &License, config: &PolicyConfig) -> [Option<NaiveDate>; 4] {
    [
        Some(license.starts_on),
        Some(license.expires_on),
        grace_end(license, config),
        window_end(license, config).and_then(|last| last.succ_opt()),
    ]
}

/// Evaluates a rule about `license` on today's date; its exact change
/// instant is computed only when asked for.
#[inline(always)]
fn license_rule<'c, T: Copy + PartialEq + 'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
    rule: impl Fn(&License, NaiveDate, &PolicyConfig) -> T + 'c,
) -> LazyTimed<T, impl Until + 'c> {
    let config = cx.config;
    by_date(
        cx,
        move |_| license_breakpoints(license, config),
        move |today| rule(license, today, config),
    )
}

/// Declares a rule twice over: `$name(license, now, config) -> Timed<T>`,
/// and `$at(license, cx)` for a decision, whose change instant is computed
/// only when asked for. Both are the same rule of the date: the first is the
/// second with the change instant computed.
///
/// Each rule is written as the shortest test of the dates that gives the
/// answer [`license_state_on`] implies (so the answer alone costs a
/// comparison or two); a property test checks each against it.
macro_rules! license_rules {
    ($(
        $(#[$doc:meta])*
        $name:ident / $at:ident -> $t:ty = $rule:expr;
    )+) => {$(
        $(#[$doc])*
        pub fn $name(license: &License, now: DateTime<Utc>, config: &PolicyConfig) -> Timed<$t> {
            $at(license, &Context::new(now, config)).timed()
        }

        #[doc = concat!("[`", stringify!($name), "`] for a decision, its change instant computed only when asked for.")]
        #[inline]
        pub fn $at<'c>(license: &'c License, cx: &'c PolicyContext<'_>) -> LazyTimed<$t, impl Until + 'c> {
            license_rule(license, cx, $rule)
        }
    )+};
}

/// Whether `today` is before the end of grace (always, if it lies past the
/// end of the calendar). For a trial, the end of grace is its expiry.
#[inline]
fn before_grace_end(license: &License, today: NaiveDate, config: &PolicyConfig) -> bool {
    today < license.expires_on || grace_end(license, config).is_none_or(|end| today < end)
}

license_rules! {
    /// The state of `license` at `now` (spec 1 and 3.1), until the start of the
    /// next date on which it changes (e.g. an active license is stable until the
    /// start of `expires_on`; one in grace until the start of `grace_ends_on`).
    license_state / license_state_at -> LicenseState = license_state_on;

    /// Whether the license has started (spec 1: a license whose start date is
    /// today has started, so `today >= starts_on`), until the start of
    /// `starts_on` when it has not. (Every state but `not-started`.)
    has_started / has_started_at -> bool = |license, today, _| today >= license.starts_on;

    /// Whether the license has expired (spec 1: expired from the start of
    /// `expires_on`; `today >= expires_on`). A license that has not started yet
    /// has not expired. (`in-grace-period`, `grace-ended-recently`, `lapsed`,
    /// `trial-expired`.)
    is_expired / is_expired_at -> bool = |license, today, _| {
        today >= license.starts_on && today >= license.expires_on
    };

    /// Whether a paid license is in its grace period (spec 1: `expires_on <=
    /// today < grace_ends_on`). Always false for a trial, which has no grace period.
    is_in_grace_period / is_in_grace_period_at -> bool = |license, today, config| {
        !license.trial
            && today >= license.starts_on
            && today >= license.expires_on
            && before_grace_end(license, today, config)
    };

    /// Whether the license has not lapsed yet: it is still active or in grace
    /// (spec 3.2 step 3, outcome `not-lapsed`): `today < grace_ends_on`.
    ///
    /// A trial has no grace period, so this is true while the trial is active.
    /// A license that has not started yet has not lapsed either, so it counts
    /// (an emergency license is for a license that ran out, not one still to come).
    /// (`not-started`, `active`, `in-grace-period`, `trial-active`.)
    is_active_or_in_grace / is_active_or_in_grace_at -> bool = |license, today, config| {
        today < license.starts_on || before_grace_end(license, today, config)
    };
}

/// Whether the grace period ended within the emergency window (spec 1:
/// `0 <= today - grace_ends_on <= emergency_window_days`, inclusive).
///
/// A trial has no grace period: its grace "ended" when it expired, so the
/// window counts from `expires_on` (day 0 is the expiry date).
pub fn grace_ended_within_window(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    grace_ended_within_window_at(license, &Context::new(now, config)).timed()
}

/// [`grace_ended_within_window`] for a decision, its change instant computed
/// only when asked for.
#[inline]
pub fn grace_ended_within_window_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let config = cx.config;
    let rule = move |today: NaiveDate| {
        today >= license.starts_on
            && grace_end(license, config).is_some_and(|start| start <= today)
            && window_end(license, config).is_none_or(|last| today <= last)
    };
    by_date(cx, move |_| license_breakpoints(license, config), rule)
}

/// Whether the grace period ended more than `emergency_window_days` ago
/// (spec 3.2 step 4, outcome `outside-emergency-window`): `today -
/// grace_ends_on > emergency_window_days`. For a trial the window counts from
/// `expires_on` (see [`grace_ended_within_window`]).
///
/// Exactly the complement of [`is_active_or_in_grace`] and
/// [`grace_ended_within_window`] for a license that has started.
pub fn grace_ended_outside_window(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    grace_ended_outside_window_at(license, &Context::new(now, config)).timed()
}

/// [`grace_ended_outside_window`] for a decision, its change instant computed
/// only when asked for.
#[inline]
pub fn grace_ended_outside_window_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let config = cx.config;
    let rule = move |today: NaiveDate| {
        today >= license.starts_on && window_end(license, config).is_some_and(|last| today > last)
    };
    by_date(cx, move |_| license_breakpoints(license, config), rule)
}

// ---------------------------------------------------------------------------
// Deadlines and hours remaining
// ---------------------------------------------------------------------------

/// The deadline of `license` at `now` (spec 1): the start of `grace_ends_on`
/// once a paid license has expired (in grace, and also after grace ended, so
/// the deadline never moves backwards); otherwise the start of `expires_on`
/// (an active or not-started license, and any trial). Changes at most once:
/// at the start of `expires_on` for a paid license with a grace period.
pub fn deadline(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<DateTime<Utc>> {
    deadline_at(license, &Context::new(now, config)).timed()
}

/// [`deadline`] for a decision, its change instant computed only when asked
/// for.
#[inline]
pub fn deadline_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<DateTime<Utc>, impl Until + 'c> {
    let tz = cx.config.timezone;
    let today = local_now(cx).today;
    let at_grace_end = move || {
        grace_end(license, cx.config).map_or(DateTime::<Utc>::MAX_UTC, |end| start_of(end, tz))
    };
    let expired = !license.trial && today >= license.expires_on;
    // Once expired, the end of grace (the expiry itself without a grace period).
    let value = if expired {
        at_grace_end()
    } else {
        start_of(license.expires_on, tz)
    };
    LazyTimed::new(value, move || {
        let at_expiry = start_of(license.expires_on, tz);
        if license.trial || at_grace_end() == at_expiry {
            return None;
        }
        until_by_date(
            cx.now,
            tz,
            today,
            expired,
            &mut [Some(license.expires_on)],
            |today| today >= license.expires_on,
        )
    })
}

/// Time left until the [`deadline`] (negative once it has passed), for trace
/// details.
pub fn remaining(license: &License, now: DateTime<Utc>, config: &PolicyConfig) -> TimeDelta {
    deadline(license, now, config)
        .value
        .signed_duration_since(now)
}

/// Whether more than `escalation_threshold_hours` remain until the
/// [`deadline`] (spec 1: `deadline - now > escalation_threshold_hours`,
/// strictly: exactly 24 h is not more than 24 h).
///
/// `until` accounts for the deadline moving: a paid license that is active
/// with under 24 h left answers false, then true again at expiry when the
/// deadline becomes the end of grace (if the grace period is longer than the
/// threshold), and false again 24 h before the end of grace.
pub fn more_than_hours_remaining(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    more_than_hours_remaining_at(license, &Context::new(now, config)).timed()
}

/// [`more_than_hours_remaining`] for a decision, its change instant computed
/// only when asked for.
#[inline]
pub fn more_than_hours_remaining_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let config = cx.config;
    let threshold = TimeDelta::try_hours(i64::from(config.escalation_threshold_hours))
        .unwrap_or(TimeDelta::MAX);
    let above = move |deadline: DateTime<Utc>, at: DateTime<Utc>| {
        deadline.signed_duration_since(at) > threshold
    };
    let value = above(deadline_at(license, cx).value(), cx.now);
    LazyTimed::new(value, move || {
        let mut t = cx.now;
        for _ in 0..MAX_STEPS {
            let phase = deadline(license, t, config);
            if above(phase.value, t) != value {
                return Some(t);
            }
            // Within this phase the answer can only go from true to false, at
            // `deadline - threshold`.
            if value {
                if let Some(flip) = phase.value.checked_sub_signed(threshold) {
                    if phase.until.is_none_or(|end| flip < end) {
                        return Some(flip);
                    }
                }
            }
            match phase.until {
                Some(end) => t = end,
                None => return None,
            }
        }
        // Unreachable: the deadline changes at most twice.
        Some(t)
    })
}

// ---------------------------------------------------------------------------
// Seat Link
// ---------------------------------------------------------------------------

/// Whether a Seat Link report is dated today in the support time zone (spec
/// 3.3 step 5: "a Seat Link report dated today"). Holds until the local date
/// reaches a day whose answer differs (e.g. midnight, unless tomorrow also has
/// a report).
pub fn has_report_on_today(
    dates: &[NaiveDate],
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    has_report_on_today_at(dates, &Context::new(now, config)).timed()
}

/// [`has_report_on_today`] for a decision, its change instant computed only
/// when asked for.
#[inline]
pub fn has_report_on_today_at<'c>(
    dates: &'c [NaiveDate],
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let today = local_now(cx).today;
    let value = dates.contains(&today);
    LazyTimed::new(value, move || {
        let range = if value {
            // The run of consecutive report dates around today.
            let mut first = today;
            while let Some(before) = first.pred_opt().filter(|d| dates.contains(d)) {
                first = before;
            }
            let mut last = today;
            while let Some(after) = last.succ_opt().filter(|d| dates.contains(d)) {
                last = after;
            }
            DateRange {
                first: Some(first),
                last: Some(last),
            }
        } else {
            // The gap between the report dates around today.
            let before = dates.iter().filter(|d| **d < today).max();
            let after = dates.iter().filter(|d| **d > today).min();
            DateRange {
                first: before.and_then(|d| d.succ_opt()),
                last: after.and_then(|d| d.pred_opt()),
            }
        };
        first_instant_outside(cx.now, cx.config.timezone, range)
    })
}

#[cfg(test)]
mod tests {

    use super::*;

    /// Every zone the fixed-offset table names has exactly that offset in
    /// chrono-tz, from the start to the end of its data and beyond.
    #[test]
    fn fixed_zones_have_their_offset_in_chrono_tz() {
        let mut fixed = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            let Some(offset) = fixed_offset(tz) else {
                continue;
            };
            fixed += 1;
            for year in (-3000..=3000).step_by(7) {
                for month in [1, 4, 7, 10] {
                    let at = NaiveDate::from_ymd_opt(year, month, 15)
                        .unwrap()
                        .and_time(NaiveTime::MIN)
                        .and_utc();
                    let actual = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
                    assert_eq!(actual.local_minus_utc(), offset, "{tz} in {year}-{month}");
                }
            }
        }
        // UTC, its 17 aliases and the 26 Etc/GMT±N zones.
        assert_eq!(fixed, 44);
    }
}
