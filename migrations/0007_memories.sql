-- 0007 memories: after a workout is logged, a short summary of it is embedded and kept
-- here, so that `POST /v1/coach/ask` can find the person's sessions nearest to a
-- question.
--
-- The table of 0001 was a placeholder that no version of the API ever wrote to (the
-- erase path only deleted from it), so it is replaced rather than reshaped.
--
-- - One memory per workout, deleted with it (`on delete cascade`): a memory of a
--   session the person deleted would ground answers in training they took back.
--   Erasing the account removes memories through `user_id` the same way.
-- - `embedding` has no fixed dimension, because the deployment chooses 256, 512 or
--   1024 (`EMBEDDING_DIMENSIONS`) and may change it. An HNSW index needs a fixed
--   dimension, so there is one partial expression index per size, and recall casts to
--   the configured size and filters on `dimensions`: vectors of another size (or made
--   by another model) are never compared with the question's, which would be
--   meaningless.
-- - Cosine distance, as Titan Text Embeddings V2 is trained for.
drop table memories;

create table memories (
    id         uuid primary key,
    user_id    uuid not null references users (id) on delete cascade,
    workout_id uuid not null references workouts (id) on delete cascade,
    summary    text not null check (char_length(summary) between 1 and 2000),
    -- The embedding model; vectors of different models are not comparable.
    model      text not null,
    dimensions integer not null check (dimensions in (256, 512, 1024)),
    embedding  vector not null check (vector_dims(embedding) = dimensions),
    created_at timestamptz not null default now(),
    -- Remembering a workout again (a retried job, an edit) replaces its memory.
    constraint memories_workout_key unique (workout_id)
);
-- Listed newest first, paged by (time, id); also what recall filters on first.
create index memories_user_created on memories (user_id, created_at desc, id desc);

create index memories_embedding_256 on memories
    using hnsw ((embedding::vector(256)) vector_cosine_ops) where dimensions = 256;
create index memories_embedding_512 on memories
    using hnsw ((embedding::vector(512)) vector_cosine_ops) where dimensions = 512;
create index memories_embedding_1024 on memories
    using hnsw ((embedding::vector(1024)) vector_cosine_ops) where dimensions = 1024;
