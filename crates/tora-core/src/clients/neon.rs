//! Neon's HTTP SQL protocol ("SQL over HTTP"): request building and response decoding.
//!
//! The wire format follows Neon's proxy and the official `@neondatabase/serverless`
//! driver: `POST <endpoint>/sql` with the connection string in `Neon-Connection-String`,
//! a body of `{"query","params"}` or `{"queries":[...]}` (one transaction), rows in array
//! mode. The traps this module exists to get right:
//! - params travel untyped, as text: every query casts its placeholders (`$1::uuid`);
//! - one SQL statement per query (extended protocol);
//! - int8, numeric and timestamps come back as strings, int4 and bool as JSON values;
//! - a failing batch rolls back everything and does not say which statement failed;
//! - the JS driver only reads JSON error bodies on HTTP 400.
//!
//! We always ask for array mode, so duplicate column names cannot silently collapse.

use std::cell::Cell;

use http::{Method, Request};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::ports::{Clock, Transport, TransportError};
use crate::secret::Secret;

/// Where the worker's database lives and how to log in to it.
#[derive(Clone, Debug)]
pub struct NeonConfig {
    /// `https://<endpoint-host>/sql` in production; the local endpoint in development.
    pub sql_url: String,
    /// `postgresql://user:password@host/db`: it carries the password, so it is a secret.
    pub connection_string: Secret,
}

/// One value bound to a `$n` placeholder. Everything is sent as text (or NULL) because
/// that is what the proxy does with it anyway; sending numbers as strings keeps int8
/// and numeric exact.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    Null,
    Text(String),
    Json(Value),
}

impl Param {
    fn to_wire(&self) -> Value {
        match self {
            Param::Null => Value::Null,
            Param::Text(text) => Value::String(text.clone()),
            // Objects travel as compact JSON text; the query casts with `::jsonb`.
            Param::Json(value) => Value::String(value.to_string()),
        }
    }
}

impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Param::Text(value.to_owned())
    }
}
impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(value)
    }
}
impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Param::Text(value.to_string())
    }
}
impl From<i32> for Param {
    fn from(value: i32) -> Self {
        Param::Text(value.to_string())
    }
}
impl From<f64> for Param {
    fn from(value: f64) -> Self {
        Param::Text(value.to_string())
    }
}
impl From<bool> for Param {
    fn from(value: bool) -> Self {
        Param::Text(if value { "true" } else { "false" }.to_owned())
    }
}
impl From<uuid::Uuid> for Param {
    fn from(value: uuid::Uuid) -> Self {
        Param::Text(value.to_string())
    }
}
impl From<Value> for Param {
    fn from(value: Value) -> Self {
        Param::Json(value)
    }
}
impl<T: Into<Param>> From<Option<T>> for Param {
    fn from(value: Option<T>) -> Self {
        value.map_or(Param::Null, Into::into)
    }
}

/// One statement with its parameters. The SQL is `&'static str` on purpose: queries
/// are written in `db/`, never assembled from input.
#[derive(Clone, Debug)]
pub struct Statement {
    pub sql: &'static str,
    pub params: Vec<Param>,
}

impl Statement {
    pub fn new(sql: &'static str, params: Vec<Param>) -> Self {
        Self { sql, params }
    }

    fn to_wire(&self) -> Value {
        json!({
            "query": self.sql,
            "params": self.params.iter().map(Param::to_wire).collect::<Vec<_>>(),
            "arrayMode": true,
        })
    }
}

/// `BEGIN ISOLATION LEVEL ...` of a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IsolationLevel {
    #[default]
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl IsolationLevel {
    fn header_value(self) -> &'static str {
        match self {
            IsolationLevel::ReadCommitted => "ReadCommitted",
            IsolationLevel::RepeatableRead => "RepeatableRead",
            IsolationLevel::Serializable => "Serializable",
        }
    }
}

/// How a batch transaction begins.
#[derive(Clone, Copy, Debug, Default)]
pub struct TransactionOptions {
    pub isolation: IsolationLevel,
    pub read_only: bool,
}

/// A result column as the proxy describes it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Field {
    pub name: String,
    #[serde(rename = "dataTypeID")]
    pub data_type_id: u32,
}

/// The outcome of one statement.
#[derive(Clone, Debug)]
pub struct QueryResult {
    pub command: String,
    /// `None` when the command tag has no count (`CREATE TABLE`, `SET`).
    pub row_count: Option<u64>,
    pub rows: Vec<Row>,
}

impl QueryResult {
    /// The single row a statement must return (an `update ... returning` that matched).
    pub fn one(self) -> Result<Row, NeonError> {
        self.rows
            .into_iter()
            .next()
            .ok_or_else(|| NeonError::decode("expected one row, got none"))
    }

    /// The first row, when there may be none.
    pub fn first(self) -> Option<Row> {
        self.rows.into_iter().next()
    }
}

/// One row in array mode, with the column names to look values up by.
#[derive(Clone, Debug)]
pub struct Row {
    columns: std::rc::Rc<[String]>,
    values: Vec<Value>,
}

impl Row {
    /// The typed value of column `name`.
    pub fn get<T: FromSql>(&self, name: &str) -> Result<T, NeonError> {
        let index = self
            .columns
            .iter()
            .position(|column| column == name)
            .ok_or_else(|| NeonError::decode(format!("no column `{name}` in the result")))?;
        let value = self.values.get(index).unwrap_or(&Value::Null);
        T::from_sql(value)
            .map_err(|expected| NeonError::decode(format!("column `{name}`: expected {expected}")))
    }
}

/// Decoding of the proxy's JSON values (non-raw mode) into Rust types. The error is
/// the name of what was expected.
pub trait FromSql: Sized {
    fn from_sql(value: &Value) -> Result<Self, &'static str>;
}

impl FromSql for String {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        value.as_str().map(str::to_owned).ok_or("text")
    }
}

impl FromSql for i64 {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        // int8 arrives as a string, int2/int4 as a number.
        match value {
            Value::Number(number) => number.as_i64().ok_or("an integer"),
            Value::String(text) => text.parse().map_err(|_| "an integer"),
            _ => Err("an integer"),
        }
    }
}

impl FromSql for i32 {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        i64::from_sql(value).and_then(|wide| i32::try_from(wide).map_err(|_| "an int4"))
    }
}

impl FromSql for f64 {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        // numeric arrives as a string, float8 as a number.
        match value {
            Value::Number(number) => number.as_f64().ok_or("a number"),
            Value::String(text) => text.parse().map_err(|_| "a number"),
            _ => Err("a number"),
        }
    }
}

impl FromSql for bool {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        value.as_bool().ok_or("a boolean")
    }
}

impl FromSql for uuid::Uuid {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        value
            .as_str()
            .and_then(|text| uuid::Uuid::parse_str(text).ok())
            .ok_or("a uuid")
    }
}

impl FromSql for Value {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        Ok(value.clone())
    }
}

impl FromSql for chrono::DateTime<chrono::Utc> {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        // Postgres text output of timestamptz: `2024-01-02 03:04:05.678+00`.
        let text = value.as_str().ok_or("a timestamptz")?;
        crate::domain::date_text::parse_postgres_timestamptz(text).ok_or("a timestamptz")
    }
}

impl FromSql for chrono::NaiveDate {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        let text = value.as_str().ok_or("a date")?;
        crate::domain::date_text::parse_date(text).ok_or("a date")
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_sql(value: &Value) -> Result<Self, &'static str> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_sql(value).map(Some)
        }
    }
}

/// What went wrong talking to the database, sorted by what a caller can do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NeonErrorKind {
    /// The endpoint could not be reached or failed on its side (5xx).
    Unavailable,
    Timeout,
    /// Serialization failure or deadlock: the whole transaction may be retried.
    RetryableConflict,
    /// A unique constraint (SQLSTATE 23505); `constraint` names it.
    UniqueViolation,
    /// Any other Postgres error: a bug in our SQL or data that breaks a constraint.
    Rejected,
    /// The response did not have the shape we expected.
    Decode,
}

/// A database failure. `Display` never contains parameter values: Postgres messages
/// can quote them (`Key (email)=(...)`), so `detail` is kept apart and not printed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("database {kind:?}: {message}{}", sqlstate.as_deref().map(|code| format!(" (SQLSTATE {code})")).unwrap_or_default())]
pub struct NeonError {
    pub kind: NeonErrorKind,
    pub sqlstate: Option<String>,
    pub message: String,
    pub constraint: Option<String>,
    pub detail: Option<String>,
}

impl NeonError {
    fn new(kind: NeonErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            sqlstate: None,
            message: message.into(),
            constraint: None,
            detail: None,
        }
    }

    pub fn decode(message: impl Into<String>) -> Self {
        Self::new(NeonErrorKind::Decode, message)
    }

    pub fn kind(&self) -> NeonErrorKind {
        self.kind
    }
}

impl From<TransportError> for NeonError {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Timeout { .. } => Self::new(NeonErrorKind::Timeout, error.to_string()),
            _ => Self::new(NeonErrorKind::Unavailable, error.to_string()),
        }
    }
}

/// The error body the proxy sends (all keys always present; we read the few we use).
#[derive(Deserialize)]
struct WireError {
    message: Option<String>,
    code: Option<String>,
    constraint: Option<String>,
    detail: Option<String>,
}

#[derive(Deserialize)]
struct WireResult {
    fields: Vec<Field>,
    rows: Vec<Vec<Value>>,
    command: String,
    #[serde(rename = "rowCount")]
    row_count: Option<u64>,
}

#[derive(Deserialize)]
struct WireBatch {
    results: Vec<WireResult>,
}

/// Reads a response of the SQL endpoint as the client does: a 200 as one result and as
/// a batch, every value of every row as each type a query function asks for; any other
/// status as an error. For the fuzzer: nothing a server sends may panic.
#[cfg(any(test, feature = "fuzzing"))]
pub fn decode_response(status: u16, body: &[u8]) {
    if status != 200 {
        let _ = decode_error(status, body).kind();
        return;
    }
    let mut results = Vec::new();
    if let Ok(wire) = serde_json::from_slice::<WireResult>(body) {
        results.push(decode_result(wire));
    }
    if let Ok(batch) = serde_json::from_slice::<WireBatch>(body) {
        results.extend(batch.results.into_iter().map(decode_result));
    }
    for result in results {
        for row in &result.rows {
            for column in row.columns.iter() {
                let _ = row.get::<Option<String>>(column);
                let _ = row.get::<Option<i64>>(column);
                let _ = row.get::<Option<i32>>(column);
                let _ = row.get::<Option<f64>>(column);
                let _ = row.get::<Option<bool>>(column);
                let _ = row.get::<Option<uuid::Uuid>>(column);
                let _ = row.get::<Option<chrono::DateTime<chrono::Utc>>>(column);
                let _ = row.get::<Option<chrono::NaiveDate>>(column);
                let _ = row.get::<Value>(column);
            }
        }
        let _ = result.one();
    }
}

fn decode_result(wire: WireResult) -> QueryResult {
    let columns: std::rc::Rc<[String]> = wire.fields.into_iter().map(|field| field.name).collect();
    QueryResult {
        command: wire.command,
        row_count: wire.row_count,
        rows: wire
            .rows
            .into_iter()
            .map(|values| Row {
                columns: columns.clone(),
                values,
            })
            .collect(),
    }
}

fn decode_error(status: u16, body: &[u8]) -> NeonError {
    let Ok(wire) = serde_json::from_slice::<WireError>(body) else {
        let kind = if status >= 500 {
            NeonErrorKind::Unavailable
        } else {
            NeonErrorKind::Decode
        };
        return NeonError::new(kind, format!("HTTP {status} with a non-JSON body"));
    };
    let sqlstate = wire.code.filter(|code| !code.is_empty());
    let kind = match sqlstate.as_deref() {
        Some("23505") => NeonErrorKind::UniqueViolation,
        Some("40001" | "40P01") => NeonErrorKind::RetryableConflict,
        Some("57014") => NeonErrorKind::Timeout,
        Some(code) if code.starts_with("08") => NeonErrorKind::Unavailable,
        Some(_) => NeonErrorKind::Rejected,
        None if status >= 500 => NeonErrorKind::Unavailable,
        None => NeonErrorKind::Rejected,
    };
    NeonError {
        kind,
        sqlstate,
        message: wire.message.unwrap_or_else(|| format!("HTTP {status}")),
        constraint: wire.constraint,
        detail: wire.detail,
    }
}

/// A Neon client over any `Transport`. It also adds up the time spent waiting for the
/// database, for the request log line.
pub struct NeonClient<'a, T, C> {
    config: &'a NeonConfig,
    transport: &'a T,
    clock: &'a C,
    elapsed_ms: Cell<i64>,
    round_trips: Cell<u32>,
}

impl<'a, T: Transport, C: Clock> NeonClient<'a, T, C> {
    pub fn new(config: &'a NeonConfig, transport: &'a T, clock: &'a C) -> Self {
        Self {
            config,
            transport,
            clock,
            elapsed_ms: Cell::new(0),
            round_trips: Cell::new(0),
        }
    }

    /// Milliseconds spent in database round trips so far.
    pub fn elapsed_ms(&self) -> i64 {
        self.elapsed_ms.get()
    }

    /// Round trips made so far.
    pub fn round_trips(&self) -> u32 {
        self.round_trips.get()
    }

    /// One statement in autocommit.
    pub async fn query(&self, statement: Statement) -> Result<QueryResult, NeonError> {
        let body = statement.to_wire();
        let response = self.post(body, None).await?;
        let wire: WireResult = serde_json::from_slice(&response)
            .map_err(|error| NeonError::decode(format!("query result: {error}")))?;
        Ok(decode_result(wire))
    }

    /// Several statements in one transaction: all of them commit, or none.
    pub async fn transaction(
        &self,
        statements: Vec<Statement>,
        options: TransactionOptions,
    ) -> Result<Vec<QueryResult>, NeonError> {
        let expected = statements.len();
        let body = json!({
            "queries": statements.iter().map(Statement::to_wire).collect::<Vec<_>>(),
        });
        let response = self.post(body, Some(options)).await?;
        let wire: WireBatch = serde_json::from_slice(&response)
            .map_err(|error| NeonError::decode(format!("batch result: {error}")))?;
        if wire.results.len() != expected {
            return Err(NeonError::decode(format!(
                "batch of {expected} statements returned {} results",
                wire.results.len()
            )));
        }
        Ok(wire.results.into_iter().map(decode_result).collect())
    }

    async fn post(
        &self,
        body: Value,
        batch: Option<TransactionOptions>,
    ) -> Result<Vec<u8>, NeonError> {
        let request = build_request(self.config, &body, batch)?;
        let started = self.clock.now_millis();
        let outcome = self.transport.send(request).await;
        self.elapsed_ms
            .set(self.elapsed_ms.get() + (self.clock.now_millis() - started).max(0));
        self.round_trips.set(self.round_trips.get() + 1);
        let response = outcome?;
        let status = response.status().as_u16();
        if status == 200 {
            Ok(response.into_body())
        } else {
            Err(decode_error(status, response.body()))
        }
    }
}

fn build_request(
    config: &NeonConfig,
    body: &Value,
    batch: Option<TransactionOptions>,
) -> Result<Request<Vec<u8>>, NeonError> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(&config.sql_url)
        .header("content-type", "application/json")
        .header("neon-connection-string", config.connection_string.expose())
        .header("neon-array-mode", "true");
    if let Some(options) = batch {
        builder = builder.header(
            "neon-batch-isolation-level",
            options.isolation.header_value(),
        );
        if options.read_only {
            builder = builder.header("neon-batch-read-only", "true");
        }
    }
    let bytes = serde_json::to_vec(body)
        .map_err(|error| NeonError::decode(format!("encoding the request: {error}")))?;
    builder
        .body(bytes)
        .map_err(|error| NeonError::decode(format!("building the request: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::TransportError;
    use http::Response;
    use std::cell::RefCell;

    struct FixedClock;
    impl Clock for FixedClock {
        fn now_millis(&self) -> i64 {
            1_700_000_000_000
        }
    }

    /// Answers with a canned response and keeps what it was sent.
    struct CannedTransport {
        status: u16,
        body: String,
        sent: RefCell<Vec<Request<Vec<u8>>>>,
    }

    impl CannedTransport {
        fn new(status: u16, body: &str) -> Self {
            Self {
                status,
                body: body.to_owned(),
                sent: RefCell::new(Vec::new()),
            }
        }
    }

    impl Transport for CannedTransport {
        async fn send(
            &self,
            request: Request<Vec<u8>>,
        ) -> Result<Response<Vec<u8>>, TransportError> {
            self.sent.borrow_mut().push(request);
            Ok(Response::builder()
                .status(self.status)
                .body(self.body.clone().into_bytes())
                .unwrap())
        }
    }

    fn config() -> NeonConfig {
        NeonConfig {
            sql_url: "https://ep-test.example.neon.tech/sql".into(),
            connection_string: Secret::new("postgresql://tora:pw@ep-test.example.neon.tech/tora"),
        }
    }

    #[tokio::test]
    async fn single_query_sends_neon_headers_and_text_params() {
        let transport = CannedTransport::new(
            200,
            r#"{"fields":[{"name":"id","dataTypeID":20,"tableID":0,"columnID":0,"dataTypeSize":8,"dataTypeModifier":-1,"format":"text"},{"name":"ok","dataTypeID":16,"tableID":0,"columnID":0,"dataTypeSize":1,"dataTypeModifier":-1,"format":"text"}],"rows":[["9007199254740993",true]],"command":"SELECT","rowCount":1,"rowAsArray":true}"#,
        );
        let config = config();
        let client = NeonClient::new(&config, &transport, &FixedClock);
        let result = client
            .query(Statement::new(
                "select $1::int8 as id, $2::bool as ok",
                vec![9_007_199_254_740_993_i64.into(), true.into()],
            ))
            .await
            .unwrap();
        let row = result.one().unwrap();
        assert_eq!(row.get::<i64>("id").unwrap(), 9_007_199_254_740_993);
        assert!(row.get::<bool>("ok").unwrap());

        let sent = transport.sent.borrow();
        let request = &sent[0];
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "https://ep-test.example.neon.tech/sql");
        assert_eq!(
            request.headers()["neon-connection-string"],
            "postgresql://tora:pw@ep-test.example.neon.tech/tora"
        );
        assert_eq!(request.headers()["neon-array-mode"], "true");
        assert!(
            request
                .headers()
                .get("neon-batch-isolation-level")
                .is_none()
        );
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(
            body,
            json!({"query": "select $1::int8 as id, $2::bool as ok", "params": ["9007199254740993", "true"], "arrayMode": true})
        );
        assert_eq!(client.round_trips(), 1);
    }

    #[tokio::test]
    async fn batch_sends_queries_and_isolation_headers() {
        let transport = CannedTransport::new(
            200,
            r#"{"results":[{"fields":[],"rows":[],"command":"INSERT","rowCount":1,"rowAsArray":true},{"fields":[],"rows":[],"command":"DELETE","rowCount":0,"rowAsArray":true}]}"#,
        );
        let config = config();
        let client = NeonClient::new(&config, &transport, &FixedClock);
        let results = client
            .transaction(
                vec![
                    Statement::new(
                        "insert into t values ($1::jsonb)",
                        vec![json!({"a": 1}).into()],
                    ),
                    Statement::new("delete from t where x = $1", vec![Param::Null]),
                ],
                TransactionOptions {
                    isolation: IsolationLevel::Serializable,
                    read_only: true,
                },
            )
            .await
            .unwrap();
        assert_eq!(results[0].row_count, Some(1));
        assert_eq!(results[1].command, "DELETE");
        let sent = transport.sent.borrow();
        let request = &sent[0];
        assert_eq!(
            request.headers()["neon-batch-isolation-level"],
            "Serializable"
        );
        assert_eq!(request.headers()["neon-batch-read-only"], "true");
        let body: Value = serde_json::from_slice(request.body()).unwrap();
        assert_eq!(body["queries"][0]["params"], json!(["{\"a\":1}"]));
        assert_eq!(body["queries"][1]["params"], json!([null]));
    }

    #[tokio::test]
    async fn postgres_errors_keep_their_sqlstate_and_constraint() {
        let transport = CannedTransport::new(
            400,
            r#"{"message":"duplicate key value violates unique constraint \"chat_messages_user_client_id_key\"","code":"23505","detail":"Key (user_id, client_message_id)=(secret) already exists.","hint":null,"position":null,"internalPosition":null,"internalQuery":null,"severity":"ERROR","where":null,"table":"chat_messages","column":null,"schema":"public","dataType":null,"constraint":"chat_messages_user_client_id_key","file":"nbtinsert.c","line":"666","routine":"_bt_check_unique"}"#,
        );
        let config = config();
        let client = NeonClient::new(&config, &transport, &FixedClock);
        let error = client
            .query(Statement::new("insert", vec![]))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), NeonErrorKind::UniqueViolation);
        assert_eq!(error.sqlstate.as_deref(), Some("23505"));
        assert_eq!(
            error.constraint.as_deref(),
            Some("chat_messages_user_client_id_key")
        );
        assert!(
            !error.to_string().contains("secret"),
            "detail must not be displayed"
        );
    }

    #[tokio::test]
    async fn server_failures_are_unavailable() {
        let transport =
            CannedTransport::new(500, r#"{"message":"could not reach compute","code":""}"#);
        let config = config();
        let client = NeonClient::new(&config, &transport, &FixedClock);
        let error = client
            .query(Statement::new("select 1", vec![]))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), NeonErrorKind::Unavailable);
        assert_eq!(error.sqlstate, None);

        let transport = CannedTransport::new(502, "<html>bad gateway</html>");
        let client = NeonClient::new(&config, &transport, &FixedClock);
        let error = client
            .query(Statement::new("select 1", vec![]))
            .await
            .unwrap_err();
        assert_eq!(error.kind(), NeonErrorKind::Unavailable);
    }

    #[test]
    fn values_decode_from_the_proxy_encoding() {
        let row = Row {
            columns: vec![
                "n".to_owned(),
                "at".to_owned(),
                "missing".to_owned(),
                "d".to_owned(),
                "x".to_owned(),
            ]
            .into(),
            values: vec![
                json!("12.50"),
                json!("2024-01-02 03:04:05.678+00"),
                Value::Null,
                json!("2024-02-29"),
                json!(7),
            ],
        };
        assert_eq!(row.get::<f64>("n").unwrap(), 12.5);
        let at = row.get::<chrono::DateTime<chrono::Utc>>("at").unwrap();
        assert_eq!(at.to_rfc3339(), "2024-01-02T03:04:05.678+00:00");
        assert_eq!(row.get::<Option<String>>("missing").unwrap(), None);
        assert!(row.get::<String>("missing").is_err());
        assert_eq!(
            row.get::<chrono::NaiveDate>("d").unwrap(),
            chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(row.get::<i32>("x").unwrap(), 7);
        assert!(row.get::<i64>("nope").is_err());
    }

    #[test]
    fn timestamps_with_offsets_and_without_fraction_decode() {
        let value = json!("2024-06-01 12:00:00+02");
        let at = chrono::DateTime::<chrono::Utc>::from_sql(&value).unwrap();
        assert_eq!(at.to_rfc3339(), "2024-06-01T10:00:00+00:00");
    }
}
