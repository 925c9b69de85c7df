-- 0002 workout logging: what chat-driven logging and custom exercises need on top of
-- the core schema.

-- A chat message produces at most one workout. Two concurrent retries of the same
-- message both try to insert it; the loser's transaction fails on this constraint and
-- it answers with the winner's stored result instead.
alter table workouts
    add constraint workouts_source_message_key unique (source_message_id);

-- A person's custom exercise is found again by its name, whatever the case.
create unique index exercises_owner_name on exercises (owner_user_id, lower(name))
    where owner_user_id is not null;

-- Personal records and per-exercise history read sets by exercise in time order.
create index workout_sets_workout on workout_sets (workout_id, position);

-- What the skill rules need besides the state: whether the person ever logged the
-- skill (a skill logged while still locked opens as `unlocked`, not `available`), and
-- their best single-session progress toward its goal (0 to 1), so the tree can be
-- shown without replaying the whole history.
alter table user_skill_states
    add column practised boolean not null default false,
    add column best_progress real not null default 0 check (best_progress between 0 and 1);
