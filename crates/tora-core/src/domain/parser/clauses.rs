//! Cuts a message into sentences and clauses, and decides which clauses log training:
//! questions, plans and chit-chat are set aside, negated training is unsure.
//!
//! Sentences end at line breaks and `.`, `!`, `?`. Clauses end at `,` `;` `&` `|`,
//! at a `/` or `+` between items, and at words such as "and", "then", "but", "felt".
//!
//! It also notes what the logged clauses say about the message as a whole: that it
//! is a circuit or a ladder, and — making it unsure — that some sets differ from
//! their numbers ("last set only 6", "failed the last rep") or ran on a clock ("emom",
//! "every minute", "amrap 12 min", "3-1-1 tempo").

use super::UnsureReason;
use super::lexer::Mark;
use super::names::{Lexeme, Spanned};
use super::vocabulary::{self, Keyword};

/// Words between two separators.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Clause<'c> {
    pub lexemes: Vec<Spanned<'c>>,
    /// It follows a `/`: part of a list like "8/8/6".
    pub after_slash: bool,
    /// It follows "but", "was", "felt"...: a comment, unless it names an exercise
    /// ("max was 10" is no set; "so I did 3x10 dips too" is).
    pub after_breaker: bool,
    /// It says "is", "are", "was": a statement about numbers ("my max is 12 pull-ups").
    pub states: bool,
    /// It follows "then", "after", "finally": what comes next, not the same round.
    pub after_sequence: bool,
}

impl Clause<'_> {
    fn words(&self) -> impl Iterator<Item = &str> {
        self.lexemes
            .iter()
            .filter_map(|spanned| spanned.lexeme.word())
    }

    pub fn has_training_content(&self) -> bool {
        self.lexemes
            .iter()
            .any(|spanned| spanned.lexeme.is_training_content())
    }

    fn has_plan_marker(&self) -> bool {
        let words: Vec<&str> = self.words().collect();
        words
            .iter()
            .enumerate()
            .any(|(index, word)| vocabulary::is_plan_phrase(word, words.get(index + 1).copied()))
    }

    fn has_modal(&self) -> bool {
        self.words().any(vocabulary::is_modal)
    }

    fn has_strong_past(&self) -> bool {
        self.words().any(vocabulary::is_strong_past)
    }

    fn has_weak_past(&self) -> bool {
        self.words().any(vocabulary::is_weak_past)
    }

    fn has_copula(&self) -> bool {
        self.words()
            .any(|word| matches!(word, "is" | "are" | "was" | "were"))
    }

    fn has_negation(&self) -> bool {
        self.words().any(vocabulary::is_negation)
    }

    fn has_keyword(&self, keyword: Keyword) -> bool {
        self.lexemes
            .iter()
            .any(|spanned| spanned.lexeme.keyword() == Some(keyword))
    }

    /// A time or a count of rounds: what an AMRAP is written with. A rest ("2 min
    /// rest", "rest 90s") does not count.
    fn is_timed(&self) -> bool {
        let is_rest = |index: Option<usize>| {
            index
                .and_then(|index| self.lexemes.get(index))
                .and_then(|spanned| spanned.lexeme.keyword())
                .is_some_and(|keyword| matches!(keyword, Keyword::Rest | Keyword::Between))
        };
        self.lexemes.iter().enumerate().any(|(index, spanned)| {
            let time = matches!(spanned.lexeme, Lexeme::Clock(_))
                || matches!(spanned.lexeme.keyword(), Some(Keyword::Seconds(_)));
            let rest = is_rest(Some(index + 1))
                || is_rest(index.checked_sub(1))
                || is_rest(index.checked_sub(2));
            (time && !rest) || spanned.lexeme.keyword() == Some(Keyword::Rounds)
        })
    }

    /// Words that say some sets differ from what the numbers say ("last set only 6",
    /// "failed the last rep", "couldn't finish") or that the sets ran on a clock
    /// ("emom", "every minute", "20s on, 10s off", "3-1-1 tempo"). No set count can
    /// hold that, so the message is unsure.
    fn qualifies_sets(&self) -> bool {
        let lexemes = &self.lexemes;
        let negated = self.has_negation();
        lexemes.iter().enumerate().any(|(index, spanned)| {
            let previous = index
                .checked_sub(1)
                .and_then(|previous| lexemes.get(previous))
                .map(|spanned| &spanned.lexeme);
            let next = lexemes.get(index + 1).map(|spanned| &spanned.lexeme);
            let after_time = previous.is_some_and(|previous| {
                matches!(previous, Lexeme::Clock(_))
                    || matches!(previous.keyword(), Some(Keyword::Seconds(_)))
            });
            match (spanned.lexeme.keyword(), spanned.lexeme.word()) {
                (Some(Keyword::Ordinal | Keyword::Interval), _) => true,
                // "every minute", "every 2 min", "every other set".
                (Some(Keyword::Every), _) => next.is_some_and(|next| {
                    next.is_number()
                        || next.word() == Some("other")
                        || matches!(
                            next.keyword(),
                            Some(Keyword::Seconds(_) | Keyword::Number(_))
                        )
                }),
                (_, Some("failed" | "fail" | "failing" | "missed" | "miss")) => true,
                // "1-2-3-4-5 ladder, twice": the sets were done again.
                (_, Some("twice" | "thrice")) => true,
                (_, Some("finish" | "finished" | "complete" | "completed" | "manage")) => negated,
                // "10s off", "30s work": intervals.
                (_, Some("off" | "work")) => after_time,
                // "3-1-1 tempo", "tempo 31x1"; "slow tempo" carries no numbers.
                (_, Some("tempo")) => {
                    self.has_training_content()
                        && !previous
                            .and_then(Lexeme::word)
                            .is_some_and(vocabulary::is_manner_word)
                }
                _ => false,
            }
        })
    }

    /// "can you log ...", "please add ...": a request to log, whatever its phrasing.
    fn is_logging_request(&self) -> bool {
        self.has_training_content() && self.words().any(vocabulary::is_logging_verb)
    }

    fn opens_question(&self) -> bool {
        let starts_with_question = self
            .lexemes
            .first()
            .and_then(|spanned| spanned.lexeme.word())
            .is_some_and(vocabulary::is_question_start);
        starts_with_question || self.words().any(vocabulary::is_question_word)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Sentence<'c> {
    pub clauses: Vec<Clause<'c>>,
    /// It ends with a question mark.
    pub asks: bool,
}

pub(super) fn sentences(lexemes: Vec<Spanned<'_>>) -> Vec<Sentence<'_>> {
    let mut splitter = Splitter::default();
    for (index, spanned) in lexemes.iter().enumerate() {
        let earlier = lexemes.get(..index).unwrap_or_default();
        let after = lexemes.get(index + 1..).unwrap_or_default();
        match role(earlier, spanned, after) {
            Role::Content => splitter.clause.push(spanned.clone()),
            Role::Skip => {}
            Role::EndClause(next) => splitter.end_clause(next),
            Role::EndSentence { asks } => splitter.end_sentence(asks),
        }
    }
    splitter.end_sentence(false);
    splitter.sentences
}

#[derive(Default)]
struct Splitter<'c> {
    sentences: Vec<Sentence<'c>>,
    clauses: Vec<Clause<'c>>,
    clause: Vec<Spanned<'c>>,
    start: ClauseStart,
}

/// What ended the previous clause.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
enum ClauseStart {
    #[default]
    Plain,
    Slash,
    Breaker,
    Sequence,
}

impl<'c> Splitter<'c> {
    fn end_clause(&mut self, next: ClauseStart) {
        if !self.clause.is_empty() {
            let mut clause = Clause {
                lexemes: std::mem::take(&mut self.clause),
                after_slash: self.start == ClauseStart::Slash,
                after_breaker: self.start == ClauseStart::Breaker,
                states: false,
                after_sequence: self.start == ClauseStart::Sequence,
            };
            clause.states = clause.has_copula();
            self.clauses.push(clause);
        }
        self.start = next;
    }

    fn end_sentence(&mut self, asks: bool) {
        self.end_clause(ClauseStart::Plain);
        if !self.clauses.is_empty() {
            self.sentences.push(Sentence {
                clauses: std::mem::take(&mut self.clauses),
                asks,
            });
        }
    }
}

enum Role {
    Content,
    Skip,
    EndClause(ClauseStart),
    EndSentence { asks: bool },
}

fn role(earlier: &[Spanned], current: &Spanned, after: &[Spanned]) -> Role {
    let before = earlier.last();
    let next = after.first().map(|spanned| &spanned.lexeme);
    match &current.lexeme {
        Lexeme::Mark(Mark::LineBreak | Mark::Period | Mark::Exclamation) => {
            Role::EndSentence { asks: false }
        }
        Lexeme::Mark(Mark::Question) => Role::EndSentence { asks: true },
        // "rpe 8,5", "2,5 kg", "rpe 8/9": not a list; kept for the reader to refuse.
        Lexeme::Mark(Mark::Comma | Mark::Slash)
            if joins_effort_or_load(earlier, current, after) =>
        {
            Role::Content
        }
        Lexeme::Mark(Mark::Comma | Mark::Semicolon | Mark::Ampersand | Mark::Pipe) => {
            Role::EndClause(ClauseStart::Plain)
        }
        // "5/side" is per side; "8/8/6" is a list.
        Lexeme::Mark(Mark::Slash) => match next.and_then(Lexeme::keyword) {
            Some(Keyword::Side | Keyword::Limb) => Role::Content,
            _ => Role::EndClause(ClauseStart::Slash),
        },
        Lexeme::Mark(Mark::Plus) if !is_added_load(after) => Role::EndClause(ClauseStart::Plain),
        Lexeme::Word { text, keyword } => match keyword {
            Some(Keyword::Plus) if !is_added_load(after) => Role::EndClause(ClauseStart::Plain),
            Some(Keyword::Separator) => {
                let next_word = next.and_then(Lexeme::word);
                let rest_after_each = text == "after"
                    && matches!(
                        next.and_then(Lexeme::keyword),
                        Some(Keyword::Each | Keyword::Every)
                    );
                if vocabulary::is_plan_phrase(text, next_word) || rest_after_each {
                    Role::Content
                } else if text == "and" && joins_minutes_and_seconds(before, after) {
                    Role::Skip
                } else if vocabulary::is_sequence_word(text) {
                    Role::EndClause(ClauseStart::Sequence)
                } else {
                    Role::EndClause(ClauseStart::Plain)
                }
            }
            Some(Keyword::Breaker) => Role::EndClause(ClauseStart::Breaker),
            _ => Role::Content,
        },
        _ => Role::Content,
    }
}

/// "+10kg", "+ 10 kg", "plus 20 lb": a load, not a second exercise. A sign glued to
/// a number is a load even without its unit (which then makes the set unclear).
fn is_added_load(after: &[Spanned]) -> bool {
    match after {
        [number, unit, ..] if number.lexeme.is_number() => {
            !number.spaced
                || matches!(
                    unit.lexeme.keyword(),
                    Some(Keyword::Kilograms | Keyword::Pounds)
                )
        }
        [number] => number.lexeme.is_number() && !number.spaced,
        _ => false,
    }
}

/// A comma or slash glued between two numbers of an effort or a load: a decimal
/// comma or a range of effort, never two sets.
fn joins_effort_or_load(earlier: &[Spanned], current: &Spanned, after: &[Spanned]) -> bool {
    let [.., number_before] = earlier else {
        return false;
    };
    let context = earlier
        .len()
        .checked_sub(2)
        .and_then(|index| earlier.get(index));
    let [number_after, rest @ ..] = after else {
        return false;
    };
    if current.spaced
        || number_after.spaced
        || !number_before.lexeme.is_number()
        || !number_after.lexeme.is_number()
    {
        return false;
    }
    let effort_before = context.is_some_and(|context| {
        matches!(context.lexeme, Lexeme::Mark(Mark::At))
            || matches!(
                context.lexeme.keyword(),
                Some(Keyword::Rpe | Keyword::Rir | Keyword::At)
            )
    });
    // "1,5 min" is a decimal comma; "20,15,10s" is a list.
    let unit_after = matches!(
        rest.first().and_then(|spanned| spanned.lexeme.keyword()),
        Some(Keyword::Kilograms | Keyword::Pounds | Keyword::Rir | Keyword::Seconds(60))
    );
    effort_before || unit_after
}

/// "1 min and 30 s" is one time.
fn joins_minutes_and_seconds(before: Option<&Spanned>, after: &[Spanned]) -> bool {
    let minutes_before =
        before.and_then(|spanned| spanned.lexeme.keyword()) == Some(Keyword::Seconds(60));
    let seconds_after = matches!(
        after,
        [number, unit, ..] if number.lexeme.is_number()
            && unit.lexeme.keyword() == Some(Keyword::Seconds(1))
    );
    minutes_before && seconds_after
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Log,
    Plan,
    Question,
}

/// What the logged clauses say about the message as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Structure {
    /// "circuit", "superset", "giant set": exercises done in turn.
    pub circuit: bool,
    /// "ladder", "pyramid".
    pub ladder: bool,
}

/// The logged clauses, in runs, and what they say about the whole message.
pub(super) struct Log<'c> {
    pub runs: Vec<Vec<Clause<'c>>>,
    pub structure: Structure,
}

/// The clauses that log training, in runs: a question or a plan between two clauses
/// ends a run, so numbers never attach to an exercise across it. Clauses without
/// numbers or exercise names (chit-chat) are left out, but what they say about the
/// sets still counts ("3x8 pull-ups, failed the last rep" is unsure).
pub(super) fn log_runs(sentences: Vec<Sentence<'_>>) -> Result<Log<'_>, UnsureReason> {
    let mut in_plan = false;
    let mut classified: Vec<(Mode, Clause)> = Vec::new();
    for sentence in sentences {
        let question_from = question_start(&sentence);
        for (index, clause) in sentence.clauses.into_iter().enumerate() {
            let mode = if question_from.is_some_and(|start| index >= start) {
                Mode::Question
            } else {
                clause_mode(&clause, &mut in_plan)?
            };
            classified.push((mode, clause));
        }
    }
    check_logs_before_plans(&classified)?;
    let mut runs: Vec<Vec<Clause>> = Vec::new();
    let mut run: Vec<Clause> = Vec::new();
    let mut structure = Structure::default();
    let (mut qualified, mut amrap, mut timed) = (false, false, false);
    for (mode, clause) in classified {
        if mode == Mode::Log {
            structure.circuit |= clause.has_keyword(Keyword::Circuit);
            structure.ladder |= clause.has_keyword(Keyword::Ladder);
            qualified |= clause.qualifies_sets();
            amrap |= clause.words().any(|word| word == "amrap");
            timed |= clause.is_timed();
        }
        match mode {
            Mode::Log if clause.has_training_content() => {
                if clause.has_negation() {
                    return Err(UnsureReason::Negation);
                }
                run.push(clause);
            }
            Mode::Log => {}
            Mode::Plan | Mode::Question => {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    // "AMRAP 12 min: ...": how many sets of each is not written.
    if !runs.is_empty() && (qualified || (amrap && timed)) {
        return Err(UnsureReason::UnclearNumbers);
    }
    Ok(Log { runs, structure })
}

/// The first clause from which a sentence asks something. A question word opens the
/// question up to the end of the sentence; a final `?` makes the last clause a
/// question, or the whole sentence when that clause holds the numbers ("3x8 ok?").
fn question_start(sentence: &Sentence) -> Option<usize> {
    let opened = sentence
        .clauses
        .iter()
        .position(|clause| !clause.is_logging_request() && clause.opens_question());
    let last = sentence.clauses.len().checked_sub(1)?;
    let last_clause = sentence.clauses.get(last)?;
    if !sentence.asks || last_clause.is_logging_request() {
        return opened;
    }
    let asked = if last_clause.has_training_content() {
        0
    } else {
        last
    };
    Some(opened.map_or(asked, |opened| opened.min(asked)))
}

/// A plan marker starts a plan that lasts (across sentences) until a clause says
/// the training was done. A clause with both, or with a modal verb ("could"), is
/// unreadable when it has numbers.
fn clause_mode(clause: &Clause, in_plan: &mut bool) -> Result<Mode, UnsureReason> {
    let request = clause.is_logging_request();
    let strong_past = clause.has_strong_past();
    if !request && clause.has_plan_marker() {
        if strong_past && clause.has_training_content() {
            return Err(UnsureReason::PlanOrLog);
        }
        *in_plan = true;
        return Ok(Mode::Plan);
    }
    if !request && clause.has_modal() && clause.has_training_content() {
        return Err(UnsureReason::PlanOrLog);
    }
    if request || strong_past || clause.has_weak_past() {
        *in_plan = false;
        return Ok(Mode::Log);
    }
    Ok(if *in_plan { Mode::Plan } else { Mode::Log })
}

/// Training written before a plan ("3x8 pull-ups, dips tomorrow") may be part of the
/// plan: it counts as done only when something before the plan says so.
fn check_logs_before_plans(classified: &[(Mode, Clause)]) -> Result<(), UnsureReason> {
    let Some(first_plan) = classified.iter().position(|(mode, _)| *mode == Mode::Plan) else {
        return Ok(());
    };
    let before = classified.get(..first_plan).unwrap_or_default();
    let logs = || before.iter().filter(|(mode, _)| *mode == Mode::Log);
    let has_training = logs().any(|(_, clause)| clause.has_training_content());
    let marked_done = logs().any(|(_, clause)| {
        clause.has_strong_past() || clause.has_weak_past() || clause.is_logging_request()
    });
    if has_training && !marked_done {
        return Err(UnsureReason::PlanOrLog);
    }
    Ok(())
}
