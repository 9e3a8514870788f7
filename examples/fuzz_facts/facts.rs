//! Schema-driven facts

use crate::*;

/// Whether a generated document stays inside what the schema promises the
/// parser accepts (plain dates, no unsatisfiable `pattern`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Plain,
    Extreme,
}

pub(crate) struct Gen<'a> {
    pub(crate) rng: &'a mut Rng,
    pub(crate) root: &'a Value,
    pub(crate) today: NaiveDate,
    pub(crate) now: DateTime<Utc>,
    pub(crate) mode: Mode,
    /// Dates chosen so far: later dates are often near them (a license's
    /// expiry near its start, the window boundaries).
    pub(crate) dates: Vec<NaiveDate>,
    /// Set when the generator could not honour a constraint.
    pub(crate) unsure: bool,
}

impl Gen<'_> {
    pub(crate) fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        match schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            Some(name) => &self.root["$defs"][name],
            None => schema,
        }
    }

    pub(crate) fn date(&mut self) -> NaiveDate {
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

    pub(crate) fn string(&mut self, schema: &Value) -> Value {
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

    pub(crate) fn integer(&mut self, schema: &Value) -> Value {
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

    pub(crate) fn value(&mut self, schema: &Value, depth: usize) -> Value {
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

/// A license starts on or before it expires: the facts types refuse the
/// other order, which a JSON Schema cannot say. Swaps the two dates of every
/// object that has them in the wrong order, so plain cases stay valid
/// (`ISO 8601` dates compare as text).
pub(crate) fn order_license_dates(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let (Some(Value::String(starts)), Some(Value::String(expires))) =
                (object.get("starts_on"), object.get("expires_on"))
                && starts > expires
            {
                let (starts, expires) = (starts.clone(), expires.clone());
                object.insert("starts_on".to_owned(), Value::String(expires));
                object.insert("expires_on".to_owned(), Value::String(starts));
            }
            object.values_mut().for_each(order_license_dates);
        }
        Value::Array(items) => items.iter_mut().for_each(order_license_dates),
        _ => {}
    }
}
