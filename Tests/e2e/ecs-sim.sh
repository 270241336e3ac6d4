#!/bin/sh
# ecs-sim end to end: CLI contract, protocol (signatures, errors, proxy form, CONNECT),
# life cycles, faults, persistence across a restart, --dump.
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
expect () { case "$2" in *"$3"*) ;; *) fail "$1: wanted '$3' in: $2" ;; esac; }
field () { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
# eventually WHAT WANTED CALL-ARGS...: repeats the call until its answer holds WANTED (the
# emulator's transitions take fixed times, a loaded machine may answer later: 30 s at most).
eventually () {
	_what=$1 _wanted=$2; shift 2
	_deadline=$(($(date +%s) + 30))
	while :; do
		out=$(call "$@")
		case "$out" in *"$_wanted"*) return 0 ;; esac
		[ "$(date +%s)" -lt "$_deadline" ] || fail "$_what: wanted '$_wanted' within 30 s, last: $out"
		sleep 0.1
	done
}

# CLI contract.
ecs-sim --help | grep -q '^usage: ecs-sim' || fail "--help prints usage on stdout"
rc=0; ecs-sim --bogus 2>/dev/null || rc=$?; [ "$rc" -eq 64 ] || fail "unknown option exits 64, got $rc"
rc=0; ecs-sim --profile slow 2>/dev/null || rc=$?; [ "$rc" -eq 64 ] || fail "unknown profile exits 64, got $rc"
rc=0; ecs-sim --faults 'CreateVpc:Nope' 2>/dev/null || rc=$?; [ "$rc" -eq 64 ] || fail "bad fault spec exits 64, got $rc"
rc=0; ecs-sim --listen 0.0.0.0:0 2>/dev/null || rc=$?; [ "$rc" -eq 64 ] || fail "non-loopback listen exits 64, got $rc"
rc=0; ecs-sim --id-seed -3 2>/dev/null || rc=$?; [ "$rc" -eq 64 ] || fail "a bad --id-seed exits 64, got $rc"
rc=0; ecs-sim --dump --state "$work/none" 2>/dev/null || rc=$?; [ "$rc" -eq 66 ] || fail "--dump of a missing state exits 66, got $rc"

ecs_sim_start --state "$work/state" --faults 'CreateVpc:Throttling.User:1x,DescribeRegions:503:1x'
[ -n "$ECS_SIM_PORT" ] || fail "no port"

# Protocol errors with the real codes and statuses.
out=$(curl -s -o /dev/null -w '%{http_code}' "$ECS_SIM_URL/?Action=DescribeRegions&Version=2014-05-26")
[ "$out" = 400 ] || fail "unsigned request: 400, got $out"
out=$(curl -s "$ECS_SIM_URL/?Action=DescribeRegions&Version=2014-05-26")
expect "unsigned body" "$out" '"Code":"MissingParameter"'
expect "error body has Recommend" "$out" '"Recommend":"https://api.aliyun.com/troubleshoot?q=MissingParameter'
out=$(call DescribeRegions); expect "503 fault first" "$out" '503 {'
out=$(call DescribeRegions); expect "DescribeRegions" "$out" '200 {'; expect "regions" "$out" '"RegionId":"cn-beijing"'
out=$(ALICLOUD_SECRET_KEY=wrong call DescribeRegions); expect "bad signature" "$out" '400 {'; expect "bad signature code" "$out" 'SignatureDoesNotMatch'
expect "string to sign echoed" "$out" 'server string to sign is:POST&%2F&AccessKeyId'
out=$(ALICLOUD_ACCESS_KEY=LTAI5tUnknown call DescribeRegions); expect "unknown key" "$out" '404 {'; expect "unknown key code" "$out" 'InvalidAccessKeyId.NotFound'
out=$(call --timestamp 2020-01-01T00:00:00Z DescribeRegions); expect "old timestamp" "$out" 'InvalidTimeStamp.Expired'
call --nonce fixed-nonce-1 DescribeRegions >/dev/null
out=$(call --nonce fixed-nonce-1 DescribeRegions); expect "reused nonce" "$out" 'SignatureNonceUsed'
out=$(call NoSuchAction); expect "unknown action" "$out" '404 {'; expect "unknown action code" "$out" 'InvalidAction.NotFound'
out=$(call --version 2099-01-01 DescribeRegions); expect "unknown version" "$out" 'InvalidVersion'
out=$(call DescribeInstanceAttribute); expect "missing parameter" "$out" '"Code":"MissingParameter"'
out=$(call DescribeImages PageSize=1000); expect "bad value" "$out" '"Code":"InvalidParameter"'

# HTTP_PROXY style: absolute-form target; CONNECT is refused at once.
out=$(call --proxy DescribeZones); expect "absolute-form target" "$out" '"ZoneId":"cn-hangzhou-'
code=$(curl -s -o /dev/null -w '%{http_code}' -X CONNECT --request-target 'location-readonly.aliyuncs.com:443' "$ECS_SIM_URL")
[ "$code" = 405 ] || fail "CONNECT: 405, got $code"

# Faults, then the life cycle: VPC Pending -> Available, dependency rules.
out=$(call --version 2016-04-28 CreateVpc CidrBlock=172.16.0.0/12 ClientToken=t1); expect "throttling burst" "$out" '400 {'; expect "throttling code" "$out" 'Throttling.User'
out=$(call --version 2016-04-28 CreateVpc CidrBlock=172.16.0.0/12 ClientToken=t1); expect "CreateVpc" "$out" '200 {'
vpc=$(printf '%s' "$out" | field VpcId)
out=$(call --version 2016-04-28 CreateVpc CidrBlock=172.16.0.0/12 ClientToken=t1); expect "ClientToken replay" "$out" "\"VpcId\":\"$vpc\""
eventually "VPC becomes Available" '"Status":"Available"' --version 2016-04-28 DescribeVpcs VpcId="$vpc"
out=$(call --version 2016-04-28 CreateVSwitch VpcId="$vpc" ZoneId=cn-hangzhou-k CidrBlock=172.16.0.0/24)
vsw=$(printf '%s' "$out" | field VSwitchId)
[ -n "$vsw" ] || fail "CreateVSwitch: $out"
out=$(call --version 2016-04-28 DeleteVpc VpcId="$vpc"); expect "DeleteVpc with a VSwitch" "$out" 'DependencyViolation.VSwitch'
out=$(call CreateSecurityGroup VpcId="$vpc"); sg=$(printf '%s' "$out" | field SecurityGroupId)
eventually "VSwitch becomes Available" '"Status":"Available"' --version 2016-04-28 DescribeVSwitches VSwitchId="$vsw"
out=$(call CreateInstance ImageId=centos_7_03_64_20G_alibase_20170818.vhd InstanceType=ecs.t5-lc1m1.small SecurityGroupId="$sg" VSwitchId="$vsw" Password='Sim-Passw0rd!')
inst=$(printf '%s' "$out" | field InstanceId)
[ -n "$inst" ] || fail "CreateInstance: $out"
grep -q 'Sim-Passw0rd' "$work/state/requests.jsonl" && fail "the password reached the request log"
grep -q 'Sim-Passw0rd' "$work/state/state.json" && fail "the password reached the state file"
eventually "created instance is Stopped" '"Status":"Stopped"' DescribeInstances InstanceIds="[\"$inst\"]"
call StartInstance InstanceId="$inst" >/dev/null
eventually "started instance is Running" '"Status":"Running"' DescribeInstances InstanceIds="[\"$inst\"]"
out=$(call StartInstance InstanceId="$inst"); expect "start a running instance" "$out" 'IncorrectInstanceStatus'
out=$(call DeleteSecurityGroup SecurityGroupId="$sg"); expect "SG in use" "$out" 'DependencyViolation'

# Persistence: a restart keeps every resource. The restart draws IDs from a new seed: the
# instance's ID means nothing to another run, which answers NotFound.
ecs_sim_stop
first_seed=$ECS_SIM_ID_SEED
ecs_sim_start --state "$work/other"
[ -n "$ECS_SIM_ID_SEED" ] && [ "$ECS_SIM_ID_SEED" != "$first_seed" ] || fail "two runs, one id seed: $ECS_SIM_ID_SEED"
out=$(call DeleteInstance InstanceId="$inst" Force=true); expect "another run does not know the instance" "$out" 'InvalidInstanceId.NotFound'
ecs_sim_stop
ecs_sim_start --state "$work/state"
out=$(call DescribeInstances InstanceIds="[\"$inst\"]"); expect "instance survives a restart" "$out" '"Status":"Running"'
out=$(call --version 2016-04-28 DescribeVSwitches VSwitchId="$vsw"); expect "VSwitch survives a restart" "$out" "\"VSwitchId\":\"$vsw\""
n=$(ecs_sim_temporary_count); [ "$n" -eq 5 ] || fail "temporary resources: 5 (vpc, vsw, sg, instance, disk), got $n"

# Cleanup leaves nothing temporary.
call DeleteInstance InstanceId="$inst" Force=true >/dev/null
call DeleteSecurityGroup SecurityGroupId="$sg" >/dev/null
call --version 2016-04-28 DeleteVSwitch VSwitchId="$vsw" >/dev/null
out=$(call --version 2016-04-28 DeleteVpc VpcId="$vpc"); expect "DeleteVpc at the end" "$out" '200 {'
n=$(ecs_sim_temporary_count); [ "$n" -eq 0 ] || fail "leaks after cleanup: $n"
ecs_sim_stop
ecs-sim --dump --state "$work/state" >"$work/dump.json" || fail "--dump --state"
grep -q '"CreateInstance": 1' "$work/dump.json" || fail "--dump counts requests from the log"
grep -q '"temporaryCount": 0' "$work/dump.json" || fail "--dump shows no leak"
printf 'ecs-sim e2e: ok\n'
