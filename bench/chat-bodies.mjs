// Writes the bench's chat request bodies, one per line, for `oha -Z` (which sends a
// line drawn at random per request): `node bench/chat-bodies.mjs RUN_ID FILE`. Fresh
// client_message_ids (among this many, a repeat is rare; it is a replay) and the same
// few workouts the parser reads on its fast path.
import { writeFileSync } from "node:fs";

const [run, file] = process.argv.slice(2);
const names = ["pull ups", "push ups", "dips", "squats", "rows"];
const lines = [];
for (let n = 0; n < 400_000; n++) {
  const sets = 2 + (n % 4);
  const reps = 5 + (n % 10);
  lines.push(JSON.stringify({ message: `${names[n % names.length]} ${sets}x${reps}`, client_message_id: `bench-${run}-${n}` }));
}
writeFileSync(file, lines.join("\n") + "\n");
