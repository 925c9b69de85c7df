//! The OpenAPI 3.1 document of the API, built from the route table and the request and
//! response types the handlers use (their `ToSchema` derives, behind the `openapi`
//! feature). Native only: `tora-dev openapi` writes it to `crates/tora-core/openapi.json`,
//! which the worker serves as it is (`GET /openapi.json`), and a test keeps the two equal.
//!
//! Every operation of `ROUTES` is described by `describe`, whose match over `Endpoint`
//! is exhaustive: a new endpoint does not compile until it is documented.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required, Schema,
    ServerBuilder,
};
use utoipa::{PartialSchema, ToSchema};

use super::workouts;
use super::{
    chat, credits, exercises, health, imports, me, meals, memories, skills, stats, uploads,
};
use crate::domain::workout::LoggedSet;
use crate::http::error::Problem;
use crate::http::routes::{Access, BodyRule, Endpoint, ROUTES};

/// The security scheme of user routes: the identity provider's JWT.
pub const USER_SCHEME: &str = "bearer";
/// The security scheme of `/admin` routes: the deployment's admin secret.
pub const ADMIN_SCHEME: &str = "admin";

const JSON: &str = "application/json";
const PROBLEM: &str = "application/problem+json";

/// Two different schemas were given one name: the document would describe one of them
/// wrongly. Rename one with `#[schema(as = ...)]`.
#[derive(Debug, thiserror::Error)]
#[error("two different schemas are both named `{0}`; give one `#[schema(as = ...)]`")]
pub struct SchemaNameClash(pub String);

/// The component schemas the operations refer to, by name.
#[derive(Default)]
struct Schemas {
    by_name: BTreeMap<String, RefOr<Schema>>,
    clashes: Vec<String>,
}

impl Schemas {
    fn insert(&mut self, name: String, schema: RefOr<Schema>) {
        match self.by_name.get(&name) {
            Some(existing) if *existing != schema => self.clashes.push(name),
            Some(_) => {}
            None => {
                self.by_name.insert(name, schema);
            }
        }
    }

    /// `T` and every schema it refers to, registered; a reference to `T`.
    fn of<T: ToSchema>(&mut self) -> RefOr<Schema> {
        let mut nested = Vec::new();
        T::schemas(&mut nested);
        for (name, schema) in nested {
            self.insert(name, schema);
        }
        let name = T::name().into_owned();
        self.insert(name.clone(), T::schema());
        RefOr::Ref(Ref::from_schema_name(name))
    }
}

/// A set as the API shows it: only the fields that are set (see `SetFields`'s
/// `Serialize`), plus `load_unit`.
impl PartialSchema for LoggedSet {
    fn schema() -> RefOr<Schema> {
        let number = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .description(Some(description))
                .build()
        };
        let whole = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .description(Some(description))
                .build()
        };
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "One set: at least one of `reps` and `seconds`; fields that are not set are absent.",
            ))
            .property("reps", whole("repetitions (the bottom of a range)"))
            .property("reps_max", whole("the top of a range like 8-10"))
            .property("seconds", number("hold time"))
            .property("added_kg", number("load added, in kilograms"))
            .property(
                "assist_kg",
                number("band or machine help taken off bodyweight, in kilograms; less is progress"),
            )
            .property(
                "load_unit",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["kg", "lb"]))
                    .description(Some("the unit the loads were written in")),
            )
            .property(
                "assisted",
                ObjectBuilder::new().schema_type(Type::Boolean),
            )
            .property(
                "each_side",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .description(Some("only present when true")),
            )
            .property(
                "side",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["left", "right"]))
                    .description(Some("the one side the set was done on")),
            )
            .property("rpe", number("rate of perceived exertion, 1 to 10"))
            .into()
    }
}

impl ToSchema for LoggedSet {
    fn name() -> std::borrow::Cow<'static, str> {
        "LoggedSet".into()
    }
}

/// One query parameter.
struct QueryParam {
    name: &'static str,
    description: &'static str,
    schema: RefOr<Schema>,
}

fn query(name: &'static str, description: &'static str, schema: ObjectBuilder) -> QueryParam {
    QueryParam {
        name,
        description,
        schema: schema.into(),
    }
}

fn whole_number(min: u32, max: u32, default: u32) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
        .default(Some(default.into()))
}

fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn limit(default: u32) -> QueryParam {
    query("limit", "items per page", whole_number(1, 100, default))
}

fn cursor() -> QueryParam {
    query("cursor", "`next_cursor` of the previous page", text())
}

fn date_or_time(name: &'static str, description: &'static str) -> QueryParam {
    query(
        name,
        description,
        text().description(Some(
            "a date (2026-11-25, midnight in the caller's timezone) or an RFC 3339 time, in the years 1900 to 2200",
        )),
    )
}

/// What an operation takes and answers, beyond what the route table says.
struct Description {
    operation_id: &'static str,
    tag: &'static str,
    summary: &'static str,
    query: Vec<QueryParam>,
    /// The `{id}` path parameter's format, when the path has one.
    id_format: Option<KnownFormat>,
    body: Option<RefOr<Schema>>,
    /// Success responses: status, what it means, and its body (none for 204).
    success: Vec<(u16, &'static str, Option<Success>)>,
    /// Problem statuses particular to the operation, beside those every route of its
    /// kind can answer (`common_problems`).
    problems: &'static [u16],
}

enum Success {
    /// A reference to a component schema, or a small inline one.
    Json(Box<RefOr<Schema>>),
    /// The export: JSON or CSV, as `format` asks.
    Download,
}

/// A JSON success body.
fn json_body(schema: impl Into<RefOr<Schema>>) -> Option<Success> {
    Some(Success::Json(Box::new(schema.into())))
}

fn describe(endpoint: Endpoint, schemas: &mut Schemas) -> Description {
    use KnownFormat::Uuid;
    let plain = |operation_id, tag, summary| Description {
        operation_id,
        tag,
        summary,
        query: Vec::new(),
        id_format: None,
        body: None,
        success: Vec::new(),
        problems: &[],
    };
    let ok = |schema: RefOr<Schema>| vec![(200, "OK", json_body(schema))];
    match endpoint {
        Endpoint::OpenApi => Description {
            success: vec![(
                200,
                "this document",
                json_body(ObjectBuilder::new().schema_type(Type::Object)),
            )],
            ..plain("getOpenApi", "meta", "The OpenAPI document of this API")
        },
        Endpoint::Health => {
            let health = schemas.of::<health::HealthResponse>();
            Description {
                success: vec![(200, "the API and its database answer", json_body(health))],
                ..plain("getHealth", "meta", "Liveness and the database")
            }
        }
        Endpoint::GetMe => Description {
            success: ok(schemas.of::<me::MeResponse>()),
            ..plain(
                "getMe",
                "account",
                "The caller's profile and credit balance",
            )
        },
        Endpoint::UpdateMe => Description {
            body: Some(schemas.of::<me::UpdateMeRequest>()),
            success: ok(schemas.of::<me::MeResponse>()),
            ..plain("updateMe", "account", "Change the caller's profile")
        },
        Endpoint::DeleteMe => Description {
            success: vec![(204, "every row of the caller is erased", None)],
            ..plain("deleteMe", "account", "Erase the caller's account")
        },
        Endpoint::ExportMe => Description {
            query: vec![query(
                "format",
                "the download's format",
                text()
                    .enum_values(Some(["json", "csv"]))
                    .default(Some("json".into())),
            )],
            success: vec![(
                200,
                "everything the caller has, oldest first",
                Some(Success::Download),
            )],
            ..plain("exportMe", "account", "Download everything the caller has")
        },
        Endpoint::GetCredits => Description {
            query: vec![limit(30), cursor()],
            success: ok(schemas.of::<credits::CreditsResponse>()),
            ..plain(
                "getCredits",
                "credits",
                "The balance and the ledger, newest first",
            )
        },
        Endpoint::AdminTopUp => Description {
            body: Some(schemas.of::<credits::TopUpRequest>()),
            success: ok(schemas.of::<credits::TopUpResponse>()),
            problems: &[404],
            ..plain("adminTopUp", "admin", "Add credits to an account")
        },
        Endpoint::PostChat => Description {
            body: Some(schemas.of::<chat::PostChatRequest>()),
            success: chat_answers(schemas),
            problems: &[402, 409, 502],
            ..plain("postChat", "chat", "Send a chat message")
        },
        Endpoint::ChatHistory => Description {
            query: vec![
                limit(30),
                cursor(),
                query(
                    "unfinished",
                    "only pending and failed messages",
                    ObjectBuilder::new()
                        .schema_type(Type::Boolean)
                        .default(Some(false.into())),
                ),
            ],
            success: ok(schemas.of::<chat::ChatPage>()),
            ..plain("listChat", "chat", "The conversation, newest first")
        },
        Endpoint::GetMessage => Description {
            id_format: Some(Uuid),
            success: ok(schemas.of::<chat::MessageView>()),
            ..plain("getChatMessage", "chat", "One message as it stands")
        },
        Endpoint::ConfirmMessage => Description {
            id_format: Some(Uuid),
            body: Some(schemas.of::<chat::ConfirmRequest>()),
            success: chat_answers(schemas),
            problems: &[402, 409, 502],
            ..plain(
                "confirmChatMessage",
                "chat",
                "Log a proposed message's workout",
            )
        },
        Endpoint::RetryMessage => Description {
            id_format: Some(Uuid),
            success: chat_answers(schemas),
            problems: &[402, 409, 502],
            ..plain(
                "retryChatMessage",
                "chat",
                "Read a failed or pending message again now",
            )
        },
        Endpoint::LogMeal => Description {
            body: Some(schemas.of::<meals::LogMealRequest>()),
            success: vec![(201, "logged", json_body(schemas.of::<meals::LoggedView>()))],
            problems: &[402, 502],
            ..plain(
                "logMeal",
                "meals",
                "Log a meal from a description or a photo",
            )
        },
        Endpoint::MealDay => Description {
            query: vec![query(
                "date",
                "the day (default: today in the caller's timezone)",
                text().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
            )],
            success: ok(schemas.of::<meals::DayView>()),
            ..plain("listMeals", "meals", "One day's meals with their totals")
        },
        Endpoint::DeleteMeal => Description {
            id_format: Some(Uuid),
            success: vec![(204, "deleted", None)],
            ..plain("deleteMeal", "meals", "Delete one of the caller's meals")
        },
        Endpoint::ListSkills => Description {
            success: ok(schemas.of::<skills::TreeResponse>()),
            ..plain(
                "listSkills",
                "skills",
                "The skill tree with the caller's state",
            )
        },
        Endpoint::GetSkill => Description {
            id_format: None,
            success: ok(schemas.of::<skills::SkillDetailResponse>()),
            ..plain("getSkill", "skills", "One skill with the caller's state")
        },
        Endpoint::ListExercises => Description {
            query: vec![
                query(
                    "q",
                    "finds names and aliases ignoring case, spacing and plurals",
                    text().min_length(Some(1)).max_length(Some(60)),
                ),
                query(
                    "category",
                    "one category only",
                    text().enum_values(Some(["push", "pull", "legs", "core", "skill"])),
                ),
                limit(50),
            ],
            success: ok(schemas.of::<exercises::ListResponse>()),
            ..plain(
                "listExercises",
                "exercises",
                "The exercise library, sorted by name",
            )
        },
        Endpoint::GetExercise => Description {
            success: ok(schemas.of::<exercises::ExerciseView>()),
            ..plain("getExercise", "exercises", "One exercise with its guide")
        },
        Endpoint::StatsSummary => Description {
            query: vec![query(
                "weeks",
                "how many weeks back",
                whole_number(1, 52, 8),
            )],
            success: ok(schemas.of::<stats::SummaryResponse>()),
            ..plain(
                "statsSummary",
                "stats",
                "Weekly volume, streaks and records",
            )
        },
        Endpoint::ExerciseStats => Description {
            query: vec![
                date_or_time("from", "the first session's earliest time"),
                date_or_time("to", "the last session's latest time"),
            ],
            success: ok(schemas.of::<stats::ExerciseHistoryResponse>()),
            ..plain(
                "exerciseStats",
                "stats",
                "Per-session best set and volume of one exercise",
            )
        },
        Endpoint::LogWorkout => Description {
            body: Some(schemas.of::<workouts::LogWorkoutRequest>()),
            success: vec![(
                201,
                "logged",
                json_body(schemas.of::<workouts::LoggedResponse>()),
            )],
            ..plain("logWorkout", "workouts", "Log a structured workout")
        },
        Endpoint::ListWorkouts => Description {
            query: vec![
                date_or_time("from", "the earliest `performed_at`"),
                date_or_time("to", "the latest `performed_at`"),
                limit(20),
                cursor(),
            ],
            success: ok(schemas.of::<workouts::WorkoutPage>()),
            ..plain("listWorkouts", "workouts", "Workouts, newest first")
        },
        Endpoint::GetWorkout => Description {
            id_format: Some(Uuid),
            success: ok(schemas.of::<workouts::WorkoutResponse>()),
            ..plain("getWorkout", "workouts", "One workout")
        },
        Endpoint::EditWorkout => Description {
            id_format: Some(Uuid),
            body: Some(schemas.of::<workouts::EditWorkoutRequest>()),
            success: ok(schemas.of::<workouts::EditedResponse>()),
            ..plain("editWorkout", "workouts", "Edit a workout")
        },
        Endpoint::DeleteWorkout => Description {
            id_format: Some(Uuid),
            success: vec![(204, "deleted", None)],
            ..plain("deleteWorkout", "workouts", "Delete a workout")
        },
        Endpoint::ListMemories => Description {
            query: vec![limit(20), cursor()],
            success: ok(schemas.of::<memories::MemoryPage>()),
            ..plain(
                "listMemories",
                "coach",
                "What the coach remembers, newest first",
            )
        },
        Endpoint::DeleteMemory => Description {
            id_format: Some(Uuid),
            success: vec![(204, "forgotten", None)],
            ..plain("deleteMemory", "coach", "Forget one memory")
        },
        Endpoint::CoachAsk => Description {
            body: Some(schemas.of::<memories::AskRequest>()),
            success: ok(schemas.of::<memories::AskResponse>()),
            problems: &[402, 502],
            ..plain("askCoach", "coach", "Ask the coach about your own training")
        },
        Endpoint::RequestUpload => Description {
            body: Some(schemas.of::<uploads::UploadRequestBody>()),
            success: vec![(
                201,
                "PUT the bytes to `url` with exactly `headers`",
                json_body(schemas.of::<uploads::RequestedUploadView>()),
            )],
            ..plain(
                "requestUpload",
                "uploads",
                "A presigned URL to upload a file to",
            )
        },
        Endpoint::CompleteUpload => Description {
            id_format: Some(Uuid),
            success: ok(schemas.of::<uploads::UploadView>()),
            problems: &[502],
            ..plain(
                "completeUpload",
                "uploads",
                "Mark an upload complete once its bytes are stored",
            )
        },
        Endpoint::PostImport => {
            let result = schemas.of::<imports::ImportResultView>();
            Description {
                body: Some(schemas.of::<imports::ImportRequestBody>()),
                success: vec![
                    (201, "new sessions stored", json_body(result.clone())),
                    (
                        200,
                        "a dry run, or every session of the file was stored already",
                        json_body(result),
                    ),
                ],
                problems: &[502],
                ..plain(
                    "postImport",
                    "imports",
                    "Import a Strong or Hevy export (dry run first)",
                )
            }
        }
        Endpoint::ListImports => Description {
            success: ok(schemas.of::<imports::ImportListView>()),
            ..plain(
                "listImports",
                "imports",
                "The caller's imports with their counts",
            )
        },
        Endpoint::GetImport => Description {
            id_format: Some(Uuid),
            success: ok(schemas.of::<imports::ImportView>()),
            ..plain("getImport", "imports", "One import with its counts")
        },
        Endpoint::DeleteImport => Description {
            id_format: Some(Uuid),
            success: ok(schemas.of::<imports::DeletedImportView>()),
            ..plain(
                "deleteImport",
                "imports",
                "Delete an import: its workouts and the exercises it created",
            )
        },
    }
}

/// `POST /v1/chat` and the actions on a message answer alike: 200 when the message is
/// answered, 202 while the model is still reading it.
fn chat_answers(schemas: &mut Schemas) -> Vec<(u16, &'static str, Option<Success>)> {
    let answer = schemas.of::<chat::AnswerView>();
    vec![
        (
            200,
            "logged, answered or proposed",
            json_body(answer.clone()),
        ),
        (202, "pending: poll `GET /v1/chat/{id}`", json_body(answer)),
    ]
}

/// Where a success response's body names something other operations take as `{id}`:
/// (the operation, the runtime expression of the id). Clients and schemathesis's
/// stateful tests follow these links.
fn links(endpoint: Endpoint) -> &'static [(&'static str, &'static str)] {
    const WORKOUT: &str = "$response.body#/workout/id";
    const MESSAGE: &str = "$response.body#/message_id";
    match endpoint {
        Endpoint::LogWorkout => &[
            ("getWorkout", WORKOUT),
            ("editWorkout", WORKOUT),
            ("deleteWorkout", WORKOUT),
        ],
        Endpoint::PostChat => &[
            ("getChatMessage", MESSAGE),
            ("confirmChatMessage", MESSAGE),
            ("retryChatMessage", MESSAGE),
        ],
        Endpoint::LogMeal => &[("deleteMeal", "$response.body#/meal/id")],
        Endpoint::RequestUpload => &[("completeUpload", "$response.body#/upload_id")],
        Endpoint::PostImport => &[
            ("getImport", "$response.body#/import/id"),
            ("deleteImport", "$response.body#/import/id"),
        ],
        Endpoint::ListExercises => &[
            ("getExercise", "$response.body#/items/0/id"),
            ("exerciseStats", "$response.body#/items/0/id"),
        ],
        Endpoint::ListSkills => &[("getSkill", "$response.body#/skills/0/id")],
        _ => &[],
    }
}

/// What any operation of this kind can fail with, whatever it does.
fn common_problems(access: Access, body: BodyRule, has_id: bool, has_query: bool) -> Vec<u16> {
    let mut statuses = vec![403, 429, 500, 503];
    if access != Access::Public {
        statuses.push(401);
    }
    if let BodyRule::Json { .. } = body {
        statuses.extend([400, 413, 415, 422]);
    }
    if has_query {
        statuses.push(422);
    }
    if has_id {
        statuses.push(404);
    }
    // Every user route reads or provisions the caller in the database, where a
    // collision with a concurrent request is a 409 to retry.
    if access == Access::User {
        statuses.push(409);
    }
    statuses
}

fn problem_meaning(status: u16) -> &'static str {
    match status {
        400 => "the body is not valid JSON",
        401 => "no valid bearer token",
        402 => "the balance does not cover the model call (`balance`, `price`)",
        403 => "a browser origin that may not call the API",
        404 => "nothing with this id for the caller",
        409 => "a conflict: see `type`",
        413 => "the body is over this route's limit",
        415 => "the body is not `application/json`",
        422 => "invalid input: `errors` names every failing field",
        429 => "rate limited; see `retry-after`",
        500 => "a bug or a broken deployment; it has been logged",
        502 => "the model or the storage failed",
        503 => "a service the API depends on is unavailable; try again shortly",
        _ => "a problem",
    }
}

/// A workout entry's `exercise` is an id of the compiled-in catalog (anything else is a
/// 422): the document lists them, so clients get the ids as a type.
fn name_the_catalog_exercises(schemas: &mut Schemas) {
    let Ok(catalog) = crate::domain::catalog::Catalog::embedded() else {
        return;
    };
    let ids: Vec<&str> = catalog
        .exercises()
        .iter()
        .map(|exercise| exercise.id())
        .collect();
    if let Some(RefOr::T(Schema::Object(entry))) = schemas.by_name.get_mut("EntryRequest")
        && let Some(RefOr::T(Schema::Object(exercise))) = entry.properties.get_mut("exercise")
    {
        // `null` stays allowed, as the field's type says: then `custom_exercise` names it.
        let mut values: Vec<serde_json::Value> = ids.into_iter().map(Into::into).collect();
        values.push(serde_json::Value::Null);
        exercise.enum_values = Some(values);
    }
}

/// The name of the shared problem response of `status`, e.g. `Problem422`.
fn problem_response_name(status: u16) -> String {
    format!("Problem{status}")
}

fn method_of(method: &http::Method) -> Option<HttpMethod> {
    Some(match *method {
        http::Method::GET => HttpMethod::Get,
        http::Method::POST => HttpMethod::Post,
        http::Method::PATCH => HttpMethod::Patch,
        http::Method::PUT => HttpMethod::Put,
        http::Method::DELETE => HttpMethod::Delete,
        _ => return None,
    })
}

/// The document, or the name of a schema two types claim.
pub fn document() -> Result<OpenApi, SchemaNameClash> {
    let mut schemas = Schemas::default();
    let problem = schemas.of::<Problem>();
    let mut paths = Paths::new();
    // Problem responses are shared components: one per status.
    let mut problem_statuses = std::collections::BTreeSet::new();
    for route in ROUTES {
        for operation in route.operations {
            let Some(method) = method_of(&operation.method) else {
                continue;
            };
            let description = describe(operation.endpoint, &mut schemas);
            let mut builder = OperationBuilder::new()
                .operation_id(Some(description.operation_id))
                .tag(description.tag)
                .summary(Some(description.summary));
            if route.pattern.contains("{id}") {
                let format = description.id_format.map(SchemaFormat::KnownFormat);
                builder = builder.parameter(
                    ParameterBuilder::new()
                        .name("id")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(text().format(format))),
                );
            }
            for param in &description.query {
                builder = builder.parameter(
                    ParameterBuilder::new()
                        .name(param.name)
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .description(Some(param.description))
                        .schema(Some(param.schema.clone())),
                );
            }
            if let Some(body) = &description.body {
                builder = builder.request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content(
                            JSON,
                            ContentBuilder::new().schema(Some(body.clone())).build(),
                        )
                        .build(),
                ));
            }
            for (status, meaning, success) in description.success {
                let mut response = ResponseBuilder::new().description(meaning);
                if success.is_some() {
                    for (operation_id, id) in links(operation.endpoint) {
                        response = response.link(
                            *operation_id,
                            LinkBuilder::new()
                                .operation_id(*operation_id)
                                .parameter("id", *id)
                                .build(),
                        );
                    }
                }
                match success {
                    Some(Success::Json(schema)) => {
                        response = response
                            .content(JSON, ContentBuilder::new().schema(Some(*schema)).build());
                    }
                    Some(Success::Download) => {
                        response = response
                            .content(
                                JSON,
                                ContentBuilder::new()
                                    .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                                    .build(),
                            )
                            .content(
                                "text/csv",
                                ContentBuilder::new()
                                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                                    .build(),
                            );
                    }
                    None => {}
                }
                builder = builder.response(status.to_string(), response.build());
            }
            let mut problems = common_problems(
                operation.access,
                operation.body,
                route.pattern.contains("{id}"),
                !description.query.is_empty(),
            );
            problems.extend_from_slice(description.problems);
            problems.sort_unstable();
            problems.dedup();
            for status in problems {
                // The health check answers its own body when the database is down.
                if operation.endpoint == Endpoint::Health && status == 503 {
                    let health = schemas.of::<health::HealthResponse>();
                    let response = ResponseBuilder::new()
                        .description("the database does not answer")
                        .content(JSON, ContentBuilder::new().schema(Some(health)).build())
                        .content(
                            PROBLEM,
                            ContentBuilder::new().schema(Some(problem.clone())).build(),
                        );
                    builder = builder.response(status.to_string(), response.build());
                    continue;
                }
                builder = builder.response(
                    status.to_string(),
                    RefOr::Ref(Ref::from_response_name(problem_response_name(status))),
                );
                problem_statuses.insert(status);
            }
            match operation.access {
                Access::Public => {}
                Access::User => {
                    builder = builder
                        .security(SecurityRequirement::new(USER_SCHEME, Vec::<String>::new()))
                }
                Access::Admin => {
                    builder = builder
                        .security(SecurityRequirement::new(ADMIN_SCHEME, Vec::<String>::new()))
                }
            }
            paths.add_path_operation(route.pattern, vec![method], builder.build());
        }
    }
    name_the_catalog_exercises(&mut schemas);
    if let Some(name) = schemas.clashes.first() {
        return Err(SchemaNameClash(name.clone()));
    }
    let mut components = ComponentsBuilder::new()
        .security_scheme(
            USER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A token of the identity provider (HS256, ES256 or RS256) with the deployment's issuer and audience.",
                    ))
                    .build(),
            ),
        )
        .security_scheme(
            ADMIN_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The deployment's `ADMIN_API_SECRET`; a user's token never works.",
                    ))
                    .build(),
            ),
        );
    for (name, schema) in schemas.by_name {
        components = components.schema(name, schema);
    }
    for status in problem_statuses {
        components = components.response(
            problem_response_name(status),
            ResponseBuilder::new()
                .description(problem_meaning(status))
                .content(
                    PROBLEM,
                    ContentBuilder::new().schema(Some(problem.clone())).build(),
                )
                .build(),
        );
    }
    Ok(OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Tora API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Tora, an AI calisthenics coach: log training by chatting, follow a skill tree, ask the coach. Errors are `application/problem+json` (RFC 9457) with a stable `type`.",
                ))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url("/").build()]))
        .paths(paths)
        .components(Some(components.build()))
        .build())
}

/// utoipa 5 writes a Link's fields in snake case (`operation_id`); OpenAPI spells them
/// `operationId`, `operationRef` and `requestBody`, and tools ignore the others.
fn spell_link_fields_as_openapi_does(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(object) => {
            if let Some(serde_json::Value::Object(links)) = object.get_mut("links") {
                for link in links.values_mut() {
                    if let serde_json::Value::Object(link) = link {
                        for (snake, camel) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(field) = link.remove(snake) {
                                link.insert(camel.to_owned(), field);
                            }
                        }
                    }
                }
            }
            object
                .values_mut()
                .for_each(spell_link_fields_as_openapi_does);
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(spell_link_fields_as_openapi_does)
        }
        _ => {}
    }
}

/// The document as `tora-dev openapi` writes it: pretty JSON and a final newline.
pub fn document_json() -> Result<String, SchemaNameClash> {
    let mut document = serde_json::to_value(document()?).unwrap_or_default();
    spell_link_fields_as_openapi_does(&mut document);
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    Ok(text)
}
