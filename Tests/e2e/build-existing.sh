#!/bin/sh
# The rest of the builder's keys, in two parallel builds:
#   existing: vpc_id, vswitch_id, security_group_id and a key pair the user made
#             (ssh_keypair_name + ssh_private_key_file) are used and never deleted;
#             force_stop_instance; skip_create_image (no image, no artifact);
#   password: ssh_password (no key pair; the instance Password, never logged), instance
#             charge/bandwidth, system_disk_mapping and run_tags reach CreateInstance.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile fast --state "$work/sim" || fail "ecs-sim did not start"
log=$work/sim/requests.jsonl
call () { ecs-call "$@"; }

# What the user already has.
vpc=$(call --product vpc CreateVpc RegionId=cn-beijing CidrBlock=172.16.0.0/12 --query VpcId)
snap-wait --vpc "$vpc" --status Available >/dev/null
zone=$(call DescribeZones RegionId=cn-beijing --query 'Zones.Zone[0].ZoneId')
vsw=$(call --product vpc CreateVSwitch RegionId=cn-beijing VpcId="$vpc" ZoneId="$zone" CidrBlock=172.16.1.0/24 --query VSwitchId)
snap-wait --vswitch "$vsw" --status Available >/dev/null
sg=$(call CreateSecurityGroup RegionId=cn-beijing VpcId="$vpc" --query SecurityGroupId)
call CreateKeyPair RegionId=cn-beijing KeyPairName=user-key --query PrivateKeyBody >"$work/user-key.pem"
chmod 600 "$work/user-key.pem"
password="Pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

build run -var vpc_id="$vpc" -var vswitch_id="$vsw" -var sg_id="$sg" -var key_name=user-key \
	-var key_file="$work/user-key.pem" -var password="$password" "$here/templates/existing.json"
[ "$(rc_of run)" = 0 ] || { show run; fail "exit $(rc_of run)"; }

# existing: logged in with the user's key, no image, nothing of the user's deleted.
grep -q '^    existing: logged-in-as root on existing' "$work/run.err" || { show run; fail "existing: provisioner did not run"; }
grep -q '^==> existing: Using existing SSH private key' "$work/run.err" || fail "existing: key line"
grep -q '^==> existing: Creating vpc' "$work/run.err" && fail "existing: created a VPC"
grep -q '^==> existing: Creating image' "$work/run.err" && fail "existing: made an image despite skip_create_image"
grep -q -- '--> existing:' "$work/run.out" && fail "existing: has an artifact"
[ "$(call --product vpc DescribeVpcs RegionId=cn-beijing VpcId="$vpc" --query 'Vpcs.Vpc' --format count)" = 1 ] || fail "the user's VPC was deleted"
[ "$(call DescribeSecurityGroups RegionId=cn-beijing SecurityGroupId="$sg" --query 'SecurityGroups.SecurityGroup' --format count)" = 1 ] || fail "the user's security group was deleted"
[ "$(call DescribeKeyPairs RegionId=cn-beijing KeyPairName=user-key --query 'KeyPairs.KeyPair' --format count)" = 1 ] || fail "the user's key pair was deleted"
grep '"action":"StopInstance"' "$log" | grep -q '"ForceStop":"true"' || fail "force_stop_instance not sent"
grep '"action":"CreateInstance"' "$log" | grep -q '"InstanceName":"builder-existing"' || fail "instance_name not sent"

# password: logged in with the password; it went to CreateInstance, never to a log.
grep -q '^    password: logged-in-as root on password' "$work/run.err" || { show run; fail "password: provisioner did not run"; }
grep -q '^==> password: Creating temporary keypair' "$work/run.err" && fail "password: made a key pair"
grep '"action":"CreateInstance"' "$log" | grep -q '"Password":"\[redacted\]"' || fail "password: no Password in CreateInstance"
for kv in '"InternetChargeType":"PayByBandwidth"' '"InternetMaxBandwidthOut":"7"' '"SystemDisk.Size":"40"' '"SystemDisk.Category":"cloud_ssd"'; do
	grep '"action":"CreateInstance"' "$log" | grep -qF "$kv" || fail "password: CreateInstance lacks $kv"
done
grep '"action":"TagResources"' "$log" | grep -q '"Tag.1.Value":"ci"' || fail "password: run_tags not applied"
grep -qx "cn-beijing: m-[a-z0-9]*" "$work/run.out" || fail "password: no artifact"
for f in "$work"/*.out "$work"/*.err "$log"; do
	! grep -qF "$password" "$f" || fail "the password is in $f"
done
! grep -rqF "$password" "$ALICLOUD_BUILD_STATE" || fail "the password is in the build state"

# Only the user's own resources remain, then the test releases them.
call DeleteKeyPairs RegionId=cn-beijing KeyPairNames='["user-key"]' >/dev/null
call DeleteSecurityGroup RegionId=cn-beijing SecurityGroupId="$sg" >/dev/null
call --product vpc DeleteVSwitch RegionId=cn-beijing VSwitchId="$vsw" >/dev/null
snap-wait --vswitch "$vsw" --status Deleted >/dev/null
call --product vpc DeleteVpc RegionId=cn-beijing VpcId="$vpc" >/dev/null
assert_no_leak "existing"
assert_no_secret
printf 'build-existing: existing network and key kept, password login, skip_create_image; nothing left\n'
