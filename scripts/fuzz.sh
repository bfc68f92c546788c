#!/usr/bin/env bash
# Fuzz the intake's event reading, the AUTO: grammar, the bot parameter parsers and the
# planner for a given time (default 10 minutes): shared/tests/fuzz_intake.rs, run again and
# again with fresh random seeds. Prints the cases executed; stops at the first failure, which
# prints the minimal failing input.
#
#   scripts/fuzz.sh [minutes] [cases-per-round]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
minutes="${1:-10}"
per_round="${2:-5000}"

binary="$(cargo test -q -p cloudbots-shared --test fuzz_intake --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*fuzz_intake[^"]*\)".*/\1/p' | tail -n 1)"
[ -x "$binary" ] || { echo "could not build the fuzz target" >&2; exit 1; }

deadline=$(( $(date +%s) + minutes * 60 ))
total=0
rounds=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
while [ "$(date +%s)" -lt "$deadline" ]; do
  if ! PROPTEST_CASES="$per_round" "$binary" --nocapture >"$log" 2>&1; then
    cat "$log"
    echo "fuzz: FAILED after $total cases in $rounds round(s)" >&2
    exit 1
  fi
  cases=$(awk '/^fuzz [a-z]+: [0-9]+ cases$/ {n += $3} END {print n + 0}' "$log")
  total=$(( total + cases ))
  rounds=$(( rounds + 1 ))
  echo "round $rounds: $cases cases (total $total)"
done
echo "fuzz: $total cases in $rounds round(s) over $minutes minute(s), no failure"
