//! A person's account as the core sees it: who they are to the identity provider,
//! their profile and their credit balance.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::profile::{Timezone, Units};

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
