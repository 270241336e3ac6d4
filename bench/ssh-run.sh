#!/bin/sh
# Per-command latency of ssh-run for 50 commands, with and without --control, against a
# throw-away sshd on 127.0.0.1. Usage: sh bench/ssh-run.sh [BINDIR]
set -eu
umask 077
bindir=$(cd "${1:-.build/release}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=Tests/e2e/lib/sshd.sh
. "$here/../Tests/e2e/lib/sshd.sh"
work=$(mktemp -d)
cleanup () {
	"$bindir/ssh-run" --control "$work/ctl" --close -p "${SSHD_PORT:-1}" root@127.0.0.1 >/dev/null 2>&1 || true
	sshd_stop
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sshd_setup "$work"
# shellcheck disable=SC2119 # no port: a free one
sshd_start
n=50
ms () { date +%s%N | cut -c1-13; }
bench () {
	_start=$(ms)
	_i=0
	while [ "$_i" -lt "$n" ]; do
		"$bindir/ssh-run" -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$work/kh" "$@" root@127.0.0.1 true
		_i=$((_i + 1))
	done
	_end=$(ms)
	printf '%s\n' $(( (_end - _start) * 10 / n ))
}
fmt () { printf '%d.%d' $(($1 / 10)) $(($1 % 10)); }
plain=$(bench)
"$bindir/ssh-run" -p "$SSHD_PORT" -i "$work/id_ed25519" --known-hosts "$work/kh" --control "$work/ctl" root@127.0.0.1 true
shared=$(bench --control "$work/ctl")
printf 'ssh-run: %d commands, new connection each: %s ms/command\n' "$n" "$(fmt "$plain")"
printf 'ssh-run: %d commands, --control (shared master): %s ms/command\n' "$n" "$(fmt "$shared")"
printf 'ssh-run: saving per command: %s ms\n' "$(fmt $((plain - shared)))"
