#!/bin/sh
# bench/build.sh [BINDIR] — builds the seed's template (examples/alicloud.json, unchanged) on
# ecs-sim with the `realistic` latency profile, once with this toolkit and once with Debian's
# packer 1.6.6 (pointed at ecs-sim through HTTP_PROXY), each against a fresh emulator, and
# prints wall time and API-call count for both and their ratios.
# Targets (issue 6): wall time at most 0.8x Packer's, at most half its API calls.
set -eu
bindir=$(cd "${1:-.build/release}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PATH=$bindir:$PATH
export PATH
# shellcheck source=scripts/lib/ecs-sim.sh
. "$root/scripts/lib/ecs-sim.sh"
command -v packer >/dev/null 2>&1 || { printf 'bench/build: packer is not installed (apt-get install packer)\n' >&2; exit 78; }
[ "$(id -u)" -eq 0 ] || { printf 'bench/build: needs root (emulated instances are sshd hosts on port 22)\n' >&2; exit 77; }
profile=${PROFILE:-realistic}
work=$(mktemp -d)
# KEEP=DIR keeps both runs' logs and emulator state (requests.jsonl) for a breakdown.
trap 'ecs_sim_stop; [ -z "${KEEP:-}" ] || { mkdir -p "$KEEP" && cp -R "$work"/. "$KEEP"/; }; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
template=$root/examples/alicloud.json
ms () { date +%s%3N; }

# toolkit
ecs_sim_start --profile "$profile" --state "$work/sim-kit" >/dev/null
t0=$(ms)
ALICLOUD_BUILD_STATE=$work/state sh "$root/scripts/alicloud-build" "$template" >"$work/kit.out" 2>"$work/kit.err" \
	|| { tail -n 20 "$work/kit.err" >&2; exit 1; }
kit_ms=$(($(ms) - t0))
kit_calls=$(ecs_sim_dump | ecs-call --from-response - --query requestTotal)
kit_left=$(ecs_sim_temporary_count)
ecs_sim_stop

# packer 1.6.6
ecs_sim_start --profile "$profile" --state "$work/sim-packer" >/dev/null
t0=$(ms)
HTTP_PROXY=$ECS_SIM_URL HTTPS_PROXY=$ECS_SIM_URL CHECKPOINT_DISABLE=1 PACKER_CACHE_DIR="$work/cache" HOME="$work" \
	packer build -color=false "$template" >"$work/packer.log" 2>&1 || { tail -n 20 "$work/packer.log" >&2; exit 1; }
packer_ms=$(($(ms) - t0))
packer_calls=$(ecs_sim_dump | ecs-call --from-response - --query requestTotal)
packer_left=$(ecs_sim_temporary_count)
ecs_sim_stop

ratio () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf 'seed template on ecs-sim, profile %s\n' "$profile"
printf '%-10s %10s %10s %10s\n' tool 'wall (s)' 'API calls' 'left'
printf '%-10s %10.1f %10d %10d\n' toolkit "$(ratio "$kit_ms" 1000)" "$kit_calls" "$kit_left"
printf '%-10s %10.1f %10d %10d\n' packer "$(ratio "$packer_ms" 1000)" "$packer_calls" "$packer_left"
printf 'ratio (toolkit/packer): wall %s (target <= 0.80), API calls %s (target <= 0.50)\n' \
	"$(ratio "$kit_ms" "$packer_ms")" "$(ratio "$kit_calls" "$packer_calls")"
