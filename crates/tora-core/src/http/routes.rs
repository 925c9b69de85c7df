//! The route table: every path the API serves, which methods it takes, whether it
//! needs a user, and how big a body it accepts. It reads as the API's index.

use http::Method;

/// One operation of the API (a method on a path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// This API's OpenAPI document.
    OpenApi,
    Health,
    GetMe,
    UpdateMe,
    DeleteMe,
    LogWorkout,
    ListWorkouts,
    GetWorkout,
    EditWorkout,
    DeleteWorkout,
    PostChat,
    ChatHistory,
    LogMeal,
    MealDay,
    DeleteMeal,
    GetMessage,
    ConfirmMessage,
    RetryMessage,
    ListSkills,
    GetSkill,
    ListExercises,
    GetExercise,
    StatsSummary,
    ExerciseStats,
    ExportMe,
    GetCredits,
    AdminTopUp,
    ListMemories,
    DeleteMemory,
    CoachAsk,
    RequestUpload,
    CompleteUpload,
    PostImport,
    ListImports,
    GetImport,
    DeleteImport,
}

/// Who may call an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    User,
    /// Operators: `authorization: Bearer <ADMIN_API_SECRET>`, never a user's token.
    Admin,
}

/// What an operation accepts as a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyRule {
    /// The body is ignored and never read.
    None,
    /// `application/json` of at most `limit` bytes.
    Json { limit: usize },
}

#[derive(Clone, Debug)]
pub struct Operation {
    pub method: Method,
    pub endpoint: Endpoint,
    pub access: Access,
    pub body: BodyRule,
}

#[derive(Debug)]
pub struct Route {
    /// `/v1/workouts/{id}`: literal segments and `{name}` parameters.
    pub pattern: &'static str,
    pub operations: &'static [Operation],
    /// The `allow` header value, also used for CORS preflights. HEAD stands beside
    /// every GET: it is served by the GET operation.
    pub allow: &'static str,
}

const fn op(method: Method, endpoint: Endpoint, access: Access, body: BodyRule) -> Operation {
    Operation {
        method,
        endpoint,
        access,
        body,
    }
}

/// Profile patches are a few short strings.
const PROFILE_BODY_LIMIT: usize = 4 * 1024;
/// A chat message of up to 4000 characters, JSON-escaped, plus its id.
const CHAT_BODY_LIMIT: usize = 32 * 1024;
/// A meal description of up to 500 characters, JSON-escaped, and a time.
const MEAL_BODY_LIMIT: usize = 8 * 1024;
/// A top-up: an account, an amount, a note and a key.
const TOP_UP_BODY_LIMIT: usize = 4 * 1024;
/// A question of up to 1000 characters, JSON-escaped.
const ASK_BODY_LIMIT: usize = 8 * 1024;
/// A structured workout: up to 50 entries of up to 100 sets, plus notes.
const WORKOUT_BODY_LIMIT: usize = 64 * 1024;
const UPLOAD_BODY_LIMIT: usize = 1024;
/// An export sent inline: years of Strong or Hevy history (10,000 sets are about a
/// megabyte), JSON-escaped. Larger files go through an `import_csv` upload.
const IMPORT_BODY_LIMIT: usize = 5 * 1024 * 1024;

pub static ROUTES: &[Route] = &[
    Route {
        pattern: "/openapi.json",
        operations: &[op(
            Method::GET,
            Endpoint::OpenApi,
            Access::Public,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/health",
        operations: &[op(
            Method::GET,
            Endpoint::Health,
            Access::Public,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/me",
        operations: &[
            op(Method::GET, Endpoint::GetMe, Access::User, BodyRule::None),
            op(
                Method::PATCH,
                Endpoint::UpdateMe,
                Access::User,
                BodyRule::Json {
                    limit: PROFILE_BODY_LIMIT,
                },
            ),
            op(
                Method::DELETE,
                Endpoint::DeleteMe,
                Access::User,
                BodyRule::None,
            ),
        ],
        allow: "GET, HEAD, PATCH, DELETE",
    },
    Route {
        pattern: "/v1/me/export",
        operations: &[op(
            Method::GET,
            Endpoint::ExportMe,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/credits",
        operations: &[op(
            Method::GET,
            Endpoint::GetCredits,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/admin/credits",
        operations: &[op(
            Method::POST,
            Endpoint::AdminTopUp,
            Access::Admin,
            BodyRule::Json {
                limit: TOP_UP_BODY_LIMIT,
            },
        )],
        allow: "POST",
    },
    Route {
        pattern: "/v1/chat",
        operations: &[
            op(
                Method::GET,
                Endpoint::ChatHistory,
                Access::User,
                BodyRule::None,
            ),
            op(
                Method::POST,
                Endpoint::PostChat,
                Access::User,
                BodyRule::Json {
                    limit: CHAT_BODY_LIMIT,
                },
            ),
        ],
        allow: "GET, HEAD, POST",
    },
    Route {
        pattern: "/v1/chat/{id}",
        operations: &[op(
            Method::GET,
            Endpoint::GetMessage,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/chat/{id}/confirm",
        operations: &[op(
            Method::POST,
            Endpoint::ConfirmMessage,
            Access::User,
            BodyRule::Json {
                limit: WORKOUT_BODY_LIMIT,
            },
        )],
        allow: "POST",
    },
    Route {
        pattern: "/v1/chat/{id}/retry",
        operations: &[op(
            Method::POST,
            Endpoint::RetryMessage,
            Access::User,
            BodyRule::None,
        )],
        allow: "POST",
    },
    Route {
        pattern: "/v1/meals",
        operations: &[
            op(Method::GET, Endpoint::MealDay, Access::User, BodyRule::None),
            op(
                Method::POST,
                Endpoint::LogMeal,
                Access::User,
                BodyRule::Json {
                    limit: MEAL_BODY_LIMIT,
                },
            ),
        ],
        allow: "GET, HEAD, POST",
    },
    Route {
        pattern: "/v1/meals/{id}",
        operations: &[op(
            Method::DELETE,
            Endpoint::DeleteMeal,
            Access::User,
            BodyRule::None,
        )],
        allow: "DELETE",
    },
    Route {
        pattern: "/v1/skills",
        operations: &[op(
            Method::GET,
            Endpoint::ListSkills,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/skills/{id}",
        operations: &[op(
            Method::GET,
            Endpoint::GetSkill,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/exercises",
        operations: &[op(
            Method::GET,
            Endpoint::ListExercises,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/exercises/{id}",
        operations: &[op(
            Method::GET,
            Endpoint::GetExercise,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/stats/summary",
        operations: &[op(
            Method::GET,
            Endpoint::StatsSummary,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/stats/exercises/{id}",
        operations: &[op(
            Method::GET,
            Endpoint::ExerciseStats,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/workouts",
        operations: &[
            op(
                Method::GET,
                Endpoint::ListWorkouts,
                Access::User,
                BodyRule::None,
            ),
            op(
                Method::POST,
                Endpoint::LogWorkout,
                Access::User,
                BodyRule::Json {
                    limit: WORKOUT_BODY_LIMIT,
                },
            ),
        ],
        allow: "GET, HEAD, POST",
    },
    Route {
        pattern: "/v1/workouts/{id}",
        operations: &[
            op(
                Method::GET,
                Endpoint::GetWorkout,
                Access::User,
                BodyRule::None,
            ),
            op(
                Method::PATCH,
                Endpoint::EditWorkout,
                Access::User,
                BodyRule::Json {
                    limit: WORKOUT_BODY_LIMIT,
                },
            ),
            op(
                Method::DELETE,
                Endpoint::DeleteWorkout,
                Access::User,
                BodyRule::None,
            ),
        ],
        allow: "GET, HEAD, PATCH, DELETE",
    },
    Route {
        pattern: "/v1/memories",
        operations: &[op(
            Method::GET,
            Endpoint::ListMemories,
            Access::User,
            BodyRule::None,
        )],
        allow: "GET, HEAD",
    },
    Route {
        pattern: "/v1/memories/{id}",
        operations: &[op(
            Method::DELETE,
            Endpoint::DeleteMemory,
            Access::User,
            BodyRule::None,
        )],
        allow: "DELETE",
    },
    Route {
        pattern: "/v1/coach/ask",
        operations: &[op(
            Method::POST,
            Endpoint::CoachAsk,
            Access::User,
            BodyRule::Json {
                limit: ASK_BODY_LIMIT,
            },
        )],
        allow: "POST",
    },
    Route {
        pattern: "/v1/uploads",
        operations: &[op(
            Method::POST,
            Endpoint::RequestUpload,
            Access::User,
            BodyRule::Json {
                limit: UPLOAD_BODY_LIMIT,
            },
        )],
        allow: "POST",
    },
    Route {
        pattern: "/v1/uploads/{id}/complete",
        operations: &[op(
            Method::POST,
            Endpoint::CompleteUpload,
            Access::User,
            BodyRule::None,
        )],
        allow: "POST",
    },
    Route {
        pattern: "/v1/imports",
        operations: &[
            op(
                Method::GET,
                Endpoint::ListImports,
                Access::User,
                BodyRule::None,
            ),
            op(
                Method::POST,
                Endpoint::PostImport,
                Access::User,
                BodyRule::Json {
                    limit: IMPORT_BODY_LIMIT,
                },
            ),
        ],
        allow: "GET, HEAD, POST",
    },
    Route {
        pattern: "/v1/imports/{id}",
        operations: &[
            op(
                Method::GET,
                Endpoint::GetImport,
                Access::User,
                BodyRule::None,
            ),
            op(
                Method::DELETE,
                Endpoint::DeleteImport,
                Access::User,
                BodyRule::None,
            ),
        ],
        allow: "GET, HEAD, DELETE",
    },
];

/// The outcome of looking a request up in the table.
#[derive(Debug)]
pub enum Lookup<'p> {
    Found {
        route: &'static Route,
        operation: &'static Operation,
        params: Vec<&'p str>,
    },
    /// The path exists but not with this method.
    WrongMethod {
        route: &'static Route,
    },
    NotFound,
}

/// Matches `path` against a pattern, returning the `{param}` segments in order.
fn match_pattern<'p>(pattern: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut params = Vec::new();
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(params),
            (Some(expected), Some(actual)) => {
                if expected.starts_with('{') && expected.ends_with('}') {
                    if actual.is_empty() {
                        return None;
                    }
                    params.push(actual);
                } else if expected != actual {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

pub fn lookup<'p>(method: &Method, path: &'p str) -> Lookup<'p> {
    // HEAD asks for what GET would answer, minus the body (RFC 9110 9.3.2): it runs
    // the GET operation, and the pipeline drops the body.
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    for route in ROUTES {
        if let Some(params) = match_pattern(route.pattern, path) {
            return match route.operations.iter().find(|op| op.method == method) {
                Some(operation) => Lookup::Found {
                    route,
                    operation,
                    params,
                },
                None => Lookup::WrongMethod { route },
            };
        }
    }
    Lookup::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_resolve_to_their_operations() {
        match lookup(&Method::PATCH, "/v1/me") {
            Lookup::Found { operation, .. } => {
                assert_eq!(operation.endpoint, Endpoint::UpdateMe);
                assert_eq!(operation.access, Access::User);
                assert_eq!(operation.body, BodyRule::Json { limit: 4096 });
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            lookup(&Method::GET, "/health"),
            Lookup::Found {
                operation: Operation {
                    endpoint: Endpoint::Health,
                    access: Access::Public,
                    ..
                },
                ..
            }
        ));
    }

    #[test]
    fn wrong_methods_and_unknown_paths_are_told_apart() {
        assert!(matches!(
            lookup(&Method::POST, "/v1/me"),
            Lookup::WrongMethod { route } if route.allow == "GET, HEAD, PATCH, DELETE"
        ));
        assert!(matches!(lookup(&Method::GET, "/v1/me/"), Lookup::NotFound));
        assert!(matches!(lookup(&Method::GET, "/v1"), Lookup::NotFound));
        assert!(matches!(lookup(&Method::GET, "/"), Lookup::NotFound));
    }

    #[test]
    fn parameters_are_captured() {
        assert_eq!(
            match_pattern("/v1/workouts/{id}", "/v1/workouts/abc"),
            Some(vec!["abc"])
        );
        assert_eq!(match_pattern("/v1/workouts/{id}", "/v1/workouts/"), None);
        assert_eq!(match_pattern("/v1/workouts/{id}", "/v1/workouts/a/b"), None);
    }

    #[test]
    fn allow_lists_exactly_the_methods_served_with_head_beside_get() {
        for route in ROUTES {
            let mut served = Vec::new();
            for operation in route.operations {
                served.push(operation.method.as_str());
                if operation.method == Method::GET {
                    served.push("HEAD");
                }
            }
            assert_eq!(route.allow, served.join(", "), "{}", route.pattern);
        }
    }

    #[test]
    fn head_runs_the_get_operation() {
        for (path, endpoint) in [
            ("/health", Endpoint::Health),
            ("/v1/me", Endpoint::GetMe),
            ("/v1/workouts/abc", Endpoint::GetWorkout),
        ] {
            match lookup(&Method::HEAD, path) {
                Lookup::Found { operation, .. } => {
                    assert_eq!(operation.endpoint, endpoint, "{path}");
                    assert_eq!(operation.body, BodyRule::None, "{path}");
                }
                other => panic!("{path}: unexpected {other:?}"),
            }
        }
    }
}
