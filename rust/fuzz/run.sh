#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20) on seeds made by seed_corpus.py.
# Uses the nightly toolchain with AddressSanitizer when it is installed, else stable without a
# sanitizer (cargo fuzz -s none). Crashes land in rust/fuzz/artifacts/<target>/ and fail the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
python rust/fuzz/seed_corpus.py
if cargo +nightly --version >/dev/null 2>&1; then toolchain=(+nightly); sanitizer=address; else toolchain=(); sanitizer=none; fi
for target in tokenizer identity full_profile; do
  log="rust/fuzz/$target.log"
  cargo "${toolchain[@]}" fuzz run -O -s "$sanitizer" --fuzz-dir rust/fuzz "$target" rust/fuzz/corpus/"$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || true
  grep -E "^(Done|stat::number_of_executed_units)|SUMMARY|panicked" "$log" | sed "s/^/$target: /" || true
  if [ -n "$(ls -A rust/fuzz/artifacts/"$target" 2>/dev/null)" ] || ! grep -q "^Done" "$log"; then
    echo "fuzz target $target failed or found a crash; see $log"; exit 1
  fi
done
