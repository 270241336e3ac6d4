#!/bin/sh
# Keys Packer's plugin acts on, each seen in what ecs-sim received and keeps, from one run
# of three parallel builds; the build state and the SSH key live under paths with spaces.
#   own-eip:   eip_id (bound, unbound after the stop, never released), image_family (the
#              source), resource_group_id, target_image_family and boot_mode (the image),
#              security_enhancement_strategy, pause_before_connecting, ssh_ciphers, and
#              ssh_port 0 (the default port);
#   public-ip: associate_public_ip_address false (the instance's own public IP, no EIP),
#              a copy region waited for with wait_copying_image_ready_timeout,
#              ssh_clear_authorized_keys with a temporary key pair (named with a "."):
#              its line leaves the image's authorized_keys, a line that differs only there
#              stays; own-eip's true does nothing (its own key pair), its key stays;
#   clear-fails: ssh_clear_authorized_keys where the guest has no authorized_keys left: the
#              error is reported and the build goes on (skip_create_image, ssh_private_ip).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ALICLOUD_BUILD_STATE="$work/state dir/with 'quotes'"
export ALICLOUD_BUILD_STATE
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
log=$work/sim/requests.jsonl

# The user's own EIP and key pair (its private key under a path with spaces).
eip=$(ecs-call --product vpc AllocateEipAddress RegionId=cn-beijing --query AllocationId)
mkdir -p "$work/my keys"
ecs-call CreateKeyPair RegionId=cn-beijing KeyPairName=user-key --query PrivateKeyBody >"$work/my keys/user key.pem"
chmod 600 "$work/my keys/user key.pem"

build run -var eip_id="$eip" -var key_name=user-key -var key_file="$work/my keys/user key.pem" "$here/templates/plan-keys.json"
[ "$(rc_of run)" = 0 ] || { show run; fail "exit $(rc_of run)"; }
for b in own-eip public-ip; do
	grep -q "^    $b: connected-as root on $b" "$work/run.err" || { show run; fail "$b: the provisioner did not run"; }
done
grep -q '^==> own-eip: Pausing 1s before connecting' "$work/run.err" || { show run; fail "own-eip: no pause before connecting"; }

# ssh_clear_authorized_keys, read in the images' disks as ecs-sim keeps them (the platform
# put each build's key pair into root's authorized_keys when the instance booted).
# image_tree NAME — the system disk tree of the image named NAME.
image_tree () {
	_img=$(ecs-call DescribeImages RegionId=cn-beijing ImageName="$1" ImageOwnerAlias=self --query 'Images.Image[0].ImageId')
	_snap=$(ecs-call DescribeImages RegionId=cn-beijing ImageId="$_img" --query 'Images.Image[0].DiskDeviceMappings.DiskDeviceMapping[0].SnapshotId')
	[ -d "$work/sim/host/snapshots/$_snap" ] || fail "$1: no snapshot tree for image $_img"
	printf '%s\n' "$work/sim/host/snapshots/$_snap"
}
grep -q '^==> public-ip: Trying to remove ephemeral keys from authorized_keys files$' "$work/run.err" || { show run; fail "public-ip: the keys were not cleared"; }
! grep -q '^==> own-eip: Trying to remove ephemeral keys' "$work/run.err" || fail "own-eip: cleared keys, though it made no temporary key pair"
grep -q 'ssh_clear_authorized_keys.*has no effect: the build logs in with "ssh_private_key_file"' "$work/run.err" || { show run; fail "own-eip: no warning that ssh_clear_authorized_keys does nothing"; }
keys="$(image_tree plan_keys_public_ip)/root/.ssh/authorized_keys"
[ -f "$keys" ] || fail "public-ip: the image has no /root/.ssh/authorized_keys"
! grep -q ' ait\.clear:keys_1$' "$keys" || fail "public-ip: the temporary key is still in the image: $(cat "$keys")"
[ "$(cat "$keys")" = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeptKeptKeptKeptKeptKeptKeptKeptKeptKept aitXclear:keys_1" ] || fail "public-ip: authorized_keys: $(cat "$keys")"
[ ! -e "$keys.bak" ] || fail "public-ip: sed's backup is in the image"
grep -q '^==> clear-fails: Error removing the temporary key from ~/.ssh/authorized_keys (exit status [1-9][0-9]*)' "$work/run.err" || { show run; fail "clear-fails: the failure was not reported"; }
grep -q '^    clear-fails: skip_create_image is set: no image created' "$work/run.err" || { show run; fail "clear-fails: the build did not go on"; }
grep -q '^ssh-rsa [^ ]* user-key$' "$(image_tree plan_keys_eip)/root/.ssh/authorized_keys" || fail "own-eip: the key pair's key is not in the image"
assert_no_secret
dump >/dev/null || fail "cannot read ecs-sim's dump"

python3 - "$log" "$work/dump.json" "$eip" <<'PY' || fail "a key did not take effect (above)"
import json, sys
log, whole, eip = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
dump = whole["resources"]
reqs = [json.loads(l) for l in open(log) if l.strip()]
bad = []
left = [t for t in whole["temporary"] if (t["kind"], t["id"]) not in (("eip", eip), ("keypair", "user-key"))]
if left: bad.append("temporary resources left: %r" % left)
def calls(action, **match):
    return [r["params"] for r in reqs if r["action"] == action and r["status"] == 200
            and all(r["params"].get(k) == v for k, v in match.items())]
def check(what, ok):
    if not ok: bad.append(what)
fam = calls("CreateInstance", ImageFamily="acs:centos_7_9_x64")
check("own-eip: CreateInstance from the image family", len(fam) == 1 and "ImageId" not in fam[0])
check("own-eip: SecurityEnhancementStrategy", fam and fam[0].get("SecurityEnhancementStrategy") == "Deactive")
check("own-eip: the EIP bound", len(calls("AssociateEipAddress", AllocationId=eip)) == 1)
check("own-eip: the EIP unbound", len(calls("UnassociateEipAddress", AllocationId=eip)) >= 1)
check("own-eip: the EIP never released", not [r for r in reqs if r["action"] == "ReleaseEipAddress" and r["params"].get("AllocationId") == eip])
check("own-eip: no EIP allocated", len(calls("AllocateEipAddress")) == 1)  # the test's own
eips = [e for e in dump["eips"] if e["id"] == eip]
check("own-eip: the EIP still exists, Available", len(eips) == 1 and eips[0]["status"] == "Available")
imgs = {i["name"]: i for i in dump["images"]}
e = imgs.get("plan_keys_eip", {})
check("own-eip: image family %r" % e.get("family"), e.get("family") == "plan-keys")
check("own-eip: boot mode %r" % e.get("bootMode"), e.get("bootMode") == "UEFI")
check("own-eip: resource group %r" % e.get("resourceGroupId"), e.get("resourceGroupId") == "rg-acfmplankeys01")
pub = calls("AllocatePublicIpAddress")
check("public-ip: AllocatePublicIpAddress once", len(pub) == 1)
src = calls("CreateInstance", ImageId="centos_7_03_64_20G_alibase_20170818.vhd")
check("public-ip: bandwidth on the instance", src and src[0].get("InternetMaxBandwidthOut") == "5")
p = imgs.get("plan_keys_public_ip", {})
check("public-ip: no resource group", not p.get("resourceGroupId"))
check("public-ip: a copy in cn-shanghai", any(i["region"] == "cn-shanghai" and i["name"] == "plan_keys_public_ip" for i in dump["images"]))
for b in bad: print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# The state dir with spaces held the ledgers, and every one is closed.
n=$(ls "$ALICLOUD_BUILD_STATE/ledgers" | wc -l)
[ "$n" = 3 ] || fail "expected 3 ledgers in the state dir, found $n"
for l in "$ALICLOUD_BUILD_STATE"/ledgers/*.ledger; do
	tail -n 1 "$l" | grep -q '	closed	build	' || fail "$l: not closed"
done
printf 'ok\n'
