//! The strict input readers, and the facts and configuration that read
//! through them (issue 9: inputs that must be refused).
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{NaiveDate, TimeZone, Utc};
use entitle_core::config::PolicyConfig;
use entitle_core::domain::License;
use entitle_core::input::{
    InputError, MAX_EMAIL_LEN, MAX_TEXT_LEN, MAX_URL_LEN, check_email, check_http_url, check_text,
    parse_date, parse_instant,
};
use entitle_core::policies::{
    LicenseEmergencyFacts, ProvisionFailureFacts, WeekdayEmergencyFacts, WeekendEmergencyFacts,
};
use serde_json::json;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn dates_are_strict_yyyy_mm_dd() {
    assert_eq!(parse_date("2026-01-01").unwrap(), date(2026, 1, 1));
    assert_eq!(parse_date("0001-01-01").unwrap(), date(1, 1, 1));
    assert_eq!(parse_date("9999-12-31").unwrap(), date(9999, 12, 31));
    assert_eq!(parse_date("2024-02-29").unwrap(), date(2024, 2, 29));
    for bad in [
        " 2025-1-1",
        "2025-1-1",
        "2026-1-1",
        "2026-01-1",
        "0000-01-01",
        "-0001-01-01",
        "+2026-01-01",
        "12026-01-01",
        "2026-01-01 ",
        " 2026-01-01",
        "2026-13-01",
        "2026-00-10",
        "2026-02-29",
        "2026-04-31",
        "2026/01/01",
        "2026-01-01T00:00:00Z",
        "",
        "２０２６-01-01",
    ] {
        let err = parse_date(bad).unwrap_err();
        assert!(
            matches!(err, InputError::Date { .. }),
            "{bad:?} gave {err:?}"
        );
        assert!(err.to_string().contains("is not a date"), "{err}");
    }
}

#[test]
fn instants_are_exact_rfc3339() {
    let at = |s| parse_instant(s).unwrap();
    assert_eq!(
        at("2026-11-21T10:00:00Z"),
        Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
    );
    assert_eq!(
        at("2026-11-21T12:00:00+02:00"),
        Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap()
    );
    assert_eq!(at("2026-11-21t10:00:00z"), at("2026-11-21 10:00:00Z"));
    assert_eq!(
        at("2026-11-21T10:00:00.123456789Z").timestamp_subsec_nanos(),
        123_456_789
    );
    let refused = |s: &str, words: &str| {
        let err = parse_instant(s).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("`{s}`")), "{text}");
        assert!(text.contains(words), "{s:?}: {text}");
    };
    refused("2026-11-21T23:59:60Z", "leap second");
    refused("2016-12-31T23:59:60Z", "leap second");
    refused("2026-11-21T23:59:60.5+01:00", "leap second");
    refused(
        "2026-11-21T10:00:00.1234567891Z",
        "more than 9 fractional digits",
    );
    refused("2026-11-21T10:00:00", "not an RFC 3339 instant");
    refused("2026-11-21", "expected YYYY-MM-DDTHH:MM:SS");
    refused("2026-1-21T10:00:00Z", "expected YYYY-MM-DDTHH:MM:SS");
    refused(" 2026-11-21T10:00:00Z", "expected YYYY-MM-DDTHH:MM:SS");
    refused("2026-11-21T10:00:00Z ", "not an RFC 3339 instant");
    refused("2026-11-21T24:00:00Z", "not an RFC 3339 instant");
    refused("+2026-11-21T10:00:00Z", "expected");
}

/// An instant whose UTC form leaves the years 0001-9999 could not be
/// written back as RFC 3339 (it was logged as `+10000-...`, which no reader
/// takes back): refused, whatever the offset that moves it there.
#[test]
fn instants_stay_within_the_years_0001_to_9999_in_utc() {
    for text in [
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:00:00-01:00",
        "0000-01-01T00:00:00+01:00",
        "0000-06-01T00:00:00Z",
        "0001-01-01T00:59:59+01:00",
    ] {
        let err = parse_instant(text).unwrap_err().to_string();
        assert!(
            err.contains("outside the years 0001 to 9999"),
            "{text}: {err}"
        );
        assert!(err.contains(&format!("`{text}`")), "{err}");
    }
    for (text, utc) in [
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59+00:00"),
        ("9999-12-31T23:59:59+12:00", "9999-12-31T11:59:59+00:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
        ("0000-12-31T23:00:00-01:00", "0001-01-01T00:00:00+00:00"),
    ] {
        assert_eq!(parse_instant(text).unwrap().to_rfc3339(), utc, "{text}");
    }
}

#[test]
fn emails_follow_rfc_5321_basics() {
    for good in [
        "ops@example.com",
        "First.Last+tag@sub.example.co.uk",
        "a!#$%&'*+-/=?^_`{|}~z@x-y.example",
    ] {
        check_email(good).unwrap();
    }
    let long_local = format!("{}@example.com", "a".repeat(65));
    let long = format!("{}@{}.com", "a".repeat(64), "b".repeat(200));
    for bad in [
        "",
        "ops",
        "@example.com",
        "ops@",
        "ops@localhost",
        "ops@@example.com",
        "a@b@example.com",
        ".ops@example.com",
        "ops.@example.com",
        "o..ps@example.com",
        "o ps@example.com",
        "\"ops\"@example.com",
        "ops@-example.com",
        "ops@example-.com",
        "ops@example..com",
        "ops@exa_mple.com",
        "ops@[127.0.0.1]",
        "opé@example.com",
        "ops@example.com\n",
        long_local.as_str(),
        long.as_str(),
    ] {
        assert!(check_email(bad).is_err(), "{bad:?} was accepted");
    }
    let too_long = format!("{}@{}.com", "a".repeat(64), "b".repeat(MAX_EMAIL_LEN));
    assert!(matches!(
        check_email(&too_long),
        Err(InputError::TooLong {
            max: MAX_EMAIL_LEN,
            ..
        })
    ));
}

#[test]
fn urls_are_http_or_https_with_a_host() {
    for good in [
        "https://support.example.com/tickets/501234",
        "http://support.example.com",
        "HTTPS://Support.Example.com:8443/a/b?c=d&e=%20f#g",
        "https://[2001:db8::1]:443/x",
        "https://10.0.0.1/x",
    ] {
        check_http_url(good).unwrap();
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
    for bad in [
        "",
        "javascript:alert(1)",
        "JavaScript://example.com/%0aalert(1)",
        "ftp://example.com/x",
        "data:text/html,hi",
        "https://",
        "https:///path",
        "https://example.com/a b",
        "https://example.com/\"><script>",
        "https://example.com/é",
        "https://example.com/%zz",
        "https://example.com/%2",
        "https://support.example.com@evil.example/",
        "https://example.com:99999/",
        "https://example.com:/",
        "https://exa_mple.com/",
        "https://[nope]/",
        "https://example.com/\n",
        "//example.com/x",
        long.as_str(),
    ] {
        assert!(check_http_url(bad).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn short_text_is_capped_and_single_line() {
    check_text("A-S00012345").unwrap();
    check_text(&"x".repeat(MAX_TEXT_LEN)).unwrap();
    assert!(matches!(
        check_text(&"x".repeat(MAX_TEXT_LEN + 1)),
        Err(InputError::TooLong { .. })
    ));
    assert_eq!(check_text("  "), Err(InputError::Blank));
    assert!(matches!(
        check_text("a\nb"),
        Err(InputError::ControlCharacter { .. })
    ));
}

fn license(starts_on: &str, expires_on: &str) -> serde_json::Value {
    json!({"plan": "premium", "trial": false, "starts_on": starts_on, "expires_on": expires_on, "users": 10})
}

#[test]
fn license_dates_are_strict() {
    for bad in ["2026-1-1", " 2025-1-1", "0000-01-01", "-0001-01-01"] {
        let err = serde_json::from_value::<License>(license(bad, "2027-01-01")).unwrap_err();
        assert!(err.to_string().contains("is not a date"), "{bad}: {err}");
        let err = serde_json::from_value::<License>(license("2020-01-01", bad)).unwrap_err();
        assert!(err.to_string().contains("is not a date"), "{bad}: {err}");
    }
    let ok: License = serde_json::from_value(license("2026-01-01", "2027-01-01")).unwrap();
    assert_eq!(ok.starts_on, date(2026, 1, 1));
}

#[test]
fn a_license_must_not_end_before_it_starts() {
    let err = serde_json::from_value::<License>(license("2026-05-02", "2026-05-01")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`starts_on` (2026-05-02) is after `expires_on` (2026-05-01)"),
        "{text}"
    );
    // The same day is a license that is never active: accepted.
    serde_json::from_value::<License>(license("2026-05-01", "2026-05-01")).unwrap();
}

fn weekend_facts() -> serde_json::Value {
    json!({
        "customer": {"status": "paid"},
        "license": license("2025-01-01", "2026-01-01"),
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "screenshot_user_count": 12,
        "requester_email": "ops@example.com",
        "ticket_url": "https://support.example.com/tickets/1",
    })
}

fn weekday_facts() -> serde_json::Value {
    json!({
        "customer": {"status": "paid"},
        "license": license("2025-01-01", "2026-01-01"),
        "requester_has_cdot_account": true,
        "account_has_subscription_access": true,
        "seat_link_dates": ["2026-01-01"],
    })
}

#[test]
fn emails_and_urls_are_checked_in_facts() {
    serde_json::from_value::<WeekendEmergencyFacts>(weekend_facts()).unwrap();
    for (field, value, words) in [
        ("requester_email", "", "is not an email address"),
        ("requester_email", "ops", "is not an email address"),
        (
            "ticket_url",
            "javascript:alert(1)",
            "is not an http or https URL",
        ),
        ("ticket_url", "", "is not an http or https URL"),
    ] {
        let mut facts = weekend_facts();
        facts[field] = json!(value);
        let err = serde_json::from_value::<WeekendEmergencyFacts>(facts.clone()).unwrap_err();
        assert!(err.to_string().contains(words), "{field}={value:?}: {err}");
        // The flat license-emergency facts carry the same fields.
        let mut flat = weekday_facts();
        for (k, v) in facts.as_object().unwrap() {
            flat[k] = v.clone();
        }
        let err = serde_json::from_value::<LicenseEmergencyFacts>(flat).unwrap_err();
        assert!(err.to_string().contains(words), "{field}={value:?}: {err}");
    }
}

#[test]
fn seat_link_dates_are_strict() {
    serde_json::from_value::<WeekdayEmergencyFacts>(weekday_facts()).unwrap();
    let mut facts = weekday_facts();
    facts["seat_link_dates"] = json!(["2026-01-01", "2026-1-2"]);
    let err = serde_json::from_value::<WeekdayEmergencyFacts>(facts).unwrap_err();
    assert!(
        err.to_string().contains("`2026-1-2` is not a date"),
        "{err}"
    );
}

#[test]
fn provision_failures_read_strict_instants_and_short_text() {
    let facts = |occurred_at: &str, kind: &str| {
        json!({
            "failure": {"subscription": "A-S1", "kind": kind, "occurred_at": occurred_at},
            "fulfillment_resolved": false,
            "needs_lr_intervention": false,
            "root_cause": "unknown",
            "customer_email": "billing@customer.example",
        })
    };
    serde_json::from_value::<ProvisionFailureFacts>(facts("2026-11-21T10:00:00Z", "seats"))
        .unwrap();
    let err =
        serde_json::from_value::<ProvisionFailureFacts>(facts("2026-11-21T23:59:60Z", "seats"))
            .unwrap_err();
    assert!(err.to_string().contains("leap second"), "{err}");
    let err =
        serde_json::from_value::<ProvisionFailureFacts>(facts("2026-11-21T10:00:00Z", "a\nb"))
            .unwrap_err();
    assert!(err.to_string().contains("control character"), "{err}");
    let long = "k".repeat(MAX_TEXT_LEN + 1);
    let err = serde_json::from_value::<ProvisionFailureFacts>(facts("2026-11-21T10:00:00Z", &long))
        .unwrap_err();
    assert!(err.to_string().contains("at most 200"), "{err}");
}

#[test]
fn company_holidays_are_strict_dates() {
    let config: PolicyConfig =
        serde_json::from_value(json!({"company_holidays": ["2026-12-24"]})).unwrap();
    assert_eq!(config.company_holidays, vec![date(2026, 12, 24)]);
    let err = serde_json::from_value::<PolicyConfig>(json!({"company_holidays": ["2026-12-4"]}))
        .unwrap_err();
    assert!(err.to_string().contains("is not a date"), "{err}");
}

#[test]
fn a_supplied_recipient_email_is_an_email_address() {
    use entitle_core::policies::StarSelfManagedSupplied;
    let supplied = |recipient: serde_json::Value| {
        serde_json::from_value::<StarSelfManagedSupplied>(json!({
            "request": "license-not-received",
            "lr_team_available": true,
            "actor": "support-engineer",
            "recipient_email": recipient,
        }))
    };
    assert_eq!(
        supplied(json!("billing@initech.example"))
            .unwrap()
            .recipient_email
            .as_deref(),
        Some("billing@initech.example")
    );
    assert_eq!(supplied(json!(null)).unwrap().recipient_email, None);
    let err = supplied(json!("")).unwrap_err();
    assert!(err.to_string().contains("is not an email address"), "{err}");
}

/// One ticket, one identity: the spellings of one ticket's URL have one
/// key; another path, host, port or scheme is another ticket.
#[test]
fn a_ticket_url_has_one_identity() {
    use entitle_core::input::ticket_url_key;
    let key = "https://support.example.com/agent/tickets/1005";
    for spelling in [
        "https://support.example.com/agent/tickets/1005",
        "https://support.example.com/agent/tickets/1005/",
        "https://support.example.com/agent/tickets/1005?",
        "https://support.example.com/agent/tickets/1005#x",
        "https://SUPPORT.Example.COM/agent/tickets/1005",
        "HTTPS://support.example.com:443/agent/tickets/1005",
        "https://support.example.com:00443/agent/tickets/1005",
        "https://support.example.com/agent/tickets/100%35",
        "https://support.example.com//agent///tickets/1005//",
        "https://support.example.com/agent/tickets/1005?utm=1#comment",
        "https://support.example.com/agent/./x/../tickets/1005",
        "https://support.example.com/%61gent/tickets/1005",
    ] {
        assert_eq!(ticket_url_key(spelling).unwrap(), key, "{spelling}");
    }
    for other in [
        "https://support.example.com/agent/tickets/1006",
        "https://support.example.com/Agent/tickets/1005",
        "https://support.example.com:8443/agent/tickets/1005",
        "http://support.example.com/agent/tickets/1005",
        "https://support.example.org/agent/tickets/1005",
    ] {
        assert_ne!(ticket_url_key(other).unwrap(), key, "{other}");
    }
    assert_eq!(
        ticket_url_key("http://Example.com:80").unwrap(),
        "http://example.com"
    );
    assert_eq!(
        ticket_url_key("http://[::1]:8080/a%2fb%2Fc").unwrap(),
        "http://[::1]:8080/a%2Fb%2Fc"
    );
    assert!(ticket_url_key("ftp://example.com/1").is_err());
}

mod properties {
    use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
    use entitle_core::input::{parse_date, parse_instant};
    use proptest::prelude::*;

    proptest! {
        /// Every date of years 0001-9999 reads back from its `YYYY-MM-DD`.
        #[test]
        fn dates_round_trip(days in 0i64..3_652_059) {
            let date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let text = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse_date(&text), Ok(date));
        }

        /// Whatever is accepted is exactly the canonical form of the date.
        #[test]
        fn accepted_dates_are_canonical(text in "[ +-]?[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}[ ]?") {
            if let Ok(date) = parse_date(&text) {
                prop_assert_eq!(date.format("%Y-%m-%d").to_string(), text);
            }
        }

        /// Every instant of years 0001-9999 reads back exactly from its
        /// RFC 3339 form with nanoseconds, in UTC or at an offset.
        #[test]
        fn instants_round_trip(
            secs in -62_135_596_800i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -1439i32..1439,
        ) {
            let instant = DateTime::<Utc>::from_timestamp(secs, nanos).unwrap();
            let text = instant.to_rfc3339_opts(SecondsFormat::Nanos, true);
            prop_assert_eq!(parse_instant(&text), Ok(instant));
            let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let local = instant.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::AutoSi, false);
            if local.as_bytes().first().is_some_and(u8::is_ascii_digit) && local.len() >= 20 {
                prop_assert_eq!(parse_instant(&local), Ok(instant));
            }
        }

        /// Every spelling of one ticket's URL has the key of its plainest
        /// spelling, and the key is its own key.
        #[test]
        fn every_spelling_of_a_ticket_url_has_one_key(
            upper_scheme in any::<bool>(),
            upper_host in any::<bool>(),
            port in any::<bool>(),
            slashes in 1usize..4,
            dot in any::<bool>(),
            encoded in any::<bool>(),
            trailing in any::<bool>(),
            query in "(\\?[a-z=&]{0,8})?",
            fragment in "(#[a-z-]{0,8})?",
            id in 1u32..100_000,
        ) {
            use entitle_core::input::ticket_url_key;
            let plain = format!("https://support.example/tickets/{id}");
            let scheme = if upper_scheme { "HTTPS" } else { "https" };
            let host = if upper_host { "SUPPORT.Example" } else { "support.example" };
            let port = if port { ":443" } else { "" };
            let sep = "/".repeat(slashes);
            let dot = if dot { "./" } else { "" };
            let id_text = id.to_string();
            let id_text = if encoded {
                id_text.bytes().map(|b| format!("%{b:02x}")).collect()
            } else {
                id_text
            };
            let trailing = if trailing { "/" } else { "" };
            let spelling = format!(
                "{scheme}://{host}{port}{sep}tickets{sep}{dot}{id_text}{trailing}{query}{fragment}"
            );
            let key = ticket_url_key(&plain).unwrap();
            prop_assert_eq!(&key, &plain);
            prop_assert_eq!(ticket_url_key(&spelling).unwrap(), key.clone(), "{}", spelling);
            prop_assert_eq!(ticket_url_key(&key).unwrap(), key);
        }

        /// What is accepted writes back, in UTC, as an RFC 3339 instant
        /// of the years 0001-9999 that reads back the same (what the log
        /// stores is what its reader takes).
        #[test]
        fn accepted_instants_write_back_readable(
            secs in -62_135_596_800i64 - 86_400..253_402_300_799 + 86_400,
            offset_minutes in -1439i32..1439,
        ) {
            let instant = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
            let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let local = instant.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::AutoSi, false);
            if let Ok(read) = parse_instant(&local) {
                let written = read.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                prop_assert_eq!(parse_instant(&written), Ok(read));
            }
        }
    }
}

/// What a terminal is shown of data from outside: control and bidi
/// formatting characters escaped, the rest untouched (#20 item 13).
#[test]
fn values_are_escaped_for_a_terminal() {
    use entitle_core::input::{escape_for_terminal, escaped, is_unsafe_to_show};
    assert_eq!(escape_for_terminal("T-1001 Zoë"), "T-1001 Zoë");
    assert!(matches!(
        escape_for_terminal("plain"),
        std::borrow::Cow::Borrowed(_)
    ));
    assert_eq!(
        escape_for_terminal("T-\u{1b}]0;PWNED\u{7}\r\n\t\u{0}\u{85}\u{202e}"),
        r"T-\u{1b}]0;PWNED\u{7}\r\n\t\u{0}\u{85}\u{202e}"
    );
    let long = escaped(&"\u{1b}".repeat(100));
    assert!(long.ends_with('…') && long.chars().count() == 81, "{long}");
    for c in [
        '\u{0}', '\u{1b}', '\u{7f}', '\u{9b}', '\u{2066}', '\u{200f}',
    ] {
        assert!(is_unsafe_to_show(c), "{c:?}");
    }
    for c in ['a', 'é', ' ', '€', '\u{2070}'] {
        assert!(!is_unsafe_to_show(c), "{c:?}");
    }
}

/// What an error may quote of a file (#20 item 10): a parser's quoted runs
/// cut at 40 characters; of a TOML line, its key or header, never a value,
/// and nothing of a line that is not text.
#[test]
fn errors_quote_files_shortly() {
    use entitle_core::input::{line_excerpt, short_quotes};
    let long = "S".repeat(100);
    let message = short_quotes(&format!(
        "invalid type: string \"{long}\", expected `u32` at `{long}"
    ));
    assert_eq!(
        message,
        format!(
            "invalid type: string \"{}…\", expected `u32` at `{}…",
            "S".repeat(40),
            "S".repeat(40)
        )
    );
    assert_eq!(short_quotes("unknown `a\u{1b}b`"), r"unknown `a\u{1b}b`");
    assert_eq!(
        line_excerpt("  grace_period_dayz = 3").as_deref(),
        Some("grace_period_dayz = …")
    );
    assert_eq!(
        line_excerpt("[sinks.chat]").as_deref(),
        Some("[sinks.chat]")
    );
    assert_eq!(
        line_excerpt("API_KEY=SECRET").as_deref(),
        Some("API_KEY = …")
    );
    assert_eq!(
        line_excerpt("root:$6$SECRET:19000:0:99999:7:::").as_deref(),
        Some("")
    );
    assert_eq!(line_excerpt("A=1\u{0}B=SECRET"), None);
}
