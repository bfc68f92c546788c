#!/usr/bin/env bash
# Lint the deployment: the SAM template and the member-account role template with cfn-lint and
# `sam validate --lint`, infra/create_role.sh with `bash -n`, and the state machine definitions
# with asl-validator and statelint (cfn-lint does not read them).
#
# Needs: $VENV, a virtualenv holding infra/requirements-infra.txt (cfn-lint, aws-sam-cli,
# statelint), and node_modules from `npm ci` at the repository root (asl-validator).
# Usage: VENV=/path/to/venv scripts/lint-infra.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

: "${VENV:?set VENV to a virtualenv with infra/requirements-infra.txt installed}"
for tool in cfn-lint sam statelint; do
  if [[ ! -x "$VENV/bin/$tool" ]]; then
    echo "lint-infra: $VENV/bin/$tool not found: pip install -r infra/requirements-infra.txt" >&2
    exit 2
  fi
done
validator="$root/node_modules/.bin/asl-validator"
if [[ ! -x "$validator" ]]; then
  echo "lint-infra: $validator not found: run npm ci" >&2
  exit 2
fi

templates=(infra/template.yaml infra/member-role.yaml)
definitions=(state_machines/*.asl.json)

for template in "${templates[@]}"; do
  echo "== cfn-lint $template"
  "$VENV/bin/cfn-lint" -- "$template"

  echo "== sam validate --lint $template"
  # Offline: no telemetry, and a region so that no AWS configuration is read.
  SAM_CLI_TELEMETRY=0 "$VENV/bin/sam" validate --lint --template "$template" --region us-east-1
done

echo "== bash -n infra/create_role.sh"
bash -n infra/create_role.sh

for definition in "${definitions[@]}"; do
  echo "== asl-validator $definition"
  "$validator" --json-path "$definition"
  echo "== statelint $definition"
  "$VENV/bin/statelint" "$definition"
done
echo "infra lint: ok"
