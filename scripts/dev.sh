#!/usr/bin/env bash
# Runs the API locally: installs what is missing, builds, starts the embedded Postgres
# (data kept in .tora/pgdata), the local Neon endpoint, the Bedrock double and
# `wrangler dev` on
# http://127.0.0.1:8787, applies migrations, and prints a dev token. Ctrl-C stops it all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

DB_PORT="${TORA_DB_PORT:-5433}"
NEON_PORT="${TORA_NEON_PORT:-4444}"
API_PORT="${TORA_API_PORT:-8787}"
INSPECTOR_PORT="${TORA_INSPECTOR_PORT:-9230}"
BEDROCK_PORT="${TORA_BEDROCK_PORT:-4446}"
S3_PORT="${TORA_S3_PORT:-4447}"
S3_BUCKET="tora-uploads"
AWS_KEY_ID="AKIDLOCALDEV"
ISSUER="tora-local"
AUDIENCE="authenticated"

ensure_rust_tools
ensure_node_packages
build_dev_tools
build_worker

# A per-checkout signing secret for dev tokens, made once.
if [ ! -s "$STATE_DIR/dev-jwt-secret" ]; then
  node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))' >"$STATE_DIR/dev-jwt-secret"
fi
SECRET="$(cat "$STATE_DIR/dev-jwt-secret")"
# The subject-hash key and the admin secret, also made once per checkout: a new hash
# key would forget who already had the starter grant.
for name in subject-hash-key admin-secret; do
  if [ ! -s "$STATE_DIR/dev-$name" ]; then
    node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))' >"$STATE_DIR/dev-$name"
  fi
done
SUBJECT_HASH_KEY="$(cat "$STATE_DIR/dev-subject-hash-key")"
ADMIN_SECRET="$(cat "$STATE_DIR/dev-admin-secret")"
# And the local AWS secret key the Bedrock double checks signatures with.
if [ ! -s "$STATE_DIR/bedrock-secret" ]; then
  node -e 'console.log(require("crypto").randomBytes(30).toString("base64"))' >"$STATE_DIR/bedrock-secret"
fi
AWS_SECRET="$(cat "$STATE_DIR/bedrock-secret")"

trap 'echo; say "stopping"; stop_all' EXIT INT TERM

use_database "$STATE_DIR/pgdata" "$DB_PORT"
start_neon_local "$NEON_PORT" "$BACKEND_URL"
start_bedrock_double "$BEDROCK_PORT" "$AWS_KEY_ID" "$AWS_SECRET"
# The bucket reuses the local AWS key pair (S3_* keys unset: the worker falls back).
start_s3_double "$S3_PORT" "$AWS_KEY_ID" "$AWS_SECRET" "$STATE_DIR/s3"
start_wrangler "$API_PORT" "$INSPECTOR_PORT" \
  "NEON_SQL_URL=http://127.0.0.1:$NEON_PORT/sql" \
  "DATABASE_URL=postgresql://tora:tora@localhost/tora" \
  "JWT_HS256_SECRET=$SECRET" "JWT_ISSUER=$ISSUER" "JWT_AUDIENCE=$AUDIENCE" \
  "SUBJECT_HASH_KEY=$SUBJECT_HASH_KEY" "ADMIN_API_SECRET=$ADMIN_SECRET" \
  "BEDROCK_ENDPOINT=http://127.0.0.1:$BEDROCK_PORT" "BEDROCK_REGION=us-east-1" \
  "AWS_ACCESS_KEY_ID=$AWS_KEY_ID" "AWS_SECRET_ACCESS_KEY=$AWS_SECRET" \
  "S3_ENDPOINT=http://127.0.0.1:$S3_PORT/$S3_BUCKET" "S3_BUCKET=$S3_BUCKET" "S3_REGION=us-east-1"

TOKEN="$("$TORA_DEV" dev-token --secret "$SECRET" --issuer "$ISSUER" --audience "$AUDIENCE")"
cat <<INFO

Tora API: http://127.0.0.1:$API_PORT   (logs: .tora/logs/)
Bedrock double: http://127.0.0.1:$BEDROCK_PORT   (calls it saw: curl -s http://127.0.0.1:$BEDROCK_PORT/__calls)
S3 double: http://127.0.0.1:$S3_PORT/$S3_BUCKET   (objects in .tora/s3/)
Dev token (24 h, user 00000000-0000-4000-8000-00000000d3b0):

  export TORA_TOKEN=$TOKEN

Try:
  curl -s http://127.0.0.1:$API_PORT/health
  curl -s -H "authorization: Bearer \$TORA_TOKEN" http://127.0.0.1:$API_PORT/v1/me
  curl -s -X PATCH -H "authorization: Bearer \$TORA_TOKEN" -H 'content-type: application/json' \\
       -d '{"display_name":"Ana","units":"lb","timezone":"Europe/Berlin"}' http://127.0.0.1:$API_PORT/v1/me
  curl -s -H "authorization: Bearer \$TORA_TOKEN" http://127.0.0.1:$API_PORT/v1/credits
  curl -s -H "authorization: Bearer \$TORA_TOKEN" 'http://127.0.0.1:$API_PORT/v1/exercises?q=chin'
  curl -s -X POST -H "authorization: Bearer \$(cat .tora/dev-admin-secret)" -H 'content-type: application/json' \\
       -d '{"subject":"00000000-0000-4000-8000-00000000d3b0","credits":50,"note":"dev"}' http://127.0.0.1:$API_PORT/admin/credits

Ctrl-C stops everything.
INFO
wait "${STARTED_PIDS[@]}"
