//! A long-running, seeded fuzzer for the facts parser and `evaluate`, for
//! every policy (nightly Rust, and so cargo-fuzz, is not needed).
//!
//! Two targets:
//!
//! - `parser`: arbitrary bytes, JSON-token soup, valid facts with byte-level
//!   mutations and valid facts with structure-aware mutations (values of the
//!   wrong type, hostile dates and numbers, unknown and missing fields, deep
//!   nesting, duplicate keys) go to [`entitle::decide_json`] and
//!   [`entitle::parse_facts`].
//! - `evaluate`: typed facts generated from each policy's JSON Schema (dates
//!   near `now`, on the license boundaries, or anywhere in the calendar), at
//!   instants near local midnight in any IANA zone, or anywhere in the range
//!   of `DateTime<Utc>`, under random configurations (some invalid) go to
//!   `evaluate`, `decide` and the plain table walk.
//!
//! Every case runs under `catch_unwind`; a panic, an untyped or unexpected
//! error, `evaluate` and `decide` disagreeing, a `stable_until` not after
//! `now` or not honest, a JSON round trip that changes the facts or the
//! decision, or a case slower than a second is a finding. Findings are
//! printed with the case seed that replays them (`--case`); the exit status
//! is 1 if there was any.
//!
//! ```sh
//! cargo run --release --example fuzz_facts -- --target parser --seconds 600 --seed 1
//! cargo run --release --example fuzz_facts -- --target evaluate --seconds 600 --seed 1
//! cargo run --release --example fuzz_facts -- --target evaluate --case 0x1234abcd
//! ```
//!
//! See `docs/fuzzing.md`.
#![expect(
    clippy::indexing_slicing,
    reason = "an example on its own fixed inputs: a panic is a broken example, reported at once"
)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use entitle::config::{
    MAX_EMERGENCY_WINDOW_DAYS, MAX_ESCALATION_THRESHOLD_HOURS, MAX_GRACE_PERIOD_DAYS, PolicyConfig,
    TEMPORARY_LICENSE_HARD_CAP_DAYS,
};
use entitle::graph::{Context, Step};
use entitle::policies::POLICIES;
use entitle::policy::{Outcome, PolicyError, PolicyVisitor, Registered, decide, evaluate};
use entitle::{DecideError, FactsError, decide_json, parse_facts, report_for};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// Randomness: SplitMix64, seeded per case so any case can be replayed alone.
// ---------------------------------------------------------------------------

/// A small, fast, seedable generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`0` when `n == 0`).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.wrapping_sub(lo) as u64;
        if span == u64::MAX {
            return self.next() as i64;
        }
        lo.wrapping_add(self.below(span + 1) as i64)
    }

    /// True with probability `1 / n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// The seed of case `index` of `target` under the run's `seed`.
fn case_seed(seed: u64, target: Target, index: u64) -> u64 {
    let mut rng = Rng(seed ^ (target as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    rng.next();
    rng.0 ^= index.wrapping_mul(0x9FB2_1C65_1E98_DF5E);
    rng.next()
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Parser = 1,
    Evaluate = 2,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Parser => "parser",
            Target::Evaluate => "evaluate",
        }
    }
}

struct Args {
    seconds: u64,
    seed: u64,
    targets: Vec<Target>,
    policy: Option<String>,
    case: Option<u64>,
}

fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 10,
        seed: 0,
        targets: vec![Target::Parser, Target::Evaluate],
        policy: None,
        case: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                args.seconds = parse_u64(&value()?).ok_or("--seconds: a number of seconds")?;
            }
            "--seed" => args.seed = parse_u64(&value()?).ok_or("--seed: a number")?,
            "--case" => args.case = Some(parse_u64(&value()?).ok_or("--case: a case seed")?),
            "--policy" => args.policy = Some(value()?),
            "--target" => {
                args.targets = match value()?.as_str() {
                    "parser" => vec![Target::Parser],
                    "evaluate" => vec![Target::Evaluate],
                    "all" => vec![Target::Parser, Target::Evaluate],
                    other => return Err(format!("--target: `{other}` is not parser|evaluate|all")),
                }
            }
            "--help" | "-h" => {
                return Err(
                    "usage: fuzz_facts [--target parser|evaluate|all] [--seconds N] \
                     [--seed S] [--policy ID] [--case SEED]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if let Some(policy) = &args.policy {
        if !POLICIES.iter().any(|p| p.id == policy) {
            return Err(format!("--policy: unknown policy `{policy}`"));
        }
    }
    Ok(args)
}

// ---------------------------------------------------------------------------
// Findings and panics
// ---------------------------------------------------------------------------

thread_local! {
    /// The message and location of the last panic on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records panics instead of printing them; the fuzzer reports them.
fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".to_owned());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(format!("{message}{location}")));
    }));
}

/// What one case found wrong; empty when all is well.
type Problems = Vec<String>;

/// A short, printable preview of an input.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
    let mut out: String = text.escape_debug().collect();
    if bytes.len() > 300 {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    out
}

// ---------------------------------------------------------------------------
// Instants, dates and configurations
// ---------------------------------------------------------------------------

fn instant_at(secs: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, nanos).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

fn date_from_days(days: i64) -> NaiveDate {
    let days = days.clamp(
        i64::from(NaiveDate::MIN.num_days_from_ce()),
        i64::from(NaiveDate::MAX.num_days_from_ce()),
    );
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(NaiveDate::MIN)
}

fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date_from_days(i64::from(date.num_days_from_ce()).saturating_add(days))
}

/// A date for a plain (schema-valid, `YYYY-MM-DD`) document: years 1-9999.
fn plain_date(rng: &mut Rng, today: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    let date = match rng.below(10) {
        0..=6 => add_days(today, rng.range(-45, 45)),
        7 | 8 => add_days(today, rng.range(-800, 800)),
        _ => date_from_days(rng.range(
            i64::from(first.num_days_from_ce()),
            i64::from(last.num_days_from_ce()),
        )),
    };
    date.clamp(first, last)
}

/// Any date chrono can hold, often at the ends of the calendar.
fn extreme_date(rng: &mut Rng, today: NaiveDate) -> NaiveDate {
    match rng.below(4) {
        0 => add_days(NaiveDate::MIN, rng.range(0, 40)),
        1 => add_days(NaiveDate::MAX, -rng.range(0, 40)),
        2 => date_from_days(rng.next() as i64),
        _ => plain_date(rng, today),
    }
}

/// An instant: near local midnight of a date in `tz` (where the calendar
/// rules change), anywhere in 1900-2200, or anywhere `DateTime<Utc>` holds.
fn arb_now(rng: &mut Rng, tz: Tz) -> DateTime<Utc> {
    let nanos = if rng.one_in(4) {
        rng.below(1_000_000_000) as u32
    } else {
        0
    };
    match rng.below(10) {
        0..=5 => {
            let date = add_days(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or(NaiveDate::MIN),
                rng.range(-4000, 4000),
            );
            let start = entitle::time::start_of(date, tz);
            let offset = match rng.below(4) {
                0 => 0,
                1 => rng.range(-2, 2),
                2 => rng.range(-3 * 3600, 3 * 3600),
                _ => rng.range(0, 86_399),
            };
            start
                .checked_add_signed(TimeDelta::seconds(offset))
                .unwrap_or(start)
                .with_nanosecond_or_self(nanos)
        }
        6..=8 => instant_at(rng.range(-2_208_988_800, 7_258_118_400), nanos),
        _ => {
            let (min, max) = (
                DateTime::<Utc>::MIN_UTC.timestamp(),
                DateTime::<Utc>::MAX_UTC.timestamp(),
            );
            match rng.below(3) {
                0 => instant_at(min + rng.range(0, 10 * 86_400), nanos),
                1 => instant_at(max - rng.range(0, 10 * 86_400), nanos),
                _ => instant_at(rng.range(min, max), nanos),
            }
        }
    }
}

trait WithNanos {
    fn with_nanosecond_or_self(self, nanos: u32) -> Self;
}

impl WithNanos for DateTime<Utc> {
    fn with_nanosecond_or_self(self, nanos: u32) -> Self {
        chrono::Timelike::with_nanosecond(&self, nanos).unwrap_or(self)
    }
}

fn arb_zone(rng: &mut Rng) -> Tz {
    // Half the time one of the zones with odd calendars.
    const ODD: &[Tz] = &[
        Tz::Pacific__Apia,
        Tz::Pacific__Kiritimati,
        Tz::America__St_Johns,
        Tz::Australia__Lord_Howe,
        Tz::Asia__Kathmandu,
        Tz::America__Havana,
        Tz::Pacific__Kwajalein,
        Tz::Antarctica__Troll,
        Tz::Africa__Casablanca,
        Tz::America__Santiago,
        Tz::Asia__Tehran,
        Tz::UTC,
    ];
    if rng.bool() {
        *rng.pick(ODD)
    } else {
        *rng.pick(&TZ_VARIANTS)
    }
}

/// A configuration: valid in nine cases out of ten, with values at 0, at
/// their documented maximum or typical; else one value past its bound
/// (invalid configurations must be refused, typed).
fn arb_config(rng: &mut Rng, tz: Tz, today: NaiveDate) -> PolicyConfig {
    let valid = |rng: &mut Rng, typical: u32, max: u32| match rng.below(6) {
        0 => 0,
        1 => max,
        2 => rng.below(u64::from(max) + 1) as u32,
        _ => typical,
    };
    let max_days = rng.range(1, i64::from(TEMPORARY_LICENSE_HARD_CAP_DAYS)) as u32;
    let holidays = (0..rng.below(6)).map(|_| plain_date(rng, today)).collect();
    let mut config = PolicyConfig {
        timezone: tz,
        grace_period_days: valid(rng, 14, MAX_GRACE_PERIOD_DAYS),
        emergency_window_days: valid(rng, 3, MAX_EMERGENCY_WINDOW_DAYS),
        escalation_threshold_hours: valid(rng, 24, MAX_ESCALATION_THRESHOLD_HOURS),
        temporary_license_days: rng.range(1, i64::from(max_days)) as u32,
        temporary_license_max_days: max_days,
        company_holidays: holidays,
    };
    if rng.one_in(10) {
        let past = |rng: &mut Rng, max: u32| {
            if rng.bool() {
                max.saturating_add(1)
            } else {
                u32::MAX - rng.below(3) as u32
            }
        };
        match rng.below(6) {
            0 => config.grace_period_days = past(rng, MAX_GRACE_PERIOD_DAYS),
            1 => config.emergency_window_days = past(rng, MAX_EMERGENCY_WINDOW_DAYS),
            2 => config.escalation_threshold_hours = past(rng, MAX_ESCALATION_THRESHOLD_HOURS),
            3 => config.temporary_license_days = 0,
            4 => config.temporary_license_days = config.temporary_license_max_days + 1,
            _ => config.temporary_license_max_days = past(rng, TEMPORARY_LICENSE_HARD_CAP_DAYS),
        }
    }
    config
}

/// A policy example nudged, staying well typed: every date moved by up to
/// three days, every instant by up to three days, a boolean flipped now and
/// then, a count set to 0, 1 or its maximum. Keeps the cases near every path.
fn nudge(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Ok(date) = s.parse::<NaiveDate>() {
                if rng.bool() {
                    *s = add_days(date, rng.range(-3, 3)).to_string();
                }
            } else if let Ok(at) = DateTime::parse_from_rfc3339(s) {
                let moved = at
                    .checked_add_signed(TimeDelta::seconds(rng.range(-3 * 86_400, 3 * 86_400)))
                    .unwrap_or(at);
                *s = moved.to_rfc3339();
            }
        }
        Value::Bool(b) if rng.one_in(6) => *b = !*b,
        Value::Number(n) if n.is_u64() && rng.one_in(4) => {
            *value = json!(*rng.pick(&[0u64, 1, 2, u64::from(u32::MAX)]));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| nudge(rng, v)),
        Value::Object(map) => map.values_mut().for_each(|v| nudge(rng, v)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Schema-driven facts
// ---------------------------------------------------------------------------

/// Whether a generated document stays inside what the schema promises the
/// parser accepts (plain dates, no unsatisfiable `pattern`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Plain,
    Extreme,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    root: &'a Value,
    today: NaiveDate,
    now: DateTime<Utc>,
    mode: Mode,
    /// Dates chosen so far: later dates are often near them (a license's
    /// expiry near its start, the window boundaries).
    dates: Vec<NaiveDate>,
    /// Set when the generator could not honour a constraint.
    unsure: bool,
}

impl Gen<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            Some(name) => &self.root["$defs"][name],
            None => schema,
        }
    }

    fn date(&mut self) -> NaiveDate {
        let date = match (self.dates.last().copied(), self.rng.below(3)) {
            (Some(prev), 0) => add_days(prev, self.rng.range(-400, 400)),
            (Some(prev), 1) => add_days(
                prev,
                *self.rng.pick(&[-17, -14, -3, -1, 0, 1, 3, 14, 17, 365]),
            ),
            _ if self.mode == Mode::Extreme && self.rng.one_in(3) => {
                extreme_date(self.rng, self.today)
            }
            _ => plain_date(self.rng, self.today),
        };
        let date = if self.mode == Mode::Plain {
            date.clamp(
                NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN),
                NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX),
            )
        } else {
            date
        };
        self.dates.push(date);
        date
    }

    fn string(&mut self, schema: &Value) -> Value {
        match schema.get("format").and_then(Value::as_str) {
            Some("date") => return json!(self.date().to_string()),
            Some("date-time") => {
                let at = if self.rng.bool() {
                    self.now
                        .checked_sub_signed(TimeDelta::seconds(
                            self.rng.range(-86_400 * 30, 86_400 * 30),
                        ))
                        .unwrap_or(self.now)
                } else {
                    arb_now(self.rng, Tz::UTC)
                };
                let text = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                if !(1..=9999).contains(&at.year()) {
                    self.unsure = true;
                }
                return json!(text);
            }
            Some("email") => return json!(format!("user{}@example.com", self.rng.below(1000))),
            Some("uri" | "url") => {
                return json!(format!(
                    "https://support.example.com/tickets/{}",
                    self.rng.below(1_000_000)
                ));
            }
            Some(_) => self.unsure = true,
            None => {}
        }
        if schema.get("pattern").is_some() {
            self.unsure = true;
        }
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .unwrap_or(40)
            .min(200);
        let min = schema
            .get("minLength")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(max);
        let len = min + self.rng.below(max - min + 1);
        const CHARS: &[char] = &[
            'a', 'Z', '0', ' ', '-', '_', '/', '"', '\\', 'é', '€', '😀', '\u{0}', '\n',
        ];
        let text: String = (0..len).map(|_| *self.rng.pick(CHARS)).collect();
        json!(text)
    }

    fn integer(&mut self, schema: &Value) -> Value {
        let lo = schema
            .get("minimum")
            .and_then(Value::as_i64)
            .unwrap_or(i64::from(i32::MIN));
        let hi = match schema.get("format").and_then(Value::as_str) {
            Some("uint32") => i64::from(u32::MAX),
            Some("uint16") => i64::from(u16::MAX),
            Some("uint8") => i64::from(u8::MAX),
            Some("int32") => i64::from(i32::MAX),
            _ => schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(i64::from(i32::MAX)),
        };
        let hi = schema
            .get("maximum")
            .and_then(Value::as_i64)
            .map_or(hi, |m| m.min(hi));
        let n = match self.rng.below(6) {
            0 => lo,
            1 => hi,
            2 => self.rng.range(lo, hi),
            _ => self.rng.range(lo.max(0), lo.max(0) + 500).min(hi),
        };
        json!(n)
    }

    fn value(&mut self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema).clone();
        if depth > 20 {
            self.unsure = true;
            return Value::Null;
        }
        if let Some(variants) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            if !variants.is_empty() {
                let v = self.rng.pick(variants).clone();
                return self.value(&v, depth + 1);
            }
        }
        if let Some(c) = schema.get("const") {
            return c.clone();
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            if !values.is_empty() {
                return self.rng.pick(values).clone();
            }
        }
        let kinds: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let kind = if kinds.is_empty() {
            ""
        } else {
            *self.rng.pick(&kinds)
        };
        match kind {
            "null" => Value::Null,
            "boolean" => json!(self.rng.bool()),
            "integer" => self.integer(&schema),
            "number" => json!(self.rng.range(-1000, 1000) as f64 / 7.0),
            "string" => self.string(&schema),
            "array" => {
                let cap = if self.rng.one_in(10) { 40 } else { 5 };
                let n = self.rng.below(cap);
                let items = schema.get("items").cloned().unwrap_or(Value::Null);
                Value::Array((0..n).map(|_| self.value(&items, depth + 1)).collect())
            }
            "object" => {
                let mut out = Map::new();
                let required: Vec<String> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    for (name, prop) in props {
                        if required.contains(name) || self.rng.bool() {
                            let v = self.value(prop, depth + 1);
                            out.insert(name.clone(), v);
                        }
                    }
                }
                Value::Object(out)
            }
            _ => {
                self.unsure = true;
                Value::Null
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Mutations for the parser target
// ---------------------------------------------------------------------------

/// Strings that look like the values the facts hold, and ones that must be
/// refused.
const HOSTILE_STRINGS: &[&str] = &[
    "",
    " ",
    "2026-1-1",
    " 2025-1-1",
    "2026-01-01 ",
    "0000-01-01",
    "-0001-01-01",
    "+12345-01-01",
    "9999-12-31",
    "0001-01-01",
    "2026-02-29",
    "2026-02-30",
    "2024-02-29",
    "2026-13-01",
    "2026-00-10",
    "2026-12-01T00:00:00Z",
    "2026-11-21T23:59:60Z",
    "2026-11-21T10:00:00.1234567891Z",
    "2026-11-21T10:00:00+25:00",
    "2026-11-21T10:00:00-00:00",
    "2026-11-21t10:00:00z",
    "2026-11-21 10:00:00Z",
    "262143-12-31",
    "-262144-01-01",
    "premium",
    "PREMIUM",
    "paid",
    "ultimate\u{0}",
    "support-manager",
    "new-license",
    "plan-license",
    "javascript:alert(1)",
    "user@example.com",
    "\u{feff}paid",
    "\u{202e}",
    "😀",
    "\\",
    "\"",
    "null",
];

fn hostile_number(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(-1),
        1 => json!(u64::from(u32::MAX) + 1),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(0.5),
        5 => json!(1e300),
        6 => json!(u32::MAX),
        _ => json!(rng.range(-5, 5)),
    }
}

fn random_json(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => hostile_number(rng),
        3 | 4 => json!(*rng.pick(HOSTILE_STRINGS)),
        5 => Value::Array(
            (0..rng.below(4))
                .map(|_| random_json(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(4) {
                map.insert(
                    rng.pick(HOSTILE_STRINGS).to_string(),
                    random_json(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}

/// Every path (object keys and array indices) to a node of `value`.
fn node_paths(value: &Value, here: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(here.clone());
    // Not into deep nests (a mutation may have made one): quadratic cost.
    if here.len() >= 32 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(PathStep::Key(k.clone()));
                node_paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(PathStep::Index(i));
                node_paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn node_mut<'v>(value: &'v mut Value, path: &[PathStep]) -> Option<&'v mut Value> {
    let mut node = value;
    for step in path {
        node = match step {
            PathStep::Key(k) => node.get_mut(k.as_str())?,
            PathStep::Index(i) => node.get_mut(*i)?,
        };
    }
    Some(node)
}

/// `inner` in an array or under `key` in an object (without `json!`, which
/// would copy `inner` through serialisation).
fn wrap(rng: &mut Rng, inner: Value, key: &str) -> Value {
    if rng.bool() {
        Value::Array(vec![inner])
    } else {
        let mut map = Map::new();
        map.insert(key.to_owned(), inner);
        Value::Object(map)
    }
}

/// One structure-aware mutation of a facts document.
fn mutate_structure(rng: &mut Rng, doc: &mut Value) {
    let mut paths = Vec::new();
    node_paths(doc, &mut Vec::new(), &mut paths);
    let path = rng.pick(&paths).clone();
    let Some(node) = node_mut(doc, &path) else {
        return;
    };
    match rng.below(10) {
        0 => *node = random_json(rng, 0),
        1 => *node = json!(*rng.pick(HOSTILE_STRINGS)),
        2 => *node = hostile_number(rng),
        3 => {
            if let Value::Object(map) = node {
                let keys: Vec<String> = map.keys().cloned().collect();
                if !keys.is_empty() {
                    map.remove(rng.pick(&keys).as_str());
                }
            }
        }
        4 => {
            if let Value::Object(map) = node {
                let name = match rng.below(3) {
                    0 => "unknown_field".to_owned(),
                    1 => map
                        .keys()
                        .next()
                        .map(|k| k.to_uppercase())
                        .unwrap_or_default(),
                    _ => format!("{} ", map.keys().next().cloned().unwrap_or_default()),
                };
                map.insert(name, random_json(rng, 0));
            }
        }
        5 => {
            let inner = node.take();
            *node = wrap(rng, inner, "value");
        }
        6 => {
            // Deep nesting, sometimes past the parser's limit.
            let depth = *rng.pick(&[10, 100, 127, 128, 129, 1000, 5000]);
            let mut v = Value::Null;
            for _ in 0..depth {
                v = wrap(rng, v, "a");
            }
            *node = v;
        }
        7 => {
            if let Value::String(s) = node {
                // Nudge a date or an id: a digit dropped, a field widened.
                let mut chars: Vec<char> = s.chars().collect();
                if !chars.is_empty() {
                    let i = rng.below(chars.len() as u64) as usize;
                    match rng.below(3) {
                        0 => {
                            chars.remove(i);
                        }
                        1 => chars.insert(i, *rng.pick(&['0', '9', '-', ' ', '+'])),
                        _ => chars[i] = *rng.pick(&['0', '9', 'x', '\u{0}']),
                    }
                }
                *s = chars.into_iter().collect();
            } else {
                *node = json!(node.to_string());
            }
        }
        8 => {
            if let Value::Array(items) = node {
                let n = rng.below(3000) as usize;
                // Only small fills: the input stays under a few hundred KB.
                let fill = items
                    .first()
                    .filter(|v| v.to_string().len() <= 64)
                    .cloned()
                    .unwrap_or(Value::Null);
                items.extend(std::iter::repeat_n(fill, n));
            } else {
                *node = json!([]);
            }
        }
        _ => *node = Value::Null,
    }
}

/// JSON tokens for the token-soup inputs.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"",
    "\"license\"",
    "\"plan\"",
    "\"trial\"",
    "\"starts_on\"",
    "\"expires_on\"",
    "\"users\"",
    "\"customer\"",
    "\"status\"",
    "\"2026-11-21\"",
    "true",
    "false",
    "null",
    "0",
    "-0",
    "1e999",
    "18446744073709551616",
    "0.0",
    "\\u0000",
    "\"\\ud800\"",
    "\"\\uDFFF\"",
    " ",
    "\n",
    "\t",
    "\u{feff}",
    "/*",
    "//",
    "NaN",
    "Infinity",
    "'",
    "\\",
];

/// Byte-level mutations of `bytes`.
fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(8) {
        let len = bytes.len() as u64;
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len) as usize;
                bytes[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1) as usize;
                bytes.insert(i, rng.next() as u8);
            }
            2 if len > 0 => {
                let i = rng.below(len) as usize;
                let n = (rng.below(16) as usize).min(bytes.len() - i);
                bytes.drain(i..i + n);
            }
            3 if len > 0 => {
                let i = rng.below(len) as usize;
                let n = (rng.below(32) as usize).min(bytes.len() - i);
                let chunk: Vec<u8> = bytes[i..i + n].to_vec();
                let at = rng.below(bytes.len() as u64 + 1) as usize;
                bytes.splice(at..at, chunk);
            }
            4 => {
                let i = rng.below(len + 1) as usize;
                let token = rng.pick(TOKENS).as_bytes().to_vec();
                bytes.splice(i..i, token);
            }
            5 if len > 0 => bytes.truncate(rng.below(len) as usize),
            _ if len > 0 => {
                let i = rng.below(len) as usize;
                bytes[i] = *rng.pick(b"{}[]:,\"\\0123456789-+eE. \n\x00\xff");
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------

fn path_of(trace: &[Step<'static>]) -> Vec<(&'static str, &'static str)> {
    trace.iter().map(|s| (s.node, s.answer)).collect()
}

/// A facts error must say what is wrong (and where, when it names a path).
fn check_facts_error(error: &FactsError, problems: &mut Problems) {
    match error {
        FactsError::Empty => {}
        FactsError::Invalid { path, message } => {
            if message.trim().is_empty() {
                problems.push("facts error with an empty message".to_owned());
            }
            // A path may be empty: the field named "" is a field.
            let _ = path;
        }
    }
    if error.to_string().trim().is_empty() {
        problems.push("facts error that displays as nothing".to_owned());
    }
}

/// The checks of one typed decision of `P`: evaluate agrees with decide and
/// the table walk, `stable_until` is after `now` and honest, the report
/// serialises and explains, and the JSON round trip decides the same.
fn check_typed<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
    mode: Mode,
    problems: &mut Problems,
) {
    let valid_config = config.validate().is_ok();
    let decision = evaluate::<P>(facts, now, config);
    let fast = decide::<P>(facts, now, config);
    let walk = P::graph().and_then(|g| {
        g.decide_walk(facts, &Context::new(now, config))
            .copied()
            .map_err(PolicyError::from)
    });
    let decision = match (decision, valid_config) {
        (Ok(d), true) => d,
        (Err(PolicyError::Config(_)), false) => return,
        (Ok(_), false) => {
            problems.push("evaluate accepted an invalid configuration".to_owned());
            return;
        }
        (Err(e), _) => {
            problems.push(format!("evaluate failed: {e} ({e:?})"));
            return;
        }
    };
    match (&fast, &walk) {
        (Ok(a), Ok(b)) if *a == decision.outcome && *b == decision.outcome => {}
        _ => problems.push(format!(
            "outcomes disagree: evaluate {:?}, decide {fast:?}, decide_walk {walk:?}",
            decision.outcome
        )),
    }
    if decision.trace.is_empty() {
        problems.push("empty trace".to_owned());
    }
    let here = path_of(&decision.trace);
    match decision.stable_until {
        Some(until) if until <= now => {
            problems.push(format!("stable_until {until:?} is not after now {now:?}"));
        }
        Some(until) => {
            let just_before = until - TimeDelta::nanoseconds(1);
            match evaluate::<P>(facts, just_before, config) {
                Ok(d) if path_of(&d.trace) == here => {}
                Ok(d) => problems.push(format!(
                    "path changed before stable_until {until:?} (at {just_before:?}): {here:?} -> {:?}",
                    path_of(&d.trace)
                )),
                Err(e) => problems.push(format!("evaluate failed at {just_before:?}: {e}")),
            }
            match evaluate::<P>(facts, until, config) {
                Ok(d) if path_of(&d.trace) != here => {}
                Ok(_) => problems.push(format!(
                    "same path at stable_until {until:?} (now {now:?}): {here:?}"
                )),
                Err(e) => problems.push(format!("evaluate failed at {until:?}: {e}")),
            }
        }
        None => {
            for later in [
                TimeDelta::days(1),
                TimeDelta::days(400),
                TimeDelta::days(40_000),
            ] {
                let Some(t) = now.checked_add_signed(later) else {
                    continue;
                };
                match evaluate::<P>(facts, t, config) {
                    Ok(d) if path_of(&d.trace) == here => {}
                    Ok(d) => problems.push(format!(
                        "stable_until is null but the path changes by {t:?}: {here:?} -> {:?}",
                        path_of(&d.trace)
                    )),
                    Err(e) => problems.push(format!("evaluate failed at {t:?}: {e}")),
                }
            }
        }
    }
    let outcome = decision.outcome;
    let stable_until = decision.stable_until;
    let report = report_for::<P>(decision, now, config);
    if report.to_text().trim().is_empty() {
        problems.push("empty explanation".to_owned());
    }
    let json = match serde_json::to_vec(facts) {
        Ok(json) => json,
        Err(e) => {
            problems.push(format!("facts do not serialise: {e}"));
            return;
        }
    };
    if let Err(e) = serde_json::to_string(&report) {
        problems.push(format!("report does not serialise: {e}"));
    }
    match decide_json(P::ID, &json, now, config) {
        Ok(r) if r.outcome == outcome.id() && r.stable_until == stable_until => {}
        Ok(r) => problems.push(format!(
            "decide_json of the serialised facts disagrees: {} until {:?} vs {} until {:?}",
            r.outcome,
            r.stable_until,
            outcome.id(),
            stable_until
        )),
        Err(DecideError::Facts(e)) if mode == Mode::Extreme => check_facts_error(&e, problems),
        Err(e) => problems.push(format!(
            "the serialised facts are refused: {e} in {}",
            preview(&json)
        )),
    }
}

/// Round trip: facts read from JSON serialise to JSON that reads back to the
/// same facts.
fn check_round_trip<P: Registered>(facts: &P::Facts, problems: &mut Problems) {
    let (Ok(first), Ok(bytes)) = (serde_json::to_value(facts), serde_json::to_vec(facts)) else {
        problems.push("parsed facts do not serialise".to_owned());
        return;
    };
    match parse_facts::<P::Facts>(&bytes) {
        Ok(again) => {
            if serde_json::to_value(&again).ok().as_ref() != Some(&first) {
                problems.push(format!("round trip changed the facts: {}", preview(&bytes)));
            }
        }
        Err(e) => problems.push(format!(
            "serialised facts are refused: {e} in {}",
            preview(&bytes)
        )),
    }
}

// ---------------------------------------------------------------------------
// The two targets
// ---------------------------------------------------------------------------

/// One case of a target for policy `P`.
struct Case<'a> {
    target: Target,
    rng: &'a mut Rng,
    problems: &'a mut Problems,
    /// What the case was, for the report.
    input: &'a mut String,
    /// How the case ended (an outcome id or an error class), for the tally.
    result: &'a mut &'static str,
    /// Time spent in the code under test (not in generating the input).
    spent: &'a mut Duration,
}

impl PolicyVisitor for Case<'_> {
    type Output = ();
    fn visit<P: Registered>(self) {
        match self.target {
            Target::Parser => parser_case::<P>(self),
            Target::Evaluate => evaluate_case::<P>(self),
        }
    }
}

/// A worked example as a facts document and its instant.
type ExampleDoc = (Value, DateTime<Utc>);

/// The worked examples of every policy (its built-in scenarios) as facts
/// documents, read once: cases ask for them thousands of times a second.
static EXAMPLE_DOCS: LazyLock<BTreeMap<&'static str, Vec<ExampleDoc>>> = LazyLock::new(|| {
    struct Docs;
    impl PolicyVisitor for Docs {
        type Output = Vec<ExampleDoc>;
        fn visit<P: Registered>(self) -> Self::Output {
            let examples = entitle::scenario::examples::<P>().unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(2)
            });
            examples
                .iter()
                .filter_map(|e| serde_json::to_value(&e.facts).ok().map(|v| (v, e.now)))
                .collect()
        }
    }
    POLICIES
        .iter()
        .filter_map(|p| Some((p.id, entitle::policies::visit(p.id, Docs).ok()?)))
        .collect()
});

fn example_docs<P: Registered>() -> Vec<ExampleDoc> {
    EXAMPLE_DOCS.get(P::ID).cloned().unwrap_or_default()
}

fn parser_case<P: Registered>(case: Case<'_>) {
    let rng = case.rng;
    let examples = example_docs::<P>();
    let (base, example_now) = examples
        .get(rng.below(examples.len() as u64) as usize)
        .cloned()
        .unwrap_or((Value::Null, DateTime::<Utc>::UNIX_EPOCH));
    let tz = if rng.bool() { Tz::UTC } else { arb_zone(rng) };
    let now = if rng.bool() {
        example_now
    } else {
        arb_now(rng, tz)
    };
    let today = entitle::time::local_date(now, tz);
    let mut config = arb_config(rng, tz, today);
    if config.validate().is_err() || rng.bool() {
        config = PolicyConfig {
            timezone: tz,
            ..PolicyConfig::default()
        };
    }
    let mut schema_valid = false;
    let bytes: Vec<u8> = match rng.below(8) {
        0 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        1 => {
            let n = rng.below(40);
            (0..n)
                .flat_map(|_| rng.pick(TOKENS).as_bytes().to_vec())
                .collect()
        }
        2 | 3 => {
            let mut bytes = if rng.bool() {
                serde_json::to_vec(&base).unwrap_or_default()
            } else {
                serde_json::to_vec_pretty(&base).unwrap_or_default()
            };
            mutate_bytes(rng, &mut bytes);
            bytes
        }
        4..=6 => {
            let mut doc = base.clone();
            for _ in 0..1 + rng.below(3) {
                mutate_structure(rng, &mut doc);
            }
            let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
            if rng.one_in(4) {
                mutate_bytes(rng, &mut bytes);
            }
            if rng.one_in(8) {
                // A duplicate key, which serde_json's `Value` cannot hold.
                if let Some(Value::Object(map)) = Some(&base) {
                    if let Some((k, v)) = map.iter().next() {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        if let Some(rest) = text.strip_prefix('{') {
                            bytes = format!("{{{}:{},{rest}", json!(k), v).into_bytes();
                        }
                    }
                }
            }
            bytes
        }
        _ => {
            // A schema-valid document: must be accepted.
            let schema = serde_json::to_value(schemars::schema_for!(P::Facts)).unwrap_or_default();
            let mut generator = Gen {
                rng,
                root: &schema,
                today,
                now,
                mode: Mode::Plain,
                dates: Vec::new(),
                unsure: false,
            };
            let doc = generator.value(&schema, 0);
            schema_valid = !generator.unsure;
            serde_json::to_vec(&doc).unwrap_or_default()
        }
    };
    *case.input = format!("{} now={now:?} tz={tz} facts={}", P::ID, preview(&bytes));
    let problems = case.problems;
    let started = Instant::now();
    let parsed = parse_facts::<P::Facts>(&bytes);
    match decide_json(P::ID, &bytes, now, &config) {
        Ok(report) => {
            *case.result = "decided";
            if report.policy != P::ID {
                problems.push(format!("report names policy {}", report.policy));
            }
            if report.stable_until.is_some_and(|until| until <= now) {
                problems.push(format!(
                    "stable_until {:?} not after now",
                    report.stable_until
                ));
            }
            if report.to_text().trim().is_empty() {
                problems.push("empty explanation".to_owned());
            }
            if let Err(e) = serde_json::to_string(&report) {
                problems.push(format!("report does not serialise: {e}"));
            }
            match parsed {
                Ok(facts) => {
                    check_round_trip::<P>(&facts, problems);
                    match decide::<P>(&facts, now, &config) {
                        Ok(o) if o.id() == report.outcome => {}
                        other => problems.push(format!(
                            "decide gives {other:?}, decide_json {}",
                            report.outcome
                        )),
                    }
                }
                Err(e) => {
                    problems.push(format!("decide_json decided what parse_facts refused: {e}"))
                }
            }
        }
        Err(DecideError::Facts(error)) => {
            *case.result = match error {
                FactsError::Empty => "refused: empty",
                FactsError::Invalid { path: Some(_), .. } => "refused: at a path",
                FactsError::Invalid { path: None, .. } => "refused: no path",
            };
            check_facts_error(&error, problems);
            if parsed.as_ref().err() != Some(&error) {
                problems.push(format!(
                    "parse_facts and decide_json disagree: {parsed:?} vs {error:?}"
                ));
            }
            if schema_valid {
                problems.push(format!("a schema-valid document is refused: {error}"));
            }
        }
        Err(DecideError::Policy(error)) => {
            *case.result = "policy error";
            problems.push(format!(
                "untyped or unexpected policy error: {error} ({error:?})"
            ));
        }
    }
    *case.spent = started.elapsed();
}

fn evaluate_case<P: Registered>(case: Case<'_>) {
    let rng = case.rng;
    let tz = arb_zone(rng);
    let examples = example_docs::<P>();
    let nudged = !examples.is_empty() && rng.bool();
    let (doc, now, config, mode) = if nudged {
        // An example, nudged: near every path of the policy.
        let (mut doc, example_now) = rng.pick(&examples).clone();
        nudge(rng, &mut doc);
        let now = example_now
            .checked_add_signed(TimeDelta::seconds(rng.range(-3 * 86_400, 3 * 86_400)))
            .unwrap_or(example_now)
            .with_nanosecond_or_self(if rng.one_in(4) {
                rng.below(1_000_000_000) as u32
            } else {
                0
            });
        let today = entitle::time::local_date(now, tz);
        let config = if rng.bool() {
            PolicyConfig {
                timezone: tz,
                ..PolicyConfig::default()
            }
        } else {
            arb_config(rng, tz, today)
        };
        (doc, now, config, Mode::Plain)
    } else {
        // Generated from the schema, anywhere in time.
        let now = arb_now(rng, tz);
        let today = entitle::time::local_date(now, tz);
        let config = arb_config(rng, tz, today);
        let mode = if rng.one_in(4) {
            Mode::Extreme
        } else {
            Mode::Plain
        };
        let schema = serde_json::to_value(schemars::schema_for!(P::Facts)).unwrap_or_default();
        let mut generator = Gen {
            rng,
            root: &schema,
            today,
            now,
            mode,
            dates: Vec::new(),
            unsure: false,
        };
        let doc = generator.value(&schema, 0);
        let mode = if generator.unsure {
            Mode::Extreme
        } else {
            mode
        };
        (doc, now, config, mode)
    };
    *case.input = format!(
        "{} now={now:?} tz={tz} config={} facts={}",
        P::ID,
        serde_json::to_string(&config).unwrap_or_default(),
        preview(doc.to_string().as_bytes())
    );
    let problems = case.problems;
    let started = Instant::now();
    let facts: P::Facts = match serde_json::from_value(doc) {
        Ok(facts) => facts,
        Err(e) => {
            *case.result = "facts not representable";
            if mode == Mode::Plain {
                problems.push(format!("schema-valid facts are refused by their type: {e}"));
            }
            return;
        }
    };
    check_typed::<P>(&facts, now, &config, mode, problems);
    *case.result = match evaluate::<P>(&facts, now, &config) {
        Ok(d) => d.outcome.id(),
        Err(_) => "invalid config",
    };
    *case.spent = started.elapsed();
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

/// One case: which policy, and what it found.
fn run_case(
    target: Target,
    policy: &'static str,
    seed: u64,
) -> (Problems, String, &'static str, Duration) {
    let mut rng = Rng(seed);
    let mut problems = Problems::new();
    let mut input = String::new();
    let mut result = "";
    let mut spent = Duration::ZERO;
    let started = Instant::now();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        entitle::policies::visit(
            policy,
            Case {
                target,
                rng: &mut rng,
                problems: &mut problems,
                input: &mut input,
                result: &mut result,
                spent: &mut spent,
            },
        )
    }));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => problems.push(format!("unknown policy: {e}")),
        Err(_) => {
            let message = LAST_PANIC
                .with(|last| last.borrow_mut().take())
                .unwrap_or_default();
            problems.push(format!("PANIC: {message}"));
            result = "panic";
            spent = started.elapsed();
        }
    }
    if spent > Duration::from_secs(1) {
        problems.push(format!("slow case: {spent:?} in the code under test"));
    }
    (problems, input, result, started.elapsed())
}

struct Finding {
    target: Target,
    seed: u64,
    problem: String,
    input: String,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    install_panic_hook();
    let policies: Vec<&'static str> = POLICIES
        .iter()
        .map(|p| p.id)
        .filter(|id| args.policy.as_deref().is_none_or(|p| p == *id))
        .collect();

    if let Some(seed) = args.case {
        // Replay one case of each requested target.
        let mut failed = false;
        for &target in &args.targets {
            let policy = policies[(seed % policies.len() as u64) as usize];
            let (problems, input, result, took) = run_case(target, policy, seed);
            println!("{} case {seed:#x}: {took:?}", target.name());
            println!(
                "{} case {seed:#x}: {result}\n  input: {input}",
                target.name()
            );
            for p in &problems {
                println!("  FINDING: {p}");
            }
            failed |= !problems.is_empty();
        }
        return if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }

    let mut findings: Vec<Finding> = Vec::new();
    let mut distinct: BTreeMap<String, u64> = BTreeMap::new();
    for &target in &args.targets {
        let started = Instant::now();
        let budget = Duration::from_secs(args.seconds);
        let mut executions: u64 = 0;
        let mut tally: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
        let mut last_progress = Instant::now();
        let mut slowest = (0u64, Duration::ZERO);
        println!(
            "target {}: {} policies, seed {}, {} s",
            target.name(),
            policies.len(),
            args.seed,
            args.seconds
        );
        while started.elapsed() < budget {
            for _ in 0..64 {
                let seed = case_seed(args.seed, target, executions);
                let policy = policies[(seed % policies.len() as u64) as usize];
                let (problems, input, result, took) = run_case(target, policy, seed);
                executions += 1;
                if took > slowest.1 {
                    slowest = (seed, took);
                }
                *tally.entry((policy, result)).or_default() += 1;
                for problem in problems {
                    // Group findings by their text without numbers.
                    let key: String = problem
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .take(120)
                        .collect();
                    let seen = distinct.entry(key).or_default();
                    *seen += 1;
                    if *seen == 1 {
                        println!(
                            "FINDING [{}] case {seed:#x}: {problem}\n  input: {input}",
                            target.name()
                        );
                        findings.push(Finding {
                            target,
                            seed,
                            problem,
                            input: input.clone(),
                        });
                    }
                }
            }
            if last_progress.elapsed() > Duration::from_secs(30) {
                last_progress = Instant::now();
                println!(
                    "  {} s: {executions} executions, {} distinct findings",
                    started.elapsed().as_secs(),
                    distinct.len()
                );
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "target {}: {executions} executions in {secs:.0} s ({:.0}/s)",
            target.name(),
            executions as f64 / secs.max(1e-9)
        );
        println!(
            "  slowest case {:#x}: {:?} (generation included)",
            slowest.0, slowest.1
        );
        let mut per_policy: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ((policy, result), n) in &tally {
            per_policy
                .entry(policy)
                .or_default()
                .push(format!("{result} {n}"));
        }
        for (policy, results) in per_policy {
            println!("  {policy}: {}", results.join(", "));
        }
    }
    println!("findings: {} distinct", findings.len());
    for f in &findings {
        let times = distinct
            .iter()
            .find(|(k, _)| {
                f.problem
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .take(120)
                    .collect::<String>()
                    == **k
            })
            .map_or(1, |(_, n)| *n);
        println!(
            "  [{}] case {:#x} ({times}x): {}\n    input: {}",
            f.target.name(),
            f.seed,
            f.problem,
            f.input
        );
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
