#!/bin/sh
# ssh-run --wait: survives refused connections, a listener that accepts TCP but never
# speaks SSH, and an sshd that rejects the key until it is installed; times out with 75.
set -eu
umask 077
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/e2e/lib/sshd.sh
. "$here/lib/sshd.sh"
work=$(mktemp -d)
ncpid=
waitpid=
cleanup () {
	[ -z "$ncpid" ] || kill "$ncpid" 2>/dev/null || true
	[ -z "$waitpid" ] || kill "$waitpid" 2>/dev/null || true
	sshd_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail () { printf 'FAIL: %s\n' "$1" >&2; exit 1; }
command -v busybox >/dev/null 2>&1 || sshd_skip "no busybox (httpd)"
sshd_setup "$work"
port=$(sshd_free_port)

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
sleep 1.5
# busybox httpd accepts the TCP connection and then waits for an HTTP request that ssh
# never sends: a port that is open but silent, as during boot.
mkdir "$work/www"
busybox httpd -f -p "127.0.0.1:$port" -h "$work/www" &
ncpid=$!
sleep 3
kill "$ncpid" 2>/dev/null || true
wait "$ncpid" 2>/dev/null || true
ncpid=
sshd_start "$port"
sleep 2.5
kill -0 "$waitpid" 2>/dev/null || fail "--wait ended before the key was installed: $(cat "$work/werr")"
cp "$work/later_keys" "$work/authorized_keys"
_rc=0; wait "$waitpid" || _rc=$?
waitpid=
[ "$_rc" -eq 0 ] || fail "--wait gave $_rc: $(cat "$work/werr")"
[ "$(cat "$work/out")" = ready ] || fail "command after --wait: $(cat "$work/out")"
printf 'ok\n'
