//! `PolicyConfig`: defaults, deserialisation and validation (spec section 1).

use chrono::NaiveDate;
use chrono_tz::Tz;
use entitle_core::config::{
    ConfigError, MAX_EMERGENCY_WINDOW_DAYS, MAX_ESCALATION_THRESHOLD_HOURS, MAX_GRACE_PERIOD_DAYS,
    PolicyConfig, TEMPORARY_LICENSE_HARD_CAP_DAYS,
};
use entitle_core::domain::{Customer, CustomerStatus, License, Namespace, Plan};
use entitle_core::graph::Answer;
use serde_json::json;

fn parse(value: serde_json::Value) -> Result<PolicyConfig, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[test]
fn defaults_are_the_specs() {
    let config = PolicyConfig::default();
    assert_eq!(config.timezone, Tz::UTC);
    assert_eq!(config.grace_period_days, 14);
    assert_eq!(config.emergency_window_days, 3);
    assert_eq!(config.escalation_threshold_hours, 24);
    assert_eq!(config.temporary_license_days, 5);
    assert_eq!(config.temporary_license_max_days, 10);
    assert_eq!(TEMPORARY_LICENSE_HARD_CAP_DAYS, 10);
    assert!(config.company_holidays.is_empty());
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn an_empty_document_gives_the_defaults() {
    assert_eq!(parse(json!({})).unwrap(), PolicyConfig::default());
}

#[test]
fn a_partial_document_overrides_only_its_keys() {
    let config = parse(json!({
        "timezone": "Pacific/Auckland",
        "grace_period_days": 7,
        "company_holidays": ["2026-12-24", "2026-12-31"],
    }))
    .unwrap();
    assert_eq!(config.timezone, "Pacific/Auckland".parse::<Tz>().unwrap());
    assert_eq!(config.grace_period_days, 7);
    assert_eq!(
        config.company_holidays,
        vec![
            NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        ]
    );
    assert_eq!(config.emergency_window_days, 3);
    assert_eq!(config.escalation_threshold_hours, 24);
    assert_eq!(config.temporary_license_days, 5);
}

#[test]
fn the_config_round_trips_with_the_zone_by_name() {
    let config = PolicyConfig {
        timezone: "America/New_York".parse().unwrap(),
        company_holidays: vec![NaiveDate::from_ymd_opt(2026, 7, 3).unwrap()],
        ..PolicyConfig::default()
    };
    let value = serde_json::to_value(&config).unwrap();
    assert_eq!(
        value,
        json!({
            "timezone": "America/New_York",
            "grace_period_days": 14,
            "emergency_window_days": 3,
            "escalation_threshold_hours": 24,
            "temporary_license_days": 5,
            "temporary_license_max_days": 10,
            "company_holidays": ["2026-07-03"],
        })
    );
    assert_eq!(parse(value).unwrap(), config);
}

#[test]
fn an_unknown_key_is_rejected() {
    let err = parse(json!({ "grace_days": 7 })).unwrap_err();
    assert!(err.contains("unknown field `grace_days`"), "{err}");
}

#[test]
fn an_unknown_time_zone_names_the_bad_value() {
    let err = parse(json!({ "timezone": "Mars/Olympus_Mons" })).unwrap_err();
    assert!(err.contains("timezone = \"Mars/Olympus_Mons\""), "{err}");
    assert!(err.contains("IANA"), "{err}");
    // Names are case-sensitive, as in the tz database.
    assert!(parse(json!({ "timezone": "europe/berlin" })).is_err());
    assert!(parse(json!({ "timezone": "" })).is_err());
}

#[test]
fn wrong_types_are_rejected() {
    assert!(parse(json!({ "grace_period_days": -1 })).is_err());
    assert!(parse(json!({ "grace_period_days": "14" })).is_err());
    assert!(parse(json!({ "company_holidays": ["2026-13-01"] })).is_err());
    assert!(parse(json!({ "timezone": 1 })).is_err());
}

#[test]
fn temporary_license_longer_than_the_max_is_rejected() {
    let config = PolicyConfig {
        temporary_license_days: 12,
        ..PolicyConfig::default()
    };
    let err = config.validate().unwrap_err();
    assert_eq!(
        err,
        ConfigError::TemporaryLicenseTooLong {
            days: 12,
            max_days: 10
        }
    );
    assert_eq!(
        err.to_string(),
        "temporary_license_days = 12 exceeds temporary_license_max_days = 10"
    );
    let lower_max = PolicyConfig {
        temporary_license_max_days: 3,
        ..PolicyConfig::default()
    };
    assert_eq!(
        lower_max.validate().unwrap_err().to_string(),
        "temporary_license_days = 5 exceeds temporary_license_max_days = 3"
    );
    // Equal to the max is fine.
    let ten = PolicyConfig {
        temporary_license_days: 10,
        ..PolicyConfig::default()
    };
    assert_eq!(ten.validate(), Ok(()));
}

#[test]
fn the_max_above_the_hard_cap_is_rejected() {
    let config = PolicyConfig {
        temporary_license_max_days: 11,
        ..PolicyConfig::default()
    };
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "temporary_license_max_days = 11 exceeds the hard cap of 10"
    );
}

#[test]
fn a_zero_length_temporary_license_is_rejected() {
    let config = PolicyConfig {
        temporary_license_days: 0,
        ..PolicyConfig::default()
    };
    let err = config.validate().unwrap_err();
    assert_eq!(err, ConfigError::ZeroLengthTemporaryLicense);
    assert!(
        err.to_string().starts_with("temporary_license_days = 0"),
        "{err}"
    );
}

#[test]
fn absurd_values_are_rejected_with_their_key() {
    let cases = [
        (
            PolicyConfig {
                grace_period_days: MAX_GRACE_PERIOD_DAYS + 1,
                ..PolicyConfig::default()
            },
            "grace_period_days = 3651 exceeds the maximum of 3650",
        ),
        (
            PolicyConfig {
                emergency_window_days: u32::MAX,
                ..PolicyConfig::default()
            },
            "emergency_window_days = 4294967295 exceeds the maximum of 3650",
        ),
        (
            PolicyConfig {
                escalation_threshold_hours: MAX_ESCALATION_THRESHOLD_HOURS + 1,
                ..PolicyConfig::default()
            },
            "escalation_threshold_hours = 87601 exceeds the maximum of 87600",
        ),
    ];
    for (config, message) in cases {
        assert_eq!(config.validate().unwrap_err().to_string(), message);
    }
    let at_the_bounds = PolicyConfig {
        grace_period_days: MAX_GRACE_PERIOD_DAYS,
        emergency_window_days: MAX_EMERGENCY_WINDOW_DAYS,
        escalation_threshold_hours: MAX_ESCALATION_THRESHOLD_HOURS,
        ..PolicyConfig::default()
    };
    assert_eq!(at_the_bounds.validate(), Ok(()));
}

#[test]
fn zero_grace_window_and_threshold_are_allowed() {
    let config = PolicyConfig {
        grace_period_days: 0,
        emergency_window_days: 0,
        escalation_threshold_hours: 0,
        temporary_license_days: 1,
        temporary_license_max_days: 1,
        ..PolicyConfig::default()
    };
    assert_eq!(config.clone().validated(), Ok(config));
}

#[test]
fn validated_returns_the_first_error() {
    let config = PolicyConfig {
        temporary_license_days: 0,
        temporary_license_max_days: 20,
        ..PolicyConfig::default()
    };
    assert_eq!(
        config.validated(),
        Err(ConfigError::TemporaryLicenseCapExceeded { max_days: 20 })
    );
}

// ---------------------------------------------------------------------------
// Fact shapes (domain, spec section 2)
// ---------------------------------------------------------------------------

#[test]
fn a_license_deserialises_from_snake_case_fields_and_kebab_case_values() {
    let license: License = serde_json::from_value(json!({
        "plan": "ultimate",
        "trial": false,
        "starts_on": "2025-06-10",
        "expires_on": "2026-06-10",
        "users": 42,
    }))
    .unwrap();
    assert_eq!(license.plan, Plan::Ultimate);
    assert_eq!(
        license.expires_on,
        NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()
    );
    assert_eq!(license.users, 42);
    let back = serde_json::to_value(license).unwrap();
    assert_eq!(back["plan"], "ultimate");
    assert_eq!(back["starts_on"], "2025-06-10");
}

#[test]
fn facts_reject_unknown_fields_and_name_missing_ones() {
    let err = serde_json::from_value::<License>(json!({
        "plan": "free", "trial": true, "starts_on": "2026-01-01",
        "expires_on": "2026-02-01", "users": 1, "seats": 3,
    }))
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `seats`"), "{err}");
    let err = serde_json::from_value::<License>(json!({
        "plan": "free", "trial": true, "starts_on": "2026-01-01", "users": 1,
    }))
    .unwrap_err();
    assert!(
        err.to_string().contains("missing field `expires_on`"),
        "{err}"
    );
    let err = serde_json::from_value::<Customer>(json!({ "status": "Paid" })).unwrap_err();
    assert!(err.to_string().contains("unknown variant `Paid`"), "{err}");
    let err = serde_json::from_value::<Namespace>(json!({
        "had_trial": true, "has_subscription": false, "plan": "gold",
    }))
    .unwrap_err();
    assert!(err.to_string().contains("unknown variant `gold`"), "{err}");
}

#[test]
fn answer_labels_are_the_serde_values() {
    for status in CustomerStatus::ALL {
        assert_eq!(serde_json::to_value(status).unwrap(), status.label());
    }
    for plan in Plan::ALL {
        assert_eq!(serde_json::to_value(plan).unwrap(), plan.label());
    }
    assert_eq!(
        CustomerStatus::ALL
            .iter()
            .map(|s| s.label())
            .collect::<Vec<_>>(),
        ["paid", "unpaid", "prospect"]
    );
    assert_eq!(
        Plan::ALL.iter().map(|p| p.label()).collect::<Vec<_>>(),
        ["free", "premium", "ultimate"]
    );
    let customer: Customer = serde_json::from_value(json!({ "status": "prospect" })).unwrap();
    assert_eq!(customer.status, CustomerStatus::Prospect);
}

/// `monitoring_schedule` (spec 3.9): absent by default and then not
/// serialised; a map of strict dates to engineers; only workdays.
#[test]
fn the_monitoring_schedule_is_a_map_of_workdays_to_engineers() {
    assert_eq!(PolicyConfig::default().monitoring_schedule, None);
    let default = serde_json::to_value(PolicyConfig::default()).unwrap();
    assert!(default.get("monitoring_schedule").is_none());
    let config = parse(json!({
        "company_holidays": ["2026-03-06"],
        "monitoring_schedule": {"2026-03-02": "alice", "2026-03-03": "Bob Smith"}
    }))
    .unwrap();
    let schedule = config.monitoring_schedule.as_ref().unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    assert_eq!(schedule.get(day).unwrap().as_str(), "Bob Smith");
    assert_eq!(config.validate(), Ok(()));
    let back = serde_json::to_value(&config).unwrap();
    assert_eq!(back["monitoring_schedule"]["2026-03-02"], "alice");
    assert_eq!(parse(back).unwrap(), config);

    for (schedule, says) in [
        (json!({"2026-3-02": "alice"}), "is not a date"),
        (json!({"2026-03-02": ""}), "must not be empty"),
        (json!({"2026-03-02": " alice"}), "white space"),
        (json!(["alice"]), "a map from dates"),
    ] {
        let error = parse(json!({ "monitoring_schedule": schedule })).unwrap_err();
        assert!(error.contains(says), "{error}");
    }
    for (day, says) in [
        ("2026-03-07", "weekend day"),
        ("2026-03-06", "company holiday"),
    ] {
        let config = parse(json!({
            "company_holidays": ["2026-03-06"],
            "monitoring_schedule": { day: "alice" }
        }))
        .unwrap();
        let error = config.validate().unwrap_err();
        assert!(matches!(error, ConfigError::ScheduledOnNonWorkday { .. }));
        assert!(
            error.to_string().contains(says) && error.to_string().contains("alice"),
            "{error}"
        );
    }
}
