//! `docs/policies.md` is generated from the code and kept in sync by this
//! test: every policy's purpose, facts (from the JSON Schema, with their doc
//! comments), Mermaid diagram, and one checked example per outcome.
//!
//! After changing a policy, regenerate with
//! `ENTITLE_BLESS=1 cargo test --test integration docs_sync::` and review the diff.
#![expect(
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::fmt::Write as _;

use entitle::config::PolicyConfig;

fn facts_table(schema: &serde_json::Value) -> String {
    let mut out =
        String::from("| field | type | required | meaning |\n| --- | --- | --- | --- |\n");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if let Some(props) = schema["properties"].as_object() {
        for (name, prop) in props {
            let kind = describe_type(schema, prop);
            let doc = prop["description"]
                .as_str()
                .or_else(|| resolve(schema, prop)["description"].as_str())
                .unwrap_or("")
                .replace('\n', " ");
            let req = if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            };
            let _ = writeln!(out, "| `{name}` | {kind} | {req} | {doc} |");
        }
    }
    out
}

fn resolve<'a>(
    schema: &'a serde_json::Value,
    prop: &'a serde_json::Value,
) -> &'a serde_json::Value {
    match prop["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => &schema["$defs"][name],
        None => prop,
    }
}

fn describe_type(schema: &serde_json::Value, prop: &serde_json::Value) -> String {
    let target = resolve(schema, prop);
    if let Some(variants) = target["oneOf"]
        .as_array()
        .or_else(|| target["enum"].as_array())
    {
        let names: Vec<String> = variants
            .iter()
            .filter_map(|v| {
                v["const"]
                    .as_str()
                    .or_else(|| v.as_str())
                    .map(|s| format!("`{s}`"))
            })
            .collect();
        if !names.is_empty() {
            return names.join(" \\| ");
        }
    }
    if let Some(name) = prop["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        return format!("object `{name}`");
    }
    match &target["type"] {
        serde_json::Value::String(t) if t == "array" => {
            format!("array of {}", describe_type(schema, &target["items"]))
        }
        serde_json::Value::String(t) => match target["format"].as_str() {
            Some(f) => format!("{t} ({f})"),
            None => t.clone(),
        },
        serde_json::Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "value".to_owned(),
    }
}

fn generate() -> String {
    let config = PolicyConfig::default();
    let mut out = String::from(
        "# Policies\n\n\
         Generated from the code by `tests/docs_sync.rs` (`ENTITLE_BLESS=1 cargo test --test integration docs_sync::`);\n\
         a test fails when this page and the code disagree. Ids of policies, nodes, outcomes and fields are a\n\
         public contract. Examples are decided under the default configuration (`timezone = \"UTC\"`).\n\n",
    );
    for policy in entitle::policies::POLICIES {
        let _ = writeln!(
            out,
            "- [`{}`](#{}): {}",
            policy.id, policy.id, policy.summary
        );
    }
    for policy in entitle::policies::POLICIES {
        let _ = write!(
            out,
            "\n## {}\n\n{} (version {})\n\n",
            policy.id, policy.summary, policy.version
        );
        let schema = entitle::schema(policy.id).unwrap();
        let _ = write!(out, "### Facts\n\n{}\n", facts_table(&schema));
        let mermaid = entitle::render(policy.id, entitle::RenderFormat::Mermaid).unwrap();
        let _ = write!(
            out,
            "### Graph\n\n```mermaid\n{mermaid}```\n\n### One example per outcome\n"
        );
        let examples = entitle::examples(policy.id).unwrap().unwrap();
        let mut seen = Vec::new();
        for example in examples {
            if seen.contains(&example.outcome) {
                continue;
            }
            seen.push(example.outcome);
            let facts = serde_json::to_vec(&example.facts).unwrap();
            let now = example.now.parse().unwrap();
            let report = entitle::decide_json(policy.id, &facts, now, &config).unwrap();
            assert_eq!(report.outcome, example.outcome);
            let stable = report
                .stable_until
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_else(|| "null".to_owned());
            let _ = write!(
                out,
                "\n#### `{}`\n\n{}. At `{}` these facts give `{}`, stable until `{}`:\n\n```json\n{}\n```\n",
                example.outcome,
                report.outcome_text,
                example.now,
                example.outcome,
                stable,
                serde_json::to_string_pretty(&example.facts).unwrap()
            );
        }
        schedule_examples(&mut out, policy.id);
    }
    out
}

/// The policy's scenarios that configure a monitoring schedule (spec 3.9):
/// the schedule, when the failure occurred, and who reviews it.
fn schedule_examples(out: &mut String, policy: &str) {
    let scenarios: Vec<_> = entitle::scenario::corpus::corpus()
        .unwrap()
        .into_iter()
        .filter(|s| s.policy == policy && s.config.contains_key("monitoring_schedule"))
        .collect();
    if scenarios.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "\n### With a monitoring schedule\n\n\
         With `monitoring_schedule` in the configuration (a table of `YYYY-MM-DD = \"engineer\"`,\n\
         written by `entitle schedule build`, see [schedule.md](schedule.md)), every outcome names the\n\
         `reviewer`: the engineer scheduled on `review_on`. From `scenarios/{policy}.toml`:\n\n\
         | scenario | holidays | schedule | failure occurred | `review_on` | `reviewer` |\n\
         | --- | --- | --- | --- | --- | --- |\n"
    );
    for s in scenarios {
        let run = entitle::scenario::run::run(&s, &PolicyConfig::default()).unwrap();
        assert!(run.passed(), "{}", run.failure_line());
        let schedule: Vec<String> = s.config["monitoring_schedule"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(day, who)| format!("{day} {}", who.as_str().unwrap()))
            .collect();
        let holidays: Vec<&str> = s
            .config
            .get("company_holidays")
            .and_then(|h| h.as_array())
            .map(|h| h.iter().filter_map(|d| d.as_str()).collect())
            .unwrap_or_default();
        let cell = |key: &str| {
            run.got
                .as_ref()
                .and_then(|got| got.details.get(key))
                .and_then(|v| v.as_str())
                .map_or_else(|| "(none)".to_owned(), |v| format!("`{v}`"))
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | `{}` | {} | {} |",
            s.name,
            if holidays.is_empty() {
                "-".to_owned()
            } else {
                holidays.join(", ")
            },
            schedule.join(", "),
            s.facts["failure"]["occurred_at"].as_str().unwrap(),
            cell("review_on"),
            cell("reviewer"),
        );
    }
}

#[test]
fn docs_policies_md_is_in_sync_with_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/policies.md");
    let generated = generate();
    if std::env::var_os("ENTITLE_BLESS").is_some() {
        std::fs::write(path, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/policies.md is out of date: run `ENTITLE_BLESS=1 cargo test --test integration docs_sync::` and review the diff"
    );
}

/// The ticket shown in the README decides as the README says it does.
#[test]
fn the_readme_ticket_decides_as_described() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```json\n").unwrap() + "```json\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let facts = &readme.as_bytes()[start..end];
    let config = PolicyConfig::default();
    let saturday = entitle::decide_json(
        "license-emergency",
        facts,
        "2026-11-21T10:00:00Z".parse().unwrap(),
        &config,
    )
    .unwrap();
    assert_eq!(saturday.outcome, "generate-temporary-license");
    assert_eq!(saturday.details.users, Some(118));
    assert_eq!(saturday.details.days, Some(5));
    assert_eq!(
        saturday.stable_until,
        Some("2026-11-23T00:00:00Z".parse().unwrap())
    );
    let friday = entitle::decide_json(
        "license-emergency",
        facts,
        "2026-11-20T10:00:00Z".parse().unwrap(),
        &config,
    )
    .unwrap();
    assert_eq!(friday.outcome, "engage-lr-sme");
    for claim in ["5-day", "118 users", "Monday 00:00", "engage an L&R SME"] {
        assert!(readme.contains(claim), "README no longer says `{claim}`");
    }
}
