//! `/v1/stats`: weekly volume by category, streaks and personal records in the
//! caller's timezone, and one exercise's history.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, read};

const BERLIN: &str = "Europe/Berlin";

async fn get(
    stack: &Stack,
    user: &TestUser,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    read(stack.authed(Method::GET, path, user).send().await.unwrap()).await
}

async fn log(stack: &Stack, user: &TestUser, performed_at: &str, entries: Value) -> Value {
    stack
        .log_workout(
            user,
            &json!({"performed_at": performed_at, "entries": entries}),
        )
        .await
}

async fn patch_me(stack: &Stack, user: &TestUser, change: Value) -> (u16, Value) {
    let (status, _, body) = read(
        stack
            .authed(Method::PATCH, "/v1/me", user)
            .json(&change)
            .send()
            .await
            .unwrap(),
    )
    .await;
    (status, body)
}

async fn set_timezone(stack: &Stack, user: &TestUser, timezone: &str) {
    let (status, body) = patch_me(stack, user, json!({"timezone": timezone})).await;
    assert_eq!(status, 200, "{body}");
}

/// One text value computed by the database, whose clock the worker shares.
async fn scalar(stack: &Stack, query: &str, params: &[&str]) -> String {
    let rows = stack.sql(query, params).await;
    rows[0][0].as_str().unwrap().to_owned()
}

/// The RFC 3339 UTC instant of wall-clock `time` in `zone`, `days` days after the
/// Monday of the current week there.
async fn in_week(stack: &Stack, zone: &str, days: i32, time: &str) -> String {
    scalar(
        stack,
        "select to_char((((date_trunc('week', now() at time zone $1::text)::date + $2::int4)
                          + $3::time) at time zone $1::text) at time zone 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        &[zone, &days.to_string(), time],
    )
    .await
}

/// The same, `days` days after today there (negative: before).
async fn from_today(stack: &Stack, zone: &str, days: i32, time: &str) -> String {
    scalar(
        stack,
        "select to_char(((((now() at time zone $1::text)::date + $2::int4) + $3::time)
                          at time zone $1::text) at time zone 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
        &[zone, &days.to_string(), time],
    )
    .await
}

/// The Monday `weeks` weeks after the current one in `zone` (negative: before).
async fn monday(stack: &Stack, zone: &str, weeks: i32) -> String {
    scalar(
        stack,
        "select to_char(date_trunc('week', now() at time zone $1::text)::date + 7 * $2::int4,
                        'YYYY-MM-DD')",
        &[zone, &weeks.to_string()],
    )
    .await
}

fn volume(week: &Value, category: &str) -> (i64, f64) {
    let volume = &week["categories"][category];
    (
        volume["reps"].as_i64().unwrap(),
        volume["hold_seconds"].as_f64().unwrap(),
    )
}

#[tokio::test]
async fn weekly_volume_is_bucketed_by_category_in_the_users_weeks() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    set_timezone(&stack, &user, BERLIN).await;

    // Two weeks ago, Wednesday: a custom exercise is `other` volume.
    let farmer = in_week(&stack, BERLIN, -12, "12:00").await;
    log(
        &stack,
        &user,
        &farmer,
        json!([{"custom_exercise": "Farmer walk", "sets": [{"seconds": 60}, {"seconds": 45.5}]}]),
    )
    .await;
    // Last week's Sunday at 23:30 in Berlin.
    let sunday_night = in_week(&stack, BERLIN, -1, "23:30").await;
    log(&stack, &user, &sunday_night, json!([{"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 8, "added_kg": 10, "load_unit": "kg"}]}])).await;
    // This week's Monday at 00:30 in Berlin, still Sunday in UTC: this week here.
    let monday_morning = in_week(&stack, BERLIN, 0, "00:30").await;
    assert!(
        monday_morning.contains("T22:30") || monday_morning.contains("T23:30"),
        "{monday_morning}"
    );
    log(
        &stack,
        &user,
        &monday_morning,
        json!([
            {"exercise": "split_squat", "sets": [{"reps": 5, "each_side": true}, {"reps": 5, "each_side": true}]},
            {"exercise": "push_up", "sets": [{"reps": 12}, {"reps": 10, "assisted": true}]},
            {"exercise": "plank", "sets": [{"seconds": 60}]},
            {"exercise": "burpee", "sets": [{"reps": 6, "reps_max": 10}]}
        ]),
    )
    .await;
    // Long before the window: not in the weeks, still in the records.
    log(
        &stack,
        &user,
        "2025-01-15T18:00:00Z",
        json!([{"exercise": "pull_up", "sets": [{"reps": 3}]}]),
    )
    .await;

    let (status, headers, body) = get(&stack, &user, "/v1/stats/summary?weeks=3").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["timezone"], BERLIN);
    let weeks = body["weeks"].as_array().unwrap();
    let starts: Vec<&str> = weeks
        .iter()
        .map(|week| week["week_start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            monday(&stack, BERLIN, -2).await,
            monday(&stack, BERLIN, -1).await,
            monday(&stack, BERLIN, 0).await
        ]
    );

    assert_eq!(volume(&weeks[0], "other"), (0, 105.5));
    assert_eq!(weeks[0]["workouts"], 1);
    assert_eq!(volume(&weeks[1], "pull"), (16, 0.0));
    assert_eq!(volume(&weeks[1], "legs"), (0, 0.0));
    // An each-side set counts once by default; assisted sets are work too; a range
    // counts its start.
    assert_eq!(volume(&weeks[2], "legs"), (10, 0.0));
    assert_eq!(volume(&weeks[2], "push"), (22, 0.0));
    assert_eq!(volume(&weeks[2], "core"), (0, 60.0));
    assert_eq!(volume(&weeks[2], "other"), (6, 0.0));
    assert_eq!(volume(&weeks[2], "pull"), (0, 0.0));
    assert_eq!(volume(&weeks[2], "skill"), (0, 0.0));
    assert_eq!(weeks[2]["workouts"], 1);
    assert_eq!(weeks[2]["training_days"], 1);

    // Eight weeks by default, the quiet ones with zeros, the current one last.
    let (status, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(status, 200, "{body}");
    let weeks = body["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 8);
    assert_eq!(weeks[0]["week_start"], monday(&stack, BERLIN, -7).await);
    assert_eq!(weeks[0]["workouts"], 0);
    assert_eq!(volume(&weeks[0], "pull"), (0, 0.0));
    assert_eq!(volume(&weeks[7], "legs"), (10, 0.0));

    // Counting every side's work, the each-side sets count twice.
    let (status, me) = patch_me(&stack, &user, json!({"count_sides_separately": true})).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["count_sides_separately"], true);
    let (status, _, body) = get(&stack, &user, "/v1/stats/summary?weeks=1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(volume(&body["weeks"][0], "legs"), (20, 0.0));
}

#[tokio::test]
async fn streaks_count_training_days_in_the_users_timezone() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    set_timezone(&stack, &user, BERLIN).await;
    let squats = json!([{"exercise": "squat", "sets": [{"reps": 20}]}]);

    // Nothing logged: no streak.
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(
        body["streak"],
        json!({"current_days": 0, "longest_days": 0, "current_weeks": null, "longest_weeks": null})
    );
    assert_eq!(body["personal_records"], json!([]));

    // A four-day run weeks ago; the day before yesterday at noon and yesterday at 23:30.
    for (day, time) in [
        (-20, "12:00"),
        (-19, "12:00"),
        (-18, "12:00"),
        (-17, "12:00"),
        (-2, "12:00"),
        (-1, "23:30"),
    ] {
        let at = from_today(&stack, BERLIN, day, time).await;
        log(&stack, &user, &at, squats.clone()).await;
    }
    // Nothing today yet: the run ending yesterday is current.
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(
        body["streak"],
        json!({"current_days": 2, "longest_days": 4, "current_weeks": null, "longest_weeks": null}),
        "{body}"
    );

    // Today at 00:15 in Berlin (the previous evening in UTC) extends it.
    let at = from_today(&stack, BERLIN, 0, "00:15").await;
    log(&stack, &user, &at, squats.clone()).await;
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(
        body["streak"],
        json!({"current_days": 3, "longest_days": 4, "current_weeks": null, "longest_weeks": null}),
        "{body}"
    );

    // In UTC, yesterday 23:30 and today 00:15 Berlin are one date: the streak follows
    // the profile's timezone.
    set_timezone(&stack, &user, "UTC").await;
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(body["timezone"], "UTC");
    assert_eq!(
        body["streak"],
        json!({"current_days": 2, "longest_days": 4, "current_weeks": null, "longest_weeks": null}),
        "{body}"
    );
}

#[tokio::test]
async fn a_streak_broken_two_days_ago_is_not_current() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    set_timezone(&stack, &user, BERLIN).await;
    for day in [-3, -2] {
        let at = from_today(&stack, BERLIN, day, "12:00").await;
        log(
            &stack,
            &user,
            &at,
            json!([{"exercise": "squat", "sets": [{"reps": 20}]}]),
        )
        .await;
    }
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(
        body["streak"],
        json!({"current_days": 0, "longest_days": 2, "current_weeks": null, "longest_weeks": null})
    );
}

#[tokio::test]
async fn personal_records_are_the_first_best_unassisted_sets() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let first = log(
        &stack,
        &user,
        "2026-11-02T18:00:00Z",
        json!([
            {"exercise": "pull_up", "sets": [{"reps": 10}, {"reps": 15, "assisted": true}, {"reps": 14, "added_kg": -20, "load_unit": "kg"}]},
            {"exercise": "plank", "sets": [{"seconds": 45}]},
            {"custom_exercise": "Farmer walk", "sets": [{"seconds": 60}]}
        ]),
    )
    .await;
    let second = log(
        &stack,
        &user,
        "2026-11-09T18:00:00Z",
        json!([
            {"exercise": "pull_up", "sets": [{"reps": 10}, {"reps": 5, "added_kg": 10, "load_unit": "kg"}, {"reps": 3, "added_kg": 10, "load_unit": "kg"}]},
            {"exercise": "plank", "sets": [{"seconds": 62.5}, {"seconds": 90, "assisted": true}]}
        ]),
    )
    .await;
    let third = log(
        &stack,
        &user,
        "2026-11-16T18:00:00Z",
        json!([{"exercise": "pull_up", "sets": [{"reps": 2, "added_kg": 11.3, "load_unit": "lb"}]}]),
    )
    .await;

    let (status, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(status, 200, "{body}");
    let records = body["personal_records"].as_array().unwrap();
    let names: Vec<&str> = records
        .iter()
        .map(|record| record["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Farmer walk", "Plank", "Pull-up"], "sorted by name");

    let pull_up = &records[2];
    assert_eq!(pull_up["exercise"], "pull_up");
    assert_eq!(pull_up["category"], "pull");
    assert_eq!(pull_up["custom"], false);
    assert_eq!(pull_up["sessions"], 3);
    assert_eq!(pull_up["last_performed_at"], "2026-11-16T18:00:00.000Z");
    // 10 reps, first reached in the first session; the assisted 15 and the
    // counterweighted 14 are not records.
    assert_eq!(
        pull_up["max_reps"],
        json!({"reps": 10, "achieved_at": "2026-11-02T18:00:00.000Z", "workout_id": first["id"]})
    );
    assert_eq!(pull_up["max_seconds"], Value::Null);
    // 11.3 kg (written as 25 lb) is heavier than 10 kg.
    assert_eq!(
        pull_up["max_added_kg"],
        json!({"added_kg": 11.3, "reps": 2, "seconds": null, "load_unit": "lb",
               "achieved_at": "2026-11-16T18:00:00.000Z", "workout_id": third["id"]})
    );

    let plank = &records[1];
    assert_eq!(plank["category"], "core");
    assert_eq!(plank["max_seconds"]["seconds"], 62.5);
    assert_eq!(plank["max_seconds"]["workout_id"], second["id"]);
    assert_eq!(plank["max_reps"], Value::Null);
    assert_eq!(plank["max_added_kg"], Value::Null);

    let farmer = &records[0];
    assert_eq!(farmer["custom"], true);
    assert_eq!(farmer["category"], "other");
    assert_eq!(farmer["max_seconds"]["seconds"], 60.0);
}

#[tokio::test]
async fn exercise_history_lists_each_session_oldest_first() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    set_timezone(&stack, &user, BERLIN).await;
    let older = log(
        &stack,
        &user,
        "2026-11-10T17:00:00Z",
        json!([{"exercise": "pull_up", "sets": [{"reps": 8}, {"reps": 6}]}]),
    )
    .await;
    let newer = log(
        &stack,
        &user,
        "2026-11-17T17:00:00Z",
        json!([
            {"exercise": "pull_up", "sets": [{"reps": 8}]},
            {"exercise": "dip", "sets": [{"reps": 10}]},
            {"exercise": "pull_up", "sets": [{"reps": 5, "added_kg": 10, "load_unit": "kg"}, {"reps": 12, "assisted": true}]}
        ]),
    )
    .await;
    log(
        &stack,
        &user,
        "2026-11-18T17:00:00Z",
        json!([{"exercise": "dip", "sets": [{"reps": 10}]}]),
    )
    .await;

    let (status, _, body) = get(&stack, &user, "/v1/stats/exercises/pull_up").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["exercise"], "pull_up");
    assert_eq!(body["name"], "Pull-up");
    assert_eq!(body["custom"], false);
    assert_eq!(
        body["sessions"],
        json!([
            {"workout_id": older["id"], "performed_at": "2026-11-10T17:00:00.000Z",
             "best_set": {"reps": 8}, "volume": {"reps": 14, "hold_seconds": 0.0}, "sets": 2},
            {"workout_id": newer["id"], "performed_at": "2026-11-17T17:00:00.000Z",
             "best_set": {"reps": 5, "added_kg": 10.0, "load_unit": "kg"},
             "volume": {"reps": 25, "hold_seconds": 0.0}, "sets": 3}
        ])
    );

    // `from` is a date in the caller's timezone: midnight of 11 November in Berlin.
    let (status, _, body) = get(&stack, &user, "/v1/stats/exercises/pull_up?from=2026-11-11").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(body["sessions"][0]["workout_id"], newer["id"]);
    // `to` is exclusive.
    let (_, _, body) = get(
        &stack,
        &user,
        "/v1/stats/exercises/pull_up?from=2026-11-01&to=2026-11-17T17:00:00Z",
    )
    .await;
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(body["sessions"][0]["workout_id"], older["id"]);

    // A catalog exercise never logged has no sessions.
    let (status, _, body) = get(&stack, &user, "/v1/stats/exercises/front_lever").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Full front lever");
    assert_eq!(body["sessions"], json!([]));
}

#[tokio::test]
async fn a_custom_exercise_has_a_history_for_its_owner_only() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let workout = log(
        &stack,
        &user,
        "2026-11-20T08:00:00Z",
        json!([{"custom_exercise": "Farmer walk", "sets": [{"seconds": 60, "added_kg": 24, "load_unit": "kg"}, {"seconds": 40, "each_side": true}]}]),
    )
    .await;
    let id = workout["entries"][0]["exercise"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, _, body) = get(&stack, &user, &format!("/v1/stats/exercises/{id}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Farmer walk");
    assert_eq!(body["custom"], true);
    assert_eq!(body["category"], "other");
    assert_eq!(
        body["sessions"][0]["volume"],
        json!({"reps": 0, "hold_seconds": 100.0}),
        "a hold done on each side counts once by default"
    );
    assert_eq!(body["sessions"][0]["best_set"]["added_kg"], 24.0);

    let stranger = stack.new_user();
    let (status, headers, body) =
        get(&stack, &stranger, &format!("/v1/stats/exercises/{id}")).await;
    assert_problem(status, &headers, &body, 404, "not-found");
}

#[tokio::test]
async fn bad_stats_input_is_refused_with_the_parameter_named() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    for query in ["weeks=0", "weeks=53", "weeks=four", "weeks=-1"] {
        let (status, headers, body) =
            get(&stack, &user, &format!("/v1/stats/summary?{query}")).await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], "weeks", "{query}");
    }
    let (status, _, body) = get(&stack, &user, "/v1/stats/summary?weeks=52").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["weeks"].as_array().unwrap().len(), 52);

    let (status, headers, body) = get(&stack, &user, "/v1/stats/exercises/flying_kick").await;
    assert_problem(status, &headers, &body, 404, "not-found");

    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-11-20&to=2026-11-10", "to"),
    ] {
        let (status, headers, body) = get(
            &stack,
            &user,
            &format!("/v1/stats/exercises/pull_up?{query}"),
        )
        .await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_weekly_goal_with_planned_rest_days_keeps_both_streaks() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    set_timezone(&stack, &user, BERLIN).await;
    let plan = json!({"weekly_goal_days": 5, "rest_days": ["sun", "sat"]});
    let (status, _, me) = stack.send_json(&user, Method::PATCH, "/v1/me", &plan).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["weekly_goal_days"], 5);
    assert_eq!(me["rest_days"], json!(["sat", "sun"]));

    // Monday to Friday of the two weeks before this one, and this week's weekdays
    // before today: every weekend a planned rest.
    let weekday = scalar(
        &stack,
        "select (extract(isodow from now() at time zone $1::text)::int4 - 1)::text",
        &[BERLIN],
    )
    .await
    .parse::<i32>()
    .unwrap();
    let this_week_days = weekday.min(5);
    let mut days: Vec<i32> = (-14..-9).chain(-7..-2).collect();
    days.extend(0..this_week_days);
    for day in days {
        let at = in_week(&stack, BERLIN, day, "12:00").await;
        log(
            &stack,
            &user,
            &at,
            json!([{"exercise": "push_up", "sets": [{"reps": 20}]}]),
        )
        .await;
    }

    let (status, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(status, 200, "{body}");
    let this_week_met = this_week_days == 5;
    let weeks = if this_week_met { 3 } else { 2 };
    assert_eq!(
        body["streak"],
        json!({"current_days": 10 + this_week_days, "longest_days": 10 + this_week_days,
               "current_weeks": weeks, "longest_weeks": weeks}),
        "weekday {weekday}: {body}"
    );
    assert_eq!(
        body["this_week"],
        json!({"week_start": monday(&stack, BERLIN, 0).await, "training_days": this_week_days,
               "goal_days": 5, "goal_met": this_week_met})
    );

    // Without planned rest, every weekend breaks the daily run; the weeks still count.
    let (status, _, _) = stack
        .send_json(&user, Method::PATCH, "/v1/me", &json!({"rest_days": []}))
        .await;
    assert_eq!(status, 200);
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    let yesterday_trained = (1..=5).contains(&weekday);
    let current = if yesterday_trained { this_week_days } else { 0 };
    assert_eq!(
        body["streak"]["current_days"], current,
        "weekday {weekday}: {body}"
    );
    assert_eq!(body["streak"]["longest_days"], 5.max(this_week_days));
    assert_eq!(body["streak"]["current_weeks"], weeks);

    // No goal, no weekly streak.
    let (status, _, me) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"weekly_goal_days": null}),
        )
        .await;
    assert_eq!((status, &me["weekly_goal_days"]), (200, &Value::Null));
    let (_, _, body) = get(&stack, &user, "/v1/stats/summary").await;
    assert_eq!(body["streak"]["current_weeks"], Value::Null);
    assert_eq!(body["this_week"]["goal_met"], Value::Null);

    let (status, headers, problem) = stack
        .send_json(
            &user,
            Method::PATCH,
            "/v1/me",
            &json!({"weekly_goal_days": 9, "rest_days": ["caturday"]}),
        )
        .await;
    assert_problem(status, &headers, &problem, 422, "validation-failed");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["weekly_goal_days", "rest_days"]);
}
