-- 0013 set loads: assistance as its own amount, one-sided sets, and how volume counts
-- sides.
--
-- A band or machine helping a set was written as a negative added_kg. It is now
-- assist_kg, always positive, beside added_kg (a vest and a band at once is still one
-- set); a smaller assist_kg is progress. `side` says which side a one-sided set was
-- done on; a set done on each side says so with each_side instead, never both.
alter table workout_sets
    add column assist_kg numeric(7, 2) check (assist_kg > 0),
    add column side      text check (side in ('left', 'right')),
    add constraint workout_sets_one_side_or_each check (not (each_side and side is not null));

update workout_sets
set assist_kg = -added_kg, added_kg = null, assisted = true
where added_kg < 0;

alter table workout_sets
    add constraint workout_sets_added_kg_not_negative check (added_kg >= 0),
    add constraint workout_sets_assist_is_assisted check (assist_kg is null or assisted);

-- Volume counts a left+right pair (or a set done on each side) once by default; some
-- people count every side's work.
alter table users
    add column count_sides_separately boolean not null default false;
