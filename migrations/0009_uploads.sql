-- 0009 uploads: an upload is requested (a presigned PUT URL is handed out, valid until
-- `expires_at`), then completed once the worker has seen its object in the bucket.
-- Rows without `completed_at` are uploads that were asked for and never finished.

alter table uploads
    add column expires_at   timestamptz,
    add column completed_at timestamptz;

create index uploads_user on uploads (user_id, created_at desc);
