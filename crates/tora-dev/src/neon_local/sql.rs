//! Runs a parsed request on a session and builds the success body (protocols §1.6–1.7).

use super::decode::write_result;
use super::errors::NeonError;
use super::request::{BatchQueryData, Options, Payload, QueryData};
use super::wire::{Session, WireError};

/// The limit on a response body, like the proxy's default.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// Runs a single statement in autocommit, or a batch as one transaction. The caller
/// decides whether the session can be reused afterwards (see `Session::is_reusable`).
pub async fn run(
    session: &mut Session,
    payload: &Payload,
    options: &Options,
) -> Result<String, NeonError> {
    let result = match payload {
        Payload::Single(query) => {
            let mut out = String::new();
            run_query(session, query, options, &mut out)
                .await
                .map(|()| out)
        }
        Payload::Batch(batch) => run_batch(session, batch, options).await,
    };
    // End any transaction still open: a failed batch's, or one a lone `BEGIN` opened.
    // The embedded database serializes every connection behind an open transaction, so
    // it must end now, not whenever the database notices a closed socket. (A broken
    // session cannot roll back; closing it makes Postgres abort the transaction.)
    if session.in_transaction()
        && let Err(error) = session.simple("ROLLBACK").await
    {
        eprintln!("neon-local: rollback failed: {error:?}");
    }
    result
}

/// BEGIN, each statement, COMMIT. The first failure is the whole answer: no partial
/// results and no index of the failing statement.
async fn run_batch(
    session: &mut Session,
    batch: &BatchQueryData,
    options: &Options,
) -> Result<String, NeonError> {
    session
        .simple(&options.begin_statement())
        .await
        .map_err(wire_error)?;
    let mut out = String::from("{\"results\":[");
    for (i, query) in batch.queries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // On failure `run` rolls the transaction back.
        run_query(session, query, options, &mut out).await?;
    }
    session.simple("COMMIT").await.map_err(wire_error)?;
    out.push_str("]}");
    Ok(out)
}

async fn run_query(
    session: &mut Session,
    query: &QueryData,
    options: &Options,
    out: &mut String,
) -> Result<(), NeonError> {
    if is_copy_from_stdin(&query.query) {
        // The proxy cannot feed COPY data either (it answers "unexpected message from
        // server"). Refusing before sending matters: PGlite's socket server stops serving
        // everyone once a COPY FROM STDIN reaches it.
        return Err(NeonError::BadRequest(
            "COPY FROM STDIN is not supported over HTTP".into(),
        ));
    }
    // The rows' wire size is a lower bound of their JSON size, so stop reading them early
    // once even that is over what is left of the budget.
    let budget = MAX_RESPONSE_BYTES.saturating_sub(out.len());
    let output = session
        .execute(&query.query, &query.params, budget)
        .await
        .map_err(wire_error)?;
    let array_mode = query.array_mode.unwrap_or(options.array_mode);
    write_result(
        out,
        &output,
        options.raw_output,
        array_mode,
        MAX_RESPONSE_BYTES,
    )
}

/// Whether a statement is `COPY ... FROM STDIN`, judged by its words after any leading
/// comments. A miss is harmless on a real Postgres: the session fails the copy itself.
fn is_copy_from_stdin(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment
                .split_once("*/")
                .map_or("", |(_, after)| after)
                .trim_start();
        } else {
            break;
        }
    }
    let words: Vec<String> = rest
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ';')
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.first().is_some_and(|word| word == "copy")
        && words
            .windows(2)
            .any(|pair| pair[0] == "from" && pair[1] == "stdin")
}

fn wire_error(error: WireError) -> NeonError {
    match error {
        WireError::Db(error) => NeonError::Postgres(error),
        // A NUL byte in the statement: the client's mistake, like a Postgres error.
        WireError::Encode(message) => NeonError::BadRequest(message),
        WireError::TooLarge => NeonError::ResponseTooLarge(MAX_RESPONSE_BYTES),
        WireError::Malformed(message) => {
            NeonError::Internal(format!("could not parse postgres response: {message}"))
        }
        WireError::Broken(message) => {
            NeonError::Internal(format!("the database connection failed: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_from_stdin_is_recognised_and_other_statements_are_not() {
        for sql in [
            "copy t from stdin",
            "  COPY t (a, b) FROM STDIN WITH (FORMAT csv)",
            "-- load\n/* rows */ copy t from\nstdin;",
        ] {
            assert!(is_copy_from_stdin(sql), "{sql}");
        }
        for sql in [
            "copy (select 1) to stdout",
            "copy t from '/tmp/file.csv'",
            "select 'copy t from stdin'",
            "insert into t values ('from stdin')",
        ] {
            assert!(!is_copy_from_stdin(sql), "{sql}");
        }
    }
}
