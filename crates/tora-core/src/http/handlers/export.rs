//! `GET /v1/me/export?format=json|csv`: everything the caller stored, as a download
//! (`content-disposition: attachment`). Two round trips: the user, then one read-only
//! batch. Any other `format` is a 422 naming `format`.
//!
//! JSON (`tora-export.json`), the API's own shapes:
//! ```json
//! {"exported_at": "...", "user": {...as GET /v1/me},
//!  "workouts": [...as GET /v1/workouts items, oldest first],
//!  "chat_messages": [{"id", "client_message_id", "role", "body", "status",
//!                     "result": {...the stored answer} | null, "created_at"}],
//!  "skill_states": [{"skill", "name", "state", "practised", "best_progress",
//!                    "mastered_at", "updated_at"}],
//!  "custom_exercises": [{"id", "name", "category", "created_at"}]}
//! ```
//!
//! CSV (`tora-export.csv`, RFC 4180: UTF-8, CRLF line ends, a field quoted when it
//! holds a comma, quote, CR or LF, with its quotes doubled): sections one after the
//! other, each a header row and its rows, separated by one empty line. The first
//! column of every row, `record_type`, says which section it belongs to, so a reader
//! can split the file by it. Empty fields are absent values; booleans are
//! `true`/`false`; times are RFC 3339 UTC, plus `performed_at_local` in the caller's
//! timezone. Values are written as stored (no formula escaping: the file holds the
//! caller's own data, and altering it would break round trips).
//! 1. `workout_set`: one row per set, oldest workout first — `workout_id, performed_at,
//!    performed_at_local, notes, source, exercise, exercise_name, custom, set_number`
//!    (1-based within each run of one exercise), `reps, reps_max, seconds, added_kg,
//!    load_unit, assisted, each_side, rpe`.
//! 2. `chat_message`: `message_id, client_message_id, created_at, role, status, body,
//!    reply` (the stored answer's `reply` text), `result` (the whole stored answer as
//!    JSON).
//! 3. `skill_state`: `skill, name, state, practised, best_progress, mastered_at,
//!    updated_at`.
//! 4. `custom_exercise`: `exercise, name, category, created_at`.
//! 5. `profile`: `user_id, email, display_name, units, timezone, credits, created_at,
//!    exported_at`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;
use serde_json::Value;

use super::me::MeResponse;
use super::workouts::{WorkoutResponse, timestamp};
use super::{json, resolve};
use crate::app::export::{self, Export};
use crate::auth::AuthenticatedSubject;
use crate::db::export::{CustomExercise, ExportedMessage, ExportedSkillState};
use crate::db::users::User;
use crate::db::workouts::StoredWorkout;
use crate::http::query::{Query, invalid};
use crate::http::{ApiError, Platform, RequestContext};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl Format {
    fn from_query(query: &Query) -> Result<Self, ApiError> {
        match query.get("format") {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(_) => Err(invalid("format", "must be json or csv")),
        }
    }
}

pub(super) async fn export_me<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let format = Format::from_query(&Query::parse(context.query.as_deref()))?;
    let user = resolve(context, caller).await?;
    let data = export::export(&context.db, user.id).await?;
    let exported_at = context.now();
    let mut response = match format {
        Format::Json => json(
            StatusCode::OK,
            &ExportDocument::new(&user, &data, exported_at),
        )?,
        Format::Csv => {
            let mut response = Response::new(csv(&user, &data, exported_at).into_bytes());
            *response.status_mut() = StatusCode::OK;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            response
        }
    };
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(match format {
            Format::Json => "attachment; filename=\"tora-export.json\"",
            Format::Csv => "attachment; filename=\"tora-export.csv\"",
        }),
    );
    Ok(response)
}

#[derive(Debug, Serialize)]
struct MessageView<'a> {
    id: String,
    client_message_id: &'a str,
    role: &'a str,
    body: &'a str,
    status: &'a str,
    result: &'a Option<Value>,
    created_at: String,
}

impl<'a> From<&'a ExportedMessage> for MessageView<'a> {
    fn from(message: &'a ExportedMessage) -> Self {
        Self {
            id: message.id.to_string(),
            client_message_id: &message.client_message_id,
            role: &message.role,
            body: &message.body,
            status: &message.status,
            result: &message.result,
            created_at: timestamp(message.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
struct SkillStateView<'a> {
    skill: &'a str,
    name: &'a str,
    state: &'a str,
    practised: bool,
    best_progress: f64,
    mastered_at: Option<String>,
    updated_at: String,
}

impl<'a> From<&'a ExportedSkillState> for SkillStateView<'a> {
    fn from(state: &'a ExportedSkillState) -> Self {
        Self {
            skill: &state.skill_id,
            name: &state.name,
            state: &state.state,
            practised: state.practised,
            best_progress: state.best_progress,
            mastered_at: state.mastered_at.map(timestamp),
            updated_at: timestamp(state.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
struct CustomExerciseView<'a> {
    id: &'a str,
    name: &'a str,
    category: &'a str,
    created_at: String,
}

impl<'a> From<&'a CustomExercise> for CustomExerciseView<'a> {
    fn from(exercise: &'a CustomExercise) -> Self {
        Self {
            id: &exercise.id,
            name: &exercise.name,
            category: &exercise.category,
            created_at: timestamp(exercise.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
struct ExportDocument<'a> {
    exported_at: String,
    user: MeResponse,
    workouts: Vec<WorkoutResponse>,
    chat_messages: Vec<MessageView<'a>>,
    skill_states: Vec<SkillStateView<'a>>,
    custom_exercises: Vec<CustomExerciseView<'a>>,
}

impl<'a> ExportDocument<'a> {
    fn new(user: &User, data: &'a Export, exported_at: DateTime<Utc>) -> Self {
        Self {
            exported_at: timestamp(exported_at),
            user: MeResponse::from(user),
            workouts: data.workouts.iter().map(WorkoutResponse::from).collect(),
            chat_messages: data.chat_messages.iter().map(MessageView::from).collect(),
            skill_states: data.skill_states.iter().map(SkillStateView::from).collect(),
            custom_exercises: data
                .custom_exercises
                .iter()
                .map(CustomExerciseView::from)
                .collect(),
        }
    }
}

/// One field, quoted when it holds a comma, a quote, CR or LF (RFC 4180).
fn escape(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

/// A CSV document under construction.
#[derive(Default)]
struct Csv(String);

impl Csv {
    fn row<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) {
        for (index, field) in fields.into_iter().enumerate() {
            if index > 0 {
                self.0.push(',');
            }
            self.0.push_str(&escape(field.as_ref()));
        }
        self.0.push_str("\r\n");
    }

    /// Ends a section with an empty line.
    fn gap(&mut self) {
        self.0.push_str("\r\n");
    }
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

fn set_rows(csv: &mut Csv, workout: &StoredWorkout, user: &User) {
    let performed_at = timestamp(workout.performed_at);
    let local = workout
        .performed_at
        .with_timezone(&user.timezone.tz())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let source = if workout.source_message_id.is_some() {
        "chat"
    } else {
        "manual"
    };
    let mut number = 0_usize;
    let mut previous: Option<&str> = None;
    for set in &workout.sets {
        number = if previous == Some(set.exercise_id.as_str()) {
            number + 1
        } else {
            1
        };
        previous = Some(&set.exercise_id);
        csv.row([
            "workout_set".to_owned(),
            workout.id.to_string(),
            performed_at.clone(),
            local.clone(),
            workout.notes.clone().unwrap_or_default(),
            source.to_owned(),
            set.exercise_id.clone(),
            set.exercise_name.clone(),
            set.custom.to_string(),
            number.to_string(),
            opt(set.set.reps),
            opt(set.set.reps_max),
            opt(set.set.seconds),
            opt(set.set.added_kg),
            set.set
                .load_unit
                .map(|unit| unit.as_str().to_owned())
                .unwrap_or_default(),
            set.set.assisted.to_string(),
            set.set.each_side.to_string(),
            opt(set.set.rpe),
        ]);
    }
}

fn message_row(csv: &mut Csv, message: &ExportedMessage) {
    let reply = message
        .result
        .as_ref()
        .and_then(|result| result.get("reply"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    csv.row([
        "chat_message".to_owned(),
        message.id.to_string(),
        message.client_message_id.clone(),
        timestamp(message.created_at),
        message.role.clone(),
        message.status.clone(),
        message.body.clone(),
        reply.to_owned(),
        opt(message.result.as_ref()),
    ]);
}

/// The CSV layout described in the module documentation.
fn csv(user: &User, data: &Export, exported_at: DateTime<Utc>) -> String {
    let mut csv = Csv::default();
    csv.row([
        "record_type",
        "workout_id",
        "performed_at",
        "performed_at_local",
        "notes",
        "source",
        "exercise",
        "exercise_name",
        "custom",
        "set_number",
        "reps",
        "reps_max",
        "seconds",
        "added_kg",
        "load_unit",
        "assisted",
        "each_side",
        "rpe",
    ]);
    for workout in &data.workouts {
        set_rows(&mut csv, workout, user);
    }
    csv.gap();
    csv.row([
        "record_type",
        "message_id",
        "client_message_id",
        "created_at",
        "role",
        "status",
        "body",
        "reply",
        "result",
    ]);
    for message in &data.chat_messages {
        message_row(&mut csv, message);
    }
    csv.gap();
    csv.row([
        "record_type",
        "skill",
        "name",
        "state",
        "practised",
        "best_progress",
        "mastered_at",
        "updated_at",
    ]);
    for state in &data.skill_states {
        csv.row([
            "skill_state".to_owned(),
            state.skill_id.clone(),
            state.name.clone(),
            state.state.clone(),
            state.practised.to_string(),
            state.best_progress.to_string(),
            opt(state.mastered_at.map(timestamp)),
            timestamp(state.updated_at),
        ]);
    }
    csv.gap();
    csv.row(["record_type", "exercise", "name", "category", "created_at"]);
    for exercise in &data.custom_exercises {
        csv.row([
            "custom_exercise".to_owned(),
            exercise.id.clone(),
            exercise.name.clone(),
            exercise.category.clone(),
            timestamp(exercise.created_at),
        ]);
    }
    csv.gap();
    csv.row([
        "record_type",
        "user_id",
        "email",
        "display_name",
        "units",
        "timezone",
        "credits",
        "created_at",
        "exported_at",
    ]);
    csv.row([
        "profile".to_owned(),
        user.id.to_string(),
        user.email.clone().unwrap_or_default(),
        user.display_name.clone().unwrap_or_default(),
        user.units.as_str().to_owned(),
        user.timezone.name().to_owned(),
        user.credit_balance.to_string(),
        timestamp(user.created_at),
        timestamp(exported_at),
    ]);
    csv.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::db::workouts::StoredSet;
    use crate::domain::profile::{Timezone, Units};
    use crate::domain::workout::{LoggedSet, SetFields};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let cases = [
            ("plain", "plain"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("two\nlines", "\"two\nlines\""),
            ("cr\rhere", "\"cr\rhere\""),
            ("  spaced  ", "  spaced  "),
            ("ünïcode 💪", "ünïcode 💪"),
        ];
        for (field, expected) in cases {
            assert_eq!(escape(field), expected, "{field:?}");
        }
    }

    fn user() -> User {
        User {
            id: Uuid::from_u128(1),
            auth_subject: "sub".into(),
            email: Some("ana@example.com".into()),
            display_name: Some("Ana, \"the\" athlete".into()),
            units: Units::Kg,
            timezone: "Europe/Berlin".parse::<Timezone>().unwrap(),
            credit_balance: 42,
            created_at: at("2026-11-01T10:00:00Z"),
            updated_at: at("2026-11-01T10:00:00Z"),
        }
    }

    fn stored_set(exercise: &str, reps: Option<u32>, seconds: Option<f64>) -> StoredSet {
        StoredSet {
            exercise_id: exercise.into(),
            exercise_name: exercise.replace('_', " "),
            custom: false,
            set: LoggedSet::new(SetFields {
                reps,
                seconds,
                ..SetFields::default()
            })
            .unwrap(),
        }
    }

    fn export() -> Export {
        Export {
            workouts: vec![StoredWorkout {
                id: Uuid::from_u128(2),
                performed_at: at("2026-11-24T22:30:00Z"),
                notes: Some("felt strong,\nslept well".into()),
                source_message_id: None,
                sets: vec![
                    stored_set("pull_up", Some(8), None),
                    stored_set("pull_up", Some(7), None),
                    stored_set("l_sit", None, Some(12.5)),
                ],
                created_at: at("2026-11-24T22:31:00Z"),
                updated_at: at("2026-11-24T22:31:00Z"),
            }],
            chat_messages: vec![ExportedMessage {
                id: Uuid::from_u128(3),
                client_message_id: "m-1".into(),
                role: "user".into(),
                body: "3x8 pull-ups, then \"L-sit\"\n20s".into(),
                status: "parsed".into(),
                result: Some(json!({"reply": "Nice, \"strong\" work", "status": "parsed"})),
                created_at: at("2026-11-24T22:30:00Z"),
            }],
            skill_states: vec![ExportedSkillState {
                skill_id: "pull_up".into(),
                name: "Pull-up".into(),
                state: "unlocked".into(),
                practised: true,
                best_progress: 0.5,
                mastered_at: None,
                updated_at: at("2026-11-24T22:31:00Z"),
            }],
            custom_exercises: vec![],
        }
    }

    #[test]
    fn the_csv_has_one_section_per_record_type_and_round_trips() {
        let text = csv(&user(), &export(), at("2026-11-25T08:00:00Z"));
        assert!(text.ends_with("\r\n"));
        // The strict reader also checks the quoting and the CRLF line endings.
        let rows = tora_test_support::csv::parse(&text).unwrap();
        let sections: Vec<&[Vec<String>]> = rows.split(|row| row == &[""]).collect();
        assert_eq!(sections.len(), 5, "{rows:?}");
        for section in &sections {
            let width = section[0].len();
            assert_eq!(section[0][0], "record_type");
            assert!(section.iter().all(|row| row.len() == width), "{section:?}");
        }
        let sets = sections[0];
        assert_eq!(sets.len(), 4, "a header and three sets");
        assert_eq!(sets[1][0], "workout_set");
        assert_eq!(sets[1][2], "2026-11-24T22:30:00.000Z");
        assert_eq!(sets[1][3], "2026-11-24 23:30:00", "local time in Berlin");
        assert_eq!(sets[1][4], "felt strong,\nslept well");
        let numbers: Vec<&str> = sets[1..].iter().map(|row| row[9].as_str()).collect();
        assert_eq!(numbers, ["1", "2", "1"], "numbered per exercise run");
        assert_eq!(sets[3][12], "12.5");
        assert_eq!(sets[3][10], "", "absent reps are empty");
        let messages = sections[1];
        assert_eq!(messages[1][6], "3x8 pull-ups, then \"L-sit\"\n20s");
        assert_eq!(messages[1][7], "Nice, \"strong\" work");
        let result: Value = serde_json::from_str(&messages[1][8]).unwrap();
        assert_eq!(result["status"], "parsed");
        assert_eq!(sections[2][1][1], "pull_up");
        assert_eq!(sections[2][1][5], "0.5");
        assert_eq!(sections[3].len(), 1, "an empty section keeps its header");
        assert_eq!(sections[4][1][3], "Ana, \"the\" athlete");
        assert_eq!(sections[4][1][6], "42");
    }

    #[test]
    fn the_json_document_uses_the_api_shapes() {
        let data = export();
        let document = serde_json::to_value(ExportDocument::new(
            &user(),
            &data,
            at("2026-11-25T08:00:00Z"),
        ))
        .unwrap();
        assert_eq!(document["exported_at"], "2026-11-25T08:00:00.000Z");
        assert_eq!(document["user"]["timezone"], "Europe/Berlin");
        assert_eq!(document["workouts"][0]["entries"][0]["exercise"], "pull_up");
        assert_eq!(document["workouts"][0]["entries"][0]["sets"][1]["reps"], 7);
        assert_eq!(
            document["chat_messages"][0]["result"]["reply"],
            "Nice, \"strong\" work"
        );
        assert_eq!(document["skill_states"][0]["mastered_at"], Value::Null);
        assert_eq!(document["custom_exercises"], json!([]));
    }

    #[test]
    fn only_json_and_csv_are_formats() {
        let format = |raw: &str| Format::from_query(&Query::parse(Some(raw)));
        assert_eq!(format("").unwrap(), Format::Json);
        assert_eq!(format("format=json").unwrap(), Format::Json);
        assert_eq!(format("format=csv").unwrap(), Format::Csv);
        for bad in ["format=xml", "format=", "format=CSV"] {
            let Err(ApiError::Validation(errors)) = format(bad) else {
                panic!("{bad} should be refused");
            };
            assert_eq!(errors[0].field, "format");
        }
    }
}
