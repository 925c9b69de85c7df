//! Uploads: what a person may upload (kind, content type, size) and where it lives in
//! the bucket. An object key is built only here, from the owner's prefix, the kind and
//! the upload's id, so no request can name the key of someone else's object.

use uuid::Uuid;

/// What an upload is for; each kind has its own content types and size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UploadKind {
    MealPhoto,
    FormVideo,
    /// Another logger's export, too large to send inline.
    ImportCsv,
}

impl UploadKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "meal_photo" => Some(Self::MealPhoto),
            "form_video" => Some(Self::FormVideo),
            "import_csv" => Some(Self::ImportCsv),
            _ => None,
        }
    }

    /// The name stored in `uploads.kind` and used in object keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MealPhoto => "meal_photo",
            Self::FormVideo => "form_video",
            Self::ImportCsv => "import_csv",
        }
    }

    /// The content types a client may declare (and is then held to by the signature).
    pub fn content_types(self) -> &'static [&'static str] {
        match self {
            Self::MealPhoto => &["image/jpeg", "image/png", "image/webp", "image/heic"],
            Self::FormVideo => &["video/mp4", "video/quicktime"],
            Self::ImportCsv => &["text/csv", "text/plain"],
        }
    }

    /// The largest object of this kind, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            Self::MealPhoto => 10 * 1024 * 1024,
            Self::FormVideo => 200 * 1024 * 1024,
            Self::ImportCsv => IMPORT_FILE_MAX_BYTES,
        }
    }
}

/// The largest import file: years of daily training from Strong or Hevy are a few
/// megabytes, and the whole file is read in one request.
pub const IMPORT_FILE_MAX_BYTES: u64 = 20 * 1024 * 1024;

/// The part of every key that names its owner: a keyed hash of the user's id, so the
/// bucket's listing shows no user ids and the prefix cannot be guessed from one.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnerPrefix(String);

impl OwnerPrefix {
    /// `key` is a deployment secret; a different purpose string than the subject
    /// hashes of `credit_grants` keeps the two unlinkable.
    pub fn of(key: &[u8], user_id: Uuid) -> Self {
        let hash = super::account::SubjectHash::of(key, &format!("uploads:{user_id}"));
        Self(hash.hex())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for OwnerPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnerPrefix(..)")
    }
}

/// `users/{owner}/{kind}/{upload_id}`: the only shape of key the worker signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn new(owner: &OwnerPrefix, kind: UploadKind, upload_id: Uuid) -> Self {
        Self(format!(
            "users/{}/{}/{upload_id}",
            owner.as_str(),
            kind.as_str()
        ))
    }

    /// Every key of one owner starts with this (with the trailing slash, so one
    /// owner's prefix is never the start of another's).
    pub fn owner_prefix(owner: &OwnerPrefix) -> String {
        format!("users/{}/", owner.as_str())
    }

    /// A key read back from storage, where only keys built by [`ObjectKey::new`] are
    /// written.
    pub fn stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a requested upload is refused, field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadProblem {
    pub field: &'static str,
    pub message: String,
}

/// An upload a person may make: a known kind, a content type allowed for it, and a
/// size from 1 byte to the kind's limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    kind: UploadKind,
    content_type: &'static str,
    bytes: u64,
}

impl UploadRequest {
    /// Every failing field is reported, not just the first.
    pub fn parse(kind: &str, content_type: &str, bytes: i64) -> Result<Self, Vec<UploadProblem>> {
        let mut problems = Vec::new();
        let kind = UploadKind::parse(kind);
        if kind.is_none() {
            problems.push(UploadProblem {
                field: "kind",
                message: "must be meal_photo or form_video".into(),
            });
        }
        // The allowed type itself (a `'static` string) is what gets signed, so the
        // URL never carries text the client chose.
        let allowed = kind.and_then(|kind| {
            let wanted = content_type.trim().to_ascii_lowercase();
            kind.content_types()
                .iter()
                .copied()
                .find(|allowed| *allowed == wanted)
        });
        if let (Some(kind), None) = (kind, allowed) {
            problems.push(UploadProblem {
                field: "content_type",
                message: format!("must be one of {}", kind.content_types().join(", ")),
            });
        }
        let size = u64::try_from(bytes).ok().filter(|bytes| *bytes > 0);
        match (kind, size) {
            (_, None) => problems.push(UploadProblem {
                field: "bytes",
                message: "must be a positive number of bytes".into(),
            }),
            (Some(kind), Some(size)) if size > kind.max_bytes() => problems.push(UploadProblem {
                field: "bytes",
                message: format!(
                    "must be at most {} bytes for {}",
                    kind.max_bytes(),
                    kind.as_str()
                ),
            }),
            _ => {}
        }
        match (kind, allowed, size) {
            (Some(kind), Some(content_type), Some(bytes)) if problems.is_empty() => Ok(Self {
                kind,
                content_type,
                bytes,
            }),
            _ => Err(problems),
        }
    }

    pub fn kind(&self) -> UploadKind {
        self.kind
    }
    pub fn content_type(&self) -> &'static str {
        self.content_type
    }
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// An upload as stored: always its owner's (every read names the owner).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: Uuid,
    pub kind: UploadKind,
    pub object_key: ObjectKey,
    pub content_type: String,
    pub bytes: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_namespaced_by_a_keyed_hash_of_the_owner() {
        let user = Uuid::from_u128(7);
        let owner = OwnerPrefix::of(b"key", user);
        let key = ObjectKey::new(&owner, UploadKind::MealPhoto, Uuid::from_u128(9));
        assert!(key.as_str().starts_with(&ObjectKey::owner_prefix(&owner)));
        assert!(
            key.as_str()
                .ends_with("/meal_photo/00000000-0000-0000-0000-000000000009")
        );
        assert!(!key.as_str().contains(&user.to_string()));
        assert_ne!(OwnerPrefix::of(b"key", Uuid::from_u128(8)), owner);
        assert_ne!(OwnerPrefix::of(b"other", user), owner);
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        let ok = UploadRequest::parse("meal_photo", "Image/JPEG", 1024).unwrap();
        assert_eq!(ok.content_type(), "image/jpeg");
        assert_eq!(ok.bytes(), 1024);
        let fields = |kind: &str, content_type: &str, bytes: i64| -> Vec<&'static str> {
            UploadRequest::parse(kind, content_type, bytes)
                .unwrap_err()
                .iter()
                .map(|problem| problem.field)
                .collect()
        };
        assert_eq!(
            fields("meal_photo", "video/mp4", 0),
            ["content_type", "bytes"]
        );
        assert_eq!(
            fields("form_video", "video/mp4", 200 * 1024 * 1024 + 1),
            ["bytes"]
        );
        assert_eq!(
            fields("meal_photo", "image/png", 10 * 1024 * 1024 + 1),
            ["bytes"]
        );
        assert_eq!(fields("selfie", "image/png", 10), ["kind"]);
        assert!(UploadRequest::parse("form_video", "video/quicktime", 200 * 1024 * 1024).is_ok());
    }

    #[test]
    fn kinds_have_their_own_types_and_limits() {
        assert_eq!(UploadKind::parse("form_video"), Some(UploadKind::FormVideo));
        assert_eq!(UploadKind::parse("meal"), None);
        assert!(
            UploadKind::MealPhoto
                .content_types()
                .contains(&"image/heic")
        );
        assert!(!UploadKind::MealPhoto.content_types().contains(&"video/mp4"));
        assert_eq!(UploadKind::MealPhoto.max_bytes(), 10_485_760);
        assert_eq!(UploadKind::FormVideo.max_bytes(), 209_715_200);
    }
}
