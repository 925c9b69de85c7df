// POST /v1/chat, the fast path: a message the parser reads as a workout is stored and
// logged in two round trips, as ours does (app/chat.rs, db/chat.rs):
// 1. open: provision the user, store the message unless its client id exists, read it
//    back with the workout it logged, the skill rows and the volume of recent sessions;
// 2. log: the workout and its sets, the skill rows that moved, the message marked
//    logged with the answer to replay, then the stored workout and the balance.
import { type Catalog, catalog, nameKey } from './catalog';
import type { Row, Statement } from './db';
import { type FieldError, Problem, validation } from './problem';
import { type SetFields, type SkillRecord, type Target, logSession, nextTargets } from './skills';
import {
  BALANCE,
  COMPLETE_MESSAGE,
  INSERT_MESSAGE_BY_SUBJECT,
  INSERT_SETS,
  INSERT_WORKOUT,
  SELECT_MESSAGE_BY_SUBJECT,
  SELECT_RECENT_VOLUME_BY_SUBJECT,
  SELECT_STATES_BY_SUBJECT,
  SELECT_WORKOUTS,
  SELECT_WORKOUT_OF_MESSAGE,
  UPSERT_STATES_RAISE,
} from './sql';
import { cleanText } from './text';

// --- the request body ----------------------------------------------------------------

/** How serde names a JSON value in a type error, so a 422 reads as ours does. */
function described(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'sequence';
  switch (typeof value) {
    case 'boolean':
      return `boolean \`${value}\``;
    case 'number':
      return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
    case 'string':
      return `string ${JSON.stringify(value)}`;
    default:
      return 'map';
  }
}

/** `{message, client_message_id}`, both strings, nothing else (serde's
 *  `deny_unknown_fields`); then both through their rules, every failure reported. */
export function parseChatBody(body: string): { text: string; clientMessageId: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new Problem(400, 'malformed-json', `The body is not valid JSON: ${(error as Error).message}.`);
  }
  const shape = (field: string, message: string) => validation([{ field, message }]);
  if (Array.isArray(json)) throw shape('body', 'invalid type: sequence, expected a JSON object');
  if (typeof json !== 'object' || json === null) {
    throw shape('body', `invalid type: ${described(json)}, expected struct PostChatRequest`);
  }
  const fields = json as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (key !== 'message' && key !== 'client_message_id') {
      throw shape(key, `unknown field \`${key}\`, expected \`message\` or \`client_message_id\``);
    }
    if (typeof value !== 'string') throw shape(key, `invalid type: ${described(value)}, expected a string`);
  }
  for (const key of ['message', 'client_message_id']) {
    if (!(key in fields)) throw shape('body', `missing field \`${key}\``);
  }

  const errors: FieldError[] = [];
  // 1 to 4000 characters, kept as written: a retry must match it exactly.
  const message = cleanText(fields.message as string, true, 4000);
  if (!message.ok) errors.push({ field: 'message', message: message.message });
  // 1 to 100 of ASCII letters, digits and `-_.:`, never trimmed.
  const id = fields.client_message_id as string;
  const idText = cleanText(id, false, 100);
  if (!idText.ok) errors.push({ field: 'client_message_id', message: idText.message });
  else if (!/^[A-Za-z0-9._:-]+$/.test(id)) {
    errors.push({ field: 'client_message_id', message: 'may only contain letters, digits and - _ . :' });
  }
  if (errors.length) throw validation(errors);
  return { text: fields.message as string, clientMessageId: id };
}

// --- reading the message -------------------------------------------------------------------

export interface Entry {
  exercise: string;
  sets: SetFields[];
}

/** The one form the bench sends, `<exercise name> <sets>x<reps>` ("pull ups 3x8"), with
 *  the name resolved as ours resolves exact names (id, name or alias, plurals and
 *  punctuation aside). A hold skill's number is seconds, as ours reads it. This stands
 *  in for ours' full parser (domain/parser), which reads far more. */
export function readWorkout(text: string, catalog: Catalog): Entry | null {
  const match = /^\s*(.+?)\s+(\d{1,3})\s*[xX×]\s*(\d{1,5})\s*$/.exec(text);
  if (!match) return null;
  const exercise = catalog.byKey.get(nameKey(match[1]));
  const [sets, amount] = [Number(match[2]), Number(match[3])];
  if (!exercise || sets < 1 || sets > 50 || amount < 1 || amount > 1000) return null;
  const hold = catalog.skill.get(exercise)?.goal.seconds != null;
  const set: SetFields = hold ? { seconds: amount } : { reps: amount };
  return { exercise, sets: Array.from({ length: sets }, () => ({ ...set })) };
}

// --- round trip 1: open the message ----------------------------------------------------------

export function openStatements(
  provision: [Statement, Statement],
  subject: string,
  messageId: string,
  clientMessageId: string,
  text: string,
): Statement[] {
  return [
    ...provision,
    // Stored `received`, no answer yet, no model lease: the workout path answers it
    // in the second round trip.
    [INSERT_MESSAGE_BY_SUBJECT, [messageId, subject, clientMessageId, text, 'received', null, null]],
    [SELECT_MESSAGE_BY_SUBJECT, [subject, clientMessageId]],
    [SELECT_WORKOUT_OF_MESSAGE, [subject, clientMessageId]],
    [SELECT_STATES_BY_SUBJECT, [subject]],
    [SELECT_RECENT_VOLUME_BY_SUBJECT, [subject]],
  ];
}

// --- the answer ---------------------------------------------------------------------------

const list = (names: string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Sessions under half of the recent average (holds count a third of their seconds as
 *  reps) get a note; it takes two earlier sessions to say anything. */
function volumeNote(current: { reps: number; seconds: number }, recent: Row[]): number | null {
  if (recent.length < 2) return null;
  const work = (reps: number, seconds: number) => reps + seconds / 3;
  const average = recent.reduce((sum, row) => sum + work(Number(row.reps), row.seconds), 0) / recent.length;
  if (average <= 0) return null;
  const share = work(current.reps, current.seconds) / average;
  return share < 0.5 ? Math.round(share * 100) : null;
}

export interface Answer {
  reply: string;
  mastered: { skill: string; name: string }[];
  unlocked: { skill: string; name: string }[];
  next_targets: Target[];
  spent_units: number;
}

/** What the rules decided and the templated reply (ours: `workout_answer` and
 *  `coaching::workout_reply`); the evaluation is what the second round trip writes. */
export function workoutAnswer(entry: Entry, stored: Map<string, SkillRecord>, recent: Row[]) {
  const tree = catalog();
  const evaluation = logSession(tree, stored, new Map([[entry.exercise, entry.sets]]));
  const name = (id: string) => tree.names.get(id) ?? id;
  const refs = (ids: string[]) => ids.map((skill) => ({ skill, name: name(skill) }));
  const targets = nextTargets(tree, evaluation.standing, [entry.exercise]);

  const parts = [`Logged ${entry.sets.length} set${entry.sets.length === 1 ? '' : 's'} of ${name(entry.exercise)}.`];
  if (evaluation.mastered.length) {
    const [steps, skills] = [evaluation.inferred.length, evaluation.mastered.length];
    const them = skills === 1 ? 'it' : 'them';
    const below =
      steps === 0 ? '' : steps === 1 ? ` (and the step before ${them})` : ` (and the ${steps} steps before ${them})`;
    parts.push(`You mastered ${list(evaluation.mastered.map(name))}${below}!`);
  }
  const unlocked = evaluation.unlocked.map(name);
  if (unlocked.length > 4) parts.push(`Now open: ${unlocked.slice(0, 3).join(', ')} and ${unlocked.length - 3} more.`);
  else if (unlocked.length) parts.push(`Now open: ${list(unlocked)}.`);
  if (targets[0]) {
    const percent = Math.round(targets[0].progress * 100);
    parts.push(
      `Next target: ${targets[0].name} ${targets[0].goal}${percent > 0 ? ` (you're at ${percent}% of it)` : ''}.`,
    );
  }
  const volume = entry.sets.reduce<{ reps: number; seconds: number }>(
    (sum, set) => ({ reps: sum.reps + (set.reps ?? 0), seconds: sum.seconds + (set.seconds ?? 0) }),
    { reps: 0, seconds: 0 },
  );
  const note = volumeNote(volume, recent);
  if (note !== null) {
    parts.push(
      `That was about ${note}% of your usual volume. Fine for a light day; if you're run down, rest counts too.`,
    );
  }
  const answer: Answer = {
    reply: parts.join(' '),
    mastered: refs(evaluation.mastered),
    unlocked: refs(evaluation.unlocked),
    next_targets: targets,
    spent_units: 0,
  };
  return { answer, evaluation };
}

// --- round trip 2: log the workout ------------------------------------------------------------

export function logStatements(
  userId: string,
  messageId: string,
  workoutId: string,
  entry: Entry,
  writes: [string, SkillRecord][],
  answer: Answer,
): Statement[] {
  const sets = entry.sets.map((set, position) => ({
    id: crypto.randomUUID(),
    exercise_id: entry.exercise,
    custom_name: null,
    position,
    reps: set.reps ?? null,
    reps_max: null,
    seconds: set.seconds ?? null,
    added_kg: null,
    assist_kg: null,
    load_unit: null,
    assisted: false,
    each_side: false,
    side: null,
    rpe: null,
  }));
  const statements: Statement[] = [
    [INSERT_WORKOUT, [workoutId, userId, messageId, new Date().toISOString(), null]],
    [INSERT_SETS, [workoutId, userId, JSON.stringify(sets)]],
  ];
  if (writes.length) {
    const rows = writes.map(([skill_id, row]) => ({
      skill_id,
      state: row.state === 'inferred' || row.state === 'proven' ? 'mastered' : row.state,
      inferred: row.state === 'inferred',
      practised: row.practised,
      best_progress: row.bestProgress,
    }));
    // Raise only: a concurrent log that read an older snapshot cannot take back
    // what another one granted.
    statements.push([UPSERT_STATES_RAISE, [userId, JSON.stringify(rows)]]);
  }
  statements.push(
    [COMPLETE_MESSAGE, [messageId, 'parsed', JSON.stringify(answer), null]],
    [SELECT_WORKOUTS, [userId, workoutId, null, null, null, null, '1']],
    [BALANCE, [userId]],
  );
  return statements;
}
