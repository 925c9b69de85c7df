// Prints the bench command's table from the lines scripts/bench.sh collected
// (`node bench/report.mjs results.jsonl`): sizes, the Wasm's biggest contributors, the
// parser's throughput, each route under load for ours and the reference with the
// ratio and the database round trips, and our CPU time per route.
import { readFileSync } from "node:fs";

const lines = readFileSync(process.argv[2], "utf8").trim().split("\n").map((line) => JSON.parse(line));
const of = (kind) => lines.filter((line) => line.kind === kind);
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
const pad = (text, width) => String(text).padEnd(width);
const num = (value, digits = 0) => value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

console.log("\nSizes (what is uploaded; Workers counts the gzip size against its limit)");
for (const size of of("size")) {
  console.log(`  ${pad(size.name, 34)} ${pad(kib(size.raw) + " raw", 14)} ${kib(size.gzip)} gzip`);
}

const twiggy = of("twiggy")[0]?.top ?? [];
console.log("\nBiggest contributors to the Wasm (twiggy top, before the names are stripped)");
for (const item of twiggy.slice(0, 12)) {
  const name = String(item.name).slice(0, 70);
  console.log(`  ${pad(kib(item.shallow_size), 9)} ${pad(num(item.shallow_size_percent, 1) + " %", 8)} ${name}`);
}

const parser = of("parser")[0];
if (parser) {
  const match = /^([\d.]+)(ns|µs|us|ms|s)$/.exec(parser.per_message ?? "");
  const scale = { ns: 1e-9, "µs": 1e-6, us: 1e-6, ms: 1e-3, s: 1 };
  const seconds = match ? Number(match[1]) * scale[match[2]] : NaN;
  console.log(`\nParser over the corpus, natively: ${parser.per_message} per message, ${num(1 / seconds)} messages/s`);
}

const loads = of("load");
const routes = [...new Set(loads.map((load) => load.route))];
console.log("\nRoutes on bare workerd, 127.0.0.1 (oha; req/s, p50/p99 ms; round trips = Neon requests per request)");
console.log(
  `  ${pad("route", 10)}${pad("conns", 7)}${pad("ours req/s", 12)}${pad("p50/p99", 14)}${pad("trips", 7)}` +
    `${pad("ref req/s", 11)}${pad("p50/p99", 14)}${pad("trips", 7)}${pad("ours/ref", 9)}not 2xx (ours, ref)`,
);
// Requests still in flight when a run's time is up are cut off by oha ("aborted due to
// deadline"): not failures, but they did reach the database, so they count there.
const cell = (load) => {
  const rps = load.oha.summary.requestsPerSec;
  const p = load.oha.latencyPercentiles ?? {};
  const statuses = Object.entries(load.oha.statusCodeDistribution ?? {});
  const answered = statuses.reduce((sum, [, count]) => sum + count, 0);
  const ok = statuses.filter(([status]) => status.startsWith("2")).reduce((sum, [, count]) => sum + count, 0);
  const errors = Object.entries(load.oha.errorDistribution ?? {});
  const cutOff = errors.filter(([error]) => error.includes("deadline")).reduce((sum, [, count]) => sum + count, 0);
  const otherErrors = errors.reduce((sum, [, count]) => sum + count, 0) - cutOff;
  return {
    rps,
    latency: `${num((p.p50 ?? NaN) * 1000, 1)}/${num((p.p99 ?? NaN) * 1000, 1)}`,
    trips: answered ? num(load.neon_requests / (answered + cutOff), 2) : "-",
    failed: answered - ok + otherErrors,
  };
};
for (const route of routes) {
  for (const connections of [1, 32]) {
    const ours = loads.find((l) => l.route === route && l.impl === "ours" && l.connections === connections);
    const reference = loads.find((l) => l.route === route && l.impl === "reference" && l.connections === connections);
    if (!ours || !reference) continue;
    const a = cell(ours);
    const b = cell(reference);
    console.log(
      `  ${pad(route, 10)}${pad(connections, 7)}${pad(num(a.rps), 12)}${pad(a.latency, 14)}${pad(a.trips, 7)}` +
        `${pad(num(b.rps), 11)}${pad(b.latency, 14)}${pad(b.trips, 7)}${pad(num(a.rps / b.rps, 2), 9)}${a.failed}, ${b.failed}`,
    );
  }
}

console.log("\nCPU time of our own code per route (criterion over `handle`, natively, recorded database answers)");
for (const cpu of of("cpu")) {
  const mean = cpu.estimates.mean.point_estimate / 1000;
  console.log(`  ${pad(cpu.route, 10)} ${pad(num(mean, 1) + " µs", 12)} ${num((mean / 10000) * 100, 2)} % of the free plan's 10 ms`);
}
