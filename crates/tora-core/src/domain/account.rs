//! A person's account as the core sees it: who they are to the identity provider,
//! their profile and their credit balance.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use hmac::{KeyInit, Mac};

use crate::domain::credits::Credits;
use crate::domain::profile::{CoachStyle, RestDays, Timezone, Units, WeeklyGoal};
use crate::domain::text::SingleLine;

/// The email address the identity provider vouches for: optional profile data, one
/// clean line of at most 320 characters (64 for the local part, @, 255 for the
/// domain). It is not checked for being an address: the provider did that.
pub type Email = SingleLine<320>;

/// A user as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Uuid,
    pub auth_subject: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub units: Units,
    pub timezone: Timezone,
    pub coach_style: CoachStyle,
    /// Training days a week the person aims for; `None`: no goal.
    pub weekly_goal: Option<WeeklyGoal>,
    pub rest_days: RestDays,
    /// Volume counts every side's work, not a left+right pair once.
    pub count_sides_separately: bool,
    /// In token units (`domain::credits`).
    pub credit_balance: Credits,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What to create when a subject is seen for the first time.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub grant_id: Uuid,
    pub auth_subject: &'a str,
    pub email: Option<&'a str>,
    /// The starter grant, in token units; given only if `subject_hash` was never
    /// granted before (an erased account that comes back starts at 0).
    pub starter_credits: Credits,
    pub subject_hash: SubjectHash,
}

/// HMAC-SHA256 of a subject under a server key: what remembers that a subject had
/// its starter grant after the account is erased, without keeping the subject.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SubjectHash([u8; 32]);

impl SubjectHash {
    pub fn of(key: &[u8], subject: &str) -> Self {
        // HMAC takes keys of any length, so this cannot fail; the fallback keeps
        // the signature total without a panic.
        let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
            Ok(mac) => mac,
            Err(_) => return Self([0; 32]),
        };
        mac.update(subject.as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&mac.finalize().into_bytes());
        Self(hash)
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for SubjectHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SubjectHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_hash_is_keyed_hmac_sha256() {
        // RFC 4231 test case 2.
        let hash = SubjectHash::of(b"Jefe", "what do ya want for nothing?");
        assert_eq!(
            hash.hex(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(
            SubjectHash::of(b"other", "what do ya want for nothing?"),
            hash
        );
    }
}
