#!/usr/bin/env bash
# The demo: start a local stack (moto + a local Lambda gateway), deploy cloudbots into it,
# send real CloudGuard and GuardDuty findings through the intake, and show the executions,
# their audit records, the output messages and the fixed resources.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --no-infra
cargo run --quiet -p cloudbots-cli -- demo
