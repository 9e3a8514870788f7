//! The checks

use crate::*;

pub(crate) fn path_of(trace: &[Step<'static>]) -> Vec<(&'static str, &'static str)> {
    trace.iter().map(|s| (s.node, s.answer)).collect()
}

/// A facts error must say what is wrong (and where, when it names a path).
pub(crate) fn check_facts_error(error: &FactsError, problems: &mut Problems) {
    match error {
        FactsError::Empty => {}
        FactsError::Invalid { path, message } => {
            if message.trim().is_empty() {
                problems.push("facts error with an empty message".to_owned());
            }
            // A path may be empty: the field named "" is a field.
            let _ = path;
        }
    }
    if error.to_string().trim().is_empty() {
        problems.push("facts error that displays as nothing".to_owned());
    }
}

/// The checks of one typed decision of `P`: evaluate agrees with decide and
/// the table walk, `stable_until` is after `now` and honest, the report
/// serialises and explains, and the JSON round trip decides the same.
pub(crate) fn check_typed<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
    mode: Mode,
    problems: &mut Problems,
) {
    let valid_config = config.validate().is_ok();
    let decision = evaluate::<P>(facts, now, config);
    let fast = decide::<P>(facts, now, config);
    let walk = P::graph().and_then(|g| {
        g.decide_walk(facts, &Context::new(now, config))
            .copied()
            .map_err(PolicyError::from)
    });
    let decision = match (decision, valid_config) {
        (Ok(d), true) => d,
        (Err(PolicyError::Config(_)), false) => return,
        (Ok(_), false) => {
            problems.push("evaluate accepted an invalid configuration".to_owned());
            return;
        }
        (Err(e), _) => {
            problems.push(format!("evaluate failed: {e} ({e:?})"));
            return;
        }
    };
    match (&fast, &walk) {
        (Ok(a), Ok(b)) if *a == decision.outcome && *b == decision.outcome => {}
        _ => problems.push(format!(
            "outcomes disagree: evaluate {:?}, decide {fast:?}, decide_walk {walk:?}",
            decision.outcome
        )),
    }
    if decision.trace.is_empty() {
        problems.push("empty trace".to_owned());
    }
    let here = path_of(&decision.trace);
    match decision.stable_until {
        Some(until) if until <= now => {
            problems.push(format!("stable_until {until:?} is not after now {now:?}"));
        }
        Some(until) => {
            let just_before = until - TimeDelta::nanoseconds(1);
            match evaluate::<P>(facts, just_before, config) {
                Ok(d) if path_of(&d.trace) == here => {}
                Ok(d) => problems.push(format!(
                    "path changed before stable_until {until:?} (at {just_before:?}): {here:?} -> {:?}",
                    path_of(&d.trace)
                )),
                Err(e) => problems.push(format!("evaluate failed at {just_before:?}: {e}")),
            }
            match evaluate::<P>(facts, until, config) {
                Ok(d) if path_of(&d.trace) != here => {}
                Ok(_) => problems.push(format!(
                    "same path at stable_until {until:?} (now {now:?}): {here:?}"
                )),
                Err(e) => problems.push(format!("evaluate failed at {until:?}: {e}")),
            }
        }
        None => {
            for later in [
                TimeDelta::days(1),
                TimeDelta::days(400),
                TimeDelta::days(40_000),
            ] {
                let Some(t) = now.checked_add_signed(later) else {
                    continue;
                };
                match evaluate::<P>(facts, t, config) {
                    Ok(d) if path_of(&d.trace) == here => {}
                    Ok(d) => problems.push(format!(
                        "stable_until is null but the path changes by {t:?}: {here:?} -> {:?}",
                        path_of(&d.trace)
                    )),
                    Err(e) => problems.push(format!("evaluate failed at {t:?}: {e}")),
                }
            }
        }
    }
    let outcome = decision.outcome;
    let stable_until = decision.stable_until;
    let report = report_for::<P>(decision, now, config);
    if report.to_text().trim().is_empty() {
        problems.push("empty explanation".to_owned());
    }
    let json = match serde_json::to_vec(facts) {
        Ok(json) => json,
        Err(e) => {
            problems.push(format!("facts do not serialise: {e}"));
            return;
        }
    };
    if let Err(e) = serde_json::to_string(&report) {
        problems.push(format!("report does not serialise: {e}"));
    }
    match decide_json(P::ID, &json, now, config) {
        Ok(r) if r.outcome == outcome.id() && r.stable_until == stable_until => {}
        Ok(r) => problems.push(format!(
            "decide_json of the serialised facts disagrees: {} until {:?} vs {} until {:?}",
            r.outcome,
            r.stable_until,
            outcome.id(),
            stable_until
        )),
        Err(DecideError::Facts(e)) if mode == Mode::Extreme => check_facts_error(&e, problems),
        Err(e) => problems.push(format!(
            "the serialised facts are refused: {e} in {}",
            preview(&json)
        )),
    }
}

/// Round trip: facts read from JSON serialise to JSON that reads back to the
/// same facts.
pub(crate) fn check_round_trip<P: Registered>(facts: &P::Facts, problems: &mut Problems) {
    let (Ok(first), Ok(bytes)) = (serde_json::to_value(facts), serde_json::to_vec(facts)) else {
        problems.push("parsed facts do not serialise".to_owned());
        return;
    };
    match parse_facts::<P::Facts>(&bytes) {
        Ok(again) => {
            if serde_json::to_value(&again).ok().as_ref() != Some(&first) {
                problems.push(format!("round trip changed the facts: {}", preview(&bytes)));
            }
        }
        Err(e) => problems.push(format!(
            "serialised facts are refused: {e} in {}",
            preview(&bytes)
        )),
    }
}
