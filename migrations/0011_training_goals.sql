-- 0011 training goals: how many days a week a person means to train (null: no goal),
-- and the weekdays they plan to rest on, a bit per weekday with Monday the lowest.
-- Weeks that reach the goal make the weekly streak; a planned rest day without
-- training neither counts toward nor breaks the daily streak.

alter table users
    add column weekly_goal_days smallint check (weekly_goal_days between 1 and 7),
    add column rest_days        smallint not null default 0 check (rest_days between 0 and 127);
