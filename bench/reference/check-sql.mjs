// Checks that every statement in src/sql.ts is, byte for byte, the Rust constant of
// the same name in crates/tora-core/src/db/*.rs, so the reference cannot drift from
// the queries it is benchmarked against. Usage: node bench/reference/check-sql.mjs
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dbDir = join(here, '../../crates/tora-core/src/db');

// A Rust string literal's value: `\` before a line break skips the break and the next
// line's leading whitespace; the usual escapes otherwise.
function rustString(body) {
  return body.replace(/\\\n[ \t]*/g, '').replace(/\\(["\\nt'])/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c);
}

const literal = String.raw`"((?:[^"\\]|\\[\s\S])*)"`;
const rust = new Map();
for (const file of readdirSync(dbDir).filter((name) => name.endsWith('.rs'))) {
  const source = readFileSync(join(dbDir, file), 'utf8');
  const macroHead = source.match(new RegExp(String.raw`macro_rules! select_workouts[\s\S]*?concat!\(\s*` + literal));
  for (const [, name, viaMacro, body] of source.matchAll(
    new RegExp(String.raw`const (\w+): &str =\s*(select_workouts!\(\s*)?` + literal, 'g'),
  )) {
    rust.set(name, (viaMacro && macroHead ? rustString(macroHead[1]) : '') + rustString(body));
  }
}

const built = await esbuild.build({
  entryPoints: [join(here, 'src/sql.ts')],
  bundle: true,
  format: 'esm',
  write: false,
});
const ours = await import('data:text/javascript;base64,' + Buffer.from(built.outputFiles[0].text).toString('base64'));

let failures = 0;
for (const [name, text] of Object.entries(ours)) {
  if (name === 'PING') continue; // inline in db/health.rs, not a named constant
  const expected = rust.get(name);
  if (expected === undefined) {
    console.log(`MISSING  ${name}: no Rust constant of that name`);
    failures++;
  } else if (expected !== text) {
    const at = [...text].findIndex((c, i) => c !== expected[i]);
    console.log(
      `DIFFERS  ${name} at ${at}: ${JSON.stringify(text.slice(at, at + 40))} vs ${JSON.stringify(expected.slice(at, at + 40))}`,
    );
    failures++;
  } else {
    console.log(`same     ${name}`);
  }
}
const health = readFileSync(join(dbDir, 'health.rs'), 'utf8');
if (!health.includes(`Statement::new("${ours.PING}"`)) {
  console.log('DIFFERS  PING (db/health.rs)');
  failures++;
} else {
  console.log('same     PING');
}
process.exit(failures ? 1 : 0);
