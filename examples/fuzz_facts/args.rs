//! Command line

use crate::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Parser = 1,
    Evaluate = 2,
    Readers = 3,
}

impl Target {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Target::Parser => "parser",
            Target::Evaluate => "evaluate",
            Target::Readers => "readers",
        }
    }
}

pub(crate) struct Args {
    pub(crate) seconds: u64,
    pub(crate) seed: u64,
    pub(crate) targets: Vec<Target>,
    pub(crate) policy: Option<String>,
    pub(crate) case: Option<u64>,
}

pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

pub(crate) fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 10,
        seed: 0,
        targets: vec![Target::Parser, Target::Evaluate, Target::Readers],
        policy: None,
        case: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                args.seconds = parse_u64(&value()?).ok_or("--seconds: a number of seconds")?;
            }
            "--seed" => args.seed = parse_u64(&value()?).ok_or("--seed: a number")?,
            "--case" => args.case = Some(parse_u64(&value()?).ok_or("--case: a case seed")?),
            "--policy" => args.policy = Some(value()?),
            "--target" => {
                args.targets = match value()?.as_str() {
                    "parser" => vec![Target::Parser],
                    "evaluate" => vec![Target::Evaluate],
                    "readers" => vec![Target::Readers],
                    "all" => vec![Target::Parser, Target::Evaluate, Target::Readers],
                    other => {
                        return Err(format!(
                            "--target: `{other}` is not parser|evaluate|readers|all"
                        ));
                    }
                }
            }
            "--help" | "-h" => {
                return Err(
                    "usage: fuzz_facts [--target parser|evaluate|readers|all] [--seconds N] \
                     [--seed S] [--policy ID] [--case SEED]"
                        .to_owned(),
                );
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if let Some(policy) = &args.policy {
        if !POLICIES.iter().any(|p| p.id == policy) {
            return Err(format!("--policy: unknown policy `{policy}`"));
        }
    }
    Ok(args)
}
