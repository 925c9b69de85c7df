//! `/v1/exercises`: the exercise library over HTTP, with the CDN domain the test stack
//! configures (`VIDEO_CDN_DOMAIN`, given to the tests as `TORA_VIDEO_CDN_DOMAIN`).
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, assert_problem, read};

/// A new user calling from an address of its own: the other suites share the
/// loopback address's per-IP budget, and the library's requests should not eat it.
struct Reader {
    stack: Stack,
    user: TestUser,
    ip: String,
}

impl Reader {
    fn new() -> Self {
        let stack = Stack::from_env();
        let user = stack.new_user();
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let ip = format!("10.{}.{}.{}", bytes[0], bytes[1], bytes[2]);
        Self { stack, user, ip }
    }

    async fn get_json(&self, path: &str) -> (u16, HeaderMap, Value) {
        let request = self.stack.authed(Method::GET, path, &self.user);
        read(
            request
                .header("cf-connecting-ip", &self.ip)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

fn ids(body: &Value) -> Vec<&str> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_library_lists_every_exercise_by_name() {
    let reader = Reader::new();
    let (status, _, body) = reader.get_json("/v1/exercises?limit=100").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(body["total"], 76);
    assert_eq!(items.len(), 76);
    let names: Vec<String> = items
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for item in items {
        let cues = item["cues"].as_array().unwrap();
        assert!((2..=4).contains(&cues.len()), "{item}");
        assert!(!item["description"].as_str().unwrap().is_empty());
    }
    // Without a limit a page holds 50.
    let (_, _, body) = reader.get_json("/v1/exercises").await;
    assert_eq!(body["items"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn search_finds_aliases_and_a_category_narrows_it() {
    let reader = Reader::new();
    let (status, _, body) = reader.get_json("/v1/exercises?q=chin").await;
    assert_eq!(status, 200, "{body}");
    // "archer chins" is an alias of the archer pull-up.
    assert_eq!(ids(&body), ["archer_pull_up", "chin_up"]);

    let (_, _, body) = reader.get_json("/v1/exercises?q=%20Aussie%20").await;
    assert_eq!(ids(&body), ["inverted_row"]);

    let (_, _, body) = reader
        .get_json("/v1/exercises?q=lever&category=skill")
        .await;
    let found = ids(&body);
    assert!(found.contains(&"front_lever") && found.contains(&"elbow_lever"));
    assert!(
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["category"] == "skill")
    );

    let (_, _, body) = reader.get_json("/v1/exercises?category=core").await;
    assert_eq!(body["total"], 11);
}

#[tokio::test]
async fn bad_search_parameters_are_422s_naming_them() {
    let reader = Reader::new();
    let long = "a".repeat(61);
    for (path, field) in [
        ("/v1/exercises?q=".to_owned(), "q"),
        (format!("/v1/exercises?q={long}"), "q"),
        ("/v1/exercises?category=arms".to_owned(), "category"),
        ("/v1/exercises?limit=500".to_owned(), "limit"),
    ] {
        let (status, headers, body) = reader.get_json(&path).await;
        assert_problem(status, &headers, &body, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], field, "{path}");
    }
}

#[tokio::test]
async fn an_exercise_shows_its_cues_neighbours_and_cdn_video() {
    let reader = Reader::new();
    let (status, _, body) = reader.get_json("/v1/exercises/muscle_up").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"], "Bar muscle-up");
    assert_eq!(body["category"], "pull");
    assert_eq!(body["skill"], "muscle_up");
    assert!(body["aliases"].as_array().unwrap().contains(&json!("mu")));
    assert!(!body["description"].as_str().unwrap().is_empty());
    let cues = body["cues"].as_array().unwrap();
    assert!((2..=4).contains(&cues.len()));
    assert_eq!(
        body["easier"],
        json!([
            {"id": "chest_to_bar_pull_up", "name": "Chest-to-bar pull-up"},
            {"id": "dip", "name": "Parallel bar dip"}
        ])
    );
    assert_eq!(
        body["harder"],
        json!([{"id": "ring_muscle_up", "name": "Ring muscle-up"}])
    );
    let domain = std::env::var("TORA_VIDEO_CDN_DOMAIN").unwrap();
    assert_eq!(
        body["video_url"],
        format!("https://{domain}/exercises/muscle_up.mp4")
    );

    // Outside the skill tree: no category, no skill, no neighbours.
    let (_, _, burpee) = reader.get_json("/v1/exercises/burpee").await;
    assert_eq!(burpee["category"], Value::Null);
    assert_eq!(burpee["skill"], Value::Null);
    assert_eq!(burpee["easier"], json!([]));
    assert_eq!(burpee["harder"], json!([]));
}

#[tokio::test]
async fn unknown_exercises_are_404_and_the_library_needs_a_token() {
    let reader = Reader::new();
    let (status, headers, body) = reader.get_json("/v1/exercises/no_such_thing").await;
    assert_problem(status, &headers, &body, 404, "not-found");
    let (status, headers, body) = read(
        reader
            .stack
            .request(Method::GET, "/v1/exercises")
            .header("cf-connecting-ip", &reader.ip)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_problem(status, &headers, &body, 401, "unauthenticated");
}
