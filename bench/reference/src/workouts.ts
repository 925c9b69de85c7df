// Workouts as the API shows them (ours: http/handlers/workouts.rs `WorkoutResponse`),
// the page cursor (http/cursor.rs) and the query parameters of the list (http/query.rs).
import type { Row } from './db';
import { invalid } from './problem';

// --- timestamps --------------------------------------------------------------------

const PG_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([+-]\d{2})(?::(\d{2}))?$/;

/** Postgres' text of a timestamptz (kept raw by db.ts) in the two forms ours writes:
 *  `iso`, RFC 3339 in milliseconds with `Z` (response fields), and `rfc3339`, chrono's
 *  `to_rfc3339` at full precision (inside cursors, so none of the order is lost). */
export function pgTime(text: string): { iso: string; rfc3339: string } {
  const parts = PG_TIME.exec(text);
  if (!parts || parts[4] !== '+00' || (parts[5] ?? '00') !== '00') {
    const iso = new Date(text).toISOString();
    return { iso, rfc3339: iso.replace('Z', '+00:00') };
  }
  const [, date, time, fraction = ''] = parts;
  // chrono prints 0, 3, 6 or 9 fraction digits, whichever holds the value.
  const digits = fraction.replace(/0+$/, '').length;
  const shown = digits === 0 ? '' : '.' + fraction.padEnd(digits <= 3 ? 3 : digits <= 6 ? 6 : 9, '0');
  return { iso: `${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}Z`, rfc3339: `${date}T${time}${shown}+00:00` };
}

// --- the response shape ----------------------------------------------------------------

const SET_FIELDS = [
  'reps',
  'reps_max',
  'seconds',
  'added_kg',
  'assist_kg',
  'load_unit',
  'assisted',
  'each_side',
  'side',
  'rpe',
];

/** A set shows only the fields it has: no nulls, no `false` flags. */
function setView(stored: Row) {
  const view: Row = {};
  for (const field of SET_FIELDS) {
    const value = stored[field];
    if (value !== null && value !== undefined && value !== false) view[field] = value;
  }
  return view;
}

export function workoutView(row: Row) {
  // Consecutive sets of one exercise form an entry, as they were logged.
  const entries: { exercise: string; name: string; custom: boolean; sets: Row[] }[] = [];
  for (const set of row.sets as Row[]) {
    const last = entries.at(-1);
    if (last && last.exercise === set.exercise_id) last.sets.push(setView(set));
    else entries.push({ exercise: set.exercise_id, name: set.exercise_name, custom: set.custom, sets: [setView(set)] });
  }
  return {
    id: row.id,
    performed_at: pgTime(row.performed_at).iso,
    notes: row.notes,
    source: row.source_message_id ? 'chat' : row.import_id ? 'import' : 'manual',
    import_id: row.import_id,
    entries,
    created_at: pgTime(row.created_at).iso,
    updated_at: pgTime(row.updated_at).iso,
  };
}

// --- page cursors: base64url of `<rfc3339>|<uuid>` ---------------------------------------

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export const encodeCursor = (at: string, id: string) => base64url(`${pgTime(at).rfc3339}|${id}`);

export function decodeCursor(raw: string): { at: string; id: string } {
  const refuse = () => invalid('cursor', 'is not a cursor this API gave out');
  if (!/^[A-Za-z0-9_-]*$/.test(raw) || raw.length % 4 === 1) throw refuse();
  let text: string;
  try {
    const binary = atob(raw.replace(/-/g, '+').replace(/_/g, '/'));
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    throw refuse();
  }
  const bar = text.indexOf('|');
  const [at, id] = [text.slice(0, bar), text.slice(bar + 1)];
  if (bar < 0 || !RFC3339.test(at) || Number.isNaN(Date.parse(at.toUpperCase())) || !UUID.test(id)) throw refuse();
  return { at, id };
}

// --- query parameters ---------------------------------------------------------------------

/** A whole number within min..=max, or `fallback` when absent. */
export function bounded(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = /^\+?\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw invalid(name, `must be a whole number from ${min} to ${max}`);
  return value;
}

const FIRST_YEAR = 1900;
const LAST_YEAR = 2200;
const outsideYears = (name: string) => invalid(name, `must be in the years ${FIRST_YEAR} to ${LAST_YEAR}`);

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Milliseconds `timeZone` is ahead of UTC at `utcMs`. */
function zoneOffset(utcMs: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(utcMs).map(({ type, value }) => [type, Number(value)]));
  return (
    Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second) - Math.floor(utcMs / 1000) * 1000
  );
}

/** An instant: RFC 3339, or a date meaning its midnight in the user's timezone (the
 *  earliest, if the clocks went back over it); in the years 1900 to 2200. Sent on as
 *  RFC 3339 text, as ours does. */
export function instant(raw: string | undefined, name: string, timeZone: string): string | null {
  if (raw === undefined) return null;
  if (RFC3339.test(raw)) {
    const moment = new Date(raw.toUpperCase());
    if (!Number.isNaN(moment.getTime())) {
      const year = moment.getUTCFullYear();
      if (year < FIRST_YEAR || year > LAST_YEAR) throw outsideYears(name);
      return moment.toISOString();
    }
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const [year, month, day] = date ? date.slice(1).map(Number) : [];
  const naive = date ? Date.UTC(year, month - 1, day) : NaN;
  if (Number.isNaN(naive) || new Date(naive).getUTCDate() !== day || new Date(naive).getUTCMonth() !== month - 1) {
    throw invalid(name, 'must be a date (2026-11-25) or an RFC 3339 time');
  }
  if (year < FIRST_YEAR || year > LAST_YEAR) throw outsideYears(name);
  // Local midnight: try the offsets in force around it, keep those that land on it.
  const guesses = [naive - zoneOffset(naive, timeZone)];
  guesses.push(naive - zoneOffset(guesses[0], timeZone));
  const midnights = guesses.filter((utc) => utc + zoneOffset(utc, timeZone) === naive).sort((a, b) => a - b);
  if (!midnights.length) throw invalid(name, 'must be a date (2026-11-25) or an RFC 3339 time');
  return new Date(midnights[0]).toISOString();
}
