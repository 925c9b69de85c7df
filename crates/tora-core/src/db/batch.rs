//! Typed statements and batches: a statement carries the decoder of its result, and a
//! tuple of them runs as one round trip giving a tuple of results. Reordering the
//! statements of a batch reorders the result's types, so reading a result by the
//! wrong position does not compile.

use crate::clients::neon::{NeonError, QueryResult, Statement, TransactionOptions};

use super::Sql;

/// A statement and how to read its result.
pub struct Typed<T> {
    statement: Statement,
    decode: fn(QueryResult) -> Result<T, NeonError>,
}

impl<T> Typed<T> {
    pub fn new(statement: Statement, decode: fn(QueryResult) -> Result<T, NeonError>) -> Self {
        Self { statement, decode }
    }

    /// The statement alone, for a batch that does not read its result.
    pub fn into_statement(self) -> Statement {
        self.statement
    }

    /// Runs this statement alone (one round trip).
    pub async fn run(self, db: &impl Sql) -> Result<T, NeonError> {
        (self.decode)(db.query(self.statement).await?)
    }
}

/// A statement whose result nobody reads (writes).
pub fn write(statement: Statement) -> Typed<()> {
    Typed::new(statement, |_| Ok(()))
}

/// One part of a batch: a typed statement, or a run of writes.
pub trait Part {
    type Output;
    type Decoder;

    fn split(self, statements: &mut Vec<Statement>) -> Self::Decoder;
    fn decode(
        decoder: Self::Decoder,
        results: &mut std::vec::IntoIter<QueryResult>,
    ) -> Result<Self::Output, NeonError>;
}

fn next(results: &mut std::vec::IntoIter<QueryResult>) -> Result<QueryResult, NeonError> {
    results
        .next()
        .ok_or_else(|| NeonError::decode("a batch returned fewer results than statements"))
}

impl<T> Part for Typed<T> {
    type Output = T;
    type Decoder = fn(QueryResult) -> Result<T, NeonError>;

    fn split(self, statements: &mut Vec<Statement>) -> Self::Decoder {
        statements.push(self.statement);
        self.decode
    }

    fn decode(
        decoder: Self::Decoder,
        results: &mut std::vec::IntoIter<QueryResult>,
    ) -> Result<T, NeonError> {
        decoder(next(results)?)
    }
}

/// Statements whose results are not read, as one part of a batch: a write whose size
/// depends on the data (a workout's sets, skill rows).
pub struct Writes(pub Vec<Statement>);

impl Part for Writes {
    type Output = ();
    type Decoder = usize;

    fn split(self, statements: &mut Vec<Statement>) -> usize {
        let count = self.0.len();
        statements.extend(self.0);
        count
    }

    fn decode(
        count: usize,
        results: &mut std::vec::IntoIter<QueryResult>,
    ) -> Result<(), NeonError> {
        for _ in 0..count {
            next(results)?;
        }
        Ok(())
    }
}

/// Parts run in one transaction: a tuple of parts gives a tuple of their outputs.
pub trait Batch {
    type Output;
    type Decoders;

    fn split(self) -> (Vec<Statement>, Self::Decoders);
    fn decode(
        decoders: Self::Decoders,
        results: &mut std::vec::IntoIter<QueryResult>,
    ) -> Result<Self::Output, NeonError>;
}

macro_rules! tuple_batch {
    ($($P:ident . $index:tt),+) => {
        impl<$($P: Part),+> Batch for ($($P,)+) {
            type Output = ($($P::Output,)+);
            type Decoders = ($($P::Decoder,)+);

            fn split(self) -> (Vec<Statement>, Self::Decoders) {
                let mut statements = Vec::new();
                let decoders = ($(self.$index.split(&mut statements),)+);
                (statements, decoders)
            }

            fn decode(
                decoders: Self::Decoders,
                results: &mut std::vec::IntoIter<QueryResult>,
            ) -> Result<Self::Output, NeonError> {
                Ok(($($P::decode(decoders.$index, results)?,)+))
            }
        }
    };
}

tuple_batch!(A.0);
tuple_batch!(A.0, B.1);
tuple_batch!(A.0, B.1, C.2);
tuple_batch!(A.0, B.1, C.2, D.3);
tuple_batch!(A.0, B.1, C.2, D.3, E.4);
tuple_batch!(A.0, B.1, C.2, D.3, E.4, F.5);
tuple_batch!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
tuple_batch!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
tuple_batch!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);

/// Runs a batch as one transaction (one round trip) and reads every result by type.
pub async fn run<B: Batch>(
    db: &impl Sql,
    batch: B,
    options: TransactionOptions,
) -> Result<B::Output, NeonError> {
    let (statements, decoders) = batch.split();
    let results = db.transaction(statements, options).await?;
    B::decode(decoders, &mut results.into_iter())
}
