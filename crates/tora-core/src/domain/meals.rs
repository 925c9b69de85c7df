//! A meal's macro estimate, as the model reads it from a photo or a description: the
//! `log_meal` tool's contract, and the checks its input must pass before it is stored.
//! An estimate is only ever built by `from_tool_input`, so a stored one is always
//! non-negative, bounded, and has calories that agree with its macros.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::extraction::Confidence;
use crate::domain::text::SingleLine;

/// The tool the model must call.
pub const MEAL_TOOL_NAME: &str = "log_meal";

/// The system prompt for reading a meal. Short on purpose: the schema carries the shape.
pub const MEAL_PROMPT: &str = "You estimate the nutrition of one meal from a photo or a \
description. Call log_meal once. List what you can identify with its weight in grams; \
give kcal and grams of protein, carbohydrate and fat for the whole meal, consistent with \
4 kcal per gram of protein and carbohydrate and 9 per gram of fat. Set confidence from 0 \
to 1 by how sure you are of the foods and portions. Never invent a food you cannot see \
or that is not described.";

/// A meal as a person describes it: 1 to 500 characters.
pub type MealDescription = crate::domain::text::MultiLine<500>;

/// A food's name as the model wrote it: one line of 1 to 80 characters.
pub type FoodName = SingleLine<80>;

/// The most items one meal may list: more is a buffet, not a meal to log.
pub const MAX_ITEMS: usize = 30;
/// The most one item may weigh, and the most a meal may hold, in kcal.
pub const MAX_ITEM_GRAMS: f64 = 5_000.0;
pub const MAX_KCAL: f64 = 10_000.0;

/// Calories and macros may disagree by this share (or `KCAL_SLACK`, whichever is
/// more): Atwater factors are averages, and fibre and rounding move real labels too.
const KCAL_TOLERANCE: f64 = 0.15;
const KCAL_SLACK: f64 = 40.0;

/// One identified food.
#[derive(Debug, Clone, PartialEq)]
pub struct MealItem {
    pub name: FoodName,
    pub grams: f64,
}

/// Energy and macros of a whole meal, checked for consistency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Macros {
    pub kcal: f64,
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
}

impl Macros {
    /// The energy the macros account for (Atwater: 4, 4, 9 kcal per gram).
    pub fn atwater_kcal(&self) -> f64 {
        4.0 * self.protein_g + 4.0 * self.carbs_g + 9.0 * self.fat_g
    }

    /// Sums, for a day's totals.
    pub fn plus(self, other: Macros) -> Macros {
        Macros {
            kcal: self.kcal + other.kcal,
            protein_g: self.protein_g + other.protein_g,
            carbs_g: self.carbs_g + other.carbs_g,
            fat_g: self.fat_g + other.fat_g,
        }
    }

    pub const ZERO: Macros = Macros {
        kcal: 0.0,
        protein_g: 0.0,
        carbs_g: 0.0,
        fat_g: 0.0,
    };
}

/// The instants of one local day in `timezone`: from its first instant to the next
/// day's (a DST day is 23 or 25 hours long; a day whose midnight does not exist starts
/// at its earliest instant).
pub fn day_bounds(
    day: chrono::NaiveDate,
    timezone: super::profile::Timezone,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let start = |day: chrono::NaiveDate| {
        (0..=3)
            .filter_map(|hour| day.and_hms_opt(hour, 0, 0))
            .find_map(|local| local.and_local_timezone(timezone).earliest())
            .map_or_else(
                || day.and_time(chrono::NaiveTime::MIN).and_utc(),
                |local| local.with_timezone(&chrono::Utc),
            )
    };
    let next = day.succ_opt().unwrap_or(day);
    (start(day), start(next))
}

/// The meal a chat message asks to log, if it is one: "log my lunch: 200 g chicken and
/// rice", "log a meal - oats with milk", "for dinner I had salmon and potatoes",
/// "breakfast: 2 eggs and toast". The description is returned as written.
pub fn meal_in_chat(text: &str) -> Option<&str> {
    const MEALS: [&str; 5] = ["breakfast", "lunch", "dinner", "snack", "meal"];
    let trimmed = text.trim();
    let lower = trimmed.to_lowercase();
    // Lowercasing keeps byte offsets for the ASCII prefixes matched below.
    if lower.len() != trimmed.len() {
        return None;
    }
    let rest_after = |prefix_len: usize| {
        let rest = trimmed[prefix_len..].trim_start_matches([':', '-', ',', ' ', '\t']);
        (!rest.trim().is_empty() && prefix_len < trimmed.len()).then(|| rest.trim())
    };
    for meal in MEALS {
        for prefix in [
            format!("log my {meal}"),
            format!("log a {meal}"),
            format!("log {meal}"),
        ] {
            if lower.starts_with(&prefix) {
                return rest_after(prefix.len());
            }
        }
        for verb in ["had", "ate"] {
            let prefix = format!("for {meal} i {verb}");
            if lower.starts_with(&prefix) {
                return rest_after(prefix.len());
            }
        }
        let prefix = format!("{meal}:");
        if lower.starts_with(&prefix) {
            return rest_after(prefix.len());
        }
    }
    None
}

/// What the model read in a meal, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct MealEstimate {
    items: Vec<MealItem>,
    macros: Macros,
    confidence: Confidence,
}

impl MealEstimate {
    pub fn items(&self) -> &[MealItem] {
        &self.items
    }

    pub fn macros(&self) -> Macros {
        self.macros
    }

    pub fn confidence(&self) -> Confidence {
        self.confidence
    }
}

/// Why the model's meal was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MealError {
    #[error("tool input does not have the contract's shape at {path}: {reason}")]
    Shape { path: String, reason: String },
    #[error("confidence {0} is outside 0..1")]
    Confidence(f64),
    #[error("a meal lists 1 to {MAX_ITEMS} items")]
    ItemCount,
    #[error("item {index}: {reason}")]
    Item { index: usize, reason: String },
    #[error("{field} must be a number from 0 to {max}")]
    OutOfRange { field: &'static str, max: f64 },
    #[error("{kcal} kcal does not agree with the macros ({atwater:.0} kcal by 4/4/9)")]
    Inconsistent { kcal: f64, atwater: f64 },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolInput {
    items: Vec<ItemInput>,
    kcal: f64,
    protein_g: f64,
    carbs_g: f64,
    fat_g: f64,
    confidence: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemInput {
    name: String,
    grams: f64,
}

fn in_range(field: &'static str, value: f64, max: f64) -> Result<f64, MealError> {
    if value.is_finite() && (0.0..=max).contains(&value) {
        Ok(value)
    } else {
        Err(MealError::OutOfRange { field, max })
    }
}

/// Turns the model's tool input into a validated estimate, or says what was wrong.
pub fn from_tool_input(input: &Value) -> Result<MealEstimate, MealError> {
    let input: ToolInput =
        serde_path_to_error::deserialize(input).map_err(|error| MealError::Shape {
            path: error.path().to_string(),
            reason: error.inner().to_string(),
        })?;
    let confidence =
        Confidence::new(input.confidence).ok_or(MealError::Confidence(input.confidence))?;
    if input.items.is_empty() || input.items.len() > MAX_ITEMS {
        return Err(MealError::ItemCount);
    }
    let items = input
        .items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let name = FoodName::parse(&item.name).map_err(|error| MealError::Item {
                index,
                reason: format!("name {error}"),
            })?;
            let grams =
                in_range("grams", item.grams, MAX_ITEM_GRAMS).map_err(|error| MealError::Item {
                    index,
                    reason: error.to_string(),
                })?;
            Ok(MealItem { name, grams })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let macros = Macros {
        kcal: in_range("kcal", input.kcal, MAX_KCAL)?,
        protein_g: in_range("protein_g", input.protein_g, MAX_KCAL / 4.0)?,
        carbs_g: in_range("carbs_g", input.carbs_g, MAX_KCAL / 4.0)?,
        fat_g: in_range("fat_g", input.fat_g, MAX_KCAL / 9.0)?,
    };
    let atwater = macros.atwater_kcal();
    if (macros.kcal - atwater).abs() > (KCAL_TOLERANCE * macros.kcal.max(atwater)).max(KCAL_SLACK) {
        return Err(MealError::Inconsistent {
            kcal: macros.kcal,
            atwater,
        });
    }
    Ok(MealEstimate {
        items,
        macros,
        confidence,
    })
}

/// The tool's input schema: the estimate's contract.
pub fn tool_input_schema() -> Value {
    let grams = json!({"type": "number", "minimum": 0});
    json!({
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ITEMS,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "maxLength": 80},
                        "grams": {"type": "number", "minimum": 0, "maximum": MAX_ITEM_GRAMS}
                    },
                    "required": ["name", "grams"]
                }
            },
            "kcal": {"type": "number", "minimum": 0, "maximum": MAX_KCAL},
            "protein_g": grams,
            "carbs_g": grams,
            "fat_g": grams,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1}
        },
        "required": ["items", "kcal", "protein_g", "carbs_g", "fat_g", "confidence"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lunch() -> Value {
        json!({
            "items": [{"name": "grilled chicken breast", "grams": 200}, {"name": "white rice", "grams": 180}],
            "kcal": 560, "protein_g": 66, "carbs_g": 50, "fat_g": 8, "confidence": 0.8
        })
    }

    #[test]
    fn meals_are_told_in_chat_by_how_they_start() {
        let cases = [
            (
                "log my lunch: 200 g chicken and rice",
                Some("200 g chicken and rice"),
            ),
            ("Log my breakfast - Oats with milk", Some("Oats with milk")),
            ("log a meal, 2 eggs", Some("2 eggs")),
            (
                "For dinner I had salmon and potatoes",
                Some("salmon and potatoes"),
            ),
            ("snack: banana", Some("banana")),
            ("log my lunch", None),
            ("log my lunch:   ", None),
            ("3x8 pull-ups", None),
            ("what should I eat for lunch?", None),
            ("lunchtime workout: 3x8 pull-ups", None),
        ];
        for (text, expected) in cases {
            assert_eq!(meal_in_chat(text), expected, "{text}");
        }
    }

    #[test]
    fn a_day_runs_from_local_midnight_to_local_midnight() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let (start, end) = day_bounds(day, "Europe/Berlin".parse().unwrap());
        assert_eq!(start.to_rfc3339(), "2026-03-28T23:00:00+00:00");
        // Clocks go forward that night: the day is 23 hours long.
        assert_eq!(end.to_rfc3339(), "2026-03-29T22:00:00+00:00");
        let (start, end) = day_bounds(day, super::super::profile::Timezone::utc());
        assert_eq!((end - start).num_hours(), 24);
    }

    #[test]
    fn a_consistent_meal_is_read_whole() {
        let meal = from_tool_input(&lunch()).unwrap();
        assert_eq!(meal.items().len(), 2);
        assert_eq!(meal.items()[0].name.as_str(), "grilled chicken breast");
        assert_eq!(meal.items()[1].grams, 180.0);
        assert_eq!(meal.macros().kcal, 560.0);
        assert_eq!(
            meal.macros().atwater_kcal(),
            4.0 * 66.0 + 4.0 * 50.0 + 9.0 * 8.0
        );
        assert_eq!(meal.confidence().value(), 0.8);
    }

    #[test]
    fn calories_must_agree_with_the_macros_within_the_tolerance() {
        // 536 kcal by 4/4/9: 600 is within 15 %, 700 is not.
        let mut near = lunch();
        near["kcal"] = json!(600);
        assert!(from_tool_input(&near).is_ok());
        let mut far = lunch();
        far["kcal"] = json!(700);
        assert!(matches!(
            from_tool_input(&far),
            Err(MealError::Inconsistent { kcal, .. }) if kcal == 700.0
        ));
        // Small meals get an absolute slack: a 30 kcal coffee with 0 macros listed
        // is fine, a 100 kcal one is not.
        let coffee = |kcal: f64| {
            json!({"items": [{"name": "black coffee", "grams": 250}], "kcal": kcal,
                   "protein_g": 0, "carbs_g": 0, "fat_g": 0, "confidence": 0.9})
        };
        assert!(from_tool_input(&coffee(30.0)).is_ok());
        assert!(from_tool_input(&coffee(100.0)).is_err());
    }

    #[test]
    fn negative_absurd_or_malformed_input_is_refused() {
        let cases = [
            ("kcal", json!(-1)),
            ("protein_g", json!(-0.5)),
            ("kcal", json!(10_001)),
            ("confidence", json!(1.5)),
            ("items", json!([])),
            ("items", json!([{"name": "rice", "grams": -5}])),
            ("items", json!([{"name": "", "grams": 5}])),
            ("items", json!([{"name": "rice", "grams": 5, "brand": "x"}])),
            ("fat_g", json!("eight")),
        ];
        for (field, value) in cases {
            let mut input = lunch();
            input[field] = value.clone();
            assert!(from_tool_input(&input).is_err(), "{field} = {value}");
        }
        let mut extra = lunch();
        extra["notes"] = json!("yum");
        assert!(matches!(
            from_tool_input(&extra),
            Err(MealError::Shape { .. })
        ));
        let many: Vec<Value> = (0..31)
            .map(|index| json!({"name": format!("bite {index}"), "grams": 1}))
            .collect();
        let mut buffet = lunch();
        buffet["items"] = json!(many);
        assert_eq!(from_tool_input(&buffet), Err(MealError::ItemCount));
    }

    #[test]
    fn the_schema_requires_what_the_reader_requires() {
        let schema = tool_input_schema();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field.as_str().unwrap())
            .collect();
        assert_eq!(
            required,
            [
                "items",
                "kcal",
                "protein_g",
                "carbs_g",
                "fat_g",
                "confidence"
            ]
        );
        for field in &required {
            let mut input = lunch();
            input.as_object_mut().unwrap().remove(*field);
            assert!(from_tool_input(&input).is_err(), "{field} is required");
        }
    }
}
