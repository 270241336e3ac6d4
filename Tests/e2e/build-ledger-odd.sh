#!/bin/sh
# The ledger carries every value whole: a state directory with spaces, a backslash and
# quotes, a build name with a tab, a quote, a backslash, "=" and a leading dash, an OSS
# key and a disk path with spaces. A build and an import killed with SIGKILL leave a
# ledger from which `alicloud-build reclaim` releases everything (the upload's details
# read back exactly); a ledger written before values were escaped is still read.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
command -v setsid >/dev/null || fail "setsid (util-linux) is needed"

tab=$(printf '\t')
ALICLOUD_BUILD_STATE="$work/state dir \\ \"odd\" 'x'"
export ALICLOUD_BUILD_STATE
ab () { sh "$scripts/alicloud-build" "$@"; }
open_count () { ab ledgers | wc -l | tr -d ' '; }

# --- a build killed while provisioning ---------------------------------------------------
ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
bname="odd build \\ \"q\" =x${tab}-y"
# The slow template with that build name (JSON: the tab, quote and backslash escaped).
sed 's|"type": "alicloud-ecs",|"type": "alicloud-ecs", "name": "odd build \\\\ \\"q\\" =x\\t-y",|' \
	"$here/templates/slow.json" >"$work/odd.json"
[ "$(ALICLOUD_ACCESS_KEY=a ALICLOUD_SECRET_KEY=b tmpl-render "$work/odd.json" | tmpl-render --plan - --query 'builds[0].name')" = "$bname" ] ||
	fail "the template does not name the build as meant"
setsid sh "$scripts/alicloud-build" "$work/odd.json" >"$work/kill.out" 2>"$work/kill.err" &
pid=$!
_i=0
until grep -q provisioning-started "$work/kill.err" 2>/dev/null; do
	_i=$((_i + 1))
	[ "$_i" -lt 600 ] || { show kill; fail "the provisioner never started"; }
	kill -0 "$pid" 2>/dev/null || { show kill; fail "the build ended early"; }
	sleep 0.1
done
# Its log lines name the build whole.
grep -qF "==> $bname: Provisioning with shell script" "$work/kill.err" || { show kill; fail "the log lines do not name the build whole"; }
kill -KILL "-$pid"
wait "$pid" 2>/dev/null || :
dump >/dev/null
left=$(q temporaryCount)
[ "$left" -gt 0 ] || fail "expected resources left before reclaim"
[ "$(open_count)" = 1 ] || fail "ledgers: $(ab ledgers)"
[ -f "$(ab ledgers)" ] || fail "ledgers does not print the ledger's path whole: $(ab ledgers)"
ab reclaim >"$work/reclaim.out" 2>"$work/reclaim.err" || { show reclaim; fail "reclaim failed"; }
grep -qF "==> $bname: Releasing instance i-" "$work/reclaim.err" || { show reclaim; fail "reclaim did not name the build whole"; }
assert_no_leak "build SIGKILL + reclaim"
[ "$(open_count)" = 0 ] || fail "a ledger is still open after reclaim"
[ -z "$(ls "$ALICLOUD_BUILD_STATE/work")" ] || fail "reclaim left the killed build's work files"
ecs_sim_stop

# --- an import killed while its image is being made --------------------------------------
ALICLOUD_REGION=cn-hangzhou
ecs_sim_start --profile realistic --state "$work/sim2" || fail "ecs-sim did not start"
mkdir -p "$work/my disks"
disk="$work/my disks/disk v1.qcow2"
printf 'QFI\373\000\000\000\003' >"$disk"
printf '\000\000\000\005\000\000\000\000' | dd of="$disk" bs=1 seek=24 conv=notrunc 2>/dev/null
truncate -s 3M "$disk"
object="odd dir/my disk v1.qcow2"
setsid sh "$scripts/alicloud-build" import -bucket odd-disks -object "$object" -image-name slow_odd -keep-object "$disk" \
	>"$work/imp.out" 2>"$work/imp.err" &
pid=$!
_i=0
until grep -q 'as image m-' "$work/imp.err" 2>/dev/null; do
	_i=$((_i + 1))
	[ "$_i" -lt 600 ] || { show imp; fail "the import did not start"; }
	kill -0 "$pid" 2>/dev/null || { show imp; fail "the import ended before it could be killed"; }
	sleep 0.1
done
kill -KILL "-$pid"
wait "$pid" 2>/dev/null || :
dump >/dev/null
[ "$(q 'resources.images[*].name' --format raw)" = slow_odd ] || fail "no image being imported"
[ "$(q 'resources.oss.objects[*].key' --format raw)" = "$object" ] || fail "no uploaded object named whole: $(q resources.oss --format json)"
ab reclaim >"$work/reclaim2.out" 2>"$work/reclaim2.err" || { show reclaim2; fail "import reclaim failed"; }
dump >/dev/null
[ "$(q 'resources.images' --format count)" = 0 ] || fail "the unfinished image is left"
# The upload is given up and its object deleted (-keep-object keeps only a finished import's).
[ "$(q 'resources.oss.objects' --format count)" = 0 ] || fail "the object is left: $(q resources.oss --format json)"
[ "$(q 'resources.oss.uploads' --format count)" = 0 ] || fail "the multipart upload is left"
[ "$(open_count)" = 0 ] || fail "the import's ledger is still open"
[ -f "$disk" ] || fail "the disk file is gone"

# --- a ledger written before the escaping -------------------------------------------------
vpc=$(ecs-call --product vpc --query VpcId CreateVpc RegionId=cn-hangzhou CidrBlock=172.16.0.0/12) || fail "CreateVpc"
old="$ALICLOUD_BUILD_STATE/ledgers/ait-old.ledger"
{
	printf '2026-01-01T00:00:00Z\tstart\tbuild\tait-old\tcn-hangzhou\tname=old tag=image-tools-build-id endpoint=%s pid=1 work= run=\n' "$ECS_SIM_URL"
	printf '2026-01-01T00:00:01Z\tintent\tvpc\t-\tcn-hangzhou\ttoken=ait-1-00\n'
	printf '2026-01-01T00:00:02Z\tcreated\tvpc\t%s\tcn-hangzhou\t\n' "$vpc"
} >"$old"
ab reclaim "$old" >"$work/reclaim3.out" 2>"$work/reclaim3.err" || { show reclaim3; fail "an old ledger could not be reclaimed"; }
grep -qF "==> old: Releasing VPC $vpc" "$work/reclaim3.err" || { show reclaim3; fail "the old ledger's name was not read"; }
dump >/dev/null
[ "$(q 'resources.vpcs' --format count)" = 0 ] || fail "the old ledger's VPC is left"
assert_no_secret
printf 'build-ledger-odd: build and import killed, reclaimed from their ledgers in "%s"; old ledger read\n' "$ALICLOUD_BUILD_STATE"
