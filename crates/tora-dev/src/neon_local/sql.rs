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
    match payload {
        Payload::Single(query) => {
            let mut out = String::new();
            run_query(session, query, options, &mut out).await?;
            Ok(out)
        }
        Payload::Batch(batch) => run_batch(session, batch, options).await,
    }
}

/// BEGIN, each statement, COMMIT. The first failure rolls everything back and is the
/// whole answer: no partial results and no index of the failing statement.
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
        if let Err(error) = run_query(session, query, options, &mut out).await {
            // The database serializes every connection behind an open transaction, so it
            // must end here. A broken session cannot roll back, but closing it makes
            // Postgres abort the transaction itself.
            if let Err(rollback_error) = session.simple("ROLLBACK").await {
                eprintln!("neon-local: rollback after a failed batch failed: {rollback_error:?}");
            }
            return Err(error);
        }
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
