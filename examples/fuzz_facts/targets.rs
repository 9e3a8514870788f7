//! The targets (the `readers` target is in `readers.rs`)

use crate::*;

/// One case of a target for policy `P`.
pub(crate) struct Case<'a> {
    pub(crate) target: Target,
    pub(crate) rng: &'a mut Rng,
    pub(crate) problems: &'a mut Problems,
    /// What the case was, for the report.
    pub(crate) input: &'a mut String,
    /// How the case ended (an outcome id or an error class), for the tally.
    pub(crate) result: &'a mut &'static str,
    /// Time spent in the code under test (not in generating the input).
    pub(crate) spent: &'a mut Duration,
}

impl PolicyVisitor for Case<'_> {
    type Output = ();
    fn visit<P: Registered>(self) {
        match self.target {
            Target::Parser => parser_case::<P>(self),
            Target::Evaluate => evaluate_case::<P>(self),
            Target::Readers => readers_case::<P>(self),
        }
    }
}

/// A worked example as a facts document and its instant.
pub(crate) type ExampleDoc = (Value, DateTime<Utc>);

/// The worked examples of every policy (its built-in scenarios) as facts
/// documents, read once: cases ask for them thousands of times a second.
pub(crate) static EXAMPLE_DOCS: LazyLock<BTreeMap<&'static str, Vec<ExampleDoc>>> =
    LazyLock::new(|| {
        struct Docs;
        impl PolicyVisitor for Docs {
            type Output = Vec<ExampleDoc>;
            fn visit<P: Registered>(self) -> Self::Output {
                let examples = entitle::scenario::examples::<P>().unwrap_or_else(|e| {
                    eprintln!("{e}");
                    std::process::exit(2)
                });
                examples
                    .iter()
                    .filter_map(|e| serde_json::to_value(&e.facts).ok().map(|v| (v, e.now)))
                    .collect()
            }
        }
        POLICIES
            .iter()
            .filter_map(|p| Some((p.id, entitle::policies::visit(p.id, Docs).ok()?)))
            .collect()
    });

pub(crate) fn example_docs<P: Registered>() -> Vec<ExampleDoc> {
    EXAMPLE_DOCS.get(P::ID).cloned().unwrap_or_default()
}

pub(crate) fn parser_case<P: Registered>(case: Case<'_>) {
    let rng = case.rng;
    let examples = example_docs::<P>();
    let (base, example_now) = examples
        .get(rng.below(examples.len() as u64) as usize)
        .cloned()
        .unwrap_or((Value::Null, DateTime::<Utc>::UNIX_EPOCH));
    let tz = if rng.bool() { Tz::UTC } else { arb_zone(rng) };
    let now = if rng.bool() {
        example_now
    } else {
        arb_now(rng, tz)
    };
    let today = entitle::time::local_date(now, tz);
    let mut config = arb_config(rng, tz, today);
    if config.validate().is_err() || rng.bool() {
        config = PolicyConfig {
            timezone: tz,
            ..PolicyConfig::default()
        };
    }
    let mut schema_valid = false;
    let bytes: Vec<u8> = match rng.below(8) {
        0 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        1 => {
            let n = rng.below(40);
            (0..n)
                .flat_map(|_| rng.pick(TOKENS).as_bytes().to_vec())
                .collect()
        }
        2 | 3 => {
            let mut bytes = if rng.bool() {
                serde_json::to_vec(&base).unwrap_or_default()
            } else {
                serde_json::to_vec_pretty(&base).unwrap_or_default()
            };
            mutate_bytes(rng, &mut bytes);
            bytes
        }
        4..=6 => {
            let mut doc = base.clone();
            for _ in 0..1 + rng.below(3) {
                mutate_structure(rng, &mut doc);
            }
            let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
            if rng.one_in(4) {
                mutate_bytes(rng, &mut bytes);
            }
            if rng.one_in(8) {
                // A duplicate key, which serde_json's `Value` cannot hold.
                if let Some(Value::Object(map)) = Some(&base) {
                    if let Some((k, v)) = map.iter().next() {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        if let Some(rest) = text.strip_prefix('{') {
                            bytes = format!("{{{}:{},{rest}", json!(k), v).into_bytes();
                        }
                    }
                }
            }
            bytes
        }
        _ => {
            // A schema-valid document: must be accepted.
            let schema = serde_json::to_value(schemars::schema_for!(P::Facts)).unwrap_or_default();
            let mut generator = Gen {
                rng,
                root: &schema,
                today,
                now,
                mode: Mode::Plain,
                dates: Vec::new(),
                unsure: false,
            };
            let mut doc = generator.value(&schema, 0);
            order_license_dates(&mut doc);
            schema_valid = !generator.unsure;
            serde_json::to_vec(&doc).unwrap_or_default()
        }
    };
    *case.input = format!("{} now={now:?} tz={tz} facts={}", P::ID, preview(&bytes));
    let problems = case.problems;
    let started = Instant::now();
    let parsed = parse_facts::<P::Facts>(&bytes);
    match decide_json(P::ID, &bytes, now, &config) {
        Ok(report) => {
            *case.result = "decided";
            if report.policy != P::ID {
                problems.push(format!("report names policy {}", report.policy));
            }
            if report.stable_until.is_some_and(|until| until <= now) {
                problems.push(format!(
                    "stable_until {:?} not after now",
                    report.stable_until
                ));
            }
            if report.to_text().trim().is_empty() {
                problems.push("empty explanation".to_owned());
            }
            if let Err(e) = serde_json::to_string(&report) {
                problems.push(format!("report does not serialise: {e}"));
            }
            match parsed {
                Ok(facts) => {
                    check_round_trip::<P>(&facts, problems);
                    match decide::<P>(&facts, now, &config) {
                        Ok(o) if o.id() == report.outcome => {}
                        other => problems.push(format!(
                            "decide gives {other:?}, decide_json {}",
                            report.outcome
                        )),
                    }
                }
                Err(e) => {
                    problems.push(format!("decide_json decided what parse_facts refused: {e}"))
                }
            }
        }
        Err(DecideError::Facts(error)) => {
            *case.result = match error {
                FactsError::Empty => "refused: empty",
                FactsError::Invalid { path: Some(_), .. } => "refused: at a path",
                FactsError::Invalid { path: None, .. } => "refused: no path",
            };
            check_facts_error(&error, problems);
            if parsed.as_ref().err() != Some(&error) {
                problems.push(format!(
                    "parse_facts and decide_json disagree: {parsed:?} vs {error:?}"
                ));
            }
            if schema_valid {
                problems.push(format!("a schema-valid document is refused: {error}"));
            }
        }
        Err(DecideError::Policy(error)) => {
            *case.result = "policy error";
            problems.push(format!(
                "untyped or unexpected policy error: {error} ({error:?})"
            ));
        }
    }
    *case.spent = started.elapsed();
}

pub(crate) fn evaluate_case<P: Registered>(case: Case<'_>) {
    let rng = case.rng;
    let tz = arb_zone(rng);
    let examples = example_docs::<P>();
    let nudged = !examples.is_empty() && rng.bool();
    let (doc, now, config, mode) = if nudged {
        // An example, nudged: near every path of the policy.
        let (mut doc, example_now) = rng.pick(&examples).clone();
        nudge(rng, &mut doc);
        let now = example_now
            .checked_add_signed(TimeDelta::seconds(rng.range(-3 * 86_400, 3 * 86_400)))
            .unwrap_or(example_now)
            .with_nanosecond_or_self(if rng.one_in(4) {
                rng.below(1_000_000_000) as u32
            } else {
                0
            });
        let today = entitle::time::local_date(now, tz);
        let config = if rng.bool() {
            PolicyConfig {
                timezone: tz,
                ..PolicyConfig::default()
            }
        } else {
            arb_config(rng, tz, today)
        };
        (doc, now, config, Mode::Plain)
    } else {
        // Generated from the schema, anywhere in time.
        let now = arb_now(rng, tz);
        let today = entitle::time::local_date(now, tz);
        let config = arb_config(rng, tz, today);
        let mode = if rng.one_in(4) {
            Mode::Extreme
        } else {
            Mode::Plain
        };
        let schema = serde_json::to_value(schemars::schema_for!(P::Facts)).unwrap_or_default();
        let mut generator = Gen {
            rng,
            root: &schema,
            today,
            now,
            mode,
            dates: Vec::new(),
            unsure: false,
        };
        let mut doc = generator.value(&schema, 0);
        order_license_dates(&mut doc);
        let mode = if generator.unsure {
            Mode::Extreme
        } else {
            mode
        };
        (doc, now, config, mode)
    };
    *case.input = format!(
        "{} now={now:?} tz={tz} config={} facts={}",
        P::ID,
        serde_json::to_string(&config).unwrap_or_default(),
        preview(doc.to_string().as_bytes())
    );
    let problems = case.problems;
    let started = Instant::now();
    let facts: P::Facts = match serde_json::from_value(doc) {
        Ok(facts) => facts,
        Err(e) => {
            *case.result = "facts not representable";
            if mode == Mode::Plain {
                problems.push(format!("schema-valid facts are refused by their type: {e}"));
            }
            return;
        }
    };
    check_typed::<P>(&facts, now, &config, mode, problems);
    *case.result = match evaluate::<P>(&facts, now, &config) {
        Ok(d) => d.outcome.id(),
        Err(_) => "invalid config",
    };
    *case.spent = started.elapsed();
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

/// One case: which policy, and what it found.
pub(crate) fn run_case(
    target: Target,
    policy: &'static str,
    seed: u64,
) -> (Problems, String, &'static str, Duration) {
    let mut rng = Rng(seed);
    let mut problems = Problems::new();
    let mut input = String::new();
    let mut result = "";
    let mut spent = Duration::ZERO;
    let started = Instant::now();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        entitle::policies::visit(
            policy,
            Case {
                target,
                rng: &mut rng,
                problems: &mut problems,
                input: &mut input,
                result: &mut result,
                spent: &mut spent,
            },
        )
    }));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => problems.push(format!("unknown policy: {e}")),
        Err(_) => {
            let message = LAST_PANIC
                .with(|last| last.borrow_mut().take())
                .unwrap_or_default();
            problems.push(format!("PANIC: {message}"));
            result = "panic";
            spent = started.elapsed();
        }
    }
    if spent > Duration::from_secs(1) {
        problems.push(format!("slow case: {spent:?} in the code under test"));
    }
    (problems, input, result, started.elapsed())
}

pub(crate) struct Finding {
    pub(crate) target: Target,
    pub(crate) seed: u64,
    pub(crate) problem: String,
    pub(crate) input: String,
}
