//! The built-in corpus: every policy's scenarios, one TOML file per policy
//! in `crates/entitle-core/scenarios/`, embedded in the binary.

use super::{Scenario, ScenarioError, ScenarioFormat, load_str};

/// The built-in scenario files: `(policy id, TOML text)`, in registry order
/// (each policy's [`SCENARIOS`](crate::policy::Policy::SCENARIOS)).
pub const CORPUS: &[(&str, &str)] = crate::policies::SCENARIO_FILES;

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
