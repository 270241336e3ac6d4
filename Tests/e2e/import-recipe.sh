#!/bin/sh
# make import: a local qcow2 through the template's alicloud-import post-processor (and
# through variables alone) against ecs-sim: Packer's log lines, the artifact on stdout,
# the image and its tags, nothing billable left; bad input uploads nothing; an
# interrupted import releases its object and its unfinished image.
set -eu
umask 077
prog=import-recipe.sh
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${BIN:-$repo/.build/debug}
PATH="$BIN:$PATH"
# shellcheck source=scripts/lib/ecs-sim.sh
. "$repo/scripts/lib/ecs-sim.sh"
work=$(mktemp -d)
imp=
# An import still running is stopped and waited for before the emulator goes: its cleanup
# (a reclaim retrying for minutes) must not outlive it and reach a later test's emulator
# that got the same port (where, ids being drawn per run, it would only meet NotFound).
cleanup () {
	if [ -n "$imp" ]; then kill "$imp" 2>/dev/null || :; wait "$imp" 2>/dev/null || :; fi
	ecs_sim_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALICLOUD_PROFILE ALICLOUD_SECURITY_TOKEN
export HOME="$work" ALICLOUD_BUILD_STATE="$work/build-state" no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
export ALICLOUD_REGION=cn-hangzhou
build () { sh "$repo/scripts/alicloud-build" "$@"; }
dump () { ecs_sim_dump >"$work/dump.json" || die "no dump"; python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$work/dump.json"; }

# A small sparse qcow2: v3 header, 20 GiB virtual, 3 MiB of file.
disk="$work/disk.qcow2"
printf 'QFI\373\000\000\000\003' >"$disk"
printf '\000\000\000\005\000\000\000\000' | dd of="$disk" bs=1 seek=24 conv=notrunc 2>/dev/null
truncate -s 3M "$disk"
printf 'not a disk image\n' >"$work/notes.txt"

# The recipe: make passes the template's settings through alicloud-build import.
flat () { tr '\n\t' '  ' <"$work/make.n" | sed 's/[\\]/ /g' | tr -s ' '; }
make -s -n -C "$repo" import IMAGE="$disk" TEMPLATE=t.json BUCKET=b REGION=cn-beijing >"$work/make.n"
flat | grep -q "alicloud-build import -template t.json -bucket b -region cn-beijing -on-error=cleanup $disk" ||
	die "make import does not run alicloud-build import: $(cat "$work/make.n")"
make -s -n -C "$repo" import IMAGE="$disk" BUCKET=b IMAGE_NAME=n >"$work/make.n"
flat | grep -q "alicloud-build import -bucket b -image-name n -on-error=cleanup $disk" || die "make import without a template: $(cat "$work/make.n")"
make -s -n -C "$repo" import >/dev/null 2>"$work/err" && die "make import ran without IMAGE"
grep -q 'IMAGE=disk.qcow2 is required' "$work/err" || die "make import without IMAGE: $(cat "$work/err")"

ecs_sim_start --profile instant || die "ecs-sim did not start"

# make image runs the post-processor chain: an alicloud-ecs artifact has no disk file, so
# alicloud-import is skipped with the way to run it (Packer stops there too).
build "$here/templates/import.json" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; die "the build failed"; }
grep -q '^==> web (alicloud-import): No vhd or raw file found in artifact from builder: skipped; import a disk file with: make import IMAGE=FILE TEMPLATE=' "$work/err" ||
	die "no post-processor line: $(cat "$work/err")"
grep -q '^--> web: Alicloud images were created:$' "$work/out" || die "no build artifact"
[ "$(dump 'd["requests"].get("ImportImage", 0)')" = 0 ] || die "the build imported something"

# Bad input: nothing uploaded, nothing created, no open ledger.
expect () { # status, then the command
	_want=$1; shift
	set +e; "$@" >"$work/out" 2>"$work/err"; _got=$?; set -e
	[ "$_got" -eq "$_want" ] || { cat "$work/err" >&2; die "$*: exit $_got, want $_want"; }
}
expect 64 build import "$disk"
grep -q 'no bucket' "$work/err" || die "missing bucket message: $(cat "$work/err")"
expect 64 build import -bucket b "$disk"
grep -q 'no image name' "$work/err" || die "missing image name message: $(cat "$work/err")"
expect 65 build import -template "$here/templates/import.json" "$work/notes.txt"
expect 66 build import -template "$here/templates/import.json" "$work/missing.qcow2"
expect 65 build import -template "$here/templates/import.json" -format vhd "$disk"
expect 65 build import -template "$here/templates/quick.json" "$disk"
grep -q 'no alicloud-import post-processor' "$work/err" || die "template without the post-processor: $(cat "$work/err")"
[ "$(dump 'len(d["resources"]["oss"]["objects"]) + len(d["resources"]["oss"]["uploads"]) + len(d["resources"]["images"])')" = 1 ] ||
	die "bad input left something: $(dump 'd["resources"]["oss"]')"
[ "$(dump 'd["requests"].get("ImportImage", 0)')" = 0 ] || die "bad input reached ImportImage"
[ -z "$(build ledgers)" ] || die "bad input left an open ledger: $(build ledgers)"

# The template's post-processor: its settings, Packer's lines, the artifact. The run's
# directory holds a file its plan path builds[0].post_processors[0][0] would glob-match.
mkdir "$work/cwd" && : >"$work/cwd/builds0.post_processors00"
(cd "$work/cwd" && build import -template "$here/templates/import.json" -var version=7 "$disk") >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; die "import failed"; }
for line in '==> web (alicloud-import): Rendered oss_key_name as disks/web-7.qcow2' \
	'==> web (alicloud-import): Looking for RAW or VHD in artifact' \
	'==> web (alicloud-import): Image file .* has been uploaded to OSS' \
	'==> web (alicloud-import): Importing created alicloud image ID m-[a-z0-9]* in region cn-hangzhou Finished.' \
	'==> web (alicloud-import): Deleting import source oss://import-disks/disks/web-7.qcow2'; do
	grep -q "^$line\$" "$work/err" || die "no line \"$line\" in: $(cat "$work/err")"
done
grep -q '^--> web (alicloud-import): Alicloud images were created:$' "$work/out" || die "no artifact: $(cat "$work/out")"
id=$(sed -n 's/^cn-hangzhou: \(m-[a-z0-9]*\)$/\1/p' "$work/out")
[ -n "$id" ] || die "no image id in the artifact: $(cat "$work/out")"
ecs_sim_dump >"$work/dump.json"
python3 - "$work/dump.json" "$id" <<'PY' || die "the imported image is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
img = [i for i in d["resources"]["images"] if i["id"] == sys.argv[2]][0]
assert img["name"] == "web-imported-7" and img["platform"] == "Ubuntu" and img["status"] == "Available", img
assert img["description"] == "imported by make import" and {"key": "team", "value": "infra"} in img["tags"], img
assert img["resourceGroupId"] == "rg-acfmimport01", img
m = img["mappings"][0]
assert m["format"] == "QCOW2" and m["size"] == 20 and m["importObject"] == "disks/web-7.qcow2", m
assert d["temporaryCount"] == 0, d["temporary"]
PY
[ -z "$(build ledgers)" ] || die "a finished import left an open ledger"
if grep -q "$ALICLOUD_SECRET_KEY" "$work/err" "$work/out" "$ALICLOUD_BUILD_STATE"/ledgers/* "$ALICLOUD_BUILD_STATE"/imports/* 2>/dev/null; then
	die "the secret key leaked"
fi

# Variables alone (no template), -force replaces the image of the same name.
build import -bucket import-disks -image-name web-imported-7 -force "$disk" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; die "import without a template failed"; }
grep -q '^==> import (alicloud-import): Rendered oss_key_name as img-import/web-imported-7/disk.qcow2$' "$work/err" || die "no template: $(cat "$work/err")"
[ "$(dump 'sum(1 for i in d["resources"]["images"] if i["name"] == "web-imported-7")')" = 1 ] || die "-force kept two images"
[ "$(dump 'd["temporaryCount"]')" = 0 ] || die "left: $(dump 'd["temporary"]')"
ecs_sim_stop

# Interrupted while the image is being created (a realistic import takes minutes): the
# unfinished image and the object are released, nothing is left, the ledger is closed.
ecs_sim_start --profile realistic || die "ecs-sim did not start"
# Files of its own, made empty before it starts: the background job truncates what it is
# given only once it runs, so polling "$work/err" (whose last import said "as image m-")
# could match the previous run's line, and the check after the loop then find the file
# just emptied (seen in CI; 293 of 500 such polls matched a stale file under load).
: >"$work/int.out"
: >"$work/int.err"
sh "$repo/scripts/alicloud-build" import -bucket import-disks -image-name slow "$disk" >"$work/int.out" 2>"$work/int.err" &
imp=$!
for _ in $(seq 1 1200); do
	grep -q 'as image m-' "$work/int.err" && break
	kill -0 "$imp" 2>/dev/null || break
	sleep 0.05
done
grep -q 'as image m-' "$work/int.err" || die "the import did not start: $(cat "$work/int.err")"
kill -0 "$imp" 2>/dev/null || { set +e; wait "$imp"; rc=$?; set -e; die "the import ended (exit $rc) before it could be interrupted: $(cat "$work/int.err")"; }
# The count and the images come from ONE dump, so a failure shows what was counted.
ecs_sim_dump >"$work/dump.json" || die "no dump while importing"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["resources"]["images"]))' "$work/dump.json")
[ "$n" = 1 ] || die "expected 1 image being imported, the dump has $n: $(cat "$work/dump.json"); stderr: $(cat "$work/int.err")"
kill -TERM "$imp"
set +e; wait "$imp"; rc=$?; set -e
imp=
[ "$rc" -eq 143 ] || { cat "$work/int.err" >&2; die "TERM: exit $rc, want 143"; }
grep -q 'Deleting the image and related snapshots because of cancellation or error' "$work/int.err" || die "no image cleanup: $(cat "$work/int.err")"
[ "$(dump 'len(d["resources"]["images"]) + d["temporaryCount"]')" = 0 ] || die "an interrupted import left: $(dump 'd["temporary"], d["resources"]["images"]')"
[ -z "$(build ledgers)" ] || die "an interrupted import left an open ledger"
printf '%s: ok\n' "$prog"
