// The skill-tree rules ours applies between the round trips (domain/skills.rs),
// ported step for step, so the reference computes the same states, writes the same
// rows and names the same targets:
// - a skill is `locked` until its prerequisites are mastered, then `available`,
//   `unlocked` once practised, `mastered` when one session meets its goal (proven) or
//   a proven skill requires it, directly or not (inferred);
// - next targets are never below what the person trains.
import { type Catalog, type Goal, type Skill, goalText } from './catalog';
import type { Row } from './db';

/** Ordered by progress; `inferred` and `proven` are both shown as `mastered`. */
export type State = 'locked' | 'available' | 'unlocked' | 'inferred' | 'proven';
export const isMastered = (state: State | undefined) => state === 'inferred' || state === 'proven';
const isOpen = (state: State | undefined) => state === 'available' || state === 'unlocked';
export const publicState = (state: State) => (isMastered(state) ? 'mastered' : state);

/** A stored `user_skill_states` row. */
export interface SkillRecord {
  state: State;
  practised: boolean;
  bestProgress: number;
}

/** The `user_skill_states` rows as read (ours: db/skills.rs `states_from`). */
export function skillRecords(rows: Row[]): Map<string, SkillRecord> {
  const state = (row: Row): State => (row.state === 'mastered' ? (row.inferred ? 'inferred' : 'proven') : row.state);
  return new Map(
    rows.map((row) => [row.skill_id, { state: state(row), practised: row.practised, bestProgress: row.best_progress }]),
  );
}

export interface SetFields {
  reps?: number;
  seconds?: number;
  assisted?: boolean;
  assist_kg?: number;
  added_kg?: number;
  each_side?: boolean;
  side?: 'left' | 'right';
}

export interface Standing {
  states: Map<string, State>;
  practised: Set<string>;
  progress: Map<string, number>;
}

export interface Target {
  skill: string;
  name: string;
  goal: string;
  progress: number;
}

// --- goals: what one session must contain --------------------------------------

const unassisted = (set: SetFields) => !set.assisted && set.assist_kg == null && !(set.added_kg! < 0);
const amountOf = (goal: Goal, set: SetFields) => (goal.reps != null ? set.reps : set.seconds) ?? 0;
const target = (goal: Goal) => goal.reps ?? goal.seconds ?? 0;
const reaches = (goal: Goal, set: SetFields) =>
  unassisted(set) &&
  (goal.reps != null ? set.reps != null : set.seconds != null) &&
  amountOf(goal, set) >= target(goal);

function metBy(goal: Goal, session: SetFields[]): boolean {
  let count = session.filter((set) => (!goal.eachSide || set.each_side) && reaches(goal, set)).length;
  if (goal.eachSide) {
    // A left set and a right set that both reach the target are one set per side.
    const reaching = (side: string) => session.filter((set) => set.side === side && reaches(goal, set)).length;
    count += Math.min(reaching('left'), reaching('right'));
  }
  return count >= goal.sets;
}

/** The best `sets` sets, each capped at the target, over the full goal volume. */
function progressOf(goal: Goal, session: SetFields[]): number {
  const full = target(goal);
  if (full <= 0 || goal.sets === 0) return 0;
  const amount = (set: SetFields) => Math.min(amountOf(goal, set), full);
  const amounts = session.filter((set) => unassisted(set) && (!goal.eachSide || set.each_side)).map(amount);
  if (goal.eachSide) {
    // Left and right sets pair up, best with best; a pair counts its weaker side.
    const side = (name: string) =>
      session
        .filter((set) => unassisted(set) && set.side === name)
        .map(amount)
        .sort((a, b) => b - a);
    const [left, right] = [side('left'), side('right')];
    left.slice(0, right.length).forEach((l, i) => amounts.push(Math.min(l, right[i])));
  }
  const best = amounts
    .sort((a, b) => b - a)
    .slice(0, goal.sets)
    .reduce((sum, a) => sum + a, 0);
  return Math.min(Math.max(best / (full * goal.sets), 0), 1);
}

// --- the tree --------------------------------------------------------------------

/** Every skill that the `from` skills require, directly or through other skills. */
function requirements(catalog: Catalog, from: Iterable<string>): Set<string> {
  const pending = [...from].flatMap((id) => catalog.skill.get(id)?.prerequisites ?? []);
  const found = new Set<string>();
  while (pending.length) {
    const id = pending.pop()!;
    if (!found.has(id)) {
      found.add(id);
      pending.push(...(catalog.skill.get(id)?.prerequisites ?? []));
    }
  }
  return found;
}

interface Facts {
  proven: boolean;
  practised: boolean;
  bestProgress: number;
}

/** Inferred rows are re-derived from the proven ones, never kept on their own. */
const factsFrom = (stored: Map<string, SkillRecord>) =>
  new Map<string, Facts>(
    [...stored].map(([id, row]) => [
      id,
      { proven: row.state === 'proven', practised: row.practised, bestProgress: row.bestProgress },
    ]),
  );

function standingOf(catalog: Catalog, facts: Map<string, Facts>): Standing {
  const proven = new Set([...facts].filter(([, f]) => f.proven).map(([id]) => id));
  const practised = new Set([...facts].filter(([, f]) => f.practised).map(([id]) => id));
  const inferred = requirements(catalog, proven);
  const mastered = (id: string) => proven.has(id) || inferred.has(id);
  const states = new Map<string, State>();
  for (const skill of catalog.skills) {
    const id = skill.id;
    states.set(
      id,
      proven.has(id)
        ? 'proven'
        : inferred.has(id)
          ? 'inferred'
          : !skill.prerequisites.every(mastered)
            ? 'locked'
            : practised.has(id)
              ? 'unlocked'
              : 'available',
    );
  }
  const progress = new Map([...facts].filter(([, f]) => f.bestProgress > 0).map(([id, f]) => [id, f.bestProgress]));
  return { states, practised, progress };
}

/** A person's standing as stored, without any change (GET /v1/skills). */
export const standing = (catalog: Catalog, stored: Map<string, SkillRecord>) => standingOf(catalog, factsFrom(stored));

/** Deals candidates out to the parents they follow from, one per parent per turn:
 *  [turn, parent position] per candidate. */
function inTurns(parents: string[], follows: (parent: string, id: string) => boolean, candidates: string[]) {
  const order = new Map<string, [number, number]>();
  parents.forEach((parent, position) => {
    candidates
      .filter((id) => follows(parent, id))
      .forEach((id, turn) => {
        const slot = order.get(id);
        if (!slot || turn < slot[0] || (turn === slot[0] && position < slot[1])) order.set(id, [turn, position]);
      });
  });
  return order;
}
/** Skills that follow from no parent come after the rest. */
const compareSlots = ([a0, a1] = [Infinity, 0], [b0, b1] = [Infinity, 0]) => (a0 === b0 ? a1 - b1 : a0 < b0 ? -1 : 1);

export interface Evaluation {
  /** Rows to store, by skill id in ascending order (a BTreeMap in ours). */
  writes: [string, SkillRecord][];
  mastered: string[];
  inferred: string[];
  unlocked: string[];
  standing: Standing;
}

/** A newly logged session: the sets per catalog exercise it contains (`log_session`). */
export function logSession(
  catalog: Catalog,
  stored: Map<string, SkillRecord>,
  session: Map<string, SetFields[]>,
): Evaluation {
  const before = factsFrom(stored);
  const beforeStates = standingOf(catalog, before).states;
  const after = new Map(before);
  for (const [id, sets] of session) {
    const skill = catalog.skill.get(id);
    if (!skill) continue;
    const old = before.get(id) ?? { proven: false, practised: false, bestProgress: 0 };
    after.set(id, {
      proven: old.proven || metBy(skill.goal, sets),
      practised: true,
      bestProgress: Math.max(old.bestProgress, progressOf(skill.goal, sets)),
    });
  }
  const standingAfter = standingOf(catalog, after);

  // Only rows that differ from what is stored, or derived before, are written.
  const writes: [string, SkillRecord][] = [];
  for (const id of [...standingAfter.states.keys()].sort()) {
    const facts = after.get(id) ?? { proven: false, practised: false, bestProgress: 0 };
    const row = { state: standingAfter.states.get(id)!, practised: facts.practised, bestProgress: facts.bestProgress };
    const old = stored.get(id) ?? { state: beforeStates.get(id) ?? 'locked', practised: false, bestProgress: 0 };
    if (row.state !== old.state || row.practised !== old.practised || row.bestProgress !== old.bestProgress) {
      writes.push([id, row]);
    }
  }

  // What changed, in tree order; what opened up after the new masteries that led to it.
  const mastered: string[] = [];
  const inferred: string[] = [];
  let unlocked: string[] = [];
  for (const skill of catalog.skills) {
    const now = standingAfter.states.get(skill.id)!;
    const was = beforeStates.get(skill.id) ?? 'locked';
    if (!isMastered(was) && now === 'proven') mastered.push(skill.id);
    if (!isMastered(was) && now === 'inferred') inferred.push(skill.id);
    if (was === 'locked' && isOpen(now)) unlocked.push(skill.id);
  }
  const follows = (parent: string, id: string) => catalog.skill.get(id)?.prerequisites.includes(parent) ?? false;
  const order = inTurns(mastered, follows, unlocked);
  unlocked = unlocked
    .map((id, i) => [id, i] as const)
    .sort(([a, i], [b, j]) => compareSlots(order.get(a), order.get(b)) || i - j)
    .map(([id]) => id);
  return { writes, mastered, inferred, unlocked, standing: standingAfter };
}

/** Up to three skills to work on next, never a regression (ours: `next_targets`). */
export function nextTargets(catalog: Catalog, standing: Standing, trained: string[]): Target[] {
  const stateOf = (id: string) => standing.states.get(id);
  const progressOf = (id: string) => standing.progress.get(id) ?? 0;
  const worked = [
    ...trained,
    ...standing.practised,
    ...[...standing.states].filter(([, state]) => isMastered(state)).map(([id]) => id),
  ];
  const below = requirements(catalog, worked);
  const trains = (id: string) => trained.includes(id) || standing.practised.has(id);

  // In tree order, then nearest to goal first (a stable sort keeps tree order within).
  const candidates = catalog.skills
    .filter((s) => !isMastered(stateOf(s.id)) && !below.has(s.id) && (isOpen(stateOf(s.id)) || trains(s.id)))
    .sort((a, b) => progressOf(b.id) - progressOf(a.id));
  const turns = inTurns(
    trained,
    (parent, id) => catalog.skill.get(id)?.prerequisites.includes(parent) ?? false,
    candidates.map((s) => s.id),
  );
  const branches = new Set(catalog.skills.filter((s) => trains(s.id)).map((s) => s.category));
  // Why a skill is a candidate, best first.
  const reason = (skill: Skill) =>
    trained.includes(skill.id)
      ? 0 // just trained, not mastered yet
      : turns.has(skill.id)
        ? 1 // a next step of a skill trained today
        : standing.practised.has(skill.id)
          ? 2 // work in progress
          : skill.prerequisites.some((p) => standing.practised.has(p))
            ? 3 // a step up from anything logged
            : branches.has(skill.category)
              ? 4 // open in a branch the person trains
              : 5;
  return candidates
    .map((skill) => ({ skill, reason: reason(skill) }))
    .sort(
      (a, b) =>
        a.reason - b.reason ||
        (a.reason === 0
          ? progressOf(b.skill.id) - progressOf(a.skill.id) || trained.indexOf(a.skill.id) - trained.indexOf(b.skill.id)
          : a.reason === 1
            ? compareSlots(turns.get(a.skill.id), turns.get(b.skill.id))
            : 0),
    )
    .slice(0, 3)
    .map(({ skill }) => ({
      skill: skill.id,
      name: skill.name,
      goal: goalText(skill.goal),
      progress: progressOf(skill.id),
    }));
}

export const roundProgress = (progress: number) => Math.round(progress * 100) / 100;
