// Every statement the four routes send, copied verbatim from the Rust worker
// (crates/tora-core/src/db/*.rs, constant of the same name). The benchmark compares
// runtimes, not queries: the database must be asked exactly the same thing.
// `node bench/reference/check-sql.mjs` compares these texts with the Rust constants.
//
// Neon sends parameters untyped, so every placeholder is cast, as in ours.

// db/health.rs
export const PING = `select 1::int4 as ok`;

// db/users.rs: provision on first sight (with the starter grant), then read the user.
export const PROVISION_USER = `with granted as (
    insert into credit_grants (subject_hash)
    select decode($6::text, 'hex')
    where $4::int8 > 0 and not exists (select 1 from users where auth_subject = $2::text)
    on conflict (subject_hash) do nothing
    returning subject_hash
), inserted as (
    insert into users (id, auth_subject, email, credit_units)
    values ($1::uuid, $2::text, $3::text,
            case when exists (select 1 from granted) then $4::int8 else 0 end)
    on conflict (auth_subject) do nothing
    returning id, credit_units
)
insert into credit_ledger (id, user_id, delta_units, balance_after_units, reason, idempotency_key)
select $5::uuid, id, credit_units, credit_units, 'starter_grant', 'starter_grant'
from inserted
where credit_units > 0`;

export const SELECT_USER_BY_SUBJECT = `select id, auth_subject, email, display_name, units, timezone, coach_style,
       weekly_goal_days::int8, rest_days::int8, count_sides_separately, credit_units,
       created_at, updated_at
from users
where auth_subject = $1::text`;

// db/skills.rs
export const SELECT_STATES_BY_SUBJECT = `select s.skill_id, s.state, s.inferred, s.practised, s.best_progress::float8 as best_progress
from user_skill_states s join users u on u.id = s.user_id
where u.auth_subject = $1::text`;

export const UPSERT_STATES_RAISE = `insert into user_skill_states (user_id, skill_id, state, inferred, practised, best_progress, mastered_at, updated_at)
select $1::uuid, c.skill_id, c.state, c.inferred, c.practised, c.best_progress,
       case when c.state = 'mastered' then now() end, now()
from jsonb_to_recordset($2::jsonb) as c(skill_id text, state text, inferred bool, practised bool, best_progress real)
on conflict (user_id, skill_id) do update set
    state = case
        when array_position(array['locked','available','unlocked','mastered'], excluded.state)
           > array_position(array['locked','available','unlocked','mastered'], user_skill_states.state)
        then excluded.state else user_skill_states.state end,
    -- Proven outranks inferred: inferred only when every mastery that meets here is.
    inferred = case
        when user_skill_states.state = 'mastered' and excluded.state = 'mastered'
            then user_skill_states.inferred and excluded.inferred
        when user_skill_states.state = 'mastered' then user_skill_states.inferred
        when excluded.state = 'mastered' then excluded.inferred
        else false end,
    practised = user_skill_states.practised or excluded.practised,
    best_progress = greatest(user_skill_states.best_progress, excluded.best_progress),
    mastered_at = coalesce(user_skill_states.mastered_at, excluded.mastered_at),
    updated_at = now()`;

// db/workouts.rs: a workout with its sets as one jsonb array (the `select_workouts!`
// macro), followed by the `from`/`where` of each query.
const SELECT_WORKOUTS_HEAD = `select w.id, w.performed_at, w.notes, w.source_message_id, w.import_id, w.created_at,
       w.updated_at,
       coalesce((
           select jsonb_agg(jsonb_build_object(
                      'exercise_id', s.exercise_id, 'exercise_name', e.name,
                      'custom', e.owner_user_id is not null,
                      'reps', s.reps, 'reps_max', s.reps_max, 'seconds', s.seconds,
                      'added_kg', s.added_kg, 'assist_kg', s.assist_kg,
                      'load_unit', s.load_unit, 'assisted', s.assisted,
                      'each_side', s.each_side, 'side', s.side, 'rpe', s.rpe)
                  order by s.position)
           from workout_sets s join exercises e on e.id = s.exercise_id
           where s.workout_id = w.id), '[]'::jsonb) as sets
`;

export const SELECT_WORKOUTS =
  SELECT_WORKOUTS_HEAD +
  `from workouts w
where w.user_id = $1::uuid
  and ($2::uuid is null or w.id = $2::uuid)
  and ($3::timestamptz is null or w.performed_at >= $3::timestamptz)
  and ($4::timestamptz is null or w.performed_at < $4::timestamptz)
  and ($5::timestamptz is null or (w.performed_at, w.id) < ($5::timestamptz, $6::uuid))
order by w.performed_at desc, w.id desc
limit $7::int4`;

export const SELECT_WORKOUT_OF_MESSAGE =
  SELECT_WORKOUTS_HEAD +
  `from workouts w
join chat_messages m on m.id = w.source_message_id
join users u on u.id = m.user_id
where u.auth_subject = $1::text and m.client_message_id = $2::text`;

export const INSERT_WORKOUT = `insert into workouts (id, user_id, source_message_id, performed_at, notes)
values ($1::uuid, $2::uuid, $3::uuid, $4::timestamptz, $5::text)`;

export const INSERT_SETS = `insert into workout_sets (id, workout_id, user_id, exercise_id, position, reps, reps_max, seconds,
                          added_kg, assist_kg, load_unit, assisted, each_side, side, rpe)
select s.id, $1::uuid, $2::uuid,
       coalesce(s.exercise_id,
                (select e.id from exercises e
                 where e.owner_user_id = $2::uuid and lower(e.name) = lower(s.custom_name))),
       s.position, s.reps, s.reps_max, s.seconds, s.added_kg, s.assist_kg, s.load_unit,
       s.assisted, s.each_side, s.side, s.rpe
from jsonb_to_recordset($3::jsonb) as s(id uuid, exercise_id text, custom_name text, position int,
     reps int, reps_max int, seconds numeric, added_kg numeric, assist_kg numeric, load_unit text,
     assisted bool, each_side bool, side text, rpe numeric)`;

// db/chat.rs
export const INSERT_MESSAGE_BY_SUBJECT = `insert into chat_messages (id, user_id, client_message_id, role, body, status, result,
                           attempts, next_attempt_at)
select $1::uuid, u.id, $3::text, 'user', $4::text, $5::text, $6::jsonb,
       case when $7::int4 is null then 0 else 1 end,
       now() + make_interval(secs => $7::int4)
from users u
where u.auth_subject = $2::text
on conflict (user_id, client_message_id) do nothing`;

export const SELECT_MESSAGE_BY_SUBJECT = `select m.id, m.client_message_id, m.body, m.status, m.result, m.created_at, m.attempts,
       m.failure_reason, w.id as workout_id
from chat_messages m
join users u on u.id = m.user_id
left join workouts w on w.source_message_id = m.id
where u.auth_subject = $1::text and m.client_message_id = $2::text`;

export const COMPLETE_MESSAGE = `update chat_messages
set status = $2::text, result = $3::jsonb, next_attempt_at = null, failure_reason = null
where id = $1::uuid and status <> 'parsed'
  and ($4::int4 is null or (status = 'pending' and attempts = $4::int4))`;

export const BALANCE = `select credit_units from users where id = $1::uuid`;

export const SELECT_RECENT_VOLUME_BY_SUBJECT = `select w.id,
       coalesce(sum(s.reps * case when s.each_side then 2 else 1 end), 0)::int8 as reps,
       coalesce(sum(s.seconds * case when s.each_side then 2 else 1 end), 0)::float8 as seconds
from workouts w
join users u on u.id = w.user_id
left join workout_sets s on s.workout_id = w.id
where u.auth_subject = $1::text
group by w.id, w.performed_at
order by w.performed_at desc
limit 3`;
