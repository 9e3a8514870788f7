//! Text for XML (the JUnit report, the SVG graph), escaped once, one way.

/// `text` escaped for XML content and attribute values: the five markup
/// characters as entities, a line break as `&#10;` (kept in an attribute),
/// and the control characters XML 1.0 cannot carry as U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_line_breaks_and_control_characters() {
        assert_eq!(escape("a\"<b>&'"), "a&quot;&lt;b&gt;&amp;&apos;");
        assert_eq!(escape("1\n2\u{7}"), "1&#10;2\u{FFFD}");
    }
}
