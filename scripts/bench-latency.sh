#!/usr/bin/env bash
# End-to-end latency on the local stack: N findings of three kinds (default 60) through the
# intake and the real state machine in moto, one at a time and then 10 in flight; prints
# p50/p95/max of finding -> execution finished, split into our share (intake and function
# invocations) and moto's engine.
#
#   scripts/bench-latency.sh [N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --no-infra
cargo run --quiet -p cloudbots-tests --bin bench-latency -- "${1:-60}"
