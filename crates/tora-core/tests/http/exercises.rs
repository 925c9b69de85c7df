//! `/v1/exercises` through the pipeline: the library answers from the compiled-in
//! catalog, authenticated, without a database round trip.

use super::*;
use tora_core::domain::exercises::CdnDomain;

async fn get_json(app: &App, path: &str) -> Handled {
    app.send(authed("GET", path).body(Vec::new()).unwrap())
        .await
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
async fn the_library_searches_names_and_aliases_without_touching_the_database() {
    let app = App::new();
    let handled = get_json(&app, "/v1/exercises?q=Chin").await;
    assert_eq!(handled.response.status(), 200);
    let body = body(&handled);
    assert_eq!(ids(&body), ["archer_pull_up", "chin_up"]);
    assert_eq!(body["total"], 2);
    assert!(
        app.platform.neon.statements().is_empty(),
        "the catalog is compiled in"
    );
    assert_eq!(handled.log.route, "/v1/exercises");
}

#[tokio::test]
async fn a_category_filters_and_limit_cuts_the_page_but_not_the_total() {
    let app = App::new();
    let body = body(&get_json(&app, "/v1/exercises?category=legs&limit=3").await);
    assert_eq!(body["total"], 10);
    assert_eq!(
        ids(&body),
        // "Bodyweight squat" sorts by its name, before "Bulgarian split squat".
        ["assisted_pistol_squat", "assisted_squat", "squat"]
    );
    let all = body_of(&app, "/v1/exercises").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 50);
    assert_eq!(all["total"], 76);
}

async fn body_of(app: &App, path: &str) -> Value {
    body(&get_json(app, path).await)
}

#[tokio::test]
async fn bad_parameters_are_422s_naming_them() {
    let app = App::new();
    for (path, field) in [
        ("/v1/exercises?q=", "q"),
        ("/v1/exercises?q=%20%20", "q"),
        (&format!("/v1/exercises?q={}", "a".repeat(61)), "q"),
        ("/v1/exercises?category=arms", "category"),
        ("/v1/exercises?limit=0", "limit"),
        ("/v1/exercises?limit=101", "limit"),
    ] {
        let handled = get_json(&app, path).await;
        let body = assert_problem(&handled, 422, "validation-failed");
        assert_eq!(body["errors"][0]["field"], field, "{path}");
    }
}

#[tokio::test]
async fn an_exercise_has_its_guide_neighbours_and_no_video_without_media() {
    let app = App::new();
    let handled = get_json(&app, "/v1/exercises/pull_up").await;
    assert_eq!(handled.response.status(), 200);
    let body = body(&handled);
    assert_eq!(body["name"], "Pull-up");
    assert_eq!(body["category"], "pull");
    assert_eq!(body["skill"], "pull_up");
    assert!(
        body["aliases"]
            .as_array()
            .unwrap()
            .contains(&json!("pullups"))
    );
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("chin clears the bar")
    );
    assert_eq!(body["cues"].as_array().unwrap().len(), 4);
    assert_eq!(
        body["easier"],
        json!([{"id": "negative_pull_up", "name": "Negative pull-up"}])
    );
    assert_eq!(body["harder"][0]["id"], "chest_to_bar_pull_up");
    assert_eq!(body["video_url"], Value::Null);

    let burpee = body_of(&app, "/v1/exercises/burpee").await;
    assert_eq!(burpee["category"], Value::Null);
    assert_eq!(burpee["skill"], Value::Null);
    assert_eq!(burpee["easier"], json!([]));
    assert!(app.platform.neon.statements().is_empty());
}

#[tokio::test]
async fn with_a_cdn_domain_videos_are_served_from_it() {
    let mut app = App::new();
    app.config.video_cdn_domain = CdnDomain::parse("videos.tora.app");
    let body = body_of(&app, "/v1/exercises/dip").await;
    assert_eq!(
        body["video_url"],
        "https://videos.tora.app/exercises/dip.mp4"
    );
}

#[tokio::test]
async fn unknown_exercises_are_404_and_the_library_needs_a_token() {
    let app = App::new();
    assert_problem(
        &get_json(&app, "/v1/exercises/no_such_thing").await,
        404,
        "not-found",
    );
    let anonymous = app
        .send(get("/v1/exercises").body(Vec::new()).unwrap())
        .await;
    assert_eq!(anonymous.response.status(), 401);
}
