#!/usr/bin/env bash
# The worker's timezone offsets (src/zones.rs) against chrono-tz: the worker's own
# `Intl` code, compiled to wasm32 and run under Node by wasm-bindgen-test-runner (from
# wasm-bindgen-cli), at instants and local times around every DST change from 2000 to
# 2037 in zones with every kind of rule. Any disagreement fails with the list.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v wasm-bindgen-test-runner >/dev/null \
  || { echo "wasm-bindgen-test-runner is missing: it comes with wasm-bindgen-cli (scripts/dev.sh)" >&2; exit 1; }
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p tora-worker --target wasm32-unknown-unknown
