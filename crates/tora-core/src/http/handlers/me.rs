use garde::Validate;
use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::workouts::{not_null, present_or_null};
use super::{json, no_content, resolve};
use crate::app::accounts;
use crate::auth::AuthenticatedSubject;
use crate::db::users::User;
use crate::domain::credits::TokensPerCredit;
use crate::domain::profile::{
    CoachStyle, DisplayName, ProfileChange, RestDays, Timezone, Units, WeeklyGoal,
};
use crate::http::json::{decode, field_errors};
use crate::http::{ApiError, FieldError, Platform, RequestContext};

/// The caller's account as the app shows it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub id: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = "^(kg|lb)$"))]
    pub units: &'static str,
    pub timezone: &'static str,
    /// `templated`, or `ai` for replies phrased by the model (metered).
    #[cfg_attr(feature = "openapi", schema(pattern = "^(templated|ai)$"))]
    pub coach_style: &'static str,
    /// Training days a week the person aims for (1 to 7); null: no goal.
    pub weekly_goal_days: Option<u32>,
    /// Weekdays planned for rest (`mon` … `sun`), Monday first.
    pub rest_days: Vec<&'static str>,
    /// Volume counts every side's work ("5 each side" is 10 reps); false: a set done on
    /// each side, or a left set with its right one, counts once.
    pub count_sides_separately: bool,
    pub credits: CreditsView,
    pub created_at: String,
}

/// The balance in credits (a whole number when it is one) and, exactly, in token
/// units.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = AccountCredits))]
pub struct CreditsView {
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub balance: serde_json::Value,
    pub units: i64,
}

impl MeResponse {
    pub(super) fn new(user: &User, rate: TokensPerCredit) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            units: user.units.as_str(),
            timezone: user.timezone.name(),
            coach_style: user.coach_style.as_str(),
            weekly_goal_days: user.weekly_goal.map(WeeklyGoal::days),
            rest_days: user.rest_days.names(),
            count_sides_separately: user.count_sides_separately,
            credits: CreditsView {
                balance: super::credits::in_credits(user.credit_balance, rate),
                units: user.credit_balance.units(),
            },
            created_at: user
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }
    }
}

/// `PATCH /v1/me`: every field optional; `display_name: null` clears the name.
#[derive(Debug, Deserialize, Validate)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// Checked by the text rule in `into_change`, with the other fields.
    #[serde(default, deserialize_with = "present_or_null")]
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 60))]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[garde(inner(length(max = 8)))]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(kg|lb)$", nullable = false))]
    pub units: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[garde(inner(length(min = 1, max = 64)))]
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 64, nullable = false)
    )]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[garde(inner(length(max = 16)))]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(templated|ai)$", nullable = false)
    )]
    pub coach_style: Option<String>,
    /// Training days a week, 1 to 7; `null` removes the goal.
    #[serde(default, deserialize_with = "present_or_null")]
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 7))]
    pub weekly_goal_days: Option<Option<i64>>,
    /// Distinct weekdays (`mon` … `sun`) planned for rest; `[]` plans none.
    #[serde(default, deserialize_with = "not_null")]
    #[garde(inner(length(max = 7)))]
    #[cfg_attr(feature = "openapi", schema(max_items = 7, nullable = false))]
    pub rest_days: Option<Vec<String>>,
    /// Count every side's work in volume; `false` counts a left+right pair once.
    #[serde(default, deserialize_with = "not_null")]
    #[garde(skip)]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub count_sides_separately: Option<bool>,
}

impl UpdateMeRequest {
    /// Validates every field and reports all failures together.
    pub(super) fn into_change(self) -> Result<ProfileChange, ApiError> {
        if let Err(report) = self.validate() {
            return Err(ApiError::Validation(field_errors(&report)));
        }
        let mut errors = Vec::new();
        let display_name = match self.display_name {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => match DisplayName::parse(&raw) {
                Ok(name) => Some(Some(name)),
                Err(error) => {
                    errors.push(FieldError::new("display_name", error.to_string()));
                    None
                }
            },
        };
        let units = self.units.and_then(|raw| {
            raw.parse::<Units>()
                .map_err(|error| errors.push(FieldError::new("units", error.to_string())))
                .ok()
        });
        let timezone = self.timezone.and_then(|raw| {
            raw.parse::<Timezone>()
                .map_err(|error| errors.push(FieldError::new("timezone", error.to_string())))
                .ok()
        });
        let coach_style = self.coach_style.and_then(|raw| {
            raw.parse::<CoachStyle>()
                .map_err(|error| errors.push(FieldError::new("coach_style", error.to_string())))
                .ok()
        });
        let weekly_goal = match self.weekly_goal_days {
            None => None,
            Some(None) => Some(None),
            Some(Some(days)) => WeeklyGoal::new(days)
                .map(|goal| Some(Some(goal)))
                .unwrap_or_else(|error| {
                    errors.push(FieldError::new("weekly_goal_days", error.to_string()));
                    None
                }),
        };
        let rest_days = self.rest_days.and_then(|names| {
            RestDays::parse(&names)
                .map_err(|error| errors.push(FieldError::new("rest_days", error.to_string())))
                .ok()
        });
        if errors.is_empty() {
            Ok(ProfileChange {
                display_name,
                units,
                timezone,
                coach_style,
                weekly_goal,
                rest_days,
                count_sides_separately: self.count_sides_separately,
            })
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

pub(super) async fn get_me<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let user = resolve(context, caller).await?;
    json(
        StatusCode::OK,
        &MeResponse::new(&user, context.config.credits.tokens_per_credit),
    )
}

pub(super) async fn update_me<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
    body: &[u8],
) -> Result<Response<Vec<u8>>, ApiError> {
    let change = decode::<UpdateMeRequest>(body)?.into_change()?;
    let user = resolve(context, caller).await?;
    let updated = accounts::update_profile(&context.db, &user, &change).await?;
    json(
        StatusCode::OK,
        &MeResponse::new(&updated, context.config.credits.tokens_per_credit),
    )
}

pub(super) async fn delete_me<P: Platform>(
    context: &RequestContext<'_, P>,
    caller: &AuthenticatedSubject,
) -> Result<Response<Vec<u8>>, ApiError> {
    let user = resolve(context, caller).await?;
    accounts::erase_account(
        &context.db,
        context.storage().as_ref(),
        context.platform.ids(),
        &user,
        &context.config.credits,
        context.now(),
    )
    .await?;
    Ok(no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(body: &str) -> Result<ProfileChange, ApiError> {
        decode::<UpdateMeRequest>(body.as_bytes())?.into_change()
    }

    #[test]
    fn absent_null_and_present_names_differ() {
        assert_eq!(change("{}").unwrap(), ProfileChange::default());
        assert_eq!(
            change(r#"{"display_name":null}"#).unwrap().display_name,
            Some(None)
        );
        assert_eq!(
            change(r#"{"display_name":" Ana "}"#).unwrap().display_name,
            Some(Some(DisplayName::parse("Ana").unwrap()))
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let Err(ApiError::Validation(errors)) =
            change(r#"{"display_name":"","units":"stone","timezone":"Mars/Base"}"#)
        else {
            panic!("expected validation errors");
        };
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["display_name", "units", "timezone"]);
    }

    #[test]
    fn a_goal_can_be_set_or_removed_and_rest_days_are_weekdays() {
        let set = change(r#"{"weekly_goal_days":4,"rest_days":["sat","sun"]}"#).unwrap();
        assert_eq!(set.weekly_goal, Some(WeeklyGoal::new(4).ok()));
        assert_eq!(set.rest_days, RestDays::parse(&["sat", "sun"]).ok());
        assert_eq!(
            change(r#"{"weekly_goal_days":null}"#).unwrap().weekly_goal,
            Some(None)
        );
        assert_eq!(
            change(r#"{"rest_days":[]}"#).unwrap().rest_days,
            Some(RestDays::NONE)
        );
        let Err(ApiError::Validation(errors)) =
            change(r#"{"weekly_goal_days":8,"rest_days":["sat","Sunday"]}"#)
        else {
            panic!("expected validation errors");
        };
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(fields, ["weekly_goal_days", "rest_days"]);
        for body in [r#"{"rest_days":null}"#, r#"{"weekly_goal_days":"4"}"#] {
            assert!(
                matches!(change(body), Err(ApiError::Validation(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn display_names_follow_the_single_line_text_rule() {
        for (raw, message) in [
            (
                "Ana\u{0}",
                "must not contain control characters (found U+0000)",
            ),
            (
                "\u{1b}[31mAna",
                "must not contain control characters (found U+001B)",
            ),
            (
                "Ana\tBob",
                "must not contain control characters (found U+0009)",
            ),
            ("Ana\nBob", "must be a single line"),
            ("\u{200b}\u{200b}", "must not be blank"),
            ("\u{2060}", "must not be blank"),
        ] {
            let body = serde_json::json!({ "display_name": raw }).to_string();
            let Err(ApiError::Validation(errors)) = change(&body) else {
                panic!("{raw:?}: expected validation errors");
            };
            assert_eq!(errors[0].field, "display_name", "{raw:?}");
            assert_eq!(errors[0].message, message, "{raw:?}");
        }
        let sixty = serde_json::json!({ "display_name": "ß".repeat(60) }).to_string();
        assert!(change(&sixty).is_ok(), "sixty characters of two bytes");
    }

    #[test]
    fn garde_bounds_apply_before_parsing() {
        let long = format!(r#"{{"timezone":"{}"}}"#, "a".repeat(65));
        let Err(ApiError::Validation(errors)) = change(&long) else {
            panic!("expected validation errors");
        };
        assert_eq!(errors[0].field, "timezone");
    }

    #[test]
    fn units_and_timezones_must_be_strings() {
        let Err(ApiError::Validation(errors)) = change(r#"{"units":5}"#) else {
            panic!("expected validation errors");
        };
        assert_eq!(errors[0].field, "units");
        let Err(ApiError::Validation(errors)) = change(r#"{"units":null}"#) else {
            panic!("units cannot be cleared");
        };
        assert_eq!(errors[0].field, "units");
    }
}
