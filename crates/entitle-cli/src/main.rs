//! The `entitle` command-line tool.
fn main() {}
