#!/usr/bin/env bash
# Install what the demo and the tests need, from the package registries only:
#   .venv        moto (the local AWS stack) and cargo-lambda       (requirements.txt)
#   .venv-infra  cfn-lint, aws-sam-cli, statelint                  (infra/requirements-infra.txt)
#   node_modules asl-validator                                     (package-lock.json)
# Re-running it is cheap: each part is skipped when its requirements did not change.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python=${PYTHON:-python3}

venv() { # venv DIR REQUIREMENTS
  local dir=$1 requirements=$2 stamp="$1/.installed"
  if [[ -f "$stamp" ]] && cmp -s "$stamp" "$requirements"; then
    return
  fi
  echo "setup: installing $requirements into $dir"
  [[ -x "$dir/bin/python" ]] || "$python" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
}

venv .venv requirements.txt
if [[ "${1:-}" != "--no-infra" ]]; then
  venv .venv-infra infra/requirements-infra.txt
  if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s package-lock.json node_modules/.installed-lock; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.installed-lock
  fi
fi
