//! Hand-written JSON output.
//!
//! Responses are built as text rather than through `serde_json::Value` for two reasons the
//! protocol imposes: keys must come out in a fixed order (a plain `Map` sorts them, and
//! turning on `preserve_order` would change `serde_json` for the whole workspace), and a
//! row in object mode must be able to repeat a key when two columns share a name, as the
//! proxy's output does.

/// Appends `value` as a JSON string, escaped exactly as `serde_json` escapes it.
pub fn push_str(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_like_serde_json() {
        for value in [
            "plain",
            "",
            "quote \" backslash \\ slash /",
            "new\nline\r\ttab \u{08}\u{0c} \u{01}\u{1f}",
            "unicode é ✓ 🏋",
        ] {
            let mut out = String::new();
            push_str(&mut out, value);
            assert_eq!(out, serde_json::to_string(value).unwrap());
        }
    }
}
