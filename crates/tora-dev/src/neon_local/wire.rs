//! One Postgres session spoken directly in the frontend/backend protocol.
//!
//! tokio-postgres cannot reproduce Neon's semantics: it binds every param in binary with a
//! type it chose and asks for binary results. The proxy binds untyped (OID 0) text params
//! and reads text results, which changes what Postgres accepts (`$1` compared with an int
//! column takes the string `"42"`) and what comes back. So this module drives the extended
//! protocol itself with `postgres-protocol`'s message codecs: Parse (no param types), Bind
//! (text in, text out), Describe portal, Execute, Sync.
//!
//! Only plain TCP is supported (`sslmode=disable`, or the default `prefer`, which then
//! connects without TLS); the endpoint is meant for a database on the same machine.

use std::time::Duration;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::IsNull;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::backend::{DataRowBody, Message, RowDescriptionBody};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_postgres::config::{Host, SslMode};

use super::errors::PgError;

/// How long connecting and authenticating may take before the request fails.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the backing database is and how to log in, read from `--database-url`.
#[derive(Clone)]
pub struct PgConfig {
    host: String,
    port: u16,
    user: String,
    password: Option<Vec<u8>>,
    dbname: String,
    options: Option<String>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.write_str(&self.describe())
    }
}

impl PgConfig {
    /// Accepts what libpq accepts (a `postgres://` URL or `key=value` pairs), restricted to
    /// one TCP host without TLS.
    pub fn parse(database_url: &str) -> anyhow::Result<Self> {
        let config: tokio_postgres::Config = database_url
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid database URL: {e}"))?;
        match config.get_ssl_mode() {
            SslMode::Disable | SslMode::Prefer => {}
            _ => anyhow::bail!(
                "the database URL asks for TLS; neon-local only speaks plain TCP (use sslmode=disable)"
            ),
        }
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            None => "localhost".to_string(),
            Some(_) => anyhow::bail!("neon-local connects over TCP only, not a Unix socket"),
        };
        let user = config
            .get_user()
            .ok_or_else(|| anyhow::anyhow!("the database URL has no user"))?
            .to_string();
        Ok(PgConfig {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            dbname: config.get_dbname().unwrap_or(&user).to_string(),
            password: config.get_password().map(<[u8]>::to_vec),
            options: config.get_options().map(str::to_string),
            connect_timeout: config
                .get_connect_timeout()
                .copied()
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            user,
        })
    }

    /// `user@host:port/db`, safe to log.
    pub fn describe(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }
}

/// A result column as Postgres described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub table_oid: u32,
    pub column_id: i16,
    pub type_oid: u32,
    pub type_size: i16,
    pub type_modifier: i32,
}

/// Everything one statement returned, values in text form (`None` is SQL NULL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOutput {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
    /// `None` for an empty query string, which has no command tag.
    pub tag: Option<String>,
}

/// What can go wrong on a session. Only `Broken` leaves the session unusable: in every
/// other case the reply was read up to ReadyForQuery, so the session is in sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// Postgres rejected the statement.
    Db(Box<PgError>),
    /// The statement could not be encoded (a NUL byte in it); nothing was sent.
    Encode(String),
    /// The rows were larger than the budget the caller gave.
    TooLarge,
    /// Postgres sent a value that is not UTF-8 although the session asked for UTF8.
    Malformed(String),
    /// I/O failure or protocol violation: the session must be dropped.
    Broken(String),
}

/// Backend transaction status from ReadyForQuery: idle, in a transaction, or failed.
const IDLE: u8 = b'I';

pub struct Session {
    stream: TcpStream,
    read: BytesMut,
    write: BytesMut,
    status: u8,
    broken: bool,
}

impl Session {
    /// Connects and logs in: trust, cleartext, md5 and SCRAM-SHA-256 (without channel
    /// binding, since there is no TLS) are supported.
    pub async fn connect(config: &PgConfig) -> Result<Session, String> {
        match tokio::time::timeout(config.connect_timeout, Self::connect_inner(config)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "timed out after {:?} connecting to {}",
                config.connect_timeout,
                config.describe()
            )),
        }
    }

    async fn connect_inner(config: &PgConfig) -> Result<Session, String> {
        let stream = TcpStream::connect((config.host.as_str(), config.port))
            .await
            .map_err(|e| format!("could not connect to {}: {e}", config.describe()))?;
        // Requests are small request/response exchanges; Nagle would only add latency.
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut session = Session {
            stream,
            read: BytesMut::with_capacity(8192),
            write: BytesMut::with_capacity(1024),
            status: IDLE,
            broken: false,
        };
        session.startup(config).await.map_err(|e| match e {
            WireError::Db(error) => format!(
                "{} rejected the login: {}",
                config.describe(),
                error.summary()
            ),
            WireError::Encode(message)
            | WireError::Malformed(message)
            | WireError::Broken(message) => {
                format!("could not log in to {}: {message}", config.describe())
            }
            WireError::TooLarge => "unexpected reply while logging in".to_string(),
        })?;
        Ok(session)
    }

    async fn startup(&mut self, config: &PgConfig) -> Result<(), WireError> {
        let mut params = vec![
            ("user", config.user.as_str()),
            ("database", config.dbname.as_str()),
            // Text results are decoded as UTF-8 and `postgres-protocol` assumes it.
            ("client_encoding", "UTF8"),
            ("application_name", "tora-dev neon-local"),
        ];
        if let Some(options) = &config.options {
            params.push(("options", options.as_str()));
        }
        frontend::startup_message(params, &mut self.write).map_err(encode_error)?;
        self.flush().await?;
        self.authenticate(config).await?;
        // ParameterStatus and BackendKeyData follow; the session is ready at ReadyForQuery.
        loop {
            match self.next_message().await? {
                Message::ReadyForQuery(body) => {
                    self.status = body.status();
                    return Ok(());
                }
                Message::ErrorResponse(body) => {
                    return Err(WireError::Db(PgError::from_body(&body).map_err(broken)?));
                }
                _ => {}
            }
        }
    }

    async fn authenticate(&mut self, config: &PgConfig) -> Result<(), WireError> {
        let password = || {
            config.password.as_deref().ok_or_else(|| {
                WireError::Broken("the server asks for a password but the URL has none".into())
            })
        };
        loop {
            match self.next_message().await? {
                Message::AuthenticationOk => return Ok(()),
                Message::AuthenticationCleartextPassword => {
                    frontend::password_message(password()?, &mut self.write)
                        .map_err(encode_error)?;
                    self.flush().await?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let hash = md5_hash(config.user.as_bytes(), password()?, body.salt());
                    frontend::password_message(hash.as_bytes(), &mut self.write)
                        .map_err(encode_error)?;
                    self.flush().await?;
                }
                Message::AuthenticationSasl(body) => {
                    let mut mechanisms = body.mechanisms();
                    let mut scram_offered = false;
                    while let Some(mechanism) = mechanisms.next().map_err(broken)? {
                        scram_offered |= mechanism == SCRAM_SHA_256;
                    }
                    if !scram_offered {
                        return Err(WireError::Broken(
                            "the server offers no SASL mechanism neon-local supports".into(),
                        ));
                    }
                    self.scram(password()?).await?;
                }
                Message::ErrorResponse(body) => {
                    return Err(WireError::Db(PgError::from_body(&body).map_err(broken)?));
                }
                _ => {
                    return Err(WireError::Broken(
                        "the server asks for an authentication method neon-local does not support"
                            .into(),
                    ));
                }
            }
        }
    }

    /// SCRAM-SHA-256 exchange up to the server's final message; AuthenticationOk follows.
    async fn scram(&mut self, password: &[u8]) -> Result<(), WireError> {
        let mut scram = ScramSha256::new(password, ChannelBinding::unsupported());
        frontend::sasl_initial_response(SCRAM_SHA_256, scram.message(), &mut self.write)
            .map_err(encode_error)?;
        self.flush().await?;
        match self.next_message().await? {
            Message::AuthenticationSaslContinue(body) => {
                scram.update(body.data()).map_err(broken)?;
            }
            Message::ErrorResponse(body) => {
                return Err(WireError::Db(PgError::from_body(&body).map_err(broken)?));
            }
            _ => return Err(WireError::Broken("unexpected SASL message".into())),
        }
        frontend::sasl_response(scram.message(), &mut self.write).map_err(encode_error)?;
        self.flush().await?;
        match self.next_message().await? {
            Message::AuthenticationSaslFinal(body) => scram.finish(body.data()).map_err(broken),
            Message::ErrorResponse(body) => {
                Err(WireError::Db(PgError::from_body(&body).map_err(broken)?))
            }
            _ => Err(WireError::Broken("unexpected SASL message".into())),
        }
    }

    /// True when the session can serve another request: in sync and outside a transaction.
    /// An open or failed transaction would leak into the next request.
    pub fn is_reusable(&self) -> bool {
        !self.broken && self.status == IDLE
    }

    /// True when the session is in sync but inside a transaction, open or failed.
    pub fn in_transaction(&self) -> bool {
        !self.broken && self.status != IDLE
    }

    /// A cheap liveness probe for an idle pooled session: an idle server sends nothing, so
    /// readable data or EOF means it closed the connection (restart, idle timeout).
    pub fn is_alive(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(
            self.stream.try_read(&mut probe),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        )
    }

    /// Runs one statement with the extended protocol. Params are untyped text (`None` is
    /// NULL) and results come back as text. Rows stop being kept once their wire size
    /// passes `max_row_bytes`; the reply is still read to the end so the session stays
    /// usable, and the call fails with `TooLarge`.
    pub async fn execute(
        &mut self,
        sql: &str,
        params: &[Option<String>],
        max_row_bytes: usize,
    ) -> Result<QueryOutput, WireError> {
        self.encode_extended(sql, params)?;
        self.flush().await?;

        let mut output = QueryOutput::default();
        let mut error = None;
        let mut row_bytes = 0usize;
        let mut too_large = false;
        let mut malformed = None;
        loop {
            match self.next_message().await? {
                Message::ParseComplete
                | Message::BindComplete
                | Message::CloseComplete
                | Message::PortalSuspended
                | Message::EmptyQueryResponse => {}
                Message::RowDescription(body) => output.columns = columns(&body)?,
                Message::NoData => output.columns.clear(),
                Message::DataRow(body) => {
                    if error.is_some() || too_large || malformed.is_some() {
                        continue;
                    }
                    row_bytes += body.buffer().len();
                    if row_bytes > max_row_bytes {
                        too_large = true;
                        output.rows = Vec::new();
                        continue;
                    }
                    match row_values(&body)? {
                        Ok(row) => output.rows.push(row),
                        Err(message) => malformed = Some(message),
                    }
                }
                Message::CommandComplete(body) => {
                    output.tag = Some(body.tag().map_err(broken)?.to_string());
                }
                Message::ErrorResponse(body) => {
                    error = Some(PgError::from_body(&body).map_err(broken)?);
                }
                Message::CopyInResponse(_) => {
                    // The backend ignores Sync while it waits for COPY data, so fail the
                    // copy and sync again; an ErrorResponse and ReadyForQuery follow.
                    frontend::copy_fail(
                        "COPY FROM STDIN is not supported over HTTP",
                        &mut self.write,
                    )
                    .map_err(encode_error)?;
                    frontend::sync(&mut self.write);
                    self.flush().await?;
                }
                Message::CopyOutResponse(_) | Message::CopyData(_) | Message::CopyDone => {}
                Message::ReadyForQuery(body) => {
                    self.status = body.status();
                    break;
                }
                other => self.ignore_or_fail(&other)?,
            }
        }
        if let Some(error) = error {
            return Err(WireError::Db(error));
        }
        if too_large {
            return Err(WireError::TooLarge);
        }
        if let Some(message) = malformed {
            return Err(WireError::Malformed(message));
        }
        Ok(output)
    }

    fn encode_extended(&mut self, sql: &str, params: &[Option<String>]) -> Result<(), WireError> {
        // Encode into a scratch buffer first: if the statement cannot be encoded nothing
        // half-written may stay in the write buffer.
        let mut buf = BytesMut::new();
        let no_types: [u32; 0] = [];
        frontend::parse("", sql, no_types, &mut buf)
            .map_err(|e| WireError::Encode(e.to_string()))?;
        // One format code applies to all params (text = 0), and one to all result columns.
        let bound = frontend::bind(
            "",
            "",
            [0_i16],
            params,
            |param, buf| match param {
                Some(text) => {
                    buf.extend_from_slice(text.as_bytes());
                    Ok(IsNull::No)
                }
                None => Ok(IsNull::Yes),
            },
            [0_i16],
            &mut buf,
        );
        if bound.is_err() {
            return Err(WireError::Encode("could not encode the parameters".into()));
        }
        frontend::describe(b'P', "", &mut buf).map_err(|e| WireError::Encode(e.to_string()))?;
        frontend::execute("", 0, &mut buf).map_err(|e| WireError::Encode(e.to_string()))?;
        frontend::sync(&mut buf);
        self.write.extend_from_slice(&buf);
        Ok(())
    }

    /// Runs a statement with the simple protocol, for the batch's own BEGIN, COMMIT and
    /// ROLLBACK, whose results nobody reads.
    pub async fn simple(&mut self, sql: &str) -> Result<(), WireError> {
        frontend::query(sql, &mut self.write).map_err(|e| WireError::Encode(e.to_string()))?;
        self.flush().await?;
        let mut error = None;
        loop {
            match self.next_message().await? {
                Message::ErrorResponse(body) => {
                    error = Some(PgError::from_body(&body).map_err(broken)?);
                }
                Message::ReadyForQuery(body) => {
                    self.status = body.status();
                    break;
                }
                Message::CommandComplete(_)
                | Message::EmptyQueryResponse
                | Message::RowDescription(_)
                | Message::DataRow(_) => {}
                other => self.ignore_or_fail(&other)?,
            }
        }
        match error {
            Some(error) => Err(WireError::Db(error)),
            None => Ok(()),
        }
    }

    /// Asynchronous messages may arrive at any time and carry nothing a request needs;
    /// anything else is a protocol violation.
    fn ignore_or_fail(&mut self, message: &Message) -> Result<(), WireError> {
        match message {
            Message::NoticeResponse(_)
            | Message::ParameterStatus(_)
            | Message::NotificationResponse(_) => Ok(()),
            _ => {
                self.broken = true;
                Err(WireError::Broken(
                    "unexpected message from the server".into(),
                ))
            }
        }
    }

    async fn flush(&mut self) -> Result<(), WireError> {
        let result = self.stream.write_all(&self.write).await;
        self.write.clear();
        result.map_err(|e| self.mark_broken(&e))
    }

    async fn next_message(&mut self) -> Result<Message, WireError> {
        loop {
            match Message::parse(&mut self.read) {
                Ok(Some(message)) => return Ok(message),
                Ok(None) => {}
                Err(e) => return Err(self.mark_broken(&e)),
            }
            match self.stream.read_buf(&mut self.read).await {
                Ok(0) => {
                    self.broken = true;
                    return Err(WireError::Broken("the server closed the connection".into()));
                }
                Ok(_) => {}
                Err(e) => return Err(self.mark_broken(&e)),
            }
        }
    }

    fn mark_broken(&mut self, error: &std::io::Error) -> WireError {
        self.broken = true;
        WireError::Broken(error.to_string())
    }
}

fn columns(body: &RowDescriptionBody) -> Result<Vec<Column>, WireError> {
    body.fields()
        .map(|field| {
            Ok(Column {
                name: field.name().to_string(),
                table_oid: field.table_oid(),
                column_id: field.column_id(),
                type_oid: field.type_oid(),
                type_size: field.type_size(),
                type_modifier: field.type_modifier(),
            })
        })
        .collect()
        .map_err(broken)
}

/// The row's values as text; the inner error names a value that is not UTF-8.
fn row_values(body: &DataRowBody) -> Result<Result<Vec<Option<String>>, String>, WireError> {
    let buffer = body.buffer();
    let mut values = Vec::new();
    let mut ranges = body.ranges();
    while let Some(range) = ranges.next().map_err(broken)? {
        match range {
            None => values.push(None),
            Some(range) => {
                let bytes = buffer
                    .get(range)
                    .ok_or_else(|| WireError::Broken("malformed DataRow".into()))?;
                match std::str::from_utf8(bytes) {
                    Ok(text) => values.push(Some(text.to_string())),
                    Err(e) => return Ok(Err(format!("a value is not UTF-8: {e}"))),
                }
            }
        }
    }
    Ok(Ok(values))
}

fn broken(error: std::io::Error) -> WireError {
    WireError::Broken(error.to_string())
}

fn encode_error(error: std::io::Error) -> WireError {
    WireError::Encode(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_is_read_like_libpq() {
        let config = PgConfig::parse(
            "postgresql://postgres:s%40cret@127.0.0.1:55432/postgres?sslmode=disable",
        )
        .unwrap();
        assert_eq!(config.describe(), "postgres@127.0.0.1:55432/postgres");
        assert_eq!(config.password.as_deref(), Some(&b"s@cret"[..]));
        assert!(!format!("{config:?}").contains("cret"));

        let config = PgConfig::parse("postgres://tora@localhost").unwrap();
        assert_eq!(config.describe(), "tora@localhost:5432/tora");
        assert_eq!(config.password, None);
    }

    #[test]
    fn database_url_asking_for_tls_or_without_user_is_refused() {
        let error = PgConfig::parse("postgres://u:p@localhost/db?sslmode=require").unwrap_err();
        assert!(error.to_string().contains("sslmode=disable"), "{error}");
        assert!(PgConfig::parse("postgres://localhost/db").is_err());
        assert!(PgConfig::parse("not a url").is_err());
    }

    #[tokio::test]
    async fn connecting_to_a_closed_port_fails_with_a_clear_message() {
        // Bind then drop a listener to get a port nobody listens on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let config = PgConfig::parse(&format!("postgres://u:p@127.0.0.1:{port}/db")).unwrap();
        let error = Session::connect(&config).await.err().unwrap();
        assert!(
            error.starts_with("could not connect to u@127.0.0.1:"),
            "{error}"
        );
    }

    /// A scripted backend: answers the startup with a cleartext password request, then
    /// replies to one extended-protocol exchange. It returns what the client sent.
    mod fake_backend {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio::net::TcpListener;

        pub fn message(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            out.extend_from_slice(&(i32::try_from(body.len()).unwrap() + 4).to_be_bytes());
            out.extend_from_slice(body);
            out
        }

        /// A frontend message: its tag and body.
        pub type Sent = (u8, Vec<u8>);

        async fn read_message(stream: &mut tokio::net::TcpStream) -> Sent {
            let tag = stream.read_u8().await.unwrap();
            let len = stream.read_i32().await.unwrap();
            let mut body = vec![0; usize::try_from(len - 4).unwrap()];
            stream.read_exact(&mut body).await.unwrap();
            (tag, body)
        }

        pub async fn start(reply: Vec<u8>) -> (u16, tokio::task::JoinHandle<Vec<Sent>>) {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let task = tokio::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let len = stream.read_i32().await.unwrap();
                let mut startup = vec![0; usize::try_from(len - 4).unwrap()];
                stream.read_exact(&mut startup).await.unwrap();
                // AuthenticationCleartextPassword, then expect the password.
                stream
                    .write_all(&message(b'R', &3_i32.to_be_bytes()))
                    .await
                    .unwrap();
                let mut sent = vec![(0, startup), read_message(&mut stream).await];
                let mut ready = message(b'R', &0_i32.to_be_bytes());
                ready.extend(message(b'Z', b"I"));
                stream.write_all(&ready).await.unwrap();
                loop {
                    let next = read_message(&mut stream).await;
                    let done = next.0 == b'S';
                    sent.push(next);
                    if done {
                        break;
                    }
                }
                stream.write_all(&reply).await.unwrap();
                sent
            });
            (port, task)
        }
    }

    fn cstr(text: &str) -> Vec<u8> {
        let mut out = text.as_bytes().to_vec();
        out.push(0);
        out
    }

    #[tokio::test]
    async fn params_go_untyped_as_text_and_results_are_asked_for_as_text() {
        use fake_backend::message;
        let mut row_description = 1_i16.to_be_bytes().to_vec();
        row_description.extend(cstr("v"));
        row_description.extend(16_390_u32.to_be_bytes()); // table oid
        row_description.extend(2_i16.to_be_bytes()); // column number
        row_description.extend(25_u32.to_be_bytes()); // text
        row_description.extend((-1_i16).to_be_bytes());
        row_description.extend((-1_i32).to_be_bytes());
        row_description.extend(0_i16.to_be_bytes());
        let mut data_row = 1_i16.to_be_bytes().to_vec();
        data_row.extend(2_i32.to_be_bytes());
        data_row.extend(b"hi");
        let mut reply = message(b'1', b"");
        reply.extend(message(b'2', b""));
        reply.extend(message(b'T', &row_description));
        reply.extend(message(b'D', &data_row));
        reply.extend(message(b'C', &cstr("SELECT 1")));
        reply.extend(message(b'Z', b"I"));
        let (port, backend) = fake_backend::start(reply).await;

        let config = PgConfig::parse(&format!("postgres://me:pw@127.0.0.1:{port}/db")).unwrap();
        let mut session = Session::connect(&config).await.unwrap();
        let output = session
            .execute("select $1, $2", &[Some("42".into()), None], 1024)
            .await
            .unwrap();
        assert_eq!(
            output,
            QueryOutput {
                columns: vec![Column {
                    name: "v".into(),
                    table_oid: 16_390,
                    column_id: 2,
                    type_oid: 25,
                    type_size: -1,
                    type_modifier: -1,
                }],
                rows: vec![vec![Some("hi".into())]],
                tag: Some("SELECT 1".into()),
            }
        );
        assert!(session.is_reusable());

        let sent = backend.await.unwrap();
        let tags: Vec<u8> = sent.iter().map(|(tag, _)| *tag).collect();
        assert_eq!(tags, [0, b'p', b'P', b'B', b'D', b'E', b'S']);
        assert!(sent[0].1.windows(4).any(|w| w == b"user"));
        assert_eq!(sent[1].1, cstr("pw"));
        // Parse: unnamed statement, the SQL, and zero parameter types.
        let mut parse = cstr("");
        parse.extend(cstr("select $1, $2"));
        parse.extend(0_i16.to_be_bytes());
        assert_eq!(sent[2].1, parse);
        // Bind: one format code (text) for all params, "42" and NULL, one result format
        // code (text) for all columns.
        let mut bind = cstr("");
        bind.extend(cstr(""));
        bind.extend(1_i16.to_be_bytes());
        bind.extend(0_i16.to_be_bytes());
        bind.extend(2_i16.to_be_bytes());
        bind.extend(2_i32.to_be_bytes());
        bind.extend(b"42");
        bind.extend((-1_i32).to_be_bytes());
        bind.extend(1_i16.to_be_bytes());
        bind.extend(0_i16.to_be_bytes());
        assert_eq!(sent[3].1, bind);
        // Describe the unnamed portal; execute it without a row limit.
        assert_eq!(sent[4].1, [&b"P"[..], &cstr("")[..]].concat());
        assert_eq!(
            sent[5].1,
            [&cstr("")[..], &0_i32.to_be_bytes()[..]].concat()
        );
    }

    #[tokio::test]
    async fn an_error_is_read_to_ready_for_query_and_leaves_the_session_usable() {
        use fake_backend::message;
        let mut error = Vec::new();
        for (kind, value) in [(b'S', "ERROR"), (b'C', "42P01"), (b'M', "no such table")] {
            error.push(kind);
            error.extend(cstr(value));
        }
        error.push(0);
        let mut reply = message(b'E', &error);
        reply.extend(message(b'Z', b"I"));
        let (port, backend) = fake_backend::start(reply).await;
        let config = PgConfig::parse(&format!("postgres://me:pw@127.0.0.1:{port}/db")).unwrap();
        let mut session = Session::connect(&config).await.unwrap();
        match session.execute("select * from nope", &[], 1024).await {
            Err(WireError::Db(error)) => {
                assert_eq!(error.code.as_deref(), Some("42P01"));
                assert_eq!(error.severity.as_deref(), Some("ERROR"));
                assert_eq!(error.message, "no such table");
            }
            other => panic!("{other:?}"),
        }
        assert!(session.is_reusable());
        backend.await.unwrap();
    }
}
