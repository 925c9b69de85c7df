//! `GET /v1/me/export?format=json|csv`: everything the caller stored, as a download
//! (`content-disposition: attachment`). The body is streamed: the first round trip
//! (after the user's) reads the first pages and the small sections, and later pages of
//! workouts and messages are read as the download is written, so an export of years
//! of training never sits in memory whole. Any other `format` is a 422 naming `format`.
//!
//! JSON (`tora-export.json`), the API's own shapes:
//! ```json
//! {"exported_at": "...", "user": {...as GET /v1/me},
//!  "workouts": [...as GET /v1/workouts items, oldest first],
//!  "chat_messages": [{"id", "client_message_id", "role", "body", "status",
//!                     "result": {"reply", "mastered", "unlocked", "next_targets",
//!                                "credits_spent"} | null, "created_at"}],
//!  "credit_ledger": [...as GET /v1/credits ledger items, oldest first],
//!  "memories": [...as GET /v1/memories items, oldest first],
//!  "meals": [...as GET /v1/meals items, oldest eaten first],
//!  "uploads": [{"upload_id", "kind", "content_type", "bytes", "created_at",
//!               "completed_at"}, oldest first; the objects stay in the bucket],
//!  "skill_states": [{"skill", "name", "state", "mastery", "practised", "best_progress",
//!                    "mastered_at", "updated_at"}],
//!  "custom_exercises": [{"id", "name", "category", "created_at"}],
//!  "imports": [...as GET /v1/imports items, newest first]}
//! ```
//!
//! CSV (`tora-export.csv`, RFC 4180: UTF-8, CRLF line ends, a field quoted when it
//! holds a comma, quote, CR or LF, with its quotes doubled): sections one after the
//! other, each a header row and its rows, separated by one empty line. The first
//! column of every row, `record_type`, says what the row is, so a reader can split the
//! file by it. Empty fields are absent values; booleans are `true`/`false`; times are
//! RFC 3339 UTC, plus `performed_at_local` in the caller's timezone. Text the person
//! wrote that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
//! tab or CR) is written with a leading `'`; numbers are written as they are.
//! 1. `workout` and `workout_set`, one header: a `workout` row (`workout_id,
//!    performed_at, performed_at_local, notes, source`) followed by one `workout_set`
//!    row per set (`workout_id`, then `exercise, exercise_name, custom, set_number`
//!    (1-based within each run of one exercise), `reps, reps_max, seconds, added_kg,
//!    assist_kg, load_unit, assisted, each_side, side, rpe`), oldest workout first. Notes are written
//!    once, on the workout's row.
//! 2. `chat_message`: `message_id, client_message_id, created_at, role, status, body,
//!    reply` (the stored answer's text), `result` (the whole stored answer as JSON).
//! 3. `credit_entry`: `entry_id, created_at, reason, delta_units, balance_after_units,
//!    model, input_tokens, output_tokens, request_id, purpose`, oldest first (amounts in
//!    token units, exact).
//! 4. `memory`: `memory_id, workout_id, performed_at, created_at, model, summary`, oldest
//!    first.
//! 5. `meal`: `meal_id, eaten_at, eaten_at_local, description, upload_id, items` (JSON
//!    `[{"name", "grams"}]`), `kcal, protein_g, carbs_g, fat_g, confidence, created_at`,
//!    oldest eaten first.
//! 6. `upload`: `upload_id, kind, content_type, bytes, created_at, expires_at,
//!    completed_at` (empty: never completed), oldest first.
//! 7. `skill_state`: `skill, name, state, mastery, practised, best_progress, mastered_at,
//!    updated_at`.
//! 8. `custom_exercise`: `exercise, name, category, created_at`.
//! 9. `import`: `import_id, source, weight_unit, workouts, sets, skipped_rows,
//!    custom_exercises` (JSON list of names), `created_at, finished_at`, newest first.
//! 10. `profile`: `user_id, email, display_name, units, timezone, credit_units,
//!     created_at, exported_at, weekly_goal_days, rest_days` (weekday names, space
//!     separated), `count_sides_separately`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::credits::{LedgerItem, reason_name};
use super::imports::ImportView;
use super::me::MeResponse;
use super::meals::MealView;
use super::memories::MemoryView;
use super::resolve;
use super::uploads::UploadView;
use super::workouts::{WorkoutResponse, timestamp};
use crate::app::export::{self, ExportStart};
use crate::auth::AuthenticatedSubject;
use crate::domain::account::User;
use crate::domain::chat::ChatAnswer;
use crate::domain::credits::TokensPerCredit;
use crate::domain::export::{CustomExercise, ExportedMessage, ExportedSkillState};
use crate::domain::memory::Memory;
use crate::domain::uploads::Upload;
use crate::domain::workout::StoredWorkout;
use crate::http::query::{Query, invalid};
use crate::http::{ApiError, Platform, Reply, RequestContext};
use crate::ports::{
    ExportStore, LedgerEntry, Page, PageCursor, StoreError, StoredImport, StoredMeal,
};

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
) -> Result<Reply, ApiError> {
    let format = Format::from_query(&Query::parse(context.query.as_deref()))?;
    let user = resolve(context, caller).await?;
    // Read before answering, so an unavailable database is a 503, not a cut download.
    let start = export::start(&context.db, user.id).await?;
    let mut head = Response::new(Vec::new());
    *head.status_mut() = StatusCode::OK;
    let (content_type, disposition) = match format {
        Format::Json => (
            "application/json",
            "attachment; filename=\"tora-export.json\"",
        ),
        Format::Csv => (
            "text/csv; charset=utf-8",
            "attachment; filename=\"tora-export.csv\"",
        ),
    };
    let headers = head.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(disposition),
    );
    Ok(Reply::Streamed(
        head,
        Box::new(ExportStream::new(
            format,
            user,
            context.now(),
            context.config.credits.tokens_per_credit,
            start,
        )),
    ))
}

/// Where the writer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Head,
    Workouts,
    Messages,
    Ledger,
    Memories,
    Meals,
    Uploads,
    Rest,
    Done,
}

/// The body of an export, written a page at a time. The platform calls `next_chunk`
/// until it gives `None`; each call holds at most one page of rows.
pub struct ExportStream {
    format: Format,
    user: User,
    exported_at: DateTime<Utc>,
    /// How the profile shows its balance in credits.
    rate: TokensPerCredit,
    section: Section,
    workouts: Page<StoredWorkout>,
    messages: Page<ExportedMessage>,
    ledger: Page<LedgerEntry>,
    memories: Page<Memory>,
    meals: Page<StoredMeal>,
    uploads: Page<Upload>,
    skill_states: Vec<ExportedSkillState>,
    custom_exercises: Vec<CustomExercise>,
    imports: Vec<StoredImport>,
    /// JSON: whether the array being written has an item yet (commas go between).
    wrote_item: bool,
}

impl ExportStream {
    fn new(
        format: Format,
        user: User,
        exported_at: DateTime<Utc>,
        rate: TokensPerCredit,
        start: ExportStart,
    ) -> Self {
        Self {
            format,
            user,
            exported_at,
            rate,
            section: Section::Head,
            workouts: start.workouts,
            messages: start.messages,
            ledger: start.ledger,
            memories: start.memories,
            meals: start.meals,
            uploads: start.uploads,
            skill_states: start.skill_states,
            custom_exercises: start.custom_exercises,
            imports: start.imports,
            wrote_item: false,
        }
    }

    /// The next part of the body, `None` when it is complete.
    pub async fn next_chunk(
        &mut self,
        store: &impl ExportStore,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut out = Output {
            format: self.format,
            text: String::new(),
        };
        match self.section {
            Section::Head => {
                self.write_head(&mut out);
                self.section = Section::Workouts;
            }
            Section::Workouts => {
                let page = std::mem::take(&mut self.workouts);
                let next =
                    self.write_page(&mut out, page, Self::write_workout, |workout| PageCursor {
                        at: workout.performed_at,
                        id: workout.id,
                    });
                match next {
                    Some(after) => {
                        self.workouts = export::workouts_after(store, self.user.id, after).await?;
                    }
                    None => {
                        out.end_workouts();
                        self.wrote_item = false;
                        self.section = Section::Messages;
                    }
                }
            }
            Section::Messages => {
                let page = std::mem::take(&mut self.messages);
                let next =
                    self.write_page(&mut out, page, Self::write_message, |message| PageCursor {
                        at: message.created_at,
                        id: message.id,
                    });
                match next {
                    Some(after) => {
                        self.messages = export::messages_after(store, self.user.id, after).await?;
                    }
                    None => {
                        out.end_messages();
                        self.wrote_item = false;
                        self.section = Section::Ledger;
                    }
                }
            }
            Section::Ledger => {
                let page = std::mem::take(&mut self.ledger);
                let next = self.write_page(&mut out, page, Self::write_ledger_entry, |entry| {
                    PageCursor {
                        at: entry.created_at,
                        id: entry.id,
                    }
                });
                match next {
                    Some(after) => {
                        self.ledger = export::ledger_after(store, self.user.id, after).await?;
                    }
                    None => {
                        out.end_ledger();
                        self.wrote_item = false;
                        self.section = Section::Memories;
                    }
                }
            }
            Section::Memories => {
                let page = std::mem::take(&mut self.memories);
                let next =
                    self.write_page(&mut out, page, Self::write_memory, |memory| PageCursor {
                        at: memory.created_at,
                        id: memory.id,
                    });
                match next {
                    Some(after) => {
                        self.memories = export::memories_after(store, self.user.id, after).await?;
                    }
                    None => {
                        out.end_memories();
                        self.wrote_item = false;
                        self.section = Section::Meals;
                    }
                }
            }
            Section::Meals => {
                let page = std::mem::take(&mut self.meals);
                let next = self.write_page(&mut out, page, Self::write_meal, |meal| PageCursor {
                    at: meal.eaten_at,
                    id: meal.id,
                });
                match next {
                    Some(after) => {
                        self.meals = export::meals_after(store, self.user.id, after).await?;
                    }
                    None => {
                        out.end_meals();
                        self.wrote_item = false;
                        self.section = Section::Uploads;
                    }
                }
            }
            Section::Uploads => {
                let page = std::mem::take(&mut self.uploads);
                let next =
                    self.write_page(&mut out, page, Self::write_upload, |upload| PageCursor {
                        at: upload.created_at,
                        id: upload.id,
                    });
                match next {
                    Some(after) => {
                        self.uploads = export::uploads_after(store, self.user.id, after).await?;
                    }
                    None => {
                        out.end_uploads();
                        self.section = Section::Rest;
                    }
                }
            }
            Section::Rest => {
                self.write_rest(&mut out);
                self.section = Section::Done;
            }
            Section::Done => return Ok(None),
        }
        Ok(Some(out.text.into_bytes()))
    }

    /// Writes a page's rows and drops the page; says where the next page starts when
    /// there is one.
    fn write_page<T>(
        &mut self,
        out: &mut Output,
        page: Page<T>,
        write: fn(&mut Self, &mut Output, &T),
        position: fn(&T) -> PageCursor,
    ) -> Option<PageCursor> {
        for item in &page.items {
            write(self, out, item);
        }
        page.items.last().filter(|_| page.more).map(position)
    }

    fn write_head(&self, out: &mut Output) {
        match self.format {
            Format::Json => {
                out.text.push_str("{\"exported_at\":");
                out.json(&timestamp(self.exported_at));
                out.text.push_str(",\"user\":");
                out.json(&MeResponse::new(&self.user, self.rate));
                out.text.push_str(",\"workouts\":[");
            }
            Format::Csv => out.csv_row([
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
                "assist_kg",
                "load_unit",
                "assisted",
                "each_side",
                "side",
                "rpe",
            ]),
        }
    }

    fn write_workout(&mut self, out: &mut Output, workout: &StoredWorkout) {
        match self.format {
            Format::Json => {
                if self.wrote_item {
                    out.text.push(',');
                }
                self.wrote_item = true;
                out.json(&WorkoutResponse::from(workout));
            }
            Format::Csv => workout_rows(out, workout, &self.user),
        }
    }

    fn write_message(&mut self, out: &mut Output, message: &ExportedMessage) {
        match self.format {
            Format::Json => {
                if self.wrote_item {
                    out.text.push(',');
                }
                self.wrote_item = true;
                out.json(&MessageView::from(message));
            }
            Format::Csv => out.csv_row([
                "chat_message".to_owned(),
                message.id.to_string(),
                text_cell(&message.client_message_id),
                timestamp(message.created_at),
                message.role.clone(),
                message.status.as_str().to_owned(),
                text_cell(&message.body),
                text_cell(
                    message
                        .answer
                        .as_ref()
                        .map_or("", |answer| answer.reply.as_str()),
                ),
                message
                    .answer
                    .as_ref()
                    .and_then(|answer| serde_json::to_string(answer).ok())
                    .unwrap_or_default(),
            ]),
        }
    }

    fn write_ledger_entry(&mut self, out: &mut Output, entry: &LedgerEntry) {
        match self.format {
            Format::Json => {
                if self.wrote_item {
                    out.text.push(',');
                }
                self.wrote_item = true;
                out.json(&LedgerItem::new(entry.clone(), self.rate));
            }
            Format::Csv => out.csv_row([
                "credit_entry".to_owned(),
                entry.id.to_string(),
                timestamp(entry.created_at),
                reason_name(entry.reason).to_owned(),
                entry.delta.units().to_string(),
                entry.balance_after.units().to_string(),
                text_cell(entry.model.as_deref().unwrap_or_default()),
                opt(entry.input_tokens.map(|tokens| tokens.to_string())),
                opt(entry.output_tokens.map(|tokens| tokens.to_string())),
                text_cell(entry.request_id.as_deref().unwrap_or_default()),
                text_cell(entry.purpose.as_deref().unwrap_or_default()),
            ]),
        }
    }

    fn write_memory(&mut self, out: &mut Output, memory: &Memory) {
        match self.format {
            Format::Json => {
                if self.wrote_item {
                    out.text.push(',');
                }
                self.wrote_item = true;
                out.json(&MemoryView::from(memory));
            }
            Format::Csv => out.csv_row([
                "memory".to_owned(),
                memory.id.to_string(),
                memory.workout_id.to_string(),
                timestamp(memory.performed_at),
                timestamp(memory.created_at),
                text_cell(&memory.model),
                text_cell(&memory.summary),
            ]),
        }
    }

    fn write_meal(&mut self, out: &mut Output, meal: &StoredMeal) {
        match self.format {
            Format::Json => {
                if self.wrote_item {
                    out.text.push(',');
                }
                self.wrote_item = true;
                out.json(&MealView::from(meal));
            }
            Format::Csv => {
                let items: Vec<serde_json::Value> = meal
                    .items
                    .iter()
                    .map(|(name, grams)| serde_json::json!({"name": name, "grams": grams}))
                    .collect();
                out.csv_row([
                    "meal".to_owned(),
                    meal.id.to_string(),
                    timestamp(meal.eaten_at),
                    local_time(meal.eaten_at, &self.user),
                    text_cell(meal.description.as_deref().unwrap_or_default()),
                    opt(meal.upload_id),
                    text_cell(&serde_json::Value::from(items).to_string()),
                    meal.macros.kcal.to_string(),
                    meal.macros.protein_g.to_string(),
                    meal.macros.carbs_g.to_string(),
                    meal.macros.fat_g.to_string(),
                    opt(meal.confidence),
                    timestamp(meal.created_at),
                ]);
            }
        }
    }

    fn write_upload(&mut self, out: &mut Output, upload: &Upload) {
        match self.format {
            Format::Json => {
                if self.wrote_item {
                    out.text.push(',');
                }
                self.wrote_item = true;
                out.json(&UploadView::from(upload));
            }
            Format::Csv => out.csv_row([
                "upload".to_owned(),
                upload.id.to_string(),
                upload.kind.as_str().to_owned(),
                text_cell(&upload.content_type),
                upload.bytes.to_string(),
                timestamp(upload.created_at),
                opt(upload.expires_at.map(timestamp)),
                opt(upload.completed_at.map(timestamp)),
            ]),
        }
    }

    fn write_rest(&self, out: &mut Output) {
        match self.format {
            Format::Json => {
                out.text.push_str(",\"skill_states\":");
                out.json(
                    &self
                        .skill_states
                        .iter()
                        .map(SkillStateView::from)
                        .collect::<Vec<_>>(),
                );
                out.text.push_str(",\"custom_exercises\":");
                out.json(
                    &self
                        .custom_exercises
                        .iter()
                        .map(CustomExerciseView::from)
                        .collect::<Vec<_>>(),
                );
                out.text.push_str(",\"imports\":");
                out.json(
                    &self
                        .imports
                        .iter()
                        .map(ImportView::from)
                        .collect::<Vec<_>>(),
                );
                out.text.push('}');
            }
            Format::Csv => {
                out.csv_row([
                    "record_type",
                    "skill",
                    "name",
                    "state",
                    "mastery",
                    "practised",
                    "best_progress",
                    "mastered_at",
                    "updated_at",
                ]);
                for state in &self.skill_states {
                    out.csv_row([
                        "skill_state".to_owned(),
                        state.skill_id.clone(),
                        state.name.clone(),
                        state.state.clone(),
                        mastery_of(state).unwrap_or_default().to_owned(),
                        state.practised.to_string(),
                        state.best_progress.to_string(),
                        opt(state.mastered_at.map(timestamp)),
                        timestamp(state.updated_at),
                    ]);
                }
                out.gap();
                out.csv_row(["record_type", "exercise", "name", "category", "created_at"]);
                for exercise in &self.custom_exercises {
                    out.csv_row([
                        "custom_exercise".to_owned(),
                        exercise.id.clone(),
                        text_cell(&exercise.name),
                        exercise.category.clone(),
                        timestamp(exercise.created_at),
                    ]);
                }
                out.gap();
                out.csv_row([
                    "record_type",
                    "import_id",
                    "source",
                    "weight_unit",
                    "workouts",
                    "sets",
                    "skipped_rows",
                    "custom_exercises",
                    "created_at",
                    "finished_at",
                ]);
                for import in &self.imports {
                    out.csv_row([
                        "import".to_owned(),
                        import.id.to_string(),
                        import.source.as_str().to_owned(),
                        import.weight_unit.as_str().to_owned(),
                        import.workouts.to_string(),
                        import.sets.to_string(),
                        import.skipped_rows.to_string(),
                        text_cell(
                            &serde_json::to_string(&import.custom_exercises).unwrap_or_default(),
                        ),
                        timestamp(import.created_at),
                        opt(import.finished_at.map(timestamp)),
                    ]);
                }
                out.gap();
                out.csv_row([
                    "record_type",
                    "user_id",
                    "email",
                    "display_name",
                    "units",
                    "timezone",
                    "credit_units",
                    "created_at",
                    "exported_at",
                    "weekly_goal_days",
                    "rest_days",
                    "count_sides_separately",
                ]);
                let user = &self.user;
                out.csv_row([
                    "profile".to_owned(),
                    user.id.to_string(),
                    text_cell(user.email.as_deref().unwrap_or_default()),
                    text_cell(user.display_name.as_deref().unwrap_or_default()),
                    user.units.as_str().to_owned(),
                    user.timezone.name().to_owned(),
                    user.credit_balance.units().to_string(),
                    timestamp(user.created_at),
                    timestamp(self.exported_at),
                    opt(user.weekly_goal.map(|goal| goal.days().to_string())),
                    user.rest_days.names().join(" "),
                    user.count_sides_separately.to_string(),
                ]);
            }
        }
    }
}

/// One chunk being written.
struct Output {
    format: Format,
    text: String,
}

impl Output {
    fn json<T: Serialize>(&mut self, value: &T) {
        // Our own view types always serialise; an error would leave a hole in the
        // document, so write `null` rather than nothing.
        match serde_json::to_string(value) {
            Ok(text) => self.text.push_str(&text),
            Err(_) => self.text.push_str("null"),
        }
    }

    fn csv_row<S: AsRef<str>>(&mut self, fields: impl IntoIterator<Item = S>) {
        for (index, field) in fields.into_iter().enumerate() {
            if index > 0 {
                self.text.push(',');
            }
            self.text.push_str(&escape(field.as_ref()));
        }
        self.text.push_str("\r\n");
    }

    /// Ends a CSV section with an empty line.
    fn gap(&mut self) {
        self.text.push_str("\r\n");
    }

    fn end_workouts(&mut self) {
        match self.format {
            Format::Json => self.text.push_str("],\"chat_messages\":["),
            Format::Csv => {
                self.gap();
                self.csv_row([
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
            }
        }
    }

    fn end_messages(&mut self) {
        match self.format {
            Format::Json => self.text.push_str("],\"credit_ledger\":["),
            Format::Csv => {
                self.gap();
                self.csv_row([
                    "record_type",
                    "entry_id",
                    "created_at",
                    "reason",
                    "delta_units",
                    "balance_after_units",
                    "model",
                    "input_tokens",
                    "output_tokens",
                    "request_id",
                    "purpose",
                ]);
            }
        }
    }

    fn end_ledger(&mut self) {
        match self.format {
            Format::Json => self.text.push_str("],\"memories\":["),
            Format::Csv => {
                self.gap();
                self.csv_row([
                    "record_type",
                    "memory_id",
                    "workout_id",
                    "performed_at",
                    "created_at",
                    "model",
                    "summary",
                ]);
            }
        }
    }

    fn end_memories(&mut self) {
        match self.format {
            Format::Json => self.text.push_str("],\"meals\":["),
            Format::Csv => {
                self.gap();
                self.csv_row([
                    "record_type",
                    "meal_id",
                    "eaten_at",
                    "eaten_at_local",
                    "description",
                    "upload_id",
                    "items",
                    "kcal",
                    "protein_g",
                    "carbs_g",
                    "fat_g",
                    "confidence",
                    "created_at",
                ]);
            }
        }
    }

    fn end_meals(&mut self) {
        match self.format {
            Format::Json => self.text.push_str("],\"uploads\":["),
            Format::Csv => {
                self.gap();
                self.csv_row([
                    "record_type",
                    "upload_id",
                    "kind",
                    "content_type",
                    "bytes",
                    "created_at",
                    "expires_at",
                    "completed_at",
                ]);
            }
        }
    }

    fn end_uploads(&mut self) {
        match self.format {
            Format::Json => self.text.push(']'),
            Format::Csv => self.gap(),
        }
    }
}

#[derive(Debug, Serialize)]
struct MessageView<'a> {
    id: String,
    client_message_id: &'a str,
    role: &'a str,
    body: &'a str,
    status: &'static str,
    result: Option<&'a ChatAnswer>,
    created_at: String,
}

impl<'a> From<&'a ExportedMessage> for MessageView<'a> {
    fn from(message: &'a ExportedMessage) -> Self {
        Self {
            id: message.id.to_string(),
            client_message_id: &message.client_message_id,
            role: &message.role,
            body: &message.body,
            status: message.status.as_str(),
            result: message.answer.as_ref(),
            created_at: timestamp(message.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
struct SkillStateView<'a> {
    skill: &'a str,
    name: &'a str,
    state: &'a str,
    /// `proven` or `inferred` for a mastered skill, as in `GET /v1/skills`.
    mastery: Option<&'static str>,
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
            mastery: mastery_of(state),
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

/// One field, quoted when it holds a comma, a quote, CR or LF (RFC 4180).
fn escape(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

/// Text a person wrote, made inert for spreadsheets: a cell starting with `=`, `+`,
/// `-`, `@`, tab or CR would run as a formula when the file is opened, so it gets a
/// leading `'` (OWASP's advice). Numbers never pass through here.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn mastery_of(state: &ExportedSkillState) -> Option<&'static str> {
    (state.state == "mastered").then_some(if state.inferred { "inferred" } else { "proven" })
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// A workout's row, then a row per set.
/// An instant as the person's wall clock showed it.
fn local_time(at: DateTime<Utc>, user: &User) -> String {
    crate::domain::date_text::wall_clock(at.with_timezone(&user.timezone).naive_local())
}

fn workout_rows(out: &mut Output, workout: &StoredWorkout, user: &User) {
    let workout_id = workout.id.to_string();
    out.csv_row(
        [
            "workout".to_owned(),
            workout_id.clone(),
            timestamp(workout.performed_at),
            local_time(workout.performed_at, user),
            text_cell(workout.notes.as_deref().unwrap_or_default()),
            super::workouts::source(workout).to_owned(),
        ]
        .into_iter()
        .chain(std::iter::repeat_n(String::new(), 14)),
    );
    let mut number = 0_usize;
    let mut previous: Option<&str> = None;
    for set in &workout.sets {
        number = if previous == Some(set.exercise_id.as_str()) {
            number + 1
        } else {
            1
        };
        previous = Some(&set.exercise_id);
        let fields = &set.set;
        out.csv_row(
            ["workout_set".to_owned(), workout_id.clone()]
                .into_iter()
                .chain(std::iter::repeat_n(String::new(), 4))
                .chain([
                    set.exercise_id.clone(),
                    text_cell(&set.exercise_name),
                    set.custom.to_string(),
                    number.to_string(),
                    opt(fields.reps),
                    opt(fields.reps_max),
                    opt(fields.seconds),
                    opt(fields.added_kg),
                    opt(fields.assist_kg),
                    fields
                        .load_unit
                        .map(|unit| unit.as_str().to_owned())
                        .unwrap_or_default(),
                    fields.assisted.to_string(),
                    fields.each_side.to_string(),
                    fields
                        .side
                        .map(|side| side.as_str().to_owned())
                        .unwrap_or_default(),
                    opt(fields.rpe),
                ]),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::{Value, json};
    use uuid::Uuid;

    use super::*;
    use crate::domain::chat::MessageStatus;
    use crate::domain::profile::{Timezone, Units};
    use crate::domain::workout::{LoggedSet, SetFields, StoredSet};

    use tora_test_support::at;

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

    #[test]
    fn text_that_a_spreadsheet_would_run_is_made_inert() {
        for formula in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"] {
            assert_eq!(text_cell(formula), format!("'{formula}"));
        }
        for plain in ["felt strong", "", "3x8 = good", "'quoted"] {
            assert_eq!(text_cell(plain), plain);
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
            coach_style: crate::domain::profile::CoachStyle::Templated,
            weekly_goal: None,
            rest_days: crate::domain::profile::RestDays::NONE,
            count_sides_separately: false,
            credit_balance: crate::domain::credits::Credits::from_units(42),
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

    fn workout(index: u128, notes: &str, sets: Vec<StoredSet>) -> StoredWorkout {
        let performed_at = at("2026-01-01T22:30:00Z") + chrono::Duration::hours(index as i64);
        StoredWorkout {
            id: Uuid::from_u128(1_000 + index),
            performed_at,
            notes: Some(notes.into()),
            source_message_id: None,
            import_id: None,
            sets,
            created_at: performed_at,
            updated_at: performed_at,
        }
    }

    fn message(index: u128) -> ExportedMessage {
        ExportedMessage {
            id: Uuid::from_u128(5_000 + index),
            client_message_id: format!("m-{index}"),
            role: "user".into(),
            body: "3x8 pull-ups, then \"L-sit\"\n20s".into(),
            status: MessageStatus::Logged,
            answer: Some(ChatAnswer::words("Nice, \"strong\" work".into())),
            created_at: at("2026-01-01T22:30:00Z") + chrono::Duration::minutes(index as i64),
        }
    }

    /// An export store over lists, oldest first, that counts its round trips.
    struct FakeExportStore {
        workouts: Vec<StoredWorkout>,
        messages: Vec<ExportedMessage>,
        round_trips: Cell<u32>,
    }

    impl FakeExportStore {
        fn new(workouts: Vec<StoredWorkout>, messages: Vec<ExportedMessage>) -> Self {
            Self {
                workouts,
                messages,
                round_trips: Cell::new(0),
            }
        }
    }

    fn after<T: Clone>(
        items: &[T],
        position: impl Fn(&T) -> (DateTime<Utc>, Uuid),
        cursor: Option<PageCursor>,
        limit: u32,
    ) -> Vec<T> {
        items
            .iter()
            .filter(|item| cursor.is_none_or(|cursor| position(item) > (cursor.at, cursor.id)))
            .take(limit as usize)
            .cloned()
            .collect()
    }

    impl ExportStore for FakeExportStore {
        async fn export_start(
            &self,
            _user_id: Uuid,
            limits: crate::ports::ExportLimits,
        ) -> Result<crate::ports::ExportStart, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(crate::ports::ExportStart {
                workouts: after(
                    &self.workouts,
                    |w| (w.performed_at, w.id),
                    None,
                    limits.workouts,
                ),
                messages: after(
                    &self.messages,
                    |m| (m.created_at, m.id),
                    None,
                    limits.messages,
                ),
                meals: vec![StoredMeal {
                    id: Uuid::from_u128(90),
                    upload_id: Some(Uuid::from_u128(91)),
                    description: Some("=1+1 chicken, rice".into()),
                    items: vec![("chicken".into(), 200.0), ("rice".into(), 150.0)],
                    macros: crate::domain::meals::Macros {
                        kcal: 525.0,
                        protein_g: 66.0,
                        carbs_g: 42.0,
                        fat_g: 9.0,
                    },
                    confidence: Some(0.9),
                    eaten_at: at("2026-11-24T11:30:00Z"),
                    created_at: at("2026-11-24T11:31:00Z"),
                }],
                uploads: vec![Upload {
                    id: Uuid::from_u128(91),
                    kind: crate::domain::uploads::UploadKind::MealPhoto,
                    object_key: crate::domain::uploads::ObjectKey::stored(
                        "users/x/meal_photo/91".into(),
                    ),
                    content_type: "image/jpeg".into(),
                    bytes: 2048,
                    created_at: at("2026-11-24T11:29:00Z"),
                    expires_at: Some(at("2026-11-24T11:44:00Z")),
                    completed_at: Some(at("2026-11-24T11:30:00Z")),
                }],
                ledger: vec![LedgerEntry {
                    id: Uuid::from_u128(77),
                    delta: crate::domain::credits::Credits::from_units(-1801),
                    balance_after: crate::domain::credits::Credits::from_units(8199),
                    reason: crate::ports::LedgerReason::ModelCall,
                    purpose: Some("coach reply".into()),
                    model: Some("model-x".into()),
                    input_tokens: Some(1234),
                    output_tokens: Some(567),
                    request_id: Some("req-1".into()),
                    created_at: at("2026-11-24T22:32:00Z"),
                }],
                memories: vec![Memory {
                    id: Uuid::from_u128(88),
                    workout_id: Uuid::from_u128(1_000),
                    performed_at: at("2026-01-01T22:30:00Z"),
                    summary: "2026-01-01: Pull-up 8/7, L-sit 12.5s".into(),
                    model: "embed-x".into(),
                    created_at: at("2026-11-24T22:33:00Z"),
                }],
                skill_states: vec![ExportedSkillState {
                    skill_id: "pull_up".into(),
                    name: "Pull-up".into(),
                    state: "unlocked".into(),
                    inferred: false,
                    practised: true,
                    best_progress: 0.5,
                    mastered_at: None,
                    updated_at: at("2026-11-24T22:31:00Z"),
                }],
                custom_exercises: vec![],
                imports: vec![StoredImport {
                    id: Uuid::from_u128(95),
                    source: crate::domain::imports::ImportSource::Strong,
                    weight_unit: Units::Lb,
                    skipped_rows: 3,
                    custom_exercises: vec!["Sled, push".into()],
                    created_at: at("2026-11-20T10:00:00Z"),
                    finished_at: None,
                    workouts: 12,
                    sets: 140,
                }],
            })
        }

        async fn workouts_after(
            &self,
            _user_id: Uuid,
            cursor: PageCursor,
            limit: u32,
        ) -> Result<Vec<StoredWorkout>, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(after(
                &self.workouts,
                |w| (w.performed_at, w.id),
                Some(cursor),
                limit,
            ))
        }

        async fn messages_after(
            &self,
            _user_id: Uuid,
            cursor: PageCursor,
            limit: u32,
        ) -> Result<Vec<ExportedMessage>, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(after(
                &self.messages,
                |m| (m.created_at, m.id),
                Some(cursor),
                limit,
            ))
        }

        async fn ledger_after(
            &self,
            _user_id: Uuid,
            _cursor: PageCursor,
            _limit: u32,
        ) -> Result<Vec<LedgerEntry>, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(vec![])
        }

        async fn memories_after(
            &self,
            _user_id: Uuid,
            _cursor: PageCursor,
            _limit: u32,
        ) -> Result<Vec<Memory>, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(vec![])
        }

        async fn meals_after(
            &self,
            _user_id: Uuid,
            _cursor: PageCursor,
            _limit: u32,
        ) -> Result<Vec<StoredMeal>, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(vec![])
        }

        async fn uploads_after(
            &self,
            _user_id: Uuid,
            _cursor: PageCursor,
            _limit: u32,
        ) -> Result<Vec<Upload>, StoreError> {
            self.round_trips.set(self.round_trips.get() + 1);
            Ok(vec![])
        }
    }

    /// The whole body, and the size of its largest chunk.
    async fn download(store: &FakeExportStore, format: Format) -> (String, usize) {
        let start = export::start(store, Uuid::from_u128(1)).await.unwrap();
        let mut stream = ExportStream::new(
            format,
            user(),
            at("2026-11-25T08:00:00Z"),
            TokensPerCredit::DEFAULT,
            start,
        );
        let mut body = Vec::new();
        let mut largest = 0;
        while let Some(chunk) = stream.next_chunk(store).await.unwrap() {
            largest = largest.max(chunk.len());
            body.extend(chunk);
        }
        (String::from_utf8(body).unwrap(), largest)
    }

    fn small_store() -> FakeExportStore {
        FakeExportStore::new(
            vec![workout(
                0,
                "felt strong,\nslept well",
                vec![
                    stored_set("pull_up", Some(8), None),
                    stored_set("pull_up", Some(7), None),
                    stored_set("l_sit", None, Some(12.5)),
                ],
            )],
            vec![message(0)],
        )
    }

    #[tokio::test]
    async fn the_csv_has_one_section_per_record_type_and_round_trips() {
        let (text, _) = download(&small_store(), Format::Csv).await;
        assert!(text.ends_with("\r\n"));
        // The strict reader also checks the quoting and the CRLF line endings.
        let rows = tora_test_support::csv::parse(&text).unwrap();
        let sections: Vec<&[Vec<String>]> = rows.split(|row| row == &[""]).collect();
        assert_eq!(sections.len(), 10, "{rows:?}");
        for section in &sections {
            let width = section[0].len();
            assert_eq!(section[0][0], "record_type");
            assert!(section.iter().all(|row| row.len() == width), "{section:?}");
        }
        let workouts = sections[0];
        assert_eq!(workouts.len(), 5, "a header, the workout and three sets");
        assert_eq!(workouts[1][0], "workout");
        assert_eq!(workouts[1][2], "2026-01-01T22:30:00.000Z");
        assert_eq!(
            workouts[1][3], "2026-01-01 23:30:00",
            "local time in Berlin"
        );
        assert_eq!(workouts[1][4], "felt strong,\nslept well");
        assert!(
            workouts[2..]
                .iter()
                .all(|row| row[0] == "workout_set" && row[4].is_empty()),
            "notes once per workout"
        );
        let numbers: Vec<&str> = workouts[2..].iter().map(|row| row[9].as_str()).collect();
        assert_eq!(numbers, ["1", "2", "1"], "numbered per exercise run");
        assert_eq!(workouts[4][12], "12.5");
        assert_eq!(workouts[4][10], "", "absent reps are empty");
        let messages = sections[1];
        assert_eq!(messages[1][5], "logged");
        assert_eq!(messages[1][6], "3x8 pull-ups, then \"L-sit\"\n20s");
        assert_eq!(messages[1][7], "Nice, \"strong\" work");
        let result: Value = serde_json::from_str(&messages[1][8]).unwrap();
        assert_eq!(result["reply"], "Nice, \"strong\" work");
        let ledger = sections[2];
        assert_eq!(ledger[1][0], "credit_entry");
        assert_eq!(ledger[1][3], "model_call");
        assert_eq!(ledger[1][4], "-1801", "exact, in token units");
        assert_eq!(&ledger[1][6..10], ["model-x", "1234", "567", "req-1"]);
        let memories = sections[3];
        assert_eq!(memories[1][0], "memory");
        assert_eq!(memories[1][2], Uuid::from_u128(1_000).to_string());
        assert_eq!(memories[1][6], "2026-01-01: Pull-up 8/7, L-sit 12.5s");
        let meals = sections[4];
        assert_eq!(meals[1][0], "meal");
        assert_eq!(meals[1][3], "2026-11-24 12:30:00", "eaten at, in Berlin");
        assert_eq!(meals[1][4], "'=1+1 chicken, rice", "a formula made inert");
        assert_eq!(meals[1][5], Uuid::from_u128(91).to_string());
        let items: Value = serde_json::from_str(&meals[1][6]).unwrap();
        assert_eq!(items[1], json!({"name": "rice", "grams": 150.0}));
        assert_eq!(&meals[1][7..12], ["525", "66", "42", "9", "0.9"]);
        let uploads = sections[5];
        assert_eq!(uploads[1][0], "upload");
        assert_eq!(
            &uploads[1][1..5],
            [
                &Uuid::from_u128(91).to_string(),
                "meal_photo",
                "image/jpeg",
                "2048"
            ]
        );
        assert_eq!(uploads[1][7], "2026-11-24T11:30:00.000Z", "completed");
        assert!(!text.contains("users/x/"), "bucket keys stay out");
        assert_eq!(sections[6][1][1], "pull_up");
        assert_eq!(sections[6][1][4], "", "no mastery for an unmastered skill");
        assert_eq!(sections[6][1][6], "0.5");
        assert_eq!(sections[7].len(), 1, "an empty section keeps its header");
        let imports = sections[8];
        assert_eq!(imports[1][0], "import");
        assert_eq!(&imports[1][2..7], ["strong", "lb", "12", "140", "3"]);
        assert_eq!(imports[1][7], r#"["Sled, push"]"#);
        assert_eq!(imports[1][9], "", "not finished");
        assert_eq!(sections[9][1][3], "Ana, \"the\" athlete");
        assert_eq!(sections[9][1][6], "42");
        assert_eq!(
            &sections[9][1][9..],
            ["", "", "false"],
            "no goal, no rest days, a left+right pair counted once"
        );
    }

    #[tokio::test]
    async fn the_json_document_uses_the_api_shapes() {
        let (text, _) = download(&small_store(), Format::Json).await;
        let document: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(document["exported_at"], "2026-11-25T08:00:00.000Z");
        assert_eq!(document["user"]["timezone"], "Europe/Berlin");
        assert_eq!(document["workouts"][0]["entries"][0]["exercise"], "pull_up");
        assert_eq!(document["workouts"][0]["entries"][0]["sets"][1]["reps"], 7);
        assert_eq!(
            document["chat_messages"][0]["result"]["reply"],
            "Nice, \"strong\" work"
        );
        assert_eq!(document["chat_messages"][0]["status"], "logged");
        assert_eq!(document["skill_states"][0]["mastered_at"], Value::Null);
        assert_eq!(document["custom_exercises"], json!([]));
        assert_eq!(document["imports"][0]["workouts"], 12);
        assert_eq!(document["imports"][0]["finished_at"], Value::Null);
        assert_eq!(document["credit_ledger"][0]["delta_units"], -1801);
        assert_eq!(document["meals"][0]["kcal"], 525.0);
        assert_eq!(document["meals"][0]["items"][0]["name"], "chicken");
        assert_eq!(
            document["meals"][0]["upload_id"],
            Uuid::from_u128(91).to_string()
        );
        assert_eq!(document["uploads"][0]["kind"], "meal_photo");
        assert_eq!(document["uploads"][0]["bytes"], 2048);
        assert_eq!(
            document["uploads"][0]["completed_at"],
            "2026-11-24T11:30:00.000Z"
        );
        assert_eq!(document["credit_ledger"][0]["input_tokens"], 1234);
        assert_eq!(
            document["memories"][0]["summary"],
            "2026-01-01: Pull-up 8/7, L-sit 12.5s"
        );
        assert_eq!(
            document["memories"][0]["workout_id"],
            Uuid::from_u128(1_000).to_string()
        );
    }

    fn big_store() -> FakeExportStore {
        // 100 workouts of 200 sets with 1,000-character notes: 20,000 sets.
        let notes = "=".to_owned() + &"n".repeat(999);
        let workouts = (0..100)
            .map(|index| {
                workout(
                    index,
                    &notes,
                    (0..200)
                        .map(|_| stored_set("push_up", Some(10), None))
                        .collect(),
                )
            })
            .collect();
        let messages = (0..450).map(message).collect();
        FakeExportStore::new(workouts, messages)
    }

    #[tokio::test]
    async fn twenty_thousand_sets_are_written_a_page_at_a_time() {
        let store = big_store();
        let (text, largest) = download(&store, Format::Json).await;
        let document: Value = serde_json::from_str(&text).unwrap();
        let workouts = document["workouts"].as_array().unwrap();
        assert_eq!(workouts.len(), 100);
        let sets: usize = workouts
            .iter()
            .map(|workout| workout["entries"][0]["sets"].as_array().unwrap().len())
            .sum();
        assert_eq!(sets, 20_000);
        assert_eq!(document["chat_messages"].as_array().unwrap().len(), 450);
        // Oldest first, across page boundaries.
        let ids: Vec<&str> = workouts.iter().map(|w| w["id"].as_str().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        // No chunk holds more than a page: the body never sits in memory whole.
        assert!(
            largest * 2 < text.len(),
            "largest chunk {largest} of {}",
            text.len()
        );
        // First round trip, then one more per further page of workouts and messages.
        assert_eq!(store.round_trips.get(), 1 + 1 + 2);
    }

    #[tokio::test]
    async fn the_csv_of_twenty_thousand_sets_writes_each_note_once() {
        let (text, _) = download(&big_store(), Format::Csv).await;
        let rows = tora_test_support::csv::parse(&text).unwrap();
        let set_rows = rows.iter().filter(|row| row[0] == "workout_set").count();
        assert_eq!(set_rows, 20_000);
        let workout_rows: Vec<&Vec<String>> =
            rows.iter().filter(|row| row[0] == "workout").collect();
        assert_eq!(workout_rows.len(), 100);
        assert!(
            workout_rows.iter().all(|row| row[4].starts_with("'=")),
            "formulas made inert"
        );
        // 100 notes of 1,000 characters, not 20,000 of them (which alone are 20 MB).
        assert!(text.len() < 4_000_000, "{} bytes", text.len());
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
