#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit, integration and end-to-end
# tests (against moto and the local Lambda gateway), and the deployment linters.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/setup.sh
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { echo; echo "== $*"; }
step "cargo fmt --check";        cargo fmt --all -- --check
step "cargo clippy";             cargo clippy --workspace --all-targets -- -D warnings
# The libraries' unit tests and every integration test. The function binaries are thin mains
# without tests of their own, so they are built once, as the executables the integration tests
# run and inspect, not again as empty test harnesses.
step "cargo test";               cargo test --workspace --lib --test '*'
step "deployment lint";          VENV="$root/.venv-infra" scripts/lint-infra.sh
echo; echo "all tests passed"
