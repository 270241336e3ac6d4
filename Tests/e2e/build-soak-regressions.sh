#!/bin/sh
# Regressions found by the soak campaign (Tests/soak/soak.sh, `make soak`), one quick build each.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
template=$here/templates/quick.json


# 1. Sustained throttling (a budget shared with other builds) only slows a build down: four
#    Throttling.User answers in a row, more than ecs-call's default 3 retries, on a create.
with_sim "CreateVpc:Throttling.User:4x"
build throttled "$template"
[ "$(rc_of throttled)" = 0 ] || { show throttled; fail "sustained throttling: exit $(rc_of throttled), wanted 0"; }
assert_no_leak "sustained throttling"


# 2. A provisioner's environment_vars (here a sensitive variable) never appear in a local
#    process's argv: ssh-run sends the remote command on stdin, not as an ssh argument;
#    a sensitive value the remote prints is hidden.
with_sim ""
token="Tok$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '{"token": "%s"}\n' "$token" >"$work/token.json"
printf '%s\n' "$token" >"$work/token.pattern"
build sensitive -var-file "$work/token.json" "$here/templates/sensitive-env.json" &
bpid=$!
: >"$work/argv-hits"
while kill -0 "$bpid" 2>/dev/null; do
	grep -laF -f "$work/token.pattern" /proc/[0-9]*/cmdline 2>/dev/null >>"$work/argv-hits" || :
	sleep 0.05
done
wait "$bpid" || :
[ "$(rc_of sensitive)" = 0 ] || { show sensitive; fail "sensitive environment_vars: exit $(rc_of sensitive)"; }
grep -q token-received "$work/sensitive.err" || { show sensitive; fail "the remote did not get TOKEN"; }
# ... and the remote printing it shows <sensitive>, as Packer does.
grep -q '    alicloud-ecs: the token is <sensitive>' "$work/sensitive.err" || { show sensitive; fail "the echoed token is not shown as <sensitive>"; }
grep -q '==> alicloud-ecs: again: <sensitive>' "$work/sensitive.err" || { show sensitive; fail "the token on stderr is not shown as <sensitive>"; }
! grep -qF "$token" "$work/sensitive.err" "$work/sensitive.out" || fail "the sensitive value is in the build's output"
[ ! -s "$work/argv-hits" ] || fail "the sensitive value was in the argv of: $(sed 's,/cmdline,/comm,' "$work/argv-hits" | xargs cat 2>/dev/null | sort -u | tr '\n' ' ')"
assert_no_leak "sensitive environment_vars"

# 3. A cleanup that cannot release something fails the build, even after its last step
#    (it used to exit 0 with an open ledger); the reclaim it asks for releases it.
with_sim "DeleteInstance:InvalidParameter:1x"
build cleanupfail "$template"
[ "$(rc_of cleanupfail)" = 1 ] || { show cleanupfail; fail "failed cleanup: exit $(rc_of cleanupfail), wanted 1"; }
grep -q 'could not be released' "$work/cleanupfail.err" || { show cleanupfail; fail "failed cleanup: not reported"; }
[ -n "$(sh "$scripts/alicloud-build" ledgers)" ] || fail "failed cleanup: the ledger was closed"
sh "$scripts/alicloud-build" reclaim >"$work/reclaim3.out" 2>"$work/reclaim3.err" || { show reclaim3; fail "reclaim after a failed cleanup"; }
assert_no_leak "failed cleanup + reclaim"

# 4. After SIGKILL, no file holds the rendered plan (it stays in memory), and reclaim
#    removes the build's work files (the temporary private key) and control directory.
with_sim ""
mkdir -p "$work/tmp"
TMPDIR=$work/tmp setsid sh "$scripts/alicloud-build" "$here/templates/slow.json" >"$work/killed.out" 2>"$work/killed.err" &
kpid=$!
i=0
until grep -q provisioning-started "$work/killed.err"; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || { show killed; fail "killed: the provisioner never started"; }
	sleep 0.1
done
kill -KILL "-$kpid"
wait "$kpid" 2>/dev/null || :
! grep -rqF "$ALICLOUD_SECRET_KEY" "$work/tmp" "$ALICLOUD_BUILD_STATE" || fail "killed: the secret key is in a file"
[ -n "$(ls -A "$ALICLOUD_BUILD_STATE/work")" ] || fail "killed: expected the build's work files before reclaim"
# The caller's environment names another region than the build's: reclaim uses the ledger's.
TMPDIR=$work/tmp ALICLOUD_REGION=cn-hangzhou sh "$scripts/alicloud-build" reclaim >"$work/reclaim4.out" 2>"$work/reclaim4.err" || { show reclaim4; fail "reclaim after SIGKILL"; }
assert_no_leak "SIGKILL + reclaim from another region"
[ -z "$(ls -A "$work/tmp")" ] || fail "reclaim left the control directory: $(find "$work/tmp" -mindepth 1 -maxdepth 1 | tr '\n' ' ')"
[ -z "$(ls -A "$ALICLOUD_BUILD_STATE/work")" ] || fail "reclaim left the build's work files"
# ... and ended the ssh connection master that outlived the SIGKILL (told to exit, it is
# gone within moments: waited for, up to 10 s, rather than a fixed sleep).
i=0
while pgrep -f "$work/tmp/" >/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "a process of the killed build is still running: $(pgrep -af "$work/tmp/" | head -n 1)"
	sleep 0.1
done
# 5. An interrupt after one build delivered its image (the other still provisioning): the
#    delivered image is still reported (stdout, manifest) and kept; the rest is released.
with_sim ""
ALICLOUD_BUILD_STATE=$work/state5
setsid env --default-signal=INT sh "$scripts/alicloud-build" -manifest "$work/two.manifest" "$here/templates/two-speeds.json" >"$work/two.out" 2>"$work/two.err" &
tpid=$!
i=0
until grep -qs "$(printf '\tkept\t')" "$ALICLOUD_BUILD_STATE"/ledgers/*.ledger; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || { show two; fail "two speeds: the fast build never delivered"; }
	sleep 0.1
done
kill -INT "$tpid"
rc=0
wait "$tpid" || rc=$?
[ "$rc" = 130 ] || { show two; fail "two speeds: exit $rc, wanted 130"; }
dump >/dev/null
kept=$(q 'resources.images[*].id')
[ "$(printf '%s\n' "$kept" | grep -c .)" = 1 ] || fail "two speeds: $(printf '%s' "$kept" | grep -c .) images, wanted the fast build's one"
grep -q "^cn-beijing: $kept\$" "$work/two.out" || { cat "$work/two.out" >&2; fail "two speeds: the delivered image $kept is not reported on stdout"; }
grep -q "\"artifact_id\": \"cn-beijing:$kept\"" "$work/two.manifest" || fail "two speeds: the delivered image is not in the manifest"
assert_no_leak "interrupt after one build delivered"

printf 'build-soak-regressions: sensitive environment_vars stay out of argv; a failed cleanup fails the build; reclaim removes a killed build'"'"'s work directories; an interrupt still reports delivered images\n'
