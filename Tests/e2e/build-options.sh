#!/bin/sh
# shellcheck disable=SC2015,SC2086 # "a && b || fail" is the test idiom; $r splits on purpose
# The builder options the seed calls out, in two builds that run in parallel:
#   opts-a: ssh_private_ip (no EIP), image_ignore_data_disks with a data disk from
#           image_disk_mappings (deleted with the instance), system_disk_mapping, run_tags,
#           user_data, tags on the image and its snapshot, the temporary key pair's key
#           left in the image (no ssh_clear_authorized_keys);
#   opts-b: image_copy_regions/_names (waited for, tagged), image_share_account,
#           image_version/_description, instance_name, disable_stop_instance (the
#           provisioner shuts the instance down), image_force_delete(+_snapshots), which
#           replaces the image of a first run only once the new one exists.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
template=$here/templates/options.json
call () { ecs-call "$@"; }
image_by_name () { call DescribeImages RegionId="$1" ImageName="$2" ImageOwnerAlias=self --query 'Images.Image[*].ImageId'; }

build first "$template"
[ "$(rc_of first)" = 0 ] || { show first; fail "first run: exit $(rc_of first)"; }
# Both builds ran, each with its own log prefix, and both have artifacts.
grep -q '^==> opts-a: Creating instance...' "$work/first.err" || fail "no opts-a log"
grep -q '^==> opts-b: Creating instance...' "$work/first.err" || fail "no opts-b log"
a=$(image_by_name cn-beijing opts_a)
b1=$(image_by_name cn-beijing opts_b)
copy=$(image_by_name cn-hangzhou opts_b_copy)
[ -n "$a" ] && [ -n "$b1" ] && [ -n "$copy" ] || { show first; fail "images missing: a=$a b=$b1 copy=$copy"; }
grep -qx "cn-beijing: $a" "$work/first.out" || fail "artifact of opts-a"
grep -qx "cn-hangzhou: $copy" "$work/first.out" || fail "artifact of the copy"

# opts-a: no EIP, only the system disk in the image, tags on image and snapshot.
sed -n 's/^==> opts-a: //p' "$work/first.err" | grep -q 'Allocating eip' && fail "opts-a allocated an EIP"
nsnap=$(call DescribeImages RegionId=cn-beijing ImageId="$a" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping' --format count)
[ "$nsnap" = 1 ] || fail "opts-a: image has $nsnap disks, wanted only the system disk"
snap=$(call DescribeImages RegionId=cn-beijing ImageId="$a" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
for r in "image $a" "snapshot $snap"; do
	set -- $r
	tags=$(call ListTagResources RegionId=cn-beijing ResourceType="$1" ResourceId.1="$2" --query 'TagResources.TagResource[*]' --format json)
	printf '%s' "$tags" | grep -q '"TagValue": "v1.0.0"' || fail "opts-a: $1 $2 lacks version=v1.0.0"
	printf '%s' "$tags" | grep -q '"TagValue": "web"' || fail "opts-a: $1 $2 lacks app=web"
done
# Without ssh_clear_authorized_keys the temporary key pair's public key, which the platform
# put into root's authorized_keys at boot, stays in the image.
kp=$(sed -n 's/^==> opts-a: Creating temporary keypair: //p' "$work/first.err")
[ -n "$kp" ] || fail "opts-a: no temporary key pair"
grep -q " $kp\$" "$work/sim/host/snapshots/$snap/root/.ssh/authorized_keys" || fail "opts-a: the temporary key is not in the image's authorized_keys"

# opts-b: version, description, sharing, and the copy tagged too.
[ "$(call DescribeImages RegionId=cn-beijing ImageId="$b1" --query 'Images.Image[0].ImageVersion')" = 1.2.3 ] || fail "image_version"
[ "$(call DescribeImages RegionId=cn-beijing ImageId="$b1" --query 'Images.Image[0].Description')" = "built by the options test" ] || fail "image_description"
call DescribeImageSharePermission RegionId=cn-beijing ImageId="$b1" --query 'Accounts.Account[*].AliyunId' | grep -qx 1234567890 || fail "image_share_account"
call ListTagResources RegionId=cn-hangzhou ResourceType=image ResourceId.1="$copy" --query 'TagResources.TagResource[*].TagValue' | grep -qx db || fail "the copy is not tagged"
grep -q '^==> opts-b: Automatic instance stop disabled' "$work/first.err" || fail "disable_stop_instance"
grep -q '^==> opts-b: Stopping instance' "$work/first.err" && fail "opts-b stopped the instance itself"

# A second run of opts-b replaces its image: the old one goes only after the new one exists.
build second -only opts-b "$template"
[ "$(rc_of second)" = 0 ] || { show second; fail "second run: exit $(rc_of second)"; }
b2=$(image_by_name cn-beijing opts_b)
[ -n "$b2" ] && [ "$b2" != "$b1" ] || fail "image_force_delete: opts_b is $b2 (was $b1)"
[ "$(printf '%s\n' "$b2" | wc -l)" = 1 ] || fail "image_force_delete: more than one opts_b"
grep -q "Deleting duplicated image and snapshot in cn-beijing: opts_b" "$work/second.err" || fail "no force-delete line"
copy2=$(image_by_name cn-hangzhou opts_b_copy)
[ -n "$copy2" ] && [ "$copy2" != "$copy" ] && [ "$(printf '%s\n' "$copy2" | wc -l)" = 1 ] || fail "image_force_delete in the copy region: $copy2 (was $copy)"

assert_no_leak "options"
assert_no_secret
printf 'build-options: opts-a %s, opts-b %s -> %s, copy %s; nothing left\n' "$a" "$b1" "$b2" "$copy"
