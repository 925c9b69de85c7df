//! Finds exercise names in the token stream (the longest catalog name wins, then a
//! typo of one) and gives every other word its keyword.

use crate::sorting::CollectTree;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::domain::catalog::{Catalog, Resolution, name_key};

use super::lexer::{Lexed, Mark, Number, Token};
use super::vocabulary::{self, Keyword};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Lexeme<'c> {
    /// A catalog exercise, named exactly or through a typo of one name.
    Exercise(&'c str),
    /// A typo equally close to two exercises.
    AmbiguousExercise,
    Number(Number),
    Clock(u32),
    /// Any other word; `keyword` is `None` for words the parser does not know.
    Word {
        text: String,
        keyword: Option<Keyword>,
    },
    Mark(Mark),
}

impl Lexeme<'_> {
    pub fn keyword(&self) -> Option<Keyword> {
        match self {
            Lexeme::Word { keyword, .. } => *keyword,
            _ => None,
        }
    }

    pub fn word(&self) -> Option<&str> {
        match self {
            Lexeme::Word { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Lexeme::Number(_) | Lexeme::Clock(_))
    }

    /// Numbers and exercise names are what make text a training note.
    pub fn is_training_content(&self) -> bool {
        matches!(
            self,
            Lexeme::Exercise(_) | Lexeme::AmbiguousExercise | Lexeme::Number(_) | Lexeme::Clock(_)
        )
    }
}

/// A lexeme and whether whitespace comes before it ("+10" differs from "+ 10").
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spanned<'c> {
    pub lexeme: Lexeme<'c>,
    pub spaced: bool,
}

/// How many typo comparisons one message may cost. Each compares a run of words
/// with the names of similar length; past the budget (only long texts full of unknown
/// words reach it) unknown words stay unknown, which can make a message unsure but
/// never a wrong workout. It bounds the CPU a message can take on the Worker.
const TYPO_LOOKUPS_PER_MESSAGE: usize = 64;

pub(super) fn read_names<'c>(tokens: &[Lexed], catalog: &'c Catalog) -> Vec<Spanned<'c>> {
    let words: Vec<Option<Word>> = tokens
        .iter()
        .map(|lexed| match &lexed.token {
            Token::Word(text) => Some(Word::classify(text, catalog)),
            _ => None,
        })
        .collect();
    let mut finder = NameFinder {
        catalog,
        typo_lookups_left: TYPO_LOOKUPS_PER_MESSAGE,
    };
    let mut lexemes = Vec::with_capacity(tokens.len());
    let mut index = 0;
    while let Some(first) = tokens.get(index) {
        // "10 pull-ups in a row": not the row exercise.
        let rest = tokens.get(index..).unwrap_or_default();
        if is_in_a_row(rest) {
            index += 3;
            continue;
        }
        if let Some((value, used)) = compound_number(rest) {
            lexemes.push(Spanned {
                lexeme: Lexeme::Word {
                    text: "number".to_owned(),
                    keyword: Some(Keyword::Number(value)),
                },
                spaced: first.spaced,
            });
            index += used;
            continue;
        }
        let (lexeme, used) = match (&first.token, words.get(index)) {
            (Token::Word(text), Some(Some(word))) => {
                let run = word_run(words.get(index..).unwrap_or_default(), catalog);
                finder.name_at(&run).unwrap_or_else(|| {
                    let lexeme = Lexeme::Word {
                        text: text.clone(),
                        keyword: word.keyword,
                    };
                    (lexeme, 1)
                })
            }
            (Token::Number(number), _) => (Lexeme::Number(*number), 1),
            (Token::Clock(seconds), _) => (Lexeme::Clock(*seconds), 1),
            (Token::Mark(mark), _) => (Lexeme::Mark(*mark), 1),
            // Every word token has its classification; reading it plainly is a safe default.
            (Token::Word(text), _) => (plain_word(text), 1),
        };
        lexemes.push(Spanned {
            lexeme,
            spaced: first.spaced,
        });
        index += used.max(1);
    }
    mark_labels(mark_ordinals(drop_session_labels(lexemes)))
}

/// "set 2: 8", "Round 1 - 10 push-ups": a label naming a set, not a count of sets,
/// even after a number ("12 (set 2 - 8)").
fn mark_labels(mut lexemes: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    for index in 0..lexemes.len() {
        let round = match lexemes.get(index).and_then(|spanned| spanned.lexeme.word()) {
            Some("set") => false,
            Some("round") => true,
            _ => continue,
        };
        let numbered = matches!(
            lexemes.get(index + 1).map(|spanned| &spanned.lexeme),
            Some(Lexeme::Number(_))
        ) && matches!(
            lexemes.get(index + 2).map(|spanned| &spanned.lexeme),
            Some(Lexeme::Mark(Mark::Colon | Mark::Dash))
        );
        if numbered
            && let Some(Spanned {
                lexeme: Lexeme::Word { keyword, .. },
                ..
            }) = lexemes.get_mut(index)
        {
            *keyword = Some(Keyword::Label { round });
        }
    }
    lexemes
}

fn is_in_a_row(tokens: &[Lexed]) -> bool {
    let word = |index: usize| match tokens.get(index).map(|lexed| &lexed.token) {
        Some(Token::Word(text)) => Some(text.as_str()),
        _ => None,
    };
    word(0) == Some("in") && word(1) == Some("a") && word(2) == Some("row")
}

/// Number words that make one number together: "twenty five" (25), "a hundred",
/// "two hundred"; and how many tokens they take.
fn compound_number(tokens: &[Lexed]) -> Option<(u32, usize)> {
    let number = |index: usize| match tokens.get(index).map(|lexed| &lexed.token) {
        Some(Token::Word(text)) => match vocabulary::keyword(text) {
            Some(Keyword::Number(value)) => Some(value),
            Some(Keyword::Article) => Some(1),
            _ if text == "hundred" => Some(100),
            _ => None,
        },
        _ => None,
    };
    let first = number(0)?;
    // An article is "one" only before "hundred".
    let second = number(1).filter(|&second| second > 1 || is_number_word(tokens.get(1)));
    match (first, second) {
        (1..=9, Some(100)) => Some((first * 100, 2)),
        (100, _) => Some((100, 1)),
        (20..=90, Some(unit @ 1..=9)) if first % 10 == 0 => Some((first + unit, 2)),
        _ => None,
    }
}

fn is_number_word(token: Option<&Lexed>) -> bool {
    matches!(
        token.map(|lexed| &lexed.token),
        Some(Token::Word(text)) if matches!(vocabulary::keyword(text), Some(Keyword::Number(_)))
    )
}

fn plain_word(text: &str) -> Lexeme<'static> {
    Lexeme::Word {
        text: text.to_owned(),
        keyword: vocabulary::keyword(text),
    }
}

/// A word as the name finder sees it, classified once per message.
struct Word {
    /// Its part of a name key ([`name_key`]).
    key: String,
    keyword: Option<Keyword>,
    /// Neither known vocabulary nor a word of any exercise name.
    unknown: bool,
    /// Unknown, or a word of some exercise name: it may be part of a misspelt name.
    may_be_in_name: bool,
}

impl Word {
    fn classify(text: &str, catalog: &Catalog) -> Self {
        let key = name_key(text);
        let keyword = vocabulary::keyword(text);
        let in_names = catalog.is_name_word(&key);
        Self {
            unknown: keyword.is_none() && !in_names,
            may_be_in_name: keyword.is_none() || in_names,
            key,
            keyword,
        }
    }
}

/// The words that follow one another from the start of `words`, as far as a name
/// can reach.
fn word_run<'w>(words: &'w [Option<Word>], catalog: &Catalog) -> Vec<&'w Word> {
    words
        .iter()
        .take(catalog.longest_name_words().max(EXTRA_NAME_WORDS))
        .map_while(Option::as_ref)
        .collect()
}

/// Names people write that the catalog's alias data does not hold, and the exercise
/// each means: the name of a skill's progression written after the skill ("front
/// lever tuck") and a few more slang names. Only read when the catalog has the id.
const EXTRA_NAMES: &[(&str, &str)] = &[
    ("front lever tuck", "tuck_front_lever"),
    ("fl tuck", "tuck_front_lever"),
    ("front lever adv tuck", "advanced_tuck_front_lever"),
    ("front lever advanced tuck", "advanced_tuck_front_lever"),
    ("fl adv tuck", "advanced_tuck_front_lever"),
    ("front lever straddle", "straddle_front_lever"),
    ("fl straddle", "straddle_front_lever"),
    ("back lever tuck", "tuck_back_lever"),
    ("bl tuck", "tuck_back_lever"),
    ("back lever adv tuck", "advanced_tuck_back_lever"),
    ("back lever advanced tuck", "advanced_tuck_back_lever"),
    ("back lever straddle", "straddle_back_lever"),
    ("planche tuck", "tuck_planche"),
    ("planche adv tuck", "advanced_tuck_planche"),
    ("planche advanced tuck", "advanced_tuck_planche"),
    ("planche straddle", "straddle_planche"),
    ("human flag tuck", "tuck_human_flag"),
    ("l sit tuck", "tuck_l_sit"),
    ("freestanding hs", "handstand"),
    ("back to wall handstand", "wall_handstand"),
    ("back to wall hs", "wall_handstand"),
    ("aussie rows", "inverted_row"),
    ("australian rows", "inverted_row"),
    ("body rows", "inverted_row"),
];

/// The most words of an [`EXTRA_NAMES`] name.
const EXTRA_NAME_WORDS: usize = 4;

/// The exercise id of an [`EXTRA_NAMES`] name with this [`name_key`].
fn extra_name(key: &str) -> Option<&'static str> {
    static KEYS: OnceLock<BTreeMap<String, &'static str>> = OnceLock::new();
    KEYS.get_or_init(|| {
        EXTRA_NAMES
            .iter()
            .map(|(name, id)| (name_key(name), *id))
            .collect_map()
    })
    .get(key)
    .copied()
}

/// Finds exercise names, within a budget of typo comparisons.
struct NameFinder<'c> {
    catalog: &'c Catalog,
    typo_lookups_left: usize,
}

impl<'c> NameFinder<'c> {
    /// The exercise named by the words starting here, and how many words it takes: the
    /// longest exact name, unless a typo of a longer name explains an unknown word that
    /// follows it ("nordic curs" is "nordic curls", not "nordics" and a stray word).
    fn name_at(&mut self, words: &[&Word]) -> Option<(Lexeme<'c>, usize)> {
        let Some((exact, exact_length)) = self.exact_name(words) else {
            return self.typo_of_name(words);
        };
        let unknown_follows = words.get(exact_length).is_some_and(|word| word.unknown);
        if unknown_follows
            && let Some((typo, typo_length)) = self.typo_of_name(words)
            && typo_length > exact_length
        {
            return Some((typo, typo_length));
        }
        Some((exact, exact_length))
    }

    /// The longest run of words that is exactly some exercise's name.
    fn exact_name(&self, words: &[&Word]) -> Option<(Lexeme<'c>, usize)> {
        (1..=words.len()).rev().find_map(|length| {
            let key: String = words
                .get(..length)?
                .iter()
                .map(|word| word.key.as_str())
                .collect();
            let exercise = self
                .catalog
                .exercise_for_key(&key)
                .or_else(|| extra_name(&key).and_then(|id| self.catalog.exercise(id)))?;
            Some((Lexeme::Exercise(exercise.id()), length))
        })
    }

    /// A run of words that is a typo of one exercise's name: it must contain a word the
    /// parser does not know (known words are never "corrected"), and no unknown word may
    /// simply be dropped ("l pullups" is not a typo of "pullups").
    fn typo_of_name(&mut self, words: &[&Word]) -> Option<(Lexeme<'c>, usize)> {
        let candidates = words.iter().take_while(|word| word.may_be_in_name).count();
        let mut best: Option<(usize, usize, Resolution<'c>)> = None;
        for length in 1..=candidates {
            let span = words.get(..length)?;
            if !span.iter().any(|word| word.unknown) {
                continue;
            }
            let Some(lookups_left) = self.typo_lookups_left.checked_sub(1) else {
                break;
            };
            self.typo_lookups_left = lookups_left;
            let key: String = span.iter().map(|word| word.key.as_str()).collect();
            let Some((distance, resolution)) = self.catalog.closest_to_key(&key) else {
                continue;
            };
            let drops_a_word = span
                .iter()
                .any(|word| word.unknown && word.key.chars().count() <= distance);
            // Ties go to the longer span: it explains more of the text.
            if !drops_a_word && best.is_none_or(|(best_distance, _, _)| distance <= best_distance) {
                best = Some((distance, length, resolution));
            }
        }
        let (_, length, resolution) = best?;
        let lexeme = match resolution {
            Resolution::Exact(id) | Resolution::Fuzzy(id) => Lexeme::Exercise(id),
            Resolution::Ambiguous => Lexeme::AmbiguousExercise,
            Resolution::Unknown => return None,
        };
        Some((lexeme, length))
    }
}

/// Drops labels whose words would otherwise read as sets or sides: "leg day",
/// "day 3", "week 2", "to failure", "last night".
fn drop_session_labels(lexemes: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    let mut kept = Vec::with_capacity(lexemes.len());
    let mut index = 0;
    while let Some(current) = lexemes.get(index) {
        let next = lexemes.get(index + 1).map(|next| &next.lexeme);
        let word = current.lexeme.word();
        let next_word = next.and_then(Lexeme::word);
        let starts_clause = index
            .checked_sub(1)
            .and_then(|previous| lexemes.get(previous))
            .is_none_or(|previous| {
                matches!(
                    previous.lexeme,
                    Lexeme::Mark(
                        Mark::LineBreak
                            | Mark::Period
                            | Mark::Exclamation
                            | Mark::Comma
                            | Mark::Semicolon
                    )
                )
            });
        // "Core: 3x30s hollow hold", but "rest: 90s" is a rest period.
        if let (Some(word), Some(Lexeme::Mark(Mark::Colon))) = (word, next)
            && starts_clause
            && word != "rest"
            && vocabulary::is_session_name(word)
        {
            index += 1;
            continue;
        }
        let is_label = match (word, next) {
            (Some(word), Some(_)) if vocabulary::is_session_name(word) => {
                next_word.is_some_and(vocabulary::is_session_word)
            }
            (Some(word), Some(Lexeme::Number(_))) => vocabulary::is_session_counter(word),
            (Some("to"), Some(_)) => next_word == Some("failure"),
            // "last night", "last week": when, not which set.
            (Some("last"), Some(_)) => next_word.is_some_and(vocabulary::is_past_time),
            _ => false,
        };
        if is_label {
            index += 2;
        } else {
            kept.push(current.clone());
            index += 1;
        }
    }
    kept
}

/// Decides what "first", "last", "second"... are about. Before a set, a rep, a
/// count or at the end of a clause ("last set only 6", "first two with 10kg", "8 on
/// the third") they single out sets: [`Keyword::Ordinal`], which makes the message
/// unsure. Before an exercise or a word like "time" ("my first muscle-up", "first
/// time ever") they carry nothing; "first" opening a clause before its numbers is
/// "firstly" ("first, 3x8 pull-ups"). "second" is a time unit unless it is about a
/// set ("second set").
fn mark_ordinals(mut lexemes: Vec<Spanned<'_>>) -> Vec<Spanned<'_>> {
    for index in 0..lexemes.len() {
        let Some(Lexeme::Word { text, keyword }) =
            lexemes.get(index).map(|spanned| &spanned.lexeme)
        else {
            continue;
        };
        let second = text == "second";
        if *keyword != Some(Keyword::Ordinal) && !second {
            continue;
        }
        let next = lexemes.get(index + 1).map(|spanned| &spanned.lexeme);
        let previous = index
            .checked_sub(1)
            .and_then(|previous| lexemes.get(previous))
            .map(|spanned| &spanned.lexeme);
        let opens_clause = previous.is_none_or(|previous| {
            matches!(
                previous,
                Lexeme::Mark(
                    Mark::LineBreak
                        | Mark::Period
                        | Mark::Exclamation
                        | Mark::Comma
                        | Mark::Semicolon
                        | Mark::Colon
                )
            )
        });
        let about_sets = if second {
            matches!(
                next.and_then(Lexeme::keyword),
                Some(Keyword::Sets | Keyword::Rounds | Keyword::Reps | Keyword::Number(_))
            ) || next.and_then(Lexeme::word) == Some("half")
        } else {
            match next {
                None => true,
                Some(Lexeme::Exercise(_) | Lexeme::AmbiguousExercise) => false,
                Some(Lexeme::Number(_) | Lexeme::Clock(_) | Lexeme::Mark(_)) => {
                    !(text == "first" && opens_clause)
                }
                Some(Lexeme::Word { text, keyword }) => match keyword {
                    None => !is_not_about_sets(text),
                    Some(Keyword::Filler) => matches!(text.as_str(), "of" | "bit" | "little"),
                    Some(_) => true,
                },
            }
        };
        let keyword = match (about_sets, second) {
            (true, _) => Keyword::Ordinal,
            (false, true) => Keyword::Seconds(1),
            (false, false) => Keyword::Filler,
        };
        if let Some(Spanned {
            lexeme: Lexeme::Word { keyword: slot, .. },
            ..
        }) = lexemes.get_mut(index)
        {
            *slot = Some(keyword);
        }
    }
    lexemes
}

/// Words after "first" or "last" that are not about a set: "first time", "last week".
fn is_not_about_sets(word: &str) -> bool {
    matches!(
        word,
        "time" | "ever" | "week" | "month" | "year" | "try" | "go" | "thing" | "step" | "place"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parser::lexer::lex;

    fn read(text: &str) -> Vec<Lexeme<'static>> {
        let catalog = Catalog::embedded().unwrap();
        read_names(&lex(text), catalog)
            .into_iter()
            .map(|spanned| spanned.lexeme)
            .collect()
    }

    #[test]
    fn the_longest_name_wins() {
        assert_eq!(
            read("assisted pistol squats"),
            [Lexeme::Exercise("assisted_pistol_squat")]
        );
        assert_eq!(read("oapu pull"), [Lexeme::Exercise("one_arm_pull_up")]);
        assert_eq!(
            read("one-arm push ups"),
            [Lexeme::Exercise("one_arm_push_up")]
        );
        assert_eq!(
            read("Chest-to-bar"),
            [Lexeme::Exercise("chest_to_bar_pull_up")]
        );
    }

    #[test]
    fn typos_are_read_only_when_unambiguous() {
        assert_eq!(read("pul ups"), [Lexeme::Exercise("pull_up")]);
        assert_eq!(read("wall pushupz"), [Lexeme::Exercise("wall_push_up")]);
        assert_eq!(read("tuck gl"), [Lexeme::AmbiguousExercise]);
        assert!(matches!(
            read("l pullups")[..],
            [
                Lexeme::Word { keyword: None, .. },
                Lexeme::Exercise("pull_up")
            ]
        ));
        // Known words are never corrected: "like" is not "pike".
        assert!(matches!(
            read("like")[..],
            [Lexeme::Word {
                keyword: Some(Keyword::Filler),
                ..
            }]
        ));
    }

    #[test]
    fn extra_names_and_phrases_are_read() {
        assert_eq!(
            read("front lever tuck"),
            [Lexeme::Exercise("tuck_front_lever")]
        );
        assert_eq!(read("aussie rows"), [Lexeme::Exercise("inverted_row")]);
        // "in a row" is not the row exercise.
        assert_eq!(read("in a row"), []);
        assert!(matches!(
            read("twenty five")[..],
            [Lexeme::Word {
                keyword: Some(Keyword::Number(25)),
                ..
            }]
        ));
        assert!(matches!(
            read("a hundred")[..],
            [Lexeme::Word {
                keyword: Some(Keyword::Number(100)),
                ..
            }]
        ));
    }

    #[test]
    fn session_labels_are_dropped() {
        assert_eq!(
            read("leg day 3 squats"),
            [Lexeme::Number(Number::whole(3)), Lexeme::Exercise("squat")]
        );
        assert_eq!(read("day 3"), []);
        assert_eq!(read("pull workout"), []);
        assert_eq!(read("core: dips")[1..], [Lexeme::Exercise("dip")]);
        assert_eq!(read("last night"), []);
        assert!(matches!(
            read("set 2 - 8")[0],
            Lexeme::Word {
                keyword: Some(Keyword::Label { round: false }),
                ..
            }
        ));
    }

    #[test]
    fn ordinals_about_sets_are_marked() {
        let ordinal = |text: &str| {
            read(text)
                .iter()
                .any(|lexeme| lexeme.keyword() == Some(Keyword::Ordinal))
        };
        assert!(ordinal("last set only 6"));
        assert!(ordinal("first two with 10kg"));
        assert!(ordinal("8 on the third"));
        assert!(ordinal("second set 7"));
        assert!(!ordinal("first time ever"));
        assert!(!ordinal("my first muscle up"));
        assert!(!ordinal("first, 3x8 pull ups"));
        assert!(!ordinal("30 second plank"));
        assert!(!ordinal("last night"));
    }
}
