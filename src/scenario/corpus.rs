//! The built-in corpus: every policy's scenarios, one TOML file per policy
//! in `crates/entitle-core/scenarios/`, embedded in the binary.

use super::{Scenario, ScenarioError, ScenarioFormat, load_str};

/// The built-in scenario files: `(policy id, TOML text)`, in registry order.
pub const CORPUS: &[(&str, &str)] = &[
    (
        "license-status",
        include_str!("../../crates/entitle-core/scenarios/license-status.toml"),
    ),
    (
        "weekend-emergency",
        include_str!("../../crates/entitle-core/scenarios/weekend-emergency.toml"),
    ),
    (
        "emergency-license-follow-up",
        include_str!("../../crates/entitle-core/scenarios/emergency-license-follow-up.toml"),
    ),
    (
        "weekday-emergency",
        include_str!("../../crates/entitle-core/scenarios/weekday-emergency.toml"),
    ),
    (
        "license-emergency",
        include_str!("../../crates/entitle-core/scenarios/license-emergency.toml"),
    ),
    (
        "star-validity",
        include_str!("../../crates/entitle-core/scenarios/star-validity.toml"),
    ),
    (
        "star-self-managed",
        include_str!("../../crates/entitle-core/scenarios/star-self-managed.toml"),
    ),
    (
        "star-saas",
        include_str!("../../crates/entitle-core/scenarios/star-saas.toml"),
    ),
    (
        "provision-failure",
        include_str!("../../crates/entitle-core/scenarios/provision-failure.toml"),
    ),
];

/// Every built-in scenario, checked. Files are named
/// `scenarios/<policy-id>.toml`.
pub fn corpus() -> Result<Vec<Scenario>, ScenarioError> {
    let mut all = Vec::new();
    for (policy, text) in CORPUS {
        all.extend(load_str(
            text,
            ScenarioFormat::Toml,
            &format!("scenarios/{policy}.toml"),
        )?);
    }
    Ok(all)
}
