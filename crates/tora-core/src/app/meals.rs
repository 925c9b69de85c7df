//! Meals: a description (or, later, a photo) read by the model into foods and macros,
//! paid for like every model call (held before, settled with the stored meal), and
//! listed by the person's local day with its totals.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::app::chat::{self, ChatError, ChatMessage, ChatOutcome, Opened};
use crate::app::credits::{self, CreditError, PlannedCall};
use crate::app::object_deletions;
use crate::domain::account::NewUser;
use crate::domain::chat::{ChatAnswer, MessageStatus};
use crate::domain::coaching;
use crate::domain::credits::{Credits, Insufficient, Settlement};
use crate::domain::meals::{self, Macros};
use crate::domain::profile::Timezone;
use crate::domain::uploads::UploadKind;
use crate::ports::{
    ChatStore, CreditStore, DeletionStore, Ids, ImageFormat, Llm, LlmError, MealSource, MealStore,
    MessageAnswer, ModelCharge, NewMeal, ObjectStorage, StoreError, StoredMeal, UploadStore,
};

/// What the ledger says a meal's model call was for.
pub const MEAL_PURPOSE: &str = "read a meal";

#[derive(Debug, thiserror::Error)]
pub enum MealError {
    /// The photo is not a completed meal photo of this person's (or its object is gone).
    #[error("no completed meal photo with this upload id")]
    NoPhoto,
    /// The photo's format is one the model cannot read (HEIC).
    #[error("the model reads JPEG, PNG and WebP photos, not {0}")]
    UnreadablePhoto(String),
    #[error("the bucket failed: {0}")]
    Storage(String),
    /// The balance does not cover reading the meal; nothing was taken.
    #[error("the balance does not cover reading this meal")]
    Insufficient(Insufficient),
    /// The model failed or answered something that is not a meal; nothing was charged.
    #[error(transparent)]
    Model(LlmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A meal logged, with what it cost and the balance after.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedMeal {
    pub meal: StoredMeal,
    pub spent: Credits,
    pub balance: Credits,
}

/// Reads a meal with the model and stores it with the charge, in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn log<S: MealStore + CreditStore>(
    store: &S,
    llm: &impl Llm,
    ids: &impl Ids,
    request_id: &str,
    user_id: Uuid,
    source: &MealSource<'_>,
    upload_id: Option<Uuid>,
    eaten_at: DateTime<Utc>,
) -> Result<LoggedMeal, MealError> {
    let meal_id = ids.new_uuid();
    let budget = llm.meal_budget(source);
    let key = format!("meal:{meal_id}");
    let held = match credits::reserve(
        store,
        ids,
        &PlannedCall {
            user_id,
            idempotency_key: &key,
            prompt_tokens: budget.prompt_tokens,
            max_tokens: budget.max_tokens,
            purpose: MEAL_PURPOSE,
        },
    )
    .await
    {
        Ok(held) => held,
        Err(CreditError::Insufficient(refused)) => return Err(MealError::Insufficient(refused)),
        Err(CreditError::Store(error)) => return Err(error.into()),
    };
    let completion = match llm.estimate_meal(source).await {
        Ok(completion) => completion,
        Err(error) => {
            // Nothing usable came back: the person pays nothing for it.
            store.release(user_id, held.id).await?;
            return Err(MealError::Model(error));
        }
    };
    let description = match source {
        MealSource::Description(text) => Some(*text),
        MealSource::Photo { .. } => None,
    };
    let stored = store
        .log_meal(
            &NewMeal {
                id: meal_id,
                user_id,
                upload_id,
                description,
                estimate: &completion.value,
                eaten_at,
                model: llm.chat_model(),
            },
            &ModelCharge {
                user_id,
                hold_id: held.id,
                entry_id: ids.new_uuid(),
                model: llm.chat_model(),
                usage: completion.usage,
                request_id,
            },
        )
        .await;
    match stored {
        Ok((meal, balance)) => Ok(LoggedMeal {
            meal,
            spent: Settlement::of(held.units, completion.usage).charged,
            balance,
        }),
        Err(error) => {
            // Nothing was stored or charged; give the hold back now rather than when it
            // expires (a no-op if the write did land and settle it).
            let _ = store.release(user_id, held.id).await;
            Err(error.into())
        }
    }
}

/// A meal told in chat ("log my lunch: …"): the message is stored first, like every
/// message, then the meal is read and logged and the message answered with it. A retry
/// with the same client id replays the answer.
#[allow(clippy::too_many_arguments)]
pub async fn post_meal_message<S: ChatStore + MealStore + CreditStore>(
    store: &S,
    llm: &impl Llm,
    ids: &impl Ids,
    request_id: &str,
    new_user: &NewUser<'_>,
    message: &ChatMessage<'_>,
    description: &str,
    now: DateTime<Utc>,
) -> Result<ChatOutcome, ChatError> {
    let opened = match chat::open_received(store, ids, new_user, message).await? {
        Opened::Answered(outcome) => return Ok(outcome),
        Opened::Open { opened, .. } => opened,
    };
    let logged = log(
        store,
        llm,
        ids,
        request_id,
        opened.user.id,
        &MealSource::Description(description),
        None,
        now,
    )
    .await;
    let (answer, balance) = match logged {
        Ok(logged) => (
            ChatAnswer {
                spent_units: logged.spent.units(),
                ..ChatAnswer::words(coaching::meal_reply(&logged.meal))
            },
            logged.balance,
        ),
        Err(MealError::Model(_)) => (
            ChatAnswer::words(coaching::meal_unreadable_reply()),
            opened.user.credit_balance,
        ),
        Err(MealError::Insufficient(refused)) => {
            return Err(ChatError::Insufficient {
                message_id: opened.message.id,
                refused,
            });
        }
        Err(MealError::Store(error)) => return Err(error.into()),
        Err(error) => return Err(StoreError::corrupt(error.to_string()).into()),
    };
    store
        .answer_message(&MessageAnswer {
            user_id: opened.user.id,
            message_id: opened.message.id,
            status: MessageStatus::Answered,
            answer: &answer,
            charges: &[],
            attempt: None,
        })
        .await?;
    let mut user = opened.user;
    user.credit_balance = balance;
    Ok(ChatOutcome {
        message_id: opened.message.id,
        status: MessageStatus::Answered,
        answer,
        workout: None,
        user,
        failure_reason: None,
        finish_later: None,
    })
}

/// Reads a completed meal photo from the bucket and logs the meal it shows. Only the
/// caller's own uploads are found.
#[allow(clippy::too_many_arguments)]
pub async fn log_photo<S: MealStore + CreditStore + UploadStore>(
    store: &S,
    storage: &impl ObjectStorage,
    llm: &impl Llm,
    ids: &impl Ids,
    request_id: &str,
    user_id: Uuid,
    upload_id: Uuid,
    eaten_at: DateTime<Utc>,
) -> Result<LoggedMeal, MealError> {
    let upload = store
        .find_upload(user_id, upload_id)
        .await?
        .filter(|upload| upload.kind == UploadKind::MealPhoto && upload.completed_at.is_some())
        .ok_or(MealError::NoPhoto)?;
    let format = match upload.content_type.as_str() {
        "image/jpeg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/webp" => ImageFormat::Webp,
        "image/gif" => ImageFormat::Gif,
        other => return Err(MealError::UnreadablePhoto(other.to_owned())),
    };
    let bytes = storage
        .get(&upload.object_key)
        .await
        .map_err(|error| MealError::Storage(error.to_string()))?
        .ok_or(MealError::NoPhoto)?;
    log(
        store,
        llm,
        ids,
        request_id,
        user_id,
        &MealSource::Photo {
            format,
            bytes: &bytes,
        },
        Some(upload.id),
        eaten_at,
    )
    .await
}

/// One local day's meals and their totals.
#[derive(Debug, Clone, PartialEq)]
pub struct MealDay {
    pub date: NaiveDate,
    pub meals: Vec<StoredMeal>,
    pub totals: Macros,
}

pub async fn day(
    store: &impl MealStore,
    user_id: Uuid,
    date: NaiveDate,
    timezone: Timezone,
) -> Result<MealDay, StoreError> {
    let (from, to) = meals::day_bounds(date, timezone);
    let meals = store.meals_between(user_id, from, to).await?;
    let totals = meals
        .iter()
        .fold(Macros::ZERO, |totals, meal| totals.plus(meal.macros));
    Ok(MealDay {
        date,
        meals,
        totals,
    })
}

/// Deletes one of the person's meals and its photo; `None` when it is not theirs or
/// not there. The photo's deletion is recorded with the meal's, then tried at once;
/// if the bucket fails, the cron retries it.
pub async fn delete(
    store: &(impl MealStore + DeletionStore),
    storage: Option<&impl ObjectStorage>,
    ids: &impl Ids,
    user_id: Uuid,
    meal_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<StoredMeal>, StoreError> {
    let Some(deleted) = store.delete_meal(user_id, meal_id, ids.new_uuid()).await? else {
        return Ok(None);
    };
    if let (Some(photo), Some(storage)) = (&deleted.photo, storage) {
        let _ = object_deletions::attempt(store, storage, photo, now).await;
    }
    Ok(Some(deleted.meal))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use serde_json::json;

    use super::*;
    use crate::app::fakes::{
        FakeBucket, FakeCredits, FakeDeletions, SequentialIds, delegate_credit_store, ids,
    };
    use crate::domain::credits::Usage;
    use crate::domain::extraction::Extraction;
    use crate::domain::meals::MealEstimate;
    use crate::domain::object_deletions::{DeletionStep, DeletionTarget, PendingDeletion};
    use crate::ports::{Completion, LlmErrorKind, TokenBudget};

    const USER: Uuid = Uuid::from_u128(7);

    #[derive(Default)]
    struct FakeMeals {
        credits: FakeCredits,
        meals: RefCell<Vec<(Uuid, StoredMeal)>>,
        deletions: FakeDeletions,
    }

    delegate_credit_store!(FakeMeals, credits);

    impl DeletionStore for FakeMeals {
        async fn due_deletions(
            &self,
            now: DateTime<Utc>,
            limit: u32,
        ) -> Result<Vec<PendingDeletion>, StoreError> {
            self.deletions.due_deletions(now, limit).await
        }

        async fn abandon_uploads(
            &self,
            expired_before: DateTime<Utc>,
            limit: u32,
        ) -> Result<u64, StoreError> {
            self.deletions.abandon_uploads(expired_before, limit).await
        }

        async fn record_deletion_step(
            &self,
            id: Uuid,
            step: &DeletionStep,
        ) -> Result<(), StoreError> {
            self.deletions.record_deletion_step(id, step).await
        }
    }

    /// Where the fake keeps a meal photo's object.
    fn photo_key(upload_id: Uuid) -> String {
        format!("users/owner/meal_photo/{upload_id}")
    }

    impl MealStore for FakeMeals {
        async fn log_meal(
            &self,
            meal: &NewMeal<'_>,
            charge: &ModelCharge<'_>,
        ) -> Result<(StoredMeal, Credits), StoreError> {
            let stored = StoredMeal {
                id: meal.id,
                upload_id: meal.upload_id,
                description: meal.description.map(str::to_owned),
                items: meal
                    .estimate
                    .items()
                    .iter()
                    .map(|item| (item.name.to_string(), item.grams))
                    .collect(),
                macros: meal.estimate.macros(),
                confidence: Some(meal.estimate.confidence().value()),
                eaten_at: meal.eaten_at,
                created_at: meal.eaten_at,
            };
            self.meals.borrow_mut().push((meal.user_id, stored.clone()));
            self.credits.settle_now(charge);
            Ok((stored, self.credits.balance(meal.user_id)))
        }

        async fn meals_between(
            &self,
            user_id: Uuid,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<StoredMeal>, StoreError> {
            Ok(self
                .meals
                .borrow()
                .iter()
                .filter(|(owner, meal)| {
                    *owner == user_id && meal.eaten_at >= from && meal.eaten_at < to
                })
                .map(|(_, meal)| meal.clone())
                .collect())
        }

        async fn delete_meal(
            &self,
            user_id: Uuid,
            meal_id: Uuid,
            deletion_id: Uuid,
        ) -> Result<Option<crate::ports::DeletedMeal>, StoreError> {
            let mut meals = self.meals.borrow_mut();
            let Some(index) = meals
                .iter()
                .position(|(owner, meal)| *owner == user_id && meal.id == meal_id)
            else {
                return Ok(None);
            };
            let meal = meals.remove(index).1;
            let photo = meal.upload_id.map(|upload_id| PendingDeletion {
                id: deletion_id,
                target: DeletionTarget::Object(photo_key(upload_id)),
                settle_after: DateTime::<Utc>::MIN_UTC,
                attempts: 0,
            });
            if let Some(photo) = &photo {
                self.deletions.queue(photo.clone());
            }
            Ok(Some(crate::ports::DeletedMeal { meal, photo }))
        }
    }

    /// Reads every meal as the same lunch, or fails with `fail`.
    struct FakeLlm {
        fail: Option<LlmErrorKind>,
    }

    fn lunch() -> MealEstimate {
        meals::from_tool_input(&json!({
            "items": [{"name": "chicken", "grams": 200}, {"name": "rice", "grams": 150}],
            "kcal": 500, "protein_g": 66, "carbs_g": 42, "fat_g": 7.6, "confidence": 0.8
        }))
        .unwrap()
    }

    impl Llm for FakeLlm {
        fn chat_model(&self) -> &str {
            "nova"
        }
        fn embedding_model(&self) -> &str {
            "titan"
        }
        fn extraction_budget(&self, _message: &str) -> TokenBudget {
            unreachable!("meals only")
        }
        fn reply_budget(&self, _system: &str, _message: &str) -> TokenBudget {
            unreachable!("meals only")
        }
        fn embedding_budget(&self, _text: &str) -> TokenBudget {
            unreachable!("meals only")
        }
        fn meal_budget(&self, _meal: &MealSource<'_>) -> TokenBudget {
            TokenBudget {
                prompt_tokens: 1_000,
                max_tokens: 1_000,
            }
        }
        async fn extract_workout(
            &self,
            _message: &str,
        ) -> Result<Completion<Extraction>, LlmError> {
            unreachable!("meals only")
        }
        async fn reply(
            &self,
            _system: &str,
            _message: &str,
        ) -> Result<Completion<String>, LlmError> {
            unreachable!("meals only")
        }
        async fn embed(&self, _text: &str) -> Result<Completion<Vec<f32>>, LlmError> {
            unreachable!("meals only")
        }
        async fn estimate_meal(
            &self,
            _meal: &MealSource<'_>,
        ) -> Result<Completion<MealEstimate>, LlmError> {
            match self.fail {
                Some(kind) => Err(LlmError::new(kind, "scripted")),
                None => Ok(Completion {
                    value: lunch(),
                    usage: Usage {
                        input_tokens: 600,
                        output_tokens: 100,
                    },
                }),
            }
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    async fn log_lunch(
        store: &FakeMeals,
        llm: &FakeLlm,
        eaten_at: &str,
    ) -> Result<LoggedMeal, MealError> {
        // Ids that differ from one meal to the next.
        let ids = SequentialIds::from(store.meals.borrow().len() as u128 * 100);
        log(
            store,
            llm,
            &ids,
            "request-1",
            USER,
            &MealSource::Description("200 g chicken and rice"),
            None,
            at(eaten_at),
        )
        .await
    }

    #[tokio::test]
    async fn a_meal_is_read_stored_and_paid_for_exactly() {
        let store = FakeMeals {
            credits: FakeCredits::with_balances(&[(USER, 5_000)]),
            ..FakeMeals::default()
        };
        let logged = log_lunch(&store, &FakeLlm { fail: None }, "2026-12-03T12:30:00Z")
            .await
            .unwrap();
        assert_eq!(logged.spent, Credits::from_units(700));
        assert_eq!(logged.balance, Credits::from_units(4_300));
        assert_eq!(logged.meal.items.len(), 2);
        assert_eq!(
            logged.meal.description.as_deref(),
            Some("200 g chicken and rice")
        );
        assert_eq!(store.credits.held(USER), Credits::ZERO);
    }

    #[tokio::test]
    async fn a_failed_read_costs_nothing_and_a_short_balance_is_refused_before_the_call() {
        let store = FakeMeals {
            credits: FakeCredits::with_balances(&[(USER, 5_000)]),
            ..FakeMeals::default()
        };
        let error = log_lunch(
            &store,
            &FakeLlm {
                fail: Some(LlmErrorKind::Malformed),
            },
            "2026-12-03T12:30:00Z",
        )
        .await
        .unwrap_err();
        assert!(matches!(error, MealError::Model(_)));
        assert_eq!(store.credits.balance(USER), Credits::from_units(5_000));
        assert!(store.meals.borrow().is_empty());

        let poor = FakeMeals {
            credits: FakeCredits::with_balances(&[(USER, 1_999)]),
            ..FakeMeals::default()
        };
        let error = log_lunch(&poor, &FakeLlm { fail: None }, "2026-12-03T12:30:00Z")
            .await
            .unwrap_err();
        let MealError::Insufficient(refused) = error else {
            panic!("expected a 402, got {error:?}");
        };
        assert_eq!(refused.price, Credits::from_units(2_000));
        assert!(poor.meals.borrow().is_empty());
    }

    #[tokio::test]
    async fn a_day_is_the_persons_local_day_with_its_totals() {
        let store = FakeMeals {
            credits: FakeCredits::with_balances(&[(USER, 50_000)]),
            ..FakeMeals::default()
        };
        let llm = FakeLlm { fail: None };
        // 23:30 UTC on the 2nd is the 3rd in Berlin; 23:30 UTC on the 3rd is the 4th.
        for eaten_at in [
            "2026-12-02T23:30:00Z",
            "2026-12-03T12:00:00Z",
            "2026-12-03T23:30:00Z",
        ] {
            log_lunch(&store, &llm, eaten_at).await.unwrap();
        }
        let berlin: Timezone = "Europe/Berlin".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let day = day(&store, USER, date, berlin).await.unwrap();
        assert_eq!(day.meals.len(), 2);
        assert_eq!(day.totals.kcal, 1_000.0);
        assert_eq!(day.totals.protein_g, 132.0);
        let other = day_of_other(&store).await;
        assert!(other.meals.is_empty(), "nobody else's meals");

        let first = day.meals[0].id;
        let bucket = FakeBucket::default();
        let ids = SequentialIds::from(500);
        let now = noon();
        let other = Uuid::from_u128(99);
        let deleted = delete(&store, Some(&bucket), &ids, other, first, now).await;
        assert!(deleted.unwrap().is_none());
        let deleted = delete(&store, Some(&bucket), &ids, USER, first, now).await;
        assert!(deleted.unwrap().is_some());
        let deleted = delete(&store, Some(&bucket), &ids, USER, first, now).await;
        assert!(deleted.unwrap().is_none());
    }

    fn noon() -> DateTime<Utc> {
        "2026-12-03T12:00:00Z".parse().unwrap()
    }

    /// A photo meal logged straight into the fake store, its photo in `bucket`.
    fn photo_meal(store: &FakeMeals, bucket: &FakeBucket, n: u128) -> (Uuid, String) {
        let (meal_id, upload_id) = (Uuid::from_u128(n), Uuid::from_u128(n + 1));
        let eaten_at = noon();
        store.meals.borrow_mut().push((
            USER,
            StoredMeal {
                id: meal_id,
                upload_id: Some(upload_id),
                description: None,
                items: Vec::new(),
                macros: Macros {
                    kcal: 0.0,
                    protein_g: 0.0,
                    carbs_g: 0.0,
                    fat_g: 0.0,
                },
                confidence: None,
                eaten_at,
                created_at: eaten_at,
            },
        ));
        bucket.put(&photo_key(upload_id));
        (meal_id, photo_key(upload_id))
    }

    #[tokio::test]
    async fn deleting_a_photo_meal_deletes_its_photo() {
        let (store, bucket, ids) = (FakeMeals::default(), FakeBucket::default(), ids());
        let (meal, key) = photo_meal(&store, &bucket, 1);
        let (_, kept) = photo_meal(&store, &bucket, 3);
        let now = noon();
        let deleted = delete(&store, Some(&bucket), &ids, USER, meal, now).await;
        assert_eq!(deleted.unwrap().map(|meal| meal.id), Some(meal));
        assert!(bucket.keys_under(&key).is_empty(), "the photo is gone");
        assert_eq!(bucket.keys_under(&kept).len(), 1, "other photos stay");
        assert!(store.deletions.pending.borrow().is_empty(), "nothing owed");
    }

    #[tokio::test]
    async fn a_photo_the_bucket_refused_to_delete_is_retried_until_it_goes() {
        let (store, bucket, ids) = (FakeMeals::default(), FakeBucket::default(), ids());
        let (meal, key) = photo_meal(&store, &bucket, 1);
        bucket.failing_deletes.set(2);
        let now = noon();
        let deleted = delete(&store, Some(&bucket), &ids, USER, meal, now).await;
        assert!(deleted.unwrap().is_some(), "the meal goes even so");
        assert_eq!(bucket.keys_under(&key).len(), 1);

        // Not due again yet; then the bucket fails once more; then it works.
        let drained = object_deletions::drain_due(&store, &bucket, now)
            .await
            .unwrap();
        assert_eq!(drained, Default::default());
        let later = now + chrono::Duration::minutes(1);
        let drained = object_deletions::drain_due(&store, &bucket, later)
            .await
            .unwrap();
        assert_eq!(drained.failed, 1);
        assert_eq!(bucket.keys_under(&key).len(), 1);
        let later = later + chrono::Duration::minutes(2);
        let drained = object_deletions::drain_due(&store, &bucket, later)
            .await
            .unwrap();
        assert_eq!(drained.done, 1);
        assert!(bucket.keys_under(&key).is_empty());
        assert!(store.deletions.pending.borrow().is_empty());
    }

    async fn day_of_other(store: &FakeMeals) -> MealDay {
        let date = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        day(store, Uuid::from_u128(99), date, Timezone::utc())
            .await
            .unwrap()
    }
}
