//! Strong's CSV export: one row per set (`Date, Workout Name, Exercise Name, Set Order,
//! Weight, Reps, Distance, Seconds, RPE, Notes, Workout Notes`, newer versions with
//! `Weight Unit`/`Distance Unit`, `;` between fields in some locales). `Set Order` is
//! the set's number, `W`/`D`/`F` for warm-up, drop and failure sets, or `Rest Timer`
//! for the timer rows Strong writes between sets.

use chrono::NaiveDateTime;

use super::csv::{records, sniff_delimiter};
use super::{
    Columns, ImportError, ImportSource, ImportedSet, ParsedImport, SetKind, SkipReason, SkippedRow,
    cell, group, number, to_kg,
};
use crate::domain::profile::Units;

const SOURCE: &str = "Strong";

pub fn parse(text: &str, unit: Option<Units>) -> Result<ParsedImport, ImportError> {
    let mut rows = records(text, sniff_delimiter(text))?.into_iter();
    let header = rows.next().ok_or(ImportError::NoHeader)?;
    let columns = Columns::new(&header.fields);
    let date = columns.require("Date", SOURCE)?;
    let title = columns.require("Workout Name", SOURCE)?;
    let exercise = columns.require("Exercise Name", SOURCE)?;
    let order = columns.require("Set Order", SOURCE)?;
    let weight = columns.find("Weight");
    let weight_unit = columns.find("Weight Unit");
    let reps = columns.find("Reps");
    let distance = columns.find("Distance");
    let seconds = columns.find("Seconds");
    let rpe = columns.find("RPE");
    let notes = columns.find("Notes");
    let workout_notes = columns.find("Workout Notes");

    // A file without a unit column states none: the caller must.
    let file_unit = match weight_unit {
        Some(_) => None,
        None => Some(unit.ok_or(ImportError::UnitNeeded)?),
    };
    let mut sets = Vec::new();
    let mut skipped = Vec::new();
    let mut first_unit = file_unit;
    for row in rows {
        let fields = &row.fields;
        let line = row.line;
        let started_at =
            cell(fields, Some(date))
                .and_then(parse_time)
                .ok_or(ImportError::Invalid {
                    line,
                    column: "Date",
                })?;
        let kind = match cell(fields, Some(order)) {
            Some(raw) if raw.eq_ignore_ascii_case("rest timer") => {
                skipped.push(SkippedRow {
                    line,
                    reason: SkipReason::RestTimer,
                });
                continue;
            }
            Some("W" | "w") => SetKind::Warmup,
            Some("D" | "d") => SetKind::Drop,
            Some("F" | "f") => SetKind::Failure,
            Some(raw) if raw.parse::<u32>().is_ok() => SetKind::Normal,
            _ => {
                skipped.push(SkippedRow {
                    line,
                    reason: SkipReason::Invalid("Set Order"),
                });
                continue;
            }
        };
        let row_unit = match file_unit {
            Some(unit) => unit,
            None => match cell(fields, weight_unit)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("kg" | "kgs") => Units::Kg,
                Some("lb" | "lbs") => Units::Lb,
                // No load on this row: the unit does not matter.
                None => first_unit.unwrap_or(Units::Kg),
                Some(_) => {
                    skipped.push(SkippedRow {
                        line,
                        reason: SkipReason::Invalid("Weight Unit"),
                    });
                    continue;
                }
            },
        };
        let set = read_set(
            fields,
            line,
            row_unit,
            [weight, reps, distance, seconds, rpe],
        );
        let set = match set {
            Ok(set) => set,
            Err(reason) => {
                skipped.push(SkippedRow { line, reason });
                continue;
            }
        };
        if set.weight_kg.is_some() && first_unit.is_none() {
            first_unit = Some(row_unit);
        }
        let Some(exercise_name) = cell(fields, Some(exercise)) else {
            skipped.push(SkippedRow {
                line,
                reason: SkipReason::Invalid("Exercise Name"),
            });
            continue;
        };
        sets.push((
            started_at,
            cell(fields, Some(title)).unwrap_or("Workout").to_owned(),
            cell(fields, workout_notes).map(str::to_owned),
            ImportedSet {
                exercise_name: exercise_name.to_owned(),
                kind,
                notes: cell(fields, notes).map(str::to_owned),
                ..set
            },
        ));
    }
    if sets.is_empty() {
        return Err(ImportError::NoSets);
    }
    Ok(ParsedImport {
        source: ImportSource::Strong,
        unit: first_unit.unwrap_or(Units::Kg),
        workouts: group(sets),
        skipped,
    })
}

/// The numbers of one row: `[weight, reps, distance, seconds, rpe]` columns.
fn read_set(
    fields: &[String],
    line: usize,
    unit: Units,
    [weight, reps, distance, seconds, rpe]: [Option<usize>; 5],
) -> Result<ImportedSet, SkipReason> {
    let weight = number(fields, weight, "Weight")?.filter(|kg| *kg != 0.0);
    let reps = number(fields, reps, "Reps")?;
    let reps = match reps {
        Some(reps) if reps.fract() != 0.0 || reps < 0.0 => {
            return Err(SkipReason::Invalid("Reps"));
        }
        // Strong writes 0 reps on timed and distance sets.
        Some(0.0) => None,
        Some(reps) => Some(u32::try_from(reps as i64).map_err(|_| SkipReason::Invalid("Reps"))?),
        None => None,
    };
    let distance = number(fields, distance, "Distance")?.filter(|d| *d > 0.0);
    let seconds = number(fields, seconds, "Seconds")?.filter(|s| *s > 0.0);
    let rpe = number(fields, rpe, "RPE")?.filter(|rpe| *rpe > 0.0);
    if reps.is_none() && seconds.is_none() {
        return Err(if distance.is_some() {
            SkipReason::DistanceOnly
        } else {
            SkipReason::Empty
        });
    }
    Ok(ImportedSet {
        line,
        exercise_name: String::new(),
        kind: SetKind::Normal,
        reps,
        weight_kg: weight.map(|weight| to_kg(weight, unit)),
        seconds,
        rpe,
        notes: None,
    })
}

/// `2024-01-15 17:30:00`, without seconds, or with a `T`.
fn parse_time(raw: &str) -> Option<NaiveDateTime> {
    crate::domain::date_text::parse_import_time(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n\
2024-03-02 09:15:00,\"Pull day, heavy\",45m,Pull Up,W,0,5,0,0,,\"grip, then rest\",\n\
2024-03-02 09:15:00,\"Pull day, heavy\",45m,Pull Up,1,22.5,6,0,0,\"felt \"\"easy\"\"\",\"grip, then rest\",8\n\
2024-03-02 09:15:00,\"Pull day, heavy\",45m,Pull Up,Rest Timer,0,0,0,90,,,\n\
2024-03-02 09:15:00,\"Pull day, heavy\",45m,L-Sit,1,,0,0,20,,,\n\
2024-03-02 09:15:00,\"Pull day, heavy\",45m,Running,1,,0,5.2,0,,,\n\
2024-02-28 18:00:00,Übungen für Ärmel,30m,Flexão de braço,1,,15,0,0,,,\n";

    #[test]
    fn sets_group_into_workouts_oldest_first_with_the_awkward_rows_skipped() {
        let parsed = parse(FILE, Some(Units::Kg)).unwrap();
        assert_eq!(parsed.unit, Units::Kg);
        assert_eq!(parsed.workouts.len(), 2);
        let older = &parsed.workouts[0];
        assert_eq!(older.title, "Übungen für Ärmel");
        assert_eq!(older.sets[0].exercise_name, "Flexão de braço");
        assert_eq!(older.sets[0].reps, Some(15));
        let pull = &parsed.workouts[1];
        assert_eq!(pull.title, "Pull day, heavy");
        assert_eq!(pull.notes.as_deref(), Some("grip, then rest"));
        assert_eq!(pull.started_at.to_string(), "2024-03-02 09:15:00");
        let kinds: Vec<SetKind> = pull.sets.iter().map(|set| set.kind).collect();
        assert_eq!(kinds, [SetKind::Warmup, SetKind::Normal, SetKind::Normal]);
        assert_eq!(pull.sets[0].weight_kg, None, "0 kg is no load");
        assert_eq!(pull.sets[1].weight_kg, Some(22.5));
        assert_eq!(pull.sets[1].rpe, Some(8.0));
        assert_eq!(pull.sets[1].notes.as_deref(), Some("felt \"easy\""));
        assert_eq!(
            (pull.sets[2].reps, pull.sets[2].seconds),
            (None, Some(20.0))
        );
        let skipped: Vec<(usize, SkipReason)> = parsed
            .skipped
            .iter()
            .map(|row| (row.line, row.reason.clone()))
            .collect();
        assert_eq!(
            skipped,
            [(4, SkipReason::RestTimer), (6, SkipReason::DistanceOnly)]
        );
    }

    #[test]
    fn a_file_without_units_needs_the_callers_and_pounds_become_kilograms() {
        assert_eq!(parse(FILE, None), Err(ImportError::UnitNeeded));
        let parsed = parse(FILE, Some(Units::Lb)).unwrap();
        assert_eq!(parsed.unit, Units::Lb);
        assert_eq!(parsed.workouts[1].sets[1].weight_kg, Some(10.206));
    }

    #[test]
    fn newer_semicolon_exports_state_their_unit_per_row() {
        let file = "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes\n\
2024-05-01 07:00;Morning;Dip;1;45;lbs;8;;;;;;\n\
2024-05-01 07:00;Morning;Dip;2;;;8;;;;;;\n";
        let parsed = parse(file, None).unwrap();
        assert_eq!(parsed.unit, Units::Lb);
        assert_eq!(parsed.workouts[0].sets[0].weight_kg, Some(20.412));
        assert_eq!(parsed.workouts[0].sets.len(), 2);
    }

    #[test]
    fn files_that_are_not_strong_exports_say_why() {
        assert_eq!(parse("", Some(Units::Kg)), Err(ImportError::NoHeader));
        assert_eq!(
            parse("title,start_time\nx,y", Some(Units::Kg)),
            Err(ImportError::MissingColumn("Date", "Strong"))
        );
        let bad_date = "Date,Workout Name,Exercise Name,Set Order,Reps\nyesterday,A,Dip,1,5\n";
        assert_eq!(
            parse(bad_date, Some(Units::Kg)),
            Err(ImportError::Invalid {
                line: 2,
                column: "Date"
            })
        );
        let only_timers =
            "Date,Workout Name,Exercise Name,Set Order,Reps\n2024-01-01 10:00,A,Dip,Rest Timer,0\n";
        assert_eq!(
            parse(only_timers, Some(Units::Kg)),
            Err(ImportError::NoSets)
        );
    }

    #[test]
    fn ten_thousand_rows_read_into_their_workouts() {
        let mut file = String::from("Date,Workout Name,Exercise Name,Set Order,Weight,Reps\n");
        for day in 0..500 {
            let date =
                chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day);
            for set in 0..20 {
                file.push_str(&format!(
                    "{date} 18:00:00,Session,Push Up,{},,{}\n",
                    set + 1,
                    10 + set % 5
                ));
            }
        }
        let parsed = parse(&file, Some(Units::Kg)).unwrap();
        assert_eq!(parsed.workouts.len(), 500);
        assert!(
            parsed
                .workouts
                .iter()
                .all(|workout| workout.sets.len() == 20)
        );
        assert!(parsed.skipped.is_empty());
    }
}
