#!/usr/bin/env bash
# Tears down one region of a stack, and nothing else.
#
#   scripts/teardown-region.sh STACK REGION [--force] [--check-only]
#
# 1. takes REGION out of Pulumi.STACK.yaml (with the shards homed there and its place in
#    octo.regionGroups), keeping the file's comments (scripts/remove-region.ts);
# 2. runs `pulumi preview --json --stack STACK`;
# 3. checks the preview (scripts/teardown-check.ts): every step must delete a resource of REGION
#    (or change nothing), the preview must not be empty or failed, and a region that holds a shard
#    or an edge is refused unless --force;
# 4. if the check passes, runs `pulumi up --yes` restricted to the deletes the preview showed
#    (`--target` each URN, `--target-dependents`); otherwise restores the stack file and exits 1
#    with the reasons. --check-only stops after the check and restores the file either way.
#
# Needs the Pulumi CLI logged in to the stack's backend, AWS credentials, and `npm ci` done.
set -euo pipefail

usage() {
  echo "usage: $0 STACK REGION [--force] [--check-only]" >&2
  exit 2
}

[ "$#" -ge 2 ] || usage
stack="$1"
region="$2"
shift 2
force=no
check_only=no
for arg in "$@"; do
  case "$arg" in
    --force) force=yes ;;
    --check-only) check_only=yes ;;
    *) usage ;;
  esac
done

cd "$(dirname "$0")/.."
file="Pulumi.${stack}.yaml"
[ -f "$file" ] || { echo "teardown: $file not found (stack $stack)" >&2; exit 2; }
command -v pulumi >/dev/null || { echo "teardown: the pulumi CLI is not on PATH" >&2; exit 2; }

work="$(mktemp -d)"
cp "$file" "$work/stack.yaml"
restore=yes
cleanup() {
  if [ "$restore" = yes ]; then
    cp "$work/stack.yaml" "$file"
    echo "teardown: $file restored" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT

node scripts/run-ts.js scripts/remove-region.ts "$file" "$region"

echo "teardown: pulumi preview --json --stack $stack" >&2
preview_status=0
pulumi preview --json --stack "$stack" >"$work/preview.json" || preview_status=$?
if [ "$preview_status" -ne 0 ]; then
  echo "teardown: pulumi preview exited with status $preview_status" >&2
fi

check_args=(--region "$region")
if [ "$force" = yes ]; then check_args+=(--force); fi
check_status=0
node scripts/run-ts.js scripts/teardown-check.ts "${check_args[@]}" "$work/preview.json" >"$work/targets" ||
  check_status=$?
if [ "$check_status" -ne 0 ]; then
  echo "teardown: nothing was changed in the cloud" >&2
  exit 1
fi
if [ "$preview_status" -ne 0 ]; then
  echo "teardown: the preview failed; nothing was changed in the cloud" >&2
  exit 1
fi
if [ "$check_only" = yes ]; then
  echo "teardown: --check-only: the teardown of $region would be allowed; $file left as it was" >&2
  exit 0
fi

targets=()
while IFS= read -r urn; do
  [ -n "$urn" ] && targets+=(--target "$urn")
done <"$work/targets"

# From here on the stack file describes the stack without the region: keep it, even if `up` fails
# halfway (run the script again, or `pulumi up`, to finish).
restore=no
echo "teardown: pulumi up --yes --stack $stack, targeting the $((${#targets[@]} / 2)) deletes" >&2
pulumi up --yes --stack "$stack" --target-dependents "${targets[@]}"
echo "teardown: $region is gone from stack $stack; commit $file" >&2
