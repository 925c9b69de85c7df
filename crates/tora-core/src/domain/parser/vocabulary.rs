//! The words the parser knows besides exercise names: units and set structure,
//! modifiers, clause separators, and the markers that tell a log from a plan, a
//! question or a negation. A word that is none of these and no exercise is unknown;
//! in a sentence with numbers, an unknown word makes the message unsure.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::domain::workout::Side;

/// What a known word does in a training note.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Keyword {
    Reps,
    Sets,
    /// "rounds": sets of a circuit, which may span several exercises.
    Rounds,
    /// A time unit, in seconds per unit.
    Seconds(u32),
    Kilograms,
    Pounds,
    /// "times", "by": 3 times 8, 3 by 8.
    Times,
    /// "to": a range, 8 to 10.
    To,
    With,
    At,
    /// "plus": added load (+10 kg) or, between exercises, a separator.
    Plus,
    Rpe,
    Rir,
    /// "reserve", as in "2 reps in reserve".
    Reserve,
    /// "band", "banded": help without an amount.
    Assisted,
    /// "assisted", "assistance": help, and after a load ("20kg assistance") its amount.
    Assistance,
    /// "left", "right": the one side a set was done on.
    OneSide(Side),
    Bodyweight,
    Weighted,
    Each,
    Per,
    /// "side", "sides".
    Side,
    /// "leg", "arm", "hand", "way": a side, after each/per/both or a slash.
    Limb,
    Both,
    /// "a", "an": one, before a unit ("a minute", "a set of 8").
    Article,
    Number(u32),
    /// A rest period, which is not a set.
    Rest,
    /// "circuit", "superset", "giant set": exercises done in turn, maybe in rounds.
    Circuit,
    /// "ladder", "pyramid": a run of sets whose reps climb or fall.
    Ladder,
    /// "first", "last", "third": which set a remark is about (decided in context).
    Ordinal,
    /// "emom", "tabata": sets on a clock, which no count of sets says.
    Interval,
    /// "every", as in "every set" or "every minute".
    Every,
    /// "set" or "round" naming the set that follows: "set 2: 8", "round 1 - 10".
    Label {
        round: bool,
    },
    /// "between", as in "between sets".
    Between,
    /// Separates two exercises or two sets: and, then, also.
    Separator,
    /// Starts a comment about the training: but, because, felt, was.
    Breaker,
    /// Carries nothing the parser needs.
    Filler,
}

/// The role of a known word; `None` for words the parser does not know.
pub(super) fn keyword(word: &str) -> Option<Keyword> {
    vocabulary().get(word).copied()
}

/// Every known word, built once: markers and fillers carry nothing for sets, then
/// numbers and keywords take their roles.
fn vocabulary() -> &'static BTreeMap<&'static str, Keyword> {
    static VOCABULARY: OnceLock<BTreeMap<&'static str, Keyword>> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let mut vocabulary = BTreeMap::new();
        let silent = [
            FILLERS,
            PLAN_WORDS,
            MODALS,
            STRONG_PAST,
            WEAK_PAST,
            NEGATIONS,
            QUESTION_STARTS,
            QUESTION_WORDS,
        ];
        for word in silent.into_iter().flatten() {
            vocabulary.insert(*word, Keyword::Filler);
        }
        for (word, value) in NUMBER_WORDS {
            vocabulary.insert(*word, Keyword::Number(*value));
        }
        for (words, keyword) in KEYWORDS {
            for word in *words {
                vocabulary.insert(*word, *keyword);
            }
        }
        vocabulary
    })
}

/// The words with a role in sets, and that role.
const KEYWORDS: &[(&[&str], Keyword)] = &[
    (&["rep", "reps", "repetition", "repetitions"], Keyword::Reps),
    (&["set", "sets", "series"], Keyword::Sets),
    (&["round", "rounds", "rds"], Keyword::Rounds),
    (
        &["s", "sec", "secs", "second", "seconds", "sek"],
        Keyword::Seconds(1),
    ),
    (
        &["m", "min", "mins", "minute", "minutes"],
        Keyword::Seconds(60),
    ),
    (
        &["kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"],
        Keyword::Kilograms,
    ),
    (&["lb", "lbs", "pound", "pounds"], Keyword::Pounds),
    (&["times", "by"], Keyword::Times),
    (&["to"], Keyword::To),
    (&["with", "w"], Keyword::With),
    (&["at"], Keyword::At),
    (&["plus"], Keyword::Plus),
    (&["rpe"], Keyword::Rpe),
    (&["rir"], Keyword::Rir),
    (&["reserve"], Keyword::Reserve),
    (&["band", "bands", "banded"], Keyword::Assisted),
    (&["assisted", "assist", "assistance"], Keyword::Assistance),
    (&["left"], Keyword::OneSide(Side::Left)),
    (&["right"], Keyword::OneSide(Side::Right)),
    (&["bw", "bodyweight"], Keyword::Bodyweight),
    (&["weighted"], Keyword::Weighted),
    (&["each", "ea"], Keyword::Each),
    (&["per"], Keyword::Per),
    (&["side", "sides"], Keyword::Side),
    (
        &["leg", "legs", "arm", "arms", "hand", "hands", "way"],
        Keyword::Limb,
    ),
    (&["both"], Keyword::Both),
    (&["a", "an"], Keyword::Article),
    (
        &[
            "rest", "rests", "rested", "resting", "break", "breaks", "recovery",
        ],
        Keyword::Rest,
    ),
    (
        &[
            "circuit",
            "circuits",
            "superset",
            "supersets",
            "supersetted",
            "ss",
            "giant",
            "tri",
            "triset",
            "trisets",
            "paired",
        ],
        Keyword::Circuit,
    ),
    (
        &["ladder", "ladders", "pyramid", "pyramids"],
        Keyword::Ladder,
    ),
    (
        &[
            "first",
            "last",
            "final",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "penultimate",
        ],
        Keyword::Ordinal,
    ),
    (
        &[
            "emom",
            "emoms",
            "e2mom",
            "e3mom",
            "otm",
            "tabata",
            "interval",
            "intervals",
        ],
        Keyword::Interval,
    ),
    (&["every"], Keyword::Every),
    (&["between"], Keyword::Between),
    (
        &[
            "and",
            "n",
            "then",
            "also",
            "after",
            "afterwards",
            "followed",
            "next",
            "into",
            "finally",
            "lastly",
        ],
        Keyword::Separator,
    ),
    (
        &[
            "but",
            "because",
            "cause",
            "cuz",
            "coz",
            "bc",
            "though",
            "although",
            "while",
            "so",
            "felt",
            "feel",
            "feeling",
            "feels",
            "was",
            "were",
            "which",
            "lol",
            "haha",
            "hopefully",
        ],
        Keyword::Breaker,
    ),
];

const NUMBER_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fourty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

/// Words that carry no set information.
const FILLERS: &[&str] = &[
    // people and pointers
    "i",
    "i'm",
    "im",
    "i've",
    "ive",
    "i'd",
    "me",
    "my",
    "mine",
    "myself",
    "we",
    "we're",
    "our",
    "us",
    "you",
    "your",
    "u",
    "ur",
    "it",
    "it's",
    "its",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "here's",
    "heres",
    "the",
    "some",
    "all",
    "another",
    "more",
    "again",
    "extra",
    "other",
    // small words
    "of",
    "for",
    "in",
    "on",
    "from",
    "about",
    "around",
    "approx",
    "approximately",
    "roughly",
    "like",
    "only",
    "up",
    "out",
    "off",
    "as",
    "well",
    "too",
    "really",
    "very",
    "pretty",
    "super",
    "kinda",
    "quite",
    "bit",
    "little",
    "still",
    "even",
    "now",
    "ish",
    // doing and sessions
    "do",
    "does",
    "doing",
    "got",
    "get",
    "gets",
    "getting",
    "had",
    "have",
    "has",
    "make",
    "made",
    "go",
    "went",
    "work",
    "worked",
    "working",
    "train",
    "training",
    "trained",
    "practice",
    "practiced",
    "practised",
    "practicing",
    "practising",
    "session",
    "sesh",
    "workout",
    "workouts",
    "wo",
    "log",
    "logged",
    "logging",
    "add",
    "record",
    "track",
    "note",
    "save",
    "please",
    "pls",
    "plz",
    "just",
    "hit",
    "start",
    "started",
    "finish",
    "ending",
    "ended",
    "knocked",
    "smashed",
    "crushed",
    "nailed",
    "killed",
    "did",
    // times of day, places, programs
    "day",
    "tonight",
    "tonight's",
    "morning",
    "afternoon",
    "evening",
    "night",
    "gym",
    "home",
    "park",
    "outside",
    "outdoors",
    "playground",
    "garage",
    "before",
    "bed",
    "breakfast",
    "lunch",
    "dinner",
    "work",
    "school",
    "class",
    "office",
    "challenge",
    "program",
    "programme",
    "routine",
    // manner
    "max",
    "maxed",
    "amrap",
    "strict",
    "clean",
    "slow",
    "slowly",
    "controlled",
    "tempo",
    "paused",
    "pause",
    "explosive",
    "full",
    "rom",
    "good",
    "great",
    "nice",
    "solid",
    "easy",
    "hard",
    "tough",
    "heavy",
    "light",
    "perfect",
    "quick",
    "form",
    "hold",
    "holds",
    "held",
    "holding",
    "warm",
    "warmup",
    "cooldown",
    "cool",
    "failure",
    "main",
    "strength",
    "accessory",
    "accessories",
    "finisher",
    "conditioning",
    "working",
    "straight",
    "across",
    "descending",
    "ascending",
    "pr",
    "pb",
    "new",
    "best",
    "personal",
    "record",
    "attempt",
    "attempts",
    // load gear and band colours
    "body",
    "weight",
    "vest",
    "belt",
    "backpack",
    "plate",
    "plates",
    "dumbbell",
    "db",
    "kettlebell",
    "kb",
    "resistance",
    "red",
    "green",
    "blue",
    "black",
    "purple",
    "yellow",
    "orange",
    "thick",
    "thin",
    "mini",
    // where: "on the bar", "on rings", "on parallettes"
    "bar",
    "bars",
    "rings",
    "parallettes",
    "paralettes",
    "parallets",
    "floor",
    "ground",
    // chit-chat
    "friend",
    "friends",
    "buddy",
    "partner",
    "coach",
    "hey",
    "hi",
    "hello",
    "yo",
    "thanks",
    "thank",
    "thx",
    "ty",
    "ok",
    "okay",
    "yes",
    "yeah",
    "yep",
    "btw",
    "fyi",
    "update",
    "quick",
    "today's",
    "todays",
    "sup",
    "hiya",
    "howdy",
    "gm",
    "forgot",
    "mention",
    "added",
    "adding",
    "additional",
];

/// Words that make a clause a plan rather than a log: "tomorrow", "I'll", "gonna".
const PLAN_WORDS: &[&str] = &[
    "tomorrow",
    "tmrw",
    "tmr",
    "tomorow",
    "tommorow",
    "tommorrow",
    "tomorrow's",
    "later",
    "soon",
    "i'll",
    "we'll",
    "will",
    "gonna",
    "plan",
    "plans",
    "planning",
    "want",
    "wants",
    "wanna",
    "gotta",
    "shall",
    "hope",
    "hoping",
    "intend",
    "aim",
    "aiming",
    "goal",
    "let's",
    "lets",
    "upcoming",
];

pub(super) fn is_plan_word(word: &str) -> bool {
    PLAN_WORDS.contains(&word)
}

/// "going to" and "next week" are plans; "going" and "next" alone are not.
pub(super) fn is_plan_phrase(word: &str, next: Option<&str>) -> bool {
    match (word, next) {
        ("going", Some("to")) => true,
        ("next", Some(next)) => NEXT_PLANS.contains(&next),
        _ => is_plan_word(word),
    }
}

/// What "next" plans: "next week", "next session".
const NEXT_PLANS: &[&str] = &[
    "time",
    "week",
    "session",
    "workout",
    "day",
    "month",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "weekend",
];

/// Modal verbs: "I could only do 5" is done, "I could do 5 tomorrow" is not, "I can do
/// 10" is neither. Training written with one is unsure.
const MODALS: &[&str] = &[
    "can", "could", "would", "should", "might", "may", "try", "trying",
];

pub(super) fn is_modal(word: &str) -> bool {
    MODALS.contains(&word)
}

/// Past-tense training verbs: they mark a clause as done even after a plan. Verbs
/// whose past and present look alike ("hit", "got to", "just gonna") are left out.
const STRONG_PAST: &[&str] = &[
    "did",
    "done",
    "finished",
    "completed",
    "managed",
    "performed",
    "logged",
    "smashed",
    "crushed",
    "knocked",
    "nailed",
    "trained",
    "worked",
    "went",
];

pub(super) fn is_strong_past(word: &str) -> bool {
    STRONG_PAST.contains(&word)
}

/// Times that place a clause in the past without a verb: "today", "yesterday".
const WEAK_PAST: &[&str] = &[
    "today",
    "yesterday",
    "earlier",
    "morning",
    "today's",
    "todays",
    "yesterday's",
    "yesterdays",
];

/// What "last" places in the past: "last night", "last week".
pub(super) fn is_past_time(word: &str) -> bool {
    matches!(
        word,
        "night" | "evening" | "week" | "weekend" | "time" | "session" | "workout"
    )
}

pub(super) fn is_weak_past(word: &str) -> bool {
    WEAK_PAST.contains(&word)
}

/// Words that say training did not happen or happened differently than written.
const NEGATIONS: &[&str] = &[
    "didn't", "didnt", "not", "no", "couldn't", "couldnt", "can't", "cant", "cannot", "wasn't",
    "wasnt", "skipped", "skip", "skipping", "missed", "miss", "failed", "fail", "never", "without",
    "none", "zero",
];

pub(super) fn is_negation(word: &str) -> bool {
    NEGATIONS.contains(&word)
}

/// Words that open a question when they start a clause.
const QUESTION_STARTS: &[&str] = &[
    "what", "what's", "whats", "how", "how's", "hows", "why", "when", "which", "who", "where",
    "should", "shall", "can", "could", "would", "is", "are", "am", "do", "does", "will", "any",
    "anyone", "thoughts",
];

pub(super) fn is_question_start(word: &str) -> bool {
    QUESTION_STARTS.contains(&word)
}

/// Words that make a clause a question wherever they are.
const QUESTION_WORDS: &[&str] = &["question", "wondering", "wonder", "advice", "tips"];

pub(super) fn is_question_word(word: &str) -> bool {
    QUESTION_WORDS.contains(&word)
}

/// Verbs of a request to log ("can you log ..."): such a clause is a log even though
/// it is phrased as a question or a wish.
pub(super) fn is_logging_verb(word: &str) -> bool {
    matches!(word, "log" | "add" | "record" | "track" | "save" | "note")
}

/// "leg day", "push day": names of a session, not a side or an exercise.
pub(super) fn is_session_name(word: &str) -> bool {
    matches!(
        word,
        "leg"
            | "legs"
            | "push"
            | "pull"
            | "upper"
            | "lower"
            | "core"
            | "arm"
            | "arms"
            | "skill"
            | "skills"
            | "rest"
            | "back"
            | "chest"
            | "full"
            | "training"
            | "abs"
            | "cardio"
            | "mobility"
    )
}

/// What follows a session name: "pull day", "leg workout", "push session".
pub(super) fn is_session_word(word: &str) -> bool {
    matches!(
        word,
        "day" | "workout" | "session" | "sesh" | "training" | "routine" | "wo"
    )
}

/// Separators that say what comes next: "3 rounds of 10 push-ups, then 20 squats"
/// does not put the squats in the rounds.
pub(super) fn is_sequence_word(word: &str) -> bool {
    matches!(
        word,
        "then" | "after" | "afterwards" | "followed" | "next" | "finally" | "lastly"
    )
}

/// How a tempo is described without numbers: "slow tempo".
pub(super) fn is_manner_word(word: &str) -> bool {
    matches!(
        word,
        "slow" | "slower" | "controlled" | "steady" | "fast" | "normal" | "easy" | "explosive"
    )
}

/// Practising a skill: a time written with it is time spent, not a hold.
pub(super) fn is_practice_word(word: &str) -> bool {
    matches!(
        word,
        "practice" | "practiced" | "practised" | "practicing" | "practising"
    )
}

/// "day 3", "week 2": a number that counts sessions, not sets.
pub(super) fn is_session_counter(word: &str) -> bool {
    matches!(word, "day" | "week" | "wk" | "session" | "workout")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_known_words_so_they_are_never_typo_matched() {
        for word in [
            "tomorrow", "should", "didn't", "what", "today", "did", "like",
        ] {
            assert_eq!(keyword(word), Some(Keyword::Filler), "{word}");
        }
        assert_eq!(keyword("twelve"), Some(Keyword::Number(12)));
        assert_eq!(keyword("mins"), Some(Keyword::Seconds(60)));
        assert_eq!(keyword("farmer"), None);
    }

    #[test]
    fn plan_phrases_need_their_second_word() {
        assert!(is_plan_phrase("going", Some("to")));
        assert!(!is_plan_phrase("going", Some("well")));
        assert!(is_plan_phrase("next", Some("week")));
        assert!(!is_plan_phrase("next", Some("dips")));
        assert!(is_plan_phrase("tomorrow", None));
    }
}
