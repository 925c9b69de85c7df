//! Exercise names from another logger mapped to the catalog through its names and
//! aliases (`Catalog::resolve`). Loggers qualify names in parentheses ("Pull Up
//! (Assisted)", "Dip (Weighted)"): a name that is not known whole is tried without its
//! qualifier, and an assistance qualifier marks the sets assisted. Only exact matches
//! map; a near miss is never guessed, since a wrong mapping would move someone's skill
//! tree. Names that do not map become custom exercises, and only when the person says
//! so.

use std::collections::BTreeMap;

use crate::domain::catalog::{Catalog, Resolution};

use super::ParsedImport;

/// Where a file's exercise name lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExerciseMatch<'c> {
    /// A catalog exercise; `assisted` when the name said so (band, machine).
    Catalog {
        id: &'c str,
        assisted: bool,
    },
    Unknown,
}

/// Qualifiers that mean the body weight was helped.
const ASSISTED: [&str; 4] = ["assisted", "band", "banded", "machine"];

pub fn match_exercise<'c>(catalog: &'c Catalog, name: &str) -> ExerciseMatch<'c> {
    if let Resolution::Exact(id) = catalog.resolve(name) {
        return ExerciseMatch::Catalog {
            id,
            assisted: false,
        };
    }
    let Some((base, qualifier)) = split_qualifier(name) else {
        return ExerciseMatch::Unknown;
    };
    match catalog.resolve(base) {
        Resolution::Exact(id) => ExerciseMatch::Catalog {
            id,
            assisted: qualifier
                .split(|c: char| !c.is_alphanumeric())
                .any(|word| ASSISTED.contains(&word.to_lowercase().as_str())),
        },
        _ => ExerciseMatch::Unknown,
    }
}

/// `"Pull Up (Assisted)"` → `("Pull Up", "Assisted")`.
fn split_qualifier(name: &str) -> Option<(&str, &str)> {
    let open = name.find('(')?;
    let close = name[open..].find(')')? + open;
    let base = name[..open].trim();
    (!base.is_empty()).then(|| (base, &name[open + 1..close]))
}

/// Every distinct exercise name of a file and where it lands, with how many sets use
/// it: what a dry run shows before anything is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameMapping<'c> {
    pub name: String,
    pub matched: ExerciseMatch<'c>,
    pub sets: usize,
}

pub fn map_names<'c>(catalog: &'c Catalog, parsed: &ParsedImport) -> Vec<NameMapping<'c>> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for set in parsed.workouts.iter().flat_map(|workout| &workout.sets) {
        *counts.entry(set.exercise_name.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(name, sets)| NameMapping {
            name: name.to_owned(),
            matched: match_exercise(catalog, name),
            sets,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::imports::{ImportSource, parse};
    use crate::domain::profile::Units;

    fn catalog() -> &'static Catalog {
        Catalog::embedded().unwrap()
    }

    #[test]
    fn names_and_aliases_map_whole_or_without_their_qualifier() {
        let cases = [
            ("Pull Up", Some(("pull_up", false))),
            ("pull-ups", Some(("pull_up", false))),
            ("Pull Up (Weighted)", Some(("pull_up", false))),
            ("Pull Up (Assisted)", Some(("pull_up", true))),
            ("Chin Up (Band)", Some(("chin_up", true))),
            ("Dips", Some(("dip", false))),
            ("Push Up", Some(("push_up", false))),
            ("Bench Press (Barbell)", None),
            ("Pull Upp", None),
            ("(Assisted)", None),
            ("Flexão de braço", None),
        ];
        for (name, expected) in cases {
            let matched = match_exercise(catalog(), name);
            let expected = expected.map_or(ExerciseMatch::Unknown, |(id, assisted)| {
                ExerciseMatch::Catalog { id, assisted }
            });
            assert_eq!(matched, expected, "{name}");
        }
    }

    #[test]
    fn a_dry_run_lists_each_name_once_with_its_sets() {
        let file = "Date,Workout Name,Exercise Name,Set Order,Reps\n\
2024-01-01 10:00,A,Pull Up,1,5\n\
2024-01-01 10:00,A,Pull Up,2,5\n\
2024-01-01 10:00,A,Farmer Carry,1,1\n\
2024-01-03 10:00,B,Pull Up (Assisted),1,8\n";
        let parsed = parse(ImportSource::Strong, file, Some(Units::Kg)).unwrap();
        let names = map_names(catalog(), &parsed);
        let summary: Vec<(&str, usize, bool)> = names
            .iter()
            .map(|name| {
                (
                    name.name.as_str(),
                    name.sets,
                    matches!(name.matched, ExerciseMatch::Catalog { .. }),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Farmer Carry", 1, false),
                ("Pull Up", 2, true),
                ("Pull Up (Assisted)", 1, true)
            ]
        );
    }
}
