// Bearer JWT (HS256) with `jose`, with ours' rules (crates/tora-core/src/auth/):
// signature, `exp` required, `nbf`, `iss`, `aud`, 30 s leeway, a `role` other than
// `authenticated` refused, `sub` a clean string of 1 to 255 characters.
import { jwtVerify } from 'jose';
import { type Env, required } from './env';
import { unauthenticated } from './problem';
import { cleanText } from './text';

export interface Caller {
  subject: string;
  /** `email` when it is a clean line of text; optional profile data, never identity. */
  email: string | null;
}

const LEEWAY_SECS = 30;
const MAX_TOKEN_BYTES = 16 * 1024;
const MAX_SUBJECT_CHARS = 255;
const encoder = new TextEncoder();

/** The token from `Bearer <token>`; the scheme is case-insensitive (RFC 7235). */
function bearerToken(authorization: string | undefined): string {
  const value = (authorization ?? '').trim();
  if (!value) throw unauthenticated('missing_token');
  const space = value.indexOf(' ');
  const [scheme, rest] = space < 0 ? [value, ''] : [value.slice(0, space), value.slice(space + 1)];
  if (scheme.toLowerCase() !== 'bearer') throw unauthenticated('malformed_token');
  const token = rest.replace(/^ +/, '');
  if (!token) throw unauthenticated('missing_token');
  if (token.length > MAX_TOKEN_BYTES) throw unauthenticated('malformed_token');
  return token;
}

/** jose's failures as ours' `reason` codes. */
function reasonOf(error: unknown): string {
  const { code, claim } = error as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'unsupported_algorithm';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad_signature';
    case 'ERR_JWT_EXPIRED':
      return 'token_expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'token_not_yet_valid';
      if (claim === 'iss') return 'wrong_issuer';
      if (claim === 'aud') return 'wrong_audience';
      return 'malformed_token'; // `exp` missing, a date that is not a number
    default:
      return 'malformed_token';
  }
}

const usableSubject = (sub: unknown): sub is string =>
  typeof sub === 'string' &&
  sub.length > 0 &&
  [...sub].length <= MAX_SUBJECT_CHARS &&
  !/[\u0000-\u001f\u007f-\u009f]/.test(sub);

export async function authenticate(authorization: string | undefined, env: Env): Promise<Caller> {
  const secret = required(env, 'JWT_HS256_SECRET');
  const [issuer, audience] = [required(env, 'JWT_ISSUER'), required(env, 'JWT_AUDIENCE')];
  const token = bearerToken(authorization);
  let payload;
  try {
    // Only HS256, only with the configured secret: the algorithm is never taken on the
    // token's word. The secret is its raw bytes, as GoTrue signs with it.
    ({ payload } = await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      issuer,
      audience,
      clockTolerance: LEEWAY_SECS,
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    throw unauthenticated(reasonOf(error));
  }
  // Supabase's anon and service_role keys are valid tokens of the same issuer; they
  // must not pass as a user session.
  if ('role' in payload && payload.role !== 'authenticated') throw unauthenticated('wrong_role');
  if (!usableSubject(payload.sub)) throw unauthenticated('missing_subject');
  const email = typeof payload.email === 'string' ? cleanText(payload.email, false, 320) : null;
  return { subject: payload.sub, email: email?.ok ? email.text : null };
}
