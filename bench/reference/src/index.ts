// The reference implementation of four routes of the Tora API, written the way the
// Workers ecosystem usually writes them: Hono, @neondatabase/serverless over HTTP and
// jose. It is benchmarked beside our Rust worker on the same database, so each route
// sends the same statements in the same number of round trips, checks the same input
// and token rules, and answers in the same shape (see README.md for what differs).
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { type Caller, authenticate } from './auth';
import { catalog, goalText } from './catalog';
import { type Answer, logStatements, openStatements, parseChatBody, readWorkout, workoutAnswer } from './chat';
import { Db, type Row, databaseProblem, sqlState } from './db';
import { type Env, allowed, tokensPerCredit } from './env';
import { Problem, rateLimited } from './problem';
import { isMastered, nextTargets, publicState, roundProgress, skillRecords, standing } from './skills';
import {
  PING,
  SELECT_MESSAGE_BY_SUBJECT,
  SELECT_STATES_BY_SUBJECT,
  SELECT_WORKOUTS,
  SELECT_WORKOUT_OF_MESSAGE,
} from './sql';
import { provisionStatements, userFrom } from './users';
import { bounded, decodeCursor, encodeCursor, instant, workoutView } from './workouts';

type App = {
  Bindings: Env;
  Variables: { requestId: string; db: Db; caller: Caller; problem?: string; error?: string };
};

const app = new Hono<App>();

// Every response carries ours' headers (http/waf.rs `finish`) and every request logs
// one JSON line with its round trips (http/log.rs), so both sides do that work too.
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-site',
  vary: 'origin',
};

app.use('*', async (c, next) => {
  const started = Date.now();
  const requestId = crypto.randomUUID();
  c.set('requestId', requestId);
  c.set('db', new Db(c.env));
  // Every request counts against its client's address first, as in ours.
  const ip = c.req.header('cf-connecting-ip')?.trim();
  if (await allowed(c.env.PER_IP_LIMITER, ip && ip.length <= 64 ? ip : 'unknown')) await next();
  else c.res = problemResponse(c, rateLimited(ratePeriod(c.env)));
  c.res.headers.set('x-request-id', requestId);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  const db = c.get('db');
  console.log(
    JSON.stringify({
      request_id: requestId,
      method: c.req.method,
      route: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      db_ms: db.elapsedMs,
      db_round_trips: db.roundTrips,
      problem: c.get('problem'),
      error: c.get('error'),
    }),
  );
});

/** A failure as problem+json; a 5xx's cause goes to the log line, never to the client. */
function problemResponse(c: Context<App>, problem: Problem, cause?: unknown) {
  if (problem.status >= 500) c.set('error', String(cause));
  else c.set('problem', problem.slug);
  return c.body(JSON.stringify(problem.body(c.req.path, c.get('requestId'))), problem.status as 500, {
    'content-type': 'application/problem+json',
    ...problem.headers,
  });
}

app.onError((error, c) => problemResponse(c, error instanceof Problem ? error : databaseProblem(error), error));
app.notFound((c) => problemResponse(c, new Problem(404, 'not-found', 'There is nothing at this path.')));

const ratePeriod = (env: Env) => Number(env.RATE_LIMIT_PERIOD_SECONDS?.trim() || 60);

/** A bearer token ours would accept, then the caller's own rate limit; the caller is
 *  `c.get('caller')`. */
const requireUser: MiddlewareHandler<App> = async (c, next) => {
  const caller = await authenticate(c.req.header('authorization'), c.env);
  if (!(await allowed(c.env.PER_USER_LIMITER, caller.subject))) throw rateLimited(ratePeriod(c.env));
  c.set('caller', caller);
  await next();
};

/** `content-type: application/json` and no declared length over `limit`: checked
 *  before the token, as ours does, so neither costs a signature check. */
const jsonRequest =
  (limit: number): MiddlewareHandler<App> =>
  async (c, next) => {
    const type = c.req.header('content-type')?.split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      throw new Problem(415, 'unsupported-media-type', 'Send the body as JSON with `content-type: application/json`.');
    }
    if (Number(c.req.header('content-length')) > limit) throw tooLarge(limit);
    await next();
  };

const tooLarge = (limit: number) =>
  new Problem(413, 'payload-too-large', `The body may be at most ${limit} bytes on this route.`);

/** The body, read only once the caller is known, and only up to `limit` bytes. */
async function readBody(c: Context<App>, limit: number): Promise<string> {
  const bytes = await c.req.arrayBuffer();
  if (bytes.byteLength > limit) throw tooLarge(limit);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new Problem(400, 'malformed-json', 'The body is not valid JSON: invalid UTF-8.');
  }
}

/** Balances are kept in token units and shown in credits. */
const inCredits = (units: string | number, env: Env) => Number(units) / tokensPerCredit(env);

// GET /health: liveness plus one round trip, so "healthy" means data can be served.
app.get('/health', async (c) => {
  try {
    const [row] = await c.get('db').query(PING, []);
    if (row?.ok === 1) return c.json({ status: 'ok', database: 'ok' });
  } catch {
    // Answered below: the database is what is unhealthy, not this request.
  }
  return c.json({ status: 'degraded', database: 'unavailable' }, 503);
});

// GET /v1/skills: the whole tree with the caller's standing. One round trip: the
// user is provisioned and read, and their skill rows read, in one transaction.
app.get('/v1/skills', requireUser, async (c) => {
  const caller = c.get('caller');
  const [, user, rows] = await c
    .get('db')
    .transaction([...(await provisionStatements(c.env, caller)), [SELECT_STATES_BY_SUBJECT, [caller.subject]]]);
  userFrom(user);
  const tree = catalog();
  const stored = skillRecords(rows);
  const { states, ...rest } = standing(tree, stored);
  return c.json({
    skills: tree.skills.map((skill) => {
      const state = states.get(skill.id) ?? 'locked';
      const { sets, reps, seconds, eachSide } = skill.goal;
      return {
        id: skill.id,
        name: skill.name,
        category: skill.category,
        prerequisites: skill.prerequisites,
        goal: { sets, ...(reps != null ? { reps } : { seconds }), each_side: eachSide, text: goalText(skill.goal) },
        state: publicState(state),
        mastery: isMastered(state) ? state : null,
        progress: roundProgress(stored.get(skill.id)?.bestProgress ?? 0),
      };
    }),
    next_targets: nextTargets(tree, { states, ...rest }, []).map((t) => ({
      ...t,
      progress: roundProgress(t.progress),
    })),
    mastered: [...states.values()].filter(isMastered).length,
    total: tree.skills.length,
  });
});

// GET /v1/workouts?limit&cursor&from&to: newest first, keyset paged. Two round trips,
// as ours: the user (provisioned, read), then one page of limit + 1 rows.
app.get('/v1/workouts', requireUser, async (c) => {
  // Bad paging costs no round trip.
  const limit = bounded(c.req.query('limit'), 'limit', 1, 100, 20);
  const cursor = c.req.query('cursor');
  const after = cursor === undefined ? null : decodeCursor(cursor);
  const db = c.get('db');
  const [, rows] = await db.transaction(await provisionStatements(c.env, c.get('caller')));
  const user = userFrom(rows);
  // A bare date is midnight in the user's timezone, so these wait for the user.
  const from = instant(c.req.query('from'), 'from', user.timezone);
  const to = instant(c.req.query('to'), 'to', user.timezone);
  const page = await db.query(SELECT_WORKOUTS, [
    user.id,
    null,
    from,
    to,
    after?.at ?? null,
    after?.id ?? null,
    String(limit + 1),
  ]);
  const items = page.slice(0, limit);
  const last = items.at(-1);
  return c.json({
    items: items.map(workoutView),
    next_cursor: page.length > limit && last ? encodeCursor(last.performed_at, last.id) : null,
  });
});

/** The message's answer as the API shows it, wherever it is shown (ours: AnswerView). */
function answerView(
  env: Env,
  messageId: string,
  status: string,
  answer: Answer,
  workout: Row | undefined,
  balance: string,
) {
  return {
    message_id: messageId,
    status,
    reply: answer.reply,
    workout: workout ? workoutView(workout) : null,
    proposal: null,
    // Rebuilt field by field: a replayed answer comes back from jsonb, keys reordered.
    mastered: (answer.mastered ?? []).map(({ skill, name }) => ({ skill, name })),
    unlocked: (answer.unlocked ?? []).map(({ skill, name }) => ({ skill, name })),
    next_targets: (answer.next_targets ?? []).map(({ skill, name, goal, progress }) => ({
      skill,
      name,
      goal,
      progress: roundProgress(progress),
    })),
    credits: { spent: inCredits(answer.spent_units ?? 0, env), balance: inCredits(balance, env) },
    failure_reason: null,
  };
}

/** A retry of a message that was answered before gets that answer again. */
function replay(c: Context<App>, message: Row, workout: Row | undefined, balance: string) {
  const status = message.status === 'parsed' ? 'logged' : message.status;
  const answer = { ...message.result } as Answer;
  if (status === 'logged' && !workout) {
    answer.reply =
      'I logged this one, but that workout has since been deleted, so nothing from it is on your record now.';
  }
  const view = {
    ...answerView(c.env, message.id, status, answer, workout, balance),
    failure_reason: message.failure_reason,
  };
  return c.json(view, status === 'pending' ? 202 : 200);
}

// POST /v1/chat {message, client_message_id}: the fast path (a workout the parser
// reads), in ours' two round trips. A retry with the same id stores nothing twice.
const CHAT_BODY_LIMIT = 32 * 1024; // 4000 characters, JSON-escaped, and the id

app.post('/v1/chat', jsonRequest(CHAT_BODY_LIMIT), requireUser, async (c) => {
  // Bad input costs no round trip.
  const { text, clientMessageId } = parseChatBody(await readBody(c, CHAT_BODY_LIMIT));
  const entry = readWorkout(text, catalog());
  if (!entry) {
    throw new Problem(501, 'not-implemented', 'The reference reads only workouts written like "pull ups 3x8".');
  }
  const caller = c.get('caller');
  const db = c.get('db');

  const messageId = crypto.randomUUID();
  const [, users, , messages, workouts, states, recent] = await db.transaction(
    openStatements(await provisionStatements(c.env, caller), caller.subject, messageId, clientMessageId, text),
  );
  const user = userFrom(users);
  const message = messages[0];
  if (!message) throw new Error('the chat message could not be read back');
  if (message.id !== messageId) {
    // The client id was used before: the same text is a retry, other text a mistake.
    if (message.body !== text) {
      throw new Problem(
        409,
        'client-message-id-reused',
        'This client_message_id was already used for a different message; give each new message its own id.',
      );
    }
    if (message.status !== 'received' && message.result) return replay(c, message, workouts[0], user.credit_units);
    // An earlier attempt stopped before answering: this one finishes it.
  }

  // The skill rules run between the round trips, on the rows the first one read.
  const { answer, evaluation } = workoutAnswer(entry, skillRecords(states), recent);
  let results: Row[][];
  try {
    results = await db.transaction(
      logStatements(user.id, message.id, crypto.randomUUID(), entry, evaluation.writes, answer),
    );
  } catch (error) {
    const { code, constraint } = sqlState(error);
    if (code !== '23505' || constraint !== 'workouts_source_message_key') throw error;
    // A concurrent attempt of the same message logged it first: answer as it did.
    const [[again], [workout]] = await db.transaction(
      [
        [SELECT_MESSAGE_BY_SUBJECT, [caller.subject, clientMessageId]],
        [SELECT_WORKOUT_OF_MESSAGE, [caller.subject, clientMessageId]],
      ],
      true,
    );
    return replay(c, again, workout, user.credit_units);
  }
  const [workout] = results[results.length - 2];
  const [{ credit_units }] = results[results.length - 1];
  return c.json(answerView(c.env, message.id, 'logged', answer, workout, credit_units));
});

export default app;
