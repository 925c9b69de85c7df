//! A person's data export: everything they stored, oldest first, read in pages so an
//! export of years of training fits in an isolate's memory. The first round trip
//! reads the first pages and the small sections; later pages follow as the download
//! is written.

use uuid::Uuid;

use crate::domain::export::{CustomExercise, ExportedMessage, ExportedSkillState};
use crate::domain::memory::Memory;
use crate::domain::uploads::Upload;
use crate::domain::workout::StoredWorkout;
use crate::ports::{
    ExportLimits, ExportStore, LedgerEntry, Page, PageCursor, StoreError, StoredMeal,
};

/// Workouts per page: up to 200 sets each, so a page stays a few megabytes at worst.
pub const WORKOUTS_PER_PAGE: u32 = 50;
/// Messages per page (each up to 4,000 characters with its answer).
pub const MESSAGES_PER_PAGE: u32 = 200;
/// Credit ledger rows per page (a few hundred bytes each).
pub const LEDGER_PER_PAGE: u32 = 500;
/// Memories per page (a summary of at most 600 characters each; vectors stay out).
pub const MEMORIES_PER_PAGE: u32 = 500;

/// Meals per page (a few foods each).
pub const MEALS_PER_PAGE: u32 = 500;
/// Uploads per page (their metadata only; the objects stay in the bucket).
pub const UPLOADS_PER_PAGE: u32 = 500;

/// What the first round trip of an export reads.
pub struct ExportStart {
    pub workouts: Page<StoredWorkout>,
    pub messages: Page<ExportedMessage>,
    pub ledger: Page<LedgerEntry>,
    pub memories: Page<Memory>,
    pub meals: Page<StoredMeal>,
    pub uploads: Page<Upload>,
    pub skill_states: Vec<ExportedSkillState>,
    pub custom_exercises: Vec<CustomExercise>,
    pub imports: Vec<crate::ports::StoredImport>,
}

pub async fn start(store: &impl ExportStore, user_id: Uuid) -> Result<ExportStart, StoreError> {
    let start = store
        .export_start(
            user_id,
            ExportLimits {
                workouts: WORKOUTS_PER_PAGE + 1,
                messages: MESSAGES_PER_PAGE + 1,
                ledger: LEDGER_PER_PAGE + 1,
                memories: MEMORIES_PER_PAGE + 1,
                meals: MEALS_PER_PAGE + 1,
                uploads: UPLOADS_PER_PAGE + 1,
            },
        )
        .await?;
    Ok(ExportStart {
        workouts: Page::of(start.workouts, WORKOUTS_PER_PAGE),
        messages: Page::of(start.messages, MESSAGES_PER_PAGE),
        ledger: Page::of(start.ledger, LEDGER_PER_PAGE),
        memories: Page::of(start.memories, MEMORIES_PER_PAGE),
        meals: Page::of(start.meals, MEALS_PER_PAGE),
        uploads: Page::of(start.uploads, UPLOADS_PER_PAGE),
        skill_states: start.skill_states,
        custom_exercises: start.custom_exercises,
        imports: start.imports,
    })
}

/// The page of workouts after `after`.
pub async fn workouts_after(
    store: &impl ExportStore,
    user_id: Uuid,
    after: PageCursor,
) -> Result<Page<StoredWorkout>, StoreError> {
    let fetched = store
        .workouts_after(user_id, after, WORKOUTS_PER_PAGE + 1)
        .await?;
    Ok(Page::of(fetched, WORKOUTS_PER_PAGE))
}

/// The page of messages after `after`.
pub async fn messages_after(
    store: &impl ExportStore,
    user_id: Uuid,
    after: PageCursor,
) -> Result<Page<ExportedMessage>, StoreError> {
    let fetched = store
        .messages_after(user_id, after, MESSAGES_PER_PAGE + 1)
        .await?;
    Ok(Page::of(fetched, MESSAGES_PER_PAGE))
}

/// The page of credit ledger rows after `after`.
pub async fn ledger_after(
    store: &impl ExportStore,
    user_id: Uuid,
    after: PageCursor,
) -> Result<Page<LedgerEntry>, StoreError> {
    let fetched = store
        .ledger_after(user_id, after, LEDGER_PER_PAGE + 1)
        .await?;
    Ok(Page::of(fetched, LEDGER_PER_PAGE))
}

/// The page of memories after `after`.
pub async fn memories_after(
    store: &impl ExportStore,
    user_id: Uuid,
    after: PageCursor,
) -> Result<Page<Memory>, StoreError> {
    let fetched = store
        .memories_after(user_id, after, MEMORIES_PER_PAGE + 1)
        .await?;
    Ok(Page::of(fetched, MEMORIES_PER_PAGE))
}

/// The page of meals after `after`.
pub async fn meals_after(
    store: &impl ExportStore,
    user_id: Uuid,
    after: PageCursor,
) -> Result<Page<StoredMeal>, StoreError> {
    let fetched = store
        .meals_after(user_id, after, MEALS_PER_PAGE + 1)
        .await?;
    Ok(Page::of(fetched, MEALS_PER_PAGE))
}

/// The page of uploads after `after`.
pub async fn uploads_after(
    store: &impl ExportStore,
    user_id: Uuid,
    after: PageCursor,
) -> Result<Page<Upload>, StoreError> {
    let fetched = store
        .uploads_after(user_id, after, UPLOADS_PER_PAGE + 1)
        .await?;
    Ok(Page::of(fetched, UPLOADS_PER_PAGE))
}
