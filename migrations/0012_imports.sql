-- 0012 imports: training history brought in from another logger's export (Strong,
-- Hevy). An import is one file; its workouts point back at it, so deleting the import
-- deletes exactly what it created. Each imported workout carries a key naming the
-- session (source, local start, title); a session already imported is never stored
-- twice, whether the same file or a later export repeating it comes in.

create table imports (
    id               uuid primary key,
    user_id          uuid not null references users (id) on delete cascade,
    source           text not null check (source in ('strong', 'hevy')),
    -- SHA-256 of the file's bytes, hex: the same file again is the same import.
    file_sha256      text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
    weight_unit      text not null check (weight_unit in ('kg', 'lb')),
    skipped_rows     integer not null default 0 check (skipped_rows >= 0),
    -- The person's own exercises this import created (removed with it when no other
    -- workout uses them).
    custom_exercises text[] not null default '{}',
    created_at       timestamptz not null default now(),
    -- Set once every workout of the file is in and the skill tree re-decided.
    finished_at      timestamptz,
    unique (user_id, file_sha256)
);
create index imports_user on imports (user_id, created_at desc);

alter table workouts
    add column import_id  uuid references imports (id) on delete cascade,
    add column import_key text,
    add constraint workouts_import_key_with_import
        check ((import_id is null) = (import_key is null));
create unique index workouts_user_import_key on workouts (user_id, import_key)
    where import_key is not null;
create index workouts_import on workouts (import_id) where import_id is not null;

-- Large exports arrive through the bucket like photos do.
alter table uploads drop constraint uploads_kind_check;
alter table uploads add constraint uploads_kind_check
    check (kind in ('meal_photo', 'form_video', 'import_csv'));
