//! `/v1/imports`: Strong and Hevy exports dry-run, imported, imported again, listed and
//! deleted, against the built worker and the real database.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem};

const STRONG_LB: &str = include_str!("../fixtures/imports/strong-lb.csv");
const HEVY_KG: &str = include_str!("../fixtures/imports/hevy-kg.csv");

async fn post(stack: &Stack, user: &TestUser, body: &Value) -> (u16, Value) {
    let (status, headers, answer) = stack
        .send_json(user, Method::POST, "/v1/imports", body)
        .await;
    if status >= 400 {
        assert_eq!(headers["content-type"], "application/problem+json");
    }
    (status, answer)
}

async fn set_timezone(stack: &Stack, user: &TestUser, timezone: &str) {
    let (status, _, body) = stack
        .send_json(
            user,
            Method::PATCH,
            "/v1/me",
            &json!({"timezone": timezone}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn workouts(stack: &Stack, user: &TestUser) -> Vec<Value> {
    let (status, _, body) = stack.get_json(user, "/v1/workouts?limit=100").await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn skill_state(stack: &Stack, user: &TestUser, skill: &str) -> String {
    let (status, _, body) = stack.get_json(user, &format!("/v1/skills/{skill}")).await;
    assert_eq!(status, 200, "{body}");
    body["state"].as_str().unwrap().to_owned()
}

fn landing<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|exercise| exercise["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {answer}"))
}

fn skipped_lines(answer: &Value, reason_part: &str) -> Vec<u64> {
    answer["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|group| group["reason"].as_str().unwrap().contains(reason_part))
        .flat_map(|group| group["lines"].as_array().unwrap().clone())
        .map(|line| line.as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_strong_export_is_dry_run_imported_and_imported_again_without_duplicates() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    set_timezone(&stack, &user, "America/New_York").await;

    // Strong's export does not say its unit: the API asks.
    let (status, problem) = post(
        &stack,
        &user,
        &json!({"source": "strong", "csv": STRONG_LB, "dry_run": true}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "weight_unit");

    let (status, dry) = post(
        &stack,
        &user,
        &json!({"source": "strong", "csv": STRONG_LB, "dry_run": true, "weight_unit": "lb"}),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["import"], Value::Null);
    assert_eq!(dry["workouts"]["new"], 2);
    // 4 pull-ups (one of them assisted), 2 push-ups, 2 dips, 1 plank.
    assert_eq!(dry["sets"]["new"], 9);
    assert_eq!(landing(&dry, "Pull Up")["exercise_id"], "pull_up");
    assert_eq!(landing(&dry, "Pull Up (Assisted)")["assisted"], true);
    assert_eq!(
        landing(&dry, "Sentadilla búlgara, con mancuernas")["status"],
        "unmapped"
    );
    assert_eq!(skipped_lines(&dry, "warm-up"), [2]);
    assert_eq!(skipped_lines(&dry, "rest timer"), [4]);
    assert_eq!(skipped_lines(&dry, "not in the catalog"), [8, 9, 15]);
    assert!(
        workouts(&stack, &user).await.is_empty(),
        "a dry run stores nothing"
    );

    let body = json!({"source": "strong", "csv": STRONG_LB, "weight_unit": "lb"});
    let (status, first) = post(&stack, &user, &body).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["workouts"]["created"], 2);
    assert_eq!(first["sets"]["created"], 9);
    let import_id = first["import"]["id"].as_str().unwrap().to_owned();
    assert_eq!(first["import"]["workouts"], 2);
    assert!(first["import"]["finished_at"].is_string());
    let mastered: Vec<&str> = first["skills"]["mastered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| skill["skill"].as_str().unwrap())
        .collect();
    assert!(mastered.contains(&"pull_up"), "{first}");

    // The skill tree follows the imported history.
    assert_eq!(skill_state(&stack, &user, "pull_up").await, "mastered");
    assert_eq!(skill_state(&stack, &user, "dead_hang").await, "mastered");

    let stored = workouts(&stack, &user).await;
    assert_eq!(stored.len(), 2);
    let pulls = stored
        .iter()
        .find(|workout| {
            workout["notes"]
                .as_str()
                .unwrap()
                .starts_with("Día de tirón, fuerte")
        })
        .unwrap();
    // 18:30 in New York on 2 March 2024 (EST) is 23:30 UTC.
    assert_eq!(pulls["performed_at"], "2024-03-02T23:30:00.000Z");
    assert_eq!(pulls["source"], "import");
    assert_eq!(pulls["import_id"], import_id.as_str());
    assert_eq!(
        pulls["notes"],
        "Día de tirón, fuerte\nGrip felt odd, went slow"
    );
    let sets = pulls["entries"][0]["sets"].as_array().unwrap();
    assert_eq!(sets[0], json!({"reps": 8, "rpe": 8.0}));
    // 45 lb of assistance (20.4 kg), kept in the unit the file used.
    assert_eq!(sets[3]["assisted"], true);
    assert_eq!(sets[3]["assist_kg"], 20.4);
    assert_eq!(sets[3].get("added_kg"), None);
    assert_eq!(sets[3]["load_unit"], "lb");
    let push = stored
        .iter()
        .find(|workout| workout["notes"] == "Push")
        .unwrap();
    assert_eq!(push["performed_at"], "2024-03-05T12:15:00.000Z");
    let dips = &push["entries"][1];
    assert_eq!(dips["exercise"], "dip");
    // 25 lb is 11.3 kg.
    assert_eq!(dips["sets"][0]["added_kg"], 11.3);

    // The same file again creates nothing and names the same import.
    let (status, again) = post(&stack, &user, &body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["workouts"]["created"], 0);
    assert_eq!(again["workouts"]["already_imported"], 2);
    assert_eq!(again["import"]["id"], import_id.as_str());
    assert_eq!(workouts(&stack, &user).await.len(), 2);

    let (status, _, list) = stack.get_json(&user, "/v1/imports").await;
    assert_eq!(status, 200);
    let imports = list["imports"].as_array().unwrap();
    assert_eq!(imports.len(), 1, "{list}");
    assert_eq!(imports[0]["source"], "strong");
    assert_eq!(imports[0]["weight_unit"], "lb");
    assert_eq!(imports[0]["workouts"], 2);
    assert_eq!(imports[0]["sets"], 9);
    assert_eq!(imports[0]["skipped_rows"], 5);
}

#[tokio::test]
async fn a_hevy_export_keeps_confirmed_names_and_deleting_the_import_removes_what_it_made() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // A workout of the person's own, before the import: it must survive the delete.
    stack
        .log_workout(
            &user,
            &json!({"performed_at": "2024-12-01T10:00:00Z",
                    "entries": [{"exercise": "push_up", "sets": [{"reps": 10}]}]}),
        )
        .await;

    let (status, dry) = post(
        &stack,
        &user,
        &json!({"source": "hevy", "csv": HEVY_KG, "dry_run": true}),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["weight_unit"], "kg");
    assert_eq!(landing(&dry, "Goblet Squat")["status"], "unmapped");
    assert_eq!(landing(&dry, "Pull Up (Band)")["assisted"], true);
    assert_eq!(skipped_lines(&dry, "distance only"), [9]);

    let (status, done) = post(
        &stack,
        &user,
        &json!({"source": "hevy", "csv": HEVY_KG, "create_custom": ["goblet squat"]}),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(landing(&done, "Goblet Squat")["status"], "new_custom");
    assert_eq!(landing(&done, "Wall Sit")["status"], "unmapped");
    assert_eq!(done["import"]["custom_exercises"], json!(["Goblet Squat"]));
    assert_eq!(skill_state(&stack, &user, "chin_up").await, "mastered");
    let all = workouts(&stack, &user).await;
    assert_eq!(all.len(), 3);
    let legs = all
        .iter()
        .find(|workout| workout["notes"] == "Legs")
        .unwrap();
    let goblet = &legs["entries"][1];
    assert_eq!(goblet["custom"], true);
    assert_eq!(goblet["name"], "Goblet Squat");
    assert_eq!(goblet["sets"][0]["added_kg"], 24.0);

    let import_id = done["import"]["id"].as_str().unwrap();
    let path = format!("/v1/imports/{import_id}");
    let (status, _, shown) = stack.get_json(&user, &path).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["workouts"], 2);
    assert_eq!(shown["source"], "hevy");

    // Someone else can neither see nor delete it.
    let stranger = stack.new_user();
    let (status, headers, body) = stack.get_json(&stranger, &path).await;
    assert_problem(status, &headers, &body, 404, "not-found");
    let (status, headers, body) = stack
        .send_json(&stranger, Method::DELETE, &path, &json!({}))
        .await;
    assert_problem(status, &headers, &body, 404, "not-found");

    let (status, _, deleted) = stack
        .send_json(&user, Method::DELETE, &path, &json!({}))
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["import"]["workouts"], 2);
    let left = workouts(&stack, &user).await;
    assert_eq!(left.len(), 1, "only the person's own workout is left");
    assert_eq!(left[0]["source"], "manual");
    assert_ne!(skill_state(&stack, &user, "chin_up").await, "mastered");
    let rows = stack
        .sql(
            "select count(*)::int4 from exercises e join users u on u.id = e.owner_user_id
             where u.auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert_eq!(rows[0][0], 0, "the exercise the import created is gone");
    let (status, headers, body) = stack.get_json(&user, &path).await;
    assert_problem(status, &headers, &body, 404, "not-found");
    let (_, _, list) = stack.get_json(&user, "/v1/imports").await;
    assert_eq!(list["imports"], json!([]));

    // Imported again after the delete, it comes back whole.
    let (status, back) = post(&stack, &user, &json!({"source": "hevy", "csv": HEVY_KG})).await;
    assert_eq!(status, 201, "{back}");
    assert_eq!(back["workouts"]["created"], 2);
}

#[tokio::test]
async fn two_posts_of_one_file_at_once_store_each_session_once() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let body = json!({"source": "hevy", "csv": HEVY_KG});
    let answers =
        tora_e2e::join_all(vec![post(&stack, &user, &body), post(&stack, &user, &body)]).await;
    let created: u64 = answers
        .iter()
        .map(|(status, answer)| {
            assert!(*status == 200 || *status == 201, "{answer}");
            answer["workouts"]["created"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(created, 2);
    assert_eq!(answers[0].1["import"]["id"], answers[1].1["import"]["id"]);
    assert_eq!(workouts(&stack, &user).await.len(), 2);
    let (_, _, list) = stack.get_json(&user, "/v1/imports").await;
    assert_eq!(list["imports"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["imports"][0]["workouts"], 2);
}

/// 10,000 rows through the bucket: more sessions than one request stores, finished by
/// posting the same upload again.
#[tokio::test]
async fn a_large_export_through_an_upload_is_finished_by_posting_it_again() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let mut csv = String::from(
        "title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,set_type,weight_lbs,reps,distance_miles,duration_seconds,rpe\n",
    );
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let rows_per_session = 25;
    let sessions: u32 = 10_000 / rows_per_session;
    for session in 0..sessions {
        // 28 sessions a month from January 2023.
        let month = session / 28;
        let day = format!(
            "{} {} {}",
            session % 28 + 1,
            MONTHS[(month % 12) as usize],
            2023 + month / 12
        );
        for set in 0..rows_per_session {
            let (exercise, weight) = match set % 3 {
                0 => ("Push Up", String::new()),
                1 => ("Inverted Row", String::new()),
                _ => ("\"Dip (Weighted)\"", "22.5".to_owned()),
            };
            csv.push_str(&format!(
                "\"Full body, A\",\"{day}, 17:00\",\"{day}, 18:00\",,{exercise},,,{set},normal,{weight},8,,,\n"
            ));
        }
    }
    let upload_id = stack
        .uploaded_file(&user, "import_csv", "text/csv", csv.into_bytes(), true)
        .await;
    let body = json!({"source": "hevy", "upload_id": upload_id});

    let (status, first_post) = post(&stack, &user, &body).await;
    assert_eq!(status, 201, "{first_post}");
    assert_eq!(first_post["workouts"]["in_file"], sessions);
    let created = first_post["workouts"]["created"].as_u64().unwrap();
    let remaining = first_post["workouts"]["remaining"].as_u64().unwrap();
    assert!(remaining > 0, "{first_post}");
    assert_eq!(created + remaining, u64::from(sessions));
    assert_eq!(first_post["import"]["finished_at"], Value::Null);

    let (status, second) = post(&stack, &user, &body).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["workouts"]["created"].as_u64().unwrap(), remaining);
    assert_eq!(second["workouts"]["remaining"], 0);
    assert_eq!(second["import"]["id"], first_post["import"]["id"]);
    assert!(second["import"]["finished_at"].is_string());
    assert_eq!(second["import"]["workouts"], sessions);
    assert_eq!(second["import"]["sets"], 10_000);

    let (status, third) = post(&stack, &user, &body).await;
    assert_eq!(status, 200, "{third}");
    assert_eq!(third["workouts"]["created"], 0);
    let rows = stack
        .sql(
            "select count(*)::int4 from workout_sets s join users u on u.id = s.user_id
             where u.auth_subject = $1",
            &[&user.subject],
        )
        .await;
    assert_eq!(rows[0][0], 10_000);
}

#[tokio::test]
async fn bad_imports_name_every_failing_field_and_store_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let (status, headers, body) = stack.call(Method::GET, "/v1/imports", None, None).await;
    assert_problem(status, &headers, &body, 401, "unauthenticated");
    let (status, problem) = post(
        &stack,
        &user,
        &json!({"source": "fitbod", "weight_unit": "stone"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["source", "csv", "weight_unit"]);

    // A Hevy file sent as Strong: the missing column is named.
    let (status, problem) = post(&stack, &user, &json!({"source": "strong", "csv": HEVY_KG})).await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "csv");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Strong export"),
        "{problem}"
    );

    // A photo upload is not an import file.
    let photo = stack
        .uploaded_photo(&user, tora_e2e::jpeg_bytes(), true)
        .await;
    let (status, problem) = post(
        &stack,
        &user,
        &json!({"source": "hevy", "upload_id": photo}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "upload_id");

    let (status, problem) = post(
        &stack,
        &user,
        &json!({"source": "hevy", "csv": HEVY_KG, "create_custom": [""]}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "create_custom[0]");
    assert!(workouts(&stack, &user).await.is_empty());
}
