#!/usr/bin/env bash
# Runs the benchmarks on the test-bed image and prints the ratio of `gzip -dc` (the
# single-threaded floor) to Bulkhead's whole-image read, from medians of repeated runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_TYPE="${BUILD_TYPE:-Release}"
source "$ROOT/scripts/setup.sh"
"$ROOT/tests/testbed/testbed.sh" build >&2
export BULKHEAD_TESTBED_ENV="${BULKHEAD_TESTBED_DIR:-$ROOT/.testbed}/testbed.env"
out="$BUILD_DIR/bench-image-read.json"
"$BUILD_DIR/bench/bench_image_read" --benchmark_repetitions="${REPETITIONS:-5}" \
  --benchmark_report_aggregates_only=true --benchmark_out="$out" --benchmark_out_format=json
median() { jq -r --arg n "$1_median" '.benchmarks[] | select(.name == $n) | .real_time' "$out"; }
gz=$(median BM_GzipDc/real_time)
for threads in 1 2; do
  ours=$(median "BM_OpenImage/$threads/real_time")
  echo "whole-image read, $threads thread(s): $(awk -v a="$gz" -v b="$ours" 'BEGIN{printf "%.2fx faster than gzip -dc (%.0f ms vs %.0f ms, medians)", a/b, b, a}')"
done
# SBOM: `bulkhead sbom` against cdxgen on the same image, in the same run (bench/README.md).
BUILD_DIR="$BUILD_DIR" "$ROOT/bench/sbom_vs_cdxgen.sh"
# Vulnerability matching: the full scan of the apps image and matching throughput.
vout="$BUILD_DIR/bench-vuln-match.json"
"$BUILD_DIR/bench/vuln_match_bench" --benchmark_repetitions="${REPETITIONS:-5}" \
  --benchmark_report_aggregates_only=true --benchmark_out="$vout" --benchmark_out_format=json
# Runtime agent: workloads in a runc container with and without `bulkhead agent run`, and
# Protect's exec check against a bare fanotify responder and fapolicyd (bench/README.md).
BUILD_DIR="$BUILD_DIR" "$ROOT/bench/runtime_overhead.sh"
# Network: iperf3 and wrk between two containers without the agent, with its sensor and with
# L7 flow capture; protocol identification per core (bench/README.md).
BUILD_DIR="$BUILD_DIR" "$ROOT/bench/net_overhead.sh"
