//! Reading the files the CLI is given, with errors that name them.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The most a facts or configuration input may hold. Facts are small; this
/// keeps a wrong file (a disk image, /dev/zero) from exhausting memory.
pub const MAX_INPUT_BYTES: u64 = 8 * 1024 * 1024;

/// An input that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("{name}: cannot read: {source}")]
    Io {
        /// The file's name as given (`-` is standard input).
        name: String,
        /// The OS error.
        source: io::Error,
    },
    /// The file is larger than [`MAX_INPUT_BYTES`].
    #[error(
        "{name}: larger than {MAX_INPUT_BYTES} bytes; facts and configurations are small documents"
    )]
    TooLarge {
        /// The file's name as given.
        name: String,
    },
}

/// How an input is named in messages: `<stdin>` for `-`, else the path.
pub fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads `path` (`-` for standard input) whole, up to [`MAX_INPUT_BYTES`].
pub fn read_input(path: &Path) -> Result<Vec<u8>, InputError> {
    let stdin = path == Path::new("-");
    let name = display_name(path);
    let io = |source| InputError::Io {
        name: name.clone(),
        source,
    };
    let mut bytes = Vec::new();
    let read = if stdin {
        io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        File::open(path)
            .map_err(io)?
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
    };
    read.map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge { name });
    }
    Ok(bytes)
}
