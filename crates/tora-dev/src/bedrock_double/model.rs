//! What the double's "models" answer: Converse for the Nova text models, InvokeModel
//! for Titan Text Embeddings V2, in Bedrock's JSON shapes. Answers are deterministic:
//! a forced tool gets an extraction of the last user message (the workout parser for
//! the parse contract, plausible values from the schema for any other tool), and
//! embeddings are hashed character trigrams, so similar texts land near each other.

use serde_json::{Map, Value, json};
use tora_core::domain::catalog::Catalog;
use tora_core::domain::parser::{ParseOutcome, parse};

use super::AwsError;

/// The text models Converse serves: base ids and the inference profiles of each.
const CONVERSE_MODELS: &[&str] = &[
    "amazon.nova-micro-v1:0",
    "amazon.nova-lite-v1:0",
    "amazon.nova-pro-v1:0",
    "amazon.nova-2-lite-v1:0",
];
const PROFILE_PREFIXES: &[&str] = &["", "us.", "eu.", "apac.", "global."];

pub const TITAN_EMBED_V2: &str = "amazon.titan-embed-text-v2:0";

/// Which operation a model id supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Chat,
    Embedding,
}

/// Looks a model id up; `None` for ids Bedrock would not know.
pub fn model_kind(model_id: &str) -> Option<ModelKind> {
    if model_id == TITAN_EMBED_V2 {
        return Some(ModelKind::Embedding);
    }
    let base = PROFILE_PREFIXES
        .iter()
        .filter_map(|prefix| model_id.strip_prefix(prefix))
        .find(|base| CONVERSE_MODELS.contains(base));
    base.map(|_| ModelKind::Chat)
}

/// Rough token count, like the ~4 characters per token of English text.
pub fn tokens(text: &str) -> u64 {
    let chars = u64::try_from(text.chars().count()).unwrap_or(u64::MAX);
    chars.div_ceil(4).max(1)
}

/// How a Converse answer should deviate from a correct one (fault injection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deviation {
    None,
    TextInsteadOfTool,
    SchemaBreakingToolCall,
}

/// A Converse answer and its token counts.
pub struct ConverseAnswer {
    pub body: Value,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Answers a Converse request body. `latency_ms` is what `metrics.latencyMs` reports.
pub fn converse(
    request: &Value,
    deviation: Deviation,
    latency_ms: u64,
    request_id: &str,
) -> Result<ConverseAnswer, AwsError> {
    let Some(messages) = request.get("messages").and_then(Value::as_array) else {
        return Err(AwsError::validation(
            "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null",
        ));
    };
    if messages.is_empty() {
        return Err(AwsError::validation(
            "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        ));
    }
    if messages
        .first()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        != Some("user")
    {
        return Err(AwsError::validation(
            "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        ));
    }
    let input_text = input_text(request);
    let last_user = messages
        .iter()
        .rev()
        .find(|message| message.get("role").and_then(Value::as_str) == Some("user"))
        .map(message_text)
        .unwrap_or_default();

    let tool = forced_tool(request)?;
    let mut content = Vec::new();
    let stop_reason = match (tool, deviation) {
        (Some(tool), Deviation::None) => {
            content.push(json!({"text": format!("I'll record this with {}.", tool.name)}));
            content.push(tool_use(
                &tool.name,
                extraction(&tool.schema, &last_user),
                request_id,
            ));
            "tool_use"
        }
        (Some(tool), Deviation::SchemaBreakingToolCall) => {
            content.push(tool_use(
                &tool.name,
                schema_breaking(&tool.schema),
                request_id,
            ));
            "tool_use"
        }
        (Some(_), Deviation::TextInsteadOfTool) | (None, _) => {
            content.push(json!({"text": grounded(request, reply(&last_user))}));
            "end_turn"
        }
    };
    let output_text: String = content.iter().map(Value::to_string).collect();
    let input_tokens = tokens(&input_text);
    let output_tokens = tokens(&output_text);
    Ok(ConverseAnswer {
        body: json!({
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": {
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "totalTokens": input_tokens + output_tokens,
                "cacheReadInputTokens": 0,
                "cacheWriteInputTokens": 0,
            },
            "metrics": {"latencyMs": latency_ms},
        }),
        input_tokens,
        output_tokens,
    })
}

/// Everything the model reads, for the input token count: system prompt, every text
/// block, and the tool definitions.
pub fn input_text(request: &Value) -> String {
    let mut text = String::new();
    if let Some(system) = request.get("system").and_then(Value::as_array) {
        for block in system {
            if let Some(part) = block.get("text").and_then(Value::as_str) {
                text.push_str(part);
            }
        }
    }
    if let Some(messages) = request.get("messages").and_then(Value::as_array) {
        for message in messages {
            text.push_str(&message_text(message));
        }
    }
    if let Some(tools) = request.pointer("/toolConfig/tools") {
        text.push_str(&tools.to_string());
    }
    text
}

/// The text blocks of one message, joined by newlines.
fn message_text(message: &Value) -> String {
    message
        .get("content")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| block.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

struct Tool {
    name: String,
    schema: Value,
}

/// The tool the request forces: `toolChoice.tool`, or the only tool under `any`.
/// `auto` leaves the choice to the model, and this model always chooses text.
fn forced_tool(request: &Value) -> Result<Option<Tool>, AwsError> {
    let Some(config) = request.get("toolConfig") else {
        return Ok(None);
    };
    let tools: Vec<Tool> = config
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|tool| {
                    let spec = tool.get("toolSpec")?;
                    Some(Tool {
                        name: spec.get("name")?.as_str()?.to_owned(),
                        schema: spec
                            .pointer("/inputSchema/json")
                            .cloned()
                            .unwrap_or(json!({})),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if tools.is_empty() {
        return Err(AwsError::validation(
            "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        ));
    }
    let choice = config.get("toolChoice");
    if let Some(name) = choice
        .and_then(|choice| choice.pointer("/tool/name"))
        .and_then(Value::as_str)
    {
        return match tools.into_iter().find(|tool| tool.name == name) {
            Some(tool) => Ok(Some(tool)),
            None => Err(AwsError::validation(format!(
                "The tool name {name} in toolChoice doesn't match any of the tools in toolConfig."
            ))),
        };
    }
    if choice.and_then(|choice| choice.get("any")).is_some() {
        return Ok(tools.into_iter().next());
    }
    Ok(None)
}

fn tool_use(name: &str, input: Value, request_id: &str) -> Value {
    let id: String = request_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(22)
        .collect();
    json!({"toolUse": {"toolUseId": format!("tooluse_{id}"), "name": name, "input": input}})
}

/// A short, friendly reply for plain chat.
fn reply(last_user: &str) -> String {
    if last_user.trim().ends_with('?') {
        "Good question. Keep your form strict, progress one variable at a time, and rest 2-3 minutes between hard sets.".to_owned()
    } else {
        "Nice work. Log your sets as you go and I'll keep track of your progress.".to_owned()
    }
}

/// A reply that draws on the first session a system prompt lists (a line `- <date>:
/// ...`, as the coach's answers are given them), naming it as a model would; other
/// replies are left as they are.
fn grounded(request: &Value, reply: String) -> String {
    let system: String = request
        .get("system")
        .and_then(Value::as_array)
        .map(|blocks| {
            blocks
                .iter()
                .filter_map(|block| block.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let session = system.lines().find_map(|line| {
        let rest = line.strip_prefix("- ")?;
        let (date, summary) = rest.split_once(": ")?;
        let is_date = date.len() == 10
            && date.char_indices().all(|(index, c)| {
                if index == 4 || index == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        is_date.then(|| (date.to_owned(), summary.to_owned()))
    });
    match session {
        Some((date, summary)) => format!("Going by your session on {date} ({summary}): {reply}"),
        None => reply,
    }
}

/// The tool input for `text` under `schema`. A schema shaped like the parse contract
/// (`kind` and `entries` properties) gets the workout parser's reading of the text;
/// the rest of the required fields get plausible values from their schema.
pub fn extraction(schema: &Value, text: &str) -> Value {
    let properties = schema.get("properties").and_then(Value::as_object);
    let is_contract = properties.is_some_and(|properties| {
        properties.contains_key("entries") && properties.contains_key("kind")
    });
    let is_meal = properties.is_some_and(|properties| {
        ["items", "kcal", "protein_g", "carbs_g", "fat_g"]
            .iter()
            .all(|name| properties.contains_key(*name))
    });
    let mut input = if is_contract {
        contract_extraction(text, properties)
    } else if is_meal {
        meal_estimate(text)
    } else {
        Map::new()
    };
    if let Some(properties) = properties {
        for name in required(schema) {
            if !input.contains_key(&name) {
                let value = properties
                    .get(&name)
                    .map_or(Value::Null, |property| plausible(property, &name, text));
                input.insert(name, value);
            }
        }
    }
    Value::Object(input)
}

fn contract_extraction(text: &str, properties: Option<&Map<String, Value>>) -> Map<String, Value> {
    let outcome = Catalog::embedded()
        .ok()
        .map(|catalog| parse(text, catalog))
        .unwrap_or(ParseOutcome::Unsure {
            reason: tora_core::domain::parser::UnsureReason::UnclearNumbers,
        });
    // Messages the parser is unsure about are the ones the product sends to the model,
    // so the double reads them more loosely, as a model would.
    let (outcome, confidence) = match outcome {
        ParseOutcome::Workout(_) => (serde_json::to_value(&outcome), 0.92),
        ParseOutcome::NotWorkout => (serde_json::to_value(&outcome), 0.95),
        // A hedged message ("i think", "maybe") is read with less confidence, as a
        // model would; one with nothing to read is not a workout, said without
        // conviction (the contract has no third kind).
        ParseOutcome::Unsure { .. } => {
            match Catalog::embedded().ok().map(|c| loose_reading(text, c)) {
                Some(Some(reading)) if hedged(text) => (Ok(reading), 0.45),
                Some(Some(reading)) => (Ok(reading), 0.7),
                _ => (Ok(json!({"kind": "not_workout", "entries": []})), 0.35),
            }
        }
    };
    let mut input = match outcome {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    input.entry("entries").or_insert_with(|| json!([]));
    if properties.is_some_and(|properties| properties.contains_key("confidence")) {
        input.insert("confidence".to_owned(), json!(confidence));
    }
    input
}

/// Whether the writer sounds unsure of their own numbers.
fn hedged(text: &str) -> bool {
    let lower = text.to_lowercase();
    [
        "i think",
        "maybe",
        "not sure",
        "roughly",
        "or so",
        "something like",
    ]
    .iter()
    .any(|hedge| lower.contains(hedge))
}

/// Foods the double knows, per 100 g: kcal is left out and derived from the macros
/// (4/4/9), as a careful model's would agree with them.
const FOODS: &[(&str, f64, f64, f64)] = &[
    // name, protein, carbs, fat
    ("chicken", 31.0, 0.0, 3.6),
    ("rice", 2.7, 28.0, 0.3),
    ("oats", 17.0, 66.0, 7.0),
    ("egg", 13.0, 1.1, 11.0),
    ("banana", 1.1, 23.0, 0.3),
    ("bread", 9.0, 49.0, 3.2),
    ("salmon", 20.0, 0.0, 13.0),
    ("broccoli", 2.8, 7.0, 0.4),
    ("pasta", 5.8, 31.0, 0.9),
    ("beef", 26.0, 0.0, 15.0),
    ("potato", 2.0, 17.0, 0.1),
    ("yogurt", 10.0, 3.6, 0.4),
    ("apple", 0.3, 14.0, 0.2),
    ("tofu", 8.0, 1.9, 4.8),
    ("beans", 8.7, 22.8, 0.5),
    ("cheese", 25.0, 1.3, 33.0),
    ("milk", 3.4, 5.0, 1.0),
];

/// A meal estimate for the `log_meal` shape: foods named in the text with the grams
/// written before them ("200 g chicken"; 150 g when none), or, with nothing named (a
/// photo), a plate of chicken, rice and broccoli. Calories agree with the macros.
fn meal_estimate(text: &str) -> Map<String, Value> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|word| !word.is_empty())
        .collect();
    let mut found: Vec<(&str, f64)> = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let Some(food) = FOODS
            .iter()
            .find(|(name, ..)| word.starts_with(name))
            .map(|(name, ..)| *name)
        else {
            continue;
        };
        if found.iter().any(|(name, _)| *name == food) {
            continue;
        }
        // "200 g chicken", "200g chicken".
        let grams = words[..index]
            .iter()
            .rev()
            .take(2)
            .find_map(|word| word.trim_end_matches('g').parse::<f64>().ok())
            .filter(|grams| *grams > 0.0 && *grams <= 2_000.0)
            .unwrap_or(150.0);
        found.push((food, grams));
    }
    let confidence = if found.is_empty() { 0.55 } else { 0.8 };
    if found.is_empty() {
        found = vec![("chicken", 150.0), ("rice", 150.0), ("broccoli", 80.0)];
    }
    let (mut protein, mut carbs, mut fat) = (0.0, 0.0, 0.0);
    let items: Vec<Value> = found
        .iter()
        .map(|(food, grams)| {
            if let Some((_, p, c, f)) = FOODS.iter().find(|(name, ..)| name == food) {
                protein += p * grams / 100.0;
                carbs += c * grams / 100.0;
                fat += f * grams / 100.0;
            }
            json!({"name": food, "grams": grams})
        })
        .collect();
    let round = |value: f64| (value * 10.0).round() / 10.0;
    let (protein, carbs, fat) = (round(protein), round(carbs), round(fat));
    let mut input = Map::new();
    input.insert("items".into(), json!(items));
    input.insert(
        "kcal".into(),
        json!(round(4.0 * protein + 4.0 * carbs + 9.0 * fat)),
    );
    input.insert("protein_g".into(), json!(protein));
    input.insert("carbs_g".into(), json!(carbs));
    input.insert("fat_g".into(), json!(fat));
    input.insert("confidence".into(), json!(confidence));
    input
}

/// A looser reading than the parser's: negations are not workouts; otherwise every
/// exercise name or alias found in the text takes the numbers written after it (up to
/// the next exercise): `NxM` is sets × reps, `N s`/`N sec` seconds, a lone number reps.
/// `None` when no exercise with numbers is found.
fn loose_reading(text: &str, catalog: &Catalog) -> Option<Value> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    if words
        .iter()
        .any(|word| ["didn't", "didnt", "skipped", "without", "no", "not"].contains(word))
    {
        return Some(json!({"kind": "not_workout", "entries": []}));
    }
    // Every name occurrence, longest names first so "pull-up negatives" beats "pull-up".
    let mut names: Vec<(String, &str)> = catalog
        .exercises()
        .iter()
        .flat_map(|exercise| {
            std::iter::once(exercise.name().to_lowercase())
                .chain(exercise.aliases().iter().map(|alias| alias.to_lowercase()))
                .map(move |name| (name, exercise.id()))
        })
        .filter(|(name, _)| name.len() >= 3)
        .collect();
    names.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    let mut found: Vec<(usize, usize, &str)> = Vec::new();
    for (name, id) in &names {
        for (start, _) in lower.match_indices(name.as_str()) {
            let end = start + name.len();
            if found.iter().all(|(s, e, _)| end <= *s || start >= *e) {
                found.push((start, end, id));
            }
        }
    }
    found.sort_by_key(|(start, _, _)| *start);
    let mut entries = Vec::new();
    for (index, (_, end, id)) in found.iter().enumerate() {
        let until = found.get(index + 1).map_or(lower.len(), |next| next.0);
        let sets = loose_sets(lower.get(*end..until).unwrap_or_default());
        if !sets.is_empty() {
            entries.push(json!({"exercise": id, "sets": sets}));
        }
    }
    if entries.is_empty() {
        return None;
    }
    Some(json!({"kind": "workout", "entries": entries}))
}

fn loose_sets(text: &str) -> Vec<Value> {
    let tokens: Vec<String> = text
        .replace('×', "x")
        .split(|c: char| !(c.is_ascii_alphanumeric()))
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .collect();
    let number = |token: &str| token.parse::<u64>().ok().filter(|n| (1..=1000).contains(n));
    for (index, token) in tokens.iter().enumerate() {
        // "3x8" in one token.
        if let Some((sets, reps)) = token.split_once('x')
            && let (Some(sets), Some(reps)) = (number(sets), number(reps.trim_end_matches('s')))
            && sets <= 20
        {
            let field = if reps_are_seconds(token, tokens.get(index + 1)) {
                "seconds"
            } else {
                "reps"
            };
            return (0..sets).map(|_| json!({ field: reps })).collect();
        }
        if let Some(value) = number(token.trim_end_matches('s')) {
            let seconds = token.ends_with('s') && number(token).is_none()
                || tokens
                    .get(index + 1)
                    .is_some_and(|next| next.starts_with("sec") || next == "s");
            let field = if seconds { "seconds" } else { "reps" };
            // "8, 8, 6": a run of lone numbers is one set each.
            let mut sets = vec![json!({ field: value })];
            if !seconds {
                sets.extend(
                    tokens[index + 1..]
                        .iter()
                        .map_while(|next| number(next))
                        .map(|reps| json!({ "reps": reps })),
                );
            }
            return sets;
        }
    }
    Vec::new()
}

fn reps_are_seconds(token: &str, next: Option<&String>) -> bool {
    token.ends_with('s') || next.is_some_and(|next| next.starts_with("sec") || next == "s")
}

fn required(schema: &Value) -> Vec<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A value that satisfies `schema` (the JSON Schema subset tools use).
fn plausible(schema: &Value, name: &str, text: &str) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(constant) = schema.get("const") {
        return constant.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|kind| *kind != "null")
            .unwrap_or("null"),
        _ => "string",
    };
    match kind {
        "object" => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for field in required(schema) {
                    let value = properties
                        .get(&field)
                        .map_or(Value::Null, |property| plausible(property, &field, text));
                    object.insert(field, value);
                }
            }
            Value::Object(object)
        }
        "array" => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let item = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..count).map(|_| plausible(&item, name, text)).collect())
        }
        "integer" => json!(bounded(schema, 1.0).round() as i64),
        "number" => json!(bounded(schema, 0.8)),
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => {
            let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
            let max = schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .unwrap_or(200);
            let mut value: String =
                if name.contains("reply") || name.contains("text") || name.contains("message") {
                    "Logged it. Nice session!".to_owned()
                } else {
                    text.chars().take(60).collect()
                };
            while u64::try_from(value.chars().count()).unwrap_or(0) < min {
                value.push('x');
            }
            Value::String(
                value
                    .chars()
                    .take(usize::try_from(max).unwrap_or(200))
                    .collect(),
            )
        }
    }
}

fn bounded(schema: &Value, preferred: f64) -> f64 {
    let min = schema.get("minimum").and_then(Value::as_f64);
    let max = schema.get("maximum").and_then(Value::as_f64);
    let mut value = preferred;
    if let Some(min) = min {
        value = value.max(min);
    }
    if let Some(max) = max {
        value = value.min(max);
    }
    value
}

/// A tool input that breaks `schema` the way models do: required fields missing,
/// the rest of the wrong type.
fn schema_breaking(schema: &Value) -> Value {
    let mut input = Map::new();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        // Every property but the first required one, each as the wrong type.
        let skipped = required(schema).into_iter().next();
        for (name, property) in properties {
            if Some(name) == skipped.as_ref() {
                continue;
            }
            let wrong = match property.get("type").and_then(Value::as_str) {
                Some("string") => json!(42),
                Some("array") => json!("three sets, I think"),
                Some("object") => json!(["not", "an", "object"]),
                _ => json!("about eight"),
            };
            input.insert(name.clone(), wrong);
        }
    }
    if input.is_empty() {
        input.insert("unexpected".to_owned(), json!(true));
    }
    Value::Object(input)
}

/// A Titan Text Embeddings V2 answer and its token count.
pub struct EmbeddingAnswer {
    pub body: Value,
    pub input_tokens: u64,
}

/// Answers an InvokeModel body for Titan Text Embeddings V2, with its error messages.
pub fn embed(request: &Value) -> Result<EmbeddingAnswer, AwsError> {
    let malformed = |detail: &str| {
        AwsError::validation(format!(
            "Malformed input request: {detail}, please reformat your input and try again."
        ))
    };
    let Some(object) = request.as_object() else {
        return Err(malformed("#: expected type: JSONObject, found: Null"));
    };
    for key in object.keys() {
        if !["inputText", "dimensions", "normalize", "embeddingTypes"].contains(&key.as_str()) {
            return Err(malformed(&format!(
                "#: extraneous key [{key}] is not permitted"
            )));
        }
    }
    let text = match object.get("inputText") {
        Some(Value::String(text)) => text,
        Some(_) => return Err(malformed("#/inputText: expected type: String")),
        None => return Err(malformed("#: required key [inputText] not found")),
    };
    if text.is_empty() {
        return Err(malformed("#/inputText: expected minLength: 1, actual: 0"));
    }
    let dimensions = match object.get("dimensions") {
        None => 1024,
        Some(value) => match value.as_u64() {
            Some(size @ (256 | 512 | 1024)) => size,
            _ => {
                return Err(malformed(&format!(
                    "#/dimensions: {value} is not a valid enum value"
                )));
            }
        },
    };
    let normalize = match object.get("normalize") {
        None => true,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(malformed("#/normalize: expected type: Boolean")),
    };
    let types: Vec<&str> = match object.get("embeddingTypes") {
        None => vec!["float"],
        Some(Value::Array(types)) => {
            let mut names = Vec::new();
            for kind in types {
                match kind.as_str() {
                    Some(name @ ("float" | "binary")) => names.push(name),
                    _ => {
                        return Err(malformed(&format!(
                            "#/embeddingTypes: {kind} is not a valid enum value"
                        )));
                    }
                }
            }
            names
        }
        Some(_) => return Err(malformed("#/embeddingTypes: expected type: JSONArray")),
    };
    let input_tokens = tokens(text);
    if input_tokens > 8_192 {
        return Err(AwsError::validation(
            "400 Bad Request: Too many input tokens. Max input tokens: 8192, request input token count: "
                .to_owned()
                + &input_tokens.to_string(),
        ));
    }
    let vector = embedding(text, usize::try_from(dimensions).unwrap_or(1024), normalize);
    let mut by_type = Map::new();
    by_type.insert("float".to_owned(), json!(vector));
    if types.contains(&"binary") {
        let bits: Vec<u8> = vector.iter().map(|value| u8::from(*value > 0.0)).collect();
        by_type.insert("binary".to_owned(), json!(bits));
    }
    Ok(EmbeddingAnswer {
        body: json!({
            "embedding": vector,
            "inputTextTokenCount": input_tokens,
            "embeddingsByType": by_type,
        }),
        input_tokens,
    })
}

/// Hashed character trigrams (of the lower-cased text, words padded with spaces) and
/// whole words, each adding ±1 to one component; L2-normalised when asked.
pub fn embedding(text: &str, dimensions: usize, normalize: bool) -> Vec<f32> {
    let mut vector = vec![0.0f32; dimensions];
    let lower = text.to_lowercase();
    let mut add = |feature: &[u8], weight: f32| {
        let hash = fnv1a(feature);
        let index = usize::try_from(hash % u64::try_from(dimensions).unwrap_or(1)).unwrap_or(0);
        let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
        if let Some(slot) = vector.get_mut(index) {
            *slot += sign * weight;
        }
    };
    for word in lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        add(word.as_bytes(), 2.0);
        let padded: Vec<char> = format!(" {word} ").chars().collect();
        for window in padded.windows(3) {
            let trigram: String = window.iter().collect();
            add(trigram.as_bytes(), 1.0);
        }
    }
    let norm = vector.iter().map(|value| value * value).sum::<f32>().sqrt();
    if normalize && norm > 0.0 {
        for value in &mut vector {
            *value /= norm;
        }
    }
    vector
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract_schema() -> Value {
        json!({"type": "object", "required": ["kind", "entries", "confidence"], "properties": {
            "kind": {"type": "string"}, "entries": {"type": "array"}, "confidence": {"type": "number"}}})
    }

    #[test]
    fn a_reply_names_the_first_session_its_system_prompt_lists() {
        let request = json!({
            "system": [{"text": "You are a coach.\n\nSessions:\n- 2026-12-01: Pull-up 3×8\n- 2026-11-30: Parallel bar dip 3×10\n"}],
            "messages": [{"role": "user", "content": [{"text": "How are my pull-ups?"}]}],
        });
        let answer = converse(&request, Deviation::None, 5, "req").unwrap();
        let text = answer.body["output"]["message"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.starts_with("Going by your session on 2026-12-01 (Pull-up 3×8): Good question."),
            "{text}"
        );
        let plain = json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]});
        let answer = converse(&plain, Deviation::None, 5, "req").unwrap();
        assert!(
            answer.body["output"]["message"]["content"][0]["text"]
                .as_str()
                .unwrap()
                .starts_with("Nice work.")
        );
    }

    #[test]
    fn meals_are_estimated_with_calories_that_agree_with_the_macros() {
        let schema = json!({"type": "object",
            "required": ["items", "kcal", "protein_g", "carbs_g", "fat_g", "confidence"],
            "properties": {"items": {"type": "array"}, "kcal": {"type": "number"},
                "protein_g": {"type": "number"}, "carbs_g": {"type": "number"},
                "fat_g": {"type": "number"}, "confidence": {"type": "number"}}});
        let lunch = extraction(&schema, "log my lunch: 200 g chicken and rice");
        assert_eq!(
            lunch["items"],
            json!([{"name": "chicken", "grams": 200.0}, {"name": "rice", "grams": 150.0}])
        );
        assert_eq!(lunch["protein_g"], json!(66.1));
        let atwater = 4.0 * lunch["protein_g"].as_f64().unwrap()
            + 4.0 * lunch["carbs_g"].as_f64().unwrap()
            + 9.0 * lunch["fat_g"].as_f64().unwrap();
        assert!((lunch["kcal"].as_f64().unwrap() - atwater).abs() < 0.2);
        let photo = extraction(&schema, "Estimate this meal.");
        assert_eq!(photo["items"].as_array().unwrap().len(), 3);
        assert!(photo["confidence"].as_f64().unwrap() < lunch["confidence"].as_f64().unwrap());
    }

    #[test]
    fn messages_the_parser_is_unsure_about_are_read_loosely() {
        let input = extraction(&contract_schema(), "pull-ups: 8, then dips 10 gnarly");
        assert_eq!(input["kind"], "workout");
        assert_eq!(
            input["entries"],
            json!([
                {"exercise": "pull_up", "sets": [{"reps": 8}]},
                {"exercise": "dip", "sets": [{"reps": 10}]}
            ])
        );
        assert!(input["confidence"].as_f64().unwrap() < 0.9);

        let negated = extraction(&contract_schema(), "didn't do pull-ups 3x8");
        assert_eq!(negated["kind"], "not_workout");
        assert_eq!(negated["entries"], json!([]));

        let unreadable = extraction(&contract_schema(), "did 3x8 of the zorbly thing");
        assert_eq!(unreadable["kind"], "not_workout");
        assert_eq!(unreadable["entries"], json!([]));
        assert!(unreadable["confidence"].as_f64().unwrap() < 0.5);

        let sure = extraction(&contract_schema(), "pull ups 8, 8, 6 then dips");
        let hedged = extraction(&contract_schema(), "pull ups 8, 8, 6 i think");
        assert_eq!(hedged["entries"][0]["exercise"], "pull_up");
        assert_eq!(
            hedged["entries"][0]["sets"],
            json!([{"reps": 8}, {"reps": 8}, {"reps": 6}])
        );
        assert!(
            hedged["confidence"].as_f64().unwrap() < sure["confidence"].as_f64().unwrap(),
            "{hedged} vs {sure}"
        );
    }
}
