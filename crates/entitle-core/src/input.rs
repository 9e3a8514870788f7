//! Strict readers for the values that come from outside: calendar dates,
//! instants, email addresses, URLs and short text.
//!
//! Every adapter reads input through these, so the CLI, the HTTP service, the
//! store's import and any embedding program accept exactly the same values:
//!
//! | value | accepted | schema |
//! |---|---|---|
//! | date | `YYYY-MM-DD`: a four-digit year `0001`-`9999`, a two-digit month and day, a day that exists | `format: date` |
//! | instant | RFC 3339 (`2026-11-21T10:00:00Z`, any offset, `T`, `t` or a space between date and time), at most 9 fractional digits, no leap second, in UTC within the years `0001`-`9999` | `format: date-time` |
//! | email | `local@domain`: a dot-atom local part of at most 64 bytes, a domain of at least two dot-separated labels (letters, digits, inner hyphens, at most 63 bytes each), at most [`MAX_EMAIL_LEN`] bytes in all | `format: email`, `maxLength` |
//! | URL | `http://` or `https://` (any case), a host, an optional port, then only characters RFC 3986 allows; no user information; at most [`MAX_URL_LEN`] bytes | `format: uri`, `pattern`, `maxLength` |
//! | ticket identity | a URL's one spelling per ticket ([`ticket_url_key`]): case of scheme and host, default port, path segments; no query or fragment | - |
//! | text | not blank, no control characters, at most [`MAX_TEXT_LEN`] bytes | `minLength`, `maxLength`, `pattern` |
//! | engineer | a text without white space at either end ([`Engineer::new`](crate::schedule::Engineer::new)) | `pattern` |
//! | weekdays | `all`, `none`, or weekday names `mon`-`fri` (or in full, any case) separated by spaces or commas ([`Weekdays::parse`](crate::schedule::Weekdays::parse)) | - |
//! | object | a map (JSON object, TOML table); never a sequence read positionally ([`ObjectsOnly`]) | `type: object` |
//!
//! The instant rules refuse what a [`DateTime<Utc>`] cannot hold exactly: a
//! leap second (`23:59:60`) and more than nanosecond precision are errors,
//! not rounded; so is an instant whose UTC form leaves the years 0001-9999
//! (`9999-12-31T23:59:59-12:00` is in the year 10000 in UTC): it could not
//! be written back as RFC 3339, nor compared as text with the others. The
//! [`de`] module holds the serde `deserialize_with` helpers for dates and
//! instants; emails, URLs and short texts are read as the types [`Email`],
//! [`HttpUrl`] and [`Text`], which state their rule once for serde and the
//! schema.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use thiserror::Error;

mod checked;
mod objects;

pub use checked::{Email, HttpUrl, Text};
pub use objects::ObjectsOnly;

/// Longest accepted email address, in bytes (RFC 5321: a path is at most 256
/// octets, less the angle brackets).
pub const MAX_EMAIL_LEN: usize = 254;

/// Longest accepted URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// Longest accepted short text (ids, names, kinds), in bytes.
pub const MAX_TEXT_LEN: usize = 200;

/// The JSON Schema `pattern` of [`parse_date`]: `format: date` (RFC 3339's
/// `full-date`) alone would allow the year `0000`.
pub const DATE_PATTERN: &str =
    "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}$";

/// The JSON Schema `pattern` of [`check_http_url`]'s scheme.
pub const HTTP_URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://";

/// JSON Schema `pattern` of a short text: no control character (what
/// [`check_text`] refuses besides blanks and length).
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// How much of a refused value an error message quotes, in characters.
const SHOWN_CHARS: usize = 80;

/// A value that is not what its field takes. The message quotes the value
/// (cut at 80 characters) and says what was expected; the caller adds the
/// field's name or path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InputError {
    /// Not a strict `YYYY-MM-DD` date.
    #[error("`{value}` is not a date: {reason}")]
    Date {
        /// The value, as given (cut).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Not an RFC 3339 instant that can be represented exactly.
    #[error("`{value}` is not an RFC 3339 instant: {reason}; e.g. 2026-11-21T10:00:00Z")]
    Instant {
        /// The value, as given (cut).
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// Not an email address.
    #[error("`{value}` is not an email address: {reason}")]
    Email {
        /// The value, as given (cut).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Not an `http` or `https` URL.
    #[error("`{value}` is not an http or https URL: {reason}")]
    Url {
        /// The value, as given (cut).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Longer than the field takes.
    #[error("the value is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// The value's length, in bytes.
        len: usize,
        /// The longest accepted, in bytes.
        max: usize,
    },
    /// Empty or only white space.
    #[error("the value must not be empty")]
    Blank,
    /// Holds a control character (a line break, a tab, ...).
    #[error("`{value}` holds a control character")]
    ControlCharacter {
        /// The value, as given (cut, control characters escaped).
        value: String,
    },
    /// Starts or ends with white space (a name compared exactly).
    #[error("`{value}` starts or ends with white space")]
    SurroundingWhitespace {
        /// The value, as given (cut).
        value: String,
    },
    /// Not `all`, `none` or a list of weekday names (an engineer's
    /// availability in a week).
    #[error(
        "`{value}` is not a list of workdays: {reason}; expected `all`, `none` or weekday names such as `mon tue fri`"
    )]
    Weekdays {
        /// The value, as given (cut).
        value: String,
        /// What is wrong.
        reason: String,
    },
}

/// `value` cut for an error message, escaped for a terminal.
pub(crate) fn shown(value: &str) -> String {
    let value = escape_for_terminal(value);
    let mut chars = value.chars();
    let mut out: String = chars.by_ref().take(SHOWN_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// Whether `c` changes how a terminal shows what follows it: a control
/// character (C0, DEL, C1: line breaks, `ESC`, `BEL`) or a bidirectional
/// formatting character (which reorders the rest of the line).
pub fn is_unsafe_to_show(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `value` as a human-readable output may show it: every character that
/// [`is_unsafe_to_show`] written as its Rust escape (`\n`, `\u{1b}`), the
/// rest as it is. What prints data from outside (ids, names, notes, values
/// quoted in errors) goes through this, so the data can neither break an
/// error's one line nor drive the terminal.
pub fn escape_for_terminal(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.chars().any(is_unsafe_to_show) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        if is_unsafe_to_show(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `value` as an error message quotes it: escaped
/// ([`escape_for_terminal`]) and cut at 80 characters.
pub fn escaped(value: &str) -> String {
    shown(&escape_for_terminal(value))
}

/// How much of a file's line an error quotes, in characters.
pub const EXCERPT_CHARS: usize = 40;

/// `message` (an error from a parser, which may quote what it read) with
/// every quoted run (between backticks or double quotes) cut at
/// [`EXCERPT_CHARS`] characters, and everything escaped for a terminal: a
/// parser that quotes a value of a file (`unknown variant `...``, `invalid
/// type: string "..."`) shows at most a short, inert excerpt of it.
pub fn short_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        let quote = if from.starts_with('`') { '`' } else { '"' };
        let inner = from.get(1..).unwrap_or("");
        match inner.find(quote) {
            Some(close) => {
                let (quoted, after) = inner.split_at(close);
                out.push(quote);
                out.push_str(&cut(quoted, EXCERPT_CHARS));
                out.push(quote);
                rest = after.get(1..).unwrap_or("");
            }
            None => {
                out.push_str(&cut(from, EXCERPT_CHARS + 1));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    escape_for_terminal(&out).into_owned()
}

/// `text` cut at `max` characters (a `…` marks the cut).
fn cut(text: &str, max: usize) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// What an error may quote of the line of a TOML file where a parser
/// stopped: its structure, never its values. `Some("")` when there is
/// nothing to quote; `None` when the line holds a control character (other
/// than a tab): a file that is not text (`/proc/self/environ`, with its
/// NULs) is named, never quoted.
///
/// The excerpt is the line's table header (`[sinks.chat]`) or its key with
/// the value left out (`grace_period_dayz = …`), when that is at most
/// [`EXCERPT_CHARS`] characters of bare-key characters; else nothing. A
/// file linked to a secret one (`/etc/shadow`, an `.env` file) then shows
/// no secret: a value is never quoted, and a line that is not `key =
/// value` not at all.
pub fn line_excerpt(line: &str) -> Option<String> {
    if line.chars().any(|c| c.is_control() && c != '\t') {
        return None;
    }
    let keyish = |text: &str| {
        !text.is_empty()
            && text.chars().count() <= EXCERPT_CHARS
            && text.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | ' ' | '[' | ']')
            })
    };
    let trimmed = line.trim();
    if trimmed.starts_with('[') && trimmed.ends_with(']') && keyish(trimmed) {
        return Some(trimmed.to_owned());
    }
    match trimmed.split_once('=') {
        Some((key, _)) if keyish(key.trim()) => Some(format!("{} = …", key.trim())),
        _ => Some(String::new()),
    }
}

fn digits<const N: usize>(bytes: [u8; N]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses a strict calendar date: `YYYY-MM-DD` with a four-digit year from
/// `0001` to `9999`, a two-digit month and a two-digit day that exist. No
/// sign, no white space, no other width.
pub fn parse_date(text: &str) -> Result<NaiveDate, InputError> {
    let error = |reason| InputError::Date {
        value: shown(text),
        reason,
    };
    let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = text.as_bytes() else {
        return Err(error(
            "expected YYYY-MM-DD (a four-digit year, a two-digit month and day)",
        ));
    };
    let (Some(year), Some(month), Some(day)) =
        (digits([y0, y1, y2, y3]), digits([m0, m1]), digits([d0, d1]))
    else {
        return Err(error(
            "expected YYYY-MM-DD (a four-digit year, a two-digit month and day)",
        ));
    };
    if year == 0 {
        return Err(error("the year must be 0001 to 9999"));
    }
    let year = i32::try_from(year).map_err(|_| error("the year must be 0001 to 9999"))?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| error("no such day in the calendar"))
}

/// Parses an RFC 3339 instant (`2026-11-21T10:00:00Z`, `2026-11-21
/// 12:00:00.5+02:00`) into UTC. Refused: anything but RFC 3339's shape, a
/// leap second (`:60`: UTC instants here have none), and more than 9
/// fractional digits (finer than a nanosecond cannot be held exactly), and
/// an instant whose UTC form falls outside the years 0001-9999 (an offset
/// can move `9999-12-31` or `0001-01-01` out of them).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, InputError> {
    let error = |reason: &str| InputError::Instant {
        value: shown(text),
        reason: reason.to_owned(),
    };
    let bytes = text.as_bytes();
    // The shape, before chrono reads the values: YYYY-MM-DD(T|t| )HH:MM:SS.
    let shape_ok = bytes.len() >= 20
        && bytes.iter().take(19).enumerate().all(|(i, &b)| match i {
            4 | 7 => b == b'-',
            10 => matches!(b, b'T' | b't' | b' '),
            13 | 16 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(error(
            "expected YYYY-MM-DDTHH:MM:SS, optional fractional seconds, then Z or an offset ±HH:MM",
        ));
    }
    if bytes.get(17..19) == Some(b"60") {
        return Err(error(
            "second 60 (a leap second) is not accepted: instants are UTC without leap seconds",
        ));
    }
    if bytes.get(19) == Some(&b'.') {
        let fraction = bytes
            .iter()
            .skip(20)
            .take_while(|b| b.is_ascii_digit())
            .count();
        if fraction > 9 {
            return Err(error(
                "more than 9 fractional digits: finer than a nanosecond cannot be represented",
            ));
        }
    }
    let instant = DateTime::parse_from_rfc3339(text).map_err(|e| error(&e.to_string()))?;
    if instant.nanosecond() >= 1_000_000_000 {
        return Err(error(
            "second 60 (a leap second) is not accepted: instants are UTC without leap seconds",
        ));
    }
    let utc = instant.with_timezone(&Utc);
    if !(1..=9999).contains(&utc.year()) {
        return Err(error(&format!(
            "in UTC it is {}, outside the years 0001 to 9999",
            utc.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        )));
    }
    Ok(utc)
}

fn check_len(text: &str, max: usize) -> Result<(), InputError> {
    if text.len() > max {
        Err(InputError::TooLong {
            len: text.len(),
            max,
        })
    } else {
        Ok(())
    }
}

/// Checks an email address (RFC 5321 basics): `local@domain` with a
/// dot-atom local part (letters, digits and ``!#$%&'*+-/=?^_`{|}~``, dots
/// between them) of at most 64 bytes and a domain of at least two labels
/// (letters, digits, hyphens not at either end; at most 63 bytes each, 253
/// in all); at most [`MAX_EMAIL_LEN`] bytes. Quoted local parts, address
/// literals and non-ASCII addresses are refused.
pub fn check_email(text: &str) -> Result<(), InputError> {
    check_len(text, MAX_EMAIL_LEN)?;
    let error = |reason| InputError::Email {
        value: shown(text),
        reason,
    };
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err(error("expected local-part@domain"));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(error("the part before `@` must be 1 to 64 bytes"));
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if local
        .split('.')
        .any(|atom| atom.is_empty() || !atom.chars().all(atext))
    {
        return Err(error(
            "the part before `@` holds a character an address cannot have, or a misplaced dot",
        ));
    }
    check_domain(domain, true).map_err(error)
}

/// Checks a DNS name: dot-separated labels of letters, digits and inner
/// hyphens, at most 63 bytes each and 253 in all; at least two labels when
/// `dotted`.
fn check_domain(domain: &str, dotted: bool) -> Result<(), &'static str> {
    if domain.is_empty() || domain.len() > 253 {
        return Err("the domain must be 1 to 253 bytes");
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !domain.split('.').all(label_ok) {
        return Err("the domain must be dot-separated labels of letters, digits and inner hyphens");
    }
    if dotted && !domain.contains('.') {
        return Err("the domain must have at least two labels (`example.com`)");
    }
    Ok(())
}

/// Checks an absolute `http` or `https` URL: the scheme (any case), `://`, a
/// host (a DNS name or a bracketed IPv6 address), an optional port, then a
/// path, query and fragment made only of the characters RFC 3986 allows
/// (`%` only before two hex digits). User information (`user@host`) is
/// refused: it makes a link look like it goes elsewhere. At most
/// [`MAX_URL_LEN`] bytes.
pub fn check_http_url(text: &str) -> Result<(), InputError> {
    check_len(text, MAX_URL_LEN)?;
    let error = |reason| InputError::Url {
        value: shown(text),
        reason,
    };
    let prefix = text
        .chars()
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    let rest = if prefix.starts_with("https://") {
        text.get(8..)
    } else if prefix.starts_with("http://") {
        text.get(7..)
    } else {
        None
    };
    let Some(rest) = rest else {
        return Err(error("it must start with http:// or https://"));
    };
    let uri_char = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c);
    if !rest.chars().all(uri_char) {
        return Err(error(
            "it holds a character a URL cannot have (white space, quotes, <>, non-ASCII, ...)",
        ));
    }
    if !rest
        .split('%')
        .skip(1)
        .all(|after| after.len() >= 2 && after.bytes().take(2).all(|b| b.is_ascii_hexdigit()))
    {
        return Err(error("`%` must be followed by two hex digits"));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end).unwrap_or_default();
    if authority.contains('@') {
        return Err(error("user information (`user@`) is not accepted"));
    }
    let port = match authority.strip_prefix('[') {
        Some(v6) => {
            let Some((addr, port)) = v6.split_once(']') else {
                return Err(error("a bracketed host must be an IPv6 address"));
            };
            let v6_char = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
            if !addr.contains(':') || !addr.chars().all(v6_char) {
                return Err(error("a bracketed host must be an IPv6 address"));
            }
            port
        }
        None => {
            let (host, port) = match authority.find(':') {
                Some(i) => authority.split_at(i),
                None => (authority, ""),
            };
            if host.is_empty() {
                return Err(error("it has no host"));
            }
            check_domain(host, false).map_err(|_| error("the host is not a valid DNS name"))?;
            port
        }
    };
    if !port.is_empty() {
        let port_ok = port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
        if !port_ok {
            return Err(error("the port must be a number 0 to 65535"));
        }
    }
    Ok(())
}

/// The identity of a ticket's URL: the one spelling of every URL that names
/// the same ticket, so that "never two licenses for one ticket" does not
/// depend on how the URL was written. `text` must pass
/// [`check_http_url`]. Normalised (RFC 3986, section 6.2.2, and more):
///
/// - the scheme and the host in lower case, the port dropped when it is
///   the scheme's default (`:80`, `:443`) and written without leading
///   zeros otherwise;
/// - in the path, percent-encoded unreserved characters decoded (`%35` is
///   `5`), other percent-encodings in upper case, `.` and `..` segments
///   resolved, empty segments dropped (`//`, a trailing `/`);
/// - no query and no fragment: they do not name another ticket
///   (`?utm=1`, `#comment-3`).
///
/// `HTTPS://Support.Example.com:443/agent//tickets/10%35/?utm=1#x` is
/// `https://support.example.com/agent/tickets/105`.
pub fn ticket_url_key(text: &str) -> Result<String, InputError> {
    check_http_url(text)?;
    let error = |reason| InputError::Url {
        value: shown(text),
        reason,
    };
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| error("it must start with http:// or https://"))?;
    let scheme = scheme.to_ascii_lowercase();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at_checked(end).unwrap_or((rest, ""));
    let path = tail.split(['?', '#']).next().unwrap_or_default();
    // The port follows the last `:` after any bracketed IPv6 address.
    let host_end = authority.rfind(']').map_or(0, |i| i + 1);
    let (host, port) = match authority
        .get(host_end..)
        .and_then(|after| after.find(':'))
        .and_then(|i| authority.split_at_checked(host_end + i))
    {
        Some((host, port)) => (host, port.get(1..).unwrap_or_default()),
        None => (authority, ""),
    };
    let mut key = format!("{scheme}://{}", host.to_ascii_lowercase());
    if !port.is_empty() {
        let port: u16 = port
            .parse()
            .map_err(|_| error("the port must be a number 0 to 65535"))?;
        let default = if scheme == "https" { 443 } else { 80 };
        if port != default {
            key.push_str(&format!(":{port}"));
        }
    }
    let mut segments: Vec<String> = Vec::new();
    for segment in path.split('/') {
        let segment = normal_segment(segment);
        match segment.as_str() {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    for segment in segments {
        key.push('/');
        key.push_str(&segment);
    }
    Ok(key)
}

/// A path segment with its percent-encoded unreserved characters decoded
/// and its other percent-encodings in upper case.
fn normal_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(at) = rest.find('%') {
        let (before, after) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.push_str(before);
        let hex = after
            .get(1..3)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) => {
                out.push(char::from(byte));
                rest = after.get(3..).unwrap_or_default();
            }
            Some(_) => {
                out.push('%');
                out.push_str(&after.get(1..3).unwrap_or_default().to_ascii_uppercase());
                rest = after.get(3..).unwrap_or_default();
            }
            None => {
                out.push('%');
                rest = after.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks a short text (an id, a name, a kind): not blank, no control
/// characters, at most [`MAX_TEXT_LEN`] bytes.
pub fn check_text(text: &str) -> Result<(), InputError> {
    check_len(text, MAX_TEXT_LEN)?;
    if text.trim().is_empty() {
        return Err(InputError::Blank);
    }
    if text.chars().any(char::is_control) {
        return Err(InputError::ControlCharacter {
            value: shown(&text.escape_debug().to_string()),
        });
    }
    Ok(())
}

/// serde `deserialize_with` helpers for dates and instants, which read
/// through the strict parsers, so every format (JSON, TOML, CSV cells)
/// accepts the same values. Emails, URLs and short texts are types of their
/// own ([`Email`], [`HttpUrl`], [`Text`]).
pub mod de {
    use std::borrow::Cow;
    use std::fmt;

    use chrono::{DateTime, NaiveDate, Utc};
    use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};

    /// The field name under which the `toml` crate hands over a native TOML
    /// date-time (`company_holidays = [2026-12-24]`): a one-entry map.
    const TOML_DATETIME_FIELD: &str = "$__toml_private_datetime";

    struct DateVisitor;

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date YYYY-MM-DD")
        }

        fn visit_str<E: Error>(self, text: &str) -> Result<NaiveDate, E> {
            super::parse_date(text).map_err(E::custom)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
            // A native TOML date: read it as the date it is.
            let key: Option<Cow<'de, str>> = map.next_key()?;
            match key {
                Some(key) if key == TOML_DATETIME_FIELD => {
                    let text: Cow<'de, str> = map.next_value()?;
                    super::parse_date(&text).map_err(A::Error::custom)
                }
                _ => Err(A::Error::custom(
                    "expected a date YYYY-MM-DD (a string), not a map",
                )),
            }
        }
    }

    /// A date in its own type, for sequences.
    struct Date(NaiveDate);

    impl<'de> Deserialize<'de> for Date {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_str(DateVisitor).map(Date)
        }
    }

    /// A strict date ([`parse_date`](super::parse_date)); in TOML also a
    /// native date.
    pub fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
        deserializer.deserialize_str(DateVisitor)
    }

    /// A sequence of strict dates.
    pub fn dates<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<NaiveDate>, D::Error> {
        Vec::<Date>::deserialize(deserializer).map(|dates| dates.into_iter().map(|d| d.0).collect())
    }

    /// A strict RFC 3339 instant ([`parse_instant`](super::parse_instant)).
    pub fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        super::parse_instant(&text).map_err(D::Error::custom)
    }
}
