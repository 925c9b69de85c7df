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
  /** The rate limit window, sent as `retry-after` on 429 (default 60). */
  RATE_LIMIT_PERIOD_SECONDS?: string;
  /** Workers Rate Limiting bindings: every request by client IP, then each caller by
   *  subject. Unbound, requests are not limited (ours does the same). */
  PER_IP_LIMITER?: RateLimiter;
  PER_USER_LIMITER?: RateLimiter;
}

/** The call shape of a Workers Rate Limiting binding. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export const tokensPerCredit = (env: Env) => Number(env.TOKENS_PER_CREDIT?.trim() || 3000);
export const starterCredits = (env: Env) => Number(env.STARTER_CREDITS?.trim() || 100);

/** A setting ours requires: without it every request is a 500, as ours answers a
 *  deployment whose configuration is incomplete. */
export function required(
  env: Env,
  name: 'NEON_SQL_URL' | 'DATABASE_URL' | 'JWT_HS256_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'SUBJECT_HASH_KEY',
): string {
  const value = env[name];
  if (!value?.trim()) throw new Error(`configuration: setting ${name} is missing`);
  return value;
}

/** Whether `limiter` lets `key` through; fail open, as ours: a missing binding or a
 *  limiter error must not take the API down. */
export async function allowed(limiter: RateLimiter | undefined, key: string): Promise<boolean> {
  if (!limiter) return true;
  try {
    return (await limiter.limit({ key })).success;
  } catch {
    return true;
  }
}
