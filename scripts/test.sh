#!/usr/bin/env bash
# Runs every test: the static checks (scripts/static-checks.sh: GitHub workflows,
# Terraform, configuration consistency), formatting and lints, the native unit tests,
# a fuzz smoke,
# then the whole stack on free ports (embedded Postgres, local Neon endpoint, local JWKS
# issuer, Bedrock double, the built worker under `wrangler dev`) for the Neon driver
# conformance test and the end-to-end suite over HTTP. Everything it starts is stopped on exit, also on failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# Fast static checks first: workflows, Terraform, and configuration consistency.
bash scripts/static-checks.sh

ensure_rust_tools
ensure_node_packages

say "checking formatting"
cargo fmt --all --check
say "linting"
cargo clippy --locked --workspace --all-targets -- -D warnings
# The worker also as it ships: some of its code only exists on wasm32.
cargo clippy --locked -p tora-worker --target wasm32-unknown-unknown -- -D warnings
say "running the native tests"
cargo test --locked --workspace --exclude tora-e2e
# A seconds-long fuzz smoke: the targets build and the found inputs still pass (the
# ten-minute runs are `bash scripts/fuzz.sh`). A looser per-input budget than the long
# runs', so a busy CI machine is not mistaken for a slow input.
say "fuzz smoke (5 s per target)"
TORA_FUZZ_SLOW_MS=50 bash scripts/fuzz.sh 5
say "checking the worker's Intl timezone offsets against chrono-tz (Wasm under Node)"
bash scripts/test-zones.sh

build_dev_tools
build_worker

RUN_DIR="$(mktemp -d "$STATE_DIR/test-run.XXXXXX")"
cleanup() {
  local status=$?
  stop_all
  rm -rf "$RUN_DIR"
  if [ "$status" -ne 0 ]; then
    echo "tests failed; server logs are in .tora/logs/" >&2
  fi
  exit "$status"
}
trap cleanup EXIT INT TERM

DB_PORT="$(free_port)"; NEON_PORT="$(free_port)"; JWKS_PORT="$(free_port)"
API_PORT="$(free_port)"; INSPECTOR_PORT="$(free_port)"; BEDROCK_PORT="$(free_port)"
S3_PORT="$(free_port)"
ISSUER="https://auth.tora.test/auth/v1"
AUDIENCE="authenticated"
SECRET="test-secret-$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')"
SUBJECT_HASH_KEY="$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')"
VIDEO_CDN_DOMAIN="videos.tora.test"
ADMIN_SECRET="admin-$(node -e 'console.log(require("crypto").randomBytes(16).toString("hex"))')"
AWS_KEY_ID="AKIDLOCALTEST"
AWS_SECRET="$(node -e 'console.log(require("crypto").randomBytes(30).toString("base64"))')"
# The bucket has its own key pair, as a deployment limited to it would.
S3_KEY_ID="AKIDLOCALS3TEST"
S3_SECRET="$(node -e 'console.log(require("crypto").randomBytes(30).toString("base64"))')"
S3_BUCKET="tora-uploads"

use_database "$RUN_DIR/pgdata" "$DB_PORT"
run_migrations "$BACKEND_URL" # a second run must be a no-op
start_neon_local "$NEON_PORT" "$BACKEND_URL"
start_jwks "$JWKS_PORT" "$RUN_DIR/jwks-keys.json"
start_bedrock_double "$BEDROCK_PORT" "$AWS_KEY_ID" "$AWS_SECRET"
start_s3_double "$S3_PORT" "$S3_KEY_ID" "$S3_SECRET" "$RUN_DIR/s3"
# The worker's settings, for the instance the suites use and the load run's own.
WORKER_VARS=(
  "NEON_SQL_URL=http://127.0.0.1:$NEON_PORT/sql"
  "DATABASE_URL=postgresql://tora:tora@localhost/tora"
  "JWT_HS256_SECRET=$SECRET" "JWT_ISSUER=$ISSUER" "JWT_AUDIENCE=$AUDIENCE"
  "JWKS_URL=http://127.0.0.1:$JWKS_PORT/.well-known/jwks.json" "JWKS_UNKNOWN_KID_REFETCH_SECONDS=0"
  "CORS_ALLOWED_ORIGINS=https://app.tora.test" "STARTER_CREDITS=100"
  "TOKENS_PER_CREDIT=3000" "SUBJECT_HASH_KEY=$SUBJECT_HASH_KEY" "ADMIN_API_SECRET=$ADMIN_SECRET"
  "BEDROCK_ENDPOINT=http://127.0.0.1:$BEDROCK_PORT" "BEDROCK_REGION=us-east-1"
  "AWS_ACCESS_KEY_ID=$AWS_KEY_ID" "AWS_SECRET_ACCESS_KEY=$AWS_SECRET"
  "S3_ENDPOINT=http://127.0.0.1:$S3_PORT/$S3_BUCKET" "S3_BUCKET=$S3_BUCKET" "S3_REGION=us-east-1"
  "S3_ACCESS_KEY_ID=$S3_KEY_ID" "S3_SECRET_ACCESS_KEY=$S3_SECRET"
  "CHAT_MODEL_WAIT_MS=5000" "PENDING_MAX_ATTEMPTS=3" "PENDING_RETRY_BASE_SECONDS=1"
  "VIDEO_CDN_DOMAIN=$VIDEO_CDN_DOMAIN"
)
start_wrangler "$API_PORT" "$INSPECTOR_PORT" "${WORKER_VARS[@]}"

say "Neon protocol conformance (official @neondatabase/serverless driver)"
NEON_LOCAL_URL="http://127.0.0.1:$NEON_PORT" node --test tests/neon-conformance/conformance.mjs

say "end-to-end tests against the built worker"
export TORA_NEON_URL="http://127.0.0.1:$NEON_PORT" \
  TORA_JWT_SECRET="$SECRET" TORA_JWT_ISSUER="$ISSUER" TORA_JWT_AUDIENCE="$AUDIENCE" \
  TORA_JWKS_URL="http://127.0.0.1:$JWKS_PORT" TORA_JWKS_KEYS="$RUN_DIR/jwks-keys.json" \
  TORA_STARTER_CREDITS=100 TORA_CORS_ORIGIN="https://app.tora.test" \
  TORA_TOKENS_PER_CREDIT=3000 TORA_ADMIN_SECRET="$ADMIN_SECRET" \
  TORA_BEDROCK_URL="http://127.0.0.1:$BEDROCK_PORT" \
  TORA_S3_URL="http://127.0.0.1:$S3_PORT/$S3_BUCKET" TORA_S3_ACCESS_KEY_ID="$S3_KEY_ID" \
  TORA_S3_SECRET_ACCESS_KEY="$S3_SECRET" TORA_S3_REGION=us-east-1 \
  TORA_VIDEO_CDN_DOMAIN="$VIDEO_CDN_DOMAIN"
BASE_URL="http://127.0.0.1:$API_PORT" TORA_OPENAPI_CHECKED="$RUN_DIR/openapi-checked.txt" \
  cargo test --locked -p tora-e2e -- --test-threads 4
# Each response the suite read was checked against the OpenAPI document; every
# operation must have been seen answering a success and a problem.
node scripts/openapi-coverage.mjs crates/tora-core/openapi.json "$RUN_DIR/openapi-checked.txt"

say "schemathesis: every documented operation against the running worker, from its /openapi.json"
ensure_python_tool schemathesis "schemathesis==4.32.5"
API_URL="http://127.0.0.1:$API_PORT"
# No 5xx, and every status, content type and body as the document says. Bounded: a
# few examples per operation (about 1,300 requests, half a minute), under `timeout`.
schemathesis_run() {
  timeout 300 "$PYTHON_TOOL" run "$API_URL/openapi.json" --url "$API_URL" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples 8 --request-timeout 30 --workers 2 --seed 20261203 \
    --suppress-health-check all --generation-database none --no-color "$@"
}
# User routes as a fresh user every few requests (scripts/schemathesis_hooks.py), so
# the per-user rate limit leaves every operation tested.
TORA_FUZZ_JWT_SECRET="$SECRET" TORA_FUZZ_JWT_ISSUER="$ISSUER" TORA_FUZZ_JWT_AUDIENCE="$AUDIENCE" \
SCHEMATHESIS_HOOKS="$ROOT/scripts/schemathesis_hooks.py" \
  schemathesis_run --exclude-tag admin
# Operator routes with the admin secret (no links lead there: no stateful phase).
schemathesis_run --include-tag admin --phases examples,coverage,fuzzing \
  -H "authorization: Bearer $ADMIN_SECRET"

# Load, then the same load under faults, on an instance of the built worker of its own
# whose rate limits one machine cannot reach; each ends by checking the database.
LOAD_PORT="$(free_port)"; LOAD_INSPECTOR_PORT="$(free_port)"
write_load_config "$RUN_DIR/wrangler.load.toml"
TORA_WRANGLER_CONFIG="$RUN_DIR/wrangler.load.toml" TORA_WRANGLER_NAME=wrangler-load \
  start_wrangler "$LOAD_PORT" "$LOAD_INSPECTOR_PORT" "${WORKER_VARS[@]}"
cargo build --locked -p tora-e2e --bin load_run
LOAD_RUN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/load_run"
say "load: 2,000 chat messages from 50 users over 32 connections, retries included"
BASE_URL="http://127.0.0.1:$LOAD_PORT" timeout 600 "$LOAD_RUN" --messages 2000 --users 50 --connections 32
say "faults: 1,000 chat messages while the database and the model fail or stall at random"
BASE_URL="http://127.0.0.1:$LOAD_PORT" timeout 600 "$LOAD_RUN" --messages 1000 --users 25 --connections 32 --faults

say "all tests passed"
