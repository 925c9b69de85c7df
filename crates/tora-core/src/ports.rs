//! The small capabilities the core needs from its platform. The worker implements
//! them on top of the Workers runtime; native tests and tooling implement them with
//! plain Rust. Nothing in the core reaches the network, the clock or randomness
//! except through these traits.
//!
//! The traits use `async fn` without `Send` bounds on purpose: on wasm32 every
//! future is single-threaded and JS-backed futures are not `Send`.
#![allow(async_fn_in_trait)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use http::{Request, Response};
use uuid::Uuid;

use crate::domain::account::{NewUser, SubjectHash, User};
use crate::domain::chat::{ChatAnswer, MessageRecord, MessageStatus};
pub use crate::domain::credits::Usage;
use crate::domain::credits::{Credits, Insufficient};
use crate::domain::export::{CustomExercise, ExportedMessage, ExportedSkillState};
use crate::domain::memory::{Embedding, Memory, Recalled};
use crate::domain::profile::ProfileChange;
use crate::domain::skills::{HistoricalSet, SkillRecord};
use crate::domain::stats::{ExerciseInfo, ExerciseSession, ExerciseWork, PersonalRecord};
use crate::domain::workout::{NewWorkout, StoredWorkout, Workout};

/// Wall-clock time. On wasm32 `SystemTime::now` panics, so time always comes from here.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// Fresh identifiers (request ids, row ids).
pub trait Ids {
    fn new_uuid(&self) -> uuid::Uuid;
}

/// Why an outbound request produced no response at all.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not reach {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("request to {host} timed out")]
    Timeout { host: String },
    #[error("invalid outbound request: {0}")]
    InvalidRequest(String),
}

/// One HTTP exchange with an outside service. Request building, signing and response
/// decoding live in the core; only the send itself is the platform's.
pub trait Transport {
    async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

/// Which rate limit a request is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitScope {
    /// Every request, keyed by the client IP, before authentication.
    PerIp,
    /// Authenticated requests, keyed by the user.
    PerUser,
}

/// A counter shared across the edge (the Workers Rate Limiting binding in production).
pub trait RateLimiter {
    /// `true` when the request identified by `key` is still within the limit.
    /// A limiter that cannot be reached must fail open: an outage of the counter
    /// should not take the API down.
    async fn allow(&self, scope: RateLimitScope, key: &str) -> bool;
}

/// Short-lived links to private objects in media storage (a presigned S3 GET). Signing
/// is computation only, so it is not async; the implementation reads the time from
/// its `Clock`.
pub trait MediaUrls {
    /// A URL that fetches `key` for a short while, or `None` when the deployment has
    /// no media storage to sign for.
    fn presigned_get(&self, key: &str) -> Option<String>;
}

/// Why a store could not do what was asked, sorted by what a caller can do about it.
/// Adapters sort their own failures into these kinds; only `http/error.rs` turns them
/// into statuses. `message` never holds stored values.
#[derive(Debug, Clone, thiserror::Error)]
#[error("store {kind:?}: {message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The store could not be reached or failed on its side.
    Unavailable,
    Timeout,
    /// Collided with a concurrent change; the whole request may be retried.
    RetryableConflict,
    /// The store refused the change (a bug in our queries or data that breaks a rule).
    Rejected,
    /// The store answered in a shape we did not expect, or holds data we cannot read.
    Corrupt,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Corrupt, message)
    }

    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

/// A page of items, newest first, and whether more follow. Stores are asked for one
/// item more than the page holds: its presence is what says "more".
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            more: false,
        }
    }
}

impl<T> Page<T> {
    /// Cuts `fetched` (up to `limit + 1` items) to a page of `limit`.
    pub fn of(mut fetched: Vec<T>, limit: u32) -> Self {
        let limit = limit as usize;
        let more = fetched.len() > limit;
        fetched.truncate(limit);
        Self {
            items: fetched,
            more,
        }
    }
}

/// Where a page ends: the time and id of its last item (lists are ordered by both).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageCursor {
    pub at: chrono::DateTime<chrono::Utc>,
    pub id: uuid::Uuid,
}

/// A message to store, unless its client id was used before.
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub client_message_id: &'a str,
    pub body: &'a str,
    pub status: MessageStatus,
    /// The answer, when it is known before the message is stored.
    pub answer: Option<&'a ChatAnswer>,
    /// For a message the model reads at once: stored as its first attempt, leased for
    /// this long.
    pub lease_secs: Option<u32>,
}

/// What the chat path reads while storing a message (one round trip).
pub struct OpenedMessage {
    pub user: User,
    /// The message stored under the client id: the new one, or an earlier attempt's.
    pub message: MessageRecord,
    /// The workout that message logged, if any and if it still exists.
    pub workout: Option<StoredWorkout>,
    pub skills: BTreeMap<String, SkillRecord>,
    /// Reps and hold seconds of the latest sessions, newest first.
    pub recent: Vec<(f64, f64)>,
}

/// One read of a pending message by the model. The attempt holds the message's lease:
/// its answer is stored only while the message is still pending at this attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub message_id: Uuid,
    pub subject: String,
    pub client_message_id: String,
    pub number: u32,
}

/// A message answered, with what its model calls cost.
pub struct MessageAnswer<'a> {
    pub user_id: Uuid,
    pub message_id: Uuid,
    pub status: MessageStatus,
    pub answer: &'a ChatAnswer,
    /// Settled in the same transaction as the answer.
    pub charges: &'a [ModelCharge<'a>],
    /// When answering an attempt: stored only if the message is still pending at it.
    pub attempt: Option<u32>,
}

/// A workout read from a message, to store with the skill rows it moves and the answer.
pub struct MessageWorkout<'a> {
    pub user_id: Uuid,
    pub message_id: Uuid,
    pub workout_id: Uuid,
    pub performed_at: DateTime<Utc>,
    pub workout: &'a Workout,
    pub skill_writes: &'a BTreeMap<String, SkillRecord>,
    pub answer: &'a ChatAnswer,
    /// Settled in the same transaction as the workout.
    pub charges: &'a [ModelCharge<'a>],
    /// When logging an attempt's reading: see `MessageAnswer::attempt`.
    pub attempt: Option<u32>,
}

/// How an attempt that got no answer ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttemptEnd<'a> {
    /// Stays pending, due again after `secs`; `reason` says what went wrong this time.
    RetryIn { secs: u32, reason: &'a str },
    /// Given up on: `failed`, with the reason kept and `answer` to show.
    GiveUp {
        reason: &'a str,
        answer: &'a ChatAnswer,
    },
}

/// Where chat messages live. Each method is one round trip.
pub trait ChatStore {
    /// Provisions the user, stores the message unless its client id was used before,
    /// and reads back what is stored under that id with what answering needs.
    async fn open_message(
        &self,
        user: &NewUser<'_>,
        message: &NewMessage<'_>,
    ) -> Result<OpenedMessage, StoreError>;

    /// What answering a stored message needs, read again (for a later attempt).
    async fn reopen_message(
        &self,
        subject: &str,
        client_message_id: &str,
    ) -> Result<Option<OpenedMessage>, StoreError>;

    /// Records the answer to a message that logged no workout, settling its charges;
    /// returns the user's balance after.
    async fn answer_message(&self, answer: &MessageAnswer<'_>) -> Result<Credits, StoreError>;

    /// In one transaction: the workout, its skill rows, the message marked logged with
    /// its answer, the charges settled; returns the stored workout and the balance
    /// after. `None` when a concurrent attempt of the same message logged it first
    /// (nothing was written).
    async fn log_message_workout(
        &self,
        log: &MessageWorkout<'_>,
        ids: &impl Ids,
    ) -> Result<Option<(StoredWorkout, Credits)>, StoreError>;

    /// Ends an attempt that got no answer (only if the message is still pending at it).
    async fn end_attempt(
        &self,
        message_id: Uuid,
        attempt: u32,
        end: AttemptEnd<'_>,
    ) -> Result<(), StoreError>;

    /// Takes the next attempt of up to `limit` pending messages whose time has come,
    /// oldest due first, leasing each for `lease_secs`.
    async fn claim_due(&self, limit: u32, lease_secs: u32) -> Result<Vec<Attempt>, StoreError>;

    /// Takes an attempt of one of the user's messages at once, at their request: a
    /// failed one, or a pending one whose last attempt failed or whose time has come.
    /// `None` when it is none of those.
    async fn retry_message(
        &self,
        user_id: Uuid,
        message_id: Uuid,
        lease_secs: u32,
    ) -> Result<Option<Attempt>, StoreError>;

    /// The message stored under a client id, with the workout it logged.
    async fn find_message(
        &self,
        subject: &str,
        client_message_id: &str,
    ) -> Result<Option<(MessageRecord, Option<StoredWorkout>)>, StoreError>;

    /// One of the user's messages by id, with the workout it logged.
    async fn message_by_id(
        &self,
        user_id: Uuid,
        message_id: Uuid,
    ) -> Result<Option<(MessageRecord, Option<StoredWorkout>)>, StoreError>;

    /// Up to `limit` messages, newest first, after `after`; only pending and failed
    /// ones when `unfinished`.
    async fn history(
        &self,
        user_id: Uuid,
        after: Option<PageCursor>,
        limit: u32,
        unfinished: bool,
    ) -> Result<Vec<MessageRecord>, StoreError>;
}

/// Where accounts live.
pub trait AccountStore {
    /// The stored user behind a subject, created with the starter grant on first sight.
    async fn resolve(&self, user: &NewUser<'_>) -> Result<User, StoreError>;

    /// The same, with the user's skill rows, in one round trip.
    async fn resolve_with_skills(
        &self,
        user: &NewUser<'_>,
    ) -> Result<(User, BTreeMap<String, SkillRecord>), StoreError>;

    async fn update_profile(
        &self,
        user_id: Uuid,
        change: &ProfileChange,
    ) -> Result<User, StoreError>;

    /// Removes every row of the user in one transaction and returns what the bucket
    /// still owes. Keeps `subject_hash` as the memory that this subject had its
    /// starter grant. With `objects`, a user who ever asked for an upload leaves a
    /// pending deletion of that prefix behind, written in the same transaction.
    async fn erase(
        &self,
        user_id: Uuid,
        subject_hash: &SubjectHash,
        objects: Option<&ObjectsToErase>,
    ) -> Result<Option<crate::domain::object_deletions::PendingDeletion>, StoreError>;
}

/// Where an erased user's objects live, and the id their pending deletion gets.
#[derive(Debug, Clone)]
pub struct ObjectsToErase {
    pub deletion_id: Uuid,
    /// `users/{owner}/`.
    pub prefix: String,
}

/// Whether the store answers at all.
pub trait HealthCheck {
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Which workouts a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct WorkoutFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The last workout of the previous page.
    pub after: Option<PageCursor>,
}

/// What an edit writes: the fields alone, or the fields and every set.
pub enum WorkoutChange<'a> {
    Fields {
        user_id: Uuid,
        workout_id: Uuid,
        performed_at: DateTime<Utc>,
        notes: Option<&'a str>,
    },
    Replace(NewWorkout<'a>),
}

/// A meal to store with the model call that read it.
pub struct NewMeal<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub upload_id: Option<Uuid>,
    pub description: Option<&'a str>,
    pub estimate: &'a crate::domain::meals::MealEstimate,
    pub eaten_at: DateTime<Utc>,
    pub model: &'a str,
}

/// A meal as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMeal {
    pub id: Uuid,
    pub upload_id: Option<Uuid>,
    pub description: Option<String>,
    /// Foods and grams, as the model read them.
    pub items: Vec<(String, f64)>,
    pub macros: crate::domain::meals::Macros,
    pub confidence: Option<f64>,
    pub eaten_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// Where meals live.
pub trait MealStore {
    /// Stores the meal and settles the call that read it, in one transaction; the
    /// meal and the balance after.
    async fn log_meal(
        &self,
        meal: &NewMeal<'_>,
        charge: &ModelCharge<'_>,
    ) -> Result<(StoredMeal, Credits), StoreError>;

    /// The user's meals eaten in `[from, to)`, oldest first.
    async fn meals_between(
        &self,
        user_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredMeal>, StoreError>;

    /// Deletes one of the user's meals; what was deleted, or `None`.
    /// Deletes the meal and, when no other meal shares it, its photo's upload, with
    /// the photo's pending deletion (id `deletion_id`), in one transaction.
    async fn delete_meal(
        &self,
        user_id: Uuid,
        meal_id: Uuid,
        deletion_id: Uuid,
    ) -> Result<Option<DeletedMeal>, StoreError>;
}

/// A deleted meal and what the bucket still owes for it.
#[derive(Debug, Clone)]
pub struct DeletedMeal {
    pub meal: StoredMeal,
    pub photo: Option<crate::domain::object_deletions::PendingDeletion>,
}

/// Where workouts live. Writes store the skill rows they move in the same transaction.
pub trait WorkoutStore {
    /// The workout and its skill rows (raised, never lowered), read back.
    async fn insert_workout(
        &self,
        new: &NewWorkout<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        ids: &impl Ids,
    ) -> Result<StoredWorkout, StoreError>;

    async fn workout(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<StoredWorkout>, StoreError>;

    /// Up to `limit` workouts, newest first.
    async fn workouts(
        &self,
        user_id: Uuid,
        filter: &WorkoutFilter,
        limit: u32,
    ) -> Result<Vec<StoredWorkout>, StoreError>;

    /// The skill rows and every set of these exercises, leaving out one workout, from
    /// one snapshot: what re-deciding those skills needs.
    async fn skill_history(
        &self,
        user_id: Uuid,
        exercise_ids: &[&str],
        except: Uuid,
    ) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError>;

    /// The change and the skill rows (set exactly), read back; `None` if it is gone.
    async fn update_workout(
        &self,
        change: &WorkoutChange<'_>,
        skill_writes: &BTreeMap<String, SkillRecord>,
        ids: &impl Ids,
    ) -> Result<Option<StoredWorkout>, StoreError>;

    /// Deletes the workout and sets the skill rows exactly.
    async fn delete_workout(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<(), StoreError>;
}

/// What the weekly summary is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryFacts {
    /// Work of each exercise in each workout since the first week shown.
    pub volumes: Vec<ExerciseWork>,
    /// When every workout happened (streaks need them all).
    pub workout_times: Vec<DateTime<Utc>>,
    pub personal_records: Vec<PersonalRecord>,
}

/// The reads behind the statistics; each method is one read-only snapshot.
pub trait StatsStore {
    async fn summary_facts(
        &self,
        user_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<SummaryFacts, StoreError>;

    /// The exercise (catalog or the person's own) and its sessions in `[from, to)`,
    /// oldest first; `None` when the exercise is not theirs to see.
    async fn exercise_sessions(
        &self,
        user_id: Uuid,
        exercise_id: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Option<(ExerciseInfo, Vec<ExerciseSession>)>, StoreError>;
}

/// The first round trip of an export: the first pages of workouts and messages (up to
/// the limits asked), and everything else, which is small.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportStart {
    pub workouts: Vec<StoredWorkout>,
    pub messages: Vec<ExportedMessage>,
    pub ledger: Vec<LedgerEntry>,
    pub memories: Vec<Memory>,
    pub meals: Vec<StoredMeal>,
    pub uploads: Vec<crate::domain::uploads::Upload>,
    pub skill_states: Vec<ExportedSkillState>,
    pub custom_exercises: Vec<CustomExercise>,
    /// Imports are few (one per file brought in): read whole.
    pub imports: Vec<StoredImport>,
}

/// How many rows of each paged section the first round trip of an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportLimits {
    pub workouts: u32,
    pub messages: u32,
    pub ledger: u32,
    pub memories: u32,
    pub meals: u32,
    pub uploads: u32,
}

/// The reads behind an export, oldest first, in pages so that no read holds
/// everything a person ever stored.
pub trait ExportStore {
    async fn export_start(
        &self,
        user_id: Uuid,
        limits: ExportLimits,
    ) -> Result<ExportStart, StoreError>;

    async fn workouts_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<StoredWorkout>, StoreError>;

    async fn messages_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<ExportedMessage>, StoreError>;

    /// Credit ledger rows after a position, oldest first.
    async fn ledger_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<LedgerEntry>, StoreError>;

    /// Memories after a position (`created_at`, id), oldest first.
    async fn memories_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<Memory>, StoreError>;

    /// Meals after a position (`eaten_at`, id), oldest first.
    async fn meals_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<StoredMeal>, StoreError>;

    /// Uploads after a position (`created_at`, id), oldest first.
    async fn uploads_after(
        &self,
        user_id: Uuid,
        after: PageCursor,
        limit: u32,
    ) -> Result<Vec<crate::domain::uploads::Upload>, StoreError>;
}

/// What remembering a workout reads first (one round trip).
#[derive(Debug, Clone, PartialEq)]
pub struct MemorySource {
    pub workout: StoredWorkout,
    pub timezone: crate::domain::profile::Timezone,
    /// The summary already remembered for this workout, if any.
    pub remembered: Option<String>,
}

/// A memory to store (or to replace the workout's earlier one with).
#[derive(Debug, Clone)]
pub struct NewMemory<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub workout_id: Uuid,
    pub summary: &'a str,
    pub model: &'a str,
    pub embedding: &'a Embedding,
}

/// Where memories live. Every read and write is scoped to one user: no method can
/// reach another person's memories.
pub trait MemoryStore {
    /// The user's workout, their timezone and the summary remembered for it; `None`
    /// when the workout (or the user) is gone.
    async fn memory_source(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<MemorySource>, StoreError>;

    /// In one transaction: the memory (unless its workout is gone by now) and the
    /// settled charge of the embedding that made it.
    async fn remember(
        &self,
        memory: &NewMemory<'_>,
        charge: &ModelCharge<'_>,
    ) -> Result<Settled, StoreError>;

    /// Up to `limit` of the user's memories nearest to `query`, nearest first, among
    /// those embedded by `model` at the query's size.
    async fn recall(
        &self,
        user_id: Uuid,
        query: &Embedding,
        model: &str,
        limit: u32,
    ) -> Result<Vec<Recalled>, StoreError>;

    /// Up to `limit` memories, newest first, after `after`.
    async fn memories(
        &self,
        user_id: Uuid,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<Vec<Memory>, StoreError>;

    /// Deletes one of the user's memories; `false` when they have none with this id.
    async fn forget(&self, user_id: Uuid, memory_id: Uuid) -> Result<bool, StoreError>;
}

/// A hold to take before a model call: its worst case, under the call's idempotency key.
#[derive(Debug, Clone)]
pub struct CreditHold<'a> {
    pub user_id: Uuid,
    /// The id the hold gets if it is new.
    pub id: Uuid,
    /// One per model call (e.g. the message id and the step): a retried reserve with
    /// the same key returns the first hold and takes nothing more.
    pub idempotency_key: &'a str,
    pub price: Credits,
    /// What the call is for, recorded in the ledger when it settles.
    pub purpose: &'a str,
    /// How long the hold lasts unsettled before it can be released. Far longer than a
    /// call can take, so only a hold whose worker died is ever released.
    pub expires_in_secs: u32,
}

/// A hold as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldCredits {
    pub id: Uuid,
    pub units: Credits,
    /// Whether the hold is still open (not settled, not released).
    pub open: bool,
    /// Whether this reserve took it. `false`: an earlier or concurrent attempt with
    /// the same key did, and may still be making its call.
    pub taken_now: bool,
}

/// What a reserve did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// The hold is taken (or was, by an earlier attempt with the same key).
    Held(HeldCredits),
    /// The balance does not cover the price; nothing was taken.
    Insufficient(Insufficient),
}

/// What a settled model call is recorded with.
#[derive(Debug, Clone)]
pub struct ModelCharge<'a> {
    pub user_id: Uuid,
    pub hold_id: Uuid,
    /// The ledger row's id.
    pub entry_id: Uuid,
    pub model: &'a str,
    pub usage: Usage,
    pub request_id: &'a str,
}

/// What a settle did: the ledger row's charge and the balance after it, or `None`
/// when the hold was no longer open (settled before, or released after expiring), in
/// which case nothing moved and nothing was charged.
pub type Settled = Option<(Credits, Credits)>;

/// Why a ledger row was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerReason {
    StarterGrant,
    ModelCall,
    AdminTopUp,
    Refund,
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub id: Uuid,
    pub delta: Credits,
    pub balance_after: Credits,
    pub reason: LedgerReason,
    pub purpose: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Whose account a top-up is for.
#[derive(Debug, Clone, Copy)]
pub enum Account<'a> {
    Id(Uuid),
    Subject(&'a str),
}

/// An operator's top-up.
#[derive(Debug, Clone)]
pub struct TopUp<'a> {
    pub account: Account<'a>,
    pub entry_id: Uuid,
    pub amount: Credits,
    pub note: Option<&'a str>,
    /// A retried top-up with the same key adds nothing more.
    pub idempotency_key: &'a str,
    pub request_id: &'a str,
}

/// What a top-up did.
#[derive(Debug, Clone, PartialEq)]
pub struct ToppedUp {
    pub user_id: Uuid,
    /// The ledger row (the earlier one when the key was used before).
    pub entry: LedgerEntry,
    pub balance: Credits,
}

/// Where credits live. Each method is one round trip; every step is one conditional
/// statement, so concurrent calls can neither overspend nor take a balance below 0.
pub trait CreditStore {
    /// Releases the user's own expired holds, then holds `hold.price` if the balance
    /// covers it. The chat path calls this before a model call; `Insufficient` is a 402.
    async fn reserve(&self, hold: &CreditHold<'_>) -> Result<Reserved, StoreError>;

    /// Settles a hold alone: charges the usage (at most what was held), gives the
    /// rest back, writes the ledger row. Work that the call paid for settles inside
    /// its own transaction instead (`db::credits::settle` is a batch part).
    async fn settle(&self, charge: &ModelCharge<'_>) -> Result<Settled, StoreError>;

    /// Gives back one open hold whole: its call produced nothing to pay for.
    async fn release(&self, user_id: Uuid, hold_id: Uuid) -> Result<(), StoreError>;

    /// Gives back every hold (of everyone) that expired unsettled; returns how many.
    async fn release_expired(&self) -> Result<u64, StoreError>;

    /// The balance and up to `limit` ledger rows, newest first, after `after`.
    async fn ledger(
        &self,
        user_id: Uuid,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<(Credits, Vec<LedgerEntry>), StoreError>;

    /// Adds credit to an existing account; `None` when there is no such account.
    async fn top_up(&self, top_up: &TopUp<'_>) -> Result<Option<ToppedUp>, StoreError>;
}

/// Waiting without blocking: the pause between retries. On the worker it is a timer
/// (`worker::Delay`); tests record the waits instead of sleeping.
pub trait Sleep {
    async fn sleep(&self, millis: u32);
}

/// A model's answer together with what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion<T> {
    pub value: T,
    pub usage: Usage,
}

/// Why a model call produced no usable answer, sorted by what a caller can do about it.
/// `message` never holds the user's text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("model {kind:?}: {message}")]
pub struct LlmError {
    kind: LlmErrorKind,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmErrorKind {
    /// Too many requests (429) even after retrying within the time budget.
    Throttled,
    /// The model or the network took too long (408, or no answer).
    Timeout,
    /// The service failed on its side (5xx, 424) or could not be reached.
    Unavailable,
    /// The service refused the request as invalid (400): a bug or an over-long input.
    Rejected,
    /// Credentials or model access were refused (403).
    Denied,
    /// No such model or inference profile here (404).
    NotFound,
    /// The model answered, but not in the shape asked for (no tool call, a tool input
    /// that breaks the contract, a body we cannot read).
    Malformed,
}

impl LlmError {
    pub fn new(kind: LlmErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> LlmErrorKind {
        self.kind
    }
}

/// The most a model call can use, known before it is made: what its credit hold is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBudget {
    /// The prompt's size, estimated from above.
    pub prompt_tokens: u32,
    /// The most the model may answer (`maxTokens`; 0 for an embedding).
    pub max_tokens: u32,
}

/// An image format the model reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl ImageFormat {
    /// Converse's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::Webp => "webp",
            ImageFormat::Gif => "gif",
        }
    }
}

/// A meal as the person gave it: in words, or as a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MealSource<'a> {
    Description(&'a str),
    Photo {
        format: ImageFormat,
        bytes: &'a [u8],
    },
}

/// A language model: reads workouts out of chat text, phrases replies and embeds text.
/// Each call has a `*_budget` twin that says what it may cost, so the caller can hold
/// that many credits before the call.
pub trait Llm {
    /// The model id recorded in the ledger for `extract_workout` and `reply`.
    fn chat_model(&self) -> &str;
    /// The model id recorded in the ledger for `embed`.
    fn embedding_model(&self) -> &str;

    fn extraction_budget(&self, message: &str) -> TokenBudget;
    fn reply_budget(&self, system: &str, message: &str) -> TokenBudget;
    fn embedding_budget(&self, text: &str) -> TokenBudget;
    fn meal_budget(&self, meal: &MealSource<'_>) -> TokenBudget;

    /// Reads one message as the parse contract (forced tool use, temperature 0). Output
    /// that does not validate is an error of kind `Malformed`, never a workout.
    async fn extract_workout(
        &self,
        message: &str,
    ) -> Result<Completion<crate::domain::extraction::Extraction>, LlmError>;

    /// Plain text for the person, from a system prompt and their message.
    async fn reply(&self, system: &str, message: &str) -> Result<Completion<String>, LlmError>;

    /// A meal's foods and macros (forced tool use, temperature 0). Output that does not
    /// validate is an error of kind `Malformed`, never an estimate.
    async fn estimate_meal(
        &self,
        meal: &MealSource<'_>,
    ) -> Result<Completion<crate::domain::meals::MealEstimate>, LlmError>;

    /// A unit-length embedding of `text` with the configured number of dimensions.
    async fn embed(&self, text: &str) -> Result<Completion<Vec<f32>>, LlmError>;
}

/// A requested upload, before its bytes reach the bucket.
#[derive(Debug, Clone)]
pub struct NewUpload<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub request: &'a crate::domain::uploads::UploadRequest,
    pub object_key: &'a crate::domain::uploads::ObjectKey,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Where uploads are recorded. Every read and write names the owner: no method can
/// reach another person's upload.
pub trait UploadStore {
    async fn record_upload(&self, upload: &NewUpload<'_>) -> Result<(), StoreError>;

    /// The user's upload, `None` when it is not theirs or does not exist.
    async fn find_upload(
        &self,
        user_id: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<crate::domain::uploads::Upload>, StoreError>;

    /// Marks the user's upload completed (once; a second call keeps the first time)
    /// and returns it.
    async fn complete_upload(
        &self,
        user_id: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<crate::domain::uploads::Upload>, StoreError>;
}

/// The bucket, as the uploads use case sees it: hand out a URL for one upload, and
/// check that an object arrived. `clients::s3::S3Client` is the production one.
pub trait ObjectStorage {
    /// A URL that accepts exactly `content_type` and `bytes` for `key`, until
    /// `expires_secs` from now.
    fn presign_put(
        &self,
        key: &crate::domain::uploads::ObjectKey,
        content_type: &str,
        bytes: u64,
        expires_secs: u32,
    ) -> Result<crate::clients::s3::PresignedRequest, crate::clients::s3::S3Error>;

    /// The object's size and type, `None` when it is not there.
    async fn head(
        &self,
        key: &crate::domain::uploads::ObjectKey,
    ) -> Result<Option<crate::clients::s3::ObjectHead>, crate::clients::s3::S3Error>;

    /// The object's bytes (a meal photo for the model), `None` when it is not there.
    async fn get(
        &self,
        key: &crate::domain::uploads::ObjectKey,
    ) -> Result<Option<Vec<u8>>, crate::clients::s3::S3Error>;

    /// Deletes one key; deleting a key that is not there succeeds.
    async fn delete(&self, key: &str) -> Result<(), crate::clients::s3::S3Error>;

    /// One page of the keys under `prefix`, from `continuation` (the previous page's
    /// `next`).
    async fn list(
        &self,
        prefix: &str,
        continuation: Option<&str>,
    ) -> Result<crate::clients::s3::ObjectPage, crate::clients::s3::S3Error>;
}

/// Deletions the bucket still owes (`object_deletions`).
pub trait DeletionStore {
    /// Deletions due at `now`, oldest due first, at most `limit`.
    async fn due_deletions(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<crate::domain::object_deletions::PendingDeletion>, StoreError>;

    /// Forgets uploads whose URL expired before `expired_before` without the upload
    /// being completed (at most `limit`), queueing their objects for deletion in the
    /// same transaction: a client may have sent the bytes and never said so. Returns
    /// how many were forgotten.
    async fn abandon_uploads(
        &self,
        expired_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Records the outcome of one attempt at deletion `id`.
    async fn record_deletion_step(
        &self,
        id: Uuid,
        step: &crate::domain::object_deletions::DeletionStep,
    ) -> Result<(), StoreError>;
}

/// An import as stored, with what it holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredImport {
    pub id: Uuid,
    pub source: crate::domain::imports::ImportSource,
    pub weight_unit: crate::domain::profile::Units,
    pub skipped_rows: u32,
    /// The person's own exercises the import created.
    pub custom_exercises: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// `None` while workouts of the file are still to come in.
    pub finished_at: Option<DateTime<Utc>>,
    pub workouts: u32,
    pub sets: u32,
}

/// What planning an import needs to know about the person, from one snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportFacts {
    /// The import of this very file, if it came in before.
    pub earlier: Option<StoredImport>,
    /// Names of the person's own exercises.
    pub own_exercises: Vec<String>,
    /// Which of the asked session keys are stored already.
    pub imported_keys: std::collections::BTreeSet<String>,
}

/// The row of an import, written with its first workout.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub source: crate::domain::imports::ImportSource,
    pub file_sha256: &'a str,
    pub weight_unit: crate::domain::profile::Units,
    pub skipped_rows: u32,
    pub custom_exercises: &'a [&'a str],
}

/// Where imports live.
pub trait ImportStore {
    async fn import_facts(
        &self,
        user_id: Uuid,
        file_sha256: &str,
        session_keys: &[&str],
    ) -> Result<ImportFacts, StoreError>;

    /// Stores one workout of the import, and the import's row the first time, in one
    /// transaction. `false` when the session was stored meanwhile (nothing written).
    async fn insert_imported_workout(
        &self,
        import: &NewImport<'_>,
        workout: &NewWorkout<'_>,
        session_key: &str,
        ids: &impl Ids,
    ) -> Result<bool, StoreError>;

    /// The skill rows and every set of these exercises, leaving out the workouts of
    /// `without` (an import about to be deleted), from one snapshot.
    async fn history_without_import(
        &self,
        user_id: Uuid,
        exercise_ids: &[&str],
        without: Option<Uuid>,
    ) -> Result<(BTreeMap<String, SkillRecord>, Vec<HistoricalSet>), StoreError>;

    /// Sets the skill rows exactly, and marks the import of the file finished when
    /// `finished`; the import after.
    async fn finish_import(
        &self,
        user_id: Uuid,
        file_sha256: &str,
        finished: bool,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<Option<StoredImport>, StoreError>;

    /// The person's imports, newest first.
    async fn imports(&self, user_id: Uuid) -> Result<Vec<StoredImport>, StoreError>;

    async fn import(
        &self,
        user_id: Uuid,
        import_id: Uuid,
    ) -> Result<Option<StoredImport>, StoreError>;

    /// Deletes the import, its workouts and the exercises it created that nothing else
    /// uses, and sets the skill rows exactly, in one transaction. `false` when there
    /// was no such import.
    async fn delete_import(
        &self,
        user_id: Uuid,
        import_id: Uuid,
        skill_writes: &BTreeMap<String, SkillRecord>,
    ) -> Result<bool, StoreError>;
}
