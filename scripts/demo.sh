#!/usr/bin/env bash
# The demo: start a local stack (moto + a local Lambda gateway), deploy cloudbots into it,
# send real CloudGuard, GuardDuty and Security Hub findings through the intake, and show the
# executions, their audit records, the output messages and the fixed resources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --no-infra
if [ ! -x "${CARGO_TARGET_DIR:-target}/debug/cloudbots" ]; then
    echo "Building cloudbots: the first build compiles the AWS SDK and takes several minutes (later runs start in seconds) ..."
fi
cargo build --quiet -p cloudbots-cli --bin cloudbots
echo "Built. Running the demo ..."
exec cargo run --quiet -p cloudbots-cli -- demo
