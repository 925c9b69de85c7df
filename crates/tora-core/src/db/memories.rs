//! Memories on Postgres with pgvector. Every statement names the user: a memory is
//! only ever read, recalled or deleted together with its owner's id, and recall joins
//! the workout under the same owner.
//!
//! Recall orders by cosine distance to the question at the configured size, through
//! that size's partial HNSW index (`migrations/0007_memories.sql`). An HNSW scan
//! filtered by user could stop before it finds k of the caller's rows; pgvector's
//! iterative scan (`hnsw.iterative_scan`) keeps it going until it does.

use uuid::Uuid;

use super::Sql;
use super::batch::{self, Typed};
use super::credits::settle;
use super::workouts::{select_workouts, workouts_from};
use crate::clients::neon::{NeonClient, NeonError, Row, Statement, TransactionOptions};
use crate::domain::memory::{Embedding, Memory, Recalled};
use crate::domain::profile::Timezone;
use crate::ports::{
    Clock, MemorySource, MemoryStore, ModelCharge, NewMemory, PageCursor, Settled, StoreError,
    Transport,
};

const SELECT_WORKOUT: &str = select_workouts!(
    "from workouts w
where w.user_id = $1::uuid and w.id = $2::uuid"
);

const SELECT_SOURCE: &str = "\
select u.timezone, m.summary
from users u
left join memories m on m.user_id = u.id and m.workout_id = $2::uuid
where u.id = $1::uuid";

/// Stores the memory only while its workout exists and is the user's; remembering a
/// workout again replaces its memory.
const UPSERT_MEMORY: &str = "\
insert into memories (id, user_id, workout_id, summary, model, dimensions, embedding)
select $1::uuid, w.user_id, w.id, $4::text, $5::text, $6::int4, $7::text::vector
from workouts w
where w.id = $3::uuid and w.user_id = $2::uuid
on conflict (workout_id) do update set
    summary = excluded.summary, model = excluded.model, dimensions = excluded.dimensions,
    embedding = excluded.embedding, created_at = now()";

/// Recall at one size: the cast and the `dimensions` filter must match the partial
/// index's expression and predicate word for word, so each size has its own text.
macro_rules! recall_sql {
    ($dimensions:literal) => {
        concat!(
            "with nearest as (
    select id, workout_id, summary, model, created_at,
           embedding::vector(",
            $dimensions,
            ") <=> $2::text::vector(",
            $dimensions,
            ") as distance
    from memories
    where user_id = $1::uuid and dimensions = ",
            $dimensions,
            " and model = $3::text
    order by embedding::vector(",
            $dimensions,
            ") <=> $2::text::vector(",
            $dimensions,
            ")
    limit $4::int4
)
select n.id, n.workout_id, w.performed_at, n.summary, n.model, n.created_at,
       coalesce((select string_agg(distinct s.exercise_id, ',' order by s.exercise_id)
                 from workout_sets s
                 where s.workout_id = w.id and s.user_id = $1::uuid), '') as exercise_ids
from nearest n
join workouts w on w.id = n.workout_id and w.user_id = $1::uuid
order by n.distance, n.id"
        )
    };
}

const RECALL_256: &str = recall_sql!("256");
const RECALL_512: &str = recall_sql!("512");
const RECALL_1024: &str = recall_sql!("1024");

/// Lets a user-filtered HNSW scan run on until it has found the rows asked for
/// (pgvector 0.8), for this transaction only.
const ITERATIVE_SCAN: &str = "set local hnsw.iterative_scan = strict_order";

const LIST_MEMORIES: &str = "\
select m.id, m.workout_id, w.performed_at, m.summary, m.model, m.created_at
from memories m join workouts w on w.id = m.workout_id and w.user_id = m.user_id
where m.user_id = $1::uuid
  and ($2::timestamptz is null or (m.created_at, m.id) < ($2::timestamptz, $3::uuid))
order by m.created_at desc, m.id desc
limit $4::int4";

const MEMORIES_AFTER: &str = "\
select m.id, m.workout_id, w.performed_at, m.summary, m.model, m.created_at
from memories m join workouts w on w.id = m.workout_id and w.user_id = m.user_id
where m.user_id = $1::uuid
  and ($2::timestamptz is null or (m.created_at, m.id) > ($2::timestamptz, $3::uuid))
order by m.created_at, m.id
limit $4::int4";

const FORGET: &str = "delete from memories where id = $1::uuid and user_id = $2::uuid";

fn memory(row: &Row) -> Result<Memory, NeonError> {
    Ok(Memory {
        id: row.get("id")?,
        workout_id: row.get("workout_id")?,
        performed_at: row.get("performed_at")?,
        summary: row.get("summary")?,
        model: row.get("model")?,
        created_at: row.get("created_at")?,
    })
}

/// Up to `limit` memories after `after`, oldest first: the export's pages.
pub fn memories_oldest_first(
    user_id: Uuid,
    after: Option<PageCursor>,
    limit: u32,
) -> Typed<Vec<Memory>> {
    Typed::new(
        Statement::new(MEMORIES_AFTER, super::page_params(user_id, after, limit)),
        |result| result.rows.iter().map(memory).collect(),
    )
}

async fn memory_source(
    db: &impl Sql,
    user_id: Uuid,
    workout_id: Uuid,
) -> Result<Option<MemorySource>, NeonError> {
    let workout = Typed::new(
        Statement::new(SELECT_WORKOUT, vec![user_id.into(), workout_id.into()]),
        workouts_from,
    );
    let source = Typed::new(
        Statement::new(SELECT_SOURCE, vec![user_id.into(), workout_id.into()]),
        |result| {
            result
                .first()
                .map(|row| {
                    let timezone: String = row.get("timezone")?;
                    let timezone = timezone
                        .parse::<Timezone>()
                        .map_err(|_| NeonError::decode("users.timezone holds an unknown zone"))?;
                    let summary: Option<String> = row.get("summary")?;
                    Ok((timezone, summary))
                })
                .transpose()
        },
    );
    let (workouts, source) = batch::run(
        db,
        (workout, source),
        TransactionOptions {
            read_only: true,
            ..TransactionOptions::default()
        },
    )
    .await?;
    Ok(match (workouts.into_iter().next(), source) {
        (Some(workout), Some((timezone, remembered))) => Some(MemorySource {
            workout,
            timezone,
            remembered,
        }),
        _ => None,
    })
}

async fn remember(
    db: &impl Sql,
    memory: &NewMemory<'_>,
    charge: &ModelCharge<'_>,
) -> Result<Settled, NeonError> {
    let dimensions = i64::try_from(memory.embedding.dimensions()).unwrap_or(0);
    let insert = batch::write(Statement::new(
        UPSERT_MEMORY,
        vec![
            memory.id.into(),
            memory.user_id.into(),
            memory.workout_id.into(),
            memory.summary.into(),
            memory.model.into(),
            dimensions.into(),
            memory.embedding.to_pgvector().into(),
        ],
    ));
    let (_, settled) =
        batch::run(db, (insert, settle(charge)), TransactionOptions::default()).await?;
    Ok(settled)
}

async fn recall(
    db: &impl Sql,
    user_id: Uuid,
    query: &Embedding,
    model: &str,
    limit: u32,
) -> Result<Vec<Recalled>, NeonError> {
    let sql = match query.dimensions() {
        256 => RECALL_256,
        512 => RECALL_512,
        _ => RECALL_1024,
    };
    let nearest = Typed::new(
        Statement::new(
            sql,
            vec![
                user_id.into(),
                query.to_pgvector().into(),
                model.into(),
                i64::from(limit).into(),
            ],
        ),
        |result| {
            result
                .rows
                .iter()
                .map(|row| {
                    let exercise_ids: String = row.get("exercise_ids")?;
                    Ok(Recalled {
                        memory: memory(row)?,
                        exercise_ids: exercise_ids
                            .split(',')
                            .filter(|id| !id.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    })
                })
                .collect()
        },
    );
    let (_, recalled) = batch::run(
        db,
        (
            batch::write(Statement::new(ITERATIVE_SCAN, Vec::new())),
            nearest,
        ),
        TransactionOptions {
            read_only: true,
            ..TransactionOptions::default()
        },
    )
    .await?;
    Ok(recalled)
}

impl<T: Transport, C: Clock> MemoryStore for NeonClient<'_, T, C> {
    async fn memory_source(
        &self,
        user_id: Uuid,
        workout_id: Uuid,
    ) -> Result<Option<MemorySource>, StoreError> {
        Ok(memory_source(self, user_id, workout_id).await?)
    }

    async fn remember(
        &self,
        memory: &NewMemory<'_>,
        charge: &ModelCharge<'_>,
    ) -> Result<Settled, StoreError> {
        Ok(remember(self, memory, charge).await?)
    }

    async fn recall(
        &self,
        user_id: Uuid,
        query: &Embedding,
        model: &str,
        limit: u32,
    ) -> Result<Vec<Recalled>, StoreError> {
        Ok(recall(self, user_id, query, model, limit).await?)
    }

    async fn memories(
        &self,
        user_id: Uuid,
        after: Option<PageCursor>,
        limit: u32,
    ) -> Result<Vec<Memory>, StoreError> {
        let result = self
            .query(Statement::new(
                LIST_MEMORIES,
                super::page_params(user_id, after, limit),
            ))
            .await?;
        Ok(result.rows.iter().map(memory).collect::<Result<_, _>>()?)
    }

    async fn forget(&self, user_id: Uuid, memory_id: Uuid) -> Result<bool, StoreError> {
        let result = self
            .query(Statement::new(
                FORGET,
                vec![memory_id.into(), user_id.into()],
            ))
            .await?;
        Ok(result.row_count.unwrap_or(0) > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_size_recalls_through_its_own_index() {
        for (sql, size) in [(RECALL_256, 256), (RECALL_512, 512), (RECALL_1024, 1024)] {
            let cast = format!("embedding::vector({size}) <=> $2::text::vector({size})");
            assert_eq!(sql.matches(&cast).count(), 2, "{sql}");
            assert!(sql.contains(&format!("dimensions = {size} ")), "{sql}");
            assert!(sql.contains("where user_id = $1::uuid"), "{sql}");
            assert!(sql.contains("w.user_id = $1::uuid"), "{sql}");
        }
    }
}
