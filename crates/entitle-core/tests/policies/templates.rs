//! Property: any built-in scenario, rewritten as a template and a patch
//! (each fact in the template, in the patch, or in both with the template's
//! value overridden; a key only the template has removed), loads to the same
//! facts and decides the same way.

use entitle::config::PolicyConfig;
use entitle::scenario::run::run;
use entitle::scenario::{ScenarioFormat, corpus, load_str};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The leaves of a facts document: (path, value), an empty table a leaf.
fn leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, item) in map {
                path.push(key.clone());
                leaves(item, path, out);
                path.pop();
            }
        }
        other => out.push((path.clone(), other.clone())),
    }
}

fn set(doc: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = doc;
    for key in parents {
        let slot = at
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(next) = slot else {
            return;
        };
        at = next;
    }
    at.insert(last.clone(), value);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_scenario_as_template_and_patch_runs_identically(
        pick in any::<prop::sample::Index>(),
        choices in prop::collection::vec(0_u8..3, 64),
        decoy in any::<bool>(),
    ) {
        let corpus = corpus::corpus().unwrap();
        let original = pick.get(&corpus);
        let mut found = Vec::new();
        leaves(&original.facts, &mut Vec::new(), &mut found);
        let mut template = Map::new();
        let mut patch = Map::new();
        for (i, (path, value)) in found.into_iter().enumerate() {
            match choices.get(i % choices.len()).copied().unwrap_or(0) {
                0 => set(&mut template, &path, value),
                1 => set(&mut patch, &path, value),
                _ => {
                    set(&mut template, &path, json!("a value the patch replaces"));
                    set(&mut patch, &path, value);
                }
            }
        }
        let mut remove = Vec::new();
        if decoy {
            template.insert("only_in_the_template".into(), json!({"x": 1}));
            remove.push("facts.only_in_the_template");
        }
        let file = json!({
            "template": {"t": {"policy": original.policy, "now": original.now, "facts": template}},
            "scenario": [{
                "name": original.name,
                "extends": "t",
                "facts": patch,
                "remove": remove,
                "config": original.config,
                "expect": {"outcome": original.expect.outcome},
            }],
        });
        let loaded = load_str(&file.to_string(), ScenarioFormat::Json, "t.json").unwrap();
        prop_assert_eq!(loaded.len(), 1);
        let rewritten = &loaded[0];
        prop_assert_eq!(&rewritten.facts, &original.facts);
        prop_assert_eq!(rewritten.now, original.now);
        prop_assert_eq!(rewritten.policy, original.policy);
        prop_assert_eq!(&rewritten.config, &original.config);
        let base = PolicyConfig::default();
        let a = run(original, &base).unwrap();
        let b = run(rewritten, &base).unwrap();
        prop_assert_eq!(&a.got, &b.got);
        prop_assert!(b.passed(), "{}", b.differences());
    }
}
