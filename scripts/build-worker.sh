#!/usr/bin/env bash
# wrangler's build command: the release Wasm via worker-build, then its size.
# wasm-opt is not available offline, so the optimisation pass is skipped (--no-opt);
# the release profile in Cargo.toml already optimises for size.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${TORA_SKIP_BUILD:-}" = "1" ] && [ -f build/index.js ]; then
  echo "worker already built (TORA_SKIP_BUILD=1)"
  exit 0
fi

WASM_BINDGEN_BIN="$(command -v wasm-bindgen)" || { echo "wasm-bindgen-cli is not installed: run scripts/dev.sh once" >&2; exit 1; }
export WASM_BINDGEN_BIN
# `-p`: the workspace's default members include native tooling that cannot build for Wasm.
worker-build --release --no-opt . -p tora-worker

wasm=build/index_bg.wasm
[ -f "$wasm" ] || { echo "worker-build produced no $wasm" >&2; exit 1; }
# Function names only serve stack traces (panics still log their message and source
# line); TORA_KEEP_WASM_NAMES=1 keeps them for debugging.
# A copy with its names stays in target/ for the bench's size breakdown (twiggy).
mkdir -p target/wasm-with-names
cp "$wasm" target/wasm-with-names/index_bg.wasm
if [ "${TORA_KEEP_WASM_NAMES:-}" != "1" ]; then
  node scripts/strip-wasm-names.mjs "$wasm"
fi
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
printf 'worker wasm: %s bytes raw, %s bytes gzip (%s KiB gzip)\n' "$raw" "$gz" "$((gz / 1024))"
