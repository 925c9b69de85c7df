//! What a `/sql` request says: the connection string, the option headers and the body
//! (protocols §1.3–1.4), checked the way the proxy checks them.

use http::HeaderMap;
use percent_encoding::percent_decode_str;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::encode::json_to_pg_text;
use super::errors::NeonError;

const CONNECTION_STRING: &str = "neon-connection-string";
const RAW_TEXT_OUTPUT: &str = "neon-raw-text-output";
const ARRAY_MODE: &str = "neon-array-mode";
pub const BATCH_ISOLATION_LEVEL: &str = "neon-batch-isolation-level";
pub const BATCH_READ_ONLY: &str = "neon-batch-read-only";
pub const BATCH_DEFERRABLE: &str = "neon-batch-deferrable";

/// The parts of `Neon-Connection-String` Neon uses to pick the database and log in.
///
/// neon-local checks the shape exactly like the proxy (so a string that works here works
/// against Neon) but always connects to its own `--database-url`: the user, password and
/// database named here are not used to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    pub user: String,
    pub dbname: String,
    /// The first DNS label of the host, which Neon reads as the endpoint id.
    pub endpoint: String,
}

/// Validates `Neon-Connection-String` with the proxy's rules and messages: a
/// `postgres://` or `postgresql://` URL, a non-empty user, a password (this endpoint
/// stands in for password auth, where Neon rejects a bearer token), a database name, and a
/// host that is a DNS name. `localhost` is fine; an IP literal is "missing hostname",
/// because Neon routes by the endpoint id in the host name.
pub fn connection_info(headers: &HeaderMap) -> Result<ConnectionInfo, NeonError> {
    let bad = |message: &str| NeonError::BadRequest(message.to_string());
    let raw = headers
        .get(CONNECTION_STRING)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| bad("invalid header: neon-connection-string"))?;
    let url = url::Url::parse(raw)
        .map_err(|e| NeonError::BadRequest(format!("invalid connection string: {e}")))?;
    if url.scheme() != "postgres" && url.scheme() != "postgresql" {
        return Err(bad("incorrect scheme"));
    }
    let dbname = url
        .path_segments()
        .and_then(|mut segments| segments.next())
        .ok_or_else(|| bad("missing database name"))?;
    let dbname = decode(dbname).map_err(|_| bad("invalid database name"))?;
    if dbname.is_empty() {
        return Err(bad("missing database name"));
    }
    let user = decode(url.username())
        .map_err(|e| NeonError::BadRequest(format!("invalid username: {e}")))?;
    if user.is_empty() {
        return Err(bad("missing username"));
    }
    if headers.contains_key(http::header::AUTHORIZATION) || url.password().is_none() {
        return Err(bad("missing authentication credentials: required password"));
    }
    let endpoint = match url.host() {
        // `url` treats a postgres URL's host as opaque, so an IPv4 address arrives as a
        // "domain" here and has to be recognised by hand.
        Some(url::Host::Domain(host)) if host.parse::<std::net::Ipv4Addr>().is_err() => host
            .split_once('.')
            .map_or(host, |(label, _)| label)
            .to_string(),
        _ => return Err(bad("missing hostname")),
    };
    Ok(ConnectionInfo {
        user,
        dbname,
        endpoint,
    })
}

fn decode(text: &str) -> Result<String, std::str::Utf8Error> {
    percent_decode_str(text)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
}

/// The batch header values, spelled as the proxy accepts (and echoes) them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IsolationLevel {
    Serializable,
    ReadUncommitted,
    ReadCommitted,
    RepeatableRead,
}

impl IsolationLevel {
    pub fn header_value(self) -> &'static str {
        match self {
            IsolationLevel::Serializable => "Serializable",
            IsolationLevel::ReadUncommitted => "ReadUncommitted",
            IsolationLevel::ReadCommitted => "ReadCommitted",
            IsolationLevel::RepeatableRead => "RepeatableRead",
        }
    }

    fn sql(self) -> &'static str {
        match self {
            IsolationLevel::Serializable => "SERIALIZABLE",
            IsolationLevel::ReadUncommitted => "READ UNCOMMITTED",
            IsolationLevel::ReadCommitted => "READ COMMITTED",
            IsolationLevel::RepeatableRead => "REPEATABLE READ",
        }
    }
}

/// The option headers. A boolean is on only when its value is exactly `true`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub raw_output: bool,
    pub array_mode: bool,
    pub isolation_level: Option<IsolationLevel>,
    pub read_only: bool,
    pub deferrable: bool,
}

impl Options {
    /// Reads the headers. The isolation level is checked even for a single query, which
    /// ignores it, because the proxy checks it first too.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, NeonError> {
        let is_true = |name: &str| headers.get(name).is_some_and(|value| value == "true");
        let isolation_level = match headers.get(BATCH_ISOLATION_LEVEL) {
            None => None,
            Some(value) => Some(match value.as_bytes() {
                b"Serializable" => IsolationLevel::Serializable,
                b"ReadUncommitted" => IsolationLevel::ReadUncommitted,
                b"ReadCommitted" => IsolationLevel::ReadCommitted,
                b"RepeatableRead" => IsolationLevel::RepeatableRead,
                _ => return Err(NeonError::BadRequest("invalid isolation level".into())),
            }),
        };
        Ok(Options {
            raw_output: is_true(RAW_TEXT_OUTPUT),
            array_mode: is_true(ARRAY_MODE),
            isolation_level,
            read_only: is_true(BATCH_READ_ONLY),
            deferrable: is_true(BATCH_DEFERRABLE),
        })
    }

    /// The statement that opens a batch's transaction.
    pub fn begin_statement(&self) -> String {
        let mut modes = Vec::new();
        if let Some(level) = self.isolation_level {
            modes.push(format!("ISOLATION LEVEL {}", level.sql()));
        }
        if self.read_only {
            modes.push("READ ONLY".to_string());
        }
        if self.deferrable {
            modes.push("DEFERRABLE".to_string());
        }
        if modes.is_empty() {
            "BEGIN".to_string()
        } else {
            format!("BEGIN {}", modes.join(", "))
        }
    }
}

/// One statement of the body. Params are converted to Postgres text while parsing, as
/// the proxy does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryData {
    pub query: String,
    #[serde(default, deserialize_with = "params_to_pg_text")]
    pub params: Vec<Option<String>>,
    #[serde(default)]
    pub array_mode: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BatchQueryData {
    pub queries: Vec<QueryData>,
}

/// The body: a single statement is tried first, then a batch. Unknown fields are ignored.
/// The type keeps the proxy's name because it shows up in the parse error message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Payload {
    Single(QueryData),
    Batch(BatchQueryData),
}

impl Payload {
    pub fn parse(body: &[u8]) -> Result<Self, NeonError> {
        serde_json::from_slice(body).map_err(|e| {
            NeonError::BadRequest(format!("could not parse the HTTP request body: {e}"))
        })
    }
}

fn params_to_pg_text<'de, D>(deserializer: D) -> Result<Vec<Option<String>>, D::Error>
where
    D: Deserializer<'de>,
{
    let values: Vec<Value> = Deserialize::deserialize(deserializer)?;
    Ok(values.iter().map(json_to_pg_text).collect())
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn conn(value: &str) -> Result<ConnectionInfo, NeonError> {
        connection_info(&headers(&[("Neon-Connection-String", value)]))
    }

    fn message(result: Result<ConnectionInfo, NeonError>) -> String {
        match result {
            Err(NeonError::BadRequest(message)) => message,
            other => panic!("expected a bad request, got {other:?}"),
        }
    }

    #[test]
    fn a_driver_style_connection_string_is_accepted_and_url_decoded() {
        assert_eq!(
            conn("postgresql://tora:tora@localhost/tora?application_name=pkg%3Anpm").unwrap(),
            ConnectionInfo {
                user: "tora".into(),
                dbname: "tora".into(),
                endpoint: "localhost".into()
            }
        );
        assert_eq!(
            conn("postgres://us%40er:p%2Fw@ep-cool-123.us-east-2.aws.neon.tech:5432/my%20db")
                .unwrap(),
            ConnectionInfo {
                user: "us@er".into(),
                dbname: "my db".into(),
                endpoint: "ep-cool-123".into()
            }
        );
    }

    #[test]
    fn connection_string_errors_use_the_proxy_messages() {
        assert_eq!(
            message(connection_info(&HeaderMap::new())),
            "invalid header: neon-connection-string"
        );
        assert!(message(conn("not a url")).starts_with("invalid connection string: "));
        assert_eq!(message(conn("mysql://u:p@host/db")), "incorrect scheme");
        assert_eq!(message(conn("postgres://:p@host/db")), "missing username");
        assert_eq!(
            message(conn("postgres://u:p@host")),
            "missing database name"
        );
        assert_eq!(
            message(conn("postgres://u:p@host/")),
            "missing database name"
        );
        assert_eq!(
            message(conn("postgres://u@host/db")),
            "missing authentication credentials: required password"
        );
        assert_eq!(
            message(conn("postgres://u:p@127.0.0.1/db")),
            "missing hostname"
        );
        assert_eq!(
            message(conn("postgres://u:p@127.0.0.1:5432/db")),
            "missing hostname"
        );
        assert_eq!(message(conn("postgres://u:p@[::1]/db")), "missing hostname");
    }

    #[test]
    fn a_bearer_token_is_refused_because_this_endpoint_uses_passwords() {
        let result = connection_info(&headers(&[
            ("Neon-Connection-String", "postgres://u:p@localhost/db"),
            ("Authorization", "Bearer abc"),
        ]));
        assert_eq!(
            message(result),
            "missing authentication credentials: required password"
        );
    }

    #[test]
    fn option_booleans_must_be_exactly_true() {
        let options = Options::from_headers(&headers(&[
            ("Neon-Raw-Text-Output", "true"),
            ("Neon-Array-Mode", "True"),
            ("Neon-Batch-Read-Only", "1"),
            ("Neon-Batch-Deferrable", "true"),
        ]))
        .unwrap();
        assert_eq!(
            options,
            Options {
                raw_output: true,
                array_mode: false,
                isolation_level: None,
                read_only: false,
                deferrable: true,
            }
        );
    }

    #[test]
    fn isolation_level_accepts_exactly_four_spellings() {
        for (value, level) in [
            ("Serializable", IsolationLevel::Serializable),
            ("ReadUncommitted", IsolationLevel::ReadUncommitted),
            ("ReadCommitted", IsolationLevel::ReadCommitted),
            ("RepeatableRead", IsolationLevel::RepeatableRead),
        ] {
            let options =
                Options::from_headers(&headers(&[("Neon-Batch-Isolation-Level", value)])).unwrap();
            assert_eq!(options.isolation_level, Some(level));
            assert_eq!(level.header_value(), value);
        }
        for value in ["serializable", "READ COMMITTED", ""] {
            assert_eq!(
                Options::from_headers(&headers(&[("Neon-Batch-Isolation-Level", value)])),
                Err(NeonError::BadRequest("invalid isolation level".into()))
            );
        }
    }

    #[test]
    fn begin_statement_carries_the_batch_options() {
        assert_eq!(Options::default().begin_statement(), "BEGIN");
        let options = Options {
            isolation_level: Some(IsolationLevel::RepeatableRead),
            read_only: true,
            deferrable: true,
            ..Options::default()
        };
        assert_eq!(
            options.begin_statement(),
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY, DEFERRABLE"
        );
    }

    #[test]
    fn body_is_a_single_query_first_then_a_batch() {
        assert_eq!(
            Payload::parse(
                br#"{"query":"select $1","params":[42,null,"x"],"arrayMode":true,"extra":1}"#
            )
            .unwrap(),
            Payload::Single(QueryData {
                query: "select $1".into(),
                params: vec![Some("42".into()), None, Some("x".into())],
                array_mode: Some(true),
            })
        );
        assert_eq!(
            Payload::parse(br#"{"query":"select 1"}"#).unwrap(),
            Payload::Single(QueryData {
                query: "select 1".into(),
                params: vec![],
                array_mode: None,
            })
        );
        assert_eq!(
            Payload::parse(
                br#"{"queries":[{"query":"a","params":[[1,"b"]]},{"query":"b","arrayMode":false}]}"#
            )
            .unwrap(),
            Payload::Batch(BatchQueryData {
                queries: vec![
                    QueryData {
                        query: "a".into(),
                        params: vec![Some(r#"{1,"b"}"#.into())],
                        array_mode: None,
                    },
                    QueryData {
                        query: "b".into(),
                        params: vec![],
                        array_mode: Some(false),
                    },
                ]
            })
        );
    }

    #[test]
    fn a_body_of_neither_shape_is_a_bad_request() {
        for body in [
            &b"{}"[..],
            b"not json",
            br#"{"query":1}"#,
            br#"{"query":"x","params":{}}"#,
        ] {
            match Payload::parse(body) {
                Err(NeonError::BadRequest(message)) => {
                    assert!(
                        message.starts_with("could not parse the HTTP request body: "),
                        "{message}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
