#!/usr/bin/env bash
# Cold start of the functions as Lambda starts them, on this machine: builds the release
# binaries of ec2_stop_instance and the intake (the deploy profile, native architecture), then
# execs each afresh against a local Lambda Runtime API emulator with moto as the AWS endpoint,
# and prints min/median/max of init (exec -> first /next), step (event -> response, the first
# AWS calls included) and peak RSS.
#
#   scripts/bench-cold-start.sh [RUNS]      (default 20 runs of each)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --no-infra
runs=${1:-20}
target_dir=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release --bin ec2_stop_instance --bin intake
cargo run --quiet -p cloudbots-tests --bin bench-cold-start -- --runs "$runs" \
  "$target_dir/release/ec2_stop_instance" "$target_dir/release/intake"
