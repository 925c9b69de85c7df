//! Corrections in chat ("it was 8 not 6", "make that 4 sets", "delete the last one"):
//! the latest workout is edited or deleted with the same skill re-evaluation as
//! `PATCH`/`DELETE /v1/workouts/{id}`, once per message, and only the sender's.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, read};

async fn chat(stack: &Stack, user: &TestUser, message: &str, client_id: &str) -> Value {
    let body = json!({"message": message, "client_message_id": client_id});
    let (status, _, answer) = stack.send_json(user, Method::POST, "/v1/chat", &body).await;
    assert_eq!(status, 200, "{message:?}: {answer}");
    answer
}

async fn count(stack: &Stack, user: &TestUser, table: &str) -> i64 {
    stack
        .rows_of(&user.subject)
        .await
        .into_iter()
        .find(|(name, _)| name == table)
        .unwrap()
        .1
}

async fn skill_state(stack: &Stack, user: &TestUser, skill: &str) -> String {
    let (status, _, body) = stack.get_json(user, &format!("/v1/skills/{skill}")).await;
    assert_eq!(status, 200, "{body}");
    body["state"].as_str().unwrap().to_owned()
}

/// Reps of every set of a workout as `GET /v1/workouts/{id}` shows it.
async fn stored_reps(stack: &Stack, user: &TestUser, id: &str) -> Vec<Option<u64>> {
    let (status, _, workout) = stack.get_json(user, &format!("/v1/workouts/{id}")).await;
    assert_eq!(status, 200, "{workout}");
    workout["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|entry| entry["sets"].as_array().unwrap())
        .map(|set| set["reps"].as_u64())
        .collect()
}

fn skills(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|skill| skill["skill"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn corrections_edit_and_delete_the_latest_workout_and_re_decide_skills() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let logged = chat(&stack, &user, "3x6 pull-ups", "m-1").await;
    assert_eq!(logged["status"], "logged", "{logged}");
    let id = logged["workout"]["id"].as_str().unwrap().to_owned();
    assert_ne!(skill_state(&stack, &user, "pull_up").await, "mastered");

    // 3x8 meets the pull-up goal: the correction masters it, as a PATCH would.
    let corrected = chat(&stack, &user, "it was 8 not 6", "m-2").await;
    assert_eq!(corrected["status"], "answered", "{corrected}");
    let reply = corrected["reply"].as_str().unwrap();
    assert!(reply.contains("Pull-up: 6 → 8 reps in 3 sets"), "{reply}");
    assert!(reply.contains("You mastered Pull-up"), "{reply}");
    assert_eq!(corrected["workout"]["id"], id.as_str());
    assert_eq!(
        corrected["workout"]["entries"][0]["sets"],
        json!([{"reps": 8}, {"reps": 8}, {"reps": 8}])
    );
    assert_eq!(skills(&corrected["mastered"]), ["pull_up"]);
    assert_eq!(stored_reps(&stack, &user, &id).await, [Some(8); 3]);
    assert_eq!(skill_state(&stack, &user, "pull_up").await, "mastered");
    assert_eq!(
        skill_state(&stack, &user, "negative_pull_up").await,
        "mastered",
        "inferred below it"
    );

    let more = chat(&stack, &user, "make that 4 sets", "m-3").await;
    assert_eq!(more["status"], "answered");
    assert!(
        more["reply"]
            .as_str()
            .unwrap()
            .contains("Pull-up: 3 → 4 sets"),
        "{more}"
    );
    assert_eq!(stored_reps(&stack, &user, &id).await, [Some(8); 4]);
    assert_eq!(count(&stack, &user, "workout_sets").await, 4);

    let deleted = chat(&stack, &user, "delete the last one", "m-4").await;
    assert_eq!(deleted["status"], "answered");
    assert_eq!(deleted["workout"], Value::Null);
    assert!(
        deleted["reply"]
            .as_str()
            .unwrap()
            .starts_with("Deleted your last workout (4 sets of Pull-up)"),
        "{deleted}"
    );
    let (status, _, _) = stack.get_json(&user, &format!("/v1/workouts/{id}")).await;
    assert_eq!(status, 404);
    // As if never trained: the mastery and the inferred ones below it are gone.
    assert_eq!(skill_state(&stack, &user, "pull_up").await, "locked");
    assert_ne!(
        skill_state(&stack, &user, "negative_pull_up").await,
        "mastered"
    );
    assert_eq!(count(&stack, &user, "workouts").await, 0);

    // The conversation keeps the corrections as answered messages.
    let (status, _, history) = stack.get_json(&user, "/v1/chat?limit=10").await;
    assert_eq!(status, 200, "{history}");
    let statuses: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["answered", "answered", "answered", "logged"]);
}

#[tokio::test]
async fn a_correction_before_any_workout_changes_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    for (index, text) in ["it was 8 not 6", "make that 3 sets", "delete the last one"]
        .into_iter()
        .enumerate()
    {
        let answer = chat(&stack, &user, text, &format!("c-{index}")).await;
        assert_eq!(answer["status"], "answered");
        assert_eq!(answer["workout"], Value::Null);
        let reply = answer["reply"].as_str().unwrap();
        assert!(
            reply.starts_with("There's no workout to correct yet"),
            "{reply}"
        );
    }
    assert_eq!(count(&stack, &user, "chat_messages").await, 3);
    assert_eq!(count(&stack, &user, "workouts").await, 0);
    assert_eq!(count(&stack, &user, "user_skill_states").await, 0);
}

#[tokio::test]
async fn an_edit_that_matches_no_set_says_so_and_changes_nothing() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let logged = chat(&stack, &user, "3x8 pull-ups", "m-1").await;
    let id = logged["workout"]["id"].as_str().unwrap().to_owned();
    let answer = chat(&stack, &user, "it was 10 not 6", "m-2").await;
    assert_eq!(answer["status"], "answered");
    assert_eq!(answer["workout"], Value::Null);
    let reply = answer["reply"].as_str().unwrap();
    assert!(
        reply.starts_with("No set in your last workout had 6"),
        "{reply}"
    );
    assert_eq!(stored_reps(&stack, &user, &id).await, [Some(8); 3]);
}

#[tokio::test]
async fn a_retried_correction_is_applied_once() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let first = chat(&stack, &user, "3x8 pull-ups", "m-1").await;
    let first_id = first["workout"]["id"].as_str().unwrap().to_owned();
    chat(&stack, &user, "3x10 push-ups", "m-2").await;
    chat(&stack, &user, "2x12 dips", "m-3").await;

    // Sequential retries of a delete: one workout goes, and the answer is replayed.
    let deleted = chat(&stack, &user, "delete the last one", "d-1").await;
    assert!(
        deleted["reply"]
            .as_str()
            .unwrap()
            .contains("2 sets of Parallel bar dip"),
        "{deleted}"
    );
    let again = chat(&stack, &user, "delete the last one", "d-1").await;
    assert_eq!(again["reply"], deleted["reply"]);
    assert_eq!(again["message_id"], deleted["message_id"]);
    assert_eq!(count(&stack, &user, "workouts").await, 2);

    // A burst of concurrent attempts of one delete takes one workout, not several.
    let burst: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(
                stack
                    .authed(Method::POST, "/v1/chat", &user)
                    .json(&json!({"message": "delete that", "client_message_id": "d-2"}))
                    .send(),
            )
        })
        .collect();
    for request in burst {
        let (status, _, body) = read(request.await.unwrap().unwrap()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "answered");
    }
    assert_eq!(count(&stack, &user, "workouts").await, 1);
    assert_eq!(stored_reps(&stack, &user, &first_id).await, [Some(8); 3]);

    // An edit retried: the sets change once.
    let edited = chat(&stack, &user, "it was 9 not 8", "e-1").await;
    assert_eq!(edited["workout"]["id"], first_id.as_str());
    let again = chat(&stack, &user, "it was 9 not 8", "e-1").await;
    assert_eq!(again["reply"], edited["reply"]);
    assert_eq!(stored_reps(&stack, &user, &first_id).await, [Some(9); 3]);
    assert_eq!(count(&stack, &user, "chat_messages").await, 6);
}

#[tokio::test]
async fn a_correction_never_touches_another_persons_workouts() {
    let stack = Stack::from_env();
    let ana = stack.new_user();
    let ben = stack.new_user();
    let bens = chat(&stack, &ben, "3x6 pull-ups", "m-1").await;
    let bens_id = bens["workout"]["id"].as_str().unwrap().to_owned();

    // Ana has nothing to correct, whatever Ben logged.
    for (index, text) in ["it was 8 not 6", "make that 4 sets", "delete the last one"]
        .into_iter()
        .enumerate()
    {
        let answer = chat(&stack, &ana, text, &format!("m-{index}")).await;
        assert!(
            answer["reply"]
                .as_str()
                .unwrap()
                .starts_with("There's no workout to correct yet"),
            "{answer}"
        );
    }
    // Ana's own workout is the one corrected, even though Ben's is as recent.
    let anas = chat(&stack, &ana, "3x6 pull-ups", "m-9").await;
    let corrected = chat(&stack, &ana, "it was 8 not 6", "m-10").await;
    assert_eq!(corrected["workout"]["id"], anas["workout"]["id"]);
    chat(&stack, &ana, "scratch that", "m-11").await;
    assert_eq!(count(&stack, &ana, "workouts").await, 0);

    assert_eq!(stored_reps(&stack, &ben, &bens_id).await, [Some(6); 3]);
    assert_eq!(count(&stack, &ben, "workouts").await, 1);
    assert_ne!(skill_state(&stack, &ben, "pull_up").await, "mastered");
}
