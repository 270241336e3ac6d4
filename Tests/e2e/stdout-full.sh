#!/bin/sh
# A write to standard output that fails is a failure, never a silent 0: each tool that
# prints (tmpl-render, ecs-call, snap-wait, img-import, ecs-sim, http-serve) exits 74 with
# "TOOL: stdout: No space left on device" when its stdout is /dev/full, and exits 0 when
# it can write. (ssh-run: Tests/e2e/ssh-run-basic.sh; winrm-run: WinRMRunCLITests.)
set -eu
umask 077
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/lib/ecs-sim.sh
. "$repo/scripts/lib/ecs-sim.sh"
# shellcheck source=Tests/e2e/lib/skip.sh
. "$here/lib/skip.sh"
work=$(mktemp -d)
cleanup () { ecs_sim_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
[ -c /dev/full ] || skip "no /dev/full here"

# full TOOL COMMAND... — runs COMMAND (TOOL, or a timeout around it) with stdout on
# /dev/full: it must exit 74 and say why in one line.
full () {
	_tool=$1
	shift
	_rc=0
	"$@" >/dev/full 2>"$work/err" || _rc=$?
	[ "$_rc" -eq 74 ] || { cat "$work/err" >&2; fail "$*: exit $_rc with stdout on /dev/full, want 74"; }
	grep -qx "$_tool: stdout: No space left on device" "$work/err" || fail "$*: message: $(cat "$work/err")"
}

unset ALICLOUD_PROFILE ALIBABA_CLOUD_PROFILE ALICLOUD_SECURITY_TOKEN
export ALICLOUD_REGION=cn-hangzhou HOME="$work" no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
ecs_sim_start --profile instant --state "$work/sim" || fail "ecs-sim did not start"

# tmpl-render: the plan, a query of a saved plan, and --help; --validate writes nothing.
template=$repo/examples/alicloud.json
tmpl-render "$template" >"$work/plan.json" || fail "tmpl-render cannot render $template"
full tmpl-render tmpl-render "$template"
full tmpl-render tmpl-render --plan "$work/plan.json" --query 'builds[0].name'
full tmpl-render tmpl-render --help
tmpl-render --validate "$template" >/dev/full || fail "--validate writes nothing, yet failed"

# ecs-call: a call, a saved response, --dry-run, --help.
ecs-call DescribeRegions >/dev/null || fail "DescribeRegions failed"
full ecs-call ecs-call DescribeRegions
full ecs-call ecs-call --from-response "$work/plan.json" --query 'builds[*].name'
full ecs-call ecs-call --dry-run DescribeRegions
full ecs-call ecs-call --help

# snap-wait: the description of a VPC that is ready.
vpc=$(ecs-call --product vpc CreateVpc CidrBlock=172.16.0.0/12 --query VpcId) || fail "CreateVpc failed"
snap-wait --vpc "$vpc" --status Available >/dev/null || fail "snap-wait failed"
full snap-wait snap-wait --vpc "$vpc" --status Available

# img-import: the image is made; only its report is lost (74, not 0).
disk=$work/disk.qcow2
printf 'QFI\373\000\000\000\003' >"$disk"
dd if=/dev/zero of="$disk" bs=64k count=16 seek=1 conv=notrunc 2>/dev/null
printf '\000\000\000\005\000\000\000\000' | dd of="$disk" bs=1 seek=24 conv=notrunc 2>/dev/null
full img-import img-import --bucket disks --create-bucket --create-role --image-name stdout-full \
	--state-dir "$work/import" "$disk"
[ "$(ecs-call DescribeImages ImageName=stdout-full --query 'Images.Image' --format count)" = 1 ] ||
	fail "img-import: the image was not made"

# ecs-sim: --dump, and a server whose address cannot be printed stops at once.
ecs-sim --dump --state "$work/sim" >/dev/null || fail "ecs-sim --dump failed"
full ecs-sim ecs-sim --dump --state "$work/sim"
full ecs-sim timeout 30 ecs-sim --listen 127.0.0.1:0 --state "$work/sim2"

# http-serve: the port it would serve on cannot be told, so it does not serve.
mkdir "$work/www"
full http-serve timeout 30 http-serve "$work/www"
printf 'stdout-full: every tool exits 74 when its standard output cannot be written\n'
