-- 0004 inferred mastery: mastering a skill shows its whole prerequisite chain, so
-- those skills count as mastered too (whoever does a pull-up can do a dead hang). They
-- were never shown in a logged session, though, and are re-derived from the proven
-- ones whenever those change: deleting the workout that proved a pull-up takes the
-- dead hang back unless another proven skill still requires it. So they are kept
-- apart from proven mastery.
--
-- A boolean defaulting to false, rather than a required proven/inferred label on
-- every mastered row, so the code deployed before this column exists keeps working
-- until the new code is out: it only ever writes proven masteries, which is what
-- false means.
alter table user_skill_states
    add column inferred boolean not null default false,
    add constraint user_skill_states_inferred_only_when_mastered
        check (not inferred or state = 'mastered');
