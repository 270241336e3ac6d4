#!/bin/sh
# Packer fidelity: Debian's packer 1.6.6, pointed at ecs-sim through HTTP_PROXY (it has no
# endpoint option), builds a seed-like alicloud.json end to end; the image exists afterwards and
# every temporary resource is released.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/ecs-sim.sh disable=SC1091
. "$here/../../scripts/lib/ecs-sim.sh"
command -v packer >/dev/null 2>&1 || { printf 'ecs-sim-packer: packer is not installed (scripts/install-deps installs it)\n' >&2; exit 1; }
work=$(mktemp -d)
cleanup () { ecs_sim_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }

cat >"$work/alicloud.json" <<'JSON'
{
  "variables": {
    "access_key": "{{env `ALICLOUD_ACCESS_KEY`}}",
    "secret_key": "{{env `ALICLOUD_SECRET_KEY`}}"
  },
  "builders": [{
    "type": "alicloud-ecs",
    "access_key": "{{user `access_key`}}",
    "secret_key": "{{user `secret_key`}}",
    "region": "cn-beijing",
    "image_name": "packer_basic",
    "source_image": "centos_7_03_64_20G_alibase_20170818.vhd",
    "ssh_username": "root",
    "instance_type": "ecs.t5-lc1m1.small",
    "internet_charge_type": "PayByTraffic",
    "io_optimized": "true",
    "tags": {"version": "v1.0.0", "app": "web"}
  }],
  "provisioners": [{
    "type": "shell",
    "inline": [
      "sleep 1",
      "yum install redis.x86_64 -y"
    ]
  }]
}
JSON
[ "$(id -u)" -eq 0 ] || sed -i 's/"ssh_username": "root",/"communicator": "none",/; /"provisioners"/,/^  }]$/d; s/^  }],$/  }]/' "$work/alicloud.json"

ecs_sim_start --profile instant
# Packer's SDK uses plain HTTP for ECS and honours HTTP_PROXY; the location lookups it tries over
# CONNECT are refused at once, so it falls back to its built-in endpoint table.
HTTP_PROXY=$ECS_SIM_URL HTTPS_PROXY=$ECS_SIM_URL CHECKPOINT_DISABLE=1 PACKER_CACHE_DIR="$work/cache" HOME="$work" \
	packer build -color=false -machine-readable "$work/alicloud.json" >"$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; fail "packer build"; }
image=$(sed -n 's/.*,artifact,0,id,cn-beijing:\(m-[a-z0-9]*\).*/\1/p' "$work/build.log")
[ -n "$image" ] || { tail -n 30 "$work/build.log"; fail "no artifact"; }
ecs_sim_dump >"$work/dump.json"
if [ "$(id -u)" -eq 0 ]; then
	grep -aq 'ui,message,    alicloud-ecs:   Installing : redis' "$work/build.log" || { tail -n 30 "$work/build.log"; fail "the provisioner did not run over SSH"; }
	# The image's system snapshot holds what the provisioner installed.
	snap=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([m["snapshotId"] for i in d["resources"]["images"] if i["id"]==sys.argv[2] for m in i["mappings"] if m["type"]=="system"][0])' "$work/dump.json" "$image")
	[ -e "$ECS_SIM_STATE/host/snapshots/$snap/var/lib/yum/installed/redis.x86_64" ] || find "$ECS_SIM_STATE/host" -maxdepth 2 | head >&2
	[ -e "$ECS_SIM_STATE/host/snapshots/$snap/var/lib/yum/installed/redis.x86_64" ] || fail "redis is not in the image's snapshot $snap"
fi
grep -q "\"id\": \"$image\"" "$work/dump.json" || fail "the image $image is not in the dump"
n=$(ecs_sim_temporary_count)
[ "$n" -eq 0 ] || fail "packer left $n temporary resources"
for a in CreateKeyPair CreateVpc CreateVSwitch CreateSecurityGroup CreateInstance AllocateEipAddress AttachKeyPair StartInstance \
	StopInstance CreateImage AddTags DetachKeyPair ReleaseEipAddress DeleteInstance DeleteSecurityGroup DeleteVSwitch DeleteVpc DeleteKeyPairs; do
	grep -q "\"$a\": " "$work/dump.json" || fail "packer never called $a"
done

# Packer's own encryption acceptance tests (builder_acc_test.go TestBuilderAcc_systemDiskEncrypted
# and TestBuilderAcc_dataDiskEncrypted; templates in templates/packer-acc) built by Packer
# itself: ecs-sim's encryption model is what Packer's flow needs, and Packer's checks hold.
# Packer 1.6.6's step_region_copy_image polls the encrypted copy every 5 s.
if [ "$(id -u)" -eq 0 ]; then
	for t in systemDiskEncrypted dataDiskEncrypted; do
		HTTP_PROXY=$ECS_SIM_URL HTTPS_PROXY=$ECS_SIM_URL CHECKPOINT_DISABLE=1 PACKER_CACHE_DIR="$work/cache" HOME="$work" \
			packer build -color=false -machine-readable "$here/templates/packer-acc/$t.json" >"$work/$t.log" 2>&1 || { tail -n 30 "$work/$t.log"; fail "packer build $t"; }
	done
	q () { ecs-call "$@"; }
	enc=$(sed -n 's/.*,artifact,0,id,cn-beijing:\(m-[a-z0-9]*\).*/\1/p' "$work/systemDiskEncrypted.log")
	[ "$(q DescribeImages RegionId=cn-beijing ImageId="$enc" --query 'Images.Image[0].IsCopied')" = true ] || fail "systemDiskEncrypted: $enc is not a copy"
	s=$(q DescribeImages RegionId=cn-beijing ImageId="$enc" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
	[ "$(q DescribeSnapshots RegionId=cn-beijing SnapshotIds="[\"$s\"]" --query 'Snapshots.Snapshot[0].Encrypted')" = true ] || fail "systemDiskEncrypted: $s is not encrypted"
	grep -q 'Deleting temporary image .* and related snapshots after finishing encryption' "$work/systemDiskEncrypted.log" || fail "systemDiskEncrypted: no temporary image deleted"
	data=$(sed -n 's/.*,artifact,0,id,cn-beijing:\(m-[a-z0-9]*\).*/\1/p' "$work/dataDiskEncrypted.log")
	got=$(for s in $(q DescribeImages RegionId=cn-beijing ImageId="$data" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[*].SnapshotId'); do
		printf '%s:%s:%s\n' "$(q DescribeSnapshots RegionId=cn-beijing SnapshotIds="[\"$s\"]" --query 'Snapshots.Snapshot[0].SourceDiskType')" \
			"$(q DescribeSnapshots RegionId=cn-beijing SnapshotIds="[\"$s\"]" --query 'Snapshots.Snapshot[0].SourceDiskSize')" \
			"$(q DescribeSnapshots RegionId=cn-beijing SnapshotIds="[\"$s\"]" --query 'Snapshots.Snapshot[0].Encrypted')"
	done | sort | tr '\n' ' ')
	[ "$got" = "Data:25:true Data:35:false Data:45:false System:20:false " ] || fail "dataDiskEncrypted: snapshots are $got"
	n=$(ecs_sim_temporary_count)
	[ "$n" -eq 0 ] || fail "packer left $n temporary resources after the encryption builds"
	printf 'ecs-sim-packer: Packer'"'"'s encryption tests pass (%s, %s)\n' "$enc" "$data"
fi
printf 'ecs-sim-packer: ok (%s)\n' "$image"
