//! Uploads: hand out a presigned PUT for one object under the caller's prefix, and
//! complete it once the object is in the bucket. The bytes never pass through the
//! worker.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::clients::s3::{PresignedRequest, S3Error};
use crate::domain::uploads::{ObjectKey, OwnerPrefix, Upload, UploadRequest};
use crate::ports::{Ids, NewUpload, ObjectStorage, StoreError, UploadStore};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Not the caller's upload, or no such upload.
    #[error("no such upload")]
    NotFound,
    /// The upload exists but its object is not in the bucket.
    #[error("the object was not uploaded")]
    Missing,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Storage(#[from] S3Error),
}

/// A recorded upload and the URL its bytes go to.
#[derive(Debug, Clone)]
pub struct RequestedUpload {
    pub id: Uuid,
    pub url: PresignedRequest,
    pub expires_at: DateTime<Utc>,
}

/// Records the upload, then signs its URL. `owner_key` is the deployment's key of the
/// owner prefixes.
pub async fn request(
    store: &impl UploadStore,
    storage: &impl ObjectStorage,
    ids: &impl Ids,
    owner_key: &[u8],
    user_id: Uuid,
    request: &UploadRequest,
    expires_secs: u32,
) -> Result<RequestedUpload, UploadError> {
    let id = ids.new_uuid();
    let key = ObjectKey::new(&OwnerPrefix::of(owner_key, user_id), request.kind(), id);
    // Signing first: a URL that cannot be signed leaves no row behind.
    let url = storage.presign_put(&key, request.content_type(), request.bytes(), expires_secs)?;
    let expires_at = DateTime::from_timestamp_millis(url.expires_at_millis).unwrap_or_default();
    store
        .record_upload(&NewUpload {
            id,
            user_id,
            request,
            object_key: &key,
            expires_at,
        })
        .await?;
    Ok(RequestedUpload {
        id,
        url,
        expires_at,
    })
}

/// Completes the caller's upload once its object is in the bucket.
pub async fn complete(
    store: &impl UploadStore,
    storage: &impl ObjectStorage,
    user_id: Uuid,
    upload_id: Uuid,
) -> Result<Upload, UploadError> {
    let upload = store
        .find_upload(user_id, upload_id)
        .await?
        .ok_or(UploadError::NotFound)?;
    if storage.head(&upload.object_key).await?.is_none() {
        return Err(UploadError::Missing);
    }
    store
        .complete_upload(user_id, upload_id)
        .await?
        .ok_or(UploadError::NotFound)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::app::fakes::FakeBucket;

    #[derive(Default)]
    struct MemoryUploads(RefCell<Vec<(Uuid, Upload)>>);

    impl UploadStore for MemoryUploads {
        async fn record_upload(&self, new: &NewUpload<'_>) -> Result<(), StoreError> {
            self.0.borrow_mut().push((
                new.user_id,
                Upload {
                    id: new.id,
                    kind: new.request.kind(),
                    object_key: new.object_key.clone(),
                    content_type: new.request.content_type().to_owned(),
                    bytes: new.request.bytes(),
                    created_at: DateTime::default(),
                    expires_at: Some(new.expires_at),
                    completed_at: None,
                },
            ));
            Ok(())
        }
        async fn find_upload(&self, user: Uuid, id: Uuid) -> Result<Option<Upload>, StoreError> {
            Ok(self
                .0
                .borrow()
                .iter()
                .find(|(owner, upload)| *owner == user && upload.id == id)
                .map(|(_, upload)| upload.clone()))
        }
        async fn complete_upload(
            &self,
            user: Uuid,
            id: Uuid,
        ) -> Result<Option<Upload>, StoreError> {
            let mut uploads = self.0.borrow_mut();
            let found = uploads
                .iter_mut()
                .find(|(owner, upload)| *owner == user && upload.id == id);
            Ok(found.map(|(_, upload)| {
                upload.completed_at.get_or_insert(DateTime::default());
                upload.clone()
            }))
        }
    }

    struct OneId(Uuid);
    impl Ids for OneId {
        fn new_uuid(&self) -> Uuid {
            self.0
        }
    }

    #[tokio::test]
    async fn an_upload_completes_only_for_its_owner_once_its_object_is_there() {
        let store = MemoryUploads::default();
        let storage = FakeBucket::default();
        let (alice, bob, id) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let wanted = UploadRequest::parse("meal_photo", "image/png", 42).unwrap();
        let requested = request(&store, &storage, &OneId(id), b"key", alice, &wanted, 60)
            .await
            .unwrap();
        assert_eq!(requested.id, id);
        assert_eq!(requested.expires_at.timestamp(), 60);
        let key = store.0.borrow()[0].1.object_key.clone();
        assert!(requested.url.url.ends_with(key.as_str()));

        assert!(matches!(
            complete(&store, &storage, alice, id).await,
            Err(UploadError::Missing)
        ));
        storage.put(key.as_str());
        assert!(matches!(
            complete(&store, &storage, bob, id).await,
            Err(UploadError::NotFound)
        ));
        let done = complete(&store, &storage, alice, id).await.unwrap();
        assert!(done.completed_at.is_some());
    }
}
