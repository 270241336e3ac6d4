#!/bin/sh
# img-import end to end: bad input (exit codes, nothing uploaded), a real kill during a
# multipart upload and the resumed run, --abort, and the oss2 SDK against the OSS server.
# OSS is OSSService behind Tests/oss/oss-serve; ECS/RAM is Tests/e2e/img-import-api.py.
set -eu
umask 077
prog=img-import.sh
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${BIN:-$repo/.build/debug}
work=$(mktemp -d)
oss_pid=
api_pid=
imp_pid=
cleanup () {
	for p in $imp_pid $oss_pid $api_pid; do kill "$p" 2>/dev/null || :; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

conf=$(basename "$BIN")
(cd "$repo" && sh Tests/oss/build-serve "$conf" "$work/oss-serve" >/dev/null) || die "cannot build oss-serve"
mkdir -p "$work/root/oss"
"$work/oss-serve" "$work/root/oss" >"$work/oss.port" &
oss_pid=$!
python3 "$here/img-import-api.py" "$work/root" "$work/api.port" &
api_pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -s "$work/oss.port" ] && [ -s "$work/api.port" ] && break
	sleep 0.25
done
[ -s "$work/oss.port" ] && [ -s "$work/api.port" ] || die "servers did not start"

unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALICLOUD_PROFILE ALIBABA_CLOUD_PROFILE
export ALICLOUD_ACCESS_KEY=LTAI5tSimAccessKeyId01
export ALICLOUD_SECRET_KEY=SimSecretKey0123456789abcdefXYZ
export ALICLOUD_REGION=cn-hangzhou
export ALICLOUD_OSS_ENDPOINT="http://127.0.0.1:$(cat "$work/oss.port")"
export ALICLOUD_ENDPOINT="http://127.0.0.1:$(cat "$work/api.port")"
export HOME="$work" no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
state="$work/state"

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
common="--bucket disks --image-name e2e-image --state-dir $state"

# Bad input: clear errors, nothing uploaded.
expect_status 66 img-import $common "$work/missing.qcow2"
grep -q 'missing.qcow2: No such file or directory' "$work/err" || die "missing file message: $(cat "$work/err")"
expect_status 65 img-import $common --format vhd "$disk"
grep -q -- '--format vhd but the file is qcow2 v3' "$work/err" || die "format message: $(cat "$work/err")"
expect_status 65 img-import $common --system-size 10 "$disk"
expect_status 64 img-import $common --parallel 0 "$disk"
expect_status 64 img-import --image-name x "$disk"
expect_status 64 img-import $common --image-name 9bad "$disk"
expect_status 65 img-import $common "$disk"     # bucket missing, no --create-bucket
grep -q 'add --create-bucket' "$work/err" || die "bucket message: $(cat "$work/err")"
env -u ALICLOUD_ACCESS_KEY -u ALICLOUD_SECRET_KEY img-import $common "$disk" >/dev/null 2>&1 && die "ran without credentials"
expect_status 0 img-import --help
grep -q -- '--oss-endpoint URL' "$work/out" || die "help lacks --oss-endpoint"
[ -z "$(ls "$work/root/oss")" ] || die "bad input created something in OSS: $(ls -R "$work/root/oss")"

# A real kill in the middle of a multipart upload, then the same command resumes it.
img-import $common --create-bucket --part-size 1 --parallel 1 --tag team=infra "$disk" >"$work/out1" 2>"$work/err1" &
imp_pid=$!
parts=0
for _ in $(seq 1 200); do
	parts=$(find "$work/root/oss/disks/uploads" -name '*.part' 2>/dev/null | wc -l)
	[ "$parts" -ge 5 ] && break
	sleep 0.05
done
kill -9 "$imp_pid" 2>/dev/null || :
wait "$imp_pid" 2>/dev/null || :
imp_pid=
[ "$parts" -ge 5 ] || die "no parts were uploaded before the kill ($(cat "$work/err1"))"
[ -n "$(ls "$state")" ] || die "no resume state after the kill"
img-import $common --part-size 1 --parallel 3 --tag team=infra "$disk" >"$work/out2" 2>"$work/err2" || { cat "$work/err2" >&2; die "resumed run failed"; }
grep -q 'resuming upload' "$work/err2" || die "the second run did not resume: $(cat "$work/err2")"
resumed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Upload"]["ResumedParts"])' "$work/out2")
[ "$resumed" -ge 5 ] || die "resumed only $resumed parts"
python3 - "$work/out2" <<'PY' || die "bad result: $(cat "$work/out2")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ImageId"].startswith("m-e2e") and r["Format"] == "QCOW2" and r["DiskImageSize"] == 20, r
assert r["Upload"]["Parts"] == 49 and r["ObjectDeleted"] is True and r["SnapshotIds"] == ["s-" + r["ImageId"]], r
PY
grep -q '"Action": "TagResources"' "$work/root/api.log" || die "no TagResources call"
[ -z "$(ls "$work/root/oss/disks/objects")" ] || die "the object was not deleted"
[ -z "$(ls "$work/root/oss/disks/uploads")" ] || die "an upload was left behind"
[ -z "$(ls "$state")" ] || die "resume state left after success"

# --abort gives an interrupted upload up.
img-import $common --image-name e2e-two --part-size 1 --parallel 1 "$disk" >/dev/null 2>&1 &
imp_pid=$!
for _ in $(seq 1 200); do
	[ "$(find "$work/root/oss/disks/uploads" -name '*.part' 2>/dev/null | wc -l)" -ge 2 ] && break
	sleep 0.05
done
kill -9 "$imp_pid" 2>/dev/null || :
wait "$imp_pid" 2>/dev/null || :
imp_pid=
expect_status 0 img-import $common --image-name e2e-two --abort "$disk"
grep -q 'aborted upload' "$work/err" || die "abort message: $(cat "$work/err")"
[ -z "$(ls "$work/root/oss/disks/uploads")" ] || die "abort left the upload"

# The official oss2 SDK against the same server, when it is installed.
if python3 -c 'import oss2' 2>/dev/null; then
	python3 "$repo/Tests/oss/oss2-fidelity.py" "$ALICLOUD_OSS_ENDPOINT" "$work/oss2" >/dev/null || die "oss2 fidelity failed"
fi
printf '%s: ok\n' "$prog"
