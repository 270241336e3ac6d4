#!/bin/sh
# img-import end to end against ecs-sim (OSS, ECS and RAM on one port): bad input (exit
# codes, nothing uploaded), the missing RAM role, a real kill during a multipart upload and
# the resumed run, the image ImportImage made from the object, --abort, and the official
# oss2 SDK against ecs-sim's OSS.
set -eu
umask 077
prog=img-import.sh
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${BIN:-$repo/.build/debug}
# shellcheck source=scripts/lib/ecs-sim.sh
. "$repo/scripts/lib/ecs-sim.sh"
work=$(mktemp -d)
imp_pid=
cleanup () {
	[ -z "$imp_pid" ] || kill "$imp_pid" 2>/dev/null || :
	ecs_sim_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALICLOUD_PROFILE ALIBABA_CLOUD_PROFILE ALICLOUD_SECURITY_TOKEN
export ALICLOUD_REGION=cn-hangzhou
ecs_sim_start --state "$work/sim" || die "ecs-sim did not start"
[ "$ALICLOUD_OSS_ENDPOINT" = "$ALICLOUD_ENDPOINT" ] || die "OSS does not share ecs-sim's port"
export HOME="$work" no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
oss="$work/sim/oss"
state="$work/state"
dump () { ecs_sim_dump >"$work/dump.json" || die "no dump"; python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$work/dump.json"; }

# A 48 MiB qcow2-looking disk: magic, version 3, virtual size 20 GiB.
disk="$work/disk.qcow2"
printf 'QFI\373\000\000\000\003' >"$disk"
dd if=/dev/urandom of="$disk" bs=1M count=48 seek=1 conv=notrunc 2>/dev/null
printf '\000\000\000\005\000\000\000\000' | dd of="$disk" bs=1 seek=24 conv=notrunc 2>/dev/null
printf '\000\000\000\000' | dd of="$disk" bs=1 seek=32 conv=notrunc 2>/dev/null

expect_status () { # want, then the command
	_want=$1; shift
	set +e; "$@" >"$work/out" 2>"$work/err"; _got=$?; set -e
	[ "$_got" -eq "$_want" ] || { cat "$work/err" >&2; die "$*: exit $_got, want $_want"; }
}
imp () { img-import --bucket disks --image-name e2e-image --state-dir "$state" "$@"; }

# Bad input: clear errors, nothing uploaded.
expect_status 66 imp "$work/missing.qcow2"
grep -q 'missing.qcow2: No such file or directory' "$work/err" || die "missing file message: $(cat "$work/err")"
expect_status 65 imp --format vhd "$disk"
grep -q -- '--format vhd but the file is qcow2 v3' "$work/err" || die "format message: $(cat "$work/err")"
expect_status 65 imp --system-size 10 "$disk"
expect_status 64 imp --parallel 0 "$disk"
expect_status 64 img-import --image-name x "$disk"
expect_status 64 imp --image-name 9bad "$disk"
expect_status 64 imp --resource-group-id default "$disk"
grep -q -- '--resource-group-id default: not a resource group id' "$work/err" || die "resource group message: $(cat "$work/err")"
expect_status 65 imp "$disk"     # bucket missing, no --create-bucket
grep -q 'add --create-bucket' "$work/err" || die "bucket message: $(cat "$work/err")"
(unset ALICLOUD_ACCESS_KEY ALICLOUD_SECRET_KEY; imp "$disk") >/dev/null 2>&1 && die "ran without credentials"
expect_status 0 img-import --help
grep -q -- '--oss-endpoint URL' "$work/out" || die "help lacks --oss-endpoint"
[ -z "$(ls "$oss")" ] || die "bad input created something in OSS: $(ls -R "$oss")"
[ "$(dump 'd["requests"].get("ImportImage", 0)')" = 0 ] || die "bad input reached ImportImage"

# The RAM role ImportImage needs is missing in a new account: a clear message (78), and
# only the bucket (free) was created.
expect_status 78 imp --create-bucket "$disk"
grep -q 'AliyunECSImageImportDefaultRole does not exist.*--create-role' "$work/err" || die "role message: $(cat "$work/err")"
[ "$(dump 'len(d["resources"]["oss"]["objects"]) + len(d["resources"]["oss"]["uploads"])')" = 0 ] || die "uploaded without the role"

# A real kill in the middle of a multipart upload, then the same command resumes it.
# (img-import itself in the background, not the imp function: that job would be a
# subshell, and kill -9 would leave img-import running on beside the next command.)
img-import --bucket disks --image-name e2e-image --state-dir "$state" --create-role --part-size 1 --parallel 1 --tag team=infra "$disk" \
	>"$work/out1" 2>"$work/err1" &
imp_pid=$!
parts=0
for _ in $(seq 1 600); do
	parts=$(find "$oss/disks/uploads" -name '*.part' 2>/dev/null | wc -l)
	[ "$parts" -ge 5 ] && break
	sleep 0.05
done
kill -9 "$imp_pid" 2>/dev/null || :
wait "$imp_pid" 2>/dev/null || :
imp_pid=
[ "$parts" -ge 5 ] || die "no parts were uploaded before the kill ($(cat "$work/err1"))"
[ -n "$(ls "$state")" ] || die "no resume state after the kill"
imp --part-size 1 --parallel 3 --tag team=infra "$disk" >"$work/out2" 2>"$work/err2" || { cat "$work/err2" >&2; die "resumed run failed"; }
grep -q 'resuming upload' "$work/err2" || die "the second run did not resume: $(cat "$work/err2")"
resumed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Upload"]["ResumedParts"])' "$work/out2")
[ "$resumed" -ge 5 ] || die "resumed only $resumed parts"
ecs_sim_dump >"$work/dump.json"
python3 - "$work/out2" "$work/dump.json" <<'PY' || die "bad result: $(cat "$work/out2")"
import json, sys
r = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
assert r["ImageId"].startswith("m-") and r["Format"] == "QCOW2" and r["DiskImageSize"] == 20, r
assert r["Upload"]["Parts"] == 49 and r["ObjectDeleted"] is True and r["Status"] == "Available", r
img = [i for i in d["resources"]["images"] if i["id"] == r["ImageId"]][0]
m = img["mappings"][0]
assert r["SnapshotIds"] == [m["snapshotId"]] and m["format"] == "QCOW2" and m["size"] == 20, img
assert m["importBucket"] == "disks" and m["importObject"] == r["Object"], img
assert {"key": "team", "value": "infra"} in img["tags"], img
snap = [s for s in d["resources"]["snapshots"] if s["id"] == m["snapshotId"]][0]
assert snap["status"] == "accomplished" and {"key": "team", "value": "infra"} in snap["tags"], snap
assert [t["status"] for t in d["resources"]["tasks"] if t["resourceId"] == r["ImageId"]] == ["Finished"], d["resources"]["tasks"]
assert d["requests"]["ImportImage"] == 1 and d["temporaryCount"] == 0, d["temporary"]
PY
[ -z "$(ls "$oss/disks/objects")" ] || die "the object was not deleted"
[ -z "$(ls "$oss/disks/uploads")" ] || die "an upload was left behind"
[ -z "$(ls "$state")" ] || die "resume state left after success"

# --abort gives an interrupted upload up.
img-import --bucket disks --image-name e2e-two --state-dir "$state" --part-size 1 --parallel 1 "$disk" >/dev/null 2>&1 &
imp_pid=$!
for _ in $(seq 1 600); do
	[ "$(find "$oss/disks/uploads" -name '*.part' 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.05
done
kill -9 "$imp_pid" 2>/dev/null || :
wait "$imp_pid" 2>/dev/null || :
imp_pid=
expect_status 0 imp --image-name e2e-two --abort "$disk"
grep -q 'aborted upload' "$work/err" || die "abort message: $(cat "$work/err")"
[ -z "$(ls "$oss/disks/uploads")" ] || die "abort left the upload"

[ "$(dump 'd["temporaryCount"]')" = 0 ] || die "something billable is left: $(dump 'd["temporary"]')"

# The official oss2 SDK, unchanged, against ecs-sim's OSS.
if ! python3 -c 'import oss2' 2>/dev/null; then
	python3 -m pip install -q --disable-pip-version-check oss2 >/dev/null 2>&1 || die "cannot install oss2 (pip)"
fi
python3 "$repo/Tests/oss/oss2-fidelity.py" "$ALICLOUD_OSS_ENDPOINT" "$work/oss2" >"$work/oss2.out" 2>&1 ||
	{ cat "$work/oss2.out" >&2; die "oss2 fidelity failed"; }
printf '%s: ok\n' "$prog"
