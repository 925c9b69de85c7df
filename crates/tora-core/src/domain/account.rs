//! A person's account as the core sees it: who they are to the identity provider,
//! their profile and their credit balance.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::profile::{Timezone, Units};
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
    pub credit_balance: i64,
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
    pub starter_credits: i64,
}
