-- 0005 credits, exact: a model call costs its tokens, not a rounded number of credits.
--
-- Balances and ledger amounts are kept in units of one token; a credit is
-- TOKENS_PER_CREDIT units (3000 by default), applied only when a balance is shown. A
-- call of i input and o output tokens costs exactly i + o units, so nothing is ever
-- rounded and the sum of the ledger is the balance to the token. Existing amounts were
-- whole credits and are converted at the default rate. The columns are renamed, not
-- reused, so code that still reads them as credits fails loudly instead of showing
-- tokens as credits.
update users set credit_balance = credit_balance * 3000;
alter table users rename column credit_balance to credit_units;

update credit_ledger set delta = delta * 3000, balance_after = balance_after * 3000;
alter table credit_ledger rename column delta to delta_units;
alter table credit_ledger rename column balance_after to balance_after_units;

-- What a model call is recorded with: the request that made it and what it was for
-- (for a top-up, the operator's note).
alter table credit_ledger
    add column request_id text,
    add column purpose text;

-- The ledger is listed newest first and paged by (time, id).
drop index credit_ledger_user_created;
create index credit_ledger_user_created on credit_ledger (user_id, created_at desc, id desc);

-- Before a model call its worst case (prompt plus the most it may answer) is taken
-- from the balance and held here; settling it charges what the call used (never more
-- than was held), gives the rest back and writes the ledger row, in the transaction
-- of the work the call paid for. Invariant: the balance plus every open hold equals
-- the sum of the ledger. A hold that is never settled (the worker died mid-call) is
-- released after `expires_at`, which lies far beyond any call's duration: the
-- reserve path releases the caller's own expired holds first, and a scheduled job can
-- release everyone's. A settle arriving after its hold was released charges nothing.
create table credit_reservations (
    id              uuid primary key,
    user_id         uuid not null references users (id) on delete cascade,
    -- One hold per model call: a retried reserve returns the first one.
    idempotency_key text not null,
    units           bigint not null check (units > 0),
    purpose         text not null,
    expires_at      timestamptz not null,
    settled_at      timestamptz,
    released_at     timestamptz,
    created_at      timestamptz not null default now(),
    check (settled_at is null or released_at is null),
    unique (user_id, idempotency_key)
);
create index credit_reservations_open on credit_reservations (expires_at)
    where settled_at is null and released_at is null;

-- Subjects that were given the starter grant, as HMAC-SHA256(SUBJECT_HASH_KEY,
-- subject): erasure keeps this row (it is not the subject and cannot be turned back
-- into it), and provisioning grants only when it inserts one, so an erased account
-- that comes back starts at 0. Accounts created before this table get their row when
-- they are erased.
create table credit_grants (
    subject_hash bytea primary key check (length(subject_hash) = 32),
    granted_at   timestamptz not null default now()
);
