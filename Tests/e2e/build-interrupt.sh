#!/bin/sh
# Interrupted builds leave nothing: SIGINT, SIGTERM and SIGHUP during provisioning (to the
# build, or to its whole process group) end the build within seconds with 130 / 143 / 129
# after a full cleanup; a build started under nohup (SIGHUP ignored) runs on through a
# hangup to its image, as Packer does; a build whose every process is killed
# with SIGKILL is cleaned up by a later `alicloud-build reclaim` (what `make clean` runs)
# from its ledger and the build-id tag.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
command -v setsid >/dev/null || fail "setsid (util-linux) is needed"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
template=$here/templates/slow.json

# start NAME [ignore]: a build in its own process group, waiting until its provisioner runs;
# with "ignore", started with SIGHUP ignored (as under nohup).
start () {
	# A background job starts with SIGINT ignored, and a run under nohup with SIGHUP ignored
	# (a shell cannot trap a signal ignored on entry); a user at a terminal has both delivered.
	setsid env --default-signal=INT "--${2:-default}-signal=HUP" sh "$scripts/alicloud-build" "$template" >"$work/$1.out" 2>"$work/$1.err" &
	pid=$!
	_i=0
	until grep -q provisioning-started "$work/$1.err" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt 600 ] || { show "$1"; fail "$1: the provisioner never started"; }
		kill -0 "$pid" 2>/dev/null || { show "$1"; fail "$1: the build ended early"; }
		sleep 0.1
	done
}
# finish NAME EXPECTED-STATUS: the build ends by itself within 30 s with that status.
finish () {
	ended "$pid" 30
	[ "$ended_rc" = "$2" ] || { show "$1"; fail "$1: exit $ended_rc, wanted $2"; }
}

start int
kill -INT "$pid"
finish int 130
grep -q 'Cancelling build after receiving interrupt' "$work/int.err" || fail "int: no cancel line"
grep -q "because of cancellation or error" "$work/int.err" || fail "int: no cleanup lines"
assert_no_leak "SIGINT"

start term
kill -TERM "$pid"
finish term 143
assert_no_leak "SIGTERM"

# SIGKILL to every process of the build: nothing runs any cleanup...
# A hangup reaches the whole process group, as when the terminal or the SSH session to the
# build machine closes; so does the TERM of a CI runner cancelling a job. Every process gets
# it, the provisioner's output filter too: the build still cleans up and says so.
start hup
kill -HUP "-$pid"
finish hup 129
grep -q "because of cancellation or error" "$work/hup.err" || { show hup; fail "hup: no cleanup lines"; }
assert_no_leak "SIGHUP"
start gterm
kill -TERM "-$pid"
finish gterm 143
grep -q "because of cancellation or error" "$work/gterm.err" || { show gterm; fail "TERM to the group: no cleanup lines"; }
assert_no_leak "SIGTERM to the process group"

# Started under nohup: the hangup to the whole group is ignored by every process of the
# build, ssh-run and ssh too, and the build ends with its image.
template0=$template
python3 - "$template" >"$work/brief.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["builders"][0]["image_name"] = "nohup_image"
t["provisioners"][0]["inline"] = ["echo provisioning-started", "sleep 3", "echo provisioning-ended"]
print(json.dumps(t))
PY
template=$work/brief.json
start nohup ignore
kill -HUP "-$pid"
ended "$pid" 120
[ "$ended_rc" = 0 ] || { show nohup; fail "nohup: a hangup ended the build (exit $ended_rc), wanted it to run on"; }
grep -q provisioning-ended "$work/nohup.err" || { show nohup; fail "nohup: the provisioner did not finish"; }
grep -q "^cn-beijing: m-" "$work/nohup.out" || { show nohup; fail "nohup: no image in the artifact"; }
assert_no_leak "SIGHUP under nohup"
template=$template0
# ...while Ctrl-C still stops it, ssh in its own process group too.
start nohupint ignore
kill -INT "-$pid"
finish nohupint 130
grep -q "because of cancellation or error" "$work/nohupint.err" || { show nohupint; fail "nohup: Ctrl-C: no cleanup lines"; }
assert_no_leak "SIGINT to the group under nohup"

start kill
kill -KILL "-$pid"
wait "$pid" 2>/dev/null || :
sleep 0.5
dump >/dev/null
left=$(q temporaryCount)
[ "$left" -gt 0 ] || fail "kill: expected resources left before reclaim"
[ -n "$(sh "$scripts/alicloud-build" ledgers)" ] || fail "kill: no open ledger"
# ...and the ledger lets a later reclaim release everything.
sh "$scripts/alicloud-build" reclaim >"$work/reclaim.out" 2>"$work/reclaim.err" || { show reclaim; fail "reclaim failed"; }
assert_no_leak "SIGKILL + reclaim"
[ -z "$(sh "$scripts/alicloud-build" ledgers)" ] || fail "a ledger is still open after reclaim"
[ -z "$(ls "$ALICLOUD_BUILD_STATE/work")" ] || fail "reclaim left the killed build's work files (its SSH key)"
# Reclaim is idempotent.
sh "$scripts/alicloud-build" reclaim >/dev/null 2>&1 || fail "a second reclaim failed"

# The template's own EIP (eip_id), bound when the build is killed: reclaim unbinds it from
# the instance it deletes and keeps it (it is the user's).
eip=$(ecs-call --product vpc AllocateEipAddress RegionId=cn-beijing --query AllocationId)
python3 - "$template" "$eip" >"$work/slow-eip.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["builders"][0]["eip_id"] = sys.argv[2]
print(json.dumps(t))
PY
template=$work/slow-eip.json
start eip
kill -KILL "-$pid"
wait "$pid" 2>/dev/null || :
dump >/dev/null
inst=$(ecs-call --product vpc DescribeEipAddresses RegionId=cn-beijing AllocationId="$eip" --query 'EipAddresses.EipAddress[0].InstanceId')
[ -n "$inst" ] || fail "eip: the EIP was not bound when the build was killed"
sh "$scripts/alicloud-build" reclaim >"$work/reclaim.out" 2>"$work/reclaim.err" || { show reclaim; fail "eip: reclaim failed"; }
grep '"UnassociateEipAddress"' "$work/sim/requests.jsonl" | grep -q "$inst" || fail "eip: reclaim did not unbind the EIP from $inst"
st=$(ecs-call --product vpc DescribeEipAddresses RegionId=cn-beijing AllocationId="$eip" --query 'EipAddresses.EipAddress[0].Status')
[ "$st" = Available ] || fail "eip: the user's EIP is $st after reclaim, wanted Available (kept, unbound)"
ecs-call --product vpc ReleaseEipAddress RegionId=cn-beijing AllocationId="$eip" >/dev/null
assert_no_leak "SIGKILL with eip_id + reclaim"
assert_no_secret
printf 'build-interrupt: SIGINT 130, SIGTERM 143, SIGHUP and group TERM 129/143, nohup runs on (Ctrl-C still stops it), SIGKILL + reclaim: nothing left (%s leftovers reclaimed); eip_id unbound, kept\n' "$left"
