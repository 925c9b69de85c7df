#!/usr/bin/env bash
# Fuzzes the core's decoders with cargo-fuzz (libFuzzer, nightly Rust): the chat
# parser, the bearer-token decoder, the Neon response decoder, the JSON body extractor
# and the import file reader. Each target runs SECONDS seconds (default 600); an input
# that panics or takes longer than TORA_FUZZ_SLOW_MS (default 10 ms) is a crash, kept in
# .tora/fuzz-artifacts/<target>/. Copy it into crates/tora-core/fuzz/regressions/<target>/
# and `cargo test -p tora-core` replays it from then on.
#
#   bash scripts/fuzz.sh            # ten minutes per target
#   bash scripts/fuzz.sh 5          # a smoke run (the test command does this)
#   bash scripts/fuzz.sh 600 json_body
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

SECONDS_PER_TARGET="${1:-600}"
shift || true
ALL_TARGETS=(chat_message bearer_token neon_response json_body export_file)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
FUZZ_DIR="crates/tora-core/fuzz"
CARGO_FUZZ_VERSION="0.13.2"

if ! rustup toolchain list | grep -q '^nightly'; then
  say "installing the nightly toolchain for cargo-fuzz (first run only)"
  rustup toolchain install nightly --profile minimal
fi
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION (first run only)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force
fi

# No sanitizer: the core has no unsafe code, and AddressSanitizer would triple every
# input's time and make the 10 ms budget meaningless.
FUZZ_FLAGS=(--fuzz-dir "$FUZZ_DIR" --sanitizer none --release)

say "building the fuzz targets"
cargo +nightly fuzz build "${FUZZ_FLAGS[@]}"

export TORA_FUZZ_SLOW_MS="${TORA_FUZZ_SLOW_MS:-10}"
for target in "${TARGETS[@]}"; do
  corpus="$STATE_DIR/fuzz-corpus/$target"
  artifacts="$STATE_DIR/fuzz-artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  say "fuzzing $target for ${SECONDS_PER_TARGET}s (budget ${TORA_FUZZ_SLOW_MS} ms per input)"
  log="$LOG_DIR/fuzz-$target.log"
  # The writable corpus grows across runs; the committed regressions seed it.
  if ! cargo +nightly fuzz run "${FUZZ_FLAGS[@]}" "$target" \
      "$corpus" "$FUZZ_DIR/regressions/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 \
      -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "fuzz target $target found a failing input; it is in .tora/fuzz-artifacts/$target/"
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | tr '\n' ' ' || true
  echo
done
say "fuzzing finished: no crash and no slow input in ${TARGETS[*]}"
