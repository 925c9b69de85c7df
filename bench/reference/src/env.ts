// The bindings the reference reads: the same names and defaults as ours
// (crates/tora-core/src/config.rs).
export interface Env {
  /** Neon's SQL-over-HTTP endpoint, `https://<host>/sql` (the local endpoint in the bench). */
  NEON_SQL_URL: string;
  /** `postgresql://user:pass@host/db`, sent as `Neon-Connection-String`. */
  DATABASE_URL: string;
  JWT_HS256_SECRET: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  /** HMAC key of the subject hash that remembers a starter grant (required by ours too). */
  SUBJECT_HASH_KEY: string;
  /** Credits granted on a subject's first request (default 100). */
  STARTER_CREDITS?: string;
  /** Tokens one credit buys (default 3000); balances are kept in tokens. */
  TOKENS_PER_CREDIT?: string;
}

export const tokensPerCredit = (env: Env) => Number(env.TOKENS_PER_CREDIT?.trim() || 3000);
export const starterCredits = (env: Env) => Number(env.STARTER_CREDITS?.trim() || 100);

/** A setting ours requires: without it every request is a 500, as ours answers a
 *  deployment whose configuration is incomplete. */
export function required(env: Env, name: Exclude<keyof Env, 'STARTER_CREDITS' | 'TOKENS_PER_CREDIT'>): string {
  const value = env[name];
  if (!value?.trim()) throw new Error(`configuration: setting ${name} is missing`);
  return value;
}
