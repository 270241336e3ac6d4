#!/bin/sh
# ecs-sim instances are real SSH hosts: a Running instance answers on its EIP with the attached
# key pair (and its password), what a provisioner writes is captured by CreateImage, and an
# instance created from that image sees it. Stop stops sshd; a restart of ecs-sim gives Running
# instances their sshd back.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib/ecs-sim.sh disable=SC1091
. "$here/../../scripts/lib/ecs-sim.sh"
call () { python3 "$here/lib/ecs-sim-call.py" "$@"; }
work=$(mktemp -d)
cleanup () { ecs_sim_stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
field () { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
# shellcheck source=Tests/e2e/lib/skip.sh
. "$here/lib/skip.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (sshd hosts)"

ecs_sim_start --state "$work/state"
wait_for () { # action jsonfield wanted args...
	_w_i=0
	while :; do
		_w_out=$(call "$@" | field "$WANT_FIELD")
		[ "$_w_out" = "$WANT" ] && return 0
		_w_i=$((_w_i + 1)); [ "$_w_i" -lt 300 ] || fail "$1: still '$_w_out', wanted $WANT"
		sleep 0.1
	done
}
ssh_to () { # ip command...
	_s_ip=$1; shift
	ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 \
		-i "$work/key.pem" "root@$_s_ip" "$@"
}

vpc=$(call --version 2016-04-28 CreateVpc | field VpcId)
WANT_FIELD=Status WANT=Available wait_for --version 2016-04-28 DescribeVpcs VpcId="$vpc"
vsw=$(call --version 2016-04-28 CreateVSwitch VpcId="$vpc" ZoneId=cn-hangzhou-k CidrBlock=172.16.0.0/24 | field VSwitchId)
sg=$(call CreateSecurityGroup VpcId="$vpc" | field SecurityGroupId)
call CreateKeyPair KeyPairName=e2e-key | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().split(" ",1)[1])["PrivateKeyBody"])' >"$work/key.pem"
chmod 600 "$work/key.pem"
WANT_FIELD=Status WANT=Available wait_for --version 2016-04-28 DescribeVSwitches VSwitchId="$vsw"
inst=$(call CreateInstance ImageId=centos_7_03_64_20G_alibase_20170818.vhd InstanceType=ecs.t5-lc1m1.small SecurityGroupId="$sg" VSwitchId="$vsw" | field InstanceId)
[ -n "$inst" ] || fail "CreateInstance"
WANT_FIELD=Status WANT=Stopped wait_for DescribeInstanceAttribute InstanceId="$inst"
out=$(call --version 2016-04-28 AllocateEipAddress)
eip=$(printf '%s' "$out" | field AllocationId); ip=$(printf '%s' "$out" | field EipAddress)
call --version 2016-04-28 AssociateEipAddress AllocationId="$eip" InstanceId="$inst" >/dev/null
call AttachKeyPair KeyPairName=e2e-key InstanceIds="[\"$inst\"]" | grep -q '"Success":"true"' || fail "AttachKeyPair"
call StartInstance InstanceId="$inst" >/dev/null
WANT_FIELD=Status WANT=Running wait_for DescribeInstanceAttribute InstanceId="$inst"

# The provisioner of the seed's template, over real SSH on the EIP.
ssh_to "$ip" 'yum install redis.x86_64 -y && echo provisioned >/etc/motd.e2e' >"$work/ssh.out" 2>&1 || { cat "$work/ssh.out"; fail "ssh to $ip"; }
ssh_to "$ip" 'test -e /var/lib/yum/installed/redis.x86_64' || fail "yum did not record redis inside the instance"
[ ! -e /etc/motd.e2e ] || fail "the instance wrote to the host's /etc"

# Stop: sshd goes away. CreateImage captures the disk.
call StopInstance InstanceId="$inst" >/dev/null
WANT_FIELD=Status WANT=Stopped wait_for DescribeInstanceAttribute InstanceId="$inst"
ssh_to "$ip" true 2>/dev/null && fail "sshd still answers after StopInstance"
image=$(call CreateImage InstanceId="$inst" ImageName=e2e-redis | field ImageId)
[ -n "$image" ] || fail "CreateImage"
WANT_FIELD=Status WANT=Available wait_for DescribeImages ImageId="$image" Status=Creating,Available

# A new instance from the image (key pair given at creation) sees what the provisioner wrote.
inst2=$(call CreateInstance ImageId="$image" InstanceType=ecs.t5-lc1m1.small SecurityGroupId="$sg" VSwitchId="$vsw" KeyPairName=e2e-key | field InstanceId)
[ -n "$inst2" ] || fail "CreateInstance from the image"
WANT_FIELD=Status WANT=Stopped wait_for DescribeInstanceAttribute InstanceId="$inst2"
call StartInstance InstanceId="$inst2" >/dev/null
WANT_FIELD=Status WANT=Running wait_for DescribeInstanceAttribute InstanceId="$inst2"
ip2=$(call DescribeInstanceAttribute InstanceId="$inst2" | sed -n 's/.*"PrivateIpAddress":{"IpAddress":\["\([0-9.]*\)"\].*/\1/p')
[ -n "$ip2" ] || fail "no private IP"
out=$(ssh_to "$ip2" 'cat /etc/motd.e2e; test -e /var/lib/yum/installed/redis.x86_64 && echo redis') || fail "ssh to the new instance"
[ "$out" = "provisioned
redis" ] || fail "the image lost the provisioner's files: $out"

# A restart of ecs-sim gives the Running instance its sshd back.
ecs_sim_stop
ssh_to "$ip2" true 2>/dev/null && fail "sshd survived ecs-sim's shutdown"
ecs_sim_start --state "$work/state"
_i=0
until ssh_to "$ip2" true 2>/dev/null; do
	_i=$((_i + 1)); [ "$_i" -lt 300 ] || fail "sshd not back after a restart"
	sleep 0.1
done

# A shutdown inside the instance stops it, as on a real machine.
ssh_to "$ip2" 'shutdown -h now' >/dev/null 2>&1 || :
WANT_FIELD=Status WANT=Stopped wait_for DescribeInstanceAttribute InstanceId="$inst2"

# Clean up everything temporary.
call DeleteInstance InstanceId="$inst2" Force=true >/dev/null
call --version 2016-04-28 UnassociateEipAddress AllocationId="$eip" >/dev/null
WANT_FIELD=Status WANT=Available wait_for --version 2016-04-28 DescribeEipAddresses AllocationId="$eip"
call --version 2016-04-28 ReleaseEipAddress AllocationId="$eip" >/dev/null
call DeleteInstance InstanceId="$inst" Force=true >/dev/null
call DeleteSecurityGroup SecurityGroupId="$sg" >/dev/null
call --version 2016-04-28 DeleteVSwitch VSwitchId="$vsw" >/dev/null
call --version 2016-04-28 DeleteVpc VpcId="$vpc" >/dev/null
call DeleteKeyPairs KeyPairNames='["e2e-key"]' >/dev/null
n=$(ecs_sim_temporary_count)
[ "$n" -eq 0 ] || { ecs_sim_dump | sed -n '/"temporary"/,/temporaryCount/p'; fail "$n temporary resources left"; }
printf 'ecs-sim-ssh: ok\n'
