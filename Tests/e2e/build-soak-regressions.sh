#!/bin/sh
# Regressions found by the soak campaign (Tests/soak/soak.sh, `make soak`), one quick build each.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
template=$here/templates/quick.json

with_sim () {
	ecs_sim_stop
	rm -rf "$work/sim"
	ecs_sim_start --profile fast --state "$work/sim" --seed 7 ${1:+--faults "$1"} || fail "ecs-sim did not start"
}

# 1. Sustained throttling (a budget shared with other builds) only slows a build down: four
#    Throttling.User answers in a row, more than ecs-call's default 3 retries, on a create.
with_sim "CreateVpc:Throttling.User:4x"
build throttled "$template"
[ "$(rc_of throttled)" = 0 ] || { show throttled; fail "sustained throttling: exit $(rc_of throttled), wanted 0"; }
assert_no_leak "sustained throttling"
printf 'build-soak-regressions: sustained throttling is outlived\n'
