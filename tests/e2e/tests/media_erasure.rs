//! What leaves the bucket when the rows that own it go: a deleted meal's photo, an
//! erased account's whole prefix. The worker records each deletion with the rows and
//! tries it at once; when the bucket (the S3 double, faults queued) fails half-way,
//! the cron finishes the job. Nothing is forgotten, nothing of anyone else is touched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reqwest::Method;
use serde_json::{Value, json};
use tora_e2e::{Stack, TestUser, jpeg_bytes};

/// `users/{owner}/` of a key.
fn owner_prefix(key: &str) -> String {
    key.splitn(3, '/').take(2).collect::<Vec<_>>().join("/") + "/"
}

async fn photo_meal(stack: &Stack, user: &TestUser, upload_id: &str) -> String {
    let (status, _, logged) = stack
        .send_json(
            user,
            Method::POST,
            "/v1/meals",
            &json!({"upload_id": upload_id}),
        )
        .await;
    assert_eq!(status, 201, "{logged}");
    logged["meal"]["id"].as_str().unwrap().to_owned()
}

async fn delete(stack: &Stack, user: &TestUser, path: &str) -> u16 {
    stack
        .authed(Method::DELETE, path, user)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The pending deletions of keys under `prefix`: (scope, attempts, last_error, due now).
async fn pending(stack: &Stack, prefix: &str) -> Vec<Vec<Value>> {
    stack
        .sql(
            "select scope, attempts, last_error, next_attempt_at <= now() \
             from object_deletions where object_key like $1 || '%' order by created_at",
            &[prefix],
        )
        .await
}

/// Lets time pass for the pending deletions under `prefix`: they are due, and the
/// upload URLs handed out before them are dead.
async fn time_passes(stack: &Stack, prefix: &str) {
    stack
        .sql(
            "update object_deletions set next_attempt_at = now() - interval '1 second', \
             settle_after = now() - interval '1 second' where object_key like $1 || '%'",
            &[prefix],
        )
        .await;
}

#[tokio::test]
async fn deleting_a_photo_meal_deletes_its_photo_once_no_meal_uses_it() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let shared = stack.uploaded_photo(&user, jpeg_bytes(), true).await;
    let kept = stack.uploaded_photo(&user, jpeg_bytes(), true).await;
    let shared_key = stack.object_key(&shared).await;
    let kept_key = stack.object_key(&kept).await;
    let lunch = photo_meal(&stack, &user, &shared).await;
    let lunch_again = photo_meal(&stack, &user, &shared).await;
    photo_meal(&stack, &user, &kept).await;

    // Another person cannot delete it, and the photo stays while a meal uses it.
    let other = stack.new_user();
    assert_eq!(
        delete(&stack, &other, &format!("/v1/meals/{lunch}")).await,
        404
    );
    assert_eq!(
        delete(&stack, &user, &format!("/v1/meals/{lunch}")).await,
        204
    );
    assert_eq!(
        stack.bucket_keys(&shared_key).await,
        vec![shared_key.clone()]
    );

    assert_eq!(
        delete(&stack, &user, &format!("/v1/meals/{lunch_again}")).await,
        204
    );
    assert!(
        stack.bucket_keys(&shared_key).await.is_empty(),
        "the photo is gone"
    );
    assert_eq!(stack.bucket_keys(&kept_key).await, vec![kept_key.clone()]);
    let uploads = stack
        .sql(
            "select count(*)::int4 from uploads where id = $1::uuid",
            &[&shared],
        )
        .await;
    assert_eq!(uploads[0][0], 0, "its upload went with it");
    assert!(
        pending(&stack, &shared_key).await.is_empty(),
        "nothing owed"
    );
}

#[tokio::test]
async fn an_erased_account_leaves_nothing_of_theirs_in_the_bucket() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let other = stack.new_user();
    let photo = stack.uploaded_photo(&user, jpeg_bytes(), true).await;
    photo_meal(&stack, &user, &photo).await;
    // An upload that was never completed is in the bucket all the same.
    let abandoned = stack.uploaded_photo(&user, jpeg_bytes(), false).await;
    let others = stack.uploaded_photo(&other, jpeg_bytes(), true).await;
    let prefix = owner_prefix(&stack.object_key(&photo).await);
    assert_eq!(owner_prefix(&stack.object_key(&abandoned).await), prefix);
    let others_key = stack.object_key(&others).await;
    assert_eq!(stack.bucket_keys(&prefix).await.len(), 2);

    assert_eq!(delete(&stack, &user, "/v1/me").await, 204);
    assert!(
        stack.bucket_keys(&prefix).await.is_empty(),
        "the prefix is empty"
    );
    assert_eq!(
        stack.bucket_keys(&others_key).await,
        vec![others_key.clone()]
    );
    // The upload URLs handed out are still alive: the prefix is looked at again once
    // they are dead, then forgotten.
    let owed = pending(&stack, &prefix).await;
    assert_eq!(owed.len(), 1, "{owed:?}");
    assert_eq!(owed[0][0], "prefix");
    assert_eq!(owed[0][1], 0, "no failure");
    assert_eq!(owed[0][3], false, "not due before the URLs expire");

    time_passes(&stack, &prefix).await;
    stack.run_cron().await;
    assert!(pending(&stack, &prefix).await.is_empty());
}

#[tokio::test]
async fn a_bucket_failing_half_way_through_an_erasure_is_finished_by_the_cron() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    let mut keys = Vec::new();
    for _ in 0..3 {
        let upload = stack.uploaded_photo(&user, jpeg_bytes(), true).await;
        keys.push(stack.object_key(&upload).await);
    }
    keys.sort();
    let prefix = owner_prefix(&keys[0]);
    // The bucket deletes the first key, then fails on the second.
    stack
        .s3_faults(&json!([{"code": "SlowDown", "method": "DELETE", "prefix": keys[1]}]))
        .await;

    assert_eq!(
        delete(&stack, &user, "/v1/me").await,
        204,
        "the account goes"
    );
    assert_eq!(
        stack
            .rows_of(&user.subject)
            .await
            .iter()
            .map(|(_, n)| n)
            .sum::<i64>(),
        0
    );
    assert_eq!(stack.bucket_keys(&prefix).await, keys[1..].to_vec());
    let owed = pending(&stack, &prefix).await;
    assert_eq!(owed.len(), 1, "{owed:?}");
    assert_eq!(owed[0][1], 1, "one failed attempt");
    assert_eq!(owed[0][2], "503");
    assert_eq!(owed[0][3], false, "retried after a pause");

    // Not due yet: the cron leaves it.
    stack.run_cron().await;
    assert_eq!(stack.bucket_keys(&prefix).await.len(), 2);

    time_passes(&stack, &prefix).await;
    stack.run_cron().await;
    assert!(stack.bucket_keys(&prefix).await.is_empty(), "finished");
    assert!(pending(&stack, &prefix).await.is_empty(), "and forgotten");
}

#[tokio::test]
async fn an_upload_never_completed_is_forgotten_a_day_after_its_url_died() {
    let stack = Stack::from_env();
    let user = stack.new_user();
    // The bytes were sent, but the app never said so.
    let abandoned = stack.uploaded_photo(&user, jpeg_bytes(), false).await;
    let fresh = stack.uploaded_photo(&user, jpeg_bytes(), false).await;
    let key = stack.object_key(&abandoned).await;
    let fresh_key = stack.object_key(&fresh).await;
    stack
        .sql(
            "update uploads set expires_at = now() - interval '25 hours' where id = $1::uuid",
            &[&abandoned],
        )
        .await;

    stack.run_cron().await;
    let left = stack
        .sql(
            "select id::text from uploads where id in ($1::uuid, $2::uuid)",
            &[&abandoned, &fresh],
        )
        .await;
    assert_eq!(
        left,
        vec![vec![json!(fresh)]],
        "only the abandoned one goes"
    );
    assert!(stack.bucket_keys(&key).await.is_empty(), "with its object");
    assert_eq!(stack.bucket_keys(&fresh_key).await, vec![fresh_key.clone()]);
    let path = format!("/v1/uploads/{abandoned}/complete");
    let (status, _, _) = stack
        .send_json(&user, Method::POST, &path, &json!({}))
        .await;
    assert_eq!(status, 404);
}
