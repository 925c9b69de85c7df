//! Training statistics as pure rules: the local day and week an instant falls on,
//! training streaks, volume by category and a session's top set.
//!
//! Days are calendar dates in the person's timezone, decided here from instants (not
//! by the database), with the same tz database that validated the timezone. Weeks
//! start on Monday.
//!
//! Volume is work done: reps and hold seconds summed over sets. A set done on each
//! side is two sets of work, so "5 each side" counts 10 reps and "20 s each side" 40
//! seconds. A rep range ("8-10") counts its lower end, the reps surely done. Assisted
//! sets count: the work was done, it just is not a record.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::AddAssign;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use uuid::Uuid;

use super::profile::{RestDays, Timezone, WeeklyGoal};
use super::workout::{LoggedSet, SetFields, Side};

/// The calendar date of an instant in a timezone.
pub fn local_date(at: DateTime<Utc>, timezone: Timezone) -> NaiveDate {
    at.with_timezone(&timezone).date_naive()
}

fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

/// The Monday on or before `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    days_before(date, u64::from(date.weekday().num_days_from_monday()))
}

/// The Mondays of the `weeks` weeks that end with the one holding `today`, oldest first.
pub fn week_starts(today: NaiveDate, weeks: u32) -> Vec<NaiveDate> {
    let current = week_start(today);
    (0..u64::from(weeks))
        .rev()
        .map(|back| days_before(current, 7 * back))
        .collect()
}

/// An instant no later than the first moment of `date` in any timezone (offsets stay
/// within a day of UTC), for a database filter the exact local bucketing then refines.
pub fn earliest_instant_of(date: NaiveDate) -> DateTime<Utc> {
    days_before(date, 1)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

/// Reps and hold seconds of work.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Volume {
    pub reps: u64,
    pub hold_seconds: f64,
}

impl Volume {
    pub fn new(reps: u64, hold_seconds: f64) -> Self {
        Self { reps, hold_seconds }
    }

    fn times(self, factor: u64) -> Self {
        Self {
            reps: self.reps.saturating_mul(factor),
            hold_seconds: self.hold_seconds * factor as f64,
        }
    }

    /// The larger of each part: a left and a right side counted once.
    fn pair(self, other: Self) -> Self {
        Self {
            reps: self.reps.max(other.reps),
            hold_seconds: self.hold_seconds.max(other.hold_seconds),
        }
    }
}

/// How one-sided work counts in volume. By default a set done on each side, or a left
/// set with its right set, is one set's work: "5 each side" is 5 reps, like a
/// two-sided exercise's set of 5. Some people count every side's work (10 reps); the
/// profile's `count_sides_separately` says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SideCounting {
    #[default]
    PairOnce,
    EachSide,
}

impl SideCounting {
    pub fn from_count_sides_separately(separately: bool) -> Self {
        if separately {
            SideCounting::EachSide
        } else {
            SideCounting::PairOnce
        }
    }
}

/// Which sides a set's work was done on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sidedness {
    /// Both sides at once, as in a pull-up.
    Together,
    /// One side, then the other: "5 each side".
    EachSide,
    Only(Side),
}

impl Sidedness {
    pub fn new(each_side: bool, side: Option<Side>) -> Self {
        match (each_side, side) {
            (true, _) => Sidedness::EachSide,
            (false, Some(side)) => Sidedness::Only(side),
            (false, None) => Sidedness::Together,
        }
    }

    pub fn of(set: &SetFields) -> Self {
        Self::new(set.each_side, set.side)
    }
}

/// Work of one exercise in one session: what was done together or on each side, and
/// what was done on the left and on the right alone.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SidedWork {
    pub together: Volume,
    pub each_side: Volume,
    pub left: Volume,
    pub right: Volume,
}

impl SidedWork {
    pub fn add(&mut self, sidedness: Sidedness, volume: Volume) {
        let part = match sidedness {
            Sidedness::Together => &mut self.together,
            Sidedness::EachSide => &mut self.each_side,
            Sidedness::Only(Side::Left) => &mut self.left,
            Sidedness::Only(Side::Right) => &mut self.right,
        };
        *part += volume;
    }

    /// The volume it counts for: with `PairOnce`, each-side sets count once and the
    /// left and right sets pair up (the larger side counts, so an unpaired side still
    /// counts in full); with `EachSide`, every side's work counts.
    pub fn volume(&self, counting: SideCounting) -> Volume {
        let mut total = self.together;
        match counting {
            SideCounting::PairOnce => {
                total += self.each_side;
                total += self.left.pair(self.right);
            }
            SideCounting::EachSide => {
                total += self.each_side.times(2);
                total += self.left;
                total += self.right;
            }
        }
        total
    }
}

impl AddAssign for Volume {
    fn add_assign(&mut self, other: Self) {
        self.reps = self.reps.saturating_add(other.reps);
        self.hold_seconds += other.hold_seconds;
    }
}

/// What volume is counted under: the skill tree's branches, and `Other` for exercises
/// outside the tree (burpees, a person's own exercises).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VolumeCategory {
    Push,
    Pull,
    Legs,
    Core,
    Skill,
    Other,
}

impl VolumeCategory {
    pub const ALL: [VolumeCategory; 6] = [
        VolumeCategory::Push,
        VolumeCategory::Pull,
        VolumeCategory::Legs,
        VolumeCategory::Core,
        VolumeCategory::Skill,
        VolumeCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VolumeCategory::Push => "push",
            VolumeCategory::Pull => "pull",
            VolumeCategory::Legs => "legs",
            VolumeCategory::Core => "core",
            VolumeCategory::Skill => "skill",
            VolumeCategory::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == raw)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Volume per category.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CategoryVolumes([Volume; 6]);

impl CategoryVolumes {
    pub fn get(&self, category: VolumeCategory) -> Volume {
        self.0[category.index()]
    }

    pub fn add(&mut self, category: VolumeCategory, volume: Volume) {
        self.0[category.index()] += volume;
    }
}

/// The volume one workout did in one category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkoutVolume {
    pub workout_id: Uuid,
    pub performed_at: DateTime<Utc>,
    pub category: VolumeCategory,
    pub volume: Volume,
}

/// One exercise's work in one workout, before its sides are counted.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseWork {
    pub workout_id: Uuid,
    pub performed_at: DateTime<Utc>,
    pub exercise_id: String,
    pub category: VolumeCategory,
    pub work: SidedWork,
}

impl ExerciseWork {
    pub fn counted(&self, counting: SideCounting) -> WorkoutVolume {
        WorkoutVolume {
            workout_id: self.workout_id,
            performed_at: self.performed_at,
            category: self.category,
            volume: self.work.volume(counting),
        }
    }
}

/// One calendar week of training.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekSummary {
    /// The Monday the week starts on.
    pub week_start: NaiveDate,
    pub categories: CategoryVolumes,
    pub workouts: u32,
    pub training_days: u32,
}

/// Buckets workout volume into the `weeks` weeks ending with the one holding `today`
/// (oldest first, weeks without training included). Workouts outside those weeks are
/// left out.
pub fn weekly_volume(
    volumes: &[WorkoutVolume],
    timezone: Timezone,
    today: NaiveDate,
    weeks: u32,
) -> Vec<WeekSummary> {
    let starts = week_starts(today, weeks);
    let mut buckets: Vec<(WeekSummary, BTreeSet<Uuid>, BTreeSet<NaiveDate>)> = starts
        .iter()
        .map(|&week_start| {
            (
                WeekSummary {
                    week_start,
                    categories: CategoryVolumes::default(),
                    workouts: 0,
                    training_days: 0,
                },
                BTreeSet::new(),
                BTreeSet::new(),
            )
        })
        .collect();
    for volume in volumes {
        let day = local_date(volume.performed_at, timezone);
        let Ok(index) = starts.binary_search(&week_start(day)) else {
            continue;
        };
        let (week, workouts, days) = &mut buckets[index];
        week.categories.add(volume.category, volume.volume);
        workouts.insert(volume.workout_id);
        days.insert(day);
    }
    buckets
        .into_iter()
        .map(|(mut week, workouts, days)| {
            week.workouts = u32::try_from(workouts.len()).unwrap_or(u32::MAX);
            week.training_days = u32::try_from(days.len()).unwrap_or(u32::MAX);
            week
        })
        .collect()
}

/// Runs of consecutive training days, and of weeks that reached the weekly goal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Streak {
    /// The run ending today, or yesterday when nothing is logged today yet; else 0.
    pub current_days: u32,
    /// The longest run ever.
    pub longest_days: u32,
    /// Weeks in a row that reached the goal, ending with this week when it has
    /// already reached it, else with last week; `None` without a goal.
    pub current_weeks: Option<u32>,
    /// The longest such run; `None` without a goal.
    pub longest_weeks: Option<u32>,
}

/// The local dates on which the person trained.
pub fn training_days(
    performed_at: impl IntoIterator<Item = DateTime<Utc>>,
    timezone: Timezone,
) -> BTreeSet<NaiveDate> {
    performed_at
        .into_iter()
        .map(|at| local_date(at, timezone))
        .collect()
}

/// The streaks of `days` as seen on `today`. A planned rest day (`rest`) without
/// training neither counts nor breaks a run of days; today does not break one until it
/// is over. Days after today (a workout dated ahead) count toward the longest runs
/// only. Weeks start on Monday; the current week does not break the weekly run before
/// it ends.
pub fn streak(
    days: &BTreeSet<NaiveDate>,
    today: NaiveDate,
    rest: RestDays,
    goal: Option<WeeklyGoal>,
) -> Streak {
    let (current_days, longest_days) = daily_runs(days, today, rest);
    let weekly = goal.map(|goal| weekly_runs(days, today, goal));
    Streak {
        current_days,
        longest_days,
        current_weeks: weekly.map(|(current, _)| current),
        longest_weeks: weekly.map(|(_, longest)| longest),
    }
}

/// (current, longest) runs of training days, bridging planned rest days.
fn daily_runs(days: &BTreeSet<NaiveDate>, today: NaiveDate, rest: RestDays) -> (u32, u32) {
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return (0, 0);
    };
    let yesterday = days_before(today, 1);
    let (mut run, mut longest, mut current) = (0_u32, 0_u32, 0_u32);
    let mut day = first;
    while day <= last.max(today) {
        if days.contains(&day) {
            run = run.saturating_add(1);
            longest = longest.max(run);
        } else if !rest.contains(day.weekday()) && day != today {
            run = 0;
        }
        if day == yesterday || (day == today && days.contains(&day)) {
            current = run;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    (current, longest)
}

/// (current, longest) runs of weeks with at least `goal` training days.
fn weekly_runs(days: &BTreeSet<NaiveDate>, today: NaiveDate, goal: WeeklyGoal) -> (u32, u32) {
    let mut per_week: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for day in days {
        *per_week.entry(week_start(*day)).or_default() += 1;
    }
    let Some(&first) = per_week.keys().next() else {
        return (0, 0);
    };
    let this_week = week_start(today);
    let last = per_week
        .keys()
        .next_back()
        .copied()
        .unwrap_or(first)
        .max(this_week);
    let met = |week: NaiveDate| per_week.get(&week).copied().unwrap_or(0) >= goal.days();
    let (mut run, mut longest, mut current) = (0_u32, 0_u32, 0_u32);
    let mut week = first;
    while week <= last {
        if met(week) {
            run = run.saturating_add(1);
            longest = longest.max(run);
        } else if week != this_week {
            run = 0;
        }
        if week == days_before(this_week, 7) || (week == this_week && met(week)) {
            current = run;
        }
        match week.checked_add_days(Days::new(7)) {
            Some(next) => week = next,
            None => break,
        }
    }
    (current, longest)
}

/// This week against the goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekProgress {
    pub week_start: NaiveDate,
    pub training_days: u32,
    pub goal: Option<WeeklyGoal>,
}

pub fn this_week(
    days: &BTreeSet<NaiveDate>,
    today: NaiveDate,
    goal: Option<WeeklyGoal>,
) -> WeekProgress {
    let start = week_start(today);
    let end = start
        .checked_add_days(Days::new(7))
        .unwrap_or(NaiveDate::MAX);
    WeekProgress {
        week_start: start,
        training_days: u32::try_from(days.range(start..end).count()).unwrap_or(u32::MAX),
        goal,
    }
}

/// The work of one exercise's sets in one session, sides counted as `counting` says.
pub fn session_volume(sets: &[SetFields], counting: SideCounting) -> Volume {
    let mut work = SidedWork::default();
    for set in sets {
        work.add(
            Sidedness::of(set),
            Volume::new(u64::from(set.reps.unwrap_or(0)), set.seconds.unwrap_or(0.0)),
        );
    }
    work.volume(counting)
}

/// The index of a session's top set: unassisted before assisted, then the heaviest
/// load (added load less assistance: less help is heavier), then the most reps, then
/// the longest hold; the earliest set wins a tie.
pub fn top_set(sets: &[SetFields]) -> Option<usize> {
    let rank = |set: &SetFields| {
        (
            set.unassisted(),
            set.added_kg.unwrap_or(0.0) - set.assist_kg.unwrap_or(0.0),
            set.reps.unwrap_or(0),
            set.seconds.unwrap_or(0.0),
        )
    };
    let better = |candidate: &SetFields, best: &SetFields| {
        let (a, b) = (rank(candidate), rank(best));
        a.0.cmp(&b.0)
            .then(a.1.total_cmp(&b.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.total_cmp(&b.3))
            .is_gt()
    };
    let mut best: Option<usize> = None;
    for (index, set) in sets.iter().enumerate() {
        if best.is_none_or(|current| better(set, &sets[current])) {
            best = Some(index);
        }
    }
    best
}

/// A record value and the first session that reached it.
#[derive(Debug, Clone, PartialEq)]
pub struct Achieved<T> {
    pub value: T,
    pub achieved_at: DateTime<Utc>,
    pub workout_id: Uuid,
}

/// A record load (the heaviest added, or the least assistance) and what was done
/// with it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadRecord {
    pub kg: f64,
    pub reps: Option<u32>,
    pub seconds: Option<f64>,
    /// The unit the load was written in.
    pub load_unit: Option<String>,
}

/// One exercise's records.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonalRecord {
    pub exercise_id: String,
    pub name: String,
    pub category: VolumeCategory,
    pub custom: bool,
    pub sessions: u32,
    pub last_performed_at: DateTime<Utc>,
    pub max_reps: Option<Achieved<u32>>,
    pub max_seconds: Option<Achieved<f64>>,
    pub max_added_kg: Option<Achieved<LoadRecord>>,
    /// The least band or machine help a set was done with: less is progress.
    pub min_assist_kg: Option<Achieved<LoadRecord>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseInfo {
    pub id: String,
    pub name: String,
    pub category: VolumeCategory,
    pub custom: bool,
}

/// One workout's sets of one exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseSession {
    pub workout_id: Uuid,
    pub performed_at: DateTime<Utc>,
    pub sets: Vec<LoggedSet>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Timezone {
        name.parse().unwrap()
    }

    use tora_test_support::at;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn instants_fall_on_the_local_calendar_date() {
        let cases = [
            // 23:30 in Berlin (winter, UTC+1) is still that evening's date.
            ("2026-11-24T22:30:00Z", "Europe/Berlin", "2026-11-24"),
            // 00:30 in Berlin is the next date although UTC is still on the previous one.
            ("2026-11-24T23:30:00Z", "Europe/Berlin", "2026-11-25"),
            // Summer time (UTC+2): 23:30 local is 21:30Z.
            ("2026-07-01T21:30:00Z", "Europe/Berlin", "2026-07-01"),
            ("2026-07-01T22:30:00Z", "Europe/Berlin", "2026-07-02"),
            // The night clocks go forward (29 March 2026, 02:00 → 03:00): 00:30 local
            // is 23:30Z the day before, 03:30 local is 01:30Z.
            ("2026-03-28T23:30:00Z", "Europe/Berlin", "2026-03-29"),
            ("2026-03-29T01:30:00Z", "Europe/Berlin", "2026-03-29"),
            // The night clocks go back (25 October 2026): 02:30 happens twice, both
            // on the 25th; 23:30 that evening is already UTC+1.
            ("2026-10-25T00:30:00Z", "Europe/Berlin", "2026-10-25"),
            ("2026-10-25T01:30:00Z", "Europe/Berlin", "2026-10-25"),
            ("2026-10-25T22:30:00Z", "Europe/Berlin", "2026-10-25"),
            ("2026-10-25T23:30:00Z", "Europe/Berlin", "2026-10-26"),
            // West of UTC: an evening session is the previous UTC day locally.
            ("2026-11-02T03:00:00Z", "America/New_York", "2026-11-01"),
            ("2026-11-02T05:00:00Z", "America/New_York", "2026-11-02"),
            // Far east: Auckland summer is UTC+13.
            ("2026-01-05T10:59:00Z", "Pacific/Auckland", "2026-01-05"),
            ("2026-01-05T11:00:00Z", "Pacific/Auckland", "2026-01-06"),
            // Half-hour offsets.
            ("2026-05-01T18:29:00Z", "Asia/Kolkata", "2026-05-01"),
            ("2026-05-01T18:30:00Z", "Asia/Kolkata", "2026-05-02"),
            ("2026-05-01T23:59:59Z", "UTC", "2026-05-01"),
        ];
        for (instant, timezone, expected) in cases {
            assert_eq!(
                local_date(at(instant), zone(timezone)),
                date(expected),
                "{instant} in {timezone}"
            );
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        let cases = [
            ("2026-11-23", "2026-11-23"), // Monday
            ("2026-11-25", "2026-11-23"),
            ("2026-11-29", "2026-11-23"), // Sunday
            ("2026-11-30", "2026-11-30"),
            ("2027-01-01", "2026-12-28"), // across a year
            ("2024-03-01", "2024-02-26"), // across a leap day
        ];
        for (day, monday) in cases {
            assert_eq!(week_start(date(day)), date(monday), "{day}");
        }
        assert_eq!(
            week_starts(date("2026-11-25"), 3),
            [date("2026-11-09"), date("2026-11-16"), date("2026-11-23")]
        );
        assert_eq!(week_starts(date("2026-11-25"), 1), [date("2026-11-23")]);
    }

    #[test]
    fn the_database_bound_is_before_local_midnight_everywhere() {
        let day = date("2026-03-30");
        let bound = earliest_instant_of(day);
        for timezone in [
            "Pacific/Kiritimati",
            "Pacific/Auckland",
            "Europe/Berlin",
            "UTC",
            "Pacific/Pago_Pago",
        ] {
            // The first instant whose local date is `day` comes after the bound.
            let midnight = day
                .and_time(chrono::NaiveTime::MIN)
                .and_local_timezone(zone(timezone))
                .earliest()
                .unwrap()
                .with_timezone(&Utc);
            assert!(bound <= midnight, "{timezone}");
        }
    }

    fn workout(id: u128, instant: &str, category: VolumeCategory, reps: u64) -> WorkoutVolume {
        WorkoutVolume {
            workout_id: Uuid::from_u128(id),
            performed_at: at(instant),
            category,
            volume: Volume {
                reps,
                hold_seconds: 0.0,
            },
        }
    }

    #[test]
    fn volume_is_bucketed_into_local_weeks_including_empty_ones() {
        let berlin = zone("Europe/Berlin");
        let volumes = [
            // Sunday 29 March 23:30 CEST (the day clocks went forward): week of 23 March.
            workout(1, "2026-03-29T21:30:00Z", VolumeCategory::Pull, 10),
            // Monday 30 March 00:30 CEST, still Sunday in UTC: week of 30 March.
            workout(2, "2026-03-29T22:30:00Z", VolumeCategory::Pull, 7),
            // The same workout's push volume, and a second workout the same day.
            workout(2, "2026-03-29T22:30:00Z", VolumeCategory::Push, 20),
            workout(3, "2026-03-30T17:00:00Z", VolumeCategory::Other, 5),
            // Wednesday: another day of the same week.
            workout(4, "2026-04-01T17:00:00Z", VolumeCategory::Legs, 30),
            // Too old for three weeks.
            workout(5, "2026-03-15T12:00:00Z", VolumeCategory::Core, 99),
        ];
        let weeks = weekly_volume(&volumes, berlin, date("2026-04-02"), 3);
        let starts: Vec<_> = weeks.iter().map(|week| week.week_start).collect();
        assert_eq!(
            starts,
            [date("2026-03-16"), date("2026-03-23"), date("2026-03-30")]
        );
        assert_eq!(weeks[0].workouts, 0, "an empty week is still shown");
        assert_eq!(weeks[0].categories, CategoryVolumes::default());
        assert_eq!(weeks[1].categories.get(VolumeCategory::Pull).reps, 10);
        assert_eq!(weeks[1].workouts, 1);
        assert_eq!(weeks[2].categories.get(VolumeCategory::Pull).reps, 7);
        assert_eq!(weeks[2].categories.get(VolumeCategory::Push).reps, 20);
        assert_eq!(weeks[2].categories.get(VolumeCategory::Other).reps, 5);
        assert_eq!(weeks[2].categories.get(VolumeCategory::Legs).reps, 30);
        assert_eq!(weeks[2].categories.get(VolumeCategory::Core).reps, 0);
        assert_eq!(weeks[2].workouts, 3);
        assert_eq!(weeks[2].training_days, 2);
        // The same instants in UTC land in other weeks: the bucketing is local.
        let utc = weekly_volume(&volumes, Timezone::utc(), date("2026-04-02"), 3);
        assert_eq!(utc[1].categories.get(VolumeCategory::Pull).reps, 17);
    }

    #[test]
    fn sides_pair_once_by_default_and_count_each_when_asked() {
        let sets = [
            SetFields {
                reps: Some(5),
                each_side: true,
                ..SetFields::default()
            },
            SetFields {
                seconds: Some(20.0),
                each_side: true,
                ..SetFields::default()
            },
            SetFields {
                reps: Some(8),
                assisted: true,
                ..SetFields::default()
            },
            SetFields {
                reps: Some(6),
                side: Some(Side::Left),
                ..SetFields::default()
            },
            SetFields {
                reps: Some(4),
                side: Some(Side::Right),
                ..SetFields::default()
            },
        ];
        // 5 each side once, 8 together, the left+right pair as its larger side (6).
        assert_eq!(
            session_volume(&sets, SideCounting::PairOnce),
            Volume::new(19, 20.0)
        );
        // 5 twice, 8, then 6 and 4.
        assert_eq!(
            session_volume(&sets, SideCounting::EachSide),
            Volume::new(28, 40.0)
        );
        // An unpaired side still counts in full.
        let left_only = [SetFields {
            reps: Some(7),
            side: Some(Side::Left),
            ..SetFields::default()
        }];
        assert_eq!(
            session_volume(&left_only, SideCounting::PairOnce),
            Volume::new(7, 0.0)
        );
    }

    fn days(list: &[&str]) -> BTreeSet<NaiveDate> {
        list.iter().map(|day| date(day)).collect()
    }

    #[test]
    fn streaks_count_consecutive_local_days() {
        let today = "2026-11-25";
        let cases: [(&[&str], u32, u32); 10] = [
            (&[], 0, 0),
            (&["2026-11-25"], 1, 1),
            // Nothing today yet: the run ending yesterday is still current.
            (&["2026-11-23", "2026-11-24"], 2, 2),
            // Today extends it.
            (&["2026-11-23", "2026-11-24", "2026-11-25"], 3, 3),
            // The day before yesterday is too long ago.
            (&["2026-11-22", "2026-11-23"], 0, 2),
            // A longer run in the past.
            (
                &[
                    "2026-10-01",
                    "2026-10-02",
                    "2026-10-03",
                    "2026-10-04",
                    "2026-11-25",
                ],
                1,
                4,
            ),
            // Across a month and a year end.
            (&["2026-10-31", "2026-11-01"], 0, 2),
            (&["2025-12-31", "2026-01-01", "2026-01-02"], 0, 3),
            // A day ahead (a workout dated tomorrow) is not part of the current run.
            (&["2026-11-25", "2026-11-26"], 1, 2),
            // Across a leap day.
            (&["2024-02-28", "2024-02-29", "2024-03-01"], 0, 3),
        ];
        for (list, current, longest) in cases {
            assert_eq!(
                streak(&days(list), date(today), RestDays::NONE, None),
                Streak {
                    current_days: current,
                    longest_days: longest,
                    ..Streak::default()
                },
                "{list:?}"
            );
        }
    }

    #[test]
    fn planned_rest_days_bridge_the_daily_streak_without_counting() {
        let weekend = RestDays::parse(&["sat", "sun"]).unwrap();
        // Mon 2026-11-16 .. Fri 11-20 trained, the weekend rested, Mon 11-23 trained.
        let trained = days(&[
            "2026-11-16",
            "2026-11-17",
            "2026-11-18",
            "2026-11-19",
            "2026-11-20",
            "2026-11-23",
        ]);
        let on = |today: &str, rest| streak(&trained, date(today), rest, None);
        assert_eq!(
            on("2026-11-23", weekend).current_days,
            6,
            "five days, rest, one day"
        );
        assert_eq!(on("2026-11-23", RestDays::NONE).current_days, 1);
        // On the Sunday itself, the run is still alive.
        let until_friday = days(&["2026-11-19", "2026-11-20"]);
        assert_eq!(
            streak(&until_friday, date("2026-11-22"), weekend, None).current_days,
            2
        );
        assert_eq!(
            streak(&until_friday, date("2026-11-22"), RestDays::NONE, None).current_days,
            0
        );
        // An unplanned day off still breaks it: Tuesday 11-24 is not a rest day.
        assert_eq!(on("2026-11-25", weekend).current_days, 0);
        assert_eq!(on("2026-11-25", weekend).longest_days, 6);
        // Training on a rest day counts.
        let with_saturday = days(&["2026-11-20", "2026-11-21", "2026-11-23"]);
        assert_eq!(
            streak(&with_saturday, date("2026-11-23"), weekend, None).current_days,
            3
        );
    }

    #[test]
    fn weeks_that_reach_the_goal_make_the_weekly_streak() {
        let goal = WeeklyGoal::new(3).ok();
        // Weeks of 11-02 (3 days), 11-09 (4), 11-16 (3): three weeks met.
        let trained = days(&[
            "2026-11-02",
            "2026-11-04",
            "2026-11-06",
            "2026-11-09",
            "2026-11-10",
            "2026-11-12",
            "2026-11-14",
            "2026-11-16",
            "2026-11-18",
            "2026-11-22",
        ]);
        // Wednesday 11-25 of a week with one day so far: still three, not broken.
        let mut with_this_week = trained.clone();
        with_this_week.insert(date("2026-11-23"));
        let now = streak(&with_this_week, date("2026-11-25"), RestDays::NONE, goal);
        assert_eq!((now.current_weeks, now.longest_weeks), (Some(3), Some(3)));
        // Once this week reaches the goal, it counts.
        with_this_week.extend([date("2026-11-24"), date("2026-11-25")]);
        let now = streak(&with_this_week, date("2026-11-25"), RestDays::NONE, goal);
        assert_eq!((now.current_weeks, now.longest_weeks), (Some(4), Some(4)));
        // A week below the goal breaks it; the daily streak is unaffected by weeks.
        let later = streak(&trained, date("2026-12-02"), RestDays::NONE, goal);
        assert_eq!(
            (later.current_weeks, later.longest_weeks),
            (Some(0), Some(3))
        );
        // No goal, no weekly streak.
        let none = streak(&trained, date("2026-11-25"), RestDays::NONE, None);
        assert_eq!((none.current_weeks, none.longest_weeks), (None, None));
        let progress = this_week(&with_this_week, date("2026-11-25"), goal);
        assert_eq!(progress.week_start, date("2026-11-23"));
        assert_eq!(progress.training_days, 3);
    }

    #[test]
    fn late_evening_workouts_keep_the_streak_in_the_users_zone() {
        // Three evenings at 23:30 Berlin time, across the night clocks go forward.
        // In UTC the first two are 22:30Z and the last 21:30Z: still three dates.
        let instants = [
            at("2026-03-27T22:30:00Z"),
            at("2026-03-28T22:30:00Z"),
            at("2026-03-29T21:30:00Z"),
        ];
        let berlin = training_days(instants, zone("Europe/Berlin"));
        assert_eq!(
            streak(&berlin, date("2026-03-30"), RestDays::NONE, None),
            Streak {
                current_days: 3,
                longest_days: 3,
                ..Streak::default()
            }
        );
        // Two sessions around local midnight are two days, one in UTC.
        let around_midnight = [at("2026-11-24T22:30:00Z"), at("2026-11-24T23:30:00Z")];
        assert_eq!(
            training_days(around_midnight, zone("Europe/Berlin")).len(),
            2
        );
        assert_eq!(training_days(around_midnight, Timezone::utc()).len(), 1);
    }

    fn set(reps: Option<u32>, seconds: Option<f64>, added_kg: Option<f64>) -> SetFields {
        SetFields {
            reps,
            seconds,
            added_kg,
            ..SetFields::default()
        }
    }

    #[test]
    fn the_top_set_is_the_heaviest_then_the_longest() {
        let cases: [(Vec<SetFields>, Option<usize>); 7] = [
            (vec![], None),
            (
                vec![set(Some(8), None, None), set(Some(10), None, None)],
                Some(1),
            ),
            // A tie goes to the earliest set.
            (
                vec![set(Some(8), None, None), set(Some(8), None, None)],
                Some(0),
            ),
            // Load beats reps.
            (
                vec![set(Some(12), None, None), set(Some(3), None, Some(10.0))],
                Some(1),
            ),
            // Holds compare by seconds.
            (
                vec![set(None, Some(20.0), None), set(None, Some(25.5), None)],
                Some(1),
            ),
            // An assisted set is never above an unassisted one...
            (
                vec![
                    SetFields {
                        reps: Some(10),
                        assisted: true,
                        ..SetFields::default()
                    },
                    set(Some(2), None, None),
                ],
                Some(1),
            ),
            // ...and less assistance is better.
            (
                vec![
                    SetFields {
                        reps: Some(8),
                        assist_kg: Some(20.0),
                        assisted: true,
                        ..SetFields::default()
                    },
                    SetFields {
                        reps: Some(5),
                        assist_kg: Some(10.0),
                        assisted: true,
                        ..SetFields::default()
                    },
                ],
                Some(1),
            ),
        ];
        for (sets, expected) in cases {
            assert_eq!(top_set(&sets), expected, "{sets:?}");
        }
    }

    #[test]
    fn categories_round_trip() {
        for category in VolumeCategory::ALL {
            assert_eq!(VolumeCategory::parse(category.as_str()), Some(category));
        }
        assert_eq!(VolumeCategory::parse("cardio"), None);
    }
}
