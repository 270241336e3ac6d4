#!/bin/sh
# shellcheck disable=SC2015 # "a && b || fail" is the test idiom
# Packer 1.6.6's acceptance tests for this builder (builder/alicloud/ecs/builder_acc_test.go)
# on ecs-sim: each TestBuilderAcc_* template (Tests/e2e/templates/packer-acc/, the origin and
# any substitution in its _comment) built with alicloud-build, then the Go test's check made
# with the same API calls (ecs-call for Packer's SDK client). Where Packer's check is wrong,
# what it meant is checked, and the line says so. Every build leaves nothing temporary.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
# The Windows template names its user data relative to the repository root.
cd "$here/../.."
t=$here/templates/packer-acc
# The Windows build waits up to 30 minutes for WinRM: a broken path must fail sooner.
BUILD_TIMEOUT=${BUILD_TIMEOUT:-180}

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile instant --state "$work/sim" || fail "ecs-sim did not start"
call () { ecs-call "$@"; }

# launch NAME TEMPLATE — starts a build in the background (the independent ones run at
# once); settle waits for them (not for ecs-sim, also a child of this shell).
pids=
launch () {
	build "$@" &
	pids="$pids $!"
}
settle () {
	# shellcheck disable=SC2086
	wait $pids
	pids=
}
# acc NAME — a finished build that must have succeeded; prints its cn-beijing image.
acc () {
	[ "$(rc_of "$1")" = 0 ] || { show "$1"; fail "$1: exit $(rc_of "$1")"; }
	# "if len(artifacts) > 1" — one build, one artifact block.
	[ "$(grep -c '^--> ' "$work/$1.out")" = 1 ] || { cat "$work/$1.out" >&2; fail "$1: not one artifact"; }
	_img=$(sed -n 's/^cn-beijing: \(m-[a-z0-9]*\)$/\1/p' "$work/$1.out")
	[ -n "$_img" ] || { cat "$work/$1.out" >&2; fail "$1: no cn-beijing image in the artifact"; }
	printf '%s\n' "$_img"
}
# image_in REGION ID PATH [ecs-call options] — one value of an image (any status).
image_in () {
	_r=$1 _id=$2 _p=$3
	shift 3
	call DescribeImages RegionId="$_r" ImageId="$_id" Status=Creating,Waiting,Available,UnAvailable,CreateFailed --query "Images.Image[0].$_p" "$@"
}
image_q () { image_in cn-beijing "$@"; }
snap_q () { call DescribeSnapshots RegionId=cn-beijing SnapshotIds="[\"$1\"]" --query "Snapshots.Snapshot[0].$2"; }
# tags TYPE ID — "key=value" lines, sorted (DescribeTags, as Packer's check calls it).
tags () {
	call DescribeTags RegionId=cn-beijing ResourceType="$1" ResourceId="$2" --query 'Tags.Tag[*].TagKey' >"$work/tagkeys"
	call DescribeTags RegionId=cn-beijing ResourceType="$1" ResourceId="$2" --query 'Tags.Tag[*].TagValue' >"$work/tagvalues"
	paste -d = "$work/tagkeys" "$work/tagvalues" | sort
}

launch badregion "$t/validateRegion.json"
launch basic "$t/basic.json"
launch disks "$t/withDiskSettings.json"
launch ignore "$t/withIgnoreDataDisks.json"
launch windows "$t/windows.json"
launch copy -manifest "$work/copy.manifest" "$t/regionCopy.json"
launch force1 "$t/forceDelete-false.json"
launch share "$t/ECSImageSharing.json"
launch snap1 "$t/forceDeleteSnapshot-false.json"
launch tags "$t/imageTags.json"
launch datacrypt "$t/dataDiskEncrypted.json"
launch syscrypt "$t/systemDiskEncrypted.json"
# Not Packer's: the same with a KMS key the region does not have fails at the copy with the
# API's error, and releases the unencrypted image and its snapshots (checked by the leak
# check at the end).
sed 's/"image_encrypted": "true"/"image_encrypted": "true", "kms_key_id": "key-2ze-no-such-key"/; s/packer-test_/packer-test-badkey_/' "$t/systemDiskEncrypted.json" >"$work/badkey.json"
launch badkey "$work/badkey.json"
settle

# TestBuilderAcc_validateRegion: ValidateRegion passes for cn-hangzhou and fails for an
# unknown region. The build's prevalidation makes that call for the source and copy regions.
[ "$(rc_of badregion)" = 1 ] && grep -q 'Error: invalid region: invalidRegionId' "$work/badregion.err" ||
	{ show badregion; fail "validateRegion: an unknown copy region was not refused"; }

# TestBuilderAcc_basic: the build succeeds.
acc basic >/dev/null

# TestBuilderAcc_withDiskSettings: image Size 60, three disks (system 60, data 25 each), the
# data snapshots' source disks deleted with the instance.
img=$(acc disks)
[ "$(image_q "$img" Size)" = 60 ] || fail "withDiskSettings: image size $(image_q "$img" Size), wanted 60"
[ "$(image_q "$img" DiskDeviceMappings.DiskDeviceMapping --format count)" = 3 ] || fail "withDiskSettings: not 3 disks"
# mappings FIELD,FIELD... — one line per disk of $img, the fields space-separated.
mappings () {
	for _f in $(printf '%s' "$1" | tr ',' ' '); do
		image_q "$img" "DiskDeviceMappings.DiskDeviceMapping[*].$_f" >"$work/col.$_f"
	done
	# shellcheck disable=SC2046
	paste -d ' ' $(for _f in $(printf '%s' "$1" | tr ',' ' '); do printf '%s ' "$work/col.$_f"; done)
}
[ "$(mappings Type,Size | sort | tr '\n' ' ')" = "data 25 data 25 system 60 " ] || fail "withDiskSettings: disk sizes are not system 60 and data 25, 25"
data_snaps=$(mappings Type,SnapshotId | sed -n 's/^data \(.*\)$/"\1"/p' | paste -sd, -)
[ "$(call DescribeSnapshots RegionId=cn-beijing SnapshotIds="[$data_snaps]" --query Snapshots.Snapshot --format count)" = 2 ] || fail "withDiskSettings: not 2 data snapshots"
disks=$(call DescribeSnapshots RegionId=cn-beijing SnapshotIds="[$data_snaps]" --query 'Snapshots.Snapshot[*].SourceDiskId' | sed 's/.*/"&"/' | paste -sd, -)
[ "$(call DescribeDisks RegionId=cn-beijing DiskIds="[$disks]" --query Disks.Disk --format count)" = 0 ] || fail "withDiskSettings: data disks left"

# TestBuilderAcc_withIgnoreDataDisks: the image has only one disk.
img=$(acc ignore)
[ "$(image_q "$img" DiskDeviceMappings.DiskDeviceMapping --format count)" = 1 ] || fail "withIgnoreDataDisks: not one disk"

# TestBuilderAcc_windows: the build succeeds (over WinRM, with the user data Packer meant).
acc windows >/dev/null

# TestBuilderAcc_regionCopy: artifacts in cn-beijing and exactly the copy regions, each
# image found, the copies named by image_copy_names.
[ "$(rc_of copy)" = 0 ] || { show copy; fail "regionCopy: exit $(rc_of copy)"; }
[ "$(sed -n 's/^\([a-z0-9-]*\): m-.*/\1/p' "$work/copy.out" | sort | tr '\n' ' ')" = "cn-beijing cn-hangzhou cn-shenzhen " ] ||
	{ cat "$work/copy.out" >&2; fail "regionCopy: artifact regions"; }
for r in cn-beijing cn-hangzhou cn-shenzhen; do
	id=$(sed -n "s/^$r: \(m-[a-z0-9]*\)$/\1/p" "$work/copy.out")
	name=$(image_in "$r" "$id" ImageName)
	[ -n "$name" ] || fail "regionCopy: image $id in $r not found"
	case $r:$(image_in "$r" "$id" IsCopied):$name in
	cn-hangzhou:true:packer-copy-test-hz*) ;; cn-shenzhen:true:packer-copy-test-sz*) ;; cn-beijing:false:packer-test-regionCopy_*) ;;
	*) fail "regionCopy: image $id in $r is named $name" ;;
	esac
done

# artifact_test.go TestArtifactId: the artifact's id is the region:image pairs, sorted by
# region and comma-joined (the manifest's artifact_id).
want_id=$(sed -n 's/^\([a-z0-9-]*\): \(m-[a-z0-9]*\)$/\1:\2/p' "$work/copy.out" | sort | paste -sd, -)
grep -q "\"artifact_id\": \"$want_id\"" "$work/copy.manifest" || { cat "$work/copy.manifest" >&2; fail "regionCopy: artifact_id is not $want_id"; }

# TestBuilderAcc_forceDelete: the same image name built twice, image_force_delete on the
# second run (Packer keeps the first artifact: SkipArtifactTeardown).
first=$(acc force1)
first_snaps=$(image_q "$first" 'DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId')
acc snap1 >/dev/null
old_snaps=$(call DescribeImages RegionId=cn-beijing ImageName=packer-test-delete --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId' | sed 's/.*/"&"/' | paste -sd, -)
launch force2 "$t/forceDelete-true.json"
launch snap2 "$t/forceDeleteSnapshot-true.json"
settle
second=$(acc force2)
[ "$second" != "$first" ] || fail "forceDelete: the same image"
[ "$(call DescribeImages RegionId=cn-beijing ImageName=packer-test-forceDelete_delete --query 'Images.Image[*].ImageId')" = "$second" ] ||
	fail "forceDelete: packer-test-forceDelete_delete is not only the second image"
# Without image_force_delete_snapshots the first image's snapshots stay, as with Packer.
for s in $first_snaps; do
	[ "$(snap_q "$s" SnapshotId)" = "$s" ] || fail "forceDelete: snapshot $s of the replaced image is gone"
	call DeleteSnapshot RegionId=cn-beijing SnapshotId="$s" >/dev/null
done

# TestBuilderAcc_ECSImageSharing: the image is shared with exactly the account. Packer's
# check ("len != 1 && AliyunId != uid") passes whenever one of the two holds and indexes an
# empty list; what it meant is "len != 1 || AliyunId != uid", checked here.
img=$(acc share)
[ "$(call DescribeImageSharePermission RegionId=cn-beijing ImageId="$img" --query 'Accounts.Account[*].AliyunId')" = 1309208528360047 ] ||
	fail "ECSImageSharing: not shared with exactly 1309208528360047"

# TestBuilderAcc_forceDeleteSnapshot: the second run (image_force_delete and
# image_force_delete_snapshots) deletes the first image's snapshots.
[ -n "$old_snaps" ] || fail "forceDeleteSnapshot: the first image has no snapshots"
acc snap2 >/dev/null
[ "$(call DescribeSnapshots RegionId=cn-beijing SnapshotIds="[$old_snaps]" --query Snapshots.Snapshot --format count)" = 0 ] ||
	fail "forceDeleteSnapshot: snapshots weren't deleted by image_force_delete_snapshots"

# TestBuilderAcc_imageTags: exactly the template's two tags on the image and on each of its
# snapshots (the build's own id tag is gone once the build is over).
img=$(acc tags)
want='TagKey1=TagValue1
TagKey2=TagValue2'
[ "$(tags image "$img")" = "$want" ] || { tags image "$img" >&2; fail "imageTags: the image's tags"; }
for s in $(image_q "$img" 'DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId'); do
	[ "$(tags snapshot "$s")" = "$want" ] || { tags snapshot "$s" >&2; fail "imageTags: snapshot $s's tags"; }
done

# TestBuilderAcc_dataDiskEncrypted: four snapshots; the system one and the 35 and 45 GiB
# ones not encrypted, the 25 GiB one encrypted.
img=$(acc datacrypt)
n=0
for s in $(image_q "$img" 'DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId'); do
	n=$((n + 1))
	case $(snap_q "$s" SourceDiskType):$(snap_q "$s" SourceDiskSize):$(snap_q "$s" Encrypted) in
	System:*:false | Data:25:true | Data:35:false | Data:45:false) ;;
	*) fail "dataDiskEncrypted: snapshot $s is $(snap_q "$s" SourceDiskType) $(snap_q "$s" SourceDiskSize) GiB, Encrypted $(snap_q "$s" Encrypted)" ;;
	esac
done
[ "$n" = 4 ] || fail "dataDiskEncrypted: $n snapshots, wanted 4"

# TestBuilderAcc_systemDiskEncrypted: the artifact is a copy whose system snapshot is
# encrypted; the unencrypted image it was copied from is gone with its snapshots.
img=$(acc syscrypt)
[ "$(image_q "$img" IsCopied)" = true ] || fail "systemDiskEncrypted: image $img is not a copy"
s=$(image_q "$img" 'DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
[ "$(snap_q "$s" Encrypted)" = true ] || fail "systemDiskEncrypted: snapshot $s is not encrypted"
grep -q 'Creating temporary image for encryption: packer_[0-9a-f]\{7\}$' "$work/syscrypt.err" ||
	{ show syscrypt; fail "systemDiskEncrypted: no temporary image"; }
[ "$(call DescribeImages RegionId=cn-beijing ImageOwnerAlias=self Status=Creating,Waiting,Available,UnAvailable,CreateFailed PageSize=100 \
	--query 'Images.Image[*].ImageName' | grep -c '^packer_')" = 0 ] || fail "systemDiskEncrypted: the temporary image is left"

[ "$(rc_of badkey)" = 1 ] && grep -q 'Error copying images: .*InvalidParameter.KMSKeyId.NotFound' "$work/badkey.err" ||
	{ show badkey; fail "an unknown kms_key_id: exit $(rc_of badkey)"; }
grep -q "Deleting the image and related snapshots because of cancellation or error" "$work/badkey.err" || { show badkey; fail "unknown kms_key_id: the image was not released"; }

assert_no_leak "packer acceptance"
assert_no_secret

# Not Packer's: SIGTERM while the encrypted copy is being made (its snapshots slowed down by
# 120 s) ends the build with 143 and releases the copy, the unencrypted image and their
# snapshots from the ledger.
with_sim 'CopyImage:slow:120'
setsid sh "$scripts/alicloud-build" "$t/systemDiskEncrypted.json" >"$work/encterm.out" 2>"$work/encterm.err" &
pid=$!
i=0
until grep -q 'Copy image from' "$work/encterm.err" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 1200 ] && kill -0 "$pid" 2>/dev/null || { show encterm; fail "encrypted copy: the build never reached the copy"; }
	sleep 0.1
done
kill -TERM "$pid"
ended "$pid" 60
[ "$ended_rc" = 143 ] || { show encterm; fail "encrypted copy: exit $ended_rc after SIGTERM, wanted 143"; }
assert_no_leak "SIGTERM during the encrypted copy"
[ "$(call DescribeImages RegionId=cn-beijing ImageOwnerAlias=self Status=Creating,Waiting,Available,UnAvailable,CreateFailed --query TotalCount)" = 0 ] ||
	fail "encrypted copy: an image is left after SIGTERM"
printf 'build-packer-acc: 16 builds, the checks of builder_acc_test.go, a bad key and SIGTERM during the encrypted copy; nothing left\n'
