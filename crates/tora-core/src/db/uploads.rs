//! Uploads on Postgres. Every statement names the owner: an upload id alone reaches
//! nothing, so one person's id is "not found" for everyone else.

use uuid::Uuid;

use crate::clients::neon::{NeonClient, NeonError, Row, Statement};
use crate::domain::uploads::{ObjectKey, Upload, UploadKind};
use crate::ports::{Clock, NewUpload, StoreError, Transport, UploadStore};

const INSERT_UPLOAD: &str = "\
insert into uploads (id, user_id, kind, object_key, content_type, size_bytes, expires_at)
values ($1::uuid, $2::uuid, $3::text, $4::text, $5::text, $6::int8, $7::timestamptz)";

const SELECT_UPLOAD: &str = "\
select id, kind, object_key, content_type, size_bytes, created_at, expires_at, completed_at
from uploads
where user_id = $1::uuid and id = $2::uuid";

/// `coalesce` keeps the first completion time when a client completes twice.
const COMPLETE_UPLOAD: &str = "\
update uploads set completed_at = coalesce(completed_at, now())
where user_id = $1::uuid and id = $2::uuid
returning id, kind, object_key, content_type, size_bytes, created_at, expires_at, completed_at";

/// A page of uploads after a position (`created_at`, id), oldest first, for the export.
const SELECT_UPLOADS_AFTER: &str = "\
select id, kind, object_key, content_type, size_bytes, created_at, expires_at, completed_at
from uploads
where user_id = $1::uuid
  and ($2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid))
order by created_at, id
limit $4::int4";

pub fn uploads_oldest_first(
    user_id: Uuid,
    after: Option<crate::ports::PageCursor>,
    limit: u32,
) -> super::batch::Typed<Vec<Upload>> {
    super::batch::Typed::new(
        Statement::new(
            SELECT_UPLOADS_AFTER,
            super::page_params(user_id, after, limit),
        ),
        |result| result.rows.iter().map(upload).collect(),
    )
}

fn upload(row: &Row) -> Result<Upload, NeonError> {
    let kind: String = row.get("kind")?;
    let size: i64 = row.get("size_bytes")?;
    Ok(Upload {
        id: row.get("id")?,
        kind: UploadKind::parse(&kind)
            .ok_or_else(|| NeonError::decode(format!("unknown upload kind {kind}")))?,
        object_key: ObjectKey::stored(row.get("object_key")?),
        content_type: row.get("content_type")?,
        bytes: u64::try_from(size).map_err(|_| NeonError::decode("negative upload size"))?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        completed_at: row.get("completed_at")?,
    })
}

impl<T: Transport, C: Clock> UploadStore for NeonClient<'_, T, C> {
    async fn record_upload(&self, new: &NewUpload<'_>) -> Result<(), StoreError> {
        let size = i64::try_from(new.request.bytes())
            .map_err(|_| StoreError::from(NeonError::decode("upload size out of range")))?;
        self.query(Statement::new(
            INSERT_UPLOAD,
            vec![
                new.id.into(),
                new.user_id.into(),
                new.request.kind().as_str().into(),
                new.object_key.as_str().into(),
                new.request.content_type().into(),
                size.into(),
                new.expires_at.to_rfc3339().into(),
            ],
        ))
        .await?;
        Ok(())
    }

    async fn find_upload(
        &self,
        user_id: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<Upload>, StoreError> {
        let result = self
            .query(Statement::new(
                SELECT_UPLOAD,
                vec![user_id.into(), upload_id.into()],
            ))
            .await?;
        Ok(result.first().as_ref().map(upload).transpose()?)
    }

    async fn complete_upload(
        &self,
        user_id: Uuid,
        upload_id: Uuid,
    ) -> Result<Option<Upload>, StoreError> {
        let result = self
            .query(Statement::new(
                COMPLETE_UPLOAD,
                vec![user_id.into(), upload_id.into()],
            ))
            .await?;
        Ok(result.first().as_ref().map(upload).transpose()?)
    }
}
