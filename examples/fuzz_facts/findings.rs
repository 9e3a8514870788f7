//! Findings and panics

use crate::*;

thread_local! {
    /// The message and location of the last panic on this thread.
    pub(crate) static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records panics instead of printing them; the fuzzer reports them.
pub(crate) fn install_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".to_owned());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(format!("{message}{location}")));
    }));
}

/// What one case found wrong; empty when all is well.
pub(crate) type Problems = Vec<String>;

/// A short, printable preview of an input.
pub(crate) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
    let mut out: String = text.escape_debug().collect();
    if bytes.len() > 300 {
        out.push_str(&format!("... ({} bytes)", bytes.len()));
    }
    out
}
