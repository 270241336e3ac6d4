#!/bin/sh
# The seed's alicloud.json, unchanged, builds on ecs-sim: Packer's log lines, only the
# artifact block on stdout, the image holds what the provisioner installed, and nothing
# temporary or secret is left anywhere.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
build seed -manifest "$work/manifest.json" "$here/../../examples/alicloud.json"
[ "$(rc_of seed)" = 0 ] || { show seed; fail "the build exited $(rc_of seed)"; }

# stdout is the artifact block and nothing else.
image=$(sed -n 's/^cn-beijing: \(m-[a-z0-9]*\)$/\1/p' "$work/seed.out")
[ -n "$image" ] || { cat "$work/seed.out" >&2; fail "no artifact line"; }
grep -qx -- '--> alicloud-ecs: Alicloud images were created:' "$work/seed.out" || fail "no artifact header"
[ "$(grep -vc -e '^$' -e '^==> Builds finished' -e '^--> alicloud-ecs: Alicloud images were created:' -e '^cn-beijing: m-' "$work/seed.out")" = 0 ] \
	|| fail "stdout has more than the artifact block"

# Packer's steps, in Packer's order, on stderr.
expected='Prevalidating image name...
Creating temporary keypair:
Creating vpc...
Creating vswitch...
Creating security group...
Creating instance...
Allocating eip...
Starting instance:
Waiting for SSH to become available...
Connected to SSH!
Stopping instance:
Creating image: packer_basic
Cleaning up '"'"'EIP'"'"'
Cleaning up '"'"'instance'"'"'
Cleaning up '"'"'security group'"'"'
Cleaning up '"'"'vSwitch'"'"'
Cleaning up '"'"'VPC'"'"'
Deleting temporary keypair...'
printf '%s\n' "$expected" | while IFS= read -r step; do
	grep -qF "==> alicloud-ecs: $step" "$work/seed.err" || { show seed; fail "missing step: $step"; }
done
grep -q '^    alicloud-ecs: .*redis' "$work/seed.err" || fail "the provisioner's output is not streamed with the prefix"
grep -q "^Build 'alicloud-ecs' finished after " "$work/seed.err" || fail "no finished line"

# The image exists with its snapshot, and the snapshot holds what yum installed.
dump >/dev/null
[ "$(q "resources.images[*].id" | grep -c "^$image\$")" = 1 ] || fail "image $image not in the account"
snap=$(ecs-call --endpoint "$ECS_SIM_URL" DescribeImages RegionId=cn-beijing ImageId="$image" \
	--query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
[ -n "$snap" ] || fail "image has no snapshot"
found=$(find "$work/sim" -path "*$snap*" -name 'redis.x86_64' | head -n 1)
[ -n "$found" ] || fail "the snapshot $snap does not hold redis.x86_64"

# The manifest names the artifact for other automation.
grep -q "\"artifact_id\": \"cn-beijing:$image\"" "$work/manifest.json" || fail "manifest without the artifact"

assert_no_leak seed
assert_no_secret
# Every ledger is closed: nothing for a later reclaim.
[ -z "$(sh "$scripts/alicloud-build" ledgers)" ] || fail "an open ledger is left"
printf 'build-seed: image %s, nothing left\n' "$image"
