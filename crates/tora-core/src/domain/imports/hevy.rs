//! Hevy's CSV export: one row per set (`title, start_time, end_time, description,
//! exercise_title, superset_id, exercise_notes, set_index, set_type, weight_kg` or
//! `weight_lbs`, `reps, distance_km` or `distance_miles`, `duration_seconds, rpe`).
//! The weight column's name says the unit. `start_time` reads like `14 Jan 2024,
//! 18:05`; `set_type` is `normal`, `warmup`, `dropset` or `failure`.

use chrono::NaiveDateTime;

use super::csv::{records, sniff_delimiter};
use super::{
    Columns, ImportError, ImportSource, ImportedSet, ParsedImport, SetKind, SkipReason, SkippedRow,
    cell, group, number, to_kg,
};
use crate::domain::profile::Units;

const SOURCE: &str = "Hevy";

pub fn parse(text: &str, unit: Option<Units>) -> Result<ParsedImport, ImportError> {
    let mut rows = records(text, sniff_delimiter(text))?.into_iter();
    let header = rows.next().ok_or(ImportError::NoHeader)?;
    let columns = Columns::new(&header.fields);
    let title = columns.require("title", SOURCE)?;
    let start = columns.require("start_time", SOURCE)?;
    let exercise = columns.require("exercise_title", SOURCE)?;
    let set_type = columns.find("set_type");
    let (weight, file_unit) = match (columns.find("weight_kg"), columns.find("weight_lbs")) {
        (Some(index), _) => (Some(index), Units::Kg),
        (None, Some(index)) => (Some(index), Units::Lb),
        (None, None) => match columns.find("weight") {
            Some(index) => (Some(index), unit.ok_or(ImportError::UnitNeeded)?),
            None => (None, unit.unwrap_or(Units::Kg)),
        },
    };
    let reps = columns.find("reps");
    let distance = columns
        .find("distance_km")
        .or_else(|| columns.find("distance_miles"));
    let seconds = columns.find("duration_seconds");
    let rpe = columns.find("rpe");
    let description = columns.find("description");
    let exercise_notes = columns.find("exercise_notes");

    let mut sets = Vec::new();
    let mut skipped = Vec::new();
    for row in rows {
        let fields = &row.fields;
        let line = row.line;
        let started_at =
            cell(fields, Some(start))
                .and_then(parse_time)
                .ok_or(ImportError::Invalid {
                    line,
                    column: "start_time",
                })?;
        let kind = match cell(fields, set_type)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("normal") => SetKind::Normal,
            Some("warmup" | "warm_up" | "warm-up") => SetKind::Warmup,
            Some("dropset" | "drop") => SetKind::Drop,
            Some("failure") => SetKind::Failure,
            Some(_) => {
                skipped.push(SkippedRow {
                    line,
                    reason: SkipReason::Invalid("set_type"),
                });
                continue;
            }
        };
        let set = match read_numbers(fields, [weight, reps, distance, seconds, rpe]) {
            Ok(numbers) => numbers,
            Err(reason) => {
                skipped.push(SkippedRow { line, reason });
                continue;
            }
        };
        let Some(exercise_name) = cell(fields, Some(exercise)) else {
            skipped.push(SkippedRow {
                line,
                reason: SkipReason::Invalid("exercise_title"),
            });
            continue;
        };
        sets.push((
            started_at,
            cell(fields, Some(title)).unwrap_or("Workout").to_owned(),
            cell(fields, description).map(str::to_owned),
            ImportedSet {
                line,
                exercise_name: exercise_name.to_owned(),
                kind,
                reps: set.reps,
                weight_kg: set.weight.map(|weight| to_kg(weight, file_unit)),
                seconds: set.seconds,
                rpe: set.rpe,
                notes: cell(fields, exercise_notes).map(str::to_owned),
            },
        ));
    }
    if sets.is_empty() {
        return Err(ImportError::NoSets);
    }
    Ok(ParsedImport {
        source: ImportSource::Hevy,
        unit: file_unit,
        workouts: group(sets),
        skipped,
    })
}

struct Numbers {
    weight: Option<f64>,
    reps: Option<u32>,
    seconds: Option<f64>,
    rpe: Option<f64>,
}

fn read_numbers(
    fields: &[String],
    [weight, reps, distance, seconds, rpe]: [Option<usize>; 5],
) -> Result<Numbers, SkipReason> {
    let reps = match number(fields, reps, "reps")? {
        None => None,
        Some(0.0) => None,
        Some(reps) if reps.fract() == 0.0 && (1.0..=10_000.0).contains(&reps) => Some(reps as u32),
        Some(_) => return Err(SkipReason::Invalid("reps")),
    };
    let seconds = number(fields, seconds, "duration_seconds")?.filter(|s| *s > 0.0);
    let distance = number(fields, distance, "distance")?.filter(|d| *d > 0.0);
    if reps.is_none() && seconds.is_none() {
        return Err(if distance.is_some() {
            SkipReason::DistanceOnly
        } else {
            SkipReason::Empty
        });
    }
    Ok(Numbers {
        weight: number(fields, weight, "weight")?.filter(|kg| *kg != 0.0),
        reps,
        seconds,
        rpe: number(fields, rpe, "rpe")?.filter(|rpe| *rpe > 0.0),
    })
}

/// `14 Jan 2024, 18:05` as Hevy writes it, or an ISO-like date and time.
fn parse_time(raw: &str) -> Option<NaiveDateTime> {
    crate::domain::date_text::parse_import_time(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\"title\",\"start_time\",\"end_time\",\"description\",\"exercise_title\",\"superset_id\",\"exercise_notes\",\"set_index\",\"set_type\",\"weight_lbs\",\"reps\",\"distance_miles\",\"duration_seconds\",\"rpe\"\n\
\"Upper, A\",\"14 Jan 2024, 18:05\",\"14 Jan 2024, 19:00\",\"\",\"Pull Up (Weighted)\",,\"\",0,\"warmup\",,5,,,\n\
\"Upper, A\",\"14 Jan 2024, 18:05\",\"14 Jan 2024, 19:00\",\"\",\"Pull Up (Weighted)\",,\"\",1,\"normal\",25,8,,,8.5\n\
\"Upper, A\",\"14 Jan 2024, 18:05\",\"14 Jan 2024, 19:00\",\"\",\"Pull Up (Weighted)\",,\"\",2,\"failure\",25,6,,,10\n\
\"Upper, A\",\"14 Jan 2024, 18:05\",\"14 Jan 2024, 19:00\",\"\",\"Plank\",1,\"\",0,\"normal\",,,,60,\n\
\"Upper, A\",\"14 Jan 2024, 18:05\",\"14 Jan 2024, 19:00\",\"\",\"Treadmill\",,\"\",0,\"normal\",,,1.5,,\n\
\"腕立て\",\"2 Jan 2024, 07:30\",\"2 Jan 2024, 08:00\",\"new year\",\"Push Up\",,\"slow, controlled\",0,\"dropset\",,12,,,\n";

    #[test]
    fn sets_keep_their_type_and_the_unit_comes_from_the_weight_column() {
        let parsed = parse(FILE, None).unwrap();
        assert_eq!(parsed.unit, Units::Lb);
        assert_eq!(parsed.workouts.len(), 2);
        let first = &parsed.workouts[0];
        assert_eq!(first.title, "腕立て");
        assert_eq!(first.notes.as_deref(), Some("new year"));
        assert_eq!(first.sets[0].kind, SetKind::Drop);
        assert_eq!(first.sets[0].notes.as_deref(), Some("slow, controlled"));
        let upper = &parsed.workouts[1];
        assert_eq!(upper.title, "Upper, A");
        assert_eq!(upper.started_at.to_string(), "2024-01-14 18:05:00");
        let kinds: Vec<SetKind> = upper.sets.iter().map(|set| set.kind).collect();
        assert_eq!(
            kinds,
            [
                SetKind::Warmup,
                SetKind::Normal,
                SetKind::Failure,
                SetKind::Normal
            ]
        );
        assert_eq!(upper.sets[1].weight_kg, Some(11.34));
        assert_eq!(upper.sets[2].rpe, Some(10.0));
        assert_eq!(upper.sets[3].seconds, Some(60.0));
        assert_eq!(
            parsed.skipped,
            [SkippedRow {
                line: 6,
                reason: SkipReason::DistanceOnly
            }]
        );
    }

    #[test]
    fn kilogram_files_need_no_answer_and_broken_rows_are_named() {
        let file = "title,start_time,exercise_title,set_type,weight_kg,reps\n\
A,\"1 Feb 2024, 10:00\",Dip,normal,10,8\n\
A,\"1 Feb 2024, 10:00\",Dip,superset-ish,10,8\n\
A,\"1 Feb 2024, 10:00\",Dip,normal,ten,8\n\
A,\"1 Feb 2024, 10:00\",Dip,normal,,\n";
        let parsed = parse(file, None).unwrap();
        assert_eq!(parsed.unit, Units::Kg);
        assert_eq!(parsed.workouts[0].sets[0].weight_kg, Some(10.0));
        let reasons: Vec<SkipReason> = parsed
            .skipped
            .iter()
            .map(|row| row.reason.clone())
            .collect();
        assert_eq!(
            reasons,
            [
                SkipReason::Invalid("set_type"),
                SkipReason::Invalid("weight"),
                SkipReason::Empty
            ]
        );
        assert_eq!(
            parse("Date,Workout Name\n", None),
            Err(ImportError::MissingColumn("title", "Hevy"))
        );
    }
}
