#!/usr/bin/env bash
# Builds the fuzz targets in a clang build of their own and runs each for
# SECONDS under libFuzzer, ASan and UBSan, from its committed seeds
# (tests/fuzz/corpus/TARGET) with the dictionary (tests/fuzz/json.dict).
#   run-fuzz.sh BUILD_DIR [SECONDS] [TARGET...]
# Prints, per target, the executions and the findings; exits 1 when a target
# found anything (the inputs are under BUILD_DIR/fuzz-findings/TARGET/),
# 77 (skip) when clang or libFuzzer is missing.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${1:?usage: run-fuzz.sh BUILD_DIR [SECONDS] [TARGET...]}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))

probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput (const unsigned char *, unsigned long) { return 0; }' \
  >"$probe_dir/probe.cpp"
if ! command -v clang++ >/dev/null; then
  echo "SKIP: clang++ is not installed (apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe_dir/probe.cpp" -o "$probe_dir/probe" \
  2>"$probe_dir/log"; then
  echo "SKIP: clang++ cannot link libFuzzer with ASan/UBSan (apt-get install libclang-rt-14-dev):"
  cat "$probe_dir/log"
  exit 77
fi

if [ ! -f "$build_dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build_dir" "$top" --wrap-mode=nodownload \
    -Dfuzzing=true >"$probe_dir/setup.log" 2>&1 || {
    cat "$probe_dir/setup.log"
    exit 1
  }
fi
ninja -C "$build_dir" >"$probe_dir/build.log" 2>&1 || {
  cat "$probe_dir/build.log"
  exit 1
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build_dir"/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] && targets+=("$(basename "$exe" | sed 's/^fuzz_//')")
  done
fi

# GLib criticals are misuse of an API by our code: findings, like crashes.
# GLib criticals abort (fuzz_check.h), which libFuzzer reports with the input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One target: its libFuzzer run, then one result line (and what it found).
run_target() {
  local t=$1
  local exe="$build_dir/tests/fuzz/fuzz_$t"
  local seeds="$top/tests/fuzz/corpus/$t"
  local work="$build_dir/fuzz-corpus/$t"
  local findings="$build_dir/fuzz-findings/$t"
  local log="$build_dir/fuzz-logs/$t.log"
  local start="$build_dir/fuzz-logs/$t.start"
  mkdir -p "$work" "$findings" "$(dirname "$log")"
  touch "$start"
  local options=(-dict="$top/tests/fuzz/json.dict" -detect_leaks=1)
  local leak_check=detect_leaks=1
  case $t in
    # Binary input: no JSON tokens.
    rtcp_feedback) options=(-detect_leaks=0) leak_check=detect_leaks=0 ;;
    # GStreamer's one-time caches and GLib's quark table (whose old array it
    # drops on purpose when it grows) look like leaks to LeakSanitizer, which
    # cannot tell them from ours without slow unwinding on every malloc; and
    # a leak check after every input with unbalanced mallocs costs 100x the
    # executions. ASan and UBSan still check these targets.
    nav_input) options=(-dict="$top/tests/fuzz/json.dict" -detect_leaks=0) leak_check=detect_leaks=0 ;;
  esac
  # New inputs go to the work corpus; the committed seeds stay as they are.
  # A GStreamer registry per target: targets run side by side.
  GST_REGISTRY_1_0="$build_dir/fuzz-logs/$t.registry" ASAN_OPTIONS="$ASAN_OPTIONS:$leak_check" \
    "$exe" "${options[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$findings/" "$work" "$seeds" >"$log" 2>&1
  local rc=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  local new
  new=$(find "$findings" -type f -newer "$start" | wc -l)
  {
    printf '%-20s %8s %14s %10s %9s\n' "$t" "$seconds" "${runs:-?}" \
      "$((${runs:-0} / (seconds > 0 ? seconds : 1)))" "$new"
    if [ $rc -ne 0 ] || [ "$new" -ne 0 ]; then
      echo "  $t: exit $rc; log $log; findings:"
      find "$findings" -type f -newer "$start" -printf '    %p\n' | head -5
      grep -m5 -E 'ERROR|invariant broken|runtime error|CRITICAL' "$log" | sed 's/^/    /'
      # The input itself, when small, so that a run elsewhere (CI) can be
      # replayed here: base64 -d >FILE, then the target with FILE.
      local input
      input=$(find "$findings" -type f -newer "$start" -size -4k | head -1)
      [ -n "$input" ] && echo "    input, base64: $(base64 -w0 "$input")"
    fi
  } >"$build_dir/fuzz-logs/$t.result"
  [ $rc -eq 0 ] && [ "$new" -eq 0 ]
}

# GV_FUZZ_JOBS targets at a time (one core each); 1 unless told.
jobs=${GV_FUZZ_JOBS:-1}
status=0
running=0
for t in "${targets[@]}"; do
  if [ ! -x "$build_dir/tests/fuzz/fuzz_$t" ]; then
    echo "no fuzz target $t" >&2
    exit 2
  fi
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done

printf '%-20s %8s %14s %10s %9s\n' target seconds executions "exec/s" findings
for t in "${targets[@]}"; do
  cat "$build_dir/fuzz-logs/$t.result"
done
[ $status -eq 0 ] || echo "findings: inputs under $build_dir/fuzz-findings/TARGET/ (replay: the target's binary with the file as argument)"
exit $status
