//! `docs/schedule.md` works as written: in a copy of `examples/schedule/`,
//! with `entitle` on the `PATH`, each line of its `sh` blocks runs in order
//! and exits 0, or the code its `# exit N` comment states; and the `text`
//! block right after an `sh` block is exactly what that block's commands
//! print on standard output.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::support;

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A `sh` block: its commands with their exit codes, and the `text` block
/// that follows it, if any.
struct Block {
    commands: Vec<(String, i32)>,
    output: Option<String>,
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut lines = doc.lines();
    // Whether the last fence closed an `sh` block with only blank lines since.
    let mut after_sh = false;
    while let Some(line) = lines.next() {
        let fence = line.trim();
        if !fence.starts_with("```") {
            if !line.trim().is_empty() {
                after_sh = false;
            }
            continue;
        }
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        match fence {
            "```sh" => {
                let commands = body
                    .iter()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .map(|l| {
                        let code = l
                            .rsplit_once("# exit ")
                            .map_or(0, |(_, n)| n.trim().parse().unwrap());
                        (l.to_string(), code)
                    })
                    .collect();
                blocks.push(Block {
                    commands,
                    output: None,
                });
                after_sh = true;
            }
            "```text" if after_sh => {
                let mut text = body.join("\n");
                text.push('\n');
                blocks.last_mut().unwrap().output = Some(text);
                after_sh = false;
            }
            _ => after_sh = false,
        }
    }
    blocks
}

#[test]
fn every_command_in_docs_schedule_md_works_and_prints_what_it_shows() {
    let doc = std::fs::read_to_string(repo().join("docs/schedule.md")).unwrap();
    let blocks = blocks(&doc);
    let commands: usize = blocks.iter().map(|b| b.commands.len()).sum();
    assert!(commands >= 10, "{commands} commands");
    assert!(blocks.iter().filter(|b| b.output.is_some()).count() >= 8);
    let dir = tempfile::tempdir().unwrap();
    support::copy_dir(&repo().join("examples/schedule"), dir.path(), &[]);
    let bin = assert_cmd::cargo::cargo_bin("entitle");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for block in blocks {
        let mut printed = String::new();
        for (command, expected) in &block.commands {
            let output = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(dir.path())
                .env("PATH", &path)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert_eq!(
                output.status.code(),
                Some(*expected),
                "`{command}`\nstdout:\n{stdout}\nstderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            printed.push_str(&stdout);
        }
        if let Some(shown) = block.output {
            assert_eq!(printed, shown, "{:?}", block.commands);
        }
    }
}
