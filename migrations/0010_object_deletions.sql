-- 0010 object deletions: objects in the bucket that must go because the rows that
-- owned them went (an erased account, a deleted meal). A row is written in the same
-- transaction that removes the owning rows, so a failure between the database and the
-- bucket is never forgotten: the request tries at once, the cron retries what is left.

create table object_deletions (
    id              uuid primary key,
    -- 'object': one key. 'prefix': every key under it (an erased account's `users/{owner}/`).
    scope           text not null check (scope in ('object', 'prefix')),
    object_key      text not null check (object_key like 'users/%/%'),
    -- A presigned PUT handed out before the erasure still works until it expires, so a
    -- prefix is listed once more after the last such URL is dead before it is let go.
    settle_after    timestamptz not null,
    attempts        integer not null default 0 check (attempts >= 0),
    next_attempt_at timestamptz not null default now(),
    -- The kind of the last failure (a status or `transport`), never a message.
    last_error      text,
    created_at      timestamptz not null default now()
);

create index object_deletions_due on object_deletions (next_attempt_at);
