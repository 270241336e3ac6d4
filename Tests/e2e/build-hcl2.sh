#!/bin/sh
# An HCL2 template builds on ecs-sim: two builds from one source block (build-level source
# blocks with their own names), data disks from a dynamic block, a provisioner reading
# source.name, and a post-processor chain (manifest, then shell-local) for each build, which
# reaches the orchestrator in order (alicloud-build itself runs neither: -manifest writes the
# manifest).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
template=$here/templates/hcl2/two-sources.pkr.hcl
build hcl -manifest "$work/manifest.json" -var "manifest=$work/pp-manifest.json" "$template"
[ "$(rc_of hcl)" = 0 ] || { show hcl; fail "the build exited $(rc_of hcl)"; }

plan=$(tmpl-render -var "manifest=$work/pp-manifest.json" --query 'builds[*].post_processors[0][*].type' "$template" | tr '\n' ' ')
[ "$plan" = "manifest shell-local manifest shell-local " ] || fail "the plan's chains: $plan"
[ "$(tmpl-render -var "manifest=$work/pp-manifest.json" --query 'builds[1].post_processors[0][1].config.inline[0]' "$template")" = "echo chained after the manifest of b" ] \
	|| fail "the chain's shell-local did not see source.name"

for n in a b; do
	grep -q "^==> hcl.alicloud-ecs.$n: Creating instance..." "$work/hcl.err" || { show hcl; fail "no log of build $n"; }
	# The post-processor chain is one sequence, in order: the manifest, then shell-local.
	chain=$(sed -n "s/^==> hcl.alicloud-ecs.$n (\([a-z-]*\)): .*/\1/p" "$work/hcl.err" | tr '\n' ' ')
	[ "$chain" = "manifest shell-local " ] || { show hcl; fail "build $n: post-processors seen: $chain"; }
	image=$(ecs-call DescribeImages RegionId=cn-beijing ImageName="hcl_$n" ImageOwnerAlias=self --query 'Images.Image[*].ImageId')
	[ -n "$image" ] || fail "no image hcl_$n"
	grep -qx "cn-beijing: $image" "$work/hcl.out" || fail "no artifact line for $image"
	# The dynamic block's two data disks are in the image, beside the system disk.
	disks=$(ecs-call DescribeImages RegionId=cn-beijing ImageId="$image" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping' --format count)
	[ "$disks" = 3 ] || fail "image hcl_$n has $disks disks, wanted 3"
	# The provisioner saw its own source.name.
	snap=$(ecs-call DescribeImages RegionId=cn-beijing ImageId="$image" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
	found=$(find "$work/sim" -path "*$snap*" -name "built-by-$n" | head -n 1)
	[ -n "$found" ] && [ "$(cat "$found")" = "$n" ] || fail "image hcl_$n: the provisioner's file is missing or wrong"
	grep -q "\"name\": \"hcl.alicloud-ecs.$n\"" "$work/manifest.json" || fail "the manifest lacks build $n"
done

assert_no_leak hcl2
assert_no_secret
printf 'build-hcl2: two HCL2 builds with dynamic data disks and a post-processor chain; nothing left\n'
