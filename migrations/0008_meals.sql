-- 0008 meals as the model reads them: what it identified, how sure it was, and which
-- model read it. The macros keep their columns (totals are summed in SQL); the items
-- are shown back as they were read and never queried, so they are jsonb.
alter table meals
    add column items      jsonb not null default '[]'::jsonb,
    add column confidence real check (confidence between 0 and 1),
    add column model      text;

-- A meal is either a photo or a description.
alter table meals add constraint meals_source_check
    check (upload_id is not null or description is not null);
