# Helpers for the orchestrator's end-to-end tests (sourced): an emulated cloud per test,
# alicloud-build runs with their stdout, stderr and exit status kept apart, and the checks
# every build test makes (no temporary resource left, no secret in any output).
# shellcheck source=scripts/lib/ecs-sim.sh disable=SC1091
. "$here/../../scripts/lib/ecs-sim.sh"
scripts=$(cd "$here/../../scripts" && pwd)
work=$(mktemp -d)
cleanup () { ecs_sim_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
# shellcheck source=Tests/e2e/lib/skip.sh
. "$here/lib/skip.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (emulated instances are sshd hosts on port 22)"

ALICLOUD_BUILD_STATE=$work/state
export ALICLOUD_BUILD_STATE

# build NAME [alicloud-build args...] — runs a build; NAME.out / NAME.err / NAME.rc in $work.
# With BUILD_TIMEOUT=S the build gets SIGTERM after S seconds (it then cleans up, exit 143),
# so a broken communicator cannot hold a test for a template's whole ssh/winrm_timeout.
build () {
	_b=$1
	shift
	_rc=0
	${BUILD_TIMEOUT:+timeout -s TERM "$BUILD_TIMEOUT"} sh "$scripts/alicloud-build" "$@" >"$work/$_b.out" 2>"$work/$_b.err" || _rc=$?
	printf '%s\n' "$_rc" >"$work/$_b.rc"
	return 0
}
rc_of () { cat "$work/$1.rc"; }
show () { printf -- '--- stderr of %s:\n' "$1" >&2; tail -n 40 "$work/$1.err" >&2; }

# image_disk NAME — the file tree of the system-disk snapshot of the image build NAME made
# (its artifact line in NAME.out), where ecs-sim keeps it.
image_disk () {
	_img=$(sed -n 's/^[a-z0-9-]*: \(m-[a-z0-9]*\)$/\1/p' "$work/$1.out" | head -n 1)
	[ -n "$_img" ] || { show "$1"; fail "$1: no artifact"; }
	_snap=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId="$ALICLOUD_REGION" ImageId="$_img" \
		--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
	[ -d "$work/sim/host/snapshots/$_snap" ] || fail "$1: no snapshot tree for image $_img"
	printf '%s\n' "$work/sim/host/snapshots/$_snap"
}

# ended PID SECONDS — waits for a signalled background build to end by itself (the test
# fails after SECONDS); its exit status in $ended_rc.
ended () {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt $(($2 * 10)) ] || fail "pid $1: still running $2 s after the signal"
		sleep 0.1
	done
	ended_rc=0
	wait "$1" || ended_rc=$?
}

dump () { ecs_sim_dump >"$work/dump.json" && cat "$work/dump.json"; }
q () { ecs-call --from-response "$work/dump.json" --query "$@"; }

# No instance, disk, EIP, VPC, VSwitch, security group, key pair or orphan snapshot left.
assert_no_leak () {
	dump >/dev/null || fail "cannot read ecs-sim's dump"
	_left=$(q temporaryCount)
	[ "$_left" = 0 ] || { q temporary --format json >&2; fail "$1: $_left temporary resources left"; }
}

# The secret key never appears in any output, anywhere in the build state (ledgers, work
# files: the plan is never written) or in the emulator's request log.
assert_no_secret () {
	for _f in "$work"/*.out "$work"/*.err; do
		[ -f "$_f" ] || continue
		! grep -qF "$ALICLOUD_SECRET_KEY" "$_f" || fail "the secret key is in $_f"
	done
	! grep -rqF "$ALICLOUD_SECRET_KEY" "$ALICLOUD_BUILD_STATE" 2>/dev/null || fail "the secret key is in the build state: $(grep -rlF "$ALICLOUD_SECRET_KEY" "$ALICLOUD_BUILD_STATE")"
	[ -z "${ECS_SIM_LOG:-}" ] || ! grep -qF "$ALICLOUD_SECRET_KEY" "$ECS_SIM_LOG" || fail "the secret key is in ecs-sim's log"
}

# with_sim FAULTS: a fresh emulator for the next build, with these faults (deterministic seed).
with_sim () {
	ecs_sim_stop
	rm -rf "$work/sim"
	ecs_sim_start --profile fast --state "$work/sim" --seed 7 ${1:+--faults "$1"} || fail "ecs-sim did not start"
}
