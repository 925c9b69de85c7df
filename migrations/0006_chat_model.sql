-- 0006 the model reads what the parser could not.
--
-- A message the parser is unsure of is `pending` until the model has read it. Each read
-- is an attempt: taking one bumps `attempts` and leases the message until
-- `next_attempt_at` (longer than any attempt takes), so the request that stored it, the
-- work it left for after its response, and the scheduled retries never read it twice at
-- once. A failed attempt sets `next_attempt_at` further out (backoff); after the last
-- one the message is `failed` with the reason kept. A reading the model is not sure
-- of is `proposed`: nothing is logged until the person confirms it.
alter table chat_messages drop constraint chat_messages_status_check;
alter table chat_messages add constraint chat_messages_status_check
    check (status in ('received', 'parsed', 'pending', 'answered', 'failed', 'proposed'));

alter table chat_messages
    add column attempts        integer not null default 0 check (attempts >= 0),
    add column next_attempt_at timestamptz,
    add column failure_reason  text;

drop index chat_messages_pending;
create index chat_messages_due on chat_messages (next_attempt_at) where status = 'pending';
-- The person's own messages waiting or given up on, newest first.
create index chat_messages_user_unfinished on chat_messages (user_id, created_at desc, id desc)
    where status in ('pending', 'failed');

-- Whether the coach's replies are phrased by the model (metered) or templated.
alter table users
    add column coach_style text not null default 'templated' check (coach_style in ('templated', 'ai'));
