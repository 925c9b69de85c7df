//! Coaching as people meet it through `POST /v1/chat`: athletes' first weeks, message
//! by message, with the replies and next targets they get, and the skill views that
//! tell proven mastery from inferred.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, read};

/// One athlete's conversation: every message gets its own client id.
struct Conversation<'a> {
    stack: &'a Stack,
    user: TestUser,
    sent: usize,
}

/// What a logged message was answered with.
struct Answer {
    body: Value,
}

impl Answer {
    fn reply(&self) -> &str {
        self.body["reply"].as_str().unwrap()
    }

    fn ids(&self, field: &str) -> Vec<&str> {
        self.body[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["skill"].as_str().unwrap())
            .collect()
    }

    fn targets(&self) -> Vec<&str> {
        self.ids("next_targets")
    }

    fn workout_id(&self) -> &str {
        self.body["workout"]["id"].as_str().unwrap()
    }
}

impl<'a> Conversation<'a> {
    fn new(stack: &'a Stack) -> Self {
        Self {
            stack,
            user: stack.new_user(),
            sent: 0,
        }
    }

    /// Sends a message that must be logged as a workout.
    async fn logs(&mut self, message: &str) -> Answer {
        self.sent += 1;
        let body = json!({"message": message, "client_message_id": format!("m-{}", self.sent)});
        let (status, _, body) = self
            .stack
            .send_json(&self.user, Method::POST, "/v1/chat", &body)
            .await;
        assert_eq!(status, 200, "{message}: {body}");
        assert_eq!(body["status"], "logged", "{message}: {body}");
        Answer { body }
    }

    async fn get(&self, path: &str) -> Value {
        let (status, _, body) = read(
            self.stack
                .authed(Method::GET, path, &self.user)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    /// `(state, mastery)` of one skill as `GET /v1/skills/{id}` shows it.
    async fn skill(&self, id: &str) -> (String, Value) {
        let body = self.get(&format!("/v1/skills/{id}")).await;
        (
            body["state"].as_str().unwrap().to_owned(),
            body["mastery"].clone(),
        )
    }

    async fn delete_workout(&self, id: &str) {
        let response = self
            .stack
            .authed(Method::DELETE, &format!("/v1/workouts/{id}"), &self.user)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
    }
}

fn mastered(state: &str) -> (String, Value) {
    ("mastered".to_owned(), json!(state))
}

#[tokio::test]
async fn after_4x15_push_ups_the_next_target_is_a_step_up_not_a_wall_push_up() {
    let stack = Stack::from_env();
    let mut athlete = Conversation::new(&stack);
    let answer = athlete.logs("4x15 push-ups").await;
    assert_eq!(
        answer.reply(),
        "Logged 4 sets of Push-up. You mastered Push-up (and the 2 steps before it)! \
         Now open: Diamond push-up, Decline push-up, Pike push-up and Elbow lever. \
         Next target: Diamond push-up 3x8."
    );
    assert_eq!(
        answer.targets(),
        ["diamond_push_up", "decline_push_up", "pike_push_up"]
    );
    assert_eq!(answer.ids("mastered"), ["push_up"]);
    assert_eq!(
        answer.body["next_targets"][0],
        json!({"skill": "diamond_push_up", "name": "Diamond push-up", "goal": "3x8", "progress": 0.0})
    );
    assert_eq!(athlete.skill("push_up").await, mastered("proven"));
    assert_eq!(athlete.skill("wall_push_up").await, mastered("inferred"));
    assert_eq!(athlete.skill("incline_push_up").await, mastered("inferred"));
    assert_eq!(
        athlete.skill("diamond_push_up").await,
        ("available".to_owned(), Value::Null)
    );
}

#[tokio::test]
async fn after_3x8_pull_ups_the_next_target_is_not_a_dead_hang() {
    let stack = Stack::from_env();
    let mut athlete = Conversation::new(&stack);
    let pull_ups = athlete.logs("3x8 pull-ups").await;
    assert_eq!(
        pull_ups.reply(),
        "Logged 3 sets of Pull-up. You mastered Pull-up (and the 3 steps before it)! \
         Now open: Chest-to-bar pull-up, Archer pull-up, Tuck front lever and 3 more. \
         Next target: Chest-to-bar pull-up 3x5."
    );
    assert_eq!(
        pull_ups.targets(),
        ["chest_to_bar_pull_up", "archer_pull_up", "tuck_front_lever"]
    );
    assert_eq!(pull_ups.ids("mastered"), ["pull_up"]);
    assert_eq!(athlete.skill("dead_hang").await, mastered("inferred"));

    // The tree view agrees, and counts inferred masteries as mastered.
    let tree = athlete.get("/v1/skills").await;
    let targets: Vec<&str> = tree["next_targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|target| target["skill"].as_str().unwrap())
        .collect();
    assert_eq!(targets, pull_ups.targets());
    assert_eq!(tree["mastered"], 4);

    // Chin-ups need the negatives too; deleting the pull-ups keeps what they imply.
    let chin_ups = athlete.logs("3x8 chin-ups").await;
    assert_eq!(chin_ups.ids("mastered"), ["chin_up"]);
    athlete.delete_workout(pull_ups.workout_id()).await;
    assert_eq!(
        athlete.skill("pull_up").await,
        ("available".to_owned(), Value::Null)
    );
    assert_eq!(
        athlete.skill("negative_pull_up").await,
        mastered("inferred")
    );
    assert_eq!(athlete.skill("dead_hang").await, mastered("inferred"));

    // Without the chin-ups nothing proves them any more.
    athlete.delete_workout(chin_ups.workout_id()).await;
    assert_eq!(
        athlete.skill("dead_hang").await,
        ("available".to_owned(), Value::Null)
    );
    assert_eq!(
        athlete.skill("negative_pull_up").await,
        ("locked".to_owned(), Value::Null)
    );
    assert_eq!(athlete.get("/v1/skills").await["mastered"], 0);
}

#[tokio::test]
async fn a_proven_session_turns_an_inferred_mastery_proven() {
    let stack = Stack::from_env();
    let mut athlete = Conversation::new(&stack);
    athlete.logs("3x8 pull-ups").await;
    let hangs = athlete.logs("3x30s dead hang").await;
    assert_eq!(
        hangs.ids("mastered"),
        Vec::<&str>::new(),
        "already mastered"
    );
    assert_eq!(athlete.skill("dead_hang").await, mastered("proven"));
    assert_eq!(
        athlete.skill("scapular_pull_up").await,
        mastered("inferred")
    );
}

/// Maya can't do a pull-up yet: dead hangs, scapular pulls and negatives, and incline
/// push-ups against a bench.
#[tokio::test]
async fn a_beginner_who_cannot_do_a_pull_up_yet() {
    let stack = Stack::from_env();
    let mut maya = Conversation::new(&stack);

    let monday = maya
        .logs("3x20s dead hang, 3x5 scapular pulls, 3x8 incline push-ups")
        .await;
    assert_eq!(
        monday.reply(),
        "Logged 3 sets of Dead hang, 3 sets of Scapular pull-up and 3 sets of Incline push-up. \
         Next target: Incline push-up 3x12 (you're at 67% of it)."
    );
    assert_eq!(
        monday.targets(),
        ["incline_push_up", "scapular_pull_up", "support_hold"]
    );

    let wednesday = maya
        .logs("dead hang 3x25s, scap pull-ups 3x8, 3x3 negative pull-ups, incline push-ups 3x10")
        .await;
    assert_eq!(
        wednesday.reply(),
        "Logged 3 sets of Dead hang, 3 sets of Scapular pull-up, 3 sets of Negative pull-up \
         and 3 sets of Incline push-up. \
         Next target: Incline push-up 3x12 (you're at 83% of it)."
    );
    assert_eq!(
        wednesday.targets(),
        ["incline_push_up", "negative_pull_up", "support_hold"]
    );

    let friday = maya
        .logs("3x30s dead hang, 3x10 scap pulls, negatives 3x4, 3x12 incline push-ups")
        .await;
    assert_eq!(
        friday.reply(),
        "Logged 3 sets of Dead hang, 3 sets of Scapular pull-up, 3 sets of Negative pull-up \
         and 3 sets of Incline push-up. \
         You mastered Incline push-up, Dead hang and Scapular pull-up (and the step before them)! \
         Now open: Push-up, Hanging knee raise, Negative pull-up and Skin the cat. \
         Next target: Negative pull-up 3x5 (you're at 80% of it)."
    );
    assert_eq!(
        friday.targets(),
        ["negative_pull_up", "hanging_knee_raise", "push_up"]
    );
    assert_eq!(maya.skill("wall_push_up").await, mastered("inferred"));
    assert_eq!(maya.skill("dead_hang").await, mastered("proven"));

    let next_monday = maya
        .logs("3x5 negative pull-ups, 3x6 push-ups, 3x12 scapular pulls, 3x30s dead hang")
        .await;
    assert_eq!(
        next_monday.reply(),
        "Logged 3 sets of Negative pull-up, 3 sets of Push-up, 3 sets of Scapular pull-up \
         and 3 sets of Dead hang. You mastered Negative pull-up! \
         Now open: Pull-up and Chin-up. \
         Next target: Push-up 3x12 (you're at 50% of it)."
    );
    assert_eq!(
        next_monday.targets(),
        ["push_up", "pull_up", "hanging_knee_raise"]
    );
    assert_eq!(next_monday.ids("unlocked"), ["pull_up", "chin_up"]);
}

/// Leo already does 10 pull-ups, 20 dips and plenty of push-ups.
#[tokio::test]
async fn an_intermediate_with_10_pull_ups_and_20_dips() {
    let stack = Stack::from_env();
    let mut leo = Conversation::new(&stack);

    let first = leo.logs("3x10 pull-ups, 3x20 dips, 3x25 push-ups").await;
    assert_eq!(
        first.reply(),
        "Logged 3 sets of Pull-up, 3 sets of Parallel bar dip and 3 sets of Push-up. \
         You mastered Push-up, Parallel bar dip and Pull-up (and the 7 steps before them)! \
         Now open: Diamond push-up, Chest-to-bar pull-up, Decline push-up and 10 more. \
         Next target: Chest-to-bar pull-up 3x5."
    );
    assert_eq!(first.ids("mastered"), ["push_up", "dip", "pull_up"]);
    assert_eq!(first.ids("unlocked").len(), 13);
    assert_eq!(
        first.targets(),
        ["chest_to_bar_pull_up", "diamond_push_up", "archer_pull_up"]
    );
    assert_eq!(leo.skill("support_hold").await, mastered("inferred"));

    let wednesday = leo
        .logs("5x4 chest-to-bar pull-ups, 3x20s ring support hold, 3x8 diamond push-ups")
        .await;
    assert_eq!(
        wednesday.reply(),
        "Logged 5 sets of Chest-to-bar pull-up, 3 sets of Ring support hold and 3 sets of \
         Diamond push-up. You mastered Diamond push-up! \
         Now open: Pseudo planche push-up and Archer push-up. \
         Next target: Chest-to-bar pull-up 3x5 (you're at 80% of it)."
    );
    assert_eq!(
        wednesday.targets(),
        [
            "chest_to_bar_pull_up",
            "ring_support_hold",
            "pseudo_planche_push_up"
        ]
    );

    let friday = leo
        .logs("3x5 chest-to-bar pull-ups, 3x30s ring support hold, 4x12 dips")
        .await;
    assert_eq!(
        friday.reply(),
        "Logged 3 sets of Chest-to-bar pull-up, 3 sets of Ring support hold and 4 sets of \
         Parallel bar dip. You mastered Ring support hold and Chest-to-bar pull-up! \
         Now open: Ring dip and Bar muscle-up. \
         Next target: Bar muscle-up 3x3."
    );
    assert_eq!(
        friday.targets(),
        ["muscle_up", "ring_dip", "decline_push_up"]
    );
}

/// Sam trains the front lever, with pull-ups and dips around it.
#[tokio::test]
async fn an_advanced_athlete_training_the_front_lever() {
    let stack = Stack::from_env();
    let mut sam = Conversation::new(&stack);

    let first = sam
        .logs("3x12 pull-ups, 3x15 dips, 3x12s tuck front lever, 3x5s advanced tuck front lever")
        .await;
    assert_eq!(
        first.reply(),
        "Logged 3 sets of Pull-up, 3 sets of Parallel bar dip, 3 sets of Tuck front lever and \
         3 sets of Advanced tuck front lever. \
         You mastered Parallel bar dip, Pull-up and Tuck front lever (and the 5 steps before them)! \
         Now open: Chest-to-bar pull-up, Advanced tuck front lever, Archer pull-up and 5 more. \
         Next target: Advanced tuck front lever 3x10s (you're at 50% of it)."
    );
    assert_eq!(
        first.targets(),
        [
            "advanced_tuck_front_lever",
            "chest_to_bar_pull_up",
            "archer_pull_up"
        ]
    );
    assert_eq!(first.body["next_targets"][0]["progress"], 0.5);

    let wednesday = sam
        .logs("advanced tuck front lever 5x8s, 4x10 pull-ups, 3x12 dips")
        .await;
    assert_eq!(
        wednesday.reply(),
        "Logged 5 sets of Advanced tuck front lever, 4 sets of Pull-up and 3 sets of \
         Parallel bar dip. Next target: Advanced tuck front lever 3x10s (you're at 80% of it)."
    );

    let friday = sam
        .logs(
            "3x10s advanced tuck front lever, 3x3s straddle front lever, 3x12 dips, 3x10 pull-ups",
        )
        .await;
    assert_eq!(
        friday.reply(),
        "Logged 3 sets of Advanced tuck front lever, 3 sets of Straddle front lever, \
         3 sets of Parallel bar dip and 3 sets of Pull-up. \
         You mastered Advanced tuck front lever! Now open: Straddle front lever. \
         Next target: Straddle front lever 3x5s (you're at 60% of it)."
    );
    assert_eq!(friday.targets()[0], "straddle_front_lever");
    assert_eq!(
        sam.skill("straddle_front_lever").await,
        ("unlocked".to_owned(), Value::Null)
    );
    assert_eq!(sam.skill("tuck_front_lever").await, mastered("proven"));
    assert_eq!(sam.skill("negative_pull_up").await, mastered("inferred"));
}
