#!/bin/sh
# ssh-run --wait: survives refused connections, a listener that accepts TCP but never
# speaks SSH, and an sshd that rejects the key until it is installed; times out with 75.
# One port serves every phase, held by lib/port-holder.py from the first to the last (a
# port probed free and bound later by another server could be taken in between).
set -eu
umask 077
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/e2e/lib/sshd.sh
. "$here/lib/sshd.sh"
# shellcheck source=Tests/e2e/lib/port-holder.sh
. "$here/lib/port-holder.sh"
work=$(mktemp -d)
waitpid=
cleanup () {
	[ -z "$waitpid" ] || kill "$waitpid" 2>/dev/null || true
	holder_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || sshd_skip "no python3"
sshd_setup "$work"
# The holder hands each connection to `sshd -i` (inetd mode: no port of its own).
sshd_config 22
holder_start "$work/holder" -- /usr/sbin/sshd -i -e -f "$work/sshd_config" 2>"$work/sshd.log" || fail "no port"
port=$HOLDER_PORT

# nothing listening: 75 after the timeout, naming the last error
start=$(date +%s)
_rc=0; ssh-run -p "$port" -i "$work/id_ed25519" --wait --timeout 2 root@127.0.0.1 2>"$work/e" || _rc=$?
[ "$_rc" -eq 75 ] || fail "wait timeout gave $_rc"
grep -q 'Connection refused' "$work/e" || fail "timeout message: $(cat "$work/e")"
[ $(($(date +%s) - start)) -le 6 ] || fail "wait overran its timeout"

# the real thing: refused, then a silent TCP listener, then sshd without the key, then the key
mv "$work/authorized_keys" "$work/later_keys"
: >"$work/authorized_keys"
ssh-run -p "$port" -i "$work/id_ed25519" --known-hosts "$work/kh" -o ConnectTimeout=2 \
	--wait --timeout 40 root@127.0.0.1 echo ready >"$work/out" 2>"$work/werr" &
waitpid=$!
# A while of refused connections (not a readiness wait: the test holds with none).
sleep 1
# Open but silent, as a port is during boot: ssh-run connects, gets no banner and gives up
# on that connection (ConnectTimeout) without giving up waiting.
holder_silent || fail "the port did not turn silent"
holder_wait '^gave-up 1$' 40 || fail "ssh-run never connected to the silent port: $(cat "$work/werr")"
kill -0 "$waitpid" 2>/dev/null || fail "--wait ended on a silent port: $(cat "$work/werr")"
# sshd, which rejects the key: a whole refused login, and ssh-run still waits.
holder_serve || fail "sshd did not take the port"
holder_wait '^served 1$' 40 || fail "ssh-run never reached sshd: $(cat "$work/werr") $(cat "$work/sshd.log")"
kill -0 "$waitpid" 2>/dev/null || fail "--wait ended before the key was installed: $(cat "$work/werr")"
cp "$work/later_keys" "$work/authorized_keys"
_rc=0; wait "$waitpid" || _rc=$?
waitpid=
[ "$_rc" -eq 0 ] || fail "--wait gave $_rc: $(cat "$work/werr")"
[ "$(cat "$work/out")" = ready ] || fail "command after --wait: $(cat "$work/out")"
printf 'ok\n'
