#!/usr/bin/env bash
# Shared helpers for dev.sh and test.sh: tool installation, free ports, and starting
# and stopping the local stack (embedded Postgres, local Neon endpoint, JWKS issuer,
# Bedrock double, wrangler dev). Every server binds 127.0.0.1 and is stopped by its own pid.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.tora"
LOG_DIR="$STATE_DIR/logs"
TOOLS_BIN="$ROOT/node_modules/.bin"
mkdir -p "$LOG_DIR"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version the lockfile pins (the CLI must match it exactly).
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_rust_tools() {
  command -v cargo >/dev/null || fail "Rust is required (https://rustup.rs)"
  command -v node >/dev/null || fail "Node.js 20+ is required"
  if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! command -v worker-build >/dev/null; then
    say "installing worker-build (first run only)"
    cargo install worker-build --version '^0.8' 
  fi
  local wanted
  wanted="$(locked_wasm_bindgen_version)"
  [ -n "$wanted" ] || fail "wasm-bindgen is missing from Cargo.lock"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wanted" ]; then
    say "installing wasm-bindgen-cli $wanted (first run only)"
    # No --locked: one of the CLI's locked dependencies is not on the registry mirror.
    cargo install wasm-bindgen-cli --version "$wanted" --force
  fi
}

ensure_node_packages() {
  if [ ! -x "$TOOLS_BIN/wrangler" ] || [ ! -x "$TOOLS_BIN/pglite-server" ] \
     || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm packages"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

# ensure_python_tool NAME PIP_SPEC: a command-line tool from PyPI in a virtualenv of its
# own under .tora/python/NAME, made on first use and again when PIP_SPEC changes. Sets
# PYTHON_TOOL to the tool's path.
ensure_python_tool() {
  local name="$1" spec="$2"
  local venv="$STATE_DIR/python/$name"
  command -v python3 >/dev/null || fail "Python 3 is required for $name"
  if [ ! -x "$venv/bin/$name" ] || [ "$(cat "$venv/.spec" 2>/dev/null)" != "$spec" ]; then
    say "installing $spec into .tora/python/$name (first run only)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$spec"
    printf '%s' "$spec" >"$venv/.spec"
  fi
  # shellcheck disable=SC2034 # read by the scripts that source this file
  PYTHON_TOOL="$venv/bin/$name"
}

build_dev_tools() {
  say "building the developer tools (tora-dev)"
  (cd "$ROOT" && cargo build --locked -p tora-dev)
  TORA_DEV="${CARGO_TARGET_DIR:-$ROOT/target}/debug/tora-dev"
}

build_worker() {
  say "building the worker (release Wasm)"
  (cd "$ROOT" && bash scripts/build-worker.sh)
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_for_port PORT NAME PID [SECONDS]
wait_for_port() {
  local port="$1" name="$2" pid="$3" limit="${4:-60}" waited=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LOG_DIR/$name.log" >&2; fail "$name exited during start-up (log: .tora/logs/$name.log)"; }
    waited=$((waited + 1))
    [ "$waited" -le "$((limit * 4))" ] || { tail -n 30 "$LOG_DIR/$name.log" >&2; fail "$name did not listen on $port within ${limit}s"; }
    sleep 0.25
  done
}

STARTED_PIDS=()

# start NAME COMMAND...: runs a server in the background, logging to .tora/logs/NAME.log.
start() {
  local name="$1"; shift
  # Own process group (setsid), so stopping it also stops the children it spawns.
  setsid "$@" >"$LOG_DIR/$name.log" 2>&1 &
  local pid=$!
  STARTED_PIDS+=("$pid")
  LAST_PID=$pid
}

stop_all() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

# start_database DATA_DIR PORT: PGlite (real Postgres compiled to Wasm) with pgvector.
start_database() {
  local data_dir="$1" port="$2"
  mkdir -p "$data_dir"
  say "starting the embedded Postgres on 127.0.0.1:$port (data in ${data_dir#"$ROOT"/})"
  start pglite "$TOOLS_BIN/pglite-server" -d "$data_dir" -p "$port" -h 127.0.0.1 -m 8 \
    -e @electric-sql/pglite-pgvector:vector
  wait_for_port "$port" pglite "$LAST_PID" 120
}

# use_database DATA_DIR PORT: the database at DATABASE_URL when it is set, else the
# embedded Postgres on PORT with its data in DATA_DIR; migrated either way. Sets
# BACKEND_URL, the address the local Neon endpoint forwards to.
use_database() {
  local data_dir="$1" port="$2"
  if [ -n "${DATABASE_URL:-}" ]; then
    say "using DATABASE_URL instead of the embedded Postgres"
    BACKEND_URL="$DATABASE_URL"
  else
    start_database "$data_dir" "$port"
    BACKEND_URL="postgresql://postgres:postgres@127.0.0.1:$port/postgres?sslmode=disable"
  fi
  run_migrations "$BACKEND_URL"
}

# start_neon_local PORT DATABASE_URL
start_neon_local() {
  local port="$1" database_url="$2"
  say "starting the local Neon endpoint on 127.0.0.1:$port"
  start neon-local "$TORA_DEV" neon-local --listen "127.0.0.1:$port" --database-url "$database_url"
  wait_for_port "$port" neon-local "$LAST_PID" 30
}

run_migrations() {
  local database_url="$1"
  say "applying migrations"
  "$TORA_DEV" migrate --database-url "$database_url" --dir "$ROOT/migrations"
}

# start_jwks PORT KEYS_FILE: the local identity provider's key set (ES256 + RS256).
start_jwks() {
  local port="$1" keys="$2"
  say "starting the local JWKS issuer on 127.0.0.1:$port"
  start jwks "$TORA_DEV" jwks-serve --listen "127.0.0.1:$port" --keys "$keys"
  wait_for_port "$port" jwks "$LAST_PID" 30
}

# start_bedrock_double PORT ACCESS_KEY_ID SECRET_ACCESS_KEY: the local Bedrock Runtime,
# which verifies every request's SigV4 signature against this key pair. The secret goes
# through the environment, not the command line.
start_bedrock_double() {
  local port="$1" key_id="$2" secret="$3"
  say "starting the Bedrock double on 127.0.0.1:$port"
  start bedrock-double env AWS_SECRET_ACCESS_KEY="$secret" \
    "$TORA_DEV" bedrock-double --listen "127.0.0.1:$port" --access-key-id "$key_id" --region us-east-1
  wait_for_port "$port" bedrock-double "$LAST_PID" 30
}

# start_s3_double PORT ACCESS_KEY_ID SECRET_ACCESS_KEY DATA_DIR: the local S3 (path-style,
# objects on disk), which verifies every request's SigV4 signature against this key pair
# and refuses expired presigned URLs. The secret goes through the environment.
start_s3_double() {
  local port="$1" key_id="$2" secret="$3" data_dir="$4"
  say "starting the S3 double on 127.0.0.1:$port"
  start s3-double env S3_SECRET_ACCESS_KEY="$secret" \
    "$TORA_DEV" s3-double --listen "127.0.0.1:$port" --access-key-id "$key_id" --region us-east-1 \
    --data-dir "$data_dir"
  wait_for_port "$port" s3-double "$LAST_PID" 30
}

# start_wrangler PORT INSPECTOR_PORT VAR=VALUE...: the built worker under `wrangler dev`.
# TORA_WRANGLER_CONFIG (default wrangler.toml) and TORA_WRANGLER_NAME (default wrangler) pick
# another configuration and log name, for a second instance.
start_wrangler() {
  local port="$1" inspector="$2"; shift 2
  local vars=() pair name="${TORA_WRANGLER_NAME:-wrangler}"
  for pair in "$@"; do vars+=(--var "${pair%%=*}:${pair#*=}"); done
  say "starting wrangler dev ($name) on http://127.0.0.1:$port"
  # The worker was just built; wrangler's own build step only checks for it.
  TORA_SKIP_BUILD=1 WRANGLER_SEND_METRICS=false start "$name" "$TOOLS_BIN/wrangler" dev \
    --config "${TORA_WRANGLER_CONFIG:-$ROOT/wrangler.toml}" \
    --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
    --show-interactive-dev-session=false --test-scheduled "${vars[@]}"
  wait_for_port "$port" "$name" "$LAST_PID" 120
}

# write_load_config FILE: a wrangler configuration for the load run's own instance of
# the built worker: the product's, but with rate limits that traffic from one machine
# cannot reach (the product's would rightly refuse a 2,000-message run from one
# address). The limits themselves are tested by the end-to-end suite.
write_load_config() {
  local file="$1" date
  date="$(awk -F'"' '/^compatibility_date/ { print $2; exit }' "$ROOT/wrangler.toml")"
  cat >"$file" <<EOF
name = "tora-api-load"
main = "$ROOT/build/index.js"
compatibility_date = "$date"

[triggers]
crons = ["*/5 * * * *"]

[vars]
RATE_LIMIT_PERIOD_SECONDS = "60"

[[ratelimits]]
name = "PER_IP_LIMITER"
namespace_id = "1101"
simple = { limit = 1000000, period = 60 }

[[ratelimits]]
name = "PER_USER_LIMITER"
namespace_id = "1102"
simple = { limit = 1000000, period = 60 }
EOF
}

# The static checks' Python tools, each list in a virtualenv of its own under .tora/
# (checkov pins a fork of python-hcl2 that installs the same `hcl2` module, so the real
# python-hcl2 cannot share its environment): scripts/python-tools.txt (actionlint, its
# shell linter and checkov) in .tora/venv, scripts/python-hcl2.txt in .tora/venv-hcl2.
# Installed again only when a list changed (the venv keeps a copy of the list it has).
ensure_venv() {
  local venv="$1" requirements="$2" python stamp="$1/.installed"
  python="$(command -v python3 || true)"
  [ -n "$python" ] || fail "Python 3.9+ is required for the static checks"
  if [ ! -x "$venv/bin/python" ]; then
    say "creating the Python virtualenv ${venv#"$ROOT"/} (first run only)"
    "$python" -m venv "$venv" \
      || fail "python3 -m venv failed (on Debian or Ubuntu: apt-get install python3-venv)"
  fi
  if ! cmp -s "$requirements" "$stamp"; then
    say "installing ${requirements#"$ROOT"/} into ${venv#"$ROOT"/}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
      -r "$requirements"
    cp "$requirements" "$stamp"
  fi
}
VENV="$STATE_DIR/venv"
HCL2_VENV="$STATE_DIR/venv-hcl2"
ensure_python_tools() {
  ensure_venv "$VENV" "$ROOT/scripts/python-tools.txt"
  ensure_venv "$HCL2_VENV" "$ROOT/scripts/python-hcl2.txt"
}
