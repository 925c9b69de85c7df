//! Gathers the clauses of a run into exercises: a clause that names an exercise
//! starts one; a clause with only numbers ("8, 7, 6") belongs to the exercise it
//! continues, or to the next one when that one is written after its numbers.

use super::UnsureReason;
use super::clauses::Clause;
use super::items::{Item, ItemKind, PieceSets};
use super::names::{Lexeme, Spanned};
use super::reader;

/// One exercise and everything written for it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Group<'c> {
    pub exercise: &'c str,
    pub items: Vec<Item>,
    /// Some of its numbers came as a `/` list.
    pub slash_list: bool,
    pub rounds: bool,
    /// Its rounds were counted after its name ("pull-ups 3 rounds of 8").
    pub late_rounds: bool,
    /// Part of it follows "then", "after"...
    pub after_sequence: bool,
    /// "set 1:", "round 2 -" labels, in order.
    pub set_labels: Vec<u32>,
    pub round_labels: Vec<u32>,
    /// Its first clause had numbers before the name ("3x8 pull-ups"): numbers that
    /// follow belong to someone else.
    numbers_before_name: bool,
}

struct Piece<'c> {
    exercise: Option<&'c str>,
    sets: PieceSets,
    after_slash: bool,
    after_sequence: bool,
}

pub(super) fn groups<'c>(run: Vec<Clause<'c>>) -> Result<Vec<Group<'c>>, UnsureReason> {
    let mut pieces = Vec::new();
    for clause in run {
        for part in split_at_names(&clause.lexemes) {
            let exercise = part.iter().find_map(|spanned| match spanned.lexeme {
                Lexeme::Exercise(id) => Some(id),
                _ => None,
            });
            let sets = reader::read_piece(&reader::specs(part))?;
            // Numbers in a comment are not sets ("max was 10", "my max is 12 pull-ups");
            // an effort is fine ("felt like rpe 8").
            let comment = clause.states || (clause.after_breaker && exercise.is_none());
            if comment && !sets.only_modifiers() {
                return Err(UnsureReason::UnclearNumbers);
            }
            pieces.push(Piece {
                exercise,
                sets,
                after_slash: clause.after_slash,
                after_sequence: clause.after_sequence,
            });
        }
    }
    attach(pieces)
}

/// Splits a clause naming several exercises without separators ("3x8 pull-ups 3x10
/// dips", "pull-ups 3x8 dips 3x10"): each name takes the numbers on the side the
/// clause starts with.
fn split_at_names<'a, 'c>(lexemes: &'a [Spanned<'c>]) -> Vec<&'a [Spanned<'c>]> {
    let names: Vec<usize> = lexemes
        .iter()
        .enumerate()
        .filter(|(_, spanned)| matches!(spanned.lexeme, Lexeme::Exercise(_)))
        .map(|(index, _)| index)
        .collect();
    if names.len() < 2 {
        return vec![lexemes];
    }
    let numbers_first = names.first().is_some_and(|&first| {
        lexemes
            .get(..first)
            .unwrap_or_default()
            .iter()
            .any(|spanned| spanned.lexeme.is_number())
    });
    // Cut after each name but the last when numbers come first, else before each
    // name but the first.
    let cuts: Vec<usize> = if numbers_first {
        names
            .iter()
            .rev()
            .skip(1)
            .rev()
            .map(|&name| name + 1)
            .collect()
    } else {
        names.iter().skip(1).copied().collect()
    };
    let mut parts = Vec::with_capacity(names.len());
    let mut start = 0;
    for cut in cuts.into_iter().chain([lexemes.len()]) {
        parts.push(lexemes.get(start..cut).unwrap_or_default());
        start = cut;
    }
    parts
}

fn attach(pieces: Vec<Piece<'_>>) -> Result<Vec<Group<'_>>, UnsureReason> {
    let mut groups: Vec<Group> = Vec::new();
    let mut waiting: Vec<Piece> = Vec::new();
    for piece in pieces {
        match piece.exercise {
            Some(exercise) => groups.push(start_group(exercise, piece, &mut waiting)?),
            None if piece.sets.items.is_empty()
                && piece.sets.set_labels.is_empty()
                && piece.sets.round_labels.is_empty() => {}
            None => {
                let continues_last = groups.last_mut().filter(|group| {
                    waiting.is_empty()
                        && (piece.sets.only_modifiers() || !group.numbers_before_name)
                });
                match continues_last {
                    Some(group) => add_piece(group, piece),
                    None => waiting.push(piece),
                }
            }
        }
    }
    if !waiting.is_empty() {
        return Err(UnsureReason::SetsWithoutExercise);
    }
    Ok(groups)
}

/// A named exercise takes the numbers waiting before it, unless it has its own after
/// its name ("8, 7 pull-ups 3x8").
fn start_group<'c>(
    exercise: &'c str,
    piece: Piece<'c>,
    waiting: &mut Vec<Piece<'c>>,
) -> Result<Group<'c>, UnsureReason> {
    let mut group = Group {
        exercise,
        items: Vec::new(),
        slash_list: false,
        rounds: false,
        late_rounds: false,
        after_sequence: false,
        set_labels: Vec::new(),
        round_labels: Vec::new(),
        numbers_before_name: piece.sets.amounts_before_name,
    };
    if !waiting.is_empty() && piece.sets.amounts_after_name {
        return Err(UnsureReason::SetsWithoutExercise);
    }
    // "25 and 3x8 pull-ups": a list of sets does not go on with counted sets.
    let counted_here = piece
        .sets
        .items
        .iter()
        .any(|item| matches!(item.kind, ItemKind::Sets { counted: true, .. }));
    if !waiting.is_empty() && counted_here {
        return Err(UnsureReason::UnclearNumbers);
    }
    for earlier in waiting.drain(..) {
        add_piece(&mut group, earlier);
    }
    add_piece(&mut group, piece);
    Ok(group)
}

fn add_piece(group: &mut Group, piece: Piece) {
    group.slash_list |= piece.after_slash;
    group.rounds |= piece.sets.rounds;
    group.late_rounds |= piece.sets.late_rounds;
    group.after_sequence |= piece.after_sequence;
    group.set_labels.extend(piece.sets.set_labels);
    group.round_labels.extend(piece.sets.round_labels);
    group.items.extend(piece.sets.items);
}
