//! `GET /v1/credits`: the caller's balance and ledger, newest first, in pages.
//! `POST /admin/credits`: an operator's top-up, behind the admin secret.
//!
//! Amounts are shown in credits (a whole number when they are one) and, exactly, in
//! token units: a credit is `tokens_per_credit` units, and the units never round.

use garde::Validate;
use hmac::{KeyInit, Mac};
use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::workouts::timestamp;
use super::{json, page_cursor, resolve};
use crate::app::credits::{self, CreditError};
use crate::auth::AuthenticatedSubject;
use crate::domain::credits::{Credits, Insufficient, TokensPerCredit};
use crate::http::json::{decode, field_errors};
use crate::http::query::Query;
use crate::http::{ApiError, FieldError, Platform, RequestContext};
use crate::ports::{Account, Ids, LedgerEntry, LedgerReason, PageCursor, TopUp};
use crate::secret::Secret;

/// An amount in credits: a whole number when it is one, else the nearest float. The
/// exact amount is always beside it in units.
pub(super) fn in_credits(amount: Credits, rate: TokensPerCredit) -> Value {
    match rate.split(amount) {
        (whole, 0) => Value::from(whole),
        _ => Value::from(rate.as_f64(amount)),
    }
}

impl ApiError {
    pub(crate) fn insufficient(refused: Insufficient, rate: TokensPerCredit) -> Self {
        ApiError::InsufficientCredits {
            balance: in_credits(refused.balance, rate),
            price: in_credits(refused.price, rate),
        }
    }
}

impl From<(CreditError, TokensPerCredit)> for ApiError {
    fn from((error, rate): (CreditError, TokensPerCredit)) -> Self {
        match error {
            CreditError::Insufficient(refused) => ApiError::insufficient(refused, rate),
            CreditError::Store(error) => ApiError::Database(error),
        }
    }
}

/// Whether `authorization` is `Bearer <admin secret>`. Compared in constant time: both
/// sides are run through HMAC-SHA256 under the same key and the tags compared with
/// `verify_slice`, so neither the secret's bytes nor its length leak through timing.
/// No secret configured: nobody is an admin.
pub(crate) fn is_admin(authorization: Option<&str>, secret: Option<&Secret>) -> bool {
    const LABEL: &[u8] = b"tora admin api";
    let (Some(secret), Some(presented)) = (
        secret,
        authorization.and_then(|value| value.strip_prefix("Bearer ")),
    ) else {
        return false;
    };
    let tag = |key: &[u8]| {
        hmac::Hmac::<sha2::Sha256>::new_from_slice(LABEL).map(|mut mac| {
            mac.update(key);
            mac
        })
    };
    match (tag(secret.expose().as_bytes()), tag(presented.as_bytes())) {
        (Ok(expected), Ok(given)) => given
            .verify_slice(&expected.finalize().into_bytes())
            .is_ok(),
        _ => false,
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CreditBalance))]
pub(crate) struct Balance {
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    credits: Value,
    units: i64,
}

/// A ledger row as `GET /v1/credits` and the export show it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct LedgerItem {
    id: String,
    /// In credits; `delta_units` exactly.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    delta: Value,
    delta_units: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    balance_after: Value,
    balance_after_units: i64,
    reason: &'static str,
    purpose: Option<String>,
    model: Option<String>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    request_id: Option<String>,
    created_at: String,
}

/// The stable name of a ledger reason.
pub(super) fn reason_name(reason: LedgerReason) -> &'static str {
    match reason {
        LedgerReason::StarterGrant => "starter_grant",
        LedgerReason::ModelCall => "model_call",
        LedgerReason::AdminTopUp => "admin_top_up",
        LedgerReason::Refund => "refund",
    }
}

impl LedgerItem {
    pub(super) fn new(entry: LedgerEntry, rate: TokensPerCredit) -> Self {
        Self {
            id: entry.id.to_string(),
            delta: in_credits(entry.delta, rate),
            delta_units: entry.delta.units(),
            balance_after: in_credits(entry.balance_after, rate),
            balance_after_units: entry.balance_after.units(),
            reason: reason_name(entry.reason),
            purpose: entry.purpose,
            model: entry.model,
            input_tokens: entry.input_tokens,
            output_tokens: entry.output_tokens,
            request_id: entry.request_id,
            created_at: timestamp(entry.created_at),
        }
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct LedgerPage {
    items: Vec<LedgerItem>,
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct CreditsResponse {
    balance: Balance,
    tokens_per_credit: u32,
    ledger: LedgerPage,
}

pub(super) async fn get_credits<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let query = Query::parse(context.query.as_deref());
    let limit = query.bounded("limit", 1, 100, 30)?;
    let after = query.cursor()?;
    let rate = context.config.credits.tokens_per_credit;
    let user = resolve(context, caller).await?;
    let (balance, page) = credits::ledger(&context.db, user.id, after, limit).await?;
    let next_cursor = page_cursor(&page, |entry| PageCursor {
        at: entry.created_at,
        id: entry.id,
    });
    json(
        StatusCode::OK,
        &CreditsResponse {
            balance: Balance {
                credits: in_credits(balance, rate),
                units: balance.units(),
            },
            tokens_per_credit: rate.get(),
            ledger: LedgerPage {
                items: page
                    .items
                    .into_iter()
                    .map(|entry| LedgerItem::new(entry, rate))
                    .collect(),
                next_cursor,
            },
        },
    )
}

/// Most credits one top-up may add; a typo of extra zeros is refused.
const MAX_TOP_UP_CREDITS: i64 = 1_000_000;

/// `POST /admin/credits`: exactly one of `subject` and `user_id`.
#[derive(Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    #[garde(inner(length(min = 1, max = 255)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub subject: Option<String>,
    #[garde(inner(length(min = 1, max = 64)))]
    #[cfg_attr(feature = "openapi", schema(format = Uuid))]
    pub user_id: Option<String>,
    #[garde(range(min = 1, max = MAX_TOP_UP_CREDITS))]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub credits: i64,
    #[garde(inner(length(chars, max = 500)))]
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
    /// Makes a retried top-up add nothing more.
    #[garde(inner(length(min = 1, max = 100)))]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct TopUpResponse {
    user_id: String,
    balance: Balance,
    entry: LedgerItem,
}

pub(super) async fn admin_top_up<P: Platform>(
    context: &RequestContext<'_, P>,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let request = decode::<TopUpRequest>(body)?;
    request
        .validate()
        .map_err(|report| ApiError::Validation(field_errors(&report)))?;
    let account = match (&request.subject, &request.user_id) {
        (Some(subject), None) => Account::Subject(subject),
        (None, Some(id)) => Account::Id(Uuid::parse_str(id).map_err(|_| {
            ApiError::Validation(vec![FieldError::new("user_id", "must be a UUID")])
        })?),
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "subject",
                "give exactly one of subject and user_id",
            )]));
        }
    };
    let rate = context.config.credits.tokens_per_credit;
    let amount = Credits::whole(request.credits, rate)
        .ok_or_else(|| ApiError::Validation(vec![FieldError::new("credits", "is too large")]))?;
    let ids = context.platform.ids();
    let entry_id = ids.new_uuid();
    // Without a key the top-up is its own: its entry id is unique.
    let key = request
        .idempotency_key
        .clone()
        .unwrap_or_else(|| entry_id.to_string());
    let topped_up = credits::top_up(
        &context.db,
        &TopUp {
            account,
            entry_id,
            amount,
            note: request.note.as_deref(),
            idempotency_key: &key,
            request_id: context.request_id,
        },
    )
    .await?
    .ok_or(ApiError::AccountNotFound)?;
    json(
        StatusCode::OK,
        &TopUpResponse {
            user_id: topped_up.user_id.to_string(),
            balance: Balance {
                credits: in_credits(topped_up.balance, rate),
                units: topped_up.balance.units(),
            },
            entry: LedgerItem::new(topped_up.entry, rate),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_admin_secret_is_an_admin() {
        let secret = Secret::new("s3cret-admin");
        assert!(is_admin(Some("Bearer s3cret-admin"), Some(&secret)));
        assert!(!is_admin(Some("Bearer s3cret-admin2"), Some(&secret)));
        assert!(!is_admin(Some("Bearer s3cret-admi"), Some(&secret)));
        assert!(!is_admin(Some("s3cret-admin"), Some(&secret)));
        assert!(!is_admin(None, Some(&secret)));
        assert!(!is_admin(Some("Bearer s3cret-admin"), None));
    }

    #[test]
    fn credits_show_whole_when_whole_and_exactly_in_units() {
        let rate = TokensPerCredit::DEFAULT;
        assert_eq!(
            in_credits(Credits::from_units(300_000), rate),
            Value::from(100)
        );
        assert_eq!(
            in_credits(Credits::from_units(1_500), rate),
            Value::from(0.5)
        );
    }
}
