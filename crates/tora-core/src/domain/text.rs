//! Text people type — names, notes, chat messages — as it may be stored and shown.
//! The rule is written once, here, and every text field the API takes goes through it:
//!
//! - no control characters (C0, DEL, C1): a NUL cannot be stored at all (Postgres
//!   refuses it, so it would be a 500 on every retry), and ESC, BEL and friends are
//!   terminal tricks, not writing. Multi-line text keeps what writing needs: `\n`,
//!   `\r\n` and `\t`;
//! - something to see: text made only of spaces and invisible characters (zero-width
//!   spaces, joiners, byte-order marks, fillers) is blank, and blank is refused;
//! - a length limit in characters (Unicode scalar values), never bytes, so a limit
//!   means the same in every script. A single line is counted after trimming the
//!   spaces around it, which are dropped; multi-line text is kept as written.

use std::fmt;
use std::ops::Deref;

/// Why a text was refused; shown to the user next to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be blank")]
    Blank,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must be a single line")]
    LineBreak,
    #[error("must not contain control characters (found U+{code:04X})", code = u32::from(*found))]
    ControlCharacter { found: char },
}

/// Whether line breaks and tabs belong in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// Names: one line, no tabs, trimmed.
    Single,
    /// Notes and messages: `\n`, `\r\n` and `\t` are part of the writing.
    Multi,
}

/// Checks `raw` against the text rule and returns the text to keep: trimmed for a
/// single line, as written for multi-line text.
pub fn clean(raw: &str, lines: Lines, max_chars: usize) -> Result<&str, TextError> {
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let allowed = match (lines, c) {
            (Lines::Multi, '\n' | '\t') => true,
            // A lone carriage return moves the cursor back over what was written.
            (Lines::Multi, '\r') => chars.peek() == Some(&'\n'),
            (Lines::Single, _) if is_line_break(c) => return Err(TextError::LineBreak),
            _ => !c.is_control(),
        };
        if !allowed {
            return Err(TextError::ControlCharacter { found: c });
        }
    }
    let kept = match lines {
        Lines::Single => raw.trim(),
        Lines::Multi => raw,
    };
    if kept.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(TextError::Blank);
    }
    if kept.chars().count() > max_chars {
        return Err(TextError::TooLong { max: max_chars });
    }
    Ok(kept)
}

/// Characters that end a line wherever text is shown.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Characters that show nothing on their own: the default-ignorable code points of
/// Unicode (zero-width spaces and joiners, direction marks, word joiners, variation
/// selectors, tags, the byte-order mark) and the fillers that render as blanks. They
/// are fine inside text (an emoji sequence needs its joiners); text of nothing else is
/// blank.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// One line of text (a name) of 1 to `MAX` characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SingleLine<const MAX: usize>(String);

impl<const MAX: usize> SingleLine<MAX> {
    pub const MAX_CHARS: usize = MAX;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        clean(raw, Lines::Single, MAX).map(|kept| Self(kept.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text that may run over lines (a note, a message) of 1 to `MAX` characters, kept
/// as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultiLine<const MAX: usize>(String);

impl<const MAX: usize> MultiLine<MAX> {
    pub const MAX_CHARS: usize = MAX;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        clean(raw, Lines::Multi, MAX).map(|kept| Self(kept.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! read_as_str {
    ($($text:ident),*) => {$(
        impl<const MAX: usize> Deref for $text<MAX> {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> AsRef<str> for $text<MAX> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<const MAX: usize> fmt::Display for $text<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<const MAX: usize> From<$text<MAX>> for String {
            fn from(text: $text<MAX>) -> String {
                text.0
            }
        }
    )*};
}

read_as_str!(SingleLine, MultiLine);

#[cfg(test)]
mod tests {
    use super::*;

    use Lines::{Multi, Single};
    use TextError::{Blank, ControlCharacter, LineBreak, TooLong};

    /// (input, lines, limit, expected)
    const CASES: &[(&str, Lines, usize, Result<&str, TextError>)] = &[
        // Ordinary writing passes; a single line is trimmed, multi-line kept.
        ("Ana", Single, 60, Ok("Ana")),
        (
            "  Ana Bob \t",
            Single,
            60,
            Err(ControlCharacter { found: '\t' }),
        ),
        ("  Ana Bob  ", Single, 60, Ok("Ana Bob")),
        ("\u{A0}Ana\u{3000}", Single, 60, Ok("Ana")),
        (" felt strong\n", Multi, 60, Ok(" felt strong\n")),
        (
            "3x8 pull-ups\r\n3x10 dips",
            Multi,
            60,
            Ok("3x8 pull-ups\r\n3x10 dips"),
        ),
        ("sets:\t3\tx\t8", Multi, 60, Ok("sets:\t3\tx\t8")),
        ("Ελένη", Single, 60, Ok("Ελένη")),
        ("李小龙", Single, 3, Ok("李小龙")),
        // Invisible characters inside text are fine (emoji sequences need them).
        (
            "👨\u{200D}👩\u{200D}👧",
            Single,
            60,
            Ok("👨\u{200D}👩\u{200D}👧"),
        ),
        ("❤\u{FE0F}", Single, 60, Ok("❤\u{FE0F}")),
        ("Ana\u{200B}Bob", Single, 60, Ok("Ana\u{200B}Bob")),
        // NUL and every other control character is refused.
        (
            "Ana\u{0}",
            Single,
            60,
            Err(ControlCharacter { found: '\u{0}' }),
        ),
        ("\u{0}", Multi, 60, Err(ControlCharacter { found: '\u{0}' })),
        (
            "a\u{1B}[31mred",
            Multi,
            60,
            Err(ControlCharacter { found: '\u{1B}' }),
        ),
        (
            "ding\u{7}",
            Multi,
            60,
            Err(ControlCharacter { found: '\u{7}' }),
        ),
        (
            "del\u{7F}",
            Single,
            60,
            Err(ControlCharacter { found: '\u{7F}' }),
        ),
        (
            "csi\u{9B}2J",
            Multi,
            60,
            Err(ControlCharacter { found: '\u{9B}' }),
        ),
        (
            "back\u{8}",
            Multi,
            60,
            Err(ControlCharacter { found: '\u{8}' }),
        ),
        (
            "over\rwrite",
            Multi,
            60,
            Err(ControlCharacter { found: '\r' }),
        ),
        ("ends\r", Multi, 60, Err(ControlCharacter { found: '\r' })),
        (
            "page\u{C}feed",
            Multi,
            60,
            Err(ControlCharacter { found: '\u{C}' }),
        ),
        // Names are one line, without tabs.
        ("Ana\nBob", Single, 60, Err(LineBreak)),
        ("Ana\r\nBob", Single, 60, Err(LineBreak)),
        ("Ana\u{2028}Bob", Single, 60, Err(LineBreak)),
        ("Ana\u{85}", Single, 60, Err(LineBreak)),
        (
            "Ana\tBob",
            Single,
            60,
            Err(ControlCharacter { found: '\t' }),
        ),
        // Blank: empty, spaces, line breaks or invisible characters alone.
        ("", Single, 60, Err(Blank)),
        ("", Multi, 60, Err(Blank)),
        ("   ", Single, 60, Err(Blank)),
        (" \n\t\r\n ", Multi, 60, Err(Blank)),
        ("\u{200B}\u{200B}", Single, 60, Err(Blank)),
        ("\u{200B}\u{200B}", Multi, 60, Err(Blank)),
        ("\u{2060}", Multi, 60, Err(Blank)),
        ("\u{FEFF}", Single, 60, Err(Blank)),
        ("\u{3164}\u{115F}", Single, 60, Err(Blank)),
        ("\u{2800}", Multi, 60, Err(Blank)),
        ("\u{AD}\u{200D} \u{E0041}", Multi, 60, Err(Blank)),
        // Limits count characters, not bytes; a single line after trimming.
        ("ééé", Single, 3, Ok("ééé")),
        ("éééé", Single, 3, Err(TooLong { max: 3 })),
        ("  abc  ", Single, 3, Ok("abc")),
        ("  abc  ", Multi, 3, Err(TooLong { max: 3 })),
        ("😀😀😀", Multi, 3, Ok("😀😀😀")),
        ("😀😀😀😀", Multi, 3, Err(TooLong { max: 3 })),
    ];

    #[test]
    fn the_text_rule() {
        for &(raw, lines, max, expected) in CASES {
            assert_eq!(clean(raw, lines, max), expected, "{raw:?} as {lines:?}");
        }
    }

    #[test]
    fn types_keep_what_the_rule_keeps_and_count_characters() {
        assert_eq!(
            SingleLine::<80>::parse(" Farmer walk ").unwrap().as_str(),
            "Farmer walk"
        );
        assert_eq!(
            MultiLine::<10>::parse("a\r\nb").map(String::from),
            Ok("a\r\nb".to_owned())
        );
        let letters = "ž".repeat(2000);
        assert_eq!(MultiLine::<2000>::parse(&letters).unwrap().len(), 4000);
        assert_eq!(
            MultiLine::<2000>::parse(&format!("{letters}ž")),
            Err(TooLong { max: 2000 })
        );
        assert_eq!(SingleLine::<60>::MAX_CHARS, 60);
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            ControlCharacter { found: '\u{0}' }.to_string(),
            "must not contain control characters (found U+0000)"
        );
        assert_eq!(
            TooLong { max: 2000 }.to_string(),
            "must be at most 2000 characters"
        );
    }
}
