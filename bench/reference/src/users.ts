// The caller's user row: provisioned on first sight with the starter grant, then read,
// as the first two statements of the batch every authenticated route opens with
// (ours: db/users.rs `provision_statements`).
import type { Caller } from './auth';
import type { Row, Statement } from './db';
import { type Env, required, starterCredits, tokensPerCredit } from './env';
import { PROVISION_USER, SELECT_USER_BY_SUBJECT } from './sql';

const encoder = new TextEncoder();
const hashKeys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256 of the subject under SUBJECT_HASH_KEY, hex: what remembers that a
 *  subject had its starter grant even after the account is erased. */
async function subjectHash(key: string, subject: string): Promise<string> {
  let imported = hashKeys.get(key);
  if (!imported) {
    imported = crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    hashKeys.set(key, imported);
  }
  const mac = await crypto.subtle.sign('HMAC', await imported, encoder.encode(subject));
  return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Insert-unless-present, then read: the read is a separate statement so that two
 *  concurrent first requests both see the winner's row. */
export async function provisionStatements(env: Env, caller: Caller): Promise<[Statement, Statement]> {
  const starterUnits = starterCredits(env) * tokensPerCredit(env);
  return [
    [
      PROVISION_USER,
      [
        crypto.randomUUID(),
        caller.subject,
        caller.email,
        String(starterUnits),
        crypto.randomUUID(),
        await subjectHash(required(env, 'SUBJECT_HASH_KEY'), caller.subject),
      ],
    ],
    [SELECT_USER_BY_SUBJECT, [caller.subject]],
  ];
}

/** The user row read back by the second statement. */
export function userFrom(rows: Row[]): Row {
  const user = rows[0];
  if (!user) throw new Error('the provisioned user could not be read');
  return user;
}
