//! The decide form, generated from a policy's facts JSON Schema, and the
//! facts read back from a submitted form.
//!
//! Each input is named by the fact's dotted path (`license.expires_on`).
//! The form holds no rule of its own beyond the schema's input types and
//! limits: what the policy refuses, the API's words say, next to the field.

use serde_json::{Map, Value};

/// What kind of input a fact gets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Input {
    /// Free text, with the schema's `maxLength`; `email` and `url` inputs
    /// for those formats.
    Text {
        /// `text`, `email` or `url`.
        html_type: &'static str,
        /// The schema's `maxLength`.
        max_length: Option<u64>,
    },
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// An integer, with the schema's bounds.
    Integer {
        /// The schema's `minimum`.
        min: Option<i64>,
        /// The schema's `maximum`.
        max: Option<i64>,
    },
    /// A checkbox (a required boolean: unchecked is `false`).
    Checkbox,
    /// One of a few values: `(value, description)`.
    Choice(Vec<(String, String)>),
    /// A list of dates or texts, one per line.
    List {
        /// Whether each item is a date.
        dates: bool,
    },
}

/// One fact of the form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    /// The dotted path (`license.expires_on`), also the input's name.
    pub(crate) path: String,
    /// The label: the last path segment in words.
    pub(crate) label: String,
    /// The schema's description.
    pub(crate) help: String,
    /// Whether the policy needs it (its object is required all the way up).
    pub(crate) required: bool,
    /// Whether `null` is accepted (an optional value left empty).
    pub(crate) nullable: bool,
    /// The input.
    pub(crate) input: Input,
}

/// A group of fields: the top level, or an object fact (`license`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Section {
    /// The object's path, empty at the top level.
    pub(crate) path: String,
    /// Its heading.
    pub(crate) title: String,
    /// Its description.
    pub(crate) help: String,
    /// Its fields.
    pub(crate) fields: Vec<Field>,
}

/// The sections of the form for `schema`, top-level facts first; `skip`
/// names facts the server sets itself (`actor`).
pub(crate) fn sections(schema: &Value, skip: &[&str]) -> Vec<Section> {
    let mut top = Section {
        path: String::new(),
        title: "Facts".to_owned(),
        help: String::new(),
        fields: Vec::new(),
    };
    let mut nested = Vec::new();
    walk(schema, schema, "", true, skip, &mut top, &mut nested);
    let mut out = vec![top];
    out.extend(nested);
    out.retain(|s| !s.fields.is_empty());
    out
}

fn walk(
    root: &Value,
    object: &Value,
    prefix: &str,
    required_here: bool,
    skip: &[&str],
    section: &mut Section,
    nested: &mut Vec<Section>,
) {
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return;
    };
    // In the schema's order where it keeps one (`required` is the order
    // the facts are declared in), then the rest.
    let mut names: Vec<&String> = properties.keys().collect();
    names.sort_by_key(|name| {
        required
            .iter()
            .position(|r| r == name)
            .unwrap_or(usize::MAX)
    });
    for name in names {
        let Some(property) = properties.get(name) else {
            continue;
        };
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        if skip.contains(&path.as_str()) {
            continue;
        }
        let is_required = required_here && required.contains(&name.as_str());
        let help = description(property);
        let (resolved, nullable) = resolve(root, property);
        if resolved.get("properties").is_some() {
            let mut inner = Section {
                title: words(name),
                help: if help.is_empty() {
                    description(resolved)
                } else {
                    help
                },
                path: path.clone(),
                fields: Vec::new(),
            };
            walk(root, resolved, &path, is_required, skip, &mut inner, nested);
            nested.push(inner);
            continue;
        }
        let input = input_of(resolved, is_required && !nullable);
        section.fields.push(Field {
            label: words(name),
            help,
            required: is_required && !nullable,
            nullable,
            input,
            path,
        });
    }
}

/// `schema` with a `$ref` followed and a nullable `anyOf`/type list
/// unwrapped, and whether `null` is accepted.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/$defs/")
            .and_then(|name| root.get("$defs").and_then(|d| d.get(name)));
        return match target {
            Some(target) => resolve(root, target),
            None => (schema, false),
        };
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = options
            .iter()
            .filter(|o| o.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [only] = non_null.as_slice() {
            let (inner, _) = resolve(root, only);
            return (inner, non_null.len() < options.len());
        }
    }
    let nullable = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t == "null"));
    (schema, nullable)
}

fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

fn input_of(schema: &Value, required: bool) -> Input {
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let choices: Vec<(String, String)> = options
            .iter()
            .filter_map(|o| {
                let value = o.get("const").and_then(Value::as_str)?;
                Some((value.to_owned(), description(o)))
            })
            .collect();
        if !choices.is_empty() {
            return Input::Choice(choices);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Input::Choice(
            values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| (v.to_owned(), String::new()))
                .collect(),
        );
    }
    let format = schema.get("format").and_then(Value::as_str);
    match type_of(schema) {
        Some("boolean") if required => Input::Checkbox,
        Some("boolean") => Input::Choice(vec![
            ("true".to_owned(), "yes".to_owned()),
            ("false".to_owned(), "no".to_owned()),
        ]),
        Some("integer") => Input::Integer {
            min: schema.get("minimum").and_then(Value::as_i64),
            max: schema.get("maximum").and_then(Value::as_i64),
        },
        Some("array") => Input::List {
            dates: schema
                .get("items")
                .and_then(|i| i.get("format"))
                .and_then(Value::as_str)
                == Some("date"),
        },
        _ if format == Some("date") => Input::Date,
        _ => Input::Text {
            html_type: match format {
                Some("email") => "email",
                Some("uri") => "url",
                _ => "text",
            },
            max_length: schema.get("maxLength").and_then(Value::as_u64),
        },
    }
}

fn description(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace('\n', " ")
}

/// `requester_email` as `Requester email`.
fn words(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// The facts of a submitted form: each field's value at its path, typed as
/// its input says. An empty optional field is left out; an empty required
/// one too, so the policy names it missing. A value that is not what its
/// input expects (`12x` for an integer) is kept as text, so the policy's
/// own words say what is wrong with it.
pub(crate) fn facts_from(sections: &[Section], form: &[(String, String)]) -> Map<String, Value> {
    let value_of = |path: &str| -> Option<&str> {
        form.iter()
            .find(|(name, _)| name == path)
            .map(|(_, v)| v.as_str())
    };
    let mut facts = Map::new();
    for field in sections.iter().flat_map(|s| &s.fields) {
        let raw = value_of(&field.path);
        let value = match &field.input {
            Input::Checkbox => Some(Value::Bool(raw.is_some())),
            Input::List { .. } => raw.map(|text| {
                Value::Array(
                    text.split([',', '\n', ' ', '\r', '\t'])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.to_owned()))
                        .collect(),
                )
            }),
            _ => match raw.map(str::trim) {
                None | Some("") => None,
                Some(text) => Some(typed(&field.input, text)),
            },
        };
        if let Some(value) = value {
            insert(&mut facts, &field.path, value);
        }
    }
    facts
}

fn typed(input: &Input, text: &str) -> Value {
    match input {
        Input::Integer { .. } => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
        Input::Choice(choices) if choices.iter().all(|(v, _)| v == "true" || v == "false") => {
            match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                other => Value::String(other.to_owned()),
            }
        }
        _ => Value::String(text.to_owned()),
    }
}

/// Sets `value` at the dotted `path` of `facts`, making the objects on the
/// way.
fn insert(facts: &mut Map<String, Value>, path: &str, value: Value) {
    let mut segments: Vec<&str> = path.split('.').collect();
    let Some(last) = segments.pop() else {
        return;
    };
    let mut current = facts;
    for segment in segments {
        let entry = current
            .entry(segment.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        current = next;
    }
    current.insert(last.to_owned(), value);
}

/// The form values of `facts` (a decision's, or an example's): each
/// field's path with its text, as the form shows it.
pub(crate) fn values_of(sections: &[Section], facts: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for field in sections.iter().flat_map(|s| &s.fields) {
        let pointer = format!("/{}", field.path.replace('.', "/"));
        let Some(value) = facts.pointer(&pointer) else {
            continue;
        };
        let text = match value {
            Value::Null => continue,
            Value::Bool(false) if field.input == Input::Checkbox => continue,
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        };
        out.push((field.path.clone(), text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `value` without its `null` members: the form leaves an empty
    /// optional fact out, which the policies read as `null`.
    fn without_nulls(value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), without_nulls(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    #[test]
    fn the_form_of_every_example_decides_as_the_example() {
        let config = entitle::config::PolicyConfig::default();
        for policy in entitle::policies::POLICIES {
            let schema = entitle::schema(policy.id).unwrap();
            let sections = sections(&schema, &[]);
            assert!(!sections.is_empty(), "{}", policy.id);
            for example in entitle::examples(policy.id).unwrap().unwrap() {
                // What a person would submit: the example's values, as
                // the form shows them.
                let form = values_of(&sections, &example.facts);
                let facts = Value::Object(facts_from(&sections, &form));
                assert_eq!(
                    facts,
                    without_nulls(&example.facts),
                    "{}: the form lost or changed a fact",
                    policy.id
                );
                let now = example.now.parse().unwrap();
                let report =
                    entitle::decide_json(policy.id, facts.to_string().as_bytes(), now, &config)
                        .unwrap();
                assert_eq!(report.outcome, example.outcome, "{}", policy.id);
            }
        }
    }

    #[test]
    fn inputs_follow_the_schema() {
        let schema = entitle::schema("license-emergency").unwrap();
        let sections = sections(&schema, &[]);
        let field = |path: &str| {
            sections
                .iter()
                .flat_map(|s| &s.fields)
                .find(|f| f.path == path)
                .unwrap_or_else(|| panic!("no field {path}"))
                .clone()
        };
        assert_eq!(field("license.expires_on").input, Input::Date);
        assert_eq!(field("screenshots.license_page").input, Input::Checkbox);
        assert!(matches!(field("customer.status").input, Input::Choice(ref c) if c.len() == 3));
        assert_eq!(
            field("requester_email").input,
            Input::Text {
                html_type: "email",
                max_length: Some(254)
            }
        );
        assert!(matches!(
            field("ticket_url").input,
            Input::Text {
                html_type: "url",
                ..
            }
        ));
        let count = field("screenshot_user_count");
        assert!(!count.required && count.nullable);
        assert_eq!(field("seat_link_dates").input, Input::List { dates: true });
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_kept_as_text_for_the_policy_to_refuse() {
        let schema = entitle::schema("license-emergency").unwrap();
        let sections = sections(&schema, &[]);
        let facts = facts_from(
            &sections,
            &[("screenshot_user_count".to_owned(), "12x".to_owned())],
        );
        assert_eq!(facts["screenshot_user_count"], "12x");
        assert_eq!(facts["screenshots"]["license_page"], false);
    }
}
