#!/bin/sh
# ssh-run against a real throw-away sshd: commands, streams, exit codes, host keys, key
# permissions, password login, bastion, connection sharing and Ctrl-C.
set -eu
umask 077
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/e2e/lib/sshd.sh
. "$here/lib/sshd.sh"
# shellcheck source=Tests/e2e/lib/port-holder.sh
. "$here/lib/port-holder.sh"
work=$(mktemp -d)
testuser=
cleanup () {
	sshd_stop
	holder_stop
	[ -z "$testuser" ] || userdel -r "$testuser" >/dev/null 2>&1 || true
	[ ! -d "$work/ctl" ] || ssh-run --control "$work/ctl" --close -p "${SSHD_PORT:-1}" root@127.0.0.1 >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
sshd_setup "$work"
sshd_start
kh="$work/known_hosts"
run () { ssh-run -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$kh" "$@"; }

# commands, stdout/stderr separation, argument joining as ssh(1) does
run root@127.0.0.1 'echo out; echo err >&2' >"$work/o" 2>"$work/e" || fail "plain command"
[ "$(cat "$work/o")" = out ] || fail "stdout: $(cat "$work/o")"
[ "$(cat "$work/e")" = err ] || fail "stderr: $(cat "$work/e")"
[ "$(run root@127.0.0.1 echo -n a b)" = "a b" ] || fail "dashes of the command must reach it"
[ -s "$kh" ] || fail "host key not learned into --known-hosts"

# exit codes pass through; 255 from the remote; a killed remote command is 255 as in ssh(1)
for code in 0 1 42 255; do
	_rc=0; run root@127.0.0.1 "exit $code" || _rc=$?
	[ "$_rc" -eq "$code" ] || fail "exit $code gave $_rc"
done
_rc=0; run root@127.0.0.1 'kill -KILL $$' || _rc=$?
[ "$_rc" -eq 255 ] || fail "signal-killed remote command gave $_rc"

# ssh-run's own failures are 255, as ssh(1)'s: here ssh itself cannot be run (no 69: a
# remote command may exit with any status, 255 alone is the runner's)
_rc=0; PATH=/nonexistent "$(command -v ssh-run)" -p "$SSHD_PORT" -i "$work/id_ed25519" root@127.0.0.1 true 2>"$work/e" || _rc=$?
[ "$_rc" -eq 255 ] || fail "ssh missing gave $_rc"
grep -q '^ssh-run: ssh: cannot run: No such file or directory$' "$work/e" || fail "ssh missing: $(cat "$work/e")"

# remote output that cannot be written is a failure (74), not a silent 0, with or without
# --prefix; a failing command keeps its own status
for p in '' '--prefix x'; do
	# shellcheck disable=SC2086 # $p is zero or two words
	_rc=0; run $p root@127.0.0.1 'echo out' >/dev/full 2>"$work/e" || _rc=$?
	[ "$_rc" -eq 74 ] || fail "stdout on /dev/full ($p) gave $_rc"
	grep -qx 'ssh-run: stdout: No space left on device' "$work/e" || fail "stdout on /dev/full ($p): $(cat "$work/e")"
	_rc=0; run $p root@127.0.0.1 'echo out; exit 3' >/dev/full 2>/dev/null || _rc=$?
	[ "$_rc" -eq 3 ] || fail "stdout on /dev/full ($p), exit 3 gave $_rc"
done

# stdin reaches the remote command, binary-safe
head -c 100000 /dev/urandom >"$work/blob"
run root@127.0.0.1 cat <"$work/blob" >"$work/blob2" || fail "stdin"
cmp -s "$work/blob" "$work/blob2" || fail "stdin bytes differ"

# --prefix prints as Packer does
run --prefix alicloud-ecs root@127.0.0.1 'echo "hi  "; echo oops >&2' >"$work/o" 2>"$work/e"
[ "$(cat "$work/o")" = "    alicloud-ecs: hi" ] || fail "prefixed stdout: $(cat "$work/o")"
[ "$(cat "$work/e")" = "==> alicloud-ecs: oops" ] || fail "prefixed stderr: $(cat "$work/e")"

# a group/world readable key is refused before ssh runs (78)
cp "$work/id_ed25519" "$work/loose"; chmod 644 "$work/loose"
_rc=0; ssh-run -p "$SSHD_PORT" -i "$work/loose" root@127.0.0.1 true 2>"$work/e" || _rc=$?
[ "$_rc" -eq 78 ] || fail "world-readable key gave $_rc"
grep -q 'too open' "$work/e" || fail "world-readable key message: $(cat "$work/e")"

# usage errors are 64
_rc=0; ssh-run 2>/dev/null || _rc=$?; [ "$_rc" -eq 64 ] || fail "no host gave $_rc"
ssh-run --help | grep -q '^usage: ssh-run' || fail "help"

# bastion: the same sshd as jump host
[ "$(run --bastion "root@127.0.0.1:$SSHD_PORT" root@127.0.0.1 echo via-bastion)" = via-bastion ] || fail "bastion"

# --control: one login for many commands, then --close
before=$(grep -c 'Accepted publickey' "$work/sshd.log")
for i in 1 2 3 4 5; do run --control "$work/ctl" root@127.0.0.1 "echo $i" >/dev/null || fail "control $i"; done
after=$(grep -c 'Accepted publickey' "$work/sshd.log")
[ $((after - before)) -eq 1 ] || fail "control master: $((after - before)) logins for 5 commands"
[ -n "$(ls "$work/ctl")" ] || fail "no control socket"
run --control "$work/ctl" --close root@127.0.0.1 || fail "close"
[ -z "$(ls "$work/ctl")" ] || fail "control socket left after --close"
run --control "$work/ctl" --close root@127.0.0.1 || fail "close without a master must succeed"

# SIGINT stops the run, exits 130 and leaves no local ssh behind
# (ssh-run itself in the background, not the run function: a subshell would get the signal)
ssh-run -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$kh" root@127.0.0.1 'sleep 37' &
pid=$!
sleep 1
kill -INT "$pid"
_rc=0; wait "$pid" || _rc=$?
[ "$_rc" -eq 130 ] || fail "SIGINT gave $_rc"
sleep 0.3
# shellcheck disable=SC2009 # checking, with the full command line
if ps -eo args | grep -v grep | grep -q "ssh .*-p $SSHD_PORT.*sleep 37"; then fail "ssh left running after SIGINT"; fi
ssh-run -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$kh" root@127.0.0.1 'sleep 38' &
pid=$!
sleep 1
kill -TERM "$pid"
_rc=0; wait "$pid" || _rc=$?
[ "$_rc" -eq 143 ] || fail "SIGTERM gave $_rc"

# password login through askpass; the password never shows in output (useradd comes with
# Debian's passwd package, always there for root, whom sshd_setup already asked for)
command -v useradd >/dev/null 2>&1 || fail "useradd is missing: password login cannot be tested"
testuser="sshrun$$"
useradd -m -s /bin/sh "$testuser"
printf '%s:%s\n' "$testuser" 'S3cret pass'"'"'word' | chpasswd
out=$(SSHRUN_PW='S3cret pass'"'"'word' ssh-run -p "$SSHD_PORT" --known-hosts "$kh" --password-env SSHRUN_PW "$testuser@127.0.0.1" whoami 2>"$work/e") || fail "password login: $(cat "$work/e")"
[ "$out" = "$testuser" ] || fail "password login ran as $out"
_rc=0; SSHRUN_PW=wrong ssh-run -p "$SSHD_PORT" --known-hosts "$kh" --password-env SSHRUN_PW "$testuser@127.0.0.1" true 2>"$work/e" || _rc=$?
[ "$_rc" -eq 255 ] || fail "wrong password gave $_rc"
_rc=0; ssh-run -p "$SSHD_PORT" --password-env SSHRUN_UNSET_PW "$testuser@127.0.0.1" true 2>/dev/null || _rc=$?
[ "$_rc" -eq 78 ] || fail "unset password variable gave $_rc"
if grep -q 'S3cret' "$work/e"; then fail "password printed"; fi

# a changed host key is refused (255), by commands and by --wait. The host keeps its port
# while its key changes (a port let go and bound again could be taken in between): a
# held port whose connections each get `sshd -i`, which reads the host key anew.
sshd_stop
holder_start "$work/holder" -- /usr/sbin/sshd -i -e -f "$work/sshd_config" 2>"$work/sshd-i.log" || fail "no port"
holder_serve || fail "sshd -i did not take the port"
SSHD_PORT=$HOLDER_PORT
run root@127.0.0.1 true || fail "first contact with the held port"
rm -f "$work/host_ed25519" "$work/host_ed25519.pub"
ssh-keygen -q -t ed25519 -N '' -f "$work/host_ed25519"
_rc=0; run root@127.0.0.1 true 2>"$work/e" || _rc=$?
[ "$_rc" -eq 255 ] || fail "changed host key gave $_rc"
grep -q 'host key changed' "$work/e" || fail "changed host key message: $(cat "$work/e")"
_rc=0; run --wait --timeout 20 root@127.0.0.1 2>"$work/e" || _rc=$?
[ "$_rc" -eq 255 ] || fail "--wait with a changed host key gave $_rc"
[ "$(ssh-run -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$work/kh2" root@127.0.0.1 echo ok)" = ok ] || fail "new known_hosts"
printf 'ok\n'
