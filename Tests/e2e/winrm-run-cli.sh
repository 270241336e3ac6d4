#!/bin/sh
# winrm-run's own behaviour without a Windows host: help, usage, the password variable,
# refused connections, the --wait timeout, and a 401 answered by a stub (never a hang).
# The protocol itself is tested against the emulated endpoint in Tests/EcsSimKitTests.
set -eu
prog=winrm-run-cli
die () { printf '%s: %s\n' "$prog" "$1" >&2; exit 1; }
work=$(mktemp -d)
stub=
cleanup () {
	[ -z "$stub" ] || kill "$stub" 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port () {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
status () { set +e; "$@" >"$work/out" 2>"$work/err"; _rc=$?; set -e; echo "$_rc"; }

# --help: stdout, exit 0, names every mode.
[ "$(status winrm-run --help)" = 0 ] || die "--help did not exit 0"
grep -q -- '--powershell SCRIPT|-' "$work/out" || die "--help lacks --powershell"
grep -q -- '--ca-file FILE' "$work/out" || die "--help lacks --ca-file"

# Misuse: 64 with the usage line on stderr.
[ "$(status winrm-run --bogus host)" = 64 ] || die "unknown option did not exit 64"
grep -q '^usage: winrm-run' "$work/err" || die "no usage line"
[ "$(status winrm-run --password-env HOME)" = 64 ] || die "missing host did not exit 64"
HOME_PW=x; export HOME_PW
[ "$(status winrm-run --password-env HOME_PW --insecure 127.0.0.1 echo)" = 64 ] || die "--insecure without --https accepted"

# The password only ever comes from the environment.
[ "$(status winrm-run 127.0.0.1 echo hi)" = 78 ] || die "no --password-env did not exit 78"
unset WINRM_E2E_UNSET || :
[ "$(status winrm-run --password-env WINRM_E2E_UNSET 127.0.0.1 echo hi)" = 78 ] || die "unset variable did not exit 78"
grep -q 'WINRM_E2E_UNSET is not set' "$work/err" || die "unclear message for an unset variable"

WINRM_E2E_PW='S3cret-e2e-Pass'; export WINRM_E2E_PW
port=$(free_port)

# Nothing listening: winrm-run's own failure, 255.
[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" --connect-timeout 2 127.0.0.1 echo hi)" = 255 ] ||
	die "refused connection did not exit 255"

# --wait gives up with 75 after --timeout.
start=$(date +%s)
[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" --timeout 2 127.0.0.1 --wait)" = 75 ] ||
	die "--wait did not exit 75"
[ $(($(date +%s) - start)) -lt 20 ] || die "--wait overran its timeout"
grep -q 'WinRM not available after 2s' "$work/err" || die "--wait message"

# A host that answers 401 (as Windows does for a wrong password): 77 at once. Without socat
# the rest ran, but the run is reported skipped, not ok.
missing=
command -v socat >/dev/null 2>&1 || missing="socat is not installed (scripts/install-deps installs it): the 401 case did not run"
if [ -z "$missing" ]; then
	printf 'HTTP/1.1 401 \r\nWWW-Authenticate: Basic realm="WSMAN"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >"$work/401"
	socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "SYSTEM:cat $work/401" 2>/dev/null &
	stub=$!
	# Ready when it accepts a connection (a fixed sleep lost the race on a loaded machine).
	_i=0
	until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt 200 ] || die "the 401 stub never listened on $port"
		kill -0 "$stub" 2>/dev/null || die "the 401 stub exited (port $port taken?)"
		sleep 0.05
	done
	start=$(date +%s)
	[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" 127.0.0.1 echo hi)" = 77 ] || die "401 did not exit 77"
	grep -q '401 unauthorized' "$work/err" || die "401 message"
	[ "$(status winrm-run --password-env WINRM_E2E_PW --port "$port" --timeout 30 127.0.0.1 --wait)" = 77 ] ||
		die "--wait kept retrying a 401"
	[ $(($(date +%s) - start)) -lt 10 ] || die "401 took too long"
	! grep -q "$WINRM_E2E_PW" "$work/err" "$work/out" || die "the password was printed"
fi
# shellcheck source=Tests/e2e/lib/skip.sh
[ -z "$missing" ] || { . "$(dirname "$0")/lib/skip.sh"; skip "$missing"; }
printf '%s: ok\n' "$prog"
