#!/usr/bin/env bash
# The bench command: a benchmark, never a test (nothing here passes or fails on a
# figure). Bounded (TORA_BENCH_SECONDS per load run, 5 by default: about six minutes
# in all once the tools are installed) and on 127.0.0.1 only. Prints one table:
# - the built Wasm, raw and gzip, with its biggest contributors (twiggy);
# - the parser's messages per second over the corpus, natively;
# - requests/s and p50/p99 latency at 1 and 32 connections (oha) for GET /health, an
#   authenticated GET /v1/skills and GET /v1/workouts, and a fast-path POST /v1/chat
#   with fresh client_message_ids, against the built worker on bare workerd (the npm
#   package, bench/workerd/: not wrangler dev, whose proxy dominates), and the same
#   four routes of the reference (bench/reference/: TypeScript, Hono,
#   @neondatabase/serverless, jose) on the same workerd and database, with the ratio;
# - the database round trips per request, counted by the local Neon endpoint;
# - the CPU time of our own code per route, natively (criterion over the core's
#   `handle`, the database's answers recorded from this run), beside the Workers free
#   plan's 10 ms.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

RUN_SECONDS="${TORA_BENCH_SECONDS:-5}"
OHA_VERSION="1.16.0"
TWIGGY_VERSION="0.8.0"
BENCH_TOOLS="$STATE_DIR/tools"

# ensure_cargo_tool NAME VERSION: a CLI from crates.io in .tora/tools, at that version.
ensure_cargo_tool() {
  local name="$1" version="$2"
  if [ "$("$BENCH_TOOLS/bin/$name" --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
    say "installing $name $version from crates.io into .tora/tools (first run only)"
    cargo install --locked --quiet "$name" --version "$version" --root "$BENCH_TOOLS"
  fi
}

# write_bench_workerd_config FILE REFERENCE_BUNDLE OURS_PORT REFERENCE_PORT VAR=VALUE...:
# workerd's own configuration for both workers: the same settings as text bindings,
# the rate limiters as bench/workerd/ratelimit.js, outbound fetch allowed to loopback
# (workerd's default network refuses private addresses), one socket each.
write_bench_workerd_config() {
  local file="$1" reference="$2" ours_port="$3" reference_port="$4"; shift 4
  local date bindings="" pair value dir root
  # capnp embeds only paths relative to the configuration file.
  dir="$(dirname "$file")"
  root="$(realpath --relative-to="$dir" "$ROOT")"
  reference="$(realpath --relative-to="$dir" "$reference")"
  date="$(awk -F'"' '/^compatibility_date/ { print $2; exit }' "$ROOT/wrangler.toml")"
  for pair in "$@"; do
    value="${pair#*=}"; value="${value//\\/\\\\}"; value="${value//\"/\\\"}"
    bindings+="    (name = \"${pair%%=*}\", text = \"$value\"),"$'\n'
  done
  bindings+='    (name = "PER_IP_LIMITER", wrapped = (moduleName = "bench:ratelimit")),'$'\n'
  bindings+='    (name = "PER_USER_LIMITER", wrapped = (moduleName = "bench:ratelimit")),'
  cat >"$file" <<EOF
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "ours", worker = .ours),
    (name = "reference", worker = .reference),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    (name = "ours", address = "127.0.0.1:$ours_port", http = (), service = "ours"),
    (name = "reference", address = "127.0.0.1:$reference_port", http = (), service = "reference"),
  ],
  extensions = [(modules = [
    (name = "bench:ratelimit", esModule = embed "$root/bench/workerd/ratelimit.js", internal = true),
  ])],
);

const ours :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "$root/build/index.js"),
    (name = "index_bg.wasm", wasm = embed "$root/build/index_bg.wasm"),
  ],
  compatibilityDate = "$date",
  bindings = [
$bindings
  ],
  globalOutbound = "internet",
);

const reference :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "$reference"),
  ],
  compatibilityDate = "$date",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [
$bindings
  ],
  globalOutbound = "internet",
);
EOF
}

ensure_rust_tools
ensure_node_packages
ensure_cargo_tool oha "$OHA_VERSION"
ensure_cargo_tool twiggy "$TWIGGY_VERSION"
OHA="$BENCH_TOOLS/bin/oha"
TWIGGY="$BENCH_TOOLS/bin/twiggy"

build_dev_tools
build_worker

RUN_DIR="$(mktemp -d "$STATE_DIR/bench-run.XXXXXX")"
RESULTS="$RUN_DIR/results.jsonl"
cleanup() {
  local status=$?
  stop_all
  rm -rf "$RUN_DIR"
  [ "$status" -eq 0 ] || echo "the bench failed; server logs are in .tora/logs/" >&2
  exit "$status"
}
trap cleanup EXIT INT TERM

# result KIND JSON: one line of the table's input.
result() { printf '{"kind":"%s",%s}\n' "$1" "$2" >>"$RESULTS"; }
# compact FILE: a JSON document on one line.
compact() { node -e 'process.stdout.write(JSON.stringify(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))))' "$1"; }

say "bundling the reference (Hono, @neondatabase/serverless, jose)"
# Its statements must still be ours, byte for byte, or the comparison says nothing.
node bench/reference/check-sql.mjs
node bench/reference/build.mjs "$RUN_DIR/reference.js"

say "sizes"
wasm=build/index_bg.wasm
result size "\"name\":\"ours: build/index_bg.wasm\",\"raw\":$(wc -c <"$wasm"),\"gzip\":$(gzip -9 -c "$wasm" | wc -c)"
result size "\"name\":\"ours: build/index.js (glue)\",\"raw\":$(wc -c <build/index.js),\"gzip\":$(gzip -9 -c build/index.js | wc -c)"
result size "\"name\":\"reference: bundle\",\"raw\":$(wc -c <"$RUN_DIR/reference.js"),\"gzip\":$(gzip -9 -c "$RUN_DIR/reference.js" | wc -c)"
# The biggest contributors, from the copy the build keeps with its names.
"$TWIGGY" top -n 12 -f json target/wasm-with-names/index_bg.wasm >"$RUN_DIR/twiggy.json"
result twiggy "\"top\":$(compact "$RUN_DIR/twiggy.json")"

say "parser throughput over the corpus (native)"
cargo bench --locked -q -p tora-core --bench parser 2>/dev/null | tee "$RUN_DIR/parser.txt"
per_message="$(awk '/^corpus messages:/ { print $3; exit }' "$RUN_DIR/parser.txt")"
result parser "\"per_message\":\"$per_message\""

DB_PORT="$(free_port)"; NEON_PORT="$(free_port)"
OURS_PORT="$(free_port)"; REFERENCE_PORT="$(free_port)"
SECRET="bench-$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')"
ISSUER="https://auth.tora.test/auth/v1"
AUDIENCE="authenticated"
use_database "$RUN_DIR/pgdata" "$DB_PORT"
start_neon_local "$NEON_PORT" "$BACKEND_URL"
NEON="http://127.0.0.1:$NEON_PORT"

say "starting both workers on bare workerd (ours on $OURS_PORT, the reference on $REFERENCE_PORT)"
write_bench_workerd_config "$RUN_DIR/workerd.capnp" "$RUN_DIR/reference.js" "$OURS_PORT" "$REFERENCE_PORT" \
  "NEON_SQL_URL=$NEON/sql" "DATABASE_URL=postgresql://tora:tora@localhost/tora" \
  "JWT_HS256_SECRET=$SECRET" "JWT_ISSUER=$ISSUER" "JWT_AUDIENCE=$AUDIENCE" \
  "STARTER_CREDITS=100" "TOKENS_PER_CREDIT=3000" "RATE_LIMIT_PERIOD_SECONDS=60" \
  "SUBJECT_HASH_KEY=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
start workerd "$TOOLS_BIN/workerd" serve "$RUN_DIR/workerd.capnp"
wait_for_port "$OURS_PORT" workerd "$LAST_PID" 60
wait_for_port "$REFERENCE_PORT" workerd "$LAST_PID" 60

SUBJECT="$(node -e 'console.log(require("crypto").randomUUID())')"
TOKEN="$("$TORA_DEV" dev-token --secret "$SECRET" --issuer "$ISSUER" --audience "$AUDIENCE" --subject "$SUBJECT" --ttl 7200)"
AUTH="authorization: Bearer $TOKEN"

# The person has 30 sessions, so GET /v1/workouts reads a full page.
say "seeding the bench user's history through our worker"
for n in $(seq 1 30); do
  curl -sf -o /dev/null -H "$AUTH" -H 'content-type: application/json' \
    -d "{\"message\":\"pull ups 3x8\",\"client_message_id\":\"seed-$n\"}" \
    "http://127.0.0.1:$OURS_PORT/v1/chat"
done

# Chat bodies, one drawn at random per request (oha -Z).
node bench/chat-bodies.mjs "$(date +%s)" "$RUN_DIR/chat-bodies.txt"

neon_requests() { curl -sf "$NEON/__stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).sql_requests))'; }

# measure ROUTE IMPL PORT CONNECTIONS
measure() {
  local route="$1" impl="$2" port="$3" connections="$4" args=()
  case "$route" in
    health) args=("http://127.0.0.1:$port/health") ;;
    skills) args=(-H "$AUTH" "http://127.0.0.1:$port/v1/skills") ;;
    workouts) args=(-H "$AUTH" "http://127.0.0.1:$port/v1/workouts") ;;
    chat) args=(-m POST -H "$AUTH" -T application/json -Z "$RUN_DIR/chat-bodies.txt" "http://127.0.0.1:$port/v1/chat") ;;
  esac
  local before after
  before="$(neon_requests)"
  "$OHA" --no-tui --output-format json -z "${RUN_SECONDS}s" -c "$connections" "${args[@]}" >"$RUN_DIR/oha.json"
  after="$(neon_requests)"
  result load "\"route\":\"$route\",\"impl\":\"$impl\",\"connections\":$connections,\"neon_requests\":$((after - before)),\"oha\":$(compact "$RUN_DIR/oha.json")"
}

for route in health skills workouts chat; do
  for connections in 1 32; do
    for impl in ours reference; do
      port="$OURS_PORT"; [ "$impl" = reference ] && port="$REFERENCE_PORT"
      say "load: $route, $impl, $connections connection(s), ${RUN_SECONDS}s"
      measure "$route" "$impl" "$port" "$connections"
    done
  done
done

# One request of each route through our worker with the Neon endpoint recording, then
# criterion times `handle` on those answers natively.
say "recording each route's database answers for the CPU-time bench"
mkdir -p "$RUN_DIR/recorded"
# The chats just sent leave jobs the worker finishes after answering; a recording taken
# while they still reach the database would hold their queries beside the route's.
wait_for_quiet_database() {
  local before after
  after="$(neon_requests)"
  for _ in $(seq 1 60); do
    sleep 1
    before="$after"
    after="$(neon_requests)"
    if [ "$before" = "$after" ]; then return 0; fi
  done
  fail "the worker kept querying the database for a minute after the load"
}
record() {
  local route="$1" method="$2" path="$3" body="$4"
  wait_for_quiet_database
  curl -sf -X POST "$NEON/__record" >/dev/null
  if [ -n "$body" ]; then
    curl -sf -o /dev/null -X "$method" -H "$AUTH" -H 'content-type: application/json' -d "$body" \
      "http://127.0.0.1:$OURS_PORT$path"
  else
    curl -sf -o /dev/null -X "$method" -H "$AUTH" "http://127.0.0.1:$OURS_PORT$path"
  fi
  curl -sf "$NEON/__record" >"$RUN_DIR/neon.json"
  node -e '
    const [file, method, path, body, out] = process.argv.slice(1);
    const neon = JSON.parse(require("fs").readFileSync(file, "utf8"));
    require("fs").writeFileSync(out, JSON.stringify({method, path, body: body ? JSON.parse(body) : null, neon}));
  ' "$RUN_DIR/neon.json" "$method" "$path" "$body" "$RUN_DIR/recorded/$route.json"
}
record health GET /health ""
record skills GET /v1/skills ""
record workouts GET /v1/workouts ""
record chat POST /v1/chat '{"message":"pull ups 3x8","client_message_id":"bench-recorded"}'

say "CPU time of our code per route (criterion, native)"
# Figures of an earlier run must not stand in for a route that fails in this one.
rm -rf "${CARGO_TARGET_DIR:-$ROOT/target}/criterion/route"
TORA_BENCH_RECORDED="$RUN_DIR/recorded" TORA_BENCH_TOKEN="$TOKEN" \
JWT_HS256_SECRET="$SECRET" JWT_ISSUER="$ISSUER" JWT_AUDIENCE="$AUDIENCE" \
  cargo bench --locked -q -p tora-dev --bench routes 2>"$RUN_DIR/criterion.log" | grep -E "^route/|time:" || true
for route in health skills workouts chat; do
  estimates="${CARGO_TARGET_DIR:-$ROOT/target}/criterion/route/$route/new/estimates.json"
  # A route whose replay failed has no estimates: say why instead of a broken table.
  [ -f "$estimates" ] || { tail -n 20 "$RUN_DIR/criterion.log" >&2; fail "no CPU-time figure for $route"; }
  result cpu "\"route\":\"$route\",\"estimates\":$(compact "$estimates")"
done

say "results"
node bench/report.mjs "$RESULTS"
