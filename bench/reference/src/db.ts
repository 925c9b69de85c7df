// The database over Neon's HTTP protocol with the official driver. One `query` or one
// `transaction` is one round trip, as in ours; both are counted for the log line.
import { neon, neonConfig, types } from '@neondatabase/serverless';
import { type Env, required } from './env';
import { Problem, databaseUnavailable, internal } from './problem';

export type Row = Record<string, any>;
export type Statement = readonly [text: string, params: unknown[]];

const TIMESTAMPTZ = 1184;
/** Timestamps are kept as Postgres wrote them: a JS Date would drop the microseconds
 *  that page cursors must carry (ours reads them at full precision). */
const RAW_TIMESTAMPS = {
  getTypeParser: (oid: number, format?: any) =>
    oid === TIMESTAMPTZ ? (text: string) => text : types.getTypeParser(oid, format),
};

/** Ours gives every outbound request 15 seconds (src/platform.rs). */
const fetchOptions = () => ({ signal: AbortSignal.timeout(15_000) });

export class Db {
  roundTrips = 0;
  elapsedMs = 0;
  private readonly sql;

  constructor(env: Env) {
    // The driver posts to https://<host of the connection string>/sql unless told
    // otherwise; the bench's endpoint is NEON_SQL_URL, as for ours.
    neonConfig.fetchEndpoint = required(env, 'NEON_SQL_URL');
    this.sql = neon(required(env, 'DATABASE_URL'));
  }

  /** One statement in autocommit. */
  query(text: string, params: unknown[]): Promise<Row[]> {
    return this.timed(() => this.sql.query(text, params, { types: RAW_TIMESTAMPS, fetchOptions: fetchOptions() }));
  }

  /** Several statements in one transaction (read committed, as ours): one round trip. */
  transaction(statements: Statement[], readOnly = false): Promise<Row[][]> {
    return this.timed(() =>
      this.sql.transaction(
        statements.map(([text, params]) => this.sql.query(text, params, { types: RAW_TIMESTAMPS })),
        { isolationLevel: 'ReadCommitted', ...(readOnly ? { readOnly } : {}), fetchOptions: fetchOptions() },
      ),
    ) as Promise<Row[][]>;
  }

  private async timed<T>(call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await call();
    } finally {
      this.roundTrips++;
      this.elapsedMs += Date.now() - started;
    }
  }
}

/** The Postgres error behind a failed statement, when there is one. */
export const sqlState = (error: unknown): { code?: string; constraint?: string } =>
  (error && typeof error === 'object' ? error : {}) as { code?: string; constraint?: string };

/** A driver failure as the client should see it, sorted as ours sorts Neon's errors
 *  (clients/neon.rs `decode_error`): unreachable or 5xx → 503, conflicts → 409. */
export function databaseProblem(error: unknown): Problem {
  const { code } = sqlState(error);
  if (code === '40001' || code === '40P01') {
    return new Problem(409, 'conflict-retry', 'The request collided with another one; retry it.');
  }
  if (code === '57014' || code?.startsWith('08')) return databaseUnavailable();
  const message = error instanceof Error ? error.message : '';
  if (!code && (/^Error connecting to database/.test(message) || /^Server error \(HTTP status 5/.test(message))) {
    return databaseUnavailable();
  }
  return internal();
}
