#!/bin/sh
# make demo on a machine whose own sshd holds port 22 on every address (Debian's
# openssh-server starts it so): ecs-sim will not start there (69, saying why), and the demo
# runs itself in a private network namespace (scripts/lib/own-net.sh), where it builds the
# seed's template and leaves nothing behind. The machine's port 22 is untouched.
# The "machine" is a network namespace of the test's own, so the real one is not involved.
set -eu
prog=demo-own-net.sh
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BIN=${BIN:-$repo/.build/debug}
# shellcheck source=Tests/e2e/lib/skip.sh
. "$here/lib/skip.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, port 22)"
command -v unshare >/dev/null 2>&1 || skip "unshare missing (apt-get install util-linux)"
command -v ip >/dev/null 2>&1 || skip "ip missing (apt-get install iproute2)"
unshare --net -- true 2>/dev/null || skip "no network namespace can be made here"

if [ "${1:-}" != --inside ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	set +e
	unshare --net -- sh "$0" --inside "$work"
	rc=$?
	set -e
	# Nothing the demo started outlives it (its work directory is under $work/tmp).
	left=$(for p in /proc/[0-9]*; do grep -qs "$work/tmp" "$p/cmdline" && tr '\0' ' ' <"$p/cmdline" && echo; done; :)
	[ -z "$left" ] || { printf '%s: left running: %s\n' "$prog" "$left" >&2; exit 1; }
	exit "$rc"
fi

# --- inside the "machine": a loopback, and its sshd on 0.0.0.0:22 and [::]:22 -------------
work=$2
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
ip link set lo up
python3 - "$work/holder" <<'PY' &
import os, socket, sys
socks = []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 22))
    s.listen(16)
    socks.append(s)
open(sys.argv[1] + ".tmp", "w").write("ready\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = socks[0].accept()
    c.sendall(b"SSH-2.0-TheMachinesOwnSshd\r\n")
    c.close()
PY
holder=$!
trap 'kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || :' EXIT
i=0
until [ -f "$work/holder" ]; do
	kill -0 "$holder" 2>/dev/null || die "the port 22 holder did not start"
	i=$((i + 1)); [ "$i" -lt 400 ] || die "the port 22 holder is not ready after 20 s"
	sleep 0.05
done

# ecs-sim itself: 69 and why, before it serves anything.
set +e
"$BIN/ecs-sim" --check-ssh-port 2>"$work/err"; rc=$?
set -e
[ "$rc" = 69 ] || die "ecs-sim --check-ssh-port with port 22 held: exit $rc, want 69"
grep -q 'another process listens on port 22 of every address' "$work/err" || die "no reason: $(cat "$work/err")"
set +e
"$BIN/ecs-sim" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err"; rc=$?
set -e
[ "$rc" = 69 ] || die "ecs-sim with port 22 held: exit $rc, want 69"
! grep -q 'listening on' "$work/out" || die "ecs-sim served with port 22 held"

# The demo, as make demo runs it (with these tools on PATH): it moves itself.
mkdir "$work/tmp"
set +e
ECS_SIM_NET='' TMPDIR=$work/tmp PATH="$BIN:$PATH" sh "$repo/scripts/demo" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$work/err" >&2; die "the demo failed with port 22 held: exit $rc"; }
grep -q '^demo: port 22 is held on every address here .*: running in a private network namespace with only a loopback interface$' "$work/err" ||
	die "the demo did not say where it runs: $(head -n 5 "$work/err")"
grep -q 'Alicloud images were created:' "$work/out" || die "no artifact: $(cat "$work/out")"
grep -q '^    temporary resources left: 0$' "$work/err" || die "the demo left resources: $(tail -n 5 "$work/err")"
# The machine's sshd still has its port and answers as before.
kill -0 "$holder" 2>/dev/null || die "the machine's port 22 holder is gone"
python3 -c 'import socket; s = socket.create_connection(("127.0.0.1", 22), 5); b = s.recv(64); assert b.startswith(b"SSH-2.0-TheMachinesOwnSshd"), b' ||
	die "port 22 of the machine no longer reaches its own sshd"
printf '%s: ok\n' "$prog"
