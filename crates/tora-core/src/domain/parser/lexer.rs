//! Splits a message into tokens: words, numbers, clock times and the punctuation that
//! carries structure. Hand-written (no regex crate) to keep the Wasm small; it
//! accepts any input and never fails.

/// A number as written: `whole` is set when it has no decimals and fits a `u32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Number {
    pub value: f64,
    pub whole: Option<u32>,
}

impl Number {
    pub fn whole(value: u32) -> Self {
        Self {
            value: f64::from(value),
            whole: Some(value),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// Lowercase letters (apostrophes inside kept); hyphenated words are split.
    Word(String),
    Number(Number),
    /// `1:30` or `1:02:03`, in seconds.
    Clock(u32),
    Mark(Mark),
}

/// Punctuation that carries structure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mark {
    /// `x`, `×`, `*`.
    Times,
    Dash,
    Plus,
    At,
    Slash,
    Colon,
    Comma,
    Semicolon,
    Ampersand,
    Pipe,
    LineBreak,
    Period,
    Exclamation,
    Question,
    /// A sign the parser does not read (`%`, `=`, `#`, ...): never ignored silently.
    Symbol(char),
}

/// A token and whether whitespace (or the start of the text) comes before it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Lexed {
    pub token: Token,
    pub spaced: bool,
}

pub(super) fn lex(text: &str) -> Vec<Lexed> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        position: 0,
        tokens: Vec::new(),
        spaced: true,
    };
    lexer.run();
    lexer.tokens
}

struct Lexer {
    chars: Vec<char>,
    position: usize,
    tokens: Vec<Lexed>,
    spaced: bool,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.position + ahead).copied()
    }

    fn push(&mut self, token: Token) {
        self.tokens.push(Lexed {
            token,
            spaced: self.spaced,
        });
        self.spaced = false;
    }

    fn run(&mut self) {
        self.skip_list_marker();
        while let Some(c) = self.peek(0) {
            if c == '\n' || c == '\r' {
                self.line_break(c);
            } else if c.is_whitespace() {
                self.position += 1;
                self.spaced = true;
            } else if c.is_ascii_digit() {
                self.number();
            } else if c.is_alphabetic() {
                self.word();
            } else if self.multiplies_brackets(c) {
                self.position += 1;
                self.push(Token::Mark(Mark::Symbol(c)));
            } else {
                self.position += 1;
                match punctuation(c) {
                    Some(mark) => self.push(Token::Mark(mark)),
                    // Emoji, quotes, brackets: spacing.
                    None => self.spaced = true,
                }
            }
        }
    }

    /// "4 x (5 pull-ups + 10 push-ups)", "(10 pull-ups, 20 dips) x 3": a count of a
    /// bracketed group, which brackets read as spacing would give to one exercise
    /// only. Such a bracket is kept as a sign the parser does not read.
    fn multiplies_brackets(&self, c: char) -> bool {
        match c {
            '(' | '[' => matches!(
                self.tokens.last(),
                Some(Lexed {
                    token: Token::Mark(Mark::Times),
                    ..
                })
            ),
            ')' | ']' => {
                let mut ahead = 1;
                while self.peek(ahead).is_some_and(|c| c == ' ') {
                    ahead += 1;
                }
                matches!(self.peek(ahead), Some('x' | 'X' | '×' | '*'))
                    && self
                        .peek(ahead + 1)
                        .is_some_and(|c| c.is_ascii_digit() || c == ' ')
            }
            _ => false,
        }
    }

    fn line_break(&mut self, c: char) {
        self.position += 1;
        if c == '\r' && self.peek(0) == Some('\n') {
            self.position += 1;
        }
        self.spaced = true;
        self.push(Token::Mark(Mark::LineBreak));
        self.spaced = true;
        self.skip_list_marker();
    }

    /// Bullets ("- ", "* ", "• ") and numbered items ("1. ", "2) ") that start a line
    /// are layout, not a minus sign or a number of sets.
    fn skip_list_marker(&mut self) {
        while self
            .peek(0)
            .is_some_and(|c| c.is_whitespace() && c != '\n' && c != '\r')
        {
            self.position += 1;
        }
        let followed_by_space = |ahead: usize| self.peek(ahead).is_some_and(char::is_whitespace);
        match self.peek(0) {
            Some('-' | '*' | '•' | '·' | '‣' | '◦' | '▪' | '–' | '—' | '>')
                if followed_by_space(1) =>
            {
                self.position += 1;
            }
            // "A1 pull-ups 3x8", "b2) dips": superset labels ("x8" is one set of 8).
            Some(c)
                if matches!(c.to_ascii_lowercase(), 'a'..='f')
                    && self.peek(1).is_some_and(|c| c.is_ascii_digit()) =>
            {
                let label = if matches!(self.peek(2), Some('.' | ')' | ':')) {
                    3
                } else {
                    2
                };
                if followed_by_space(label) {
                    self.position += label;
                }
            }
            // "A: 10 pull-ups", "b) dips": the letter of a pair or a circuit.
            Some(c)
                if matches!(c.to_ascii_lowercase(), 'a'..='f')
                    && matches!(self.peek(1), Some(')' | ':'))
                    && followed_by_space(2) =>
            {
                self.position += 2;
            }
            Some(c) if c.is_ascii_digit() => {
                let digits = self.count_while(0, |c| c.is_ascii_digit());
                if digits <= 2
                    && matches!(self.peek(digits), Some('.' | ')'))
                    && followed_by_space(digits + 1)
                {
                    self.position += digits + 1;
                }
            }
            _ => {}
        }
    }

    fn count_while(&self, from: usize, accept: impl Fn(char) -> bool) -> usize {
        let mut count = 0;
        while self.peek(from + count).is_some_and(&accept) {
            count += 1;
        }
        count
    }

    fn take(&mut self, count: usize) -> String {
        let end = (self.position + count).min(self.chars.len());
        let text: String = self
            .chars
            .get(self.position..end)
            .unwrap_or_default()
            .iter()
            .collect();
        self.position = end;
        text
    }

    fn number(&mut self) {
        let integer = self.take(self.count_while(0, |c| c.is_ascii_digit()));
        if let Some(seconds) = self.clock_after(&integer) {
            self.push(Token::Clock(seconds));
            return;
        }
        let mut text = integer;
        let has_fraction =
            self.peek(0) == Some('.') && self.peek(1).is_some_and(|c| c.is_ascii_digit());
        if has_fraction {
            self.position += 1;
            let fraction = self.take(self.count_while(0, |c| c.is_ascii_digit()));
            text = format!("{text}.{fraction}");
        }
        let token = match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Token::Number(Number {
                value,
                whole: if has_fraction {
                    None
                } else {
                    text.parse().ok()
                },
            }),
            // Too long to be a count of anything.
            _ => Token::Mark(Mark::Symbol('#')),
        };
        self.push(token);
        // 1'30": minutes and seconds marks right after a number.
        let unit = match self.peek(0) {
            Some('\'' | '′' | '’') if !self.peek(1).is_some_and(char::is_alphabetic) => "min",
            Some('"' | '″' | '”') => "s",
            _ => return,
        };
        self.position += 1;
        self.push(Token::Word(unit.to_owned()));
    }

    /// `m:ss` or `h:mm:ss` right after the leading digits; consumes it when valid.
    fn clock_after(&mut self, leading: &str) -> Option<u32> {
        let mut total: u32 = leading.parse().ok()?;
        let mut ahead = 0;
        let mut groups = 0;
        while groups < 2 && self.peek(ahead) == Some(':') {
            let digits = self.count_while(ahead + 1, |c| c.is_ascii_digit());
            if digits != 2 {
                break;
            }
            let tens = self.peek(ahead + 1)?.to_digit(10)?;
            let units = self.peek(ahead + 2)?.to_digit(10)?;
            let part = tens * 10 + units;
            if part >= 60 {
                return None;
            }
            total = total.checked_mul(60)?.checked_add(part)?;
            ahead += 3;
            groups += 1;
        }
        if groups == 0 {
            return None;
        }
        self.position += ahead;
        Some(total)
    }

    fn word(&mut self) {
        if self.skip_pair_label() {
            return;
        }
        let length = self.count_letters(0);
        let mut word = self.take(length).to_lowercase().replace(['’', '‘'], "'");
        // "c2b", "t2b": a short word with one digit inside is one name.
        let digit_inside = word != "x"
            && word.chars().count() <= 2
            && self.peek(0).is_some_and(|c| c.is_ascii_digit())
            && !self.peek(1).is_some_and(|c| c.is_ascii_digit())
            && self.peek(1).is_some_and(char::is_alphabetic);
        if digit_inside {
            let suffix_length = self.count_letters(1);
            if suffix_length <= 2 {
                let rest = self.take(1 + suffix_length).to_lowercase();
                word.push_str(&rest);
            }
        }
        if word == "x" {
            self.push(Token::Mark(Mark::Times));
            return;
        }
        // "20sx3", "10kgx5": a unit glued to the times sign.
        if self.peek(0).is_some_and(|c| c.is_ascii_digit())
            && let Some(unit) = word.strip_suffix('x')
            && GLUED_UNITS.contains(&unit)
        {
            self.push(Token::Word(unit.to_owned()));
            self.push(Token::Mark(Mark::Times));
            return;
        }
        if word == "w" && self.peek(0) == Some('/') {
            self.position += 1;
            word = "with".to_owned();
        }
        // "e/s", "e/l", "e/a": each side, leg, arm.
        let each_side = word == "e"
            && self.peek(0) == Some('/')
            && self
                .peek(1)
                .is_some_and(|c| matches!(c.to_ascii_lowercase(), 's' | 'l' | 'a'))
            && !self.peek(2).is_some_and(char::is_alphanumeric);
        if each_side {
            self.position += 2;
            self.push(Token::Word("each".to_owned()));
            self.push(Token::Word("side".to_owned()));
            return;
        }
        self.push(Token::Word(word));
        // A hyphen inside a name ("pull-ups", "l-sit") separates words.
        if matches!(self.peek(0), Some('-' | '‐')) && self.peek(1).is_some_and(char::is_alphabetic)
        {
            self.position += 1;
            self.spaced = true;
        }
    }

    /// "A2: dips" or "| b2) dips" inside a line: the label of a superset's second
    /// exercise, like one at a line start. Only a letter from a to f glued to one
    /// digit, then a space or `:` `)` `.` and a space ("c2b" is a name).
    fn skip_pair_label(&mut self) -> bool {
        let is_label_letter = self
            .peek(0)
            .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a'..='f'));
        let digit = self.peek(1).is_some_and(|c| matches!(c, '1'..='9'));
        if !self.spaced || !is_label_letter || !digit {
            return false;
        }
        let length = match self.peek(2) {
            Some(c) if c.is_whitespace() => 2,
            Some(':' | ')' | '.') if self.peek(3).is_none_or(char::is_whitespace) => 3,
            _ => return false,
        };
        self.position += length;
        self.spaced = true;
        true
    }

    /// Letters from `from` on, with apostrophes between letters ("didn't").
    fn count_letters(&self, from: usize) -> usize {
        let mut count = 0;
        loop {
            match self.peek(from + count) {
                Some(c) if c.is_alphabetic() => count += 1,
                Some('\'' | '’' | '‘')
                    if count > 0
                        && self.peek(from + count + 1).is_some_and(char::is_alphabetic) =>
                {
                    count += 1
                }
                _ => return count,
            }
        }
    }
}

/// Units that may come glued to a following times sign ("20sx3").
const GLUED_UNITS: &[&str] = &[
    "s", "sec", "secs", "rep", "reps", "kg", "kgs", "lb", "lbs", "min", "mins",
];

fn punctuation(c: char) -> Option<Mark> {
    let mark = match c {
        '×' | '✕' | '✖' | '*' => Mark::Times,
        '-' | '–' | '—' | '−' | '‐' => Mark::Dash,
        '+' | '＋' => Mark::Plus,
        '@' => Mark::At,
        '/' => Mark::Slash,
        ':' => Mark::Colon,
        ',' | '，' => Mark::Comma,
        ';' => Mark::Semicolon,
        '&' => Mark::Ampersand,
        '|' => Mark::Pipe,
        '.' | '…' | '。' => Mark::Period,
        '!' | '¡' => Mark::Exclamation,
        '?' | '？' | '¿' => Mark::Question,
        '%' | '=' | '#' | '<' | '$' | '€' | '£' | '^' | '\\' | '§' => Mark::Symbol(c),
        _ => return None,
    };
    Some(mark)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token> {
        lex(text).into_iter().map(|lexed| lexed.token).collect()
    }

    fn word(text: &str) -> Token {
        Token::Word(text.to_owned())
    }

    fn number(value: u32) -> Token {
        Token::Number(Number::whole(value))
    }

    #[test]
    fn sets_by_reps_split_into_numbers_and_times() {
        assert_eq!(
            tokens("3x8 Pull-Ups"),
            [
                number(3),
                Token::Mark(Mark::Times),
                number(8),
                word("pull"),
                word("ups")
            ]
        );
        assert_eq!(
            tokens("3 × 8"),
            [number(3), Token::Mark(Mark::Times), number(8)]
        );
        assert_eq!(tokens("x10"), [Token::Mark(Mark::Times), number(10)]);
    }

    #[test]
    fn units_glued_to_numbers_become_words() {
        assert_eq!(tokens("20s"), [number(20), word("s")]);
        assert_eq!(
            tokens("+10kg"),
            [Token::Mark(Mark::Plus), number(10), word("kg")]
        );
        assert_eq!(
            tokens("8.5"),
            [Token::Number(Number {
                value: 8.5,
                whole: None
            })]
        );
    }

    #[test]
    fn clock_times_are_seconds() {
        assert_eq!(tokens("1:30"), [Token::Clock(90)]);
        assert_eq!(tokens("0:45 hang"), [Token::Clock(45), word("hang")]);
        assert_eq!(tokens("1:02:03"), [Token::Clock(3723)]);
        // Not a clock: the seconds are not two digits below 60.
        assert_eq!(
            tokens("1:5"),
            [number(1), Token::Mark(Mark::Colon), number(5)]
        );
        assert_eq!(
            tokens("1:75"),
            [number(1), Token::Mark(Mark::Colon), number(75)]
        );
    }

    #[test]
    fn list_markers_at_line_starts_are_layout() {
        assert_eq!(
            tokens("- dips 3x10\n2. l-sit"),
            [
                word("dips"),
                number(3),
                Token::Mark(Mark::Times),
                number(10),
                Token::Mark(Mark::LineBreak),
                word("l"),
                word("sit")
            ]
        );
        assert_eq!(
            tokens("-10kg"),
            [Token::Mark(Mark::Dash), number(10), word("kg")]
        );
    }

    #[test]
    fn short_names_with_a_digit_stay_one_word() {
        assert_eq!(tokens("c2b t2b"), [word("c2b"), word("t2b")]);
        assert_eq!(tokens("rpe8"), [word("rpe"), number(8)]);
        assert_eq!(tokens("w/ band"), [word("with"), word("band")]);
        assert_eq!(tokens("I’ll"), [word("i'll")]);
    }

    #[test]
    fn shorthand_units_and_labels_are_read() {
        assert_eq!(tokens("e/s"), [word("each"), word("side")]);
        assert_eq!(
            tokens("1'30\""),
            [number(1), word("min"), number(30), word("s")]
        );
        assert_eq!(
            tokens("20sx3"),
            [number(20), word("s"), Token::Mark(Mark::Times), number(3)]
        );
        assert_eq!(tokens("A1 dips\nb2) l-sit"), {
            let mut expected = vec![word("dips"), Token::Mark(Mark::LineBreak)];
            expected.extend([word("l"), word("sit")]);
            expected
        });
        assert_eq!(
            tokens("A1: dips 3x8 | A2: l-sit"),
            [
                word("dips"),
                number(3),
                Token::Mark(Mark::Times),
                number(8),
                Token::Mark(Mark::Pipe),
                word("l"),
                word("sit")
            ]
        );
        assert_eq!(tokens("A: dips\nb) l-sit")[0], word("dips"));
        // "x8" at a line start is one set of 8, not a label.
        assert_eq!(tokens("x8 dips")[0], Token::Mark(Mark::Times));
        assert_eq!(tokens("c2b 3x5")[0], word("c2b"));
    }

    #[test]
    fn counted_brackets_are_kept() {
        assert_eq!(
            tokens("2 x (dips)")[2..],
            [Token::Mark(Mark::Symbol('(')), word("dips")]
        );
        assert_eq!(
            tokens("(dips) x2")[..2],
            [word("dips"), Token::Mark(Mark::Symbol(')'))]
        );
        assert_eq!(
            tokens("dips (x2)"),
            [word("dips"), Token::Mark(Mark::Times), number(2)]
        );
    }

    #[test]
    fn emoji_and_brackets_are_spacing() {
        assert_eq!(tokens("💪(band)"), [word("band")]);
        assert_eq!(tokens("80%"), [number(80), Token::Mark(Mark::Symbol('%'))]);
        assert_eq!(tokens(""), []);
    }
}
