//! The steps of a decision's actions, derived once before they are written:
//! their `seq`, what each requires and receives, and which one is the
//! ticket's license step.

use entitle::policy::LicenseEffect;
use uuid::Uuid;

use super::routes::{MANUAL_SINK, NewAction};

/// A step ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) id: String,
    pub(crate) seq: u32,
    /// Index of its action in the decision's actions.
    pub(crate) action: usize,
    pub(crate) action_id: String,
    pub(crate) sink: String,
    pub(crate) payload: String,
    pub(crate) requires: Vec<u32>,
    pub(crate) inputs: Vec<u32>,
}

/// The steps of a decision, and which is its license step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) steps: Vec<Step>,
    /// The first action with a license effect, with the index of its first
    /// step.
    pub(crate) license: Option<LicenseStep>,
}

/// The action touching the ticket's license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LicenseStep {
    /// Index of the action.
    pub(crate) action: usize,
    /// Its effect (`Create` or `Regenerate`).
    pub(crate) effect: LicenseEffect,
    /// Index in `steps` of its first step.
    pub(crate) step: usize,
}

/// Adds `seqs` to `into`, keeping it sorted and without duplicates.
fn merge(into: &mut Vec<u32>, seqs: &[u32]) {
    into.extend_from_slice(seqs);
    into.sort_unstable();
    into.dedup();
}

impl Plan {
    /// The steps of `actions`, in order: one per (action, sink), `manual`
    /// for an action with no sink. Step k of an action requires step k-1 and
    /// receives it; `needs X` requires and receives every step of the
    /// latest earlier action X; `reports X` receives them only. A link to an
    /// action that is not earlier in the list is ignored.
    pub(crate) fn new(actions: &[NewAction]) -> Plan {
        let mut steps: Vec<Step> = Vec::new();
        let mut license = None;
        // The seqs of each action's steps, by action index.
        let mut seqs_of: Vec<Vec<u32>> = Vec::with_capacity(actions.len());
        for (index, action) in actions.iter().enumerate() {
            let earlier = |id: &Option<String>| -> Vec<u32> {
                id.as_deref()
                    .and_then(|id| {
                        actions
                            .iter()
                            .take(index)
                            .rposition(|a| a.action_id == id)
                            .and_then(|i| seqs_of.get(i))
                    })
                    .cloned()
                    .unwrap_or_default()
            };
            let needs = earlier(&action.needs);
            let reports = earlier(&action.reports);
            if license.is_none() && action.license != LicenseEffect::None {
                license = Some(LicenseStep {
                    action: index,
                    effect: action.license,
                    step: steps.len(),
                });
            }
            let manual = [MANUAL_SINK.to_owned()];
            let sinks = if action.sinks.is_empty() {
                &manual[..]
            } else {
                &action.sinks[..]
            };
            let mut mine = Vec::with_capacity(sinks.len());
            for sink in sinks {
                let seq = u32::try_from(steps.len()).unwrap_or(u32::MAX);
                let mut requires = needs.clone();
                let mut inputs = needs.clone();
                merge(&mut inputs, &reports);
                if let Some(&previous) = mine.last() {
                    merge(&mut requires, &[previous]);
                    merge(&mut inputs, &[previous]);
                }
                steps.push(Step {
                    id: Uuid::now_v7().to_string(),
                    seq,
                    action: index,
                    action_id: action.action_id.clone(),
                    sink: sink.clone(),
                    payload: action.payload.as_str().to_owned(),
                    requires,
                    inputs,
                });
                mine.push(seq);
            }
            seqs_of.push(mine);
        }
        Plan { steps, license }
    }

    /// The plan without the steps of action `action`: the others renumbered,
    /// links to the removed steps dropped.
    pub(crate) fn without_action(mut self, action: usize) -> Plan {
        let mut new_seq: Vec<Option<u32>> = Vec::with_capacity(self.steps.len());
        let mut next = 0u32;
        for step in &self.steps {
            if step.action == action {
                new_seq.push(None);
            } else {
                new_seq.push(Some(next));
                next += 1;
            }
        }
        let renumber = |seqs: &[u32]| -> Vec<u32> {
            seqs.iter()
                .filter_map(|&s| new_seq.get(s as usize).copied().flatten())
                .collect()
        };
        self.steps.retain(|s| s.action != action);
        for step in &mut self.steps {
            step.seq = new_seq
                .get(step.seq as usize)
                .copied()
                .flatten()
                .unwrap_or(step.seq);
            step.requires = renumber(&step.requires);
            step.inputs = renumber(&step.inputs);
        }
        self.license = None;
        self
    }
}

/// `[0,1]`: a list of seqs as the JSON text stored.
pub(crate) fn seqs_json(seqs: &[u32]) -> String {
    let mut text = String::with_capacity(2 + seqs.len() * 3);
    text.push('[');
    for (i, seq) in seqs.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&seq.to_string());
    }
    text.push(']');
    text
}

/// The idempotency key of step `id` after `generation` retries by a person.
pub(crate) fn idempotency_key(id: &str, generation: u32) -> String {
    if generation == 0 {
        format!("entitle-{id}")
    } else {
        format!("entitle-{id}-r{generation}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::JsonText;

    fn action(id: &str, sinks: &[&str]) -> NewAction {
        NewAction {
            action_id: id.to_owned(),
            sinks: sinks.iter().map(|s| (*s).to_owned()).collect(),
            needs: None,
            reports: None,
            license: LicenseEffect::None,
            payload: JsonText::parse("{}").unwrap(),
        }
    }

    /// The weekend page: the license (generator, then email), the channel
    /// post needing it, the record reporting on it.
    #[test]
    fn weekend_flow() {
        let mut email = action("email-license", &["license-generator", "email"]);
        email.license = LicenseEffect::Create;
        let mut post = action("post-to-licensing-channel", &["slack"]);
        post.needs = Some("email-license".to_owned());
        let mut record = action("record-internal-request", &[]);
        record.reports = Some("email-license".to_owned());
        let plan = Plan::new(&[email, post, record]);
        let got: Vec<(u32, &str, &[u32], &[u32])> = plan
            .steps
            .iter()
            .map(|s| (s.seq, s.sink.as_str(), &s.requires[..], &s.inputs[..]))
            .collect();
        assert_eq!(
            got,
            [
                (0, "license-generator", &[][..], &[][..]),
                (1, "email", &[0][..], &[0][..]),
                (2, "slack", &[0, 1][..], &[0, 1][..]),
                (3, "manual", &[][..], &[0, 1][..]),
            ]
        );
        assert_eq!(plan.license.map(|l| l.step), Some(0));
        let without = plan.without_action(0);
        let got: Vec<(u32, &[u32], &[u32])> = without
            .steps
            .iter()
            .map(|s| (s.seq, &s.requires[..], &s.inputs[..]))
            .collect();
        assert_eq!(got, [(0, &[][..], &[][..]), (1, &[][..], &[][..])]);
        assert_eq!(seqs_json(&[0, 12]), "[0,12]");
        assert_eq!(seqs_json(&[]), "[]");
    }

    #[test]
    fn links_to_later_or_unknown_actions_are_ignored() {
        let mut first = action("a", &["x"]);
        first.needs = Some("b".to_owned());
        let second = action("b", &["y"]);
        let plan = Plan::new(&[first, second]);
        assert!(plan.steps.iter().all(|s| s.requires.is_empty()));
        assert!(plan.license.is_none());
    }
}
