//! Templates and tables: scenarios written as changes to a named base.
//!
//! A file's `[template.NAME]` tables hold any of a scenario's keys but its
//! name and expectation (`policy`, `now`, `facts`, `config`), and may
//! `extends` another template. A scenario (or a table) that `extends` a
//! template is that template deep-merged with its own keys: tables merge
//! key by key, anything else (a string, a number, a list) replaces.
//! `remove = ["facts.screenshots.license_page"]` then deletes keys by
//! their dotted path. A `[[table]]` is one base (its own keys, which may
//! extend a template) and `rows`, each a scenario's changes and
//! expectation, each its own test named `TABLE: ROW`.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Keys of a scenario entry that shape it but are not part of it.
pub(crate) const EXTENDS: &str = "extends";
/// See [`EXTENDS`].
pub(crate) const REMOVE: &str = "remove";

/// `patch` deep-merged into `base`.
pub(crate) fn deep_merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(slot) => deep_merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, patch) => *slot = patch,
    }
}

/// Deletes the key at the dotted `path` (`facts.license.trial`); false when
/// there is none.
pub(crate) fn remove_path(document: &mut Value, path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return false;
    };
    let mut at = document;
    for part in parts {
        match at.get_mut(part) {
            Some(next) => at = next,
            None => return false,
        }
    }
    at.as_object_mut()
        .is_some_and(|map| map.remove(last).is_some())
}

/// Why a template cannot be used: the field and the problem.
pub(crate) type TemplateError = (String, String);

/// A scenario (or template) with its template applied, and the chain of
/// template names it took.
pub(crate) type Applied = Result<(Value, Vec<String>), TemplateError>;

/// The file's templates, each resolved (its `extends` chain merged).
#[derive(Debug, Default)]
pub(crate) struct Templates {
    raw: Map<String, Value>,
    resolved: HashMap<String, (Value, Vec<String>)>,
}

impl Templates {
    /// The `template` table of a file.
    pub(crate) fn new(raw: Map<String, Value>) -> Templates {
        Templates {
            raw,
            resolved: HashMap::new(),
        }
    }

    /// Template `name` with its chain merged, and the names in the chain
    /// (`name` first) for locating its values in the file.
    pub(crate) fn resolve(&mut self, name: &str) -> Applied {
        self.resolve_inner(name, &mut Vec::new())
    }

    fn resolve_inner(&mut self, name: &str, seen: &mut Vec<String>) -> Applied {
        if let Some(done) = self.resolved.get(name) {
            return Ok(done.clone());
        }
        if seen.iter().any(|s| s == name) {
            seen.push(name.to_owned());
            return Err((
                EXTENDS.into(),
                format!(
                    "templates extend each other in a cycle: {}",
                    seen.join(" -> ")
                ),
            ));
        }
        let Some(Value::Object(template)) = self.raw.get(name).cloned() else {
            let known: Vec<&str> = self.raw.keys().map(String::as_str).collect();
            return Err((
                EXTENDS.into(),
                crate::input::short_quotes(&format!(
                    "no template `{name}` in this file (its templates: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                )),
            ));
        };
        seen.push(name.to_owned());
        let (value, chain) = apply(template, |parent| self.resolve_inner(parent, seen))?;
        let mut names = vec![name.to_owned()];
        names.extend(chain);
        self.resolved
            .insert(name.to_owned(), (value.clone(), names.clone()));
        Ok((value, names))
    }
}

/// `entry` over the template it `extends` (resolved by `parent`), with its
/// `remove` paths deleted: the scenario (or template) it stands for, and
/// the chain of template names it took.
pub(crate) fn apply(
    mut entry: Map<String, Value>,
    mut parent: impl FnMut(&str) -> Applied,
) -> Applied {
    let extends = entry.remove(EXTENDS);
    let remove = entry.remove(REMOVE);
    let (mut document, chain) = match extends {
        None => (Value::Object(Map::new()), Vec::new()),
        Some(Value::String(name)) => parent(&name)?,
        Some(_) => {
            return Err((EXTENDS.into(), "expected a template's name".into()));
        }
    };
    deep_merge(&mut document, Value::Object(entry));
    match remove {
        None => {}
        Some(Value::Array(paths)) => {
            for (i, path) in paths.iter().enumerate() {
                let field = format!("{REMOVE}[{i}]");
                let Some(path) = path.as_str() else {
                    return Err((
                        field,
                        "expected a dotted key path (`facts.license.trial`)".into(),
                    ));
                };
                if !remove_path(&mut document, path) {
                    return Err((
                        field,
                        crate::input::short_quotes(&format!(
                            "nothing to remove at `{path}` (a path is dotted keys from the scenario: `facts.license.trial`)"
                        )),
                    ));
                }
            }
        }
        Some(_) => {
            return Err((
                REMOVE.into(),
                "expected a list of dotted key paths (`[\"facts.license.trial\"]`)".into(),
            ));
        }
    }
    Ok((document, chain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_deep_and_lists_replace() {
        let mut base = json!({"facts": {"license": {"users": 5, "plan": "premium"}, "l": [1, 2]}});
        deep_merge(
            &mut base,
            json!({"facts": {"license": {"users": 7}, "l": [3]}}),
        );
        assert_eq!(
            base,
            json!({"facts": {"license": {"users": 7, "plan": "premium"}, "l": [3]}})
        );
        assert!(remove_path(&mut base, "facts.license.plan"));
        assert!(!remove_path(&mut base, "facts.license.plan"));
        assert_eq!(base, json!({"facts": {"license": {"users": 7}, "l": [3]}}));
    }

    #[test]
    fn chains_resolve_and_cycles_are_errors() {
        let raw = json!({
            "a": {"policy": "p", "facts": {"x": 1, "y": 2}},
            "b": {"extends": "a", "facts": {"y": 3}, "remove": ["facts.x"]},
            "c": {"extends": "d"},
            "d": {"extends": "c"},
        });
        let Value::Object(raw) = raw else { panic!() };
        let mut templates = Templates::new(raw);
        let (b, chain) = templates.resolve("b").unwrap();
        assert_eq!(b, json!({"policy": "p", "facts": {"y": 3}}));
        assert_eq!(chain, ["b", "a"]);
        let (field, message) = templates.resolve("c").unwrap_err();
        assert_eq!(field, "extends");
        assert!(message.contains("c -> d -> c"), "{message}");
        assert!(
            templates
                .resolve("zz")
                .unwrap_err()
                .1
                .contains("a, b, c, d")
        );
    }
}
