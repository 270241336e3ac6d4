#!/bin/sh
# Failures leave nothing: a bad template makes no API call at all; an API error injected at
# each step fails the build (exit 1) after a full cleanup; a response lost after the cloud
# created the resource is recovered through the ClientToken (no second resource, no leak);
# throttling bursts are retried and the build succeeds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
template=$here/templates/quick.json


# A template error is found before anything is sent.
with_sim ""
sed 's/"instance_type"/"instance_typ"/' "$template" >"$work/bad.json"
build bad "$work/bad.json"
[ "$(rc_of bad)" = 65 ] || { show bad; fail "bad template: exit $(rc_of bad), wanted 65"; }
grep -q 'unknown key "instance_typ"' "$work/bad.err" || { show bad; fail "bad template: no message"; }
dump >/dev/null
[ "$(q requestTotal)" = 0 ] || fail "bad template: $(q requestTotal) API calls were made"

# An error at each step: the build fails, cleans up, and says what failed.
for step in CreateKeyPair CreateVpc CreateVSwitch CreateSecurityGroup CreateInstance AllocateEipAddress \
	AssociateEipAddress AttachKeyPair StartInstance StopInstance CreateImage; do
	with_sim "$step:InvalidParameter:1x"
	build "f-$step" "$template"
	[ "$(rc_of "f-$step")" = 1 ] || { show "f-$step"; fail "$step: exit $(rc_of "f-$step"), wanted 1"; }
	grep -q "InvalidParameter" "$work/f-$step.err" || { show "f-$step"; fail "$step: the error is not shown"; }
	grep -q "^Build 'alicloud-ecs' errored after" "$work/f-$step.err" || { show "f-$step"; fail "$step: no errored line"; }
	grep -q 'Builds finished but no artifacts were created.' "$work/f-$step.out" || fail "$step: stdout"
	assert_no_leak "fault at $step"
	dump >/dev/null
	[ "$(q 'resources.images' --format count)" = 0 ] || fail "$step: an image was left"
done

# The response to a create is lost after the resource exists: the retry with the same
# ClientToken returns the same resource; nothing is made twice or left behind.
for step in CreateVpc CreateInstance CreateImage; do
	with_sim "$step:drop:1x"
	build "d-$step" "$template"
	[ "$(rc_of "d-$step")" = 0 ] || { show "d-$step"; fail "dropped $step: exit $(rc_of "d-$step")"; }
	assert_no_leak "dropped $step"
	dump >/dev/null
	[ "$(q 'resources.images' --format count)" = 1 ] || fail "dropped $step: not exactly one image"
done

# Throttling bursts and server errors on every action are retried with backoff.
with_sim "*:Throttling.User:0.15,*:503:0.05"
build throttled "$template"
[ "$(rc_of throttled)" = 0 ] || { show throttled; fail "throttled: exit $(rc_of throttled)"; }
assert_no_leak "throttling"
assert_no_secret
printf 'build-faults: template error sends nothing; 11 failing steps, 3 lost responses and throttling leave nothing\n'
