#!/bin/sh
# windows-shell (cmd.exe over WinRM) and breakpoint provisioners on an ecs-sim Windows
# instance: the script's output, environment_vars and valid_exit_codes (3 allowed, 4 fails
# the build with Packer's message), what it wrote read back from the image; the breakpoint
# goes on with a log line when stdin is not a terminal and waits for Enter on one (a pty
# from script(1)).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/build.sh"
template=$here/templates/windows-shell.json
# shellcheck disable=SC2034 # read by build (lib/build.sh)
BUILD_TIMEOUT=${BUILD_TIMEOUT:-120}

ALICLOUD_REGION=cn-beijing
export ALICLOUD_REGION
ecs_sim_start --profile instant --state "$work/sim" || fail "ecs-sim did not start"

# --- 1. no terminal: the breakpoint is skipped; exit 3 is allowed ------------------------
build ws "$template" </dev/null
[ "$(rc_of ws)" = 0 ] || { show ws; fail "the build exited $(rc_of ws)"; }
for line in '==> alicloud-ecs: Breakpoint provisioner with note "inspect the instance" skipped: standard input is not a terminal; continuing...' \
	'==> alicloud-ecs: Provisioning with windows-shell...' \
	'==> alicloud-ecs: Provisioning with windows-shell script: inline' \
	'    alicloud-ecs: hello from windows-shell'; do
	grep -qxF -- "$line" "$work/ws.err" || { show ws; fail "missing line: $line"; }
done
[ "$(tr -d '\r' <"$(image_disk ws)/app/marker.txt")" = provisioned ] || fail "C:\\app\\marker.txt is not on the image"
assert_no_leak "windows-shell"

# --- 2. an exit code not in valid_exit_codes fails the build ------------------------------
build ws4 -var last_exit=4 "$template" </dev/null
[ "$(rc_of ws4)" = 1 ] || { show ws4; fail "exit 4: the build exited $(rc_of ws4), wanted 1"; }
grep -qF "Script exited with non-zero exit status: 4.Allowed exit codes are: [0 3]" "$work/ws4.err" || { show ws4; fail "exit 4: not Packer's message"; }
assert_no_leak "windows-shell exit 4"

# --- 3. on a terminal the breakpoint waits for Enter ------------------------------------
mkfifo "$work/tty-in"
script -qfec "sh '$scripts/alicloud-build' -var last_exit=0 '$template'" /dev/null <"$work/tty-in" >"$work/tty.out" 2>&1 &
spid=$!
exec 4>"$work/tty-in"
i=0
until grep -q 'Press enter to continue' "$work/tty.out"; do
	i=$((i + 1))
	[ "$i" -lt 600 ] || { kill "$spid" 2>/dev/null; fail "the breakpoint never asked for Enter: $(tail -n 5 "$work/tty.out")"; }
	sleep 0.1
done
grep -qF 'Pausing at breakpoint provisioner with note "inspect the instance".' "$work/tty.out" || fail "no pausing line"
# It waits: nothing after the breakpoint runs until Enter.
sleep 2
! grep -q 'Provisioning with windows-shell' "$work/tty.out" || fail "the build went on without Enter"
printf '\n' >&4
rc=0
wait "$spid" || rc=$?
exec 4>&-
[ "$rc" = 0 ] || { tail -n 20 "$work/tty.out" >&2; fail "the build on a terminal exited $rc"; }
grep -q 'Provisioning with windows-shell' "$work/tty.out" || fail "the build did not go on after Enter"
assert_no_leak "breakpoint on a terminal"
printf 'build-windows-shell: output, exit codes and breakpoint as Packer\n'
