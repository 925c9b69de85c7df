// The skill tree and the exercise names, from the same data files ours compiles in
// (crates/tora-core/data/*.csv, `include_str!` there, esbuild's text loader here),
// parsed once per isolate on first use, as ours does behind a OnceLock.
import aliasesCsv from '../../../crates/tora-core/data/exercise-aliases.csv';
import skillsCsv from '../../../crates/tora-core/data/skills.csv';

export interface Goal {
  sets: number;
  reps: number | null;
  seconds: number | null;
  eachSide: boolean;
}

export interface Skill {
  id: string;
  name: string;
  category: string;
  prerequisites: string[];
  goal: Goal;
}

export interface Catalog {
  /** In the order of the data file: the order every list is shown in. */
  skills: Skill[];
  skill: Map<string, Skill>;
  /** Every exercise (skills and the alias file's others): id → display name. */
  names: Map<string, string>;
  /** name key (of ids, names and aliases) → exercise id. */
  byKey: Map<string, string>;
}

function rows(csv: string): string[][] {
  return csv
    .split('\n')
    .slice(1)
    .map((line) => line.trimEnd())
    .filter(Boolean)
    .map((line) => line.split(',').map((field) => field.trim()));
}

/** Drops a plural `s`, but not from short words ("abs") or `ss` endings ("press"). */
const singular = (word: string) =>
  [...word].length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;

/** "Pull-ups", "pull ups" and "pullup" are one key: lowercase words, singular, joined. */
export const nameKey = (name: string) =>
  name
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((word) => singular(word.toLowerCase()))
    .join('');

/** "jumping_jack" → "Jumping jack", for exercises outside the tree. */
const nameFromId = (id: string) => id.charAt(0).toUpperCase() + id.slice(1).replaceAll('_', ' ');

let loaded: Catalog | undefined;

export function catalog(): Catalog {
  if (loaded) return loaded;
  const skills: Skill[] = rows(skillsCsv).map(([id, name, category, prerequisites, sets, reps, seconds, eachSide]) => ({
    id,
    name,
    category,
    prerequisites: prerequisites ? prerequisites.split(';').map((p) => p.trim()) : [],
    goal: {
      sets: Number(sets),
      reps: reps ? Number(reps) : null,
      seconds: seconds ? Number(seconds) : null,
      eachSide: eachSide === 'true',
    },
  }));
  const names = new Map(skills.map((skill) => [skill.id, skill.name]));
  const byKey = new Map<string, string>();
  const index = (id: string, name: string) => nameKey(name) && byKey.set(nameKey(name), id);
  for (const skill of skills) [skill.id, skill.name].forEach((name) => index(skill.id, name));
  for (const [id, aliases] of rows(aliasesCsv)) {
    if (!names.has(id)) names.set(id, nameFromId(id));
    [id, names.get(id)!, ...aliases.split(';')].forEach((name) => index(id, name.trim()));
  }
  loaded = { skills, skill: new Map(skills.map((skill) => [skill.id, skill])), names, byKey };
  return loaded;
}

/** `3x8`, `3x20s`, with ` each side` when per side (ours: `goal_text`). */
export const goalText = (goal: Goal) =>
  `${goal.sets}x${goal.reps ?? `${goal.seconds}s`}${goal.eachSide ? ' each side' : ''}`;
