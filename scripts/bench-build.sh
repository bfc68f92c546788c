#!/usr/bin/env bash
# Build cost and binary size of a release profile, measured from a cold target directory.
#
#   scripts/bench-build.sh PROFILE [--arm64] [--all] [--init]
#
# PROFILE is one of the variants docs/performance.md compares (each is the release profile of
# Cargo.toml with these settings overridden through CARGO_PROFILE_RELEASE_*):
#   release    the profile Cargo.toml sets (what the deploy build uses: abort with 16 codegen units)
#   thin-lto   opt-level "s", thin LTO, 4 codegen units (the former profile)
#   no-lto     opt-level "s", no LTO, 16 codegen units
#   abort      opt-level "s", no LTO, 4 codegen units, panic = "abort"
#   opt-z      as abort, with opt-level "z"
# --arm64 builds with cargo-lambda for aarch64 (the deploy target); otherwise the native target.
# --all builds every function (the deploy build); otherwise ec2_stop_instance and the intake.
# --init also runs scripts/bench-cold-start.sh's harness on the built binaries (native only).
#
# Prints: cold build time, the time to rebuild after one bot's source changes, and the
# stripped and zipped size of ec2_stop_instance and the intake. Each profile builds in its own
# target directory (target/bench-PROFILE-ARCH), removed first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

profile=${1:?usage: scripts/bench-build.sh PROFILE [--arm64] [--all] [--init]}
shift
arch=native all=false init=false
for arg in "$@"; do
  case $arg in
    --arm64) arch=arm64 ;;
    --all) all=true ;;
    --init) init=true ;;
    *) echo "unknown option $arg" >&2; exit 2 ;;
  esac
done

case $profile in
  release) ;;
  thin-lto) export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=4 ;;
  no-lto) export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 ;;
  abort) export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=4 CARGO_PROFILE_RELEASE_PANIC=abort ;;
  opt-z) export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=4 CARGO_PROFILE_RELEASE_PANIC=abort ;;
  *) echo "unknown profile $profile" >&2; exit 2 ;;
esac
export CARGO_PROFILE_RELEASE_STRIP=true

scripts/setup.sh --no-infra
harness_target_dir=${CARGO_TARGET_DIR:-$root/target}
export PATH="$root/.venv/bin:$PATH" CARGO_TERM_COLOR=never
export CARGO_TARGET_DIR="$root/target/bench-$profile-$arch"
rm -rf "$CARGO_TARGET_DIR"

bins=(--bin ec2_stop_instance --bin intake)
$all && bins=()
build() {
  if [[ $arch == arm64 ]]; then
    cargo lambda build --quiet --release --arm64 "${bins[@]}"
  else
    cargo build --quiet --release "${bins[@]}"
  fi
}
binary() {
  if [[ $arch == arm64 ]]; then echo "$CARGO_TARGET_DIR/lambda/$1/bootstrap"; else echo "$CARGO_TARGET_DIR/release/$1"; fi
}
timed() { local start=$SECONDS; "$@"; echo $(( SECONDS - start )); }

what="ec2_stop_instance and intake"
$all && what="every function"
echo "profile $profile, $arch, $what"
cold=$(timed build)
echo "  cold build:            $(( cold / 60 )) min $(( cold % 60 )) s"
touch functions/ec2/src/instance.rs
rebuild=$(timed build)
echo "  rebuild after one bot: $(( rebuild / 60 )) min $(( rebuild % 60 )) s  (functions/ec2/src/instance.rs touched)"
for function in ec2_stop_instance intake; do
  path=$(binary "$function")
  zipped=$(python3 - "$path" <<'PY'
import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    archive.write(sys.argv[1], "bootstrap")
print(len(buffer.getvalue()))
PY
)
  printf '  %-18s stripped %5.2f MiB  zipped %5.2f MiB  (%s)\n' "$function" \
    "$(echo "$(stat -c %s "$path") / 1048576" | bc -l)" "$(echo "$zipped / 1048576" | bc -l)" \
    "$(file -b "$path" | cut -d, -f1-2)"
done
if $init && [[ $arch == native ]]; then
  CARGO_TARGET_DIR=$harness_target_dir cargo run --quiet -p cloudbots-tests --bin bench-cold-start -- --runs 20 "$(binary ec2_stop_instance)" "$(binary intake)"
fi
