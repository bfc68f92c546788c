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
step "cargo test";               cargo test --workspace
step "deployment lint";          VENV="$root/.venv-infra" scripts/lint-infra.sh
echo; echo "all tests passed"
